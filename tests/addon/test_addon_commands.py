"""The commands: cors.explain, cors.summary and cors.report (cors.reload and cors.rules are
with the rules tests)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from addon_builders import APP
from addon_builders import T0
from addon_builders import fetch
from addon_builders import grant
from addon_builders import preflight
from addon_builders import response
from mitmproxy import exceptions
from mitmproxy.addons import view
from mitmproxy.test import tflow

from cors_addon import recent
from cors_addon.events import encode_line
from cors_addon.recent import RecentEvents

ACAO = [("Access-Control-Allow-Origin", APP)]


async def test_command_names(cors):
    names = {n for n in cors.tctx.master.commands.commands if n.startswith("cors.")}
    assert names == {
        "cors.explain",
        "cors.summary",
        "cors.report",
        "cors.reload",
        "cors.rules",
    }
    assert all(re.fullmatch(r"[a-z.]+", n) for n in names)  # callable from mitmweb


async def test_explain(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, grant(methods="GET")))
    a = fetch("GET", extra=(), t=T0 + 1)
    cors.run(a, response(200, ACAO))
    plain = tflow.tflow(resp=True)
    text = cors.addon.explain([p, a, plain])
    blocks = text.split("\n\n")
    assert len(blocks) == 3
    assert blocks[0].startswith(
        "BLOCKED MethodDisallowedByPreflightResponse: preflight for PUT /v1/items from"
        " http://app.test\n"
    )
    assert "\nFirefox: CORSMethodNotFound\n" in blocks[0]
    assert (
        "Console: Access to fetch at 'http://api.test/v1/items' from origin 'http://app.test'"
        " has been blocked by CORS policy: "
    ) in blocks[0]
    assert "Mode cors, credentials unknown, status 204, judged as chromium" in blocks[0]
    assert "Access-Control-Request-Headers: x-api-key" in blocks[0]
    assert blocks[1].startswith("ALLOWED: GET /v1/items from http://app.test\n")
    assert blocks[2] == f"{plain.id}: no CORS event (no Origin header, or filtered out)"
    assert cors.addon.explain([]) == ""


async def test_explain_through_the_command_manager(cors):
    """As typed in mitmproxy's command bar, with a flow spec resolved by the view."""
    v = view.View()
    cors.tctx.master.addons.add(v)
    p = preflight()
    cors.run(p, response(204, grant()))
    v.add([p])
    text = cors.tctx.master.commands.execute("cors.explain @all")
    assert text.startswith("ALLOWED: preflight for PUT /v1/items from")
    assert cors.tctx.master.commands.execute("cors.explain @marked") == text


async def test_summary(cors):
    assert cors.tctx.master.commands.execute("cors.summary") == "No CORS traffic seen yet."
    # app.test -> api.test: 2 preflights (one blocked), 2 requests (one blocked), a cached one
    p1 = preflight(t=T0)
    cors.run(p1, response(204, grant(max_age=600), t=T0 + 0.030))
    cors.run(fetch(t=T0 + 0.05), response(200, ACAO))
    cors.run(fetch(t=T0 + 5), response(200, ACAO))  # from the preflight cache
    p2 = preflight(url="http://api.test/v2", t=T0 + 10)
    cors.run(p2, response(405, t=T0 + 10.012))
    cors.run(fetch("GET", extra=(), t=T0 + 11), response(200))  # MissingAllowOriginHeader
    # other.test:8443 from another origin, and traffic the summary ignores
    cors.run(
        fetch("GET", "https://other.test:8443/x", origin="http://page.test", extra=()),
        response(200, [("Access-Control-Allow-Origin", "http://page.test")]),
    )
    cors.run(fetch("GET", extra=(), mode="no-cors", dest="image"), response(200))
    cors.run(fetch("GET", origin=None, extra=()), response(200))
    text = cors.tctx.master.commands.execute("cors.summary")
    lines = text.splitlines()
    # the pair with blocks comes first
    assert lines[0] == "http://app.test -> api.test"
    assert lines[1].strip().startswith("requests 3 (allowed 2), preflights 2 (42 ms in total)")
    assert "served from the preflight cache 1" in lines[1]
    assert (
        lines[2] == "  blocked: PreflightMissingAllowOriginHeader x1, MissingAllowOriginHeader x1"
    )
    assert lines[3] == "http://page.test -> other.test:8443"
    assert lines[4].strip().startswith("requests 1 (allowed 1), preflights 0 (0 ms in total)")
    assert len(lines) == 5


