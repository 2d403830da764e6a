"""Mode, cross-origin and credentials inference from the wire (cors-reference.md 6.1, 6.3)."""

from __future__ import annotations

import pytest
from engine_builders import API
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import cors_req
from engine_builders import judged
from engine_builders import preflight_req
from engine_builders import req
from engine_builders import resp

from cors_addon.engine import classify
from cors_addon.engine import detect
from cors_addon.engine import normalize_origin
from cors_addon.engine import not_cors_reason
from cors_addon.engine import profile_for
from cors_addon.engine import url_origin
from cors_addon.engine.browsers import BROWSER_CHOICES
from cors_addon.engine.browsers import detect_engine

ORIGIN = ("Origin", PAGE)
HTML = ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
UIR = ("Upgrade-Insecure-Requests", "1")

# (id, request, mode, mode_inferred, cors)
MODE_CASES = [
    ("sfm-cors", cors_req("GET"), "cors", False, True),
    ("sfm-cors-upper", cors_req("GET", mode="CORS"), "cors", False, True),
    ("sfm-no-cors", cors_req("GET", mode="no-cors"), "no-cors", False, False),
    ("sfm-no-cors-post", cors_req("POST", mode="no-cors"), "no-cors", False, False),
    ("sfm-navigate", cors_req("POST", mode="navigate"), "navigate", False, False),
    ("sfm-same-origin", cors_req("GET", mode="same-origin"), "same-origin", False, False),
    ("sfm-websocket", cors_req("GET", mode="websocket"), "websocket", False, False),
    ("infer-get-origin", req("GET", API, ORIGIN), "cors", True, True),
    ("infer-head-origin", req("HEAD", API, ORIGIN), "cors", True, True),
    ("infer-put-origin", req("PUT", API, ORIGIN), "cors", True, True),
    ("infer-delete-origin", req("DELETE", API, ORIGIN), "cors", True, True),
    ("infer-patch-origin", req("PATCH", API, ORIGIN), "cors", True, True),
    (
        "infer-websocket",
        req(
            "GET",
            "wss://api.example/ws",
            ORIGIN,
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
        ),
        "websocket",
        True,
        False,
    ),
    (
        "infer-websocket-case",
        req("GET", API, ORIGIN, ("Upgrade", "WebSocket")),
        "websocket",
        True,
        False,
    ),
    # A POST with Origin may be a form post or a no-cors fetch: mode unknown, CORS assumed.
    ("infer-post-origin", req("POST", API, ORIGIN), "unknown", True, True),
    ("infer-form-navigation", req("POST", API, ORIGIN, UIR, HTML), "navigate", True, False),
    ("infer-navigation-no-origin", req("GET", API, UIR, HTML), "navigate", True, False),
    ("infer-get-no-origin", req("GET", API), "unknown", True, False),
    (
        "infer-preflight",
        req("OPTIONS", API, ORIGIN, ("Access-Control-Request-Method", "PUT")),
        "cors",
        True,
        True,
    ),
]


@pytest.mark.parametrize(
    ("request_", "mode", "inferred", "cors"),
    cases(MODE_CASES),
)
def test_mode(request_, mode, inferred, cors):
    c = classify(request_)
    assert (c.mode, c.mode_inferred, c.cors) == (mode, inferred, cors)


def test_websocket_mode_is_never_preflighted_even_with_unsafe_headers():
    c = classify(cors_req("GET", ("X-Foo", "1"), mode="websocket"))
    assert not c.preflight.needed and c.preflight.reasons == ()


def test_webtransport_is_not_cors():
    c = classify(cors_req("CONNECT", mode="webtransport", url="https://api.example/wt"))
    assert not c.cors


def test_preflight_needs_origin_options_and_acrm():
    assert classify(preflight_req("PUT")).is_preflight
    assert not classify(req("OPTIONS", API, ORIGIN)).is_preflight
    assert not classify(req("OPTIONS", API, ("Access-Control-Request-Method", "PUT"))).is_preflight


# (origin, url, cross_origin)
CROSS_ORIGIN_CASES = [
    (PAGE, "https://app.example/x", False),
    (PAGE, "https://app.example:443/x", False),
    ("http://app.example", "http://app.example:80/x", False),
    (PAGE, "https://APP.Example/x", False),
    (PAGE, "https://u:p@app.example/x", False),
    ("http://[::1]:8001", "http://[::1]:8001/x", False),
    (PAGE, "http://app.example/x", True),
    ("http://app.example", "https://app.example/x", True),
    (PAGE, "https://app.example:8443/x", True),
    (PAGE, API, True),
    (PAGE, "https://api.app.example/r", True),
    ("http://127.0.0.1:8001", "http://127.0.0.1:8002/x", True),
    ("http://localhost:3000", "http://127.0.0.1:3000/x", True),
    ("null", "https://app.example/x", True),
    ("null", API, True),
]


