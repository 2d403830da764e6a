"""The live proxy's recent events, for the `cors.report` command: the same events every
other output renders, kept as their JSONL lines (the log's bytes, which the garbage collector
does not scan), so memory does not grow with traffic.

The lines are joined into blocks of BLOCK lines, and the oldest block goes once the others
hold max_events: the store keeps a few dozen large objects, not ten thousand lines of 1-3 KB
each. Kept one by one in a ring, each new line took the place of one of another size, and
the proxy's memory grew by about 8 MB per 50,000 flows without levelling off (allocator
fragmentation: docs/benchmarks.md, "Memory").

    recent = RecentEvents()
    recent.add(event, line)           # from the addon's one emit point
    recent.write_html("report.html")  # the same HTML report as `analyze --html`

Only the last MAX_EVENTS CORS events are kept; `not-cors` events (which the report does not
show) are counted, not stored, so same-origin traffic cannot push CORS events out.
"""

from __future__ import annotations

import json
import os
from collections import deque

from .events import Event
from .events import encode_line
from .htmlreport import HtmlReport

MAX_EVENTS = 10_000
BLOCK = 256  # lines per block


class RecentEvents:
    def __init__(self, max_events: int = MAX_EVENTS, block: int = BLOCK) -> None:
        self.max_events = max_events
        self.block = block
        self._blocks: deque[bytes] = deque()  # `block` lines each, joined; oldest first
        self._open: list[bytes] = []  # the newest lines, not yet a block
        self.seen = 0  # CORS events ever added, kept or not

    def add(self, event: Event, line: bytes | None = None) -> None:
        """Keep a CORS event, as its JSONL line (`encode_line(event)`, given when the caller
        has it already)."""
        if event["verdict"] == "not-cors":
            return
        self._open.append(line if line is not None else encode_line(event))
        self.seen += 1
        if len(self._open) >= self.block:
            self._blocks.append(b"".join(self._open))
            self._open = []
            while (len(self._blocks) - 1) * self.block >= self.max_events:
                self._blocks.popleft()  # the others hold max_events lines

    @property
    def lines(self) -> list[bytes]:
        """The JSONL lines kept (the last max_events), oldest first."""
        lines = [line for b in self._blocks for line in b.splitlines(keepends=True)]
        lines += self._open
        return lines[len(lines) - self.kept :]

    @property
    def kept(self) -> int:
        """How many events the store has (at most max_events)."""
        return min(self.max_events, len(self._blocks) * self.block + len(self._open))

    @property
    def events(self) -> list[Event]:
        """The events kept, oldest first."""
        return [json.loads(line) for line in self.lines]

    @property
    def dropped(self) -> int:
        """Older events no longer in the store."""
        return self.seen - self.kept

    def render_html(self) -> str:
        kept = self.kept
        subtitle = f"Live proxy, {kept:,} CORS events"
        if self.dropped:
            subtitle += f" (the most recent {kept:,} of {self.seen:,})"
        events = self.events
        if events:
            times = [e["time"] for e in events]  # ISO 8601 in UTC: they sort as text
            subtitle += f", {min(times)} to {max(times)}"
        report = HtmlReport("CORS report", subtitle)
        for event in events:
            report.add(event)
        return report.render()

    def write_html(self, path: str) -> str:
        """Write the report to path (user-expanded); returns the absolute path written.
        Raises OSError when the file cannot be written."""
        target = os.path.abspath(os.path.expanduser(path))
        text = self.render_html()
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        return target
