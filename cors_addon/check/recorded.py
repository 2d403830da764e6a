"""`check --from FILE`: the distinct cross-origin calls a recording holds, ready to be made
again, against the same servers or others (`--base`).

FILE is the proxy's event log (JSONL), a HAR or a mitmproxy flow file; captures are read
with the analyze package, exactly as `analyze` reads them. A call is what the page did:
its method, URL, page origin, credentials mode and the headers that matter. Actual
requests give it directly; a preflight that no request followed (the browser stopped
there) gives it from what the preflight announced. Redirect hops are not calls: the
chain is followed again from its first URL.

The event log keeps header names, not values: values are rebuilt from the recorded
preflight reasons (Content-Type application/json, ...) so that each engine computes the
same Access-Control-Request-Headers. Recorded Cookie and Authorization values are never
replayed (see credentials.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from ..analyze.needs import is_credentialed
from ..analyze.replay import Replay
from ..analyze.sources import Capture
from ..analyze.sources import CaptureError
from ..engine import PROFILES
from ..engine import Headers
from ..engine import preflight_reasons
from ..engine import url_origin
from ..engine.origins import split_url
from .call import Call
from .call import CallError
from .call import author_fields
from .call import check_url
from .credentials import ServerCredentials

AUTH_PLACEHOLDER = "cors-addon-check-placeholder"
_FIRST_LINE_LIMIT = 1 << 20
_EVENT_KEYS = ("type", "method", "url", "origin", "credentials", "preflight", "verdict")

# Values that make a header name CORS-unsafe in every engine, by name; the first that
# works for the recording's engine is used.
_UNSAFE_VALUES = {
    "content-type": ("application/json",),
    "accept": ('application/json; x="1"',),
    "accept-language": ("x_y",),
    "content-language": ("x_y",),
    "range": ("bytes=1-0",),
    "authorization": (AUTH_PLACEHOLDER,),
}
_FALLBACK_VALUES = ("x", "x" * 129)


class RecordingError(ValueError):
    """The file cannot be read as a recording; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Base:
    """--base: send calls to `to` (an origin plus an optional path prefix) instead of
    `server` (every server when None)."""

    server: str | None
    to: str

    @classmethod
    def parse(cls, text: str) -> Base:
        server, sep, to = text.partition("=")
        if not sep:
            server, to = "", text
        try:
            to = check_url(to.strip(), "--base")
            frm = url_origin(check_url(server.strip(), "--base")) if server.strip() else None
        except CallError as e:
            raise RecordingError(f"{e} (expected URL or FROM=TO)") from None
        return cls(frm, to.rstrip("/"))

    def apply(self, url: str) -> str | None:
        if self.server is not None and url_origin(url) != self.server:
            return None
        prefix = split_url(self.to)[3].split("?", 1)[0].rstrip("/")
        return url_origin(self.to) + prefix + split_url(url)[3]


def rebase(url: str, bases: Iterable[Base]) -> str:
    """The URL a recorded call goes to: the first matching FROM=TO, else a plain --base."""
    ordered = sorted(bases, key=lambda b: b.server is None)
    for base in ordered:
        target = base.apply(url)
        if target is not None:
            return target
    return url


# -- reading --------------------------------------------------------------------------------


