"""Fuzzing the engine, the per-flow pipeline and the addon's hooks with arbitrary traffic.

Header names and values from raw bytes and any code point, control bytes, huge values,
thousands of fields, duplicates, empty values; any method, URL and status code. The
properties: nothing ever raises, the verdict is always one of the defined values, and every
event is valid against the schema, renders, and reaches the log.

Examples per property: CORS_FUZZ_EXAMPLES (200 by default; 10000 for a fuzzing run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_strategies import REQUEST_NAMES
from fuzz_strategies import RESPONSE_NAMES
from fuzz_strategies import VERDICTS
from fuzz_strategies import fuzz_settings
from fuzz_strategies import header_fields
from fuzz_strategies import methods
from fuzz_strategies import statuses
from fuzz_strategies import urls
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy.test import tflow

from cors_addon import render
from cors_addon.addon import CorsAddon
from cors_addon.engine import PROFILES
from cors_addon.engine import Headers
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine import profile_for
from cors_addon.eventlog import EventLog
from cors_addon.pipeline import Inspector
from cors_addon.rules import parse_rules
from cors_addon.rules.reload import RulesFile
from cors_addon.summary import Summary

pytestmark = pytest.mark.fuzz

Event = dict[str, Any]
T0 = 1_700_000_000.0
MODES = {"cors", "no-cors", "navigate", "same-origin", "websocket", "webtransport", "unknown"}
BROWSERS = st.sampled_from(["auto", *PROFILES])


def _check_verdict(v: Any) -> None:
    assert v.verdict in VERDICTS - {"unknown"}, v.verdict
    assert (v.error is not None) == (v.verdict in ("blocked", "invalid-http")), v
    for w in v.warnings:
        assert isinstance(w.code, str) and w.code and isinstance(w.message, str)
    if v.error is not None:
        assert v.error.code and v.error.console and v.error.message


@fuzz_settings
@given(
    method=methods,
    url=urls,
    req_fields=header_fields(REQUEST_NAMES, origin=True),
    status=statuses,
    resp_fields=header_fields(RESPONSE_NAMES),
    browser=BROWSERS,
    failed=st.booleans(),
    redirected_from=st.one_of(st.none(), urls),
)
def test_engine_never_raises_and_verdict_is_defined(
    method, url, req_fields, status, resp_fields, browser, failed, redirected_from
):
    req = WireRequest(method, url, Headers(req_fields))
    profile = profile_for(browser, req.headers.get("user-agent"))
    c = classify(req, profile)
    assert c.preflight.needed in (True, False)
    assert c.mode in MODES
    assert list(c.preflight.headers) == sorted(set(c.preflight.headers))
    resp = None if failed else WireResponse(status, Headers(resp_fields))
    v = judge(
        req,
        c,
        resp,
        profile,
        redirected_from=redirected_from,
        error_text="connection refused" if failed else None,
    )
    _check_verdict(v)
    announced = tuple((req.headers.get("access-control-request-headers") or "x").split(","))
    _check_verdict(judge(req, classify(req, profile, announced), resp, profile))


@st.composite
def exchanges(draw: st.DrawFn) -> tuple:
    """A request, the server's answer (or a failure) and the time it started."""
    req = WireRequest(
        draw(methods), draw(urls), Headers(draw(header_fields(REQUEST_NAMES, origin=True)))
    )
    failed = draw(st.integers(0, 9)) == 0
    resp = None
    if not failed:
        resp = WireResponse(draw(statuses), Headers(draw(header_fields(RESPONSE_NAMES))))
    return req, resp, draw(st.floats(0, 3.0))


CATCH_ALL = parse_rules(
    '[[rules]]\nname = "all"\nallow_origin = "reflect"\nexpose_headers = "all"\n'
    'preflight = "answer"\nmax_age = 5\nstrip = ["x-*", "vary"]\n'
).rules[0]


@fuzz_settings
@given(
    flows=st.lists(exchanges(), min_size=1, max_size=4),
    browser=BROWSERS,
    with_rule=st.booleans(),
    client=st.sampled_from(["127.0.0.1", "::1", ""]),
)
def test_pipeline_events_are_valid_and_render(validate_event, flows, browser, with_rule, client):
    """Through Inspector (pairing, cache, redirects, a rule's rewrite, orphans): every
    event validates against the schema, renders in every form, and serializes."""
    inspector = Inspector(browser)
    summary = Summary()
    events: list[Event] = []
    t = T0
    for n, (req, resp, dt) in enumerate(flows):
        t += dt
        state = inspector.begin(req, client=client, time=t, host="api.example", port=443)
        if state is None:
            assert "origin" not in req.headers
            continue
        changes = upstream = None
        if with_rule and state.c.cors:
            answered = inspector.answer(state, CATCH_ALL)
            if answered is not None:
                resp = answered
            if resp is not None:
                resp, changes, upstream, _ = inspector.rewrite(state, CATCH_ALL, resp)
        event = inspector.finish(
            state,
            f"flow-{n}",
            resp,
            error_text="refused" if resp is None else None,
            ms=dt * 1000,
            changes=changes,
            upstream=upstream,
        )
        events.append(event)
    events += [e for _, e in inspector.orphans(t + 10)]
    events += [e for _, e in inspector.flush()]
    for event in events:
        validate_event(event)
        assert event["verdict"] in VERDICTS
        json.loads(json.dumps(event))
        render.terminal_line(event, color=True)
        render.comment(event)
        render.explanation(event)
        render.mark(event)
        summary.add(event)
    summary.render()


