"""The golden-output test: the golden corpus (browser catalogue + fuzz vocabulary, see
golden_corpus.py) through the live addon must give exactly the recorded events (the `time`
field aside), terminal lines, flow comments and markers, and JSONL log lines, inspect-only and
with rules. Regenerate with `scripts/golden` ONLY when the output is meant to change."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_run import RUNS
from golden_run import read_golden
from golden_run import run_corpus

MAX_SHOWN = 5


def _pretty(record: dict[str, Any]) -> list[str]:
    return json.dumps(record, indent=1).splitlines()


def _where(record: dict[str, Any]) -> str:
    if "flow" in record:
        f = record["flow"]
        return f"flow #{record['n']} ({f['method']} {f['url']} -> {f['status']})"
    if "orphan" in record:
        return f"orphan of flow #{record['n']}"
    if "log" in record:
        return f"log line {record['log']}"
    return "terminal lines at shutdown"


@pytest.fixture(scope="module")
def golden() -> dict[str, list[dict[str, Any]]]:
    return read_golden()


@pytest.mark.parametrize("run", list(RUNS))
async def test_golden_output(run: str, golden: dict[str, list[dict[str, Any]]]) -> None:
    expected = golden[run]
    actual = json.loads(json.dumps(await run_corpus(RUNS[run])))
    problems = []
    for want, got in zip(expected, actual, strict=False):
        if want != got:
            diff = difflib.unified_diff(
                _pretty(want), _pretty(got), "golden", "now", lineterm="", n=2
            )
            problems.append(f"--- {_where(want)}\n" + "\n".join(diff))
    if len(expected) != len(actual):
        problems.append(f"{len(expected)} records in the golden file, {len(actual)} now")
    if problems:
        shown = "\n\n".join(problems[:MAX_SHOWN])
        more = len(problems) - MAX_SHOWN
        tail = f"\n\n... and {more} more differences" if more > 0 else ""
        pytest.fail(
            f"{run}: {len(problems)} records differ from tests/golden/golden.jsonl.gz"
            f" (run `scripts/golden` only if the change is meant):\n\n{shown}{tail}"
        )
