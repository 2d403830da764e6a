"""Hooks never raise: odd flows go through without an internal error, and still get an
event wherever one is due. (The `cors` fixture fails any test in which a hook swallowed an
internal error.)"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from addon_builders import API
from addon_builders import APP
from addon_builders import T0
from addon_builders import as_quiet_mitmdump
from addon_builders import exchange
from addon_builders import fetch
from addon_builders import grant
from addon_builders import make_flow
from addon_builders import preflight
from addon_builders import response
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy.proxy.mode_specs import ProxyMode
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from cors_addon.addon import CorsAddon
from cors_addon.pipeline import Inspector


def raw(fields: list[tuple[bytes, bytes]]) -> http.Headers:
    return http.Headers(fields)


async def test_error_flow_through_the_addon_manager(cors):
    f = tflow.tflow(err=True)
    f.request.headers["Origin"] = APP
    await cors.tctx.cycle(cors.addon, f)
    event = f.metadata["cors"]
    assert event["status"] is None and event["verdict"] == "blocked"
    assert event["error"]["code"] == "NetworkError"


async def test_full_cycle_through_the_addon_manager(cors):
    f = preflight()
    f.response = response(204, grant())
    await cors.tctx.cycle(cors.addon, f)
    assert f.metadata["cors"]["verdict"] == "allowed"


async def test_error_after_response_headers(cors):
    """A response whose body then fails: the event is already out, no second one."""
    f = fetch("GET", extra=())
    cors.addon.requestheaders(f)
    if hasattr(cors.addon, "request"):  # as mitmproxy calls it: only when the addon has it
        cors.addon.request(f)
    f.response = response(200, [("Access-Control-Allow-Origin", APP)])
    cors.addon.responseheaders(f)
    f.error = mflow.Error("connection reset")
    cors.addon.error(f)
    assert len(cors.of(f)) == 1


async def test_hooks_for_flows_never_seen_before(cors):
    """responseheaders/error for a flow whose request hooks did not run (the addon was
    added mid-flight, or MAX_INFLIGHT evicted it): it is classified there."""
    f = preflight()
    f.response = response(204, grant())
    cors.addon.responseheaders(f)
    assert f.metadata["cors"]["type"] == "preflight"
    g = fetch("GET", extra=())
    g.error = mflow.Error("killed")
    cors.addon.error(g)
    assert g.metadata["cors"]["verdict"] == "blocked"


async def test_responseheaders_without_response(cors):
    f = fetch()
    cors.addon.requestheaders(f)
    cors.addon.responseheaders(f)  # no response: nothing to judge, nothing raised
    assert cors.of(f) == []


async def test_killed_flow(cors):
    f = preflight()
    cors.addon.requestheaders(f)
    f.kill()
    if hasattr(cors.addon, "request"):  # as mitmproxy calls it: only when the addon has it
        cors.addon.request(f)
    cors.addon.error(f)
    assert f.metadata["cors"]["error"]["code"] == "NetworkError"


ODD_REQUESTS: dict[str, Callable[[], http.HTTPFlow]] = {
    "missing host": lambda: tflow.tflow(
        req=tutils.treq(host="", port=0, headers=raw([(b"Origin", APP.encode())]))
    ),
    "ipv6 host": lambda: tflow.tflow(
        req=tutils.treq(host="::1", port=8080, headers=raw([(b"Origin", b"http://[::1]:3000")]))
    ),
    "origin null": lambda: fetch(origin="null"),
    "origin garbage": lambda: fetch(origin="://::"),
    "origin with path": lambda: fetch(origin="http://app.test/page?x=1"),
    "origin non-ascii": lambda: tflow.tflow(
        req=tutils.treq(headers=raw([(b"Origin", b"http://\xc3\xa4pp.test"), (b"X-\xff", b"\xfe")]))
    ),
    "origin latin-1 bytes": lambda: tflow.tflow(
        req=tutils.treq(headers=raw([(b"Origin", b"http://\xe4.test")]))
    ),
    "origin twice": lambda: fetch(extra=[("Origin", "http://other.test")]),
    "empty origin": lambda: fetch(origin=""),
    "empty acrm": lambda: preflight(method=""),
    "acrm lower-case": lambda: preflight(method="put"),
    "acrh garbage": lambda: preflight(acrh=",,, ,\t,x y,é"),
    "huge header": lambda: fetch(extra=[("X-Big", "a" * 100_000), ("Accept", "b" * 5000)]),
    "many headers": lambda: fetch(extra=[(f"X-H{i}", str(i)) for i in range(300)]),
    "odd content-type": lambda: fetch("POST", extra=[("Content-Type", ";;;/;")]),
    "bad sec-fetch": lambda: fetch(mode="weird\x00", site="", dest="\xff"),
    "upgrade without mode": lambda: make_flow("GET", API, [("Origin", APP), ("Upgrade", "h2c")]),
    "connect with origin": lambda: tflow.tflow(
        req=tutils.treq(
            method=b"CONNECT",
            host="api.test",
            port=443,
            path=b"",
            authority=b"api.test:443",
            headers=raw([(b"Origin", APP.encode())]),
        )
    ),
    "asterisk options": lambda: tflow.tflow(
        req=tutils.treq(
            method=b"OPTIONS",
            path=b"*",
            headers=raw([(b"Origin", APP.encode()), (b"Access-Control-Request-Method", b"PUT")]),
        )
    ),
    "no client address": lambda: _no_peer(fetch()),
    "reverse mode": lambda: _reverse(fetch()),
    "reverse mode, no sockname": lambda: _reverse(fetch(), sockname=None),
}


def _no_peer(f: http.HTTPFlow) -> http.HTTPFlow:
    f.client_conn.peername = None  # type: ignore[assignment]
    return f


def _reverse(f: http.HTTPFlow, sockname: tuple | None = ("127.0.0.1", 8080)) -> http.HTTPFlow:
    f.client_conn.proxy_mode = ProxyMode.parse("reverse:http://127.0.0.1:9000")
    f.client_conn.sockname = sockname  # type: ignore[assignment]
    return f


ODD_RESPONSES: dict[str, list[tuple[bytes, bytes]]] = {
    "none": [],
    "acao non-utf8": [(b"Access-Control-Allow-Origin", b"http://\xe4pp.test")],
    "acao empty": [(b"Access-Control-Allow-Origin", b"")],
    "acao many": [(b"Access-Control-Allow-Origin", APP.encode())] * 50,
    "acam garbage": [
        (b"Access-Control-Allow-Origin", b"*"),
        (b"Access-Control-Allow-Methods", b"PUT, ,\x01, (x)"),
        (b"Access-Control-Allow-Headers", b'"quoted", x-api-key'),
    ],
    "max-age odd": [
        (b"Access-Control-Allow-Origin", APP.encode()),
        (b"Access-Control-Allow-Methods", b"PUT"),
        (b"Access-Control-Allow-Headers", b"x-api-key"),
        (b"Access-Control-Max-Age", b"99999999999999999999999999"),
    ],
    "max-age negative": [
        (b"Access-Control-Allow-Origin", b"*"),
        (b"Access-Control-Max-Age", b"-5"),
    ],
    "redirect no location": [(b"Access-Control-Allow-Origin", b"*")],
    "redirect bad location": [
        (b"Access-Control-Allow-Origin", b"*"),
        (b"Location", b"http://[::1/\xff"),
    ],
    "acac odd": [
        (b"Access-Control-Allow-Origin", APP.encode()),
        (b"Access-Control-Allow-Credentials", b"TRUE\x00"),
    ],
}


@pytest.mark.parametrize("req", list(ODD_REQUESTS), ids=list(ODD_REQUESTS))
async def test_odd_flows(cors, req):
    for resp, fields in ODD_RESPONSES.items():
        for status in (200, 204, 302, 405, 999):
            f = ODD_REQUESTS[req]()
            server = http.Response.make(status, b"", raw(fields))
            cors.run(f, server)
            has_origin = "origin" in f.request.headers
            assert len(cors.of(f)) == (1 if has_origin else 0), (resp, status)
            if has_origin:
                assert f.metadata["cors"] == cors.of(f)[0]
    cors.addon.tick(T0 + 3600)
    cors.addon.done()


@pytest.mark.parametrize("req", list(ODD_REQUESTS), ids=list(ODD_REQUESTS))
async def test_odd_flows_failing(cors, req):
    f = ODD_REQUESTS[req]()
    cors.run(f, error="Connection refused")
    assert len(cors.of(f)) == ("origin" in f.request.headers)


@pytest.mark.parametrize("req", list(ODD_REQUESTS), ids=list(ODD_REQUESTS))
async def test_odd_flows_with_rules(cors, tmp_path, req):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rules]]\nname = "all"\nallow_origin = "reflect"\npreflight = "answer"\n'
        'expose_headers = "all"\nmax_age = 5\nstrip = ["x-*"]\n'
    )
    cors.configure(cors_rules=str(rules))
    f = ODD_REQUESTS[req]()
    cors.run(f, http.Response.make(500, b"x", raw([(b"X-\xff", b"\xfe"), (b"Vary", b"*")])))
    assert len(cors.of(f)) == ("origin" in f.request.headers)


async def test_guard_logs_and_passes_the_flow_on(cors, caplog, monkeypatch):
    """An internal error never escapes a hook: it is logged, the flow goes on untouched."""

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Inspector, "begin", boom)
    f = preflight()
    server = response(204, grant())
    assert cors.run(f, server)
    assert f.response is server and "cors" not in f.metadata
    assert cors.addon.internal_errors >= 1
    assert "internal error in requestheaders (RuntimeError: boom)" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    monkeypatch.undo()
    g = preflight()
    cors.run(g, response(204, grant()))
    assert g.metadata["cors"]["verdict"] == "allowed"  # and keeps working
    cors.addon.internal_errors = 0
    caplog.clear()


async def test_tick_never_raises(cors, caplog, monkeypatch):
    monkeypatch.setattr(Inspector, "orphans", lambda self, now=None: 1 / 0)
    cors.addon.tick(T0)
    assert "internal error in tick" in caplog.text
    caplog.clear()


# -- property-based: any headers, no internal error ------------------------------------

_names = st.sampled_from(
    [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Sec-Fetch-Mode",
        "Sec-Fetch-Site",
        "Content-Type",
        "Cookie",
        "Authorization",
        "Upgrade",
        "Range",
        "X-Custom",
        "Accept",
    ]
)
_resp_names = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
        "Access-Control-Expose-Headers",
        "Location",
        "Vary",
    ]
)
_values = st.one_of(
    st.sampled_from(["*", "null", APP, "PUT", "x-api-key", "true", "", "websocket", "cors"]),
    st.binary(max_size=40),
)


def _as_bytes(v: str | bytes) -> bytes:
    return v if isinstance(v, bytes) else v.encode()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "OPTIONS", "PUT", "POST", "get", "X"]),
    req_fields=st.lists(st.tuples(_names, _values), max_size=8),
    status=st.sampled_from([200, 204, 301, 307, 404, 500]),
    resp_fields=st.lists(st.tuples(_resp_names, _values), max_size=8),
    fail=st.booleans(),
)
def test_any_headers(validate_event, method, req_fields, status, resp_fields, fail):
    addon = CorsAddon()  # no mitmproxy context needed for traffic hooks
    events: list[dict] = []
    emit = addon._emit

    def checked(event, flow):
        events.append(validate_event(event))
        emit(event, flow)

    addon._emit = checked  # type: ignore[method-assign]
    req = http.Request.make(
        method, API, b"", raw([(n.encode(), _as_bytes(v)) for n, v in req_fields])
    )
    f = tflow.tflow(req=req)
    server = http.Response.make(
        status, b"", raw([(n.encode(), _as_bytes(v)) for n, v in resp_fields])
    )
    exchange(addon, f, server, error="refused" if fail else None)
    addon.tick(req.timestamp_start + 100)
    assert addon.internal_errors == 0
    assert len([e for e in events if e["type"] != "orphan"]) == ("origin" in f.request.headers)


async def test_batched_a_failing_flow_is_logged_and_the_others_go_on(cors, caplog, monkeypatch):
    """Batched, an internal error in one flow's analysis (at the tick) is logged like a hook's,
    and the flows queued with it still get their events."""
    as_quiet_mitmdump(cors.addon)
    cors.configure(cors_filter=None)
    assert cors.addon.batched
    begin = Inspector.begin
    flows = [fetch("GET", extra=(), t=T0 + i) for i in range(3)]

    def boom_for_the_second(self, wire, **kwargs):
        if kwargs["time"] == T0 + 1:
            raise RuntimeError("boom")
        return begin(self, wire, **kwargs)

    monkeypatch.setattr(Inspector, "begin", boom_for_the_second)
    for f in flows:
        assert cors.run(f, response(200, [("Access-Control-Allow-Origin", APP)]))
    assert all("cors" not in f.metadata for f in flows)  # they wait for the tick
    cors.addon.tick(T0 + 5)
    assert [("cors" in f.metadata) for f in flows] == [True, False, True]
    assert "internal error in the batched analysis (RuntimeError: boom)" in caplog.text
    assert cors.addon.internal_errors == 1
    cors.addon.internal_errors = 0
    caplog.clear()
