"""docs/conformance.md's table is the one tests/browser/conformance.py generates from the
scenario catalogue and the known disagreements (no browser needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "browser"))

import conformance  # noqa: E402

pytestmark = pytest.mark.docs


def test_doc_table_is_the_generated_one() -> None:
    text = conformance.DOC.read_text()
    assert conformance.doc_table(text) == conformance.table(), (
        "docs/conformance.md is stale: run python tests/browser/conformance.py --write"
    )


def test_every_wpt_scenario_is_counted() -> None:
    rows = conformance.wpt_scenarios()
    wpt = [s for s in conformance.SCENARIOS if s.wpt]
    assert sum(len(group) for group in rows.values()) == len(wpt) >= 100
    assert all(
        path.startswith(
            ("cors/", "fetch/api/cors/", "fetch/api/redirect/", "fetch/api/credentials/")
        )
        for path in rows
    )


def test_a_disagreement_counts_against_every_engine() -> None:
    (s,) = [s for s in conformance.SCENARIOS if s.id == "wpt-xhr-star-no-cookie"]
    assert s.id in conformance.DISAGREEMENTS
    assert not any(conformance.agrees(s, e) for e in conformance.ENGINES)
    (ok,) = [s for s in conformance.SCENARIOS if s.id == "wpt-pf-status-300"]
    assert all(conformance.agrees(ok, e) for e in conformance.ENGINES)


def test_an_engine_with_another_outcome_does_not_agree() -> None:
    """Firefox follows an empty Location 20 times and fails; Chromium hands the 302 over."""
    (s,) = [s for s in conformance.SCENARIOS if s.id == "wpt-redirect-empty-location"]
    assert conformance.agrees(s, "chromium")
    assert not conformance.agrees(s, "firefox")


def test_the_script_prints_the_table() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "tests" / "browser" / "conformance.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert out == conformance.table()
