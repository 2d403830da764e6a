"""Every flow is classified: preflights and Origin-carrying requests get one event, other
flows none; the event is attached to the flow as comment, marker and metadata, and logged
as one terminal line."""

from __future__ import annotations

import logging

import pytest
from addon_builders import API
from addon_builders import APP
from addon_builders import T0
from addon_builders import fetch
from addon_builders import grant
from addon_builders import make_flow
from addon_builders import preflight
from addon_builders import response
from mitmproxy import flowfilter

from cors_addon import render

ACAO = [("Access-Control-Allow-Origin", APP)]


def cors_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cors_addon.addon"]


async def test_allowed_preflight(cors, caplog):
    f = preflight()
    cors.run(f, response(204, grant(max_age=60)))
    [event] = cors.events
    assert event["type"] == "preflight" and event["method"] == "OPTIONS"
    assert event["verdict"] == "allowed" and event["error"] is None
    assert event["url"] == API and event["origin"] == APP and event["status"] == 204
    assert event["preflight"]["method"] == "PUT"
    assert event["preflight"]["headers"] == ["x-api-key"]
    assert [r["code"] for r in event["preflight"]["reasons"]] == [
        "method-not-safelisted",
        "header-not-safelisted",
    ]
    assert event["preflight"]["max_age"] == 60
    assert event["ms"] == pytest.approx(10.0)
    assert f.metadata["cors"] == event
    assert f.marked == render.MARK_PREFLIGHT
    assert f.comment.startswith("ALLOWED: preflight for PUT /v1/items from http://app.test\n")
    assert "Preflighted because: method PUT; header x-api-key" in f.comment
    [line] = cors_lines(caplog)
    assert line.levelno == logging.INFO
    assert line.getMessage() == (
        "PREFLIGHT PUT api.test/v1/items from http://app.test, because method PUT,"
        " header x-api-key -> allowed (cached 60 s) (warnings: credentials-would-block)"
    )


async def test_blocked_preflight(cors, caplog):
    f = preflight()
    cors.run(f, response(204, grant(methods="GET, POST")))
    event = f.metadata["cors"]
    assert event["verdict"] == "blocked"
    assert event["error"]["code"] == "MethodDisallowedByPreflightResponse"
    assert event["error"]["firefox"] == "CORSMethodNotFound"
    assert f.marked == render.MARK_BLOCKED
    assert f.comment.startswith("BLOCKED MethodDisallowedByPreflightResponse: preflight for PUT")
    assert "Fix: " in f.comment
    [line] = cors_lines(caplog)
    assert line.levelno == logging.WARNING
    message = line.getMessage()
    assert message.startswith("PREFLIGHT PUT api.test/v1/items from http://app.test, because")
    assert (
        "-> BLOCKED: Method PUT is not allowed by Access-Control-Allow-Methods in preflight"
        " response. Fix: "
    ) in message
    assert "\x1b[" not in message  # no colour when not on a terminal


async def test_allowed_and_blocked_requests(cors, caplog):
    ok = fetch("GET", extra=())
    cors.run(ok, response(200, [*ACAO, ("Vary", "Origin")]))
    bad = fetch("GET", extra=())
    cors.run(bad, response(200))
    assert ok.metadata["cors"]["verdict"] == "allowed" and ok.marked == render.MARK_ALLOWED
    assert ok.comment.splitlines()[0] == "ALLOWED: GET /v1/items from http://app.test"
    assert bad.comment.splitlines()[0] == (
        "BLOCKED MissingAllowOriginHeader: GET /v1/items from http://app.test"
    )
    assert bad.metadata["cors"]["verdict"] == "blocked"
    assert bad.metadata["cors"]["error"]["code"] == "MissingAllowOriginHeader"
    assert bad.marked == render.MARK_BLOCKED
    ok_line, bad_line = (r.getMessage() for r in cors_lines(caplog))
    assert ok_line.startswith("GET api.test/v1/items from http://app.test -> allowed")
    assert bad_line.startswith("GET api.test/v1/items from http://app.test -> BLOCKED: ")


async def test_request_without_origin_gets_no_event(cors, caplog):
    f = fetch("GET", origin=None, extra=())
    cors.run(f, response(200))
    plain = make_flow("OPTIONS", API, [("Access-Control-Request-Method", "PUT")])
    cors.run(plain, response(405))
    assert cors.events == []
    for g in (f, plain):
        assert "cors" not in g.metadata and g.comment == "" and g.marked == ""
    assert cors_lines(caplog) == []


@pytest.mark.parametrize(
    "kwargs,mode",
    [
        (dict(url="http://app.test/api", site="same-origin"), "cors"),
        (dict(mode="no-cors", dest="image"), "no-cors"),
        (dict(mode="navigate", dest="document", site="cross-site"), "navigate"),
        (dict(mode="same-origin", site="same-origin"), "same-origin"),
        (dict(mode="websocket", extra=[("Upgrade", "websocket"), ("Connection", "Upgrade")]), None),
    ],
    ids=["same-origin", "no-cors", "navigate", "same-origin-mode", "websocket"],
)
async def test_not_cors(cors, caplog, kwargs, mode):
    kwargs.setdefault("extra", ())
    f = fetch("POST", **kwargs)
    cors.run(f, response(200))
    [event] = cors.of(f)
    assert event["verdict"] == "not-cors" and event["error"] is None
    assert event["mode"] == (mode or "websocket")
    assert f.metadata["cors"] == event
    assert f.comment == f"NOT CORS ({event['mode']}): POST {f.request.path} from http://app.test"
    assert f.marked == ""  # not-cors flows are not marked
    assert cors_lines(caplog) == []  # nor printed