@pytest.mark.parametrize(("origin", "url", "cross"), CROSS_ORIGIN_CASES)
def test_cross_origin(origin, url, cross):
    c = classify(cors_req("GET", url=url, origin=origin))
    assert c.cross_origin is cross
    assert c.cors is cross


@pytest.mark.parametrize(
    ("site", "cross"),
    [
        ("same-origin", False),
        ("none", False),
        (None, False),
        ("same-site", True),
        ("cross-site", True),
    ],
)
def test_cross_origin_without_origin_uses_sec_fetch_site(site, cross):
    headers = [("Sec-Fetch-Site", site)] if site else []
    c = classify(cors_req("GET", *headers, origin=None))
    assert c.cross_origin is cross
    # Without an Origin there is nothing to compare Access-Control-Allow-Origin with.
    assert judged(cors_req("GET", *headers, origin=None), resp(200)).verdict == "not-cors"


# (id, headers, announced ACRH, credentials, evidence, authorization counted)
CREDENTIALS_CASES = [
    ("none", [], None, "unknown", None, False),
    ("cookie", [("Cookie", "sid=1")], None, "include", "cookie", False),
    (
        "storage-access-active",
        [("Sec-Fetch-Storage-Access", "active")],
        None,
        "include",
        "sec-fetch-storage-access",
        False,
    ),
    (
        "storage-access-none",
        [("Sec-Fetch-Storage-Access", "none")],
        None,
        "include",
        "sec-fetch-storage-access",
        False,
    ),
    ("auth-no-preflight-seen", [("Authorization", "Bearer t")], None, "unknown", None, True),
    (
        "auth-announced",
        [("Authorization", "Bearer t")],
        ("authorization",),
        "unknown",
        None,
        True,
    ),
    (
        "auth-not-announced",
        [("Authorization", "Basic dTpw")],
        (),
        "include",
        "authorization",
        False,
    ),
    (
        "auth-not-announced-other-header",
        [("Authorization", "Basic dTpw"), ("X-Foo", "1")],
        ("x-foo",),
        "include",
        "authorization",
        False,
    ),
    (
        "cookie-wins-over-announced-auth",
        [("Cookie", "a=b"), ("Authorization", "Bearer t")],
        ("authorization",),
        "include",
        "cookie",
        True,
    ),
]


@pytest.mark.parametrize(
    ("headers", "announced", "credentials", "evidence", "auth_counted"),
    cases(CREDENTIALS_CASES),
)
def test_credentials(headers, announced, credentials, evidence, auth_counted):
    c = classify(cors_req("GET", *headers), announced_headers=announced)
    assert (c.credentials, c.credentials_evidence) == (credentials, evidence)
    assert ("authorization" in c.preflight.headers) is auth_counted
    codes = {(r.code, r.detail) for r in c.preflight.reasons}
    assert (("header-not-safelisted", "authorization") in codes) is auth_counted


def test_browser_added_authorization_alone_needs_no_preflight():
    c = classify(cors_req("GET", ("Authorization", "Basic dTpw")), announced_headers=())
    assert not c.preflight.needed


def test_preflight_never_shows_credentials():
    c = classify(preflight_req("PUT", None, ("Cookie", "sid=1")))
    assert c.is_preflight and c.credentials == "unknown"


# Chromium's console names the initiator: from Sec-Fetch-Dest, or XHR from X-Requested-With.
KIND_CASES = [
    ([], "fetch"),
    ([("Sec-Fetch-Dest", "empty")], "fetch"),
    ([("X-Requested-With", "XMLHttpRequest")], "XMLHttpRequest"),
    ([("Sec-Fetch-Dest", "empty"), ("X-Requested-With", "xmlhttprequest")], "XMLHttpRequest"),
    ([("Sec-Fetch-Dest", "script")], "script"),
    ([("Sec-Fetch-Dest", "image")], "image"),
    ([("Sec-Fetch-Dest", "style")], "stylesheet"),
    ([("Sec-Fetch-Dest", "font")], "font"),
    ([("Sec-Fetch-Dest", "worker")], "worker"),
]


@pytest.mark.parametrize(("headers", "kind"), KIND_CASES)
def test_kind(headers, kind):
    assert classify(cors_req("GET", *headers)).kind == kind


# A preflight carries no X-Requested-With, only its name in Access-Control-Request-Headers.
PREFLIGHT_KIND_CASES = [
    ("x-requested-with", "XMLHttpRequest"),
    ("content-type,x-requested-with", "XMLHttpRequest"),
    ("X-Requested-With, X-Api-Key", "XMLHttpRequest"),
    ("x-api-key", "fetch"),
    ("x-requested-with-not", "fetch"),
    (None, "fetch"),
]


