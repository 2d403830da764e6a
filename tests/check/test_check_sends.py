"""What each engine puts on the wire for a call (cors_addon.check.sends): the preflight's
format (cors-reference.md 1.2), the actual request, and the engine differences observed in
real browsers (browser-engines.md, "Engine differences observed")."""

from __future__ import annotations

import pytest

from cors_addon.check import sends
from cors_addon.check.call import make_call
from cors_addon.check.client import Outgoing
from cors_addon.check.engines import ENGINES

PAGE = "http://localhost:3000"
API = "http://127.0.0.1:8000"


def fields(out: Outgoing) -> dict[str, str]:
    return {n.lower(): v for n, v in out.fields}


def plan(engine: str, *headers: str, method: str = "GET", url: str = API + "/x", **kw):
    call = make_call(url, PAGE, method, list(headers), **kw)
    return sends.plan(engine, call, sends.start(call))


@pytest.mark.parametrize("engine", ENGINES)
def test_preflight_wire_format(engine: str) -> None:
    p = plan(
        engine,
        "X-Zeta: 1",
        "Content-Type: application/json",
        "X-Alpha: 2",
        method="PUT",
        credentials="include",
        url=API + "/items/1?q=1",
    )
    assert p.preflight is not None
    pre = fields(p.preflight)
    assert p.preflight.method == "OPTIONS" and p.preflight.url == API + "/items/1?q=1"
    assert pre["access-control-request-method"] == "PUT"
    # lower-case, sorted, comma without spaces
    assert pre["access-control-request-headers"] == "content-type,x-alpha,x-zeta"
    assert pre["origin"] == PAGE
    assert pre["accept"] == "*/*"
    assert pre["sec-fetch-mode"] == "cors" and pre["sec-fetch-dest"] == "empty"
    # never credentials, never the author headers themselves
    assert "cookie" not in pre and "authorization" not in pre and "x-alpha" not in pre
    req = fields(p.request)
    assert p.request.method == "PUT"
    assert req["x-zeta"] == "1" and req["content-type"] == "application/json"
    assert req["origin"] == PAGE and req["sec-fetch-mode"] == "cors"
    assert "access-control-request-method" not in req


def test_cookie_only_on_credentialed_actual_requests() -> None:
    p = plan("chromium", "Cookie: sid=1", "X-Api-Key: k", credentials="include")
    assert p.preflight is not None and "cookie" not in fields(p.preflight)
    assert fields(p.request)["cookie"] == "sid=1"


def test_simple_request_has_no_preflight_and_method_stays() -> None:
    for engine in ENGINES:
        p = plan(engine, "Content-Type: text/plain;charset=UTF-8", method="POST")
        assert p.preflight is None and not p.announced.needed
        assert p.request.method == "POST"
    # fetch() upper-cases only the standard methods: 'patch' stays 'patch' (and is unsafe)
    p = plan("chromium", method="patch")
    assert p.preflight is not None
    assert fields(p.preflight)["access-control-request-method"] == "patch"


def test_fetch_metadata_only_to_trustworthy_urls() -> None:
    assert "sec-fetch-mode" in fields(plan("chromium", url="https://api.example/x").request)
    assert "sec-fetch-mode" in fields(plan("chromium", url="http://localhost:9/x").request)
    assert "sec-fetch-mode" not in fields(plan("chromium", url="http://api.example/x").request)
    assert fields(plan("chromium", url="https://api.example/x").request)["sec-fetch-site"] == (
        "cross-site"
    )


def test_referer_is_the_page_origin_and_none_on_a_downgrade() -> None:
    assert fields(plan("firefox").request)["referer"] == PAGE + "/"
    call = make_call("http://api.example/x", "https://app.example")
    assert "referer" not in fields(sends.plan("firefox", call, sends.start(call)).request)


def test_dpr_and_friends_are_safelisted_only_in_chromium() -> None:
    """browser-engines.md: DPR, Device-Memory, ... safelisted in Chromium, preflighted and
    listed in ACRH by Firefox and WebKit."""
    assert plan("chromium", "DPR: 2", "Viewport-Width: 800").preflight is None
    for engine in ("firefox", "webkit"):
        p = plan(engine, "DPR: 2", "Viewport-Width: 800")
        assert p.preflight is not None
        assert fields(p.preflight)["access-control-request-headers"] == "dpr,viewport-width"


