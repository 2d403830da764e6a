"""scripts/bench --quick keeps working: it runs end to end against nginx with wrk, on this
venv's mitmdump, and its table carries all five figures with values that parse and make
sense. No timing is asserted: performance is measured (README, Benchmarks), never a test.

Needs nginx (Debian nginx-light) and wrk: without them the test skips, or fails under
CI=true, where .ci/run installs both.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "scripts" / "bench"
TIMEOUT = 300  # seconds; about 40 s on an idle 2-core machine

pytestmark = pytest.mark.bench

sys.path.insert(0, str(REPO / "scripts"))
from bench_lib import load  # noqa: E402
from bench_lib import upstream  # noqa: E402


def _missing() -> list[str]:
    return [why for why in (upstream.available(), load.available()) if why]


NUMBER = r"[-+]?\d+(?:\.\d+)?"


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(NUMBER, text)]


@pytest.fixture(scope="module")
def bench_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    missing = _missing()
    if missing:
        message = "scripts/bench cannot run: " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: .ci/run installs them (apt-get install nginx-light wrk)")
        pytest.skip(message)
    raw = tmp_path_factory.mktemp("bench") / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORS_ADDON_")}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--python", sys.executable, "--json", str(raw)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"scripts/bench --quick failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout, json.loads(raw.read_text())


def _table(stdout: str) -> dict[str, tuple[str, str, str]]:
    """The final table's rows: figure -> (value, target, verdict)."""
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("figure "))
    assert set(lines[head + 1]) <= {"-", " "}, lines[head + 1]
    rows = {}
    for line in lines[head + 2 :]:
        if not line.strip():
            break
        cells = re.split(r" {2,}", line.strip())
        assert len(cells) >= 2, line
        name, value, *rest = cells
        verdict = rest[-1] if rest else ""
        target = rest[0] if len(rest) == 2 else ""
        assert verdict in ("met", "MISSED", "-"), line
        rows[name] = (value, target, verdict)
    return rows


def _row(rows: dict[str, tuple[str, str, str]], prefix: str) -> list[tuple[str, str]]:
    found = [(name, v[0]) for name, v in rows.items() if name.startswith(prefix)]
    assert found, f"no row {prefix!r} in the table: {list(rows)}"
    return found


def test_the_table_has_all_five_figures(bench_output: tuple[str, dict]) -> None:
    stdout, _ = bench_output
    rows = _table(stdout)
    for mode in ("reverse", "forward"):
        for config in ("inspect", "rules100", "answer"):
            ((_, value),) = _row(rows, f"1 throughput ratio, {mode}, {config}")
            ratio = _numbers(value)[0]
            assert 0.05 < ratio < 20, value
            if config == "answer":
                assert "vs forwarding them" in value, value
            ((_, value),) = _row(rows, f"CPU-per-request ratio, {mode}, {config}")
            assert 0.05 < _numbers(value)[0] < 20, value
        ((_, plain),) = _row(rows, f"plain mitmdump, {mode}")
        assert _numbers(plain)[0] > 0
    ((_, nginx),) = _row(rows, "nginx alone")
    assert _numbers(nginx)[0] > 0
    for config in ("inspect", "rules100", "answer"):
        # Without --profile the hook timer's figure (from the timed runs) is the only one.
        ((_, value),) = _row(rows, f"2 addon CPU per flow (µs), {config}")
        assert 0 < _numbers(value)[0] < 100_000, value
    engine = _row(rows, "3 classify+verdict (µs), ")
    assert len(engine) == 3
    for _, value in engine:
        assert 0 < _numbers(value)[0] < 100_000, value
    ((name, value),) = _row(rows, "3 rule match (µs), ")
    assert "1 / 10 / 100 / 1000 rules" in name
    assert len(_numbers(value)) == 4 and all(x > 0 for x in _numbers(value)), value
    ((_, value),) = _row(rows, "3 rule match, 1000 rules ÷ 10 rules")
    assert _numbers(value)[0] > 0
    ((name, value),) = _row(rows, "4 memory: VmRSS after ")
    before, after, delta = _numbers(value)
    assert 10 < before < 4096 and 10 < after < 4096, value
    assert abs(after - before - delta) < 0.15, value
    rates = _row(rows, "5 analyze: HAR entries/s")
    assert len(rates) == 1 and _numbers(rates[0][1])[0] > 0, rates
    ((_, value),) = _row(rows, "5 analyze: peak RSS (MB)")
    assert all(x > 1 for x in _numbers(value)), value


