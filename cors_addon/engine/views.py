"""Each engine's view of one flow: would Chromium, Firefox and WebKit preflight it (and
announce which names), what each decides, and each one's error in its own words.

One judgement serves all three where their rules agree (an actual response's CORS check is
the same in every engine); an engine's own classification is computed only when the request
carries a header whose safelisting differs between engines, and a preflight is judged again
only when the engines' orders of checks can differ (a failing, non-2xx preflight).
"""

from __future__ import annotations

from typing import Any

from .browsers import CHROMIUM_EXTRA_SAFELISTED
from .browsers import ENGINES
from .browsers import BrowserProfile
from .checks import is_redirect
from .checks import location_url
from .classify import SAFELISTED_METHODS
from .classify import classify
from .model import FAILED_VERDICTS
from .model import Classification
from .model import CorsError
from .model import CorsWarning
from .model import Preflight
from .model import Reason
from .model import Verdict
from .model import WireRequest
from .model import WireResponse
from .sentences import Context
from .sentences import chromium_lines
from .sentences import firefox_lines
from .sentences import webkit_lines
from .verdict import judge
from .warnings import warning

EngineView = dict[str, Any]  # {"preflight": {...}, "verdict": ..., "error": ...}

# Headers whose safelisting differs between engines (Chromium's extra names, WebKit's Range)
# and those that count towards Chromium's 1024-byte total.
_SENSITIVE = frozenset({"range", *CHROMIUM_EXTRA_SAFELISTED})
_TOTALLED = ("accept", "accept-language", "content-language", "content-type")
_TOTAL_LIMIT = 1024

LABELS = {"chromium": "Chromium", "firefox": "Firefox", "webkit": "WebKit (Safari)"}


def _engine_sensitive(req: WireRequest) -> bool:
    h = req.headers
    if any(name in h for name in _SENSITIVE):
        return True
    total = 0
    for name in _TOTALLED:
        value = h.get(name)
        if value is not None:
            total += len(value)
    return total > _TOTAL_LIMIT


def _with_user_agent(p: Preflight, profile: BrowserProfile, script_ua: bool) -> Preflight:
    """A page-set User-Agent: Firefox and WebKit send and preflight it, Chromium drops it."""
    has = "user-agent" in p.headers
    if profile.script_user_agent == "dropped":
        if not has:
            return p
        headers = tuple(n for n in p.headers if n != "user-agent")
        reasons = tuple(r for r in p.reasons if r.detail != "user-agent")
        needed = (
            bool(headers)
            or p.method.upper() not in SAFELISTED_METHODS
            or any(r.code not in ("header-not-safelisted",) for r in reasons)
        )
        return p._replace(needed=needed, reasons=reasons, headers=headers)
    if not script_ua or has:
        return p
    headers = tuple(sorted((*p.headers, "user-agent")))
    reasons = (*p.reasons, Reason("header-not-safelisted", "user-agent"))
    return p._replace(needed=True, reasons=reasons, headers=headers)


def predictions(
    req: WireRequest,
    c: Classification,
    primary: BrowserProfile,
    predicted: Preflight | None = None,
    *,
    script_ua: bool = False,
) -> dict[str, Preflight]:
    """Each engine's preflight for this request. The primary engine's is `c.preflight` (for
    a paired request: what its preflight announced); the others' are their own rules'
    prediction (`predicted`: the primary's before the paired preflight overrode it)."""
    base = predicted or c.preflight
    sensitive = not c.is_preflight and _engine_sensitive(req)
    out: dict[str, Preflight] = {}
    for profile in ENGINES:
        if profile is primary:
            out[profile.name] = c.preflight
            continue
        if c.is_preflight:
            p = c.preflight
        elif sensitive:
            p = classify(req, profile).preflight
        else:
            p = base
        out[profile.name] = _with_user_agent(p, profile, script_ua or "user-agent" in p.headers)
    return out


def context(req: WireRequest, c: Classification, resp: WireResponse | None) -> Context:
    redirect_to = None
    acam = acah = None
    lines = 1
    if resp is not None:
        h = resp.headers
        lines = h.count("access-control-allow-origin")
        acam = h.get("access-control-allow-methods")
        acah = h.get("access-control-allow-headers")
        if is_redirect(resp):
            redirect_to = location_url(resp, req.url)
    return Context(
        url=req.url,
        origin=c.origin if c.origin is not None else "null",
        kind=c.kind,
        status=resp.status if resp is not None else None,
        acao_lines=lines,
        acam=acam,
        acah=acah,
        redirect_to=redirect_to,
        preflight=c.is_preflight,
    )


def error_view(engine: str, error: CorsError, ctx: Context) -> dict[str, Any]:
    """{code, messages} of one engine for a failure."""
    if engine == "chromium":
        return {"code": error.code, "messages": chromium_lines(error)}
    code, lines = firefox_lines(error, ctx) if engine == "firefox" else webkit_lines(error, ctx)
    return {"code": code, "messages": lines}