def test_script_user_agent_per_engine() -> None:
    """Chromium drops a script's User-Agent (no preflight); Firefox preflights it with its
    own UA on the preflight and the script's on the request; WebKit sends the script's on
    both."""
    chromium = plan("chromium", "User-Agent: mine")
    assert chromium.preflight is None
    assert fields(chromium.request)["user-agent"] == sends.USER_AGENT
    firefox = plan("firefox", "User-Agent: mine")
    assert firefox.preflight is not None
    assert fields(firefox.preflight)["access-control-request-headers"] == "user-agent"
    assert fields(firefox.preflight)["user-agent"] == sends.USER_AGENT
    assert fields(firefox.request)["user-agent"] == "mine"
    webkit = plan("webkit", "User-Agent: mine")
    assert webkit.preflight is not None
    assert fields(webkit.preflight)["user-agent"] == "mine"
    assert fields(webkit.request)["user-agent"] == "mine"


def test_identical_engines_send_identical_requests() -> None:
    plans = [plan(e, "X-Api-Key: k", method="DELETE") for e in ENGINES]
    assert len({p.preflight for p in plans}) == 1
    assert len({p.request for p in plans}) == 1


# -- redirects --------------------------------------------------------------------------


def follow(engine: str, call, status: int, target: str):
    hop = sends.start(call)
    first = sends.plan(engine, call, hop)
    announced = first.announced.headers if first.preflight is not None else None
    nxt = sends.follow(call, hop, status, target, announced)
    return nxt, sends.plan(engine, call, nxt)


@pytest.mark.parametrize(
    ("engine", "preflight_origin"),
    [("chromium", "null"), ("firefox", PAGE), ("webkit", "null")],
)
def test_preflighted_put_307_to_another_origin(engine: str, preflight_origin: str) -> None:
    """browser-engines.md: Chromium sends Origin: null on the new preflight and the PUT,
    Firefox its real Origin on the new preflight and null on the PUT, WebKit null on both."""
    call = make_call(API + "/a", PAGE, "PUT", ["X-Api-Key: k"])
    hop, p = follow(engine, call, 307, "http://127.0.0.2:9000/b")
    assert hop.tainted and hop.method == "PUT" and hop.first_url == API + "/a"
    assert p.preflight is not None
    assert fields(p.preflight)["origin"] == preflight_origin
    assert fields(p.preflight)["access-control-request-headers"] == "x-api-key"
    assert fields(p.request)["origin"] == "null"


@pytest.mark.parametrize(
    ("engine", "preflight"),
    [
        ("chromium", None),
        ("firefox", {"access-control-request-method": "GET", "origin": PAGE}),
        (
            "webkit",
            {
                "access-control-request-method": "GET",
                "access-control-request-headers": "content-type",
                "origin": "null",
            },
        ),
    ],
)
def test_preflighted_post_303_to_another_origin(engine: str, preflight: dict | None) -> None:
    """browser-engines.md: Chromium sends a plain GET, no new preflight; Firefox a new
    preflight (ACRM GET, no ACRH, real Origin); WebKit one with ACRM GET, ACRH content-type
    and Origin null."""
    call = make_call(API + "/a", PAGE, "POST", ["Content-Type: application/json"])
    hop, p = follow(engine, call, 303, "http://127.0.0.2:9000/b")
    assert hop.method == "GET"
    assert "content-type" not in {n.lower() for n, _ in hop.headers}  # dropped with the body
    if preflight is None:
        assert p.preflight is None
    else:
        assert p.preflight is not None
        got = fields(p.preflight)
        assert {k: got.get(k) for k in preflight} == preflight
        if "access-control-request-headers" not in preflight:
            assert "access-control-request-headers" not in got
    assert p.request.method == "GET" and fields(p.request)["origin"] == "null"


def test_redirects_rewrite_methods_and_drop_authorization() -> None:
    call = make_call(API + "/a", PAGE, "POST", ["Authorization: Bearer t"])
    same = sends.follow(call, sends.start(call), 302, API + "/b", None)
    assert same.method == "GET" and not same.tainted  # same origin: no taint
    assert ("Authorization", "Bearer t") in same.headers  # same origin: kept
    put = make_call(API + "/a", PAGE, "PUT", ["Authorization: Bearer t"])
    other = sends.follow(put, sends.start(put), 302, "http://127.0.0.2:1/b", None)
    assert other.method == "PUT" and other.tainted
    assert all(n.lower() != "authorization" for n, _ in other.headers)
    # a chain that starts on the page's own origin and leaves it is not tainted
    start = sends.Hop(PAGE + "/x", "GET", ())
    assert not sends.follow(put, start, 302, API + "/y", None).tainted


def test_location_resolution() -> None:
    assert sends.location(API + "/a/b", "c") == API + "/a/c"
    assert sends.location(API + "/a/b", "//h.example/z#f") == "http://h.example/z"
    assert sends.location(API + "/a", "ftp://h/x") is None
