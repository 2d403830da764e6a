"""The golden corpus through the addon in batched mode (mitmdump -q: nothing reads a flow's
results while it passes, so the flows are analysed together at the tick): every flow's event,
every orphan and every JSONL log line, in order, exactly as the one-by-one run recorded them
in tests/golden/golden.jsonl.gz, inspect-only and with the rules. (Batched there are no
terminal lines, comments or markers: nothing would read them.) With rules, a flow's rule
answers or rewrites it as it passes: the responses the browser gets are the one-by-one
run's, byte for byte, and so are the rules' hit counts."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_corpus import load
from golden_run import RUNS
from golden_run import _drive
from golden_run import _untimed
from golden_run import read_golden
from mitmproxy import http
from mitmproxy.test import taddons

from cors_addon import addon as addon_module
from cors_addon.addon import CorsAddon

EVERY = 250  # flows between two runs of the batch (as ticks would come); BATCH_MAX is 100


class _PlainMitmdump:
    """What the addon looks at to know that nothing reads flows as they pass."""

    def __init__(self, options: Any) -> None:
        self.addons = {"dumper": object()}
        self.options = options


def _sent(f: http.HTTPFlow) -> Any:
    """What the browser gets: the response's status, reason, fields and body."""
    r = f.response
    if r is None:
        return None
    return (r.status_code, r.reason, r.headers.fields, r.raw_content)


async def _one_by_one(rules: Path) -> tuple[list[Any], dict[str, int]]:
    """The responses and the rules' hit counts of the one-by-one run (the golden run's)."""
    flows = load()
    with taddons.context() as tctx:
        addon = CorsAddon()
        tctx.master.addons.add(addon)
        tctx.configure(addon, cors_rules=str(rules))
        assert not addon.batched
        for f in flows:
            _drive(addon, f)
        addon.done()
        return [_sent(f) for f in flows], dict(addon.rule_hits)


@pytest.mark.parametrize("run", ["inspect", "rules"])
async def test_batched_analysis_gives_the_golden_events_and_log(run: str, monkeypatch: Any) -> None:
    golden = read_golden()[run]
    flows = load()
    monkeypatch.setattr(addon_module, "BATCH_MAX", 100)  # the hook's own drain runs too
    with tempfile.TemporaryDirectory() as tmp, taddons.context() as tctx:
        addon = CorsAddon()
        tctx.master.addons.add(addon)
        path = Path(tmp) / "events.jsonl"
        addon._master = _PlainMitmdump(tctx.options)
        addon.annotate = False
        addon.line_level = logging.ERROR  # -q (termlog_verbosity=error): no terminal lines
        rules = RUNS[run]
        tctx.configure(addon, cors_log=str(path), cors_rules=str(rules or ""))
        assert addon.batched and not hasattr(addon, "requestheaders")
        waited = 0
        for n, f in enumerate(flows):
            _drive(addon, f)
            assert addon._batch[-1:] == [(f, True)] or addon._batch == []  # it waits
            waited = max(waited, len(addon._batch))
            if n % EVERY == EVERY - 1:
                addon._run_batch()
        addon.done()
        assert waited == 99  # flows did wait (and the 100th ran the batch in its hook)
        assert addon.internal_errors == 0
        events = {}
        for r in golden:
            if "event" in r:
                events[r["n"]] = r["event"]
        for n, f in enumerate(flows):
            assert _untimed(f.metadata.get("cors")) == events[n], f"flow #{n}"
        orphans = {r["n"]: r["orphan"] for r in golden if "orphan" in r}
        got = {
            n: _untimed(f.metadata["cors_orphan"])
            for n, f in enumerate(flows)
            if "cors_orphan" in f.metadata
        }
        assert got == orphans
        named = {}
        for r in golden:
            for key in ("event", "orphan"):
                if r.get(key) is not None:
                    named.setdefault(
                        json.dumps(r[key], separators=(",", ":")), f"{key} of flow #{r['n']}"
                    )
        want = [r.get("same_as") or r["line"] for r in golden if "log" in r]
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        have = []
        for line in lines:
            event = _untimed(json.loads(line))
            have.append(named.get(json.dumps(event, separators=(",", ":"))) or event)
        assert have == want
        assert not addon._passed and not addon._inflight  # every flow's entry was taken
        if rules is not None:
            responses, hits = await _one_by_one(rules)
            assert [_sent(f) for f in flows] == responses
            assert dict(addon.rule_hits) == hits
            assert sum(hits.values()) > 100  # the rules did act on the corpus


async def test_batched_with_rules_needs_no_filter() -> None:
    """A cors_filter chooses flows: batched, the rule's choice (as the flow passes) and the
    batch's (later, with the response) could differ, so a filter turns batching off."""
    with taddons.context() as tctx:
        addon = CorsAddon()
        tctx.master.addons.add(addon)
        addon._master = _PlainMitmdump(tctx.options)
        addon.annotate = False
        addon.line_level = logging.ERROR
        tctx.configure(addon, cors_rules=str(RUNS["rules"]))
        assert addon.batched
        tctx.configure(addon, cors_filter="~d example.com")
        assert not addon.batched and hasattr(addon, "requestheaders")
        tctx.configure(addon, cors_rules="")
        assert addon.batched  # a filter alone (inspect-only) is read in the batch