@pytest.mark.parametrize(("acrh", "kind"), PREFLIGHT_KIND_CASES)
def test_kind_of_a_preflight(acrh, kind):
    c = classify(preflight_req("PUT", acrh))
    assert c.is_preflight and c.kind == kind


# Section 5 of the brief: same-origin, no-cors, navigate and websocket requests are not CORS.
NOT_CORS_CASES = [
    ("same-origin", cors_req("GET", url="https://app.example/x"), "same-origin"),
    ("no-cors", cors_req("GET", mode="no-cors"), "no-cors"),
    ("navigate", cors_req("POST", mode="navigate"), "navigation"),
    ("websocket", cors_req("GET", mode="websocket", url="wss://api.example/ws"), "WebSocket"),
    ("same-origin-mode", cors_req("GET", mode="same-origin"), "same-origin mode"),
    ("no-origin", req("GET", API, ("Sec-Fetch-Site", "cross-site")), None),
]


@pytest.mark.parametrize(("request_", "why"), cases(NOT_CORS_CASES))
def test_not_cors_verdict(request_, why):
    v = judged(request_, resp(200))
    assert v.verdict == "not-cors"
    assert v.error is None and v.warnings == ()
    if why is not None:
        assert why in not_cors_reason(classify(request_))


# Browser profiles from the User-Agent (auto) or by name.
UA_CASES = [
    (None, "chromium"),
    ("", "chromium"),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/156.0 Safari/537.36",
        "chromium",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/150.0 Safari/537.36 Edg/150.0",
        "chromium",
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "firefox"),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/18.0 Safari/605.1.15",
        "webkit",
    ),
    ("curl/8.5.0", "chromium"),
]

# Engines that User-Agents name (issue 12's list); the engine a UA names, or None for none.
ENGINE_UAS = [
    # Safari on iOS, and every other iOS browser: WebKit inside
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
        " like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "webkit",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.5 Mobile/15E148 Safari/604.1",
        "webkit",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
        " like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1",
        "webkit",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
        " like Gecko) FxiOS/132.0 Mobile/15E148 Safari/605.1.15",
        "webkit",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
        " like Gecko) Version/18.0 EdgiOS/130.2849.80 Mobile/15E148 Safari/605.1.15",
        "webkit",
    ),
    # WebKitGTK: MiniBrowser (the one the live suite drives) and Epiphany
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5"
        " Safari/605.1.15",
        "webkit",
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.0 Safari/605.1.15 Epiphany/605.1.15",
        "webkit",
    ),
    # Chromium inside: Edge, Opera, Samsung Internet, Brave (a plain Chrome UA), headless
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "chromium",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
        "chromium",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko)"
        " SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        "chromium",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " HeadlessChrome/156.0.8078.114 Safari/537.36",
        "chromium",
    ),
    # Firefox for Android, and Firefox ESR on Linux
    ("Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0", "firefox"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0", "firefox"),
    # nothing clear: a tool, or a value a page's script set
    ("curl/8.5.0", None),
    ("my-agent/1.0", None),
    (None, None),
]


@pytest.mark.parametrize(("user_agent", "name"), UA_CASES)
def test_detect_profile(user_agent, name):
    assert detect(user_agent).name == name
    assert profile_for("auto", user_agent).name == name


@pytest.mark.parametrize(("user_agent", "name"), ENGINE_UAS)
def test_detect_engine(user_agent, name):
    found = detect_engine(user_agent)
    assert (found.name if found is not None else None) == name


@pytest.mark.parametrize("name", ["chromium", "firefox", "webkit"])
def test_profile_by_name(name):
    assert profile_for(name, "Firefox/140.0").name == name


def test_safari_is_an_alias_of_webkit():
    assert profile_for("safari", None).name == "webkit"
    assert "safari" in BROWSER_CHOICES and "webkit" in BROWSER_CHOICES


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://api.example/r", "https://api.example"),
        ("https://API.Example:443/r?q#f", "https://api.example"),
        ("http://api.example:80", "http://api.example"),
        ("http://api.example:8080/", "http://api.example:8080"),
        ("wss://api.example:443/ws", "wss://api.example"),
        ("https://u:p@api.example/", "https://api.example"),
        ("http://[::1]:8001/x", "http://[::1]:8001"),
        ("/relative", "null"),
    ],
)
def test_url_origin(url, origin):
    assert url_origin(url) == origin


@pytest.mark.parametrize(
    ("value", "normalized"),
    [("null", "null"), (" https://APP.example:443 ", "https://app.example"), ("app", "app")],
)
def test_normalize_origin(value, normalized):
    assert normalize_origin(value) == normalized