async def test_summary_counts_orphans_and_rewrites(cors, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "r"\nmatch = { paths = ["/fixed"] }\nallow_origin = "*"\n')
    cors.configure(cors_rules=str(rules))
    p = preflight(t=T0)
    cors.run(
        p,
        response(204, [("Access-Control-Allow-Origin", "*"), *grant()[1:]], t=T0 + 0.005),
    )
    cors.addon.tick(T0 + 10)
    cors.run(fetch("GET", "http://api.test/fixed", extra=(), t=T0 + 20), response(200))
    text = cors.addon.summarize()
    assert "orphaned preflights 1" in text and "rewritten by rules 1" in text
    assert "blocked: PreflightWildcardOriginNotAllowed x1" in text


class Page(HTMLParser):
    """The ids of the sections, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str | None] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.sections.append(dict(attrs).get("id"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


async def test_report(cors, tmp_path):
    """cors.report writes analyze --html's report, rendered from the emitted events."""
    p = preflight(t=T0)
    cors.run(p, response(204, grant(methods="GET")))  # MethodDisallowedByPreflightResponse
    cors.run(preflight("http://api.test/v2", t=T0 + 1), response(204, grant()))
    cors.addon.tick(T0 + 10)  # no request followed: an orphan, emitted without a flow
    cors.run(fetch("GET", extra=(), t=T0 + 11), response(200, ACAO))
    cors.run(fetch("GET", origin=None, extra=(), t=T0 + 12), response(200))  # no event
    assert [e["type"] for e in cors.events] == ["preflight", "preflight", "orphan", "request"]
    out = tmp_path / "report.html"
    text = cors.tctx.master.commands.execute(f"cors.report {out}")
    assert text == f"CORS report of 4 events written to {out}"
    html = out.read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>")
    page = parsed(html)
    assert page.sections == ["summary", "timeline", "blocked", "endpoints"]
    words = "".join(page.text)
    blocked = cors.of(p)[0]["error"]
    assert blocked["code"] == "MethodDisallowedByPreflightResponse"
    assert blocked["console"] in words and blocked["fix"] in words
    assert "Live proxy, 4 CORS events, " in words
    # the events every other output got, in the order they were emitted, as the log has them
    assert cors.addon.recent.events == cors.events
    assert cors.addon.recent.lines == [encode_line(e) for e in cors.events]


async def test_report_before_any_traffic(cors, tmp_path):
    out = tmp_path / "empty.html"
    cors.addon.report(str(out))
    assert "No CORS requests." in "".join(parsed(out.read_text(encoding="utf-8")).text)


@pytest.mark.parametrize("where", ["missing-dir/r.html", "."])
async def test_report_unwritable(cors, tmp_path, where):
    target = tmp_path / where
    with pytest.raises(exceptions.CommandError, match=r"cors.report: cannot write .+: \w"):
        cors.tctx.master.commands.execute(f"cors.report {target}")
    assert not (tmp_path / "missing-dir").exists()


async def test_report_store_is_bounded(cors, tmp_path):
    assert cors.addon.recent.max_events == recent.MAX_EVENTS == 10_000
    cors.addon.recent = RecentEvents(max_events=5)
    for i in range(12):
        cors.run(fetch("GET", extra=(), t=T0 + i), response(200, ACAO))
    cors.run(fetch("GET", extra=(), mode="no-cors", dest="image", t=T0 + 20), response(200))
    store = cors.addon.recent
    assert len(store.events) == 5 and store.seen == 12 and store.dropped == 7
    assert [e["flow"] for e in store.events] == [e["flow"] for e in cors.events[7:12]]
    out = tmp_path / "r.html"
    cors.addon.report(str(out))
    words = "".join(parsed(out.read_text(encoding="utf-8")).text)
    assert "Live proxy, 5 CORS events (the most recent 5 of 12)" in words


@pytest.mark.parametrize("max_events", [0, 1, 3, 4, 5, 9])
def test_report_store_keeps_exactly_the_last_events_across_blocks(max_events):
    """Lines are joined into blocks (of 4 here) and whole blocks dropped: the store still
    gives exactly the last max_events lines, and never holds much more than that."""
    store = RecentEvents(max_events=max_events, block=4)
    sent = []
    for i in range(23):
        event = {"verdict": "allowed", "flow": f"f{i}", "note": "a\nb"}  # escaped in JSON
        store.add(event)
        sent.append(encode_line(event))
        assert store.lines == sent[len(sent) - min(max_events, len(sent)) :]
        assert store.kept == len(store.lines) and store.dropped == len(sent) - store.kept
        held = sum(b.count(b"\n") for b in store._blocks) + len(store._open)
        assert held < max_events + 2 * 4
    assert [e["flow"] for e in store.events] == [f"f{i}" for i in range(23 - max_events, 23)]
