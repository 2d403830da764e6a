"""py-spy's raw (collapsed) stacks of the proxy under load, summarised: the share of the
proxy's samples spent in our code, and our functions ranked by inclusive and self samples."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
_NOT_HOT = ("cors_addon/cli.py", "cors_addon/__main__.py")


def _ours(frame: str) -> bool:
    return "(cors_addon/" in frame and not any(p in frame for p in _NOT_HOT)


@dataclass
class Profile:
    samples: int = 0
    ours: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)
    # Where our code spends outside itself (json, mitmproxy's headers, ...), by leaf.
    callees: Counter[str] = field(default_factory=Counter)

    def share(self) -> float:
        return self.ours / self.samples if self.samples else 0.0


def summarise(path: Path) -> Profile:
    prof = Profile()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        prof.samples += n
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        first = next((i for i, f in enumerate(frames) if _ours(f)), None)
        if first is None:
            continue
        prof.ours += n
        for f in set(frames[first:]):
            if _ours(f):
                prof.inclusive[f] += n
        last_ours = max(i for i, f in enumerate(frames) if _ours(f))
        prof.self_time[frames[last_ours]] += n
        if last_ours != len(frames) - 1:
            prof.callees[frames[last_ours + 1]] += n
    return prof


def render(prof: Profile, top: int = 15) -> str:
    if not prof.samples:
        return "  (no samples)"
    pct = 100.0 / prof.samples
    lines = [
        f"  {prof.samples} samples of the proxy process; in cors_addon code (hooks and"
        f" everything they call): {prof.ours} = {prof.ours * pct:.1f} %",
        "  inclusive (% of all samples), our functions:",
    ]
    lines += [f"    {n * pct:5.1f} %  {f}" for f, n in prof.inclusive.most_common(top)]
    lines.append("  self (% of all samples; time in our function's own lines and in the")
    lines.append("  library code it calls directly, attributed to it):")
    lines += [f"    {n * pct:5.1f} %  {f}" for f, n in prof.self_time.most_common(top)]
    if prof.callees:
        lines.append("  library code called from our functions (first frame outside ours):")
        lines += [f"    {n * pct:5.1f} %  {f}" for f, n in prof.callees.most_common(8)]
    return "\n".join(lines)