# -- through the addon's hooks, with mitmproxy's own types ----------------------------------

raw_names = st.one_of(
    st.sampled_from([n.encode() for n in REQUEST_NAMES if n]),
    st.binary(min_size=1, max_size=30),
)


def _raw(fields: list[tuple[str, str]]) -> http.Headers:
    return http.Headers(
        [
            (n.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
            for n, v in fields
        ]
    )


@st.composite
def mitm_flows(draw: st.DrawFn, t: float) -> tuple[http.HTTPFlow, http.Response | None, bool]:
    req = http.Request(
        host=draw(st.sampled_from(["api.example", "127.0.0.1", "::1", "", "xn--bcher-kva.ex."])),
        port=draw(st.sampled_from([80, 443, 8080, 0, 65535])),
        method=draw(methods).encode("utf-8", "surrogateescape"),
        scheme=draw(st.sampled_from([b"http", b"https"])),
        authority=draw(st.sampled_from([b"", b"api.example:443", b"\xff"])),
        path=draw(st.binary(max_size=40)),
        http_version=draw(st.sampled_from([b"HTTP/1.1", b"HTTP/2.0", b"HTTP/1.0"])),
        headers=_raw(draw(header_fields(REQUEST_NAMES, origin=True))),
        content=b"",
        trailers=None,
        timestamp_start=t,
        timestamp_end=t,
    )
    f = tflow.tflow(req=req)
    failed = draw(st.integers(0, 9)) == 0
    server = None
    if not failed:
        server = http.Response.make(
            draw(st.integers(100, 999)), b"", _raw(draw(header_fields(RESPONSE_NAMES)))
        )
        server.timestamp_start = server.timestamp_end = t + 0.01
    return f, server, failed


RULES_TEXT = """
[[rules]]
name = "answer"
match = { methods = ["PUT"] }
allow_origin = "reflect"
preflight = "answer"
max_age = 5

[[rules]]
name = "strip"
match = { origins = ["null"] }
strip = ["access-control-*"]

[[rules]]
name = "rest"
allow_origin = "reflect"
expose_headers = "all"
allow_credentials = true
preflight = "fix"
"""


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz-rules") / "rules.toml"
    path.write_text(RULES_TEXT)
    return path


class InternalErrors(logging.Handler):
    """Collects the addon's "internal error" reports (with their traceback) without
    letting thousands of examples' terminal lines pile up in pytest's log capture."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "internal error" in record.getMessage():
            self.reports.append(logging.Formatter().format(record))


@pytest.fixture
def internal_errors() -> Iterator[InternalErrors]:
    logger = logging.getLogger("cors_addon")
    handler = InternalErrors()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@fuzz_settings
@given(data=st.data(), with_rules=st.booleans())
def test_addon_hooks_never_raise_and_log_every_event(
    validate_event: Callable[[Event], Event],
    tmp_path: Path,
    rules_file: Path,
    internal_errors: InternalErrors,
    data: st.DataObject,
    with_rules: bool,
) -> None:
    """Odd flows through the hooks as the proxy runs them: no internal error, one event
    per flow that carries an Origin, and the log holds exactly those events."""
    addon = CorsAddon()
    log = tmp_path / "events.jsonl"
    log.unlink(missing_ok=True)
    addon.log = EventLog(str(log))
    if with_rules:
        addon.rules_file = RulesFile(str(rules_file))
    emitted: list[Event] = []
    emit = addon._emit

    def checked(event: Event, flow: http.HTTPFlow | None) -> None:
        emitted.append(validate_event(event))
        emit(event, flow)

    addon._emit = checked  # type: ignore[method-assign]
    expected = 0
    internal_errors.reports.clear()
    try:
        for i in range(data.draw(st.integers(1, 3))):
            f, server, failed = data.draw(mitm_flows(T0 + i * 0.1))
            expected += "origin" in f.request.headers
            addon.requestheaders(f)
            if hasattr(addon, "request"):  # as mitmproxy calls it: only when the addon has it
                addon.request(f)
            if f.response is None:
                if failed:
                    f.error = mflow.Error("connection refused")
                    addon.error(f)
                    continue
                f.response = server
            addon.responseheaders(f)
        addon.tick(T0 + 60)
    finally:
        addon.log.close()
    assert addon.internal_errors == 0 and not internal_errors.reports, internal_errors.reports
    assert len([e for e in emitted if e["type"] != "orphan"]) == expected
    lines = log.read_text().splitlines() if log.exists() else []
    assert [json.loads(line) for line in lines] == emitted