def _is_event_log(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            line = f.readline(_FIRST_LINE_LIMIT)
            while line and not line.strip():
                line = f.readline(_FIRST_LINE_LIMIT)
    except OSError:
        return False  # Capture reports the problem
    try:
        first = json.loads(line)
    except ValueError:
        return False
    return isinstance(first, dict) and "v" in first and "type" in first


def _event_log(path: str) -> Iterator[tuple[dict[str, Any], None]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                if not line.endswith("\n"):
                    continue  # the last line, still being written
                raise RecordingError(f"{path}:{n}: not a JSON line of an event log") from None
            if not isinstance(event, dict) or any(k not in event for k in _EVENT_KEYS):
                raise RecordingError(f"{path}:{n}: not a cors_addon event")
            yield event, None


def _capture(path: str) -> Iterator[tuple[dict[str, Any], Any]]:
    try:
        yield from Replay().run(Capture(path).exchanges())
    except CaptureError as e:
        raise RecordingError(str(e)) from None


def recorded_events(path: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """(event, exchange or None) for every event of the recording."""
    if _is_event_log(path):
        yield from _event_log(path)
    else:
        yield from _capture(path)


# -- calls ----------------------------------------------------------------------------------


def _unsafe_value(name: str, method: str, browser: str, hint: str | None) -> str:
    """A value for header `name` that the recording's engine counts as CORS-unsafe."""
    profile = PROFILES.get(browser, PROFILES["chromium"])
    for value in ((hint,) if hint else ()) + _UNSAFE_VALUES.get(name, ()) + _FALLBACK_VALUES:
        _, names = preflight_reasons(method, Headers([(name, value)]), profile)
        if name in names:
            return value
    return _FALLBACK_VALUES[-1]


def _hints(event: dict[str, Any]) -> dict[str, str]:
    """Header values the recorded reasons tell."""
    hints = {}
    for r in event["preflight"].get("reasons") or ():
        code, detail = r.get("code"), r.get("detail", "")
        if code == "content-type-not-safelisted" or code == "content-type-unparseable":
            hints["content-type"] = detail
        elif code == "range-not-simple":
            hints["range"] = detail
    return hints


def _rebuilt(event: dict[str, Any], method: str) -> tuple[tuple[str, str], ...]:
    hints = _hints(event)
    browser = event.get("browser", "chromium")
    return tuple(
        (name, _unsafe_value(name, method, browser, hints.get(name)))
        for name in event["preflight"]["headers"]
    )


def _cross_origin_cors(event: dict[str, Any]) -> bool:
    if event["verdict"] == "not-cors" or event.get("mode") not in ("cors", "unknown"):
        return False
    return event["origin"] == "null" or url_origin(event["url"]) != event["origin"]


def calls_from_events(
    items: Iterable[tuple[dict[str, Any], Any]],
) -> tuple[list[Call], list[str]]:
    """The distinct calls of a recording (in first-seen order), and notes about it."""
    requests: list[Call] = []
    preflights: list[Call] = []
    skipped_hops = 0
    for event, ex in items:
        if not _cross_origin_cors(event) or event["type"] not in ("request", "preflight", "orphan"):
            continue
        if event.get("redirected_from"):
            skipped_hops += 1
            continue
        credentials = "include" if is_credentialed(event) else "omit"
        if event["type"] == "request":
            method = event["method"]
            # a capture has the values; the event log only the names that matter
            fields = author_fields(ex.request.fields) if ex is not None else _rebuilt(event, method)
            requests.append(Call(event["url"], event["origin"], method, fields, credentials))
        else:
            method = event["preflight"]["method"]
            fields = _rebuilt(event, method)
            preflights.append(Call(event["url"], event["origin"], method, fields, credentials))
    made = {(c.method, c.url, c.origin) for c in requests}
    # a preflight and its orphan are one call; the orphan may show it was credentialed
    credentialed = {(c.method, c.url, c.origin) for c in preflights if c.credentialed}
    calls = requests + [
        replace(c, credentials="include") if (c.method, c.url, c.origin) in credentialed else c
        for c in preflights
        if (c.method, c.url, c.origin) not in made
    ]
    notes = []
    if skipped_hops:
        notes.append(
            f"{skipped_hops} redirect hops were not replayed on their own: each chain is"
            " followed again from its first URL"
        )
    return _distinct(calls), notes


def _distinct(calls: Iterable[Call]) -> list[Call]:
    seen: dict[tuple[object, ...], Call] = {}
    for call in calls:
        seen.setdefault(call.key(), call)
    return list(seen.values())


def prepare(
    calls: Iterable[Call],
    bases: Iterable[Base] = (),
    credentials: dict[str, ServerCredentials] | None = None,
) -> list[Call]:
    """Each call pointed at its target (--base) with the credentials it may carry: recorded
    Authorization values replaced, cookies only from the credentials file."""
    bases = list(bases)
    out = []
    for call in calls:
        url = rebase(call.url, bases)
        if call.origin != "null" and url_origin(url) == call.origin:
            continue  # --base made it same-origin: no CORS
        creds = (credentials or {}).get(url_origin(url))
        notes: list[str] = []
        fields = []
        for name, value in call.headers:
            if name.lower() == "authorization":
                if creds is not None and creds.authorization is not None:
                    value = creds.authorization
                else:
                    value = AUTH_PLACEHOLDER
                    notes.append(
                        "Authorization carries a placeholder: recorded values are never"
                        " replayed (--with-credentials-from gives one)"
                    )
            fields.append((name, value))
        cookie = None
        if call.credentialed:
            if creds is not None and creds.cookie is not None:
                cookie = creds.cookie
            else:
                notes.append(
                    "sent with credentials but no cookies: recorded cookies are never"
                    " replayed (--with-credentials-from gives them)"
                )
        out.append(replace(call, url=url, headers=tuple(fields), cookie=cookie, notes=tuple(notes)))
    return _distinct(out)


def load_calls(path: str) -> tuple[list[Call], list[str]]:
    try:
        return calls_from_events(recorded_events(path))
    except UnicodeDecodeError as e:
        raise RecordingError(f"{path}: cannot read the file: {e}") from None
