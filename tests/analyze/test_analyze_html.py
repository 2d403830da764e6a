"""The HTML report: its structure from events, its bounds, and (marked browser) how it
renders in headless Chromium: DOM assertions over the DevTools protocol, and a screenshot
kept under artifacts/ (gitignored)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import chromium_or_skip
from analyze_helpers import events_of
from analyze_helpers import fixture
from bighar import write_har
from chromium_capture import CDP
from chromium_capture import start_chromium
from chromium_capture import stop

from cors_addon.analyze import render_html
from cors_addon.htmlreport import TIMELINE_ROWS

ARTIFACTS = Path(__file__).parents[2] / "artifacts"


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def report_events() -> list[dict[str, Any]]:
    return events_of(fixture("chromium.har")) + events_of(fixture("chrome-h2.har"))


def test_structure_from_events() -> None:
    html = render_html(events_of(fixture("chromium.har")), subtitle="chromium.har")
    tags = parse(html)
    assert [a["id"] for a in tags.having("section")] == [
        "summary",
        "timeline",
        "blocked",
        "endpoints",
    ]
    rows = tags.having("g", **{"class": "row"})
    # 5 requests sent, 3 stopped at their preflight
    assert len(rows) == 8
    kinds = [r["data-kind"] for r in rows]
    assert kinds.count("preflight") == 3 and kinds.count("pair") == 1
    assert kinds.count("cached") == 1
    assert sum(r["data-verdict"] == "blocked" for r in rows) == 5
    # every blocked row opens its explanation
    ids = {a["id"] for a in tags.having("details")}
    assert len(ids) == 5
    assert {r["data-target"] for r in rows if r["data-verdict"] == "blocked"} == ids
    text = "".join(tags.text)
    assert "Access to fetch at" in text and "It does not have HTTP ok status." in text
    assert "MissingAllowOriginHeader" in text
    cards = {a["data-key"] for a in tags.having("div") if a.get("data-key")}
    assert {"requests", "blocked", "preflights", "preflight-ms", "cache-hits"} <= cards


def test_the_summary_words_the_requests_as_the_terminal_does() -> None:
    """chromium.har: the page made 8 requests; 3 were allowed, 2 blocked at their response
    and 3 stopped at their preflight (never sent). The summary must not say "5 CORS
    requests / 5 blocked" (every request blocked)."""
    html = render_html(events_of(fixture("chromium.har")))
    text = {
        key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
        for key, body in re.findall(
            r'<div class="card [^"]*" data-key="([^"]+)">(.*?)</div>(?=<div class="card|</div>)',
            html,
        )
    }
    assert text["requests"] == "8 CORS requests 5 sent, 3 stopped at their preflight"
    assert text["allowed"] == "3 allowed"
    assert text["blocked"] == "5 blocked 2 at their response, 3 at their preflight"


def test_events_in_any_order() -> None:
    """The live proxy logs a preflight before its request; a list of events gathered from
    flows may come in another order, and still pairs."""
    events = events_of(fixture("chromium.har"))
    backwards = parse(render_html(events[::-1]))
    forwards = parse(render_html(events))
    kinds = sorted(r["data-kind"] for r in forwards.having("g", **{"class": "row"}))
    assert sorted(r["data-kind"] for r in backwards.having("g", **{"class": "row"})) == kinds


def test_self_contained() -> None:
    html = render_html(report_events())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert html.count("<script>") == 1 and html.count("<style>") == 1


def test_storm_and_max_age() -> None:
    tags = parse(render_html(events_of(fixture("chrome-h2.har"))))
    storms = tags.having("tr", **{"data-storm": "true"})
    assert len(storms) == 1
    text = "".join(parse(render_html(events_of(fixture("firefox.har")))).text)
    assert "86400 s" in text  # Firefox caches the orders preflight for its cap


def test_values_are_escaped() -> None:
    events = events_of(fixture("chromium.har"))
    hostile = json.loads(json.dumps(events[1]))
    hostile["url"] = "http://127.0.0.1:1/<script>alert(1)</script>"
    hostile["error"]["console"] = "<img src=x onerror=alert(1)>"
    html = render_html([hostile])
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty() -> None:
    html = render_html([])
    assert "No CORS requests." in html and "Nothing was blocked." in html


def test_bounded(tmp_path: Path) -> None:
    events = events_of(str(write_har(tmp_path / "big.har", 2000)))
    tags = parse(render_html(events))
    assert len(tags.having("g", **{"class": "row"})) == TIMELINE_ROWS
    assert "more requests are left out" in "".join(tags.text)


# -- in the browser --------------------------------------------------------------------------

