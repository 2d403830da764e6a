"""The golden corpus through the addon in batched mode (mitmdump -q: nothing reads a flow's
results while it passes, so the flows are analysed together at the tick): every flow's event,
every orphan and every JSONL log line, in order, exactly as the one-by-one run recorded them
in tests/golden/golden.jsonl.gz. (Batched there are no terminal lines, comments or markers:
nothing would read them.)"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_corpus import load
from golden_run import _drive
from golden_run import _untimed
from golden_run import read_golden
from mitmproxy.test import taddons

from cors_addon import addon as addon_module
from cors_addon.addon import CorsAddon

EVERY = 250  # flows between two runs of the batch (as ticks would come); BATCH_MAX is 100


class _PlainMitmdump:
    """What the addon looks at to know that nothing reads flows as they pass."""

    def __init__(self, options: Any) -> None:
        self.addons = {"dumper": object()}
        self.options = options


async def test_batched_analysis_gives_the_golden_events_and_log(monkeypatch: Any) -> None:
    golden = read_golden()["inspect"]
    flows = load()
    monkeypatch.setattr(addon_module, "BATCH_MAX", 100)  # the hook's own drain runs too
    with tempfile.TemporaryDirectory() as tmp, taddons.context() as tctx:
        addon = CorsAddon()
        tctx.master.addons.add(addon)
        path = Path(tmp) / "events.jsonl"
        addon._master = _PlainMitmdump(tctx.options)
        addon.annotate = False
        addon.line_level = logging.ERROR  # -q (termlog_verbosity=error): no terminal lines
        tctx.configure(addon, cors_log=str(path))
        assert addon.batched and not hasattr(addon, "requestheaders")
        waited = 0
        for n, f in enumerate(flows):
            _drive(addon, f)
            assert addon._batch[-1:] == [f] or addon._batch == []  # it waits for the batch
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
