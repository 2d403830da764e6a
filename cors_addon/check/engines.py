"""What each engine decides and says about one exchange: the only place in `check` that
asks the engine (cors_addon.engine) with a browser profile.

- `ENGINES` and `profile()`: the names check uses (chromium, firefox, webkit) and the
  engine profile behind each (engine/browsers.py; `safari` is an alias of webkit);
- `announce()`: whether that engine preflights a request, why, and the
  Access-Control-Request-Headers it sends;
- `judge()`: that engine's verdict on a preflight or request/response, in its own words
  (`Judged`), with the event in the event-log schema.

Each engine's code and console lines come from the engine's per-engine model
(engine/views.py, engine/sentences.py), as in every event's `engines` field.
"""

from __future__ import annotations

from typing import NamedTuple

from ..engine import BrowserProfile
from ..engine import Classification
from ..engine import CorsError
from ..engine import Headers
from ..engine import Preflight
from ..engine import Reason
from ..engine import WireRequest
from ..engine import WireResponse
from ..engine import classify
from ..engine import judge_preflight
from ..engine import judge_request
from ..engine import preflight_reasons
from ..engine.browsers import ALIASES
from ..engine.browsers import PROFILES
from ..engine.views import context
from ..engine.views import engine_views
from ..engine.views import error_view
from ..events import Event
from ..events import build_event

ENGINES = ("chromium", "firefox", "webkit")
_PROFILES: dict[str, BrowserProfile] = PROFILES
_ALIASES = ALIASES


class EngineError(ValueError):
    pass


def profile(engine: str) -> BrowserProfile:
    return _PROFILES[engine]


def parse_engines(text: str) -> tuple[str, ...]:
    """`--browsers chromium,firefox,webkit`: known names, each once, in the given order."""
    chosen: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if name not in _PROFILES:
            raise EngineError(
                f"--browsers: unknown browser engine {part.strip()!r}: choose from"
                f" {', '.join(ENGINES)}"
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise EngineError(f"--browsers: name at least one of {', '.join(ENGINES)}")
    return tuple(chosen)


def announce(
    engine: str, method: str, fields: tuple[tuple[str, str], ...], script_user_agent: bool
) -> Preflight:
    """Does this engine preflight a cross-origin cors-mode request with these author
    headers, why, and which names go into Access-Control-Request-Headers?

    `script_user_agent`: the page set User-Agent itself. The engine never counts
    User-Agent (a proxy cannot tell the script's from the browser's); check knows, and
    only Chromium drops it (browser-engines.md, "Engine differences observed").
    """
    p = profile(engine)
    headers = Headers(fields)
    reasons, names = preflight_reasons(method, headers, p)
    if script_user_agent and p.script_user_agent != "dropped":
        reasons = (*reasons, Reason("header-not-safelisted", "user-agent"))
        names = tuple(sorted({*names, "user-agent"}))
    return Preflight(bool(reasons), reasons, method, names)


class Judged(NamedTuple):
    """One engine's verdict on one exchange, in that engine's words."""

    engine: str
    verdict: str  # allowed | blocked
    code: str | None  # the engine's name for the error: Chromium's CorsError, Firefox's reason
    sentences: tuple[str, ...]  # the engine's console lines, verbatim, where known
    detail: str | None  # what is wrong, in words
    fix: str | None
    network_error: str | None  # no response: not a CORS decision
    warnings: tuple[str, ...]  # warning codes
    event: Event


def _words(
    engine: str, error: CorsError, wire: WireRequest, c: Classification, resp: WireResponse | None
) -> tuple[str, tuple[str, ...]]:
    """The engine's code and console lines for an error (engine/sentences.py): Chromium's
    CorsError, Firefox's reason code, WebKit's failure id (it prints no codes)."""
    words = error_view(engine, error, context(wire, c, resp))
    return words["code"], tuple(words["messages"])


def judge(
    engine: str,
    *,
    wire: WireRequest,
    announced: Preflight,
    credentials: bool,
    resp: WireResponse | None,
    error_text: str | None = None,
    flow: str,
    time: float,
    ms: float | None = None,
    paired_flow: str | None = None,
    redirected_from: str | None = None,
    initiator: str | None = None,
) -> Judged:
    """This engine's verdict on `wire` (a preflight when it is OPTIONS with
    Access-Control-Request-Method, else the actual request) answered by `resp` (None:
    no response, `error_text` says why)."""
    p = profile(engine)
    c = classify(wire, p)
    # check knows what the wire cannot show: a fetch() in cors mode with this credentials
    # mode, preflighted (or not) for the reasons this engine has.
    c = c._replace(
        mode="cors",
        mode_inferred=False,
        cors=True,
        credentials="include" if credentials else "unknown",
        credentials_evidence="check" if credentials else None,
        preflight=announced,
    )
    kw = {"redirected_from": redirected_from, "error_text": error_text, "initiator": initiator}
    if c.is_preflight:
        verdict = judge_preflight(wire, c, resp, p, credentials=credentials, **kw)
    else:
        verdict = judge_request(wire, c, resp, p, **kw)
    event = build_event(
        type="preflight" if c.is_preflight else "request",
        flow=flow,
        time=time,
        method=wire.method,
        url=wire.url,
        c=c,
        status=resp.status if resp is not None else None,
        verdict=verdict,
        browser=p.name,
        paired_flow=paired_flow,
        ms=ms,
        redirected_from=redirected_from,
        engines=engine_views(wire, c, resp, p, verdict, **kw),
    )
    error = verdict.error
    code, sentences = _words(engine, error, wire, c, resp) if error is not None else (None, ())
    return Judged(
        engine=engine,
        verdict=verdict.verdict,
        code=code,
        sentences=sentences,
        detail=error.message if error is not None else None,
        fix=error.fix if error is not None else None,
        network_error=(error_text or "no response") if resp is None else None,
        warnings=tuple(w.code for w in verdict.warnings),
        event=event,
    )
