"""The recorder of the DevTools fixture still matches the Chromium installed: a fresh capture
of a few catalogue scenarios (a passing request, failures at the response and at the
preflight, credentials, an XHR, a cached preflight, a cross-origin redirect), in its three
variants, agrees with what Chromium decided in that same session, flow by flow."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from analyze_helpers import chromium_or_skip
from capture_variants import VARIANTS
from capture_variants import chromium
from capture_variants import outcomes
from devtools_capture import capture

from cors_addon.analyze import events as analyze_events

SCENARIOS = {
    "simple-get-acao-origin",
    "acao-missing",
    "pf-405-with-cors",
    "pf-acah-missing",
    "cred-wildcard",
    "pf-cred-wildcard",
    "xhr-acao-mismatch",
    "cache-max-age-600",
    "redir-cross-origin-acao-origin",
    "simple-no-cors",
}


def has_origin(har: dict, n: int) -> bool:
    headers = har["log"]["entries"][n]["request"]["headers"]
    return any(h["name"].lower() == "origin" for h in headers)


@pytest.mark.browser
def test_a_fresh_devtools_capture_agrees_with_chromium(tmp_path: Path) -> None:
    chromium_or_skip()
    truth = capture(tmp_path, SCENARIOS)
    assert set(truth["scenarios"]) == SCENARIOS
    with gzip.open(tmp_path / "devtools.har.gz", "rt") as f:
        har = json.load(f)
    entries = truth["entries"]
    want = chromium(entries)
    assert sum(1 for _, code in want if code) == 7  # what the catalogue says Chromium blocks
    for name, make in VARIANTS.items():
        path = tmp_path / f"{name}.har"
        path.write_text(json.dumps(make(har, entries)))
        got = outcomes(list(analyze_events(str(path))), entries, path.name)
        disagree = [
            (entries[n]["url"], mine, theirs)
            for (n, mine), (_, theirs) in zip(got, want, strict=True)
            if mine != theirs
            # no event only where the proxy has none either: no Origin on the wire
            and not (mine == "no event" and theirs is None and not has_origin(har, n))
        ]
        assert disagree == [], name
