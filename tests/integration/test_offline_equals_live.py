"""Offline equals live: the same flows give the same events whichever way they are read.

Random sequences of browser-shaped flows (preflights and their actual requests at gaps on
either side of the 2 s orphan window, cached preflights, redirects, failures, flows without
an Origin) are written to a mitmproxy flow file, then read

- by the addon in a mitmproxy test context, as flows read from a file (`-r`) and as live
  flows (whose orphans expire on the flows' own clock, as the ticking proxy's do),
- by the real `python -m cors_addon -nr FILE` (its JSONL log),
- by `analyze` of the same file,

and every way must give the same events. A flow file keeps mitmproxy's flow ids and
timestamps, so no field may differ: LEGITIMATELY_DIFFERENT is empty. (Other capture formats
legitimately differ in the flow id, which a HAR does not record: see tests/analyze.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from mitmproxy import eventsequence
from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy import io as mio
from mitmproxy.test import taddons
from mitmproxy.test import tflow

from cors_addon.addon import CorsAddon
from cors_addon.analyze import events as analyze_events

T0 = 1_750_000_000.0
APP = "http://app.test"
OTHER_APP = "http://other.test"
API = "http://api.test"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
# Fields of an event that may differ between the ways of reading one flow file: none.
LEGITIMATELY_DIFFERENT: tuple[str, ...] = ()

Event = dict[str, Any]


def _headers(fields: list[tuple[str, str]]) -> http.Headers:
    return http.Headers([(n.encode(), v.encode()) for n, v in fields])


@st.composite
def flow_specs(draw: st.DrawFn) -> dict[str, Any]:
    """One flow: what the page sends, when, and how the server answers."""
    kind = draw(st.sampled_from(["preflight", "actual", "simple", "no-origin", "same-origin"]))
    return {
        "kind": kind,
        "path": draw(st.sampled_from(["/a", "/b", "/r"])),
        "origin": draw(st.sampled_from([APP, APP, OTHER_APP])),
        "method": draw(st.sampled_from(["PUT", "DELETE"])),
        "gap": draw(st.sampled_from([0.01, 0.3, 1.9, 2.1, 2.6, 5.0, 700.0])),
        "answer": draw(
            st.sampled_from(["grant", "grant-cached", "no-acao", "403", "redirect", "error"])
        ),
        "delay": draw(st.sampled_from([0.002, 0.05, 1.5])),
        "cookie": draw(st.booleans()),
        "client": draw(st.sampled_from(["127.0.0.1", "127.0.0.1", "10.0.0.2"])),
    }


def build_flows(specs: list[dict[str, Any]]) -> list[http.HTTPFlow]:
    flows = []
    t = T0
    for spec in specs:
        t += spec["gap"]
        origin = spec["origin"]
        method = spec["method"]
        url = API + spec["path"]
        fields = [("User-Agent", UA)]
        kind = spec["kind"]
        if kind == "preflight":
            fields += [
                ("Origin", origin),
                ("Access-Control-Request-Method", method),
                ("Access-Control-Request-Headers", "x-api-key"),
                ("Sec-Fetch-Mode", "cors"),
            ]
            method = "OPTIONS"
        elif kind == "actual":
            fields += [("Origin", origin), ("X-Api-Key", "k"), ("Sec-Fetch-Mode", "cors")]
        elif kind == "simple":
            fields += [("Origin", origin), ("Sec-Fetch-Mode", "cors")]
            method = "GET"
        elif kind == "same-origin":
            fields += [("Origin", API), ("Sec-Fetch-Mode", "cors")]
            method = "POST"
        else:
            fields += [("Sec-Fetch-Mode", "no-cors")]
            method = "GET"
        if spec["cookie"] and kind != "preflight":
            fields.append(("Cookie", "sid=1"))
        req = http.Request.make(method, url, b"", _headers(fields))
        req.timestamp_start = req.timestamp_end = t
        f = tflow.tflow(req=req)
        f.client_conn.peername = (spec["client"], 50000)
        answer = spec["answer"]
        if answer == "error":
            f.response = None
            f.error = mflow.Error("Connection refused")
        else:
            resp_fields = []
            status = 200 if kind != "preflight" else 204
            if answer in ("grant", "grant-cached", "redirect"):
                resp_fields += [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Methods", "PUT, DELETE"),
                    ("Access-Control-Allow-Headers", "x-api-key"),
                ]
            if answer == "grant-cached":
                resp_fields.append(("Access-Control-Max-Age", "600"))
            if answer == "403":
                status = 403
            if answer == "redirect" and kind != "preflight":
                status = 307
                resp_fields.append(("Location", API + "/b"))
            f.response = http.Response.make(status, b"", _headers(resp_fields))
            f.response.timestamp_start = f.response.timestamp_end = t + spec["delay"]
        flows.append(f)
    return flows


def write_flows(path: Path, flows: list[http.HTTPFlow]) -> None:
    with open(path, "wb") as f:
        writer = mio.FlowWriter(f)
        for flow in flows:
            writer.add(flow)


def read_flows(path: Path) -> list[http.HTTPFlow]:
    with open(path, "rb") as f:
        return [flow for flow in mio.FlowReader(f).stream() if isinstance(flow, http.HTTPFlow)]


async def through_the_addon(flows: list[http.HTTPFlow], live: bool) -> list[Event]:
    """Every flow through the addon's hooks in mitmproxy's order (master.load_flow)."""
    addon = CorsAddon()
    events: list[Event] = []
    emit = addon._emit

    def record(event: Event, flow: http.HTTPFlow | None) -> None:
        events.append(event)
        emit(event, flow)

    addon._emit = record  # type: ignore[method-assign]
    with taddons.context(addon) as tctx:
        tctx.configure(addon)
        for f in flows:
            f.live = live
            for hook in eventsequence.iterate(f):
                await tctx.master.addons.handle_lifecycle(hook)
        addon.done()
    assert addon.internal_errors == 0
    return events


def comparable(events: list[Event]) -> list[Event]:
    return [{k: v for k, v in e.items() if k not in LEGITIMATELY_DIFFERENT} for e in events]


def differences(a: list[Event], b: list[Event]) -> Iterator[str]:
    for n, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            keys = sorted(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
            yield f"event {n} ({x['type']} {x['url']}): {keys}"
    if len(a) != len(b):
        yield f"{len(a)} events against {len(b)}"


SEQUENCES = st.lists(flow_specs(), min_size=1, max_size=12)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=SEQUENCES)
async def test_the_addon_and_analyze_give_the_same_events(
    tmp_path: Path, validate_event: Any, specs: list[dict[str, Any]]
) -> None:
    path = tmp_path / "flows.mitm"
    write_flows(path, build_flows(specs))
    offline = comparable(list(analyze_events(str(path))))
    for event in offline:
        validate_event(event)
    for live in (False, True):
        addon = comparable(await through_the_addon(read_flows(path), live))
        assert addon == offline, list(differences(addon, offline))


@pytest.mark.integration
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(flow_specs(), min_size=4, max_size=14))
@pytest.mark.parametrize("quiet", [False, True], ids=["one-by-one", "quiet-batched"])
def test_the_real_proxy_reading_a_flow_file_logs_what_analyze_says(
    tmp_path: Path, quiet: bool, specs: list[dict[str, Any]]
) -> None:
    """`quiet`: with -q nothing reads the flows as they pass, and the addon analyses them in
    batches (at its tick, and at the end): the same log."""
    path = tmp_path / "flows.mitm"
    log = tmp_path / "cors.jsonl"
    log.unlink(missing_ok=True)
    write_flows(path, build_flows(specs))
    subprocess.run(
        [sys.executable, "-m", "cors_addon", "-n", "-r", str(path), "--set", f"cors_log={log}"]
        + (["-q"] if quiet else []),
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=True,
    )
    proxy = comparable([json.loads(line) for line in log.read_text().splitlines()])
    offline = comparable(list(analyze_events(str(path))))
    assert proxy == offline, list(differences(proxy, offline))


def test_a_request_after_the_window_is_an_orphan_and_a_missing_preflight(tmp_path: Path) -> None:
    """The issue's case: a preflight, then its actual request 5 s later (the window is 2 s).
    The live proxy, ticking in real time, has logged the orphan before the request arrives;
    every reading of the flows must say the same."""
    specs = [
        {**SPEC, "kind": "preflight", "gap": 0, "answer": "grant"},
        {**SPEC, "kind": "actual", "gap": 5.0, "answer": "grant"},
    ]
    path = tmp_path / "flows.mitm"
    write_flows(path, build_flows(specs))
    events = list(analyze_events(str(path)))
    assert [e["type"] for e in events] == ["preflight", "orphan", "request"]
    request = events[2]
    assert request["preflight"]["flow"] is None
    assert "missing-preflight" in [w["code"] for w in request["warnings"]]


SPEC = {
    "path": "/a",
    "origin": APP,
    "method": "PUT",
    "delay": 0.01,
    "cookie": False,
    "client": "127.0.0.1",
}


async def test_the_window_case_through_the_addon(tmp_path: Path) -> None:
    specs = [
        {**SPEC, "kind": "preflight", "gap": 0, "answer": "grant"},
        {**SPEC, "kind": "actual", "gap": 5.0, "answer": "grant"},
    ]
    path = tmp_path / "flows.mitm"
    write_flows(path, build_flows(specs))
    for live in (False, True):
        events = await through_the_addon(read_flows(path), live)
        assert [e["type"] for e in events] == ["preflight", "orphan", "request"]
