"""Human renderings of an event: the terminal line, the flow comment and marker, and the
full explanation. Each reads only the event dict."""

from __future__ import annotations

from typing import Any

from .engine import FAILED_VERDICTS
from .engine import Reason
from .engine import describe_reason
from .engine.views import engine_lines
from .engine.views import summary_suffix
from .events import Event

# Flow markers, as mitmproxy names them (mitmproxy.utils.emoji): mitmweb and the console show
# the character. These four are text symbols (Dingbats), so they differ even without an emoji
# font: DejaVu Sans, the usual Linux fallback, has all of them (the colour emoji did not).
MARK_BLOCKED = ":heavy_multiplication_x:"  # ✖ U+2716
MARK_PREFLIGHT = ":airplane:"  # ✈ U+2708
MARK_ALLOWED = ":heavy_check_mark:"  # ✔ U+2714
MARK_REWRITTEN = ":pencil2:"  # ✏ U+270F

_RESET = "\x1b[0m"
_STYLE = {
    "kind": "\x1b[36m",  # cyan
    "blocked": "\x1b[1;31m",  # bold red
    "allowed": "\x1b[32m",  # green
    "orphan": "\x1b[33m",  # yellow
    "rule": "\x1b[35m",  # magenta
    "dim": "\x1b[2m",
}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def short_url(url: str, limit: int = 90) -> str:
    text = url.split("://", 1)[-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reasons_text(event: Event, sep: str = ", ") -> str:
    reasons = event["preflight"]["reasons"]
    return sep.join(describe_reason(Reason(r["code"], r["detail"])) for r in reasons)


def mark(event: Event) -> str:
    """The flow marker: blocked, rewritten by a rule, preflight, allowed; none for not-cors."""
    verdict = event["verdict"]
    if verdict in FAILED_VERDICTS:
        return MARK_BLOCKED
    if verdict == "not-cors":
        return ""
    if event["rule"] is not None and event["changes"]:
        return MARK_REWRITTEN
    if event["type"] == "preflight":
        return MARK_PREFLIGHT
    return MARK_ALLOWED if verdict == "allowed" else ""


def _pairing_note(event: Event) -> str:
    p = event["preflight"]
    if event["type"] != "request" or not p["needed"]:
        return ""
    if p["flow"] is not None:
        return " after its preflight"
    cache = p["cache"]
    if cache is not None:
        return f" (preflight cached {cache['age']:.0f} s ago, max-age {cache['max_age']} s)"
    return ""


def terminal_line(event: Event, color: bool = False) -> str:
    """One concise line per CORS event."""
    kind = event["type"]
    p = event["preflight"]
    where = f"{short_url(event['url'])} from {event['origin']}"
    if kind == "preflight":
        head = f"{_paint('PREFLIGHT', 'kind', color)} {p['method']} {where}"
    elif kind == "orphan":
        head = f"{_paint('ORPHAN', 'orphan', color)} preflight {p['method']} {where}"
    else:
        head = f"{event['method']} {where}{_pairing_note(event)}"
    if kind == "preflight" or (kind == "request" and p["needed"] and p["flow"] is None):
        why = reasons_text(event)
        if why:
            head += f", because {why}"
    if event["rule"] is not None:
        if any(w["code"] == "rule-made-it-worse" for w in event["warnings"]):
            tag = _paint(f"[rule {event['rule']!r} made it worse]", "blocked", color)
        else:
            tag = _paint(f"[rule {event['rule']!r}]", "rule", color)
        head = f"{tag} {head}"

    verdict = event["verdict"]
    error = event["error"]
    if verdict == "blocked" and error is not None:
        tail = f"{_paint('BLOCKED', 'blocked', color)}: {error['message']} Fix: {error['fix']}"
    elif verdict == "invalid-http" and error is not None:
        tail = f"{_paint('INVALID HTTP', 'blocked', color)}: {error['message']} Fix: {error['fix']}"
    elif verdict == "allowed":
        tail = _paint("allowed", "allowed", color)
        if kind == "preflight" and p["max_age"] is not None:
            tail += f" (cached {p['max_age']} s)"
    else:
        tail = verdict
    upstream = event["upstream"]
    if upstream is not None and upstream["verdict"] != verdict:
        code = upstream["error"]["code"] if upstream["error"] else upstream["verdict"]
        tail += f" [server alone: {upstream['verdict']}, {code}]"
    engines = event.get("engines")
    if engines:
        tail += summary_suffix(engines)
    codes = [w["code"] for w in event["warnings"] if w["code"] != "orphan-preflight"]
    if codes:
        tail += _paint(f" (warnings: {', '.join(codes)})", "dim", color)
    return f"{head} -> {tail}"


def _path(url: str, limit: int = 80) -> str:
    """The path and query of a URL (mitmweb shows the host in its own column)."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if len(path) <= limit else path[: limit - 3] + "..."


def headline(event: Event) -> str:
    """The first line of the comment, all that mitmweb's Comment column shows: the verdict
    first, then the error code and which request it is."""
    kind = event["type"]
    p = event["preflight"]
    where = f"{_path(event['url'])} from {event['origin']}"
    if kind == "preflight":
        what = f"preflight for {p['method']} {where}"
    elif kind == "orphan":
        what = f"preflight for {p['method']} {where}, no request followed"
    else:
        what = f"{event['method']} {where}"
    verdict = event["verdict"]
    if verdict == "not-cors":
        return f"NOT CORS ({event['mode']}): {what}"
    error = event["error"]
    code = f" {error['code']}" if error is not None else ""
    return f"{verdict.upper()}{code}: {what}"


def comment(event: Event) -> str:
    """The flow comment: the headline, then why it was preflighted, the browser's message, the
    fix, warnings and the rule; mitmweb shows it in the Comment column and tab."""
    lines = [headline(event)]
    if event["verdict"] == "not-cors":
        return lines[0]
    kind = event["type"]
    p = event["preflight"]
    if p["needed"]:
        lines.append("Preflighted because: " + reasons_text(event, "; "))
        if kind == "request":
            if p["flow"] is not None:
                lines.append(f"Preflight: flow {p['flow']}")
            elif p["cache"] is not None:
                c = p["cache"]
                lines.append(
                    f"No preflight: the browser reused the one of flow {c['flow']}"
                    f" ({c['age']:.0f} s ago, max-age {c['max_age']} s)"
                )
    error = event["error"]
    if error is not None:
        lines.append(error["message"])
        lines.append("Fix: " + error["fix"])
        lines.append(f"Firefox: {error['firefox']}")
    for w in event["warnings"]:
        lines.append(f"! {w['code']}: {w['message']}")
    if event["rule"] is not None:
        lines.append(_rule_text(event))
    return "\n".join(lines)


def _rule_text(event: Event) -> str:
    changes: dict[str, Any] | None = event["changes"]
    text = f"Rule {event['rule']!r}"
    if changes:
        parts = []
        if changes["answered"]:
            parts.append("answered the preflight at the proxy")
        if changes["status"]:
            parts.append(f"status {changes['status'][0]} -> {changes['status'][1]}")
        if changes["removed"]:
            parts.append("removed " + ", ".join(changes["removed"]))
        if changes["added"]:
            parts.append("set " + "; ".join(f"{k}: {v}" for k, v in changes["added"].items()))
        text += ": " + ", ".join(parts)
    upstream = event["upstream"]
    if upstream is not None:
        code = f" ({upstream['error']['code']})" if upstream["error"] else ""
        text += f". The server alone: {upstream['verdict']}{code}"
    return text


def explanation(event: Event) -> str:
    """Everything the event knows, for `cors.explain` and reports."""
    lines = [comment(event)]
    error = event["error"]
    if error is not None:
        lines.append("Console: " + error["console"])
    lines.append(
        f"Mode {event['mode']}, credentials {event['credentials']}, status {event['status']},"
        f" judged as {event['browser']}"
    )
    if event["redirected_from"]:
        lines.append(f"Redirected from {event['redirected_from']}")
    if event["preflight"]["headers"]:
        lines.append("Access-Control-Request-Headers: " + ",".join(event["preflight"]["headers"]))
    engines = event.get("engines")
    if engines:
        lines.extend(engine_lines(engines))
    return "\n".join(lines)
