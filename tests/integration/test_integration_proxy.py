"""`python -m cors_addon` with its defaults, one proxy for the module: browser-shaped
traffic through it, the JSONL log and the terminal lines."""

from __future__ import annotations

import socket

import pytest
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import free_port
from proxy_harness import preflight_fields
from proxy_harness import send

pytestmark = pytest.mark.integration

GRANT = [
    ("Access-Control-Allow-Origin", PAGE),
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Allow-Headers", "content-type, x-api-key"),
    ("Access-Control-Max-Age", "600"),
    ("Vary", "Origin"),
]
ACAO = [("Access-Control-Allow-Origin", PAGE), ("Vary", "Origin")]


@pytest.fixture(scope="module")
def proxy(module_proxies):
    return module_proxies.start("default")


def where(url: str) -> str:
    return url.split("://", 1)[1]


def codes(event) -> list[str]:
    return [w["code"] for w in event["warnings"]]


def test_listens_on_loopback_only(proxy):
    out = proxy.wait_stdout("listening at")
    assert f"HTTP(S) proxy listening at 127.0.0.1:{proxy.port}." in out
    try:  # the address this machine would use towards the outside
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            outside = s.getsockname()[0]
    except OSError:
        outside = "127.0.0.1"
    if not outside.startswith("127."):
        with pytest.raises(OSError), socket.create_connection((outside, proxy.port), 0.5):
            pass
    assert "listens beyond this machine's loopback" not in out


def test_preflight_then_request_then_cache(proxy, api):
    url = api.add("/t/ok", Route(204, GRANT), method="OPTIONS")
    api.add("/t/ok", Route(200, ACAO, b'{"ok": true}'), method="PUT")
    reply = send(proxy.port, "OPTIONS", url, preflight_fields("PUT", "content-type,x-api-key"))
    assert reply.status == 204 and reply.get("access-control-allow-origin") == PAGE
    body = b'{"name": "x"}'
    put = fetch_fields(extra=[("Content-Type", "application/json"), ("X-Api-Key", "k")])
    reply = send(proxy.port, "PUT", url, put, body)
    assert reply.status == 200 and reply.body == b'{"ok": true}'
    [pre, req] = proxy.events_for(url, 2)
    assert pre["type"] == "preflight" and pre["verdict"] == "allowed"
    assert pre["method"] == "OPTIONS" and pre["status"] == 204
    assert pre["preflight"]["max_age"] == 600
    assert [r["code"] for r in pre["preflight"]["reasons"]] == [
        "method-not-safelisted",
        "header-not-safelisted",
        "header-not-safelisted",
    ]
    assert req["type"] == "request" and req["verdict"] == "allowed"
    assert req["preflight"]["flow"] == pre["flow"]
    assert req["preflight"]["headers"] == ["content-type", "x-api-key"]
    assert "acrh-mismatch" not in codes(req) and "missing-preflight" not in codes(req)
    assert req["origin"] == PAGE and req["mode"] == "cors" and req["browser"] == "chromium"
    assert isinstance(req["ms"], float) and req["ms"] >= 0

    send(proxy.port, "PUT", url, put, body)  # the browser reuses the cached preflight
    cached = proxy.events_for(url, 3)[2]
    assert cached["preflight"]["flow"] is None
    assert cached["preflight"]["cache"]["flow"] == pre["flow"]
    assert cached["preflight"]["cache"]["max_age"] == 600
    assert "missing-preflight" not in codes(cached)

    out = proxy.wait_stdout(f"PUT {where(url)} from {PAGE} (preflight cached")
    assert (
        f"PREFLIGHT PUT {where(url)} from {PAGE}, because method PUT, header content-type,"
        " header x-api-key -> allowed (cached 600 s)" in out
    )
    assert f"PUT {where(url)} from {PAGE} after its preflight -> allowed" in out
    assert (
        f"PUT {where(url)} from {PAGE} (preflight cached 0 s ago, max-age 600 s), because"
        " method PUT, Content-Type application/json, header x-api-key -> allowed"
    ) in out


def test_blocked_preflight(proxy, api):
    url = api.add("/t/405", Route(405, [("Allow", "GET")], b"no"), method="OPTIONS")
    reply = send(proxy.port, "OPTIONS", url, preflight_fields("DELETE", None))
    assert reply.status == 405  # without rules the proxy changes nothing
    [event] = proxy.events_for(url)
    assert event["verdict"] == "blocked"
    assert event["error"]["code"] == "PreflightMissingAllowOriginHeader"
    assert event["preflight"]["method"] == "DELETE"
    line = proxy.wait_stdout(f"PREFLIGHT DELETE {where(url)}")
    line = next(x for x in line.splitlines() if f"PREFLIGHT DELETE {where(url)}" in x)
    assert f"from {PAGE}, because method DELETE -> BLOCKED: " in line
    assert "No 'Access-Control-Allow-Origin' header is present" in line and " Fix: " in line
    assert "\x1b[" not in line  # no colours when stdout is not a terminal