def view(p: Preflight, verdict: str, error: dict[str, Any] | None) -> EngineView:
    return {
        "preflight": {"needed": p.needed, "headers": list(p.headers)},
        "verdict": verdict,
        "error": error,
    }


def engine_views(
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
    primary: BrowserProfile,
    verdict: Verdict,
    *,
    predicted: Preflight | None = None,
    script_ua: bool = False,
    redirected_from: str | None = None,
    error_text: str | None = None,
    initiator: str | None = None,
) -> dict[str, EngineView]:
    """The `engines` field of an event: every engine's preflight, verdict and error."""
    preflights = predictions(req, c, primary, predicted, script_ua=script_ua)
    ctx: Context | None = None
    out: dict[str, EngineView] = {}
    for profile in ENGINES:
        name = profile.name
        p = preflights[name]
        v = verdict
        if profile is not primary and c.is_preflight and verdict.verdict != "not-cors":
            if not p.needed:
                out[name] = view(p, "unknown", None)  # this engine would send no preflight
                continue
            if p.headers != c.preflight.headers or (
                resp is not None
                and not 200 <= resp.status <= 299
                and profile.preflight_status_first != primary.preflight_status_first
            ):
                v = judge(
                    req,
                    c._replace(preflight=p),
                    resp,
                    profile,
                    redirected_from=redirected_from,
                    error_text=error_text,
                    initiator=initiator,
                )
        error = None
        if v.verdict in FAILED_VERDICTS and v.error is not None:
            if ctx is None:
                ctx = context(req, c, resp)
            error = error_view(name, v.error, ctx)
        out[name] = view(p, v.verdict, error)
    return out


def blocked_views(
    views: dict[str, EngineView],
    error: CorsError,
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
) -> dict[str, EngineView]:
    """The views once `error` blocks in every engine that sends the request (an orphan
    preflight whose request carried credentials)."""
    ctx = context(req, c, resp)
    out = {}
    for name, v in views.items():
        if v["verdict"] == "unknown" and not v["preflight"]["needed"]:
            out[name] = v
            continue
        out[name] = {**v, "verdict": "blocked", "error": error_view(name, error, ctx)}
    return out


def _names(engines: list[str]) -> str:
    labels = [LABELS[e] for e in engines]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _preflight_words(v: EngineView) -> str:
    p = v["preflight"]
    if not p["needed"]:
        return "no preflight"
    return "preflight announcing " + (", ".join(p["headers"]) or "no headers")


def disagreement(views: dict[str, EngineView]) -> CorsWarning | None:
    """The `engines-disagree` warning when one engine blocks and another does not."""
    blocked = [e for e, v in views.items() if v["verdict"] == "blocked"]
    if not blocked or len(blocked) == len(views):
        return None
    allowed = [e for e, v in views.items() if v["verdict"] == "allowed"]
    unsent = [e for e, v in views.items() if e not in blocked and e not in allowed]
    sides = []
    if allowed:
        sides.append(f"allowed in {_names(allowed)}")
    sides.append(f"blocked in {_names(blocked)}")
    first = views[blocked[0]]
    error = first["error"]
    detail = error["messages"][0] if error and error["messages"] else ""
    differ = [e for e in views if views[e]["preflight"] != first["preflight"]]
    why = ", ".join(f"{LABELS[e]}: {_preflight_words(views[e])}" for e in [blocked[0], *differ])
    why = why if differ else ""
    variant = None
    values: dict[str, str] = {"sides": ", ".join(sides), "detail": detail}
    if unsent:
        variant = "unsent"
        values["unsent"] = _names(unsent)
    if why:
        values["detail"] = f"{detail} ({why})" if detail else why
    return warning("engines-disagree", variant, **values)


def summary_suffix(views: dict[str, EngineView]) -> str:
    """The terminal line's short suffix: which engines block, when not all do."""
    blocked = [e for e, v in views.items() if v["verdict"] == "blocked"]
    if not blocked or len(blocked) == len(views):
        return ""
    return " [blocked only in " + _names(blocked) + "]"


def engine_lines(views: dict[str, EngineView]) -> list[str]:
    """The per-engine view in words, one line per engine (explain, reports)."""
    lines = []
    for name, v in views.items():
        p = v["preflight"]
        pf = (
            "preflight " + (",".join(p["headers"]) or "(no headers)")
            if p["needed"]
            else "no preflight"
        )
        text = f"{LABELS[name]}: {v['verdict']}, {pf}"
        error = v["error"]
        if error is not None:
            text += f"; {error['code']}: " + " / ".join(error["messages"])
        lines.append(text)
    return lines
