"""The terminal report: per page origin and target host, blocked first, each failing request
with why it was preflighted, what the browser's console says and the fix.

Identical flows (same kind, method, path, verdict and error) share one row with a count, so
a capture of a busy page stays readable; rows and groups are bounded, so memory is too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from ..engine.views import engine_lines
from ..engine.views import summary_suffix
from ..events import Event
from ..render import reasons_text
from ..summary import target_of

Hints = Callable[[Event], "str | None"]
MAX_GROUPS = 500
MAX_ROWS = 200  # per group

_RESET = "\x1b[0m"
_RED = "\x1b[1;31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 preflight", "2 preflights"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


@dataclass(slots=True)
class Row:
    first: Event
    count: int = 0
    flows: list[str] = field(default_factory=list)
    paired: int = 0
    cached: int = 0


@dataclass(slots=True)
class Group:
    origin: str
    target: str
    rows: dict[tuple[str, str, str, str, str], Row] = field(default_factory=dict)
    hidden: int = 0  # flows beyond MAX_ROWS distinct rows
    requests: int = 0
    preflights: int = 0
    preflight_ms: float = 0.0
    cache_hits: int = 0
    orphans: int = 0
    blocked: int = 0
    allowed: int = 0

    def sort_key(self) -> tuple[int, str, str]:
        return (-self.blocked, self.origin, self.target)


class TerminalReport:
    """Collects events; `render()` gives the report text."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], Group] = {}
        self.totals: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.other_groups = 0

    def add(self, event: Event) -> None:
        kind = event["type"]
        verdict = event["verdict"]
        if verdict == "not-cors":
            self.totals["not-cors"] += 1
            return
        target, path = target_of(event["url"])
        key = (event["origin"], target)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                self.other_groups += 1
                return
            group = self.groups[key] = Group(*key)
        p = event["preflight"]
        if kind == "preflight":
            group.preflights += 1
            self.totals["preflights"] += 1
            if event["ms"] is not None:
                group.preflight_ms += event["ms"]
            if verdict != "blocked":
                return  # shown with its actual request
            self.totals["stopped"] += 1
        elif kind == "orphan":
            group.orphans += 1
            self.totals["orphans"] += 1
        else:
            group.requests += 1
            self.totals["requests"] += 1
            if p["cache"] is not None:
                group.cache_hits += 1
                self.totals["cache hits"] += 1
        if verdict == "blocked":
            group.blocked += 1
            self.totals["blocked"] += 1
            if event["error"]:
                self.codes[event["error"]["code"]] += 1
        elif verdict == "allowed":
            group.allowed += 1
            self.totals["allowed"] += 1
        method = p["method"] if kind != "request" else event["method"]
        code = event["error"]["code"] if event["error"] else ""
        row_key = (verdict, kind, method, path, code)
        row = group.rows.get(row_key)
        if row is None:
            if len(group.rows) >= MAX_ROWS:
                group.hidden += 1
                return
            row = group.rows[row_key] = Row(event)
        row.count += 1
        if len(row.flows) < 5:
            row.flows.append(event["flow"])
        if p["flow"] is not None:
            row.paired += 1
        if p["cache"] is not None:
            row.cached += 1

    @property
    def blocked(self) -> int:
        return self.totals["blocked"]

    def headline(self) -> str:
        t = self.totals
        parts = [f"{count(t['requests'], 'CORS request')} sent"]
        if t["stopped"]:
            parts.append(f"{t['stopped']} more stopped at their preflight")
        parts += [
            count(t["preflights"], "preflight"),
            f"{t['cache hits']} served from the preflight cache",
            f"{t['blocked']} blocked",
        ]
        if t["orphans"]:
            parts.append(f"{count(t['orphans'], 'preflight')} with no request after them")
        if t["not-cors"]:
            n = t["not-cors"]
            parts.append(
                f"{count(n, 'request')} with an Origin that CORS does not apply to"
                if n != 1
                else "1 request with an Origin that CORS does not apply to"
            )
        return ", ".join(parts)

    def render(self, color: bool = False, hints: Hints | None = None) -> str:
        """`hints`: what to say under a blocked flow about unblocking it now (suggest.py)."""

        def paint(text: str, style: str) -> str:
            return f"{style}{text}{_RESET}" if color else text

        if not self.groups:
            return "No CORS requests in the capture (no request carried an Origin header)."
        lines = [self.headline()]
        for group in sorted(self.groups.values(), key=Group.sort_key):
            lines.append("")
            head = f"{group.origin} -> {group.target}"
            stats = [f"{group.blocked} blocked", f"{group.allowed} allowed"]
            if group.preflights:
                preflights = count(group.preflights, "preflight")
                stats.append(f"{preflights} ({group.preflight_ms:.0f} ms)")
            if group.cache_hits:
                stats.append(f"{group.cache_hits} from the preflight cache")
            lines.append(f"{paint(head, _BOLD)}: {', '.join(stats)}")
            rows = sorted(
                group.rows.values(),
                key=lambda r: (
                    {"blocked": 0, "unknown": 1}.get(r.first["verdict"], 2),
                    r.first["time"],
                ),
            )
            for row in rows:
                lines.extend(self._row(row, paint, hints))
            if group.hidden:
                lines.append(f"  ... and {count(group.hidden, 'more flow')} on other paths")
        if self.other_groups:
            flows = count(self.other_groups, "flow")
            lines.append(f"\n... and {flows} of other origin/host pairs")
        return "\n".join(lines)

    @staticmethod
    def _row(row: Row, paint: Callable[[str, str], str], hints: Hints | None) -> list[str]:
        e = row.first
        kind = e["type"]
        verdict = e["verdict"]
        p = e["preflight"]
        _, path = target_of(e["url"])
        method = p["method"] if kind != "request" else e["method"]
        times = f" x{row.count}" if row.count > 1 else ""
        if verdict == "blocked":
            label = paint("BLOCKED", _RED)
        elif verdict == "allowed":
            label = paint("allowed", _GREEN)
        else:
            label = paint(verdict, _YELLOW)
        what = {"preflight": " (at its preflight)", "orphan": " (no request after its preflight)"}
        head = f"  {label}  {method} {path}{times}{what.get(kind, '')}"
        engines = e.get("engines")
        suffix = summary_suffix(engines) if engines else ""
        head += suffix
        error = e["error"]
        if verdict != "blocked":
            notes = []
            if row.paired:
                notes.append(f"{row.paired} after a preflight")
            if row.cached:
                notes.append(f"{row.cached} from the preflight cache")
            codes = sorted(
                {w["code"] for w in e["warnings"]} - {"orphan-preflight", "mode-inferred"}
            )
            if codes:
                notes.append("warnings: " + ", ".join(codes))
            if kind == "orphan":
                notes.append(e["warnings"][-1]["message"])
            lines = [head + (paint(f"  ({'; '.join(notes)})", _DIM) if notes else "")]
            if suffix and engines:
                lines.extend(f"      {line}" for line in engine_lines(engines))
            return lines
        out = [head + (f"  {error['code']}" if error else "")]
        if p["needed"]:
            out.append(f"      preflighted because: {reasons_text(e)}")
        if error:
            out.append(f"      browser says: {error['console']}")
            out.append(f"      fix: {error['fix']}")
        if suffix and engines:
            out.extend(f"      {line}" for line in engine_lines(engines))
        extra = [w for w in e["warnings"] if w["code"] in ("status-hidden", "capture-no-response")]
        for w in extra:
            out.append(f"      note: {w['message']}")
        hint = hints(e) if hints is not None else None
        if hint:
            out.append(f"      {hint}")
        out.append(paint(f"      flows: {', '.join(row.flows)}", _DIM))
        return out
