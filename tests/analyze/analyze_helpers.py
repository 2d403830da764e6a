"""Helpers of the analyzer tests: the capture files, and the analysis of one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from cors_addon.analyze.replay import Emitted
from cors_addon.analyze.replay import Replay
from cors_addon.analyze.sources import Capture

FIXTURES = Path(__file__).with_name("fixtures")
# Captured from headless Chromium through the live proxy (chromium_capture.py): the same
# traffic as Chrome's HAR (built from DevTools protocol events), the proxy's HAR export,
# its flow file and its JSONL log; chromium.json holds what Chromium itself decided.
REAL = ("chromium.har", "mitmproxy.har", "flows.mitm")
# Written by hand: Firefox's layout, and a sanitized Chrome export over HTTP/2.
HAND = ("firefox.har", "chrome-h2.har")


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def analyze(path: str, browser: str = "auto") -> list[Emitted]:
    return list(Replay(browser).run(Capture(path).exchanges()))


def events_of(path: str, browser: str = "auto") -> list[dict[str, Any]]:
    return [event for event, _ in analyze(path, browser)]


def chromium_or_skip() -> str:
    """Chromium's path; without one the browser tests skip, or fail when CI=true."""
    for cand in (os.environ.get("CORS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and os.access(cand, os.X_OK):
            return cand
    msg = "no Chromium (install the chromium package, or set CORS_CHROMIUM)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)
