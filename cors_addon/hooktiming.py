"""Bench-only timing of the addon's hooks, for `scripts/bench`.

    CORS_ADDON_HOOK_TIMING=/tmp/timing.json python -m cors_addon ...

With the variable set, every call of the per-flow hooks (requestheaders, request,
responseheaders, error) and of the periodic tick is timed, and at `done` the totals are
written to that path as JSON:

    {"version": 2, "clock": "thread_time_ns", "pid": ..., "flows": ..., "total_ns": ...,
     "ns_per_flow": ..., "overhead_ns_per_call": ..., "raw_total_ns": ..., "gc_ns": ...,
     "gc_collections": ..., "hooks": {"requestheaders": {"calls": ..., "ns": ...}, ...}}

The clock is the CPU time of the thread that runs the hooks (mitmproxy's event loop), so a
proxy that the OS takes off the CPU in the middle of a hook (a busy, shared machine) is not
charged for the wait. Reading that clock is a system call: its own cost, measured when the
timer is installed, is subtracted from every call (`overhead_ns_per_call`; `raw_total_ns`
keeps the uncorrected sum). Measured in-process on the bench mix, the timer still costs the
proxy about 14 us of CPU per flow and the corrected figure stays about 7 us above the hooks'
untimed cost (a system call disturbs the caches of the code that follows it).

`flows` counts responseheaders and error calls (every HTTP flow ends in one of them: one
whose body fails after its headers counts twice, a rare case; batched, the addon has no
requestheaders hook); `total_ns` is the time spent inside the addon, per-flow hooks and ticks
together (batched, the analysis runs in the tick); `gc_ns`, part of it, the cyclic garbage
collections that started inside a hook (an allocation there crossed the threshold; such a
collection scans every young object, mitmproxy's too).
CORS_ADDON_HOOK_TIMING_WARMUP=N leaves the first N flows out (first-use costs: lazy imports,
caches filling): the counters start from zero when flow N+1 gets its response
(`warmup_flows` in the JSON). The decision is taken once, when the addon is created: without
the variable nothing is wrapped and the hooks cost exactly what they cost without this module.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

ENV = "CORS_ADDON_HOOK_TIMING"
WARMUP_ENV = "CORS_ADDON_HOOK_TIMING_WARMUP"
FLOW_HOOKS = ("requestheaders", "request", "responseheaders", "error")
PERIODIC = ("tick",)
CALIBRATION_CALLS = 20_000

logger = logging.getLogger(__name__)


class HookTimer:
    """Accumulates calls and nanoseconds per hook; `write` dumps them as JSON."""

    def __init__(
        self, path: str, clock: Callable[[], int] = time.thread_time_ns, warmup: int = 0
    ) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.clock = clock
        self.warmup = warmup
        self.calls: dict[str, int] = {}
        self.ns: dict[str, int] = {}
        self.overhead_ns = self._calibrate()
        # Cyclic GC that ran inside a hook (an allocation there crossed the threshold): it
        # is part of the hook's time, and scans every young object, mitmproxy's too.
        self.inside = 0
        self.gc_ns = 0
        self.gc_runs = 0
        self._gc_start = 0

    def reset(self) -> None:
        for name in self.calls:
            self.calls[name] = 0
            self.ns[name] = 0
        self.gc_ns = self.gc_runs = 0

    def gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if not self.inside:
            return
        if phase == "start":
            self._gc_start = self.clock()
        else:
            self.gc_ns += self.clock() - self._gc_start
            self.gc_runs += 1

    def wrap(self, name: str, hook: Callable[..., Any]) -> Callable[..., Any]:
        calls = self.calls
        spent = self.ns
        calls[name] = 0
        spent[name] = 0
        clock = self.clock
        # Flows still to leave out; at 0 the counters restart, at -1 nothing is left to do.
        left = [self.warmup if name == "responseheaders" and self.warmup > 0 else -1]

        def timed(*args: Any) -> Any:
            if left[0] >= 0:
                if left[0] == 0:
                    self.reset()  # this flow is the first one counted
                left[0] -= 1
            self.inside += 1
            start = clock()
            try:
                return hook(*args)
            finally:
                spent[name] += clock() - start
                calls[name] += 1
                self.inside -= 1

        timed.__name__ = getattr(hook, "__name__", name)
        timed.__doc__ = getattr(hook, "__doc__", None)
        return timed

    def _calibrate(self) -> float:
        """What one timed call of an empty hook measures: the timer's own cost per call."""
        probe = HookTimer.__new__(HookTimer)
        probe.clock = self.clock
        probe.warmup = 0
        probe.calls, probe.ns = {}, {}
        probe.inside = 0
        timed = probe.wrap("probe", lambda: None)
        best = None
        for _ in range(5):
            probe.ns["probe"] = 0
            for _ in range(CALIBRATION_CALLS // 5):
                timed()
            per_call = probe.ns["probe"] / (CALIBRATION_CALLS // 5)
            best = per_call if best is None else min(best, per_call)
        return best or 0.0

    def totals(self) -> dict[str, Any]:
        flows = self.calls.get("responseheaders", 0) + self.calls.get("error", 0)
        raw = sum(self.ns.values())
        calls = sum(self.calls.values())
        total = max(0.0, raw - calls * self.overhead_ns)
        return {
            "version": 2,
            "clock": getattr(self.clock, "__name__", "?"),
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "flows": flows,
            "warmup_flows": self.warmup,
            "total_ns": total,
            "ns_per_flow": total / flows if flows else None,
            "overhead_ns_per_call": self.overhead_ns,
            "raw_total_ns": raw,
            "gc_ns": self.gc_ns,  # included in total_ns
            "gc_collections": self.gc_runs,
            "hooks": {
                name: {
                    "calls": self.calls[name],
                    "ns": max(0.0, self.ns[name] - self.calls[name] * self.overhead_ns),
                }
                for name in self.calls
            },
        }

    def write(self) -> None:
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.totals(), f, indent=1)
            os.replace(tmp, self.path)
        except OSError as e:
            logger.warning(f"cors: could not write hook timing to {self.path}: {e}")


def install(addon: Any, path: str | None = None) -> HookTimer | None:
    """Time the addon's hooks when CORS_ADDON_HOOK_TIMING (or `path`) names a file.

    The timed hooks replace the bound methods on this instance only; `done` runs the
    addon's own `done` first, then writes the totals.
    """
    path = path if path is not None else os.environ.get(ENV)
    if not path:
        return None
    try:
        warmup = max(0, int(os.environ.get(WARMUP_ENV) or 0))
    except ValueError:
        warmup = 0
    timer = HookTimer(path, warmup=warmup)
    gc.callbacks.append(timer.gc_callback)
    for name in (*FLOW_HOOKS, *PERIODIC):
        # A hook the addon installs only when needed (request: with rules) is its `_name`.
        attr = name if getattr(addon, name, None) is not None else f"_{name}"
        hook = getattr(addon, attr, None)
        if hook is not None:
            setattr(addon, attr, timer.wrap(name, hook))
    own_done = getattr(addon, "done", None)

    def done() -> None:
        try:
            if own_done is not None:
                own_done()
        finally:
            timer.write()
            if timer.gc_callback in gc.callbacks:
                gc.callbacks.remove(timer.gc_callback)

    addon.done = done
    addon.hook_timer = timer
    return timer
