"""The commands: cors.explain and cors.summary (cors.reload and cors.rules are with the
rules tests)."""

from __future__ import annotations

import re

from addon_builders import APP
from addon_builders import T0
from addon_builders import fetch
from addon_builders import grant
from addon_builders import preflight
from addon_builders import response
from mitmproxy.addons import view
from mitmproxy.test import tflow

ACAO = [("Access-Control-Allow-Origin", APP)]


async def test_command_names(cors):
    names = {n for n in cors.tctx.master.commands.commands if n.startswith("cors.")}
    assert names == {"cors.explain", "cors.summary", "cors.reload", "cors.rules"}
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
    assert blocks[0].startswith("CORS preflight for PUT from http://app.test")
    assert "BLOCKED: MethodDisallowedByPreflightResponse (Firefox: CORSMethodNotFound)" in blocks[0]
    assert (
        "Console: Access to fetch at 'http://api.test/v1/items' from origin 'http://app.test'"
        " has been blocked by CORS policy: "
    ) in blocks[0]
    assert "Mode cors, credentials unknown, status 204, judged as chromium" in blocks[0]
    assert "Access-Control-Request-Headers: x-api-key" in blocks[0]
    assert blocks[1].startswith("CORS GET from http://app.test\nALLOWED")
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
    assert text.startswith("CORS preflight for PUT")
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
