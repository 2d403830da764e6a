"""Run the golden corpus through the live addon (its hooks, in the proxy's order, inside
mitmproxy's test context) and record every output: per flow its event (without `time`),
terminal lines, comment and marker; then the JSONL log, line by line (without `time`).

Two runs: inspect-only, and with tests/golden/rules.toml.
"""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from golden_corpus import HERE
from golden_corpus import describe
from golden_corpus import load
from mitmproxy import http
from mitmproxy.test import taddons

from cors_addon.addon import CorsAddon

GOLDEN = HERE / "golden.jsonl.gz"
RULES = HERE / "rules.toml"
RUNS = {"inspect": None, "rules": RULES}

Record = dict[str, Any]


def _untimed(event: Any) -> Any:
    if not isinstance(event, dict):
        return event
    return {k: v for k, v in event.items() if k != "time"}


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def _drive(addon: CorsAddon, f: http.HTTPFlow) -> None:
    """The hooks in the proxy's order: the recorded response (or error) comes back after the
    request hooks, unless the addon answered first."""
    f.live = True  # live traffic: rules apply, pairing and orphans run on the flows' clock
    resp, err = f.response, f.error
    f.response = None
    f.error = None
    if hasattr(addon, "requestheaders"):  # none while the addon analyses flows in batches
        addon.requestheaders(f)
    if hasattr(addon, "request"):  # as mitmproxy calls it: only when the addon has it
        addon.request(f)
    if f.response is not None:  # the addon answered: at once, on the flow's own clock
        f.response.timestamp_start = f.response.timestamp_end = f.request.timestamp_start + 0.001
    elif err is not None and resp is None:
        f.error = err
        addon.error(f)
        return
    else:
        f.response = resp
    addon.responseheaders(f)
    if hasattr(addon, "response"):  # as mitmproxy calls it: only when the addon has it
        addon.response(f)


async def run_corpus(rules: Path | None) -> list[Record]:
    """(async: the test context then uses the running loop, and leaks none on mitmproxy 11)"""
    flows = load()
    records: list[Record] = []
    handler = _Lines()
    log = logging.getLogger("cors_addon")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        with tempfile.TemporaryDirectory() as tmp, taddons.context() as tctx:
            addon = CorsAddon()
            tctx.master.addons.add(addon)
            path = Path(tmp) / "events.jsonl"
            options: dict[str, Any] = {"cors_log": str(path)}
            if rules is not None:
                options["cors_rules"] = str(rules)
            tctx.configure(addon, **options)
            handler.lines.clear()
            for n, f in enumerate(flows):
                _drive(addon, f)
                records.append(
                    {
                        "n": n,
                        "flow": describe(f),
                        "event": _untimed(f.metadata.get("cors")),
                        "lines": handler.lines[:],
                        "comment": f.comment,
                        "marked": f.marked,
                    }
                )
                handler.lines.clear()
            addon.done()
            for n, f in enumerate(flows):
                orphan = f.metadata.get("cors_orphan")
                if orphan is not None:
                    records.append(
                        {
                            "n": n,
                            "orphan": _untimed(orphan),
                            "comment": f.comment,
                            "marked": f.marked,
                        }
                    )
            records.append({"done_lines": handler.lines[:]})
            # A log line equal to an event recorded above names it (the file stays small).
            seen: dict[str, str] = {}
            for r in records:
                for key in ("event", "orphan"):
                    if r.get(key) is not None:
                        seen.setdefault(dumps(r[key]), f"{key} of flow #{r['n']}")
            with open(path, encoding="utf-8", errors="surrogateescape") as lines:
                for i, line in enumerate(lines):
                    event = _untimed(json.loads(line))
                    same = seen.get(dumps(event))
                    records.append(
                        {"log": i, "same_as": same} if same else {"log": i, "line": event}
                    )
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    return records


async def run_all() -> dict[str, list[Record]]:
    return {name: await run_corpus(rules) for name, rules in RUNS.items()}


def dumps(record: Record) -> str:
    return json.dumps(record, separators=(",", ":"))


def write_golden(results: dict[str, list[Record]]) -> None:
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as out:
        for name, records in results.items():
            for r in records:
                line = dumps({"run": name, **r}) + "\n"
                out.write(line.encode("ascii"))


def read_golden() -> dict[str, list[Record]]:
    results: dict[str, list[Record]] = {}
    with gzip.open(GOLDEN, "rt", encoding="ascii") as f:
        for line in f:
            r = json.loads(line)
            results.setdefault(r.pop("run"), []).append(r)
    return results
