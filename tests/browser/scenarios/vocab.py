"""The catalogue's vocabulary: scenario, request and observation types, and response helpers."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from harness.servers import Resp
from harness.servers import Route
from harness.servers import SeenRequest

# -- vocabulary --------------------------------------------------------------------------------

ACAO_O = ("Access-Control-Allow-Origin", "{O}")
ACAO_STAR = ("Access-Control-Allow-Origin", "*")
ACAC = ("Access-Control-Allow-Credentials", "true")


def acao(v: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Origin", v)


def acam(v: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Methods", v)


def acah(v: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Headers", v)


def max_age(v: str) -> tuple[str, str]:
    return ("Access-Control-Max-Age", v)


def ok(*headers: tuple[str, str], status: int = 200, body: str = "ok") -> Resp:
    return Resp(status, [("Content-Type", "text/plain"), *headers], body)


def pf(*headers: tuple[str, str], status: int = 204) -> Resp:
    return Resp(status, list(headers))


def loc(status: int, location: str, *headers: tuple[str, str]) -> Resp:
    return Resp(status, [("Location", location), *headers])


def api(preflight: Resp | None = None, actual: Resp | None = None) -> Route:
    return Route(preflight=preflight, actual=actual)


# A preflight that allows everything a non-credentialed request can ask for.
PF_OPEN = pf(ACAO_O, acam("*"), acah("*"))
OK_O = ok(ACAO_O)
OK_STAR = ok(ACAO_STAR)
OPEN = api(PF_OPEN, OK_O)  # preflight and actual both pass (non-credentialed)


@dataclass(frozen=True)
class Request:
    api: str = "fetch"  # "fetch" | "xhr"
    method: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    credentials: str | None = None  # fetch credentials; for XHR "include" = withCredentials
    mode: str | None = None  # fetch mode ("no-cors", ...)
    target: str = "B"  # which origin the URL points at: B, X, BS or A (the page server)
    name: str = "r"  # first route hit
    upload_listener: bool = False  # XHR only
    redirect: str | None = None  # fetch redirect mode ("manual", "error")
    read_headers: tuple[str, ...] = ()  # fetch: response headers the script reads (shown in js)


@dataclass(frozen=True)
class Expect:
    """What one engine did. `issues` is the engine's error, per engine:
    - chromium: (corsError, failedParameter) per Audits CorsIssue;
    - firefox: (reason code, the template's second value) per "Cross-Origin Request Blocked"
      console line, in order (the code is the template key without its digit; the value is the
      status of "Status code: N." or the Allow-Origin value, header name, bad token);
    - webkit: none (WebKit has no codes: its error is the detail sentence in `console`).
    `console` is every error-level console text, word for word, in order; `blocked` is Chromium's
    Audits CorsIssue, Firefox's "Cross-Origin Request Blocked" line, WebKit's "... due to access
    control checks." line."""

    js: str  # "200", "TypeError: Failed to fetch", ...; " | " between repeated attempts
    seen: tuple[str, ...]
    preflight: bool = False  # a preflight (OPTIONS with ACRM) reached a server
    acrh: str | None = None  # Access-Control-Request-Headers of the first preflight
    blocked: bool = False
    issues: tuple[tuple[str, str], ...] = ()  # the engine's error codes (see above)
    console: tuple[str, ...] = ()  # every error-level console text, exact
    deprecations: tuple[str, ...] = ()  # Chromium: DeprecationIssue types from Audits

    @property
    def cors_error(self) -> str | None:
        return self.issues[0][0] if self.issues else None

    @property
    def failed_parameter(self) -> str | None:
        return self.issues[0][1] if self.issues else None


class Same:
    """`firefox=SAME` / `webkit=SAME`: the engine did exactly what Chromium did (every field)."""

    def __repr__(self) -> str:
        return "SAME"


SAME = Same()

ENGINES = ("chromium", "firefox", "webkit")


@dataclass(frozen=True)
class Scenario:
    id: str
    desc: str
    request: Request
    routes: dict[str, Route]
    expect: Expect | None  # Chromium's
    page: str = "A"  # "A" or "A2" (cross-site page on 127.0.0.2)
    page_routes: dict[str, Route] = field(default_factory=dict)  # routes on the page server
    repeat: int = 1  # send the request this many times ...
    gap_ms: int = 0  # ... this far apart (preflight-cache cases)
    cookie: bool = False  # first set a cookie `sid` from the API origin (credentialed fetch)
    check_headers: tuple[str, ...] = ()  # show these request headers in `seen` (non-preflights)
    firefox: Expect | Same | None = None  # Firefox's observation (None: not recorded yet)
    webkit: Expect | Same | None = None  # WebKit's observation
    wpt: str | None = None  # the web-platform-tests file the scenario is drawn from

    def expect_for(self, engine: str) -> Expect | None:
        """The declared observation of `engine` ("chromium", "firefox" or "webkit")."""
        if engine == "chromium":
            return self.expect
        value = {"firefox": self.firefox, "webkit": self.webkit}[engine]
        return self.expect if isinstance(value, Same) else value


S = Scenario
R = Request
E = Expect
FAILED = "TypeError: Failed to fetch"  # Chromium's fetch rejection
FF_FAILED = "TypeError: NetworkError when attempting to fetch resource."  # Firefox's
WK_FAILED = "TypeError: Load failed"  # WebKit's
XHR_FAILED = "Error: XHR error event, status 0"  # xhr_script's own rejection, every engine
NET = "Failed to load resource: net::ERR_FAILED"  # Chromium's network line after a CORS error

# Each value is individually safelisted (Chromium also safelists numeric DPR, Device-Memory, Width,
# Viewport-Width); together they are exactly 1024 bytes.
SAFELISTED_1024 = (
    ("Accept", "a/" + "b" * 126),
    ("Accept-Language", "en" + "-abcdefgh" * 14),
    ("Content-Language", "de" + "-abcdefgh" * 14),
    ("Content-Type", "text/plain;x=" + "y" * 115),
    ("DPR", "1." + "0" * 126),
    ("Device-Memory", "8." + "0" * 126),
    ("Width", "1" * 128),
    ("Viewport-Width", "2" * 128),
)
assert sum(len(v) for _, v in SAFELISTED_1024) == 1024


@dataclass(frozen=True)
class Conditional:
    """A responder as data (so placeholders can be filled): `then` when the request carries
    header `when` (e.g. If-None-Match on a revalidation), else `otherwise`."""

    when: str
    then: Resp
    otherwise: Resp

    def __call__(self, req: SeenRequest) -> Resp:
        return self.then if req.header(self.when) is not None else self.otherwise
