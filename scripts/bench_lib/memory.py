"""The addon's memory after many flows, in-process (no proxy, no network): the load test's
10-request mix (micro.py) through the addon's hooks with the JSONL log on, each flow dropped
after its hooks as mitmdump drops it, VmRSS read at checkpoints.

    .venv/bin/python -B scripts/bench_lib/memory.py [--flows 10000,50000,100000,200000]

Prints JSON: [flows, RSS in MB] per checkpoint, and the growth from the first to the last.
It measures the addon's own state (memo tables, pairing, preflight-cache model, summary, recent
events, log backlog): every one is capped, so RSS must stay flat once they are full. The proxy
itself is measured by `scripts/bench --only memory`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_lib.micro import _mitm_flows
from cors_addon.addon import CorsAddon


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run(checkpoints: list[int]) -> dict:
    from mitmproxy.test import taddons

    addon = CorsAddon()
    series = []
    done = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, taddons.context(addon) as tctx:
        tctx.configure(addon, cors_log=os.path.join(tmp, "events.jsonl"))
        addon.line_level = logging.ERROR  # as under -q
        addon.annotate = False  # as under mitmdump -q
        cycle = 0
        for target in checkpoints:
            while done < target:
                for flow, response in _mitm_flows(1):
                    t = flow.request.timestamp_start = 1_700_000_000 + cycle * 0.01
                    response.timestamp_start = t + 0.001
                    addon.requestheaders(flow)
                    if hasattr(
                        addon, "request"
                    ):  # as mitmproxy calls it: only when the addon has it
                        addon.request(flow)
                    if flow.response is None:
                        flow.response = response
                    addon.responseheaders(flow)
                    done += 1
                cycle += 1
                if cycle % 1000 == 0:
                    addon.tick(time.time())
            gc.collect()
            series.append((done, round(rss_mb(), 1)))
        addon.done()
    return {
        "series": series,
        "growth_mb": round(series[-1][1] - series[0][1], 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", default="10000,50000,100000,200000")
    args = parser.parse_args()
    checkpoints = [int(x) for x in args.flows.split(",")]
    json.dump(asyncio.run(run(checkpoints)), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
