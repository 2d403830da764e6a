"""A fresh capture from real headless Chromium through the live proxy (the same session the
fixtures were made from, chromium_capture.py): what the analyzer says about Chrome's HAR, the
proxy's HAR and the flow file is what Chromium itself decided, and the flow file replays as
the proxy logged it live."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from analyze_helpers import chromium_or_skip
from analyze_helpers import events_of
from chromium_capture import SCENARIOS
from chromium_capture import capture
from test_analyze_capture import verdicts


@pytest.mark.browser
def test_fresh_capture_agrees_with_chromium(tmp_path: Path) -> None:
    chromium_or_skip()
    truth = capture(tmp_path, python=sys.executable)
    expected = {
        f"{key.split()[0]} {truth['api']}{key.split()[1]}": code
        for s in SCENARIOS
        for key, code in s.expect.items()
    }
    assert truth["verdicts"] == expected  # Chromium 156 behaves as the scenarios say
    for name in ("chromium.har", "mitmproxy.har", "flows.mitm"):
        assert verdicts(events_of(str(tmp_path / name))) == truth["verdicts"], name
    live = [json.loads(line) for line in (tmp_path / "live.ndjson").read_text().splitlines()]
    assert events_of(str(tmp_path / "flows.mitm")) == live
    har = json.loads((tmp_path / "chromium.har").read_text())
    types = {e["_resourceType"] for e in har["log"]["entries"]}
    assert {"fetch", "preflight", "document"} <= types
    unsent = [e for e in har["log"]["entries"] if e["response"]["status"] == 0]
    assert unsent and all(e["response"]["_error"] == "net::ERR_FAILED" for e in unsent)
