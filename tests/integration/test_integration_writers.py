"""The addon runs before mitmproxy's dumper and flow writer: what they print and save
already carries its rewrites and annotations."""

from __future__ import annotations

import pytest
from mitmproxy import io
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import preflight_fields
from proxy_harness import send

pytestmark = pytest.mark.integration

RULES = """
[[rules]]
name = "reflect"
match = { paths = ["/w/*"] }
allow_origin = "reflect"
preflight = "fix"
"""


def test_dump_and_saved_flows_carry_the_addons_work(proxies, api, validate_event):
    proxy = proxies.new("writers", ["--flow-detail", "2", "-w", "flows.mitm"])
    (proxy.workdir / "rules.toml").write_text(RULES)
    proxy.start()
    url = api.add("/w/items", Route(405, [("Allow", "GET")]), "OPTIONS")
    api.add("/w/items", Route(200, [("X-Id", "1")], b"[]"), "PUT")
    send(proxy.port, "OPTIONS", url, preflight_fields())
    send(proxy.port, "PUT", url, fetch_fields(extra=[("X-Api-Key", "k")]), b"x")
    events = proxy.events_for(url, 2)
    assert proxy.stop() == 0
    proxy.returncode = 0

    # the dumper printed the rewritten responses
    out = proxy.stdout()
    assert "<< 204 No Content" in out and "<< 405" not in out
    assert f"access-control-allow-origin: {PAGE}" in out.lower()

    # the flow file holds them with the comment, the marker and the event
    with open(proxy.workdir / "flows.mitm", "rb") as f:
        flows = [fl for fl in io.FlowReader(f).stream() if fl.request.path == "/w/items"]
    assert [fl.request.method for fl in flows] == ["OPTIONS", "PUT"]
    for fl, event in zip(flows, events, strict=True):
        assert fl.id == event["flow"]
        assert validate_event(fl.metadata["cors"]) == event
        assert fl.comment.startswith("ALLOWED: ") and "Rule 'reflect'" in fl.comment
        assert fl.marked == ":pencil2:"  # rewritten by a rule
        assert fl.response.headers["access-control-allow-origin"] == PAGE
    assert flows[0].response.status_code == 204
