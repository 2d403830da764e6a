"""The live proxy's recent events, for the `cors.report` command: the same event objects
every other output renders, kept in a bounded deque so memory does not grow with traffic.

    recent = RecentEvents()
    recent.add(event)                 # from the addon's one emit point
    recent.write_html("report.html")  # the same HTML report as `analyze --html`

Only the last MAX_EVENTS CORS events are kept; `not-cors` events (which the report does not
show) are counted, not stored, so same-origin traffic cannot push CORS events out.
"""

from __future__ import annotations

import os
from collections import deque

from .events import Event
from .htmlreport import HtmlReport

MAX_EVENTS = 10_000


class RecentEvents:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.events: deque[Event] = deque(maxlen=max_events)
        self.seen = 0  # CORS events ever added, kept or not

    def add(self, event: Event) -> None:
        if event["verdict"] == "not-cors":
            return
        self.events.append(event)
        self.seen += 1

    @property
    def dropped(self) -> int:
        """Older events no longer in the store."""
        return self.seen - len(self.events)

    def render_html(self) -> str:
        kept = len(self.events)
        subtitle = f"Live proxy, {kept:,} CORS events"
        if self.dropped:
            subtitle += f" (the most recent {kept:,} of {self.seen:,})"
        events = list(self.events)
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