PROBE = """(() => {
  const rows = [...document.querySelectorAll('svg.timeline g.row')];
  const box = el => { const r = el.getBoundingClientRect(); return [r.x, r.width, r.height]; };
  const pair = rows.find(r => r.dataset.kind === 'pair');
  const target = rows.find(r => r.dataset.target);
  const details = document.getElementById(target.dataset.target);
  const wasOpen = details.open;
  details.open = false;
  target.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  const th = document.querySelectorAll('#endpoints th')[4];
  th.click();
  const firstAfterSort = document.querySelector('#endpoints tbody tr td').textContent;
  return {
    title: document.title,
    cards: Object.fromEntries([...document.querySelectorAll('#summary .card')].map(
      c => [c.dataset.key, c.querySelector('.value').textContent])),
    rows: rows.length,
    pairPreflight: box(pair.querySelector('rect.pf')),
    pairRequest: box(pair.querySelector('rect.rq')),
    svgWidth: document.querySelector('svg.timeline').getBoundingClientRect().width,
    blockedItems: document.querySelectorAll('#blocked details.blocked-item').length,
    openedByClick: details.open, wasOpen,
    storms: document.querySelectorAll('#endpoints tr.storm').length,
    firstAfterSort,
    bodyHeight: document.body.scrollHeight,
  };
})()"""


async def _render(
    ws_url: str, page: str, shot: Path, width: int = 1280, probe: str = PROBE
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    async with connect(ws_url, max_size=None, ping_interval=None) as ws:
        cdp = CDP(ws)
        target = await cdp.send("Target.createTarget", {"url": "about:blank"})
        attached = await cdp.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        sid = attached["sessionId"]
        await cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            sessionId=sid,
        )
        await cdp.send("Page.enable", sessionId=sid)
        await cdp.send("Page.navigate", {"url": page}, sessionId=sid)
        for _ in range(200):
            if any(m == "Page.loadEventFired" for m, _ in cdp.events):
                break
            await asyncio.sleep(0.05)
        out = await cdp.send(
            "Runtime.evaluate", {"expression": probe, "returnByValue": True}, sessionId=sid
        )
        if "exceptionDetails" in out:
            raise AssertionError(out["exceptionDetails"])
        await cdp.send("Runtime.evaluate", {"expression": "window.scrollTo(0, 0)"}, sessionId=sid)
        png = await cdp.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            sessionId=sid,
        )
        import base64

        shot.write_bytes(base64.b64decode(png["data"]))
        cdp.reader.cancel()
        return out["result"]["value"]


@pytest.mark.browser
def test_renders_in_chromium(tmp_path: Path) -> None:
    chromium = chromium_or_skip()
    page = tmp_path / "report.html"
    page.write_text(render_html(report_events(), subtitle="chromium.har, chrome-h2.har"))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "analyze-report.png"
    work = Path(tempfile.mkdtemp(prefix="cors-html-"))
    proc, ws_url = start_chromium(chromium, work)
    try:
        dom = asyncio.run(_render(ws_url, page.as_uri(), shot))
    finally:
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    assert dom["title"] == "CORS report"
    assert dom["cards"]["blocked"] == "8"  # 5 in chromium.har, 3 in chrome-h2.har
    assert dom["cards"]["preflights"] == "11"  # 4 + 7
    assert dom["rows"] == 8 + 9
    # the preflight bar is drawn, and its request starts after it ends
    px, pw, ph = dom["pairPreflight"]
    rx, rw, _ = dom["pairRequest"]
    assert pw > 1 and rw > 1 and ph > 4
    assert rx >= px + pw - 0.5
    assert dom["svgWidth"] > 900
    assert dom["blockedItems"] == 8
    assert dom["openedByClick"] is True
    assert dom["storms"] == 1
    assert dom["firstAfterSort"].startswith("https://api.example.test/v2/poll")
    assert shot.stat().st_size > 20_000
    assert os.environ.get("CI") != "true" or shot.exists()


WIDTHS = """(() => ({
  page: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  wider: [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                 && !e.closest('.timeline-wrap, .table-wrap'))
    .map(e => e.tagName + '.' + e.className).slice(0, 5),
}))()"""


@pytest.mark.browser
def test_no_sideways_scroll_at_600_px(tmp_path: Path) -> None:
    """At 600 px the page fits: only the timeline and the endpoint table scroll, inside
    their own boxes."""
    chromium = chromium_or_skip()
    page = tmp_path / "report.html"
    page.write_text(render_html(report_events(), subtitle="chromium.har, chrome-h2.har"))
    work = Path(tempfile.mkdtemp(prefix="cors-html-"))
    proc, ws_url = start_chromium(chromium, work)
    try:
        dom = asyncio.run(
            _render(ws_url, page.as_uri(), tmp_path / "narrow.png", width=600, probe=WIDTHS)
        )
    finally:
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    assert dom["viewport"] == 600
    assert dom["page"] <= dom["viewport"], dom
    assert dom["wider"] == []
