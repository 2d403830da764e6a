"""Offline analysis of captured traffic (HAR and mitmproxy flow files) with the live proxy's
engine and pairing: the terminal and HTML reports, server fixes, rules from traffic and dry
runs of a rules file.

    from cors_addon.analyze import events, render_html
    html = render_html(events("page.har"))

Modules: sources (open a capture, its order), jsonstream (streaming JSON), har and flowfile
(capture formats), links (which preflight a browser's capture pairs with each request),
reader (a large capture read in a second process), exchange (one captured
request/response), replay (the capture-entry adapter of the per-flow sequence,
cors_addon.pipeline), report (terminal), needs (least privilege from traffic), serverfix
(framework configurations), suggest (rules.toml), dryrun (a rules file's effect), progress
(stderr bar), cli (the `analyze` command). The HTML report is cors_addon.htmlreport, shared
with the live proxy's cors.report command; the live proxy never imports this package.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..events import Event
from ..htmlreport import render_html
from .replay import Replay
from .sources import Capture
from .sources import CaptureError


def events(path: str, browser: str = "auto") -> Iterator[Event]:
    """The events of one capture file, exactly as the live proxy would have logged them."""
    for event, _ in Replay(browser).run(Capture(path).exchanges()):
        yield event


__all__ = ["Capture", "CaptureError", "events", "render_html"]
