"""The live proxy's recent events, for the `cors.report` command: the same events every
other output renders, kept as their JSONL lines (the log's bytes: one object each, which the
garbage collector does not scan) in a bounded deque, so memory does not grow with traffic.

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


class RecentEvents:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.lines: deque[bytes] = deque(maxlen=max_events)
        self.seen = 0  # CORS events ever added, kept or not

    def add(self, event: Event, line: bytes | None = None) -> None:
        """Keep a CORS event, as its JSONL line (`encode_line(event)`, given when the caller
        has it already)."""
        if event["verdict"] == "not-cors":
            return
        self.lines.append(line if line is not None else encode_line(event))
        self.seen += 1

    @property
    def events(self) -> list[Event]:
        """The events kept, oldest first."""
        return [json.loads(line) for line in self.lines]

    @property
    def dropped(self) -> int:
        """Older events no longer in the store."""
        return self.seen - len(self.lines)

    def render_html(self) -> str:
        kept = len(self.lines)
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