@pytest.mark.parametrize(
    "path,headers,cookie,code",
    [
        ("/t/none", [], None, "MissingAllowOriginHeader"),
        ("/t/other", [("Access-Control-Allow-Origin", "http://other.test")], None,
         "AllowOriginMismatch"),
        ("/t/wild", [("Access-Control-Allow-Origin", "*")], "sid=1", "WildcardOriginNotAllowed"),
        ("/t/nocred", [("Access-Control-Allow-Origin", PAGE)], "sid=1", "InvalidAllowCredentials"),
        ("/t/double", [("Access-Control-Allow-Origin", PAGE)] * 2, None,
         "MultipleAllowOriginValues"),
    ],
)  # fmt: skip
def test_blocked_requests(proxy, api, path, headers, cookie, code):
    url = api.add(path, Route(200, headers, b"data"))
    reply = send(proxy.port, "GET", url, fetch_fields(cookie=cookie))
    assert reply.status == 200 and reply.get_all("access-control-allow-origin") == [
        v for n, v in headers if n == "Access-Control-Allow-Origin"
    ]
    [event] = proxy.events_for(url)
    assert event["verdict"] == "blocked" and event["error"]["code"] == code
    assert event["credentials"] == ("include" if cookie else "unknown")
    assert not event["preflight"]["needed"]
    proxy.wait_stdout(f"GET {where(url)} from {PAGE} -> BLOCKED: ")


def test_no_origin_no_event_and_not_cors(proxy, api):
    plain = api.add("/t/plain", Route(200, [], b"x"))
    send(proxy.port, "GET", plain, fetch_fields(origin=None, mode="no-cors", dest="script"))
    cases = {
        "/t/nav": fetch_fields(mode="navigate", dest="document", site="cross-site"),
        "/t/img": fetch_fields(mode="no-cors", dest="image"),
        "/t/same": fetch_fields(origin=api.origin, site="same-origin"),
        "/t/ws": [
            *fetch_fields(mode="websocket", dest="websocket"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    }
    modes = {"/t/nav": "navigate", "/t/img": "no-cors", "/t/same": "cors", "/t/ws": "websocket"}
    for path, fields in cases.items():
        url = api.add(path, Route(400 if path == "/t/ws" else 200, [], b"x"))
        send(proxy.port, "POST" if path == "/t/nav" else "GET", url, fields)
        [event] = proxy.events_for(url)
        assert event["verdict"] == "not-cors" and event["mode"] == modes[path], path
    assert [e for e in proxy.events() if e["url"] == plain] == []
    out = proxy.stdout()
    assert "/t/plain" not in out and "/t/nav" not in out and "/t/img" not in out


def test_orphaned_preflight(proxy, api):
    url = api.add(
        "/t/orphan",
        Route(
            204,
            [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-api-key"),
            ],
        ),
    )
    send(proxy.port, "OPTIONS", url, preflight_fields())
    # the browser never sends the PUT (it carries credentials): an orphan after the window
    [orphan] = proxy.wait_for(lambda e: e["url"] == url and e["type"] == "orphan", timeout=6)
    [pre] = proxy.events_for(url, type="preflight")
    assert orphan["flow"] == pre["flow"] and pre["verdict"] == "allowed"
    assert orphan["verdict"] == "blocked"
    assert orphan["error"]["code"] == "PreflightWildcardOriginNotAllowed"
    assert "orphan-preflight" in codes(orphan)
    proxy.wait_stdout(f"ORPHAN preflight PUT {where(url)} from {PAGE} -> BLOCKED: ")


def test_redirect_chain(proxy, api):
    new = api.add("/t/new", Route(200, ACAO, b"new"))
    old = api.add("/t/old", Route(302, [*ACAO, ("Location", "/t/new")], b""))
    reply = send(proxy.port, "GET", old, fetch_fields())
    assert reply.status == 302
    send(proxy.port, "GET", new, fetch_fields())  # the browser follows it
    [first] = proxy.events_for(old)
    [second] = proxy.events_for(new)
    assert first["status"] == 302 and first["verdict"] == "allowed"
    assert second["redirected_from"] == old


def test_unreachable_server(proxy):
    url = f"http://127.0.0.1:{free_port()}/t/down"
    reply = send(proxy.port, "GET", url, fetch_fields())
    assert reply.status == 502
    [event] = proxy.events_for(url)
    assert event["status"] is None and event["verdict"] == "blocked"
    assert event["error"]["code"] == "NetworkError"


def test_without_sec_fetch_headers(proxy, api):
    url = api.add("/t/old-browser", Route(200, ACAO, b"x"))
    send(proxy.port, "GET", url, [("Origin", PAGE)])
    [event] = proxy.events_for(url)
    assert event["verdict"] == "allowed" and "mode-inferred" in codes(event)


def test_no_mitmproxy_flow_dump(proxy, api):
    """--flow-detail 0 by default: only the addon's own lines."""
    url = api.add("/t/quiet", Route(200, ACAO, b"x"))
    send(proxy.port, "GET", url, fetch_fields())
    proxy.events_for(url)
    out = proxy.wait_stdout(f"GET {where(url)} from {PAGE}")
    assert "<< 200" not in out and "client connect" not in out


def test_log_lines_are_whole_and_valid(proxy, validate_event):
    text = proxy.whole_log_text()
    assert text.endswith("\n")
    events = proxy.events()
    assert events and all(validate_event(e) for e in events)
    assert len({(e["flow"], e["type"]) for e in events}) == len(events)  # one per flow
