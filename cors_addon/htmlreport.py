"""The HTML report: one self-contained file (inline CSS and JS, nothing fetched) made from
events, for `analyze --html` and the live proxy's report command.

    html = render_html(events)

It shows the summary counts, a timeline of preflights against their actual requests (so the
latency a preflight adds is visible), the blocked requests with their explanations, and per
endpoint the preflight count and effective max-age, so that preflight storms stand out.
Everything is aggregated while the events stream by, within fixed bounds.
"""

from __future__ import annotations

import bisect
import html
from collections import Counter
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from importlib import resources

from .engine.views import engine_lines
from .events import Event
from .render import reasons_text
from .summary import target_of

TIMELINE_ROWS = 300
BLOCKED_ITEMS = 100
ENDPOINTS = 200
_PENDING = 4096
STORM_PREFLIGHTS = 5  # this many preflights to one URL with a short max-age is a storm
STORM_MAX_AGE = 60
IDLE_GAP = 2.0  # seconds without any request that the timeline cuts out

_E = html.escape


def _epoch(event: Event) -> float:
    return datetime.fromisoformat(event["time"]).timestamp()


@dataclass(slots=True)
class Bar:
    start: float
    ms: float | None
    verdict: str


@dataclass(slots=True)
class TimelineRow:
    label: str
    verdict: str
    kind: str  # pair | request | cached | preflight | orphan
    preflight: Bar | None = None
    request: Bar | None = None
    target: str | None = None  # id of the blocked item it opens
    title: str = ""

    @property
    def start(self) -> float:
        bar = self.preflight or self.request
        assert bar is not None
        return bar.start

    @property
    def end(self) -> float:
        return max(b.start + (b.ms or 0) / 1000 for b in (self.preflight, self.request) if b)


@dataclass(slots=True)
class BlockedItem:
    event: Event
    id: str
    count: int = 0
    flows: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Endpoint:
    origin: str
    url: str
    methods: set[str] = field(default_factory=set)
    preflights: int = 0
    requests: int = 0
    cache_hits: int = 0
    preflight_ms: float = 0.0
    max_age: int | None = None  # of the latest preflight that passed
    blocked: int = 0

    @property
    def storm(self) -> bool:
        return self.preflights >= STORM_PREFLIGHTS and (self.max_age or 0) < STORM_MAX_AGE