def test_the_targets_are_the_issues(bench_output: tuple[str, dict]) -> None:
    """Issue 14: ratio ≥ 0.95 inspect-only (stretch 0.97), ≥ 0.93 with 100 rules, in both
    modes; addon CPU per flow ≤ 60 µs inspect-only (without --profile, the hook timer's
    figure stands in for py-spy's and carries the target)."""
    stdout, _ = bench_output
    rows = _table(stdout)
    for mode in ("reverse", "forward"):
        for figure in ("1 throughput ratio", "CPU-per-request ratio"):
            assert rows[f"{figure}, {mode}, inspect"][1] == "≥ 0.95 (stretch 0.97)", figure
            assert rows[f"{figure}, {mode}, rules100"][1] == "≥ 0.93", figure
    assert rows["2 addon CPU per flow (µs), inspect, hook timer"][1] == "≤ 60"
    for config in ("rules100", "answer"):
        assert rows[f"2 addon CPU per flow (µs), {config}, hook timer"][1:] == ("", "-")
    notes = stdout[stdout.index("\nnote: ") :]
    assert "stretch goal, inspect throughput ratio ≥ 0.97: reverse " in notes
    assert "6 separate timed runs" in " ".join(notes.split())


def test_the_machine_and_the_command_are_stated(bench_output: tuple[str, dict]) -> None:
    stdout, _ = bench_output
    tail = stdout.rsplit("figure ", 1)[1]
    for label in ("machine:", "python:", "load average before / after:", "command:"):
        assert any(line.startswith(label) for line in tail.splitlines()), label
    assert "mitmproxy " in tail and "nginx/" in tail and "wrk " in tail


def test_the_raw_figures_agree_with_the_table(bench_output: tuple[str, dict]) -> None:
    _, raw = bench_output
    runs = raw["runs"]
    configs = {(r["mode"], r["config"]) for r in runs}
    assert configs == {
        (mode, config)
        for mode in ("reverse", "forward")
        for config in ("plain", "inspect", "rules100", "answer")
    }
    for r in runs:
        assert r["requests"] > 0 and r["rps"] > 0, r
        assert r["errors"] == 0, r  # wrk saw no socket errors: the proxies kept up
        # The A/B rounds run the addon as users do: no hook timer, so no timing.
        assert not r["timed"] and r["hooks"] is None and r["hook_us_per_flow"] is None, r
    timed = raw["timed_runs"]
    assert sorted((r["mode"], r["config"]) for r in timed) == sorted(
        (mode, config)
        for mode in ("reverse", "forward")
        for config in ("inspect", "rules100", "answer")
    )
    for r in timed:
        assert r["timed"] and r["requests"] > 0 and r["errors"] == 0, r
        hooks = r["hooks"]
        assert hooks["clock"] == "thread_time_ns" and hooks["flows"] > 0, hooks
        assert hooks["warmup_flows"] > 0 and hooks["gc_ns"] <= hooks["raw_total_ns"]
        assert set(hooks["hooks"]) >= {"requestheaders", "request", "responseheaders"}
        assert r["hook_us_per_flow"] == hooks["total_ns"] / hooks["flows"] / 1000
    micro = raw["micro"]
    assert set(micro["rules"]) == {"1", "10", "100", "1000"}
    assert len(raw["memory"]) == 2 and raw["memory"][0][0] < raw["memory"][1][0]
    analyze = raw["analyze"]
    assert analyze["big"]["entries"] > analyze["small"]["entries"]
    # The generated mix is 10 requests, 7 with Origin: every one of those is an event.
    assert analyze["big"]["events"] >= analyze["big"]["entries"] * 0.7
