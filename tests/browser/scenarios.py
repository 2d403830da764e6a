# ruff: noqa: E501  (expected console texts are quoted whole)
"""Catalogue of CORS scenarios with what Chromium 156 was OBSERVED to do (through plain mitmdump).

Each `Scenario` says what the page does (`Request`), how the API answers (`routes`, keyed by the
last path segment under /c/<id>/), and, in `expect`, what Chromium decided. The expectations were
recorded with record_facts.py and are kept honest by test_chromium_ground_truth.py.

Placeholders, substituted per run (all loopback, ephemeral ports):
  {O}  origin of the page running the script     {A}  page server on 127.0.0.1 ("origin A")
  {A2} page server on 127.0.0.2 (cross-site page) {B}  API on 127.0.0.1 (same site as A)
  {X}  API on 127.0.0.2 (cross-site)              {BS} API over HTTPS on 127.0.0.1
  {Bu} {B} with userinfo `u:p@`                   {C}  the case's path prefix, /c/<id>
  {O_UPPER} the page origin upper-cased            {UA} the browser's own User-Agent

`Expect.seen` lists what the servers received, in order, as "METHOD <server>/<name>", with
" cookie" when a Cookie header was sent, " origin=<v>" when the Origin header was not the page's
origin ("origin=-" when absent), and " <name>=<value>" for each of the scenario's `check_headers`
on non-preflight requests ({UA} is the browser's own User-Agent).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from harness.servers import Resp
from harness.servers import Route

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


@dataclass(frozen=True)
class Expect:
    js: str  # "200", "TypeError: Failed to fetch", ...; " | " between repeated attempts
    seen: tuple[str, ...]
    preflight: bool = False  # a preflight (OPTIONS with ACRM) reached a server
    acrh: str | None = None  # Access-Control-Request-Headers of the first preflight
    blocked: bool = False
    issues: tuple[tuple[str, str], ...] = ()  # (corsError, failedParameter) from Audits
    console: tuple[str, ...] = ()  # every error-level console text, exact
    deprecations: tuple[str, ...] = ()  # DeprecationIssue types from Audits

    @property
    def cors_error(self) -> str | None:
        return self.issues[0][0] if self.issues else None

    @property
    def failed_parameter(self) -> str | None:
        return self.issues[0][1] if self.issues else None


@dataclass(frozen=True)
class Scenario:
    id: str
    desc: str
    request: Request
    routes: dict[str, Route]
    expect: Expect | None
    page: str = "A"  # "A" or "A2" (cross-site page on 127.0.0.2)
    page_routes: dict[str, Route] = field(default_factory=dict)  # routes on the page server
    repeat: int = 1  # send the request this many times ...
    gap_ms: int = 0  # ... this far apart (preflight-cache cases)
    cookie: bool = False  # first set a cookie `sid` from the API origin (credentialed fetch)
    check_headers: tuple[str, ...] = ()  # show these request headers in `seen` (non-preflights)


S = Scenario
R = Request
E = Expect
FAILED = "TypeError: Failed to fetch"
XHR_FAILED = "Error: XHR error event, status 0"
NET = "Failed to load resource: net::ERR_FAILED"

SCENARIOS: list[Scenario] = []

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


def add(*scenarios: Scenario) -> None:
    SCENARIOS.extend(scenarios)


# -- 1. simple requests --------------------------------------------------------------------------
add(
    S(
        "simple-get-acao-star",
        "GET, no author headers; ACAO *",
        R(),
        {"r": api(actual=OK_STAR)},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "simple-get-acao-origin",
        "GET; ACAO = page origin",
        R(),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "simple-head",
        "HEAD; ACAO *",
        R(method="HEAD"),
        {"r": api(actual=OK_STAR)},
        E(js="200", seen=("HEAD B/r",)),
    ),
    S(
        "simple-post-text",
        "POST string body (text/plain;charset=UTF-8)",
        R(method="POST", body="hello"),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("POST B/r",)),
    ),
    S(
        "simple-post-form",
        "POST Content-Type application/x-www-form-urlencoded",
        R(
            method="POST",
            headers=(("Content-Type", "application/x-www-form-urlencoded"),),
            body="a=1",
        ),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("POST B/r",)),
    ),
    S(
        "simple-post-multipart",
        "POST Content-Type multipart/form-data; boundary=x",
        R(
            method="POST",
            headers=(("Content-Type", "multipart/form-data; boundary=x"),),
            body="--x--",
        ),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("POST B/r",)),
    ),
    S(
        "simple-text-plain-charset",
        "POST Content-Type text/plain;charset=utf-8 (unquoted)",
        R(method="POST", headers=(("Content-Type", "text/plain;charset=utf-8"),), body="x"),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("POST B/r",)),
    ),
    S(
        "simple-content-language",
        "GET Content-Language 'de-CH, en;q=0.5'",
        R(headers=(("Content-Language", "de-CH, en;q=0.5"),)),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "simple-no-cors",
        "fetch mode no-cors, no ACAO (opaque response, no CORS check)",
        R(mode="no-cors"),
        {"r": api(actual=ok())},
        E(js="0", seen=("GET B/r origin=-",)),
    ),
    S(
        "simple-same-origin-custom-header",
        "same-origin GET with X-Custom (no CORS at all)",
        R(target="A", headers=(("X-Custom", "1"),)),
        {},
        E(js="200", seen=("GET O/r origin=-",)),
        page_routes={"r": api(actual=ok())},
    ),
    S(
        "simple-accept-list",
        "GET Accept 'application/json, text/plain, */*'",
        R(headers=(("Accept", "application/json, text/plain, */*"),)),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("GET B/r",)),
    ),
)

# -- 2. what triggers a preflight (preflight and actual both pass) -------------------------------
add(
    S(
        "pf-method-put",
        "PUT",
        R(method="PUT"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
    ),
    S(
        "pf-method-delete",
        "DELETE",
        R(method="DELETE"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "DELETE B/r"), preflight=True),
    ),
    S(
        "pf-method-put-lowercase",
        "fetch method 'put' (normalized to PUT)",
        R(method="put"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
    ),
    S(
        "pf-method-patch-lowercase-star",
        "fetch method 'patch' (not normalized); ACAM *",
        R(method="patch"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "patch B/r"), preflight=True),
    ),
    S(
        "pf-header-custom",
        "GET with X-Custom",
        R(headers=(("X-Custom", "1"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-custom"),
    ),
    S(
        "pf-headers-sorted",
        "GET with X-B, X-A, Authorization: ACRH is sorted, lower-case",
        R(headers=(("X-B", "1"), ("X-A", "1"), ("Authorization", "Bearer t"))),
        {"r": api(pf(ACAO_O, acah("x-a, x-b, authorization")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="authorization,x-a,x-b"),
    ),
    S(
        "pf-accept-129",
        "Accept value of 129 bytes",
        R(headers=(("Accept", "a/" + "b" * 127),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="accept"),
    ),
    S(
        "simple-accept-128",
        "Accept value of exactly 128 bytes (limit)",
        R(headers=(("Accept", "a/" + "b" * 126),)),
        {"r": OPEN},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "pf-accept-quote",
        "Accept with an unsafe byte '\"'",
        R(headers=(("Accept", 'application/"json"'),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="accept"),
    ),
    S(
        "pf-accept-language-underscore",
        "Accept-Language zh_CN",
        R(headers=(("Accept-Language", "zh_CN"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="accept-language"),
    ),
    S(
        "pf-content-type-json",
        "POST Content-Type application/json",
        R(method="POST", headers=(("Content-Type", "application/json"),), body="{}"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
    ),
    S(
        "pf-content-type-quoted",
        'POST Content-Type text/plain; charset="utf-8" (quoted param)',
        R(method="POST", headers=(("Content-Type", 'text/plain; charset="utf-8"'),), body="x"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
    ),
    S(
        "pf-content-type-empty",
        "POST with an empty Content-Type",
        R(method="POST", headers=(("Content-Type", ""),), body="x"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
    ),
    S(
        "pf-content-type-space",
        "POST Content-Type 'text/pl ain'",
        R(method="POST", headers=(("Content-Type", "text/pl ain"),), body="x"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
    ),
    S(
        "simple-range",
        "GET Range bytes=0-1",
        R(headers=(("Range", "bytes=0-1"),)),
        {"r": OPEN},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "pf-range-capital",
        "GET Range Bytes=0-1",
        R(headers=(("Range", "Bytes=0-1"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="range"),
    ),
    S(
        "pf-range-suffix",
        "GET Range bytes=-5",
        R(headers=(("Range", "bytes=-5"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="range"),
    ),
    S(
        "pf-range-two",
        "GET Range bytes=0-1,3-4",
        R(headers=(("Range", "bytes=0-1,3-4"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="range"),
    ),
    S(
        "simple-dpr-numeric",
        "script-set DPR: 2 (Chromium safelists numeric DPR)",
        R(headers=(("DPR", "2"),)),
        {"r": OPEN},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "pf-dpr-text",
        "script-set DPR: abc",
        R(headers=(("DPR", "abc"),)),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="dpr"),
    ),
    S(
        "simple-user-agent",
        "script-set User-Agent (Chromium drops it, no preflight)",
        R(headers=(("User-Agent", "my-agent/1.0"),)),
        {"r": OPEN},
        E(js="200", seen=("GET B/r user-agent={UA}",)),
        check_headers=("user-agent",),
    ),
    S(
        "simple-safelisted-total-1024",
        "8 safelisted headers of exactly 128 bytes each (sum = 1024, the limit)",
        R(method="POST", body="x", headers=SAFELISTED_1024),
        {"r": OPEN},
        E(js="200", seen=("POST B/r",)),
    ),
    S(
        "pf-safelisted-total-1033",
        "the same 8 headers plus Range bytes=0-1 (sum 1033 > 1024)",
        R(method="POST", body="x", headers=(*SAFELISTED_1024, ("Range", "bytes=0-1"))),
        {"r": OPEN},
        E(
            js="200",
            seen=("OPTIONS B/r", "POST B/r"),
            preflight=True,
            acrh="accept,accept-language,content-language,content-type,device-memory,dpr,range,viewport-width,width",
        ),
    ),
    S(
        "pf-duplicate-custom",
        "X-A appended twice (combined on the wire)",
        R(headers=(("X-A", "1"), ("X-A", "2"))),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "GET B/r x-a=1, 2"), preflight=True, acrh="x-a"),
        check_headers=("x-a",),
    ),
    S(
        "pf-duplicate-content-type",
        "Content-Type text/plain appended twice -> 'text/plain, text/plain'",
        R(
            method="POST",
            body="x",
            headers=(("Content-Type", "text/plain"), ("Content-Type", "text/plain")),
        ),
        {"r": OPEN},
        E(
            js="200",
            seen=("OPTIONS B/r", "POST B/r content-type=text/plain, text/plain"),
            preflight=True,
            acrh="content-type",
        ),
        check_headers=("content-type",),
    ),
    S(
        "pf-xhr-upload-listener",
        "XHR POST text/plain with an xhr.upload listener",
        R(api="xhr", method="POST", body="x", upload_listener=True),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True),
    ),
    S(
        "simple-xhr-upload-listener-no-body",
        "XHR GET with an xhr.upload listener (no body)",
        R(api="xhr", method="GET", upload_listener=True),
        {"r": OPEN},
        E(js="200", seen=("GET B/r",)),
    ),
)

# -- 3. CORS check on the actual response (simple GET) -------------------------------------------
add(
    S(
        "acao-missing",
        "no ACAO",
        R(),
        {"r": api(actual=ok())},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "acao-two-lines",
        "two ACAO lines with the right origin",
        R(),
        {"r": api(actual=ok(ACAO_O, ACAO_O))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "{O}, {O}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '{O}, {O}', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-comma",
        "one ACAO line '{O}, http://other.test'",
        R(),
        {"r": api(actual=ok(acao("{O}, http://other.test")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "{O}, http://other.test"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '{O}, http://other.test', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-invalid",
        "ACAO 'app.example' (not a URL)",
        R(),
        {"r": api(actual=ok(acao("app.example")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "app.example"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value 'app.example'. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-empty",
        "ACAO with an empty value",
        R(),
        {"r": api(actual=ok(acao("")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value ''. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-trailing-slash",
        "ACAO '{O}/'",
        R(),
        {"r": api(actual=ok(acao("{O}/")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}/"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}/' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-other-port",
        "ACAO = origin of the API itself (other port)",
        R(),
        {"r": api(actual=ok(acao("{B}")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{B}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{B}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-uppercase",
        "ACAO with the origin upper-cased",
        R(),
        {"r": api(actual=ok(acao("{O_UPPER}")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O_UPPER}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O_UPPER}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-null",
        "ACAO null",
        R(),
        {"r": api(actual=ok(acao("null")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "null"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "acao-star-acac-no-credentials",
        "ACAO * + ACAC true, credentials same-origin (default)",
        R(),
        {"r": api(actual=ok(ACAO_STAR, ACAC))},
        E(js="200", seen=("GET B/r",)),
    ),
    S(
        "cred-wildcard",
        "credentials include with a cookie; ACAO *",
        R(credentials="include"),
        {"r": api(actual=OK_STAR)},
        E(
            js=FAILED,
            seen=("GET B/r cookie",),
            blocked=True,
            issues=(("WildcardOriginNotAllowed", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "cred-wildcard-no-cookie",
        "credentials include, no cookie exists; ACAO *",
        R(credentials="include"),
        {"r": api(actual=OK_STAR)},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("WildcardOriginNotAllowed", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
    ),
    S(
        "cred-no-acac",
        "credentials include with a cookie; ACAO exact, no ACAC",
        R(credentials="include"),
        {"r": api(actual=OK_O)},
        E(
            js=FAILED,
            seen=("GET B/r cookie",),
            blocked=True,
            issues=(("InvalidAllowCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "cred-acac-capital",
        "credentials include with a cookie; ACAC 'True'",
        R(credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "True")))},
        E(
            js=FAILED,
            seen=("GET B/r cookie",),
            blocked=True,
            issues=(("InvalidAllowCredentials", "True"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "cred-ok",
        "credentials include with a cookie; ACAO exact + ACAC true",
        R(credentials="include"),
        {"r": api(actual=ok(ACAO_O, ACAC))},
        E(js="200", seen=("GET B/r cookie",)),
        cookie=True,
    ),
    S(
        "status-500-no-acao",
        "500 without ACAO",
        R(),
        {"r": api(actual=ok(status=500, body="boom"))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "status-404-no-acao",
        "404 without ACAO",
        R(),
        {"r": api(actual=ok(status=404, body="nope"))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "status-403-with-acao",
        "403 with ACAO",
        R(),
        {"r": api(actual=ok(ACAO_O, status=403, body="denied"))},
        E(
            js="403",
            seen=("GET B/r",),
            console=(
                "Failed to load resource: the server responded with a status of 403 (Forbidden)",
            ),
        ),
    ),
    S(
        "status-500-with-acao",
        "500 with ACAO",
        R(),
        {"r": api(actual=ok(ACAO_O, status=500, body="boom"))},
        E(
            js="500",
            seen=("GET B/r",),
            console=(
                "Failed to load resource: the server responded with a status of 500 (Internal Server Error)",
            ),
        ),
    ),
)

# -- 4. preflight response checks (PUT unless stated) --------------------------------------------
add(
    S(
        "pf-404-no-cors",
        "preflight 404 without CORS headers",
        R(method="PUT"),
        {"r": api(None, OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightMissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "pf-404-with-cors",
        "preflight 404 with ACAO + ACAM",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), status=404), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
    ),
    S(
        "pf-302-no-location",
        "preflight 302 without Location (with ACAO + ACAM)",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), status=302), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
    ),
    S(
        "pf-405-with-cors",
        "preflight 405 with ACAO + ACAM",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), status=405), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
    ),
    S(
        "pf-500-with-cors",
        "preflight 500 with ACAO + ACAM",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), status=500), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
    ),
    S(
        "pf-200-ok",
        "preflight 200 (not 204) with ACAO + ACAM",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), status=200), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
    ),
    S(
        "pf-redirect-301",
        "preflight answered 301",
        R(method="PUT"),
        {"r": api(loc(301, "{B}{C}/b", ACAO_O, acam("PUT")), OK_O), "b": OPEN},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
    ),
    S(
        "pf-redirect-302",
        "preflight answered 302",
        R(method="PUT"),
        {"r": api(loc(302, "{B}{C}/b", ACAO_O, acam("PUT")), OK_O), "b": OPEN},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
    ),
    S(
        "pf-redirect-307",
        "preflight answered 307",
        R(method="PUT"),
        {"r": api(loc(307, "{B}{C}/b", ACAO_O, acam("PUT")), OK_O), "b": OPEN},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
    ),
    S(
        "pf-cred-wildcard",
        "credentials include; preflight ACAO * + ACAC true + ACAM PUT",
        R(method="PUT", credentials="include"),
        {"r": api(pf(ACAO_STAR, ACAC, acam("PUT")), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightWildcardOriginNotAllowed", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "pf-cred-no-acac",
        "credentials include; preflight ACAO exact + ACAM PUT, no ACAC",
        R(method="PUT", credentials="include"),
        {"r": api(pf(ACAO_O, acam("PUT")), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidAllowCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "pf-cred-ok",
        "credentials include + cookie, PUT; preflight ACAO exact + ACAC + ACAM PUT",
        R(method="PUT", credentials="include"),
        {"r": api(pf(ACAO_O, ACAC, acam("PUT")), ok(ACAO_O, ACAC))},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r cookie"), preflight=True),
        cookie=True,
    ),
    S(
        "pf-acao-mismatch",
        "preflight ACAO '{O}/'",
        R(method="PUT"),
        {"r": api(pf(acao("{O}/"), acam("PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightAllowOriginMismatch", "{O}/"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The 'Access-Control-Allow-Origin' header has a value '{O}/' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acao-two-lines",
        "preflight with two ACAO lines",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, ACAO_O, acam("PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightMultipleAllowOriginValues", "{O}, {O}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The 'Access-Control-Allow-Origin' header contains multiple values '{O}, {O}', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acao-invalid",
        "preflight ACAO 'app.example'",
        R(method="PUT"),
        {"r": api(pf(acao("app.example"), acam("PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidAllowOriginValue", "app.example"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The 'Access-Control-Allow-Origin' header contains the invalid value 'app.example'. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acao-missing-200",
        "preflight 204 without ACAO",
        R(method="PUT"),
        {"r": api(pf(acam("PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightMissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acam-space",
        "POST JSON; ACAM 'GET POST'",
        R(method="POST", headers=(("Content-Type", "application/json"),), body="{}"),
        {"r": api(pf(ACAO_O, acam("GET POST"), acah("content-type")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="content-type",
            blocked=True,
            issues=(("InvalidAllowMethodsPreflightResponse", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acam-semicolon",
        "DELETE; ACAM 'GET;DELETE'",
        R(method="DELETE"),
        {"r": api(pf(ACAO_O, acam("GET;DELETE")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("InvalidAllowMethodsPreflightResponse", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acah-invalid",
        "POST JSON; ACAH 'Content-Type X-Foo'",
        R(method="POST", headers=(("Content-Type", "application/json"),), body="{}"),
        {"r": api(pf(ACAO_O, acah("Content-Type X-Foo")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="content-type",
            blocked=True,
            issues=(("InvalidAllowHeadersPreflightResponse", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acam-missing",
        "DELETE; preflight ACAO * without ACAM",
        R(method="DELETE"),
        {"r": api(pf(ACAO_STAR), OK_STAR)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "DELETE"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acam-lowercase",
        "PUT; ACAM 'put'",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("put")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "PUT"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-patch-lowercase-acam-upper",
        "fetch method 'patch'; ACAM 'PATCH'",
        R(method="patch"),
        {"r": api(pf(ACAO_O, acam("PATCH")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "patch"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method patch is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acah-missing",
        "GET X-Api-Key; preflight ACAH x-other",
        R(headers=(("X-Api-Key", "k"),)),
        {"r": api(pf(ACAO_O, acah("x-other")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-api-key",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-api-key"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field x-api-key is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "pf-acah-case-insensitive",
        "GET X-Requested-With; ACAH X-REQUESTED-WITH",
        R(headers=(("X-Requested-With", "XMLHttpRequest"),)),
        {"r": api(pf(ACAO_O, acah("X-REQUESTED-WITH")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-requested-with"),
    ),
    S(
        "pf-acah-two-lines",
        "GET X-A + X-B; ACAH sent as two lines 'x-a' and 'x-b'",
        R(headers=(("X-A", "1"), ("X-B", "1"))),
        {"r": api(pf(ACAO_O, acah("x-a"), acah("x-b")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-a,x-b"),
    ),
    S(
        "pf-acah-star-credentials",
        "credentials include, X-Foo; ACAH * (literal with credentials)",
        R(headers=(("X-Foo", "1"),), credentials="include"),
        {"r": api(pf(ACAO_O, ACAC, acah("*")), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-foo",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-foo"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "pf-acam-star-credentials",
        "credentials include, PUT; ACAM * (literal with credentials)",
        R(method="PUT", credentials="include"),
        {"r": api(pf(ACAO_O, ACAC, acam("*")), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "PUT"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "pf-post-json-acam-get",
        "POST JSON; ACAM GET only (POST needs no listing)",
        R(method="POST", headers=(("Content-Type", "application/json"),), body="{}"),
        {"r": api(pf(ACAO_O, acam("GET"), acah("content-type")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
    ),
    S(
        "pf-ok-actual-no-acao",
        "PUT; preflight passes, actual response lacks ACAO",
        R(method="PUT"),
        {"r": api(PF_OPEN, ok())},
        E(
            js=FAILED,
            seen=("OPTIONS B/r", "PUT B/r"),
            preflight=True,
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "pf-authorization-acah-star",
        "Authorization; ACAH * (non-credentialed)",
        R(headers=(("Authorization", "Bearer t"),)),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(
            js="200",
            seen=("OPTIONS B/r", "GET B/r"),
            preflight=True,
            acrh="authorization",
            deprecations=("AuthorizationCoveredByWildcard",),
        ),
    ),
    S(
        "pf-authorization-acah-explicit",
        "Authorization; ACAH authorization",
        R(headers=(("Authorization", "Bearer t"),)),
        {"r": api(pf(ACAO_O, acah("authorization")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="authorization"),
    ),
)

# -- 5. redirects of the actual request ----------------------------------------------------------
add(
    S(
        "redir-302-no-acao",
        "GET B/r 302 (no ACAO) -> B/b",
        R(),
        {"r": api(actual=loc(302, "{B}{C}/b")), "b": api(actual=OK_O)},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "redir-cross-origin-acao-origin",
        "GET B/r 302 (ACAO) -> X/b answering ACAO = page origin",
        R(),
        {"r": api(actual=loc(302, "{X}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(
            js=FAILED,
            seen=("GET B/r", "GET X/b origin=null"),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}"),),
            console=(
                "Access to fetch at '{X}{C}/b' (redirected from '{B}{C}/r') from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
    ),
    S(
        "redir-cross-origin-acao-star",
        "GET B/r 302 (ACAO) -> X/b answering ACAO *",
        R(),
        {"r": api(actual=loc(302, "{X}{C}/b", ACAO_O)), "b": api(actual=OK_STAR)},
        E(js="200", seen=("GET B/r", "GET X/b origin=null")),
    ),
    S(
        "redir-cross-origin-acao-null",
        "GET B/r 302 (ACAO) -> X/b answering ACAO null",
        R(),
        {"r": api(actual=loc(302, "{X}{C}/b", ACAO_O)), "b": api(actual=ok(acao("null")))},
        E(js="200", seen=("GET B/r", "GET X/b origin=null")),
    ),
    S(
        "redir-same-origin-api",
        "GET B/r 302 (ACAO) -> B/b (same origin as the first hop)",
        R(),
        {"r": api(actual=loc(302, "{B}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(js="200", seen=("GET B/r", "GET B/b")),
    ),
    S(
        "redir-from-page-origin",
        "GET A/r (same origin as the page) 302 -> B/b",
        R(target="A"),
        {"b": api(actual=OK_O)},
        E(js="200", seen=("GET O/r origin=-", "GET B/b")),
        page_routes={"r": api(actual=loc(302, "{B}{C}/b"))},
    ),
    S(
        "redir-303-after-json-post",
        "POST JSON to B/r -> 303 (ACAO) -> X/b (becomes a GET)",
        R(method="POST", headers=(("Content-Type", "application/json"),), body="{}"),
        {"r": api(PF_OPEN, loc(303, "{X}{C}/b", ACAO_O)), "b": api(actual=OK_STAR)},
        E(
            js="200",
            seen=(
                "OPTIONS B/r",
                "POST B/r content-type=application/json",
                "GET X/b origin=null content-type=-",
            ),
            preflight=True,
            acrh="content-type",
        ),
        check_headers=("content-type",),
    ),
    S(
        "redir-307-put-cross-origin",
        "PUT B/r -> 307 (ACAO) -> X/b whose preflight allows null",
        R(method="PUT"),
        {
            "r": api(PF_OPEN, loc(307, "{X}{C}/b", ACAO_O)),
            "b": api(pf(ACAO_STAR, acam("PUT")), OK_STAR),
        },
        E(
            js="200",
            seen=("OPTIONS B/r", "PUT B/r", "OPTIONS X/b origin=null", "PUT X/b origin=null"),
            preflight=True,
        ),
    ),
    S(
        "redir-authorization-cross-origin",
        "GET with Authorization; B/r 302 (ACAO) -> X/b (Authorization dropped on the new origin?)",
        R(headers=(("Authorization", "Bearer t"),)),
        {
            "r": api(pf(ACAO_O, acah("authorization")), loc(302, "{X}{C}/b", ACAO_O)),
            "b": api(pf(ACAO_STAR, acah("authorization")), OK_STAR),
        },
        E(
            js="200",
            seen=(
                "OPTIONS B/r",
                "GET B/r authorization=Bearer t",
                "GET X/b origin=null authorization=-",
            ),
            preflight=True,
            acrh="authorization",
        ),
        check_headers=("authorization",),
    ),
    S(
        "redir-userinfo",
        "GET B/r 302 (ACAO) -> Location with u:p@ userinfo",
        R(),
        {"r": api(actual=loc(302, "{Bu}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("RedirectContainsCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests.",
                NET,
            ),
        ),
    ),
)

# -- 6. XMLHttpRequest variants ------------------------------------------------------------------
add(
    S(
        "xhr-acao-missing",
        "XHR GET; no ACAO",
        R(api="xhr"),
        {"r": api(actual=ok())},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-acao-mismatch",
        "XHR GET; ACAO '{O}/'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}/")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}/"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}/' that is not equal to the supplied origin.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-cred-wildcard",
        "XHR withCredentials + cookie; ACAO *",
        R(api="xhr", credentials="include"),
        {"r": api(actual=OK_STAR)},
        E(
            js=XHR_FAILED,
            seen=("GET B/r cookie",),
            blocked=True,
            issues=(("WildcardOriginNotAllowed", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "xhr-cred-no-acac",
        "XHR withCredentials + cookie; ACAO exact, no ACAC",
        R(api="xhr", credentials="include"),
        {"r": api(actual=OK_O)},
        E(
            js=XHR_FAILED,
            seen=("GET B/r cookie",),
            blocked=True,
            issues=(("InvalidAllowCredentials", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "xhr-pf-header-missing",
        "XHR PUT with X-Foo; preflight allows only PUT",
        R(api="xhr", method="PUT", headers=(("X-Foo", "1"),)),
        {"r": api(pf(ACAO_O, acam("PUT")), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-foo",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-foo"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-pf-redirect",
        "XHR PUT; preflight answered 302",
        R(api="xhr", method="PUT"),
        {"r": api(loc(302, "{B}{C}/b"), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-xrw-acah-missing",
        "XHR GET with X-Requested-With: XMLHttpRequest; preflight allows no headers",
        R(api="xhr", headers=(("X-Requested-With", "XMLHttpRequest"),)),
        {"r": api(pf(ACAO_O), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-requested-with",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-requested-with"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field x-requested-with is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-xrw-acao-mismatch",
        "XHR GET with X-Requested-With: XMLHttpRequest; preflight passes, ACAO '{O}/'",
        R(api="xhr", headers=(("X-Requested-With", "XMLHttpRequest"),)),
        {"r": api(pf(ACAO_O, acah("x-requested-with")), ok(acao("{O}/")))},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r", "GET B/r"),
            preflight=True,
            acrh="x-requested-with",
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}/"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}/' that is not equal to the supplied origin.",
                NET,
            ),
        ),
    ),
    S(
        "xhr-xrw-cred-wildcard",
        "XHR withCredentials + cookie + X-Requested-With; preflight passes, actual ACAO *",
        R(api="xhr", credentials="include", headers=(("X-Requested-With", "XMLHttpRequest"),)),
        {"r": api(pf(ACAO_O, ACAC, acah("x-requested-with")), OK_STAR)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r", "GET B/r cookie"),
            preflight=True,
            acrh="x-requested-with",
            blocked=True,
            issues=(("WildcardOriginNotAllowed", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        cookie=True,
    ),
    S(
        "xhr-ok",
        "XHR PUT; preflight and response pass",
        R(api="xhr", method="PUT"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
    ),
)

# -- 7. cross-site page (127.0.0.2) and HTTPS API ------------------------------------------------
add(
    S(
        "xsite-simple-ok",
        "page on 127.0.0.2 -> API on 127.0.0.1; ACAO = page origin",
        R(),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("GET B/r",)),
        page="A2",
    ),
    S(
        "xsite-acao-a",
        "page on 127.0.0.2; API answers ACAO = origin A (127.0.0.1)",
        R(),
        {"r": api(actual=ok(acao("{A}")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{A}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{A}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        page="A2",
    ),
    S(
        "xsite-pf-put",
        "page on 127.0.0.2 -> PUT to API on 127.0.0.1",
        R(method="PUT"),
        {"r": OPEN},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
        page="A2",
    ),
    S(
        "xsite-target-x",
        "page A -> API on 127.0.0.2 (cross-site); no ACAO",
        R(target="X"),
        {"r": api(actual=ok())},
        E(
            js=FAILED,
            seen=("GET X/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{X}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "https-simple-ok",
        "page A -> HTTPS API; ACAO = page origin",
        R(target="BS"),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("GET BS/r",)),
    ),
    S(
        "https-acao-missing",
        "page A -> HTTPS API GET; no ACAO",
        R(target="BS"),
        {"r": api(actual=ok())},
        E(
            js=FAILED,
            seen=("GET BS/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{BS}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
    S(
        "https-pf-put-ok",
        "page A -> HTTPS API PUT with X-Custom; preflight and response pass",
        R(target="BS", method="PUT", headers=(("X-Custom", "1"),)),
        {"r": api(pf(ACAO_O, acam("PUT"), acah("x-custom")), OK_O)},
        E(js="200", seen=("OPTIONS BS/r", "PUT BS/r"), preflight=True, acrh="x-custom"),
    ),
    S(
        "https-pf-missing-acao",
        "page A -> HTTPS API PUT; preflight without ACAO",
        R(target="BS", method="PUT"),
        {"r": api(pf(acam("PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS BS/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightMissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{BS}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
    ),
)

# -- 8. preflight cache (Access-Control-Max-Age): the same request twice --------------------------
add(
    S(
        "cache-max-age-600",
        "PUT twice 300 ms apart; ACMA 600",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), max_age("600")), OK_O)},
        E(js="200 | 200", seen=("OPTIONS B/r", "PUT B/r", "PUT B/r"), preflight=True),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-default",
        "PUT twice 300 ms apart; no ACMA (5 s default)",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT")), OK_O)},
        E(js="200 | 200", seen=("OPTIONS B/r", "PUT B/r", "PUT B/r"), preflight=True),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-max-age-0",
        "PUT twice 300 ms apart; ACMA 0",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), max_age("0")), OK_O)},
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "PUT B/r", "OPTIONS B/r", "PUT B/r"),
            preflight=True,
        ),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-max-age-negative",
        "PUT twice 300 ms apart; ACMA -1",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), max_age("-1")), OK_O)},
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "PUT B/r", "OPTIONS B/r", "PUT B/r"),
            preflight=True,
        ),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-max-age-1-expired",
        "PUT twice 1.3 s apart; ACMA 1",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), max_age("1")), OK_O)},
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "PUT B/r", "OPTIONS B/r", "PUT B/r"),
            preflight=True,
        ),
        repeat=2,
        gap_ms=1300,
    ),
    S(
        "cache-authorization-acah-star",
        "Authorization twice; ACAH *, ACMA 600",
        R(headers=(("Authorization", "Bearer t"),)),
        {"r": api(pf(ACAO_O, acah("*"), max_age("600")), OK_O)},
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "GET B/r", "OPTIONS B/r", "GET B/r"),
            preflight=True,
            acrh="authorization",
            deprecations=("AuthorizationCoveredByWildcard",),
        ),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-authorization-explicit",
        "Authorization twice; ACAH authorization, ACMA 600",
        R(headers=(("Authorization", "Bearer t"),)),
        {"r": api(pf(ACAO_O, acah("authorization"), max_age("600")), OK_O)},
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "GET B/r", "GET B/r"),
            preflight=True,
            acrh="authorization",
        ),
        repeat=2,
        gap_ms=300,
    ),
    S(
        "cache-failed-not-cached",
        "PUT twice; first preflight 500 then (cached?)",
        R(method="PUT"),
        {"r": api(pf(ACAO_O, acam("PUT"), max_age("600"), status=500), OK_O)},
        E(
            js="TypeError: Failed to fetch | TypeError: Failed to fetch",
            seen=("OPTIONS B/r", "OPTIONS B/r"),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""), ("PreflightInvalidStatus", "")),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        repeat=2,
        gap_ms=300,
    ),
)

SCENARIOS_BY_ID = {s.id: s for s in SCENARIOS}
assert len(SCENARIOS_BY_ID) == len(SCENARIOS), "duplicate scenario id"