class HtmlReport:
    def __init__(self, title: str = "CORS report", subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.counts: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.browsers: Counter[str] = Counter()
        self.preflight_ms = 0.0
        self.rows: list[TimelineRow] = []
        self.rows_left_out = 0
        self._pending: OrderedDict[str, Bar] = OrderedDict()  # preflights awaiting a request
        self._waiting: OrderedDict[str, TimelineRow] = OrderedDict()  # requests, their preflight
        self.blocked: dict[tuple[str, str, str, str], BlockedItem] = {}
        self.blocked_left_out = 0
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        self.endpoints_left_out = 0

    # -- collecting --------------------------------------------------------------------------

    def add(self, event: Event) -> None:
        verdict = event["verdict"]
        if verdict == "not-cors":
            self.counts["not-cors"] += 1
            return
        kind = event["type"]
        self.browsers[event["browser"]] += 1
        self.counts[kind] += 1
        if verdict == "blocked":
            self.counts["blocked"] += 1
            if kind == "preflight":
                self.counts["stopped"] += 1  # its request was never sent
            elif kind == "orphan":
                self.counts["refused"] += 1  # passed, but not for the request's credentials
            if event["error"]:
                self.codes[event["error"]["code"]] += 1
            self._add_blocked(event)
        elif verdict == "allowed" and kind == "request":
            self.counts["allowed"] += 1
        if kind == "request" and event["preflight"]["cache"] is not None:
            self.counts["cache hits"] += 1
        if kind == "preflight" and event["ms"] is not None:
            self.preflight_ms += event["ms"]
        self._add_endpoint(event)
        self._add_timeline(event)

    @staticmethod
    def _blocked_key(event: Event) -> tuple[str, str, str, str]:
        p = event["preflight"]
        method = p["method"] if event["type"] != "request" else event["method"]
        code = event["error"]["code"] if event["error"] else ""
        return (event["origin"], method, event["url"].split("?", 1)[0], code)

    def _add_blocked(self, event: Event) -> None:
        key = self._blocked_key(event)
        item = self.blocked.get(key)
        if item is None:
            if len(self.blocked) >= BLOCKED_ITEMS:
                self.blocked_left_out += 1
                return
            item = self.blocked[key] = BlockedItem(event, f"b{len(self.blocked)}")
        item.count += 1
        if len(item.flows) < 5:
            item.flows.append(event["flow"])

    def _add_endpoint(self, event: Event) -> None:
        key = (event["origin"], event["url"].split("?", 1)[0])
        ep = self.endpoints.get(key)
        if ep is None:
            if len(self.endpoints) >= ENDPOINTS:
                self.endpoints_left_out += 1
                return
            ep = self.endpoints[key] = Endpoint(*key)
        p = event["preflight"]
        kind = event["type"]
        ep.methods.add(p["method"] if kind != "request" else event["method"])
        if kind == "preflight":
            ep.preflights += 1
            ep.preflight_ms += event["ms"] or 0
            if event["verdict"] == "allowed":
                ep.max_age = p["max_age"] if p["max_age"] is not None else 0
        elif kind == "request":
            ep.requests += 1
            if p["cache"] is not None:
                ep.cache_hits += 1
        if event["verdict"] == "blocked":
            ep.blocked += 1

    def _add_timeline(self, event: Event) -> None:
        kind = event["type"]
        p = event["preflight"]
        bar = Bar(_epoch(event), event["ms"], event["verdict"])
        _, path = target_of(event["url"])
        if kind == "preflight":
            if event["verdict"] == "allowed":
                waiting = self._waiting.pop(event["flow"], None)
                if waiting is not None:  # events out of order: its request came first
                    waiting.preflight, waiting.kind = bar, "pair"
                    waiting.title = waiting.title.replace(":", f": preflight {_ms(bar.ms)} +", 1)
                    return
                self._pending[event["flow"]] = bar
                while len(self._pending) > _PENDING:
                    self._pending.popitem(last=False)
                return
            label = f"{p['method']} {path}"
            row = TimelineRow(label, "blocked", "preflight", preflight=bar)
            code = event["error"]["code"] if event["error"] else "blocked"
            row.title = f"{label}: preflight {_ms(bar.ms)}, blocked ({code}), request never sent"
        elif kind == "orphan":
            pf = self._pending.pop(event["flow"], None) or bar
            label = f"{p['method']} {path}"
            row = TimelineRow(label, event["verdict"], "orphan", preflight=pf)
            row.title = f"{label}: preflight {_ms(pf.ms)}, no request followed"
        else:
            label = f"{event['method']} {path}"
            pf = None
            if p["flow"] is not None:
                pf = self._pending.pop(p["flow"], None)
            row = TimelineRow(label, event["verdict"], "pair" if pf else "request", pf, bar)
            if p["flow"] is not None and pf is None:
                self._waiting[p["flow"]] = row
                while len(self._waiting) > _PENDING:
                    self._waiting.popitem(last=False)
            if p["cache"] is not None:
                row.kind = "cached"
            parts = [label + ":"]
            if pf:
                parts.append(f"preflight {_ms(pf.ms)} +")
            if p["cache"] is not None:
                parts.append(f"(preflight from the cache, max-age {p['cache']['max_age']} s)")
            parts.append(f"request {_ms(bar.ms)}")
            if event["error"]:
                parts.append(f"blocked ({event['error']['code']})")
            row.title = " ".join(parts)
        if event["verdict"] == "blocked":
            item = self.blocked.get(self._blocked_key(event))
            row.target = item.id if item is not None else None
        if len(self.rows) >= TIMELINE_ROWS:
            self.rows_left_out += 1
            return
        self.rows.append(row)

    # -- rendering ---------------------------------------------------------------------------

    def render(self) -> str:
        template = resources.files("cors_addon").joinpath("htmlreport.html").read_text()
        browsers = ", ".join(b.capitalize() for b, _ in self.browsers.most_common()) or "Chromium"
        parts = {
            "title": _E(self.title),
            "subtitle": _E(self.subtitle),
            "summary": self._summary(),
            "timeline": self._timeline(),
            "blocked": self._blocked(),
            "endpoints": self._endpoints(),
            "browsers": _E(browsers),
        }
        for key, value in parts.items():
            template = template.replace("{{" + key + "}}", value)
        return template

    def _summary(self) -> str:
        """The counts, worded as the terminal report words them: the requests the page made
        are those sent and those the browser stopped at their preflight."""
        c = self.counts
        sent, stopped, refused = c["request"], c["stopped"], c["refused"]
        made = [f"{sent:,} sent"]
        if stopped:
            made.append(f"{stopped:,} stopped at their preflight")
        if refused:
            made.append(f"{refused:,} never sent after their preflight")
        where = []
        if stopped or refused:
            where.append(f"{c['blocked'] - stopped - refused:,} at their response")
            if stopped:
                where.append(f"{stopped:,} at their preflight")
            if refused:
                where.append(f"{refused:,} for their credentials")
        cards = [
            ("requests", sent + stopped + refused, "CORS requests", ", ".join(made), ""),
            ("allowed", c["allowed"], "allowed", "", "good" if c["allowed"] else ""),
            ("blocked", c["blocked"], "blocked", ", ".join(where), "bad" if c["blocked"] else ""),
            ("preflights", c["preflight"], "preflights", "", "pre"),
            ("preflight-ms", f"{self.preflight_ms:,.0f} ms", "spent in preflights", "", "pre"),
            ("cache-hits", c["cache hits"], "served from the preflight cache", "", ""),
            ("orphans", c["orphan"], "preflights with no request after them", "", ""),
        ]
        html_cards = "".join(
            f'<div class="card {cls}" data-key="{key}">'
            f'<div class="value">{_E(f"{value:,}" if isinstance(value, int) else value)}</div>'
            f'<div class="label">{_E(label)}</div>'
            + (f'<div class="detail">{_E(detail)}</div>' if detail else "")
            + "</div>"
            for key, value, label, detail, cls in cards
        )
        codes = "".join(
            f'<span class="code" data-code="{_E(code)}">{_E(code)} &times; {n}</span>'
            for code, n in self.codes.most_common()
        )
        return (
            '<section id="summary"><h2>Summary</h2>'
            f'<div class="cards">{html_cards}</div>'
            + (f'<div class="codes">{codes}</div>' if codes else "")
            + "</section>"
        )

    def _timeline(self) -> str:
        head = (
            '<section id="timeline"><h2>Preflights and their requests</h2>'
            '<p class="hint">Each row is one request in the order they were sent. The purple'
            " bar is its preflight, the blue (red when blocked) bar the request itself: the"
            " gap before a request is latency the preflight added. A teal mark means the"
            " browser reused a cached preflight. Click a blocked row for its explanation.</p>"
            '<div class="legend"><span><i style="background:var(--preflight)"></i>preflight</span>'
            '<span><i style="background:var(--request)"></i>request</span>'
            '<span><i style="background:var(--blocked)"></i>blocked</span>'
            '<span><i style="background:var(--cached)"></i>from the preflight cache</span>'
            '<span><i style="border:1px dashed var(--unknown)"></i>no request followed</span></div>'
        )
        if not self.rows:
            return head + '<p class="empty">No CORS requests.</p></section>'
        rows = sorted(self.rows, key=lambda r: r.start)  # several files may interleave
        axis = TimeAxis(rows)
        left, right, row_h, top = 300, 990, 20, 26
        width = right - left
        scale = width / axis.span

        def x(t: float) -> float:
            return left + axis.position(t) * scale

        def w(ms: float | None) -> float:
            return max((ms or 0) / 1000 * scale, 2.5)

        height = top + row_h * len(rows) + 8
        out = [
            f'<div class="timeline-wrap"><svg class="timeline" viewBox="0 0 1000 {height}"'
            f' width="100%" role="img" aria-label="timeline of preflights and requests">'
        ]
        if len(axis.segments) == 1:
            for i in range(6):
                gx = left + width * i / 5
                anchor = "end" if i == 5 else "start" if i == 0 else "middle"
                out.append(_grid(gx, top, height))
                out.append(
                    f'<text class="axis" x="{gx:.1f}" y="{top - 10}" text-anchor="{anchor}">'
                    f"{_span_label(axis.span * i / 5)}</text>"
                )
        else:  # idle stretches cut out: each burst is labelled with its clock time
            for start, at, skipped in axis.breaks():
                gx = left + at * scale
                out.append(_grid(gx, top, height, "break" if skipped else "grid"))
                label = datetime.fromtimestamp(start, UTC).strftime("%H:%M:%S UTC")
                if skipped:
                    label = f"{_span_label(skipped)} later: {label}"
                out.append(f'<text class="axis" x="{gx + 3:.1f}" y="{top - 10}">{_E(label)}</text>')
        for n, row in enumerate(rows):
            y = top + n * row_h
            attrs = f'class="row" data-kind="{row.kind}" data-verdict="{_E(row.verdict)}"'
            if row.target:
                attrs += f' data-target="{row.target}"'
            out.append(f"<g {attrs}><title>{_E(row.title)}</title>")
            out.append(f'<rect class="band" x="0" y="{y}" width="1000" height="{row_h}"/>')
            out.append(f'<text x="6" y="{y + 14}">{_E(_clip(row.label, 44))}</text>')
            bar_y, bar_h = y + 5, row_h - 10
            end = 0.0
            begin = x(row.start)
            if row.preflight:
                pf = row.preflight
                cls = "pf blocked" if pf.verdict == "blocked" else "pf"
                if row.kind == "orphan":
                    cls = "pf orphan"
                px, pw = x(pf.start), w(pf.ms)
                out.append(_rect(cls, px, bar_y, pw, bar_h))
                end = px + pw
            if row.request:
                rq = row.request
                rx, rw = x(rq.start), w(rq.ms)
                if row.preflight and rx > end + 1:
                    out.append(_rect("gap", end, bar_y + bar_h / 2 - 0.75, rx - end, 1.5))
                if row.kind == "cached":
                    diamond = f"M{rx - 7:.1f} {y + row_h / 2} l4 -4 l4 4 l-4 4 z"
                    out.append(f'<path class="cache" d="{diamond}"/>')
                out.append(_rect("rq", rx, bar_y, rw, bar_h))
                end = max(end, rx + rw)
            total = _row_ms(row)
            if total is not None:
                anchor, tx = ("end", begin - 4) if end > right - 120 else ("start", end + 4)
                out.append(
                    f'<text class="ms" x="{tx:.1f}" y="{y + 14}" text-anchor="{anchor}">'
                    f"{total}</text>"
                )
            out.append("</g>")
        out.append("</svg></div>")
        if self.rows_left_out:
            out.append(
                f'<p class="hint">The first {len(rows)} rows are drawn; {self.rows_left_out}'
                " more requests are left out.</p>"
            )
        return head + "".join(out) + "</section>"

    def _blocked(self) -> str:
        head = '<section id="blocked"><h2>Blocked requests</h2>'
        if not self.blocked:
            return head + '<p class="empty">Nothing was blocked.</p></section>'
        out = [
            head,
            '<p class="hint">What the browser refused, in its own words, and what to change.</p>',
        ]
        for n, item in enumerate(self.blocked.values()):
            e = item.event
            p = e["preflight"]
            err = e["error"] or {}
            method = p["method"] if e["type"] != "request" else e["method"]
            where = " at its preflight" if e["type"] == "preflight" else ""
            if e["type"] == "orphan":
                where = " after its preflight passed"
            count = f'<span class="count">&times; {item.count}</span>' if item.count > 1 else ""
            rows = [
                ("URL", f'<span class="mono">{_E(e["url"])}</span>'),
                ("Page origin", _E(e["origin"])),
            ]
            if p["needed"]:
                rows.append(("Preflighted because", _E(reasons_text(e))))
            if err:
                rows.append(("Browser console", f'<div class="console">{_E(err["console"])}</div>'))
                rows.append(("Fix", f'<div class="fix">{_E(err["fix"])}</div>'))
                rows.append(("Firefox reports", _E(err["firefox"])))
            engines = e.get("engines")
            if engines:
                lines = "".join(f"<div>{_E(line)}</div>" for line in engine_lines(engines))
                rows.append(("Each engine", f'<div class="console">{lines}</div>'))
            for w in e["warnings"]:
                rows.append((_E(w["code"]), _E(w["message"])))
            rows.append(("Flows", f'<span class="mono">{_E(", ".join(item.flows))}</span>'))
            dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
            out.append(
                f'<details class="blocked-item" id="{item.id}"{" open" if n < 3 else ""}>'
                f"<summary>{_E(method)} {_E(target_of(e['url'])[1])}{_E(where)}"
                f'<span class="code">{_E(err.get("code", "blocked"))}</span>{count}</summary>'
                f"<dl>{dl}</dl></details>"
            )
        if self.blocked_left_out:
            out.append(
                f'<p class="hint">{self.blocked_left_out} more blocked flows are not listed.</p>'
            )
        out.append("</section>")
        return "".join(out)

    def _endpoints(self) -> str:
        head = (
            '<section id="endpoints"><h2>Endpoints</h2>'
            '<p class="hint">Preflights per URL and the max-age the browser caches them for'
            " (after its cap). Many preflights with a short max-age are a preflight storm:"
            " send Access-Control-Max-Age (Chromium honours up to 7200 s), or make the"
            " requests simple.</p>"
        )
        if not self.endpoints:
            return head + '<p class="empty">No CORS requests.</p></section>'
        eps = sorted(self.endpoints.values(), key=lambda e: (-e.preflights, -e.requests, e.url))
        body = []
        for ep in eps:
            badges = ""
            if ep.storm:
                badges += '<span class="badge storm">preflight storm</span>'
            if ep.blocked:
                badges += f'<span class="badge blocked">{ep.blocked} blocked</span>'
            max_age = "" if ep.max_age is None else f"{ep.max_age} s"
            age_v = -1 if ep.max_age is None else ep.max_age
            body.append(
                f'<tr class="{"storm" if ep.storm else ""}" data-storm="{str(ep.storm).lower()}">'
                f'<td class="mono">{_E(ep.url)}{badges}</td>'
                f"<td>{_E(ep.origin)}</td>"
                f"<td>{_E(', '.join(sorted(ep.methods)))}</td>"
                f'<td class="num" data-v="{ep.requests}">{ep.requests}</td>'
                f'<td class="num" data-v="{ep.preflights}">{ep.preflights}</td>'
                f'<td class="num" data-v="{ep.cache_hits}">{ep.cache_hits}</td>'
                f'<td class="num" data-v="{age_v}">{max_age}</td>'
                f'<td class="num" data-v="{ep.preflight_ms:.1f}">'
                f"{ep.preflight_ms:,.0f} ms</td></tr>"
            )
        table = (
            '<div class="table-wrap"><table class="sortable"><thead><tr><th>URL</th>'
            "<th>page origin</th><th>methods</th>"
            '<th class="num">requests</th><th class="num">preflights</th>'
            '<th class="num">cache hits</th><th class="num">effective max-age</th>'
            '<th class="num">time in preflights</th></tr></thead><tbody>'
            + "".join(body)
            + "</tbody></table></div>"
        )
        more = (
            f'<p class="hint">{self.endpoints_left_out} flows to further endpoints are not'
            " listed.</p>"
            if self.endpoints_left_out
            else ""
        )
        return head + table + more + "</section>"


class TimeAxis:
    """Time to a horizontal position, with idle stretches cut out: rows are grouped into
    bursts of activity, and the gap between two bursts is drawn as a short break, so that
    captures of a long session (or several files) keep their bars readable."""

    def __init__(self, rows: list[TimelineRow]) -> None:
        segments: list[list[float]] = []
        for start, end in sorted((r.start, r.end) for r in rows):
            if segments and start - segments[-1][1] <= IDLE_GAP:
                segments[-1][1] = max(segments[-1][1], end)
            else:
                segments.append([start, max(end, start)])
        active = sum(e - s for s, e in segments) or 0.001
        self.gap = active * 0.03 if len(segments) > 1 else 0.0
        self.segments = segments
        self.offsets: list[float] = []
        at = 0.0
        for s, e in segments:
            self.offsets.append(at)
            at += (e - s) + self.gap
        self.span = max(at - self.gap, 0.001)

    def position(self, t: float) -> float:
        i = max(bisect.bisect_right([s for s, _ in self.segments], t) - 1, 0)
        return self.offsets[i] + (t - self.segments[i][0])

    def breaks(self) -> list[tuple[float, float, float]]:
        """Per burst: its start time, its position, and the idle seconds cut before it."""
        out = []
        for i, (s, _) in enumerate(self.segments):
            skipped = s - self.segments[i - 1][1] if i else 0.0
            out.append((s, self.offsets[i], skipped))
        return out


def _grid(gx: float, top: int, height: int, cls: str = "grid") -> str:
    return f'<line class="{cls}" x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{height}"/>'


def _rect(cls: str, x: float, y: float, width: float, height: float) -> str:
    return (
        f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}"'
        f' height="{height:.1f}" rx="1.5"/>'
    )


def _ms(ms: float | None) -> str:
    return "?" if ms is None else f"{ms:.0f} ms"


def _row_ms(row: TimelineRow) -> str | None:
    parts = [b.ms for b in (row.preflight, row.request) if b and b.ms is not None]
    if row.kind == "preflight":
        return f"preflight {_ms(row.preflight.ms if row.preflight else None)}, request never sent"
    if row.kind == "orphan":
        return f"preflight {_ms(row.preflight.ms if row.preflight else None)}, no request"
    if not parts:
        return None
    if row.preflight and row.request and row.preflight.ms is not None:
        total = (row.request.start - row.preflight.start) * 1000 + (row.request.ms or 0)
        return f"{total:.0f} ms (preflight {row.preflight.ms:.0f})"
    return f"{sum(parts):.0f} ms"


def _span_label(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def render_html(events: Iterable[Event], title: str = "CORS report", subtitle: str = "") -> str:
    """The whole report as one self-contained HTML document."""
    report = HtmlReport(title, subtitle)
    for event in events:
        report.add(event)
    return report.render()