@pytest.mark.parametrize(
    "fields,mode",
    [
        # no Sec-Fetch-* (plain http to a non-localhost host): inferred from the request
        ([("Origin", APP), ("Upgrade", "websocket"), ("Connection", "Upgrade")], "websocket"),
        (
            [
                ("Origin", APP),
                ("Upgrade-Insecure-Requests", "1"),
                ("Accept", "text/html,application/xhtml+xml"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            "navigate",
        ),
    ],
)
async def test_not_cors_inferred_without_sec_fetch(cors, fields, mode):
    method = "GET" if mode == "websocket" else "POST"
    f = make_flow(method, API, fields)
    cors.run(f, response(101 if mode == "websocket" else 200))
    [event] = cors.of(f)
    assert (event["verdict"], event["mode"]) == ("not-cors", mode)


async def test_same_origin_without_sec_fetch(cors):
    f = make_flow("PUT", "http://api.test:8080/x", [("Origin", "http://api.test:8080")])
    cors.run(f, response(200))
    assert f.metadata["cors"]["verdict"] == "not-cors"


async def test_websocket_flow(cors):
    """A real websocket flow (tflow ws=True) is classified from its handshake."""
    from mitmproxy.test import tflow

    f = tflow.twebsocketflow()
    f.request.headers["Origin"] = APP
    f.request.headers["Sec-Fetch-Mode"] = "websocket"
    f.response = None
    cors.run(f, response(101, [("Upgrade", "websocket"), ("Connection", "Upgrade")]))
    assert f.metadata["cors"]["verdict"] == "not-cors"
    assert f.metadata["cors"]["mode"] == "websocket"


async def test_failed_request_is_blocked_with_network_error(cors):
    f = preflight()
    cors.run(f, error="Connection refused")
    event = f.metadata["cors"]
    assert event["status"] is None and event["verdict"] == "blocked"
    assert event["error"]["code"] == "NetworkError"
    assert f.marked == render.MARK_BLOCKED


async def test_flow_filters_find_events(cors):
    """mitmproxy's own filters find the annotations: ~meta (on both 11 and 12), ~comment,
    ~marker and ~marked."""
    blocked = preflight()
    cors.run(blocked, response(405))
    allowed = fetch("GET", extra=())
    cors.run(allowed, response(200, ACAO))
    plain = fetch("GET", origin=None, extra=())
    cors.run(plain, response(200))
    flows = [blocked, allowed, plain]

    def matching(spec: str) -> list:
        return [f for f in flows if flowfilter.match(spec, f)]

    # metadata renders as "cors: {...}": match on the dict's text
    assert matching("~meta \"'verdict': 'blocked'\"") == [blocked]
    code = "PreflightMissingAllowOriginHeader"
    assert matching(f"~meta \"'error': \\{{'code': '{code}'\"") == [blocked]
    assert matching("~meta \"'type': 'request'\"") == [allowed]
    assert matching("~meta cors") == [blocked, allowed]
    assert matching("~comment PreflightMissingAllowOriginHeader") == [blocked]
    assert matching("~comment ALLOWED") == [allowed]
    assert matching(f"~marker {render.MARK_BLOCKED}") == [blocked]
    assert matching("~marked") == [blocked, allowed]


async def test_terminal_line_colours(cors):
    f = preflight()
    cors.run(f, response(405))
    line = render.terminal_line(f.metadata["cors"], color=True)
    assert "\x1b[36mPREFLIGHT\x1b[0m" in line and "\x1b[1;31mBLOCKED\x1b[0m" in line


async def test_localhost_bypass_hint(cors, caplog):
    """Pages on localhost show up, their requests to localhost never do: say so, once."""
    import time

    for i in range(3):
        f = fetch("GET", "http://api.test/x", origin="http://localhost:3000", extra=(), t=T0 + i)
        cors.run(f, response(200))
    cors.addon.tick(time.time() + 60)
    cors.addon.tick(time.time() + 120)
    assert caplog.text.count("the browser sends loopback traffic around the proxy") == 1


async def test_no_bypass_hint_when_loopback_traffic_arrives(cors, caplog):
    import time

    cors.run(fetch("GET", "http://api.test/x", origin="http://localhost:3000", extra=()))
    cors.run(fetch("GET", "http://127.0.0.1:8000/x", origin="http://localhost:3000", extra=()))
    cors.addon.tick(time.time() + 60)
    assert "around the proxy" not in caplog.text


async def test_nul_byte_in_a_header_is_invalid_http(cors):
    """The browser rejects the response before CORS runs: its own verdict, no CORS error,
    rendered on every output (issue 18)."""
    f = fetch("GET", extra=())
    cors.run(f, response(200, [("Access-Control-Allow-Origin", APP + "\x00")]))
    event = f.metadata["cors"]
    assert event["verdict"] == "invalid-http"
    assert event["error"]["code"] == "InvalidHttpResponse"
    assert event["error"]["message"].startswith(
        "The browser rejects this response as invalid HTTP before CORS runs:"
    )
    assert f.marked == render.MARK_BLOCKED
    assert "INVALID HTTP: The browser rejects this response" in render.terminal_line(event)
    assert render.headline(event).startswith("INVALID-HTTP InvalidHttpResponse: GET /")
