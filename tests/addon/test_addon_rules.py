"""Rules through the addon's hooks: answer, fix, forward, strip, replace, errors, the flows
rules never touch, the event fields, rule counts, hot reload and cors.reload."""

from __future__ import annotations

import logging
import os
import textwrap
from pathlib import Path

import pytest
from addon_builders import API
from addon_builders import APP
from addon_builders import T0
from addon_builders import as_quiet_mitmdump
from addon_builders import fetch
from addon_builders import grant
from addon_builders import make_flow
from addon_builders import preflight
from addon_builders import response
from mitmproxy import exceptions

from cors_addon import render

ACAO = "access-control-allow-origin"


def write_rules(path: Path, body: str) -> None:
    """Write a rules file and make sure its mtime changes (hot reload compares it)."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(body))
    st = path.stat()
    if st.st_mtime_ns <= old:
        os.utime(path, ns=(st.st_atime_ns, old + 1_000_000))


@pytest.fixture
def rules(cors, tmp_path):
    """Load a rules file into the addon: rules(body) -> path."""
    path = tmp_path / "rules.toml"

    def load(body: str) -> Path:
        write_rules(path, body)
        cors.configure(cors_rules=str(path))
        return path

    return load


ANSWER = """
[[rules]]
name = "answer"
match = { hosts = ["api.test"] }
allow_origin = "reflect"
preflight = "answer"
max_age = 600
"""

FIX = """
[[rules]]
name = "fix"
match = { hosts = ["api.test"], origins = ["http://app.test"] }
allow_origin = "reflect"
preflight = "fix"
"""

FORWARD = """
[[rules]]
name = "forward"
allow_origin = "reflect"
preflight = "forward"
"""

STRIP = """
[[rules]]
name = "strip"
strip = ["access-control-*"]
"""


async def test_answer_at_the_proxy(cors, rules):
    rules(ANSWER)
    f = preflight(acrh="x-api-key, content-type")
    contacted = cors.run(f, response(500))
    assert not contacted  # the server never saw the OPTIONS
    resp = f.response
    assert resp.status_code == 204
    assert resp.headers[ACAO] == APP
    assert resp.headers["access-control-allow-methods"] == "PUT"
    assert resp.headers["access-control-allow-headers"] == "x-api-key, content-type"
    assert resp.headers["access-control-allow-credentials"] == "true"
    assert resp.headers["access-control-max-age"] == "600"
    assert resp.headers["vary"] == "Origin"
    assert resp.headers.get_all("content-length") == ["0"]
    event = f.metadata["cors"]
    assert event["verdict"] == "allowed" and event["status"] == 204
    assert event["rule"] == "answer"
    assert event["changes"]["answered"] is True
    assert event["changes"]["added"][ACAO] == APP
    assert event["upstream"] is None  # there was no server response to judge
    assert f.marked == render.MARK_REWRITTEN
    assert "answered the preflight at the proxy" in f.comment
    # the actual request is paired with the answered preflight
    a = fetch()
    cors.run(a, response(200))
    assert a.metadata["cors"]["preflight"]["flow"] == f.id
    assert a.response.headers[ACAO] == APP  # and decorated too


async def test_answer_only_for_real_preflights(cors, rules):
    rules(ANSWER)
    plain_options = make_flow("OPTIONS", API, [("Origin", APP), ("Sec-Fetch-Mode", "cors")])
    assert cors.run(plain_options, response(405))
    assert plain_options.response.status_code == 405  # not a preflight: not answered
    get_404 = fetch("GET", extra=())
    assert cors.run(get_404, response(404))
    assert get_404.response.status_code == 404  # a 404 on a GET stays a 404
    assert get_404.response.headers[ACAO] == APP  # (only decorated: errors = true)


async def test_fix_turns_405_into_204(cors, rules):
    rules(FIX)
    f = preflight()
    assert cors.run(f, response(405, [("Allow", "GET")], b"Method Not Allowed"))
    assert f.response.status_code == 204
    assert f.response.reason == "No Content"
    assert f.response.content == b""
    assert f.response.headers[ACAO] == APP
    assert f.response.headers["access-control-allow-methods"] == "PUT"
    assert f.response.headers["access-control-allow-headers"] == "x-api-key"
    event = f.metadata["cors"]
    assert event["verdict"] == "allowed" and event["status"] == 204
    assert event["rule"] == "fix"
    assert event["changes"]["status"] == [405, 204]
    assert event["changes"]["answered"] is False
    assert event["upstream"]["verdict"] == "blocked"
    assert event["upstream"]["error"]["code"] == "PreflightMissingAllowOriginHeader"
    assert "status 405 -> 204" in f.comment
    assert "The server alone: blocked (PreflightMissingAllowOriginHeader)" in f.comment


async def test_fix_follows_no_redirect(cors, rules):
    rules(FIX)
    f = preflight()
    cors.run(f, response(302, [("Location", "http://login.test/")]))
    assert f.response.status_code == 204
    assert "location" not in f.response.headers
    assert f.metadata["cors"]["upstream"]["error"]["code"] == "PreflightDisallowedRedirect"


async def test_forward_sets_headers_but_keeps_status(cors, rules):
    rules(FORWARD)
    failing = preflight()
    cors.run(failing, response(405))
    assert failing.response.status_code == 405
    assert failing.response.headers[ACAO] == APP
    event = failing.metadata["cors"]
    assert event["verdict"] == "blocked" and event["error"]["code"] == "PreflightInvalidStatus"
    assert event["rule"] == "forward" and event["changes"]["status"] is None
    ok = preflight(t=T0 + 1)
    cors.run(ok, response(200))
    assert ok.metadata["cors"]["verdict"] == "allowed"


async def test_strip_reproduces_a_server_without_cors(cors, rules):
    rules(STRIP)
    f = fetch("GET", extra=())
    server = response(
        200,
        [(ACAO, APP), ("Access-Control-Expose-Headers", "x-id"), ("X-Id", "1"), ("Vary", "Origin")],
    )
    cors.run(f, server)
    assert ACAO not in f.response.headers
    assert "access-control-expose-headers" not in f.response.headers
    assert f.response.headers["x-id"] == "1" and f.response.headers["vary"] == "Origin"
    event = f.metadata["cors"]
    assert event["verdict"] == "blocked"
    assert event["error"]["code"] == "MissingAllowOriginHeader"
    assert event["rule"] == "strip"
    assert event["changes"]["removed"] == [ACAO, "access-control-expose-headers"]
    assert event["changes"]["added"] == {}
    assert event["upstream"] == {"verdict": "allowed", "error": None}
    assert f.marked == render.MARK_BLOCKED  # what the browser gets decides the marker


@pytest.mark.parametrize(
    "server",
    [
        [(ACAO, APP), (ACAO, APP)],
        [(ACAO, "*"), ("X-Other", "1"), (ACAO, "http://other.test")],
        [(ACAO, f"{APP}, {APP}")],
    ],
    ids=["twice", "two-values", "comma-list"],
)
async def test_allow_origin_is_replaced_not_duplicated(cors, rules, server):
    rules(FIX)
    f = fetch("GET", extra=(), cookie="session=1")
    cors.run(f, response(200, server))
    assert f.response.headers.get_all(ACAO) == [APP]
    assert f.response.headers["access-control-allow-credentials"] == "true"
    event = f.metadata["cors"]
    assert event["verdict"] == "allowed" and event["upstream"]["verdict"] == "blocked"
    assert event["changes"]["added"][ACAO] == APP


async def test_wildcard_with_credentials_fixed_by_reflect(cors, rules):
    rules(FIX)
    f = fetch("GET", extra=(), cookie="session=1")
    cors.run(f, response(200, [(ACAO, "*")]))
    event = f.metadata["cors"]
    assert event["credentials"] == "include"
    assert event["upstream"]["error"]["code"] == "WildcardOriginNotAllowed"
    assert event["verdict"] == "allowed"
    assert f.response.headers.get_all(ACAO) == [APP]
    assert "Origin" in f.response.headers["vary"]


async def test_errors_false_leaves_error_responses_alone(cors, rules):
    rules(FIX.replace('preflight = "fix"', 'preflight = "fix"\nerrors = false'))
    failing = fetch("GET", extra=())
    cors.run(failing, response(500, [("X-Trace", "1")]))
    assert ACAO not in failing.response.headers
    assert failing.metadata["cors"]["verdict"] == "blocked"
    assert failing.metadata["cors"]["upstream"] is None
    ok = fetch("GET", extra=())
    cors.run(ok, response(200))
    assert ok.response.headers[ACAO] == APP
    # preflights are still fixed: errors only concerns actual responses
    p = preflight()
    cors.run(p, response(405))
    assert p.response.status_code == 204


async def test_errors_true_decorates_error_responses(cors, rules):
    rules(FIX)
    f = fetch("GET", extra=())
    cors.run(f, response(500))
    assert f.response.status_code == 500 and f.response.headers[ACAO] == APP
    assert f.metadata["cors"]["verdict"] == "allowed"


CATCH_ALL = """
[[rules]]
name = "everything"
allow_origin = "reflect"
preflight = "answer"
strip = ["*"]
"""


@pytest.mark.parametrize(
    "flow",
    [
        lambda: fetch("GET", extra=(), mode="navigate", dest="document"),
        lambda: fetch("GET", "http://app.test/data", extra=(), site="same-origin"),
        lambda: fetch("GET", extra=(), mode="no-cors", dest="script"),
        lambda: fetch("GET", origin=None, extra=()),
        lambda: make_flow("OPTIONS", API, [("Access-Control-Request-Method", "PUT")]),
        lambda: preflight(live=False),
        lambda: fetch("GET", extra=(), live=False),
    ],
    ids=[
        "navigation",
        "same-origin",
        "no-cors",
        "no-origin",
        "options-without-origin",
        "replayed-preflight",
        "replayed-request",
    ],
)
async def test_rules_never_touch(cors, rules, flow):
    rules(CATCH_ALL)
    f = flow()
    server = response(405 if f.request.method == "OPTIONS" else 200, [("X-Keep", "1")])
    before = list(server.headers.fields)
    assert cors.run(f, server)
    assert f.response.status_code == server.status_code
    assert list(f.response.headers.fields) == before
    event = f.metadata.get("cors")
    assert event is None or (event["rule"], event["changes"], event["upstream"]) == (None,) * 3
    assert "everything" in cors.addon.list_rules() and ": 0 flows" in cors.addon.list_rules()


async def test_answered_or_failed_flows_are_left_alone(cors, rules):
    """The built-ins' guard: another addon already answered or killed the flow."""
    rules(ANSWER)
    f = preflight()
    mine = response(418)
    f.response = mine
    cors.addon.requestheaders(f)
    if hasattr(cors.addon, "request"):  # as mitmproxy calls it: only when the addon has it
        cors.addon.request(f)
    assert f.response is mine and f.response.status_code == 418


async def test_first_matching_rule_wins(cors, rules):
    rules(
        """
        [[rules]]
        name = "disabled"
        enabled = false
        allow_origin = "*"

        [[rules]]
        name = "only /other"
        match = { paths = ["/other/*"] }
        allow_origin = "*"

        [[rules]]
        name = "api"
        match = { hosts = ["api.test"] }
        allow_origin = "reflect"
        """
    )
    f = fetch("GET", extra=())
    cors.run(f, response(200))
    assert f.metadata["cors"]["rule"] == "api" and f.response.headers[ACAO] == APP
    g = fetch("GET", "http://api.test/other/1", extra=())
    cors.run(g, response(200))
    assert g.metadata["cors"]["rule"] == "only /other" and g.response.headers[ACAO] == "*"
    listing = cors.addon.list_rules()
    assert listing.splitlines()[1:] == [
        "  [off] disabled: 0 flows",
        "  [on ] only /other: 1 flows",
        "  [on ] api: 1 flows",
    ]


async def test_rule_counts_and_listing(cors, rules):
    path = rules(FIX)
    for i in range(3):
        cors.run(fetch("GET", extra=(), t=T0 + i), response(200))
    p = preflight(t=T0 + 10)
    cors.run(p, response(405))  # preflight: matched once, in request and response
    cors.run(fetch("GET", "http://else.test/", extra=()), response(200))
    assert cors.tctx.master.commands.execute("cors.rules") == (
        f"Rules from {path}:\n  [on ] fix: 4 flows"
    )


async def test_rule_with_filter(cors, rules):
    rules(
        """
        [[rules]]
        name = "not health"
        match = { filter = "!~u /health" }
        allow_origin = "reflect"
        """
    )
    health = fetch("GET", "http://api.test/health", extra=())
    cors.run(health, response(200))
    other = fetch("GET", extra=())
    cors.run(other, response(200))
    assert ACAO not in health.response.headers
    assert other.response.headers[ACAO] == APP


# -- hot reload ---------------------------------------------------------------------------


async def test_hot_reload(cors, rules, caplog):
    path = rules(FIX)
    cors.addon.tick(T0)
    assert [r.name for r in cors.addon.rules.rules] == ["fix"]

    write_rules(path, FIX.replace('"fix"', '"fixed again"', 1))  # a change
    cors.addon.tick(T0 + 1)
    assert [r.name for r in cors.addon.rules.rules] == ["fixed again"]
    f = fetch("GET", extra=())
    cors.run(f, response(200))
    assert f.metadata["cors"]["rule"] == "fixed again"

    caplog.clear()
    write_rules(path, FIX + "\nallow_orign = 1\n")  # a broken change
    cors.addon.tick(T0 + 2)
    assert [r.name for r in cors.addon.rules.rules] == ["fixed again"]
    [warning] = [r for r in caplog.records if "NOT reloaded" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert str(path) in warning.getMessage() and "allow_origin" in warning.getMessage()
    cors.addon.tick(T0 + 3)  # the same broken file is not reported again
    assert len([r for r in caplog.records if "NOT reloaded" in r.getMessage()]) == 1
    g = fetch("GET", extra=())
    cors.run(g, response(200))
    assert g.response.headers[ACAO] == APP  # the previous rules still apply

    write_rules(path, STRIP)  # fixed again
    cors.addon.tick(T0 + 4)
    assert [r.name for r in cors.addon.rules.rules] == ["strip"]

    caplog.clear()
    path.unlink()  # deleted
    cors.addon.tick(T0 + 5)
    assert [r.name for r in cors.addon.rules.rules] == ["strip"]
    assert "was deleted; the previous rules stay active" in caplog.text
    h = fetch("GET", extra=())
    cors.run(h, response(200, [(ACAO, APP)]))
    assert ACAO not in h.response.headers

    write_rules(path, FIX)  # and back
    cors.addon.tick(T0 + 6)
    assert [r.name for r in cors.addon.rules.rules] == ["fix"]


async def test_hot_reload_keeps_counts_of_surviving_rules(cors, rules):
    path = rules(FIX)
    cors.run(fetch("GET", extra=()), response(200))
    write_rules(path, FIX + STRIP)
    cors.addon.tick(T0)
    assert "fix: 1 flows" in cors.addon.list_rules()
    assert "strip: 0 flows" in cors.addon.list_rules()


async def test_no_reload_without_a_change(cors, rules, caplog):
    rules(FIX)
    caplog.clear()
    for i in range(3):
        cors.addon.tick(T0 + i)
    assert "rules active" not in caplog.text


async def test_reload_command(cors, rules):
    path = rules(FIX)
    path.write_text(STRIP)  # even when the mtime did not move
    cors.tctx.master.commands.execute("cors.reload")
    assert [r.name for r in cors.addon.rules.rules] == ["strip"]
    path.write_text("[[rules]]\nname = 1\n")
    with pytest.raises(exceptions.CommandError, match="previous rules stay active") as info:
        cors.tctx.master.commands.execute("cors.reload")
    assert f"{path}:2" in str(info.value) and "name" in str(info.value)  # what is wrong, where
    assert [r.name for r in cors.addon.rules.rules] == ["strip"]


async def test_reload_command_without_rules(cors):
    with pytest.raises(exceptions.CommandError, match="No rules file is loaded"):
        cors.tctx.master.commands.execute("cors.reload")
    assert cors.tctx.master.commands.execute("cors.rules") == "No rules loaded."


async def test_example_rules_file_changes_nothing(cors):
    """The documented rules.toml has every rule disabled."""
    example = Path(__file__).parents[2] / "rules.toml"
    cors.configure(cors_rules=str(example))
    f = preflight(url="http://api.staging.example.com/v1/x", origin="http://localhost:3000")
    assert cors.run(f, response(405))
    assert f.response.status_code == 405 and f.metadata["cors"]["rule"] is None
    assert all(": 0 flows" in line for line in cors.addon.list_rules().splitlines()[1:])


async def test_rules_loaded_warning_for_reflect_with_credentials(cors, rules, caplog):
    rules(
        """
        [[rules]]
        name = "open"
        match = { hosts = ["api.test"] }
        allow_origin = "reflect"
        allow_credentials = true
        """
    )
    assert any(
        r.levelno == logging.WARNING and "cors rules:" in r.getMessage() for r in caplog.records
    )


async def test_rule_that_changes_nothing_is_not_a_rewrite(cors, rules):
    """The server already sends what the rule would: the flow is not rewritten, so it is
    not marked or counted as rewritten (the rule still counts the match)."""
    rules(FIX)
    f = fetch("GET", extra=())
    server = response(200, [(ACAO, APP), ("Vary", "Origin")])
    before = list(server.headers.fields)
    cors.run(f, server)
    assert list(f.response.headers.fields) == before
    event = f.metadata["cors"]
    assert event["verdict"] == "allowed"
    assert (event["rule"], event["changes"], event["upstream"]) == (None, None, None)
    assert f.marked == render.MARK_ALLOWED
    assert "rewritten by rules 0" in cors.addon.summarize()
    assert "fix: 1 flows" in cors.addon.list_rules()


async def test_request_and_response_hooks_only_with_rules(cors, rules):
    """Without rules the addon has no request and response hooks, so mitmproxy (which looks
    a hook up by name on every flow) does not dispatch them; a rules file installs them,
    unsetting it removes them again."""
    assert not hasattr(cors.addon, "request") and not hasattr(cors.addon, "response")
    rules(ANSWER)
    assert callable(cors.addon.request) and callable(cors.addon.response)
    f = preflight()
    cors.addon.request(f)  # request without requestheaders: nothing known, nothing answered
    assert f.response is None and "cors" not in f.metadata
    g = preflight()
    cors.addon.requestheaders(g)
    cors.addon.request(g)
    assert g.response is not None and g.response.status_code == 204  # answered by the rule
    cors.configure(cors_rules="")
    assert not hasattr(cors.addon, "request") and not hasattr(cors.addon, "response")


def _with_the_body_after_its_headers(addon, f, server, body: bytes) -> None:
    """As the proxy runs a flow whose body it reads after the responseheaders hook (the
    hooks each only where the addon has them, as mitmproxy dispatches them)."""
    for hook in ("requestheaders", "request"):
        if hasattr(addon, hook):
            getattr(addon, hook)(f)
    f.response = server
    server.timestamp_start = server.timestamp_end = f.request.timestamp_start + 0.01
    addon.responseheaders(f)
    f.response.raw_content = body  # the body comes now, whatever the headers became
    if hasattr(addon, "response"):
        addon.response(f)


@pytest.mark.parametrize("batched", [False, True])
async def test_a_fixed_preflight_goes_without_the_servers_body(cors, rules, batched):
    """A 405 made a 204 must not carry the 405's body: the browser would read it as the
    start of the next response on the connection."""
    if batched:
        as_quiet_mitmdump(cors.addon)
    rules(FIX)
    assert cors.addon.batched is batched
    f = preflight()
    server = response(405, [("Allow", "GET"), ("Content-Length", "18")])
    _with_the_body_after_its_headers(cors.addon, f, server, b"Method Not Allowed")
    assert f.response.status_code == 204 and f.response.raw_content == b""
    assert "content-length" not in f.response.headers  # a 204 has none
    ok = preflight(t=T0 + 1)  # a passing preflight keeps its status and its body
    server = response(200, [("Content-Length", "2"), *grant()])
    _with_the_body_after_its_headers(cors.addon, ok, server, b"ok")
    assert ok.response.status_code == 200 and ok.response.raw_content == b"ok"
    assert not cors.addon._emptied
    cors.addon.tick(T0 + 2)  # batched, the events come now
    assert f.metadata["cors"]["changes"]["status"] == [405, 204]
    assert ok.metadata["cors"]["changes"] is not None  # decorated (reflected), status kept
    assert ok.metadata["cors"]["changes"]["status"] is None


async def test_batched_rules_answer_and_rewrite_as_flows_pass(cors, rules):
    """Batched with rules, a flow's rule acts as it passes (the browser gets the answer or
    the rewritten response at once); its event waits for the tick and says the same as one
    by one."""
    as_quiet_mitmdump(cors.addon)
    rules(ANSWER)
    assert cors.addon.batched and not hasattr(cors.addon, "requestheaders")
    p = preflight()
    assert not cors.run(p, response(500))  # answered at the proxy
    assert p.response.status_code == 204 and p.response.headers[ACAO] == APP
    f = fetch("PUT", t=T0 + 0.02)
    cors.run(f, response(200))
    assert f.response.headers[ACAO] == APP  # rewritten before it went on
    assert cors.events == [] and "cors" not in f.metadata
    assert cors.addon.rule_hits["answer"] == 2
    cors.addon.tick(T0 + 0.1)
    assert [e["flow"] for e in cors.events] == [p.id, f.id]
    answered = p.metadata["cors"]
    assert answered["rule"] == "answer" and answered["changes"]["answered"] is True
    assert answered["verdict"] == "allowed" and answered["upstream"] is None
    event = f.metadata["cors"]
    assert event["preflight"]["flow"] == p.id  # paired with the answered preflight
    assert event["rule"] == "answer" and event["verdict"] == "allowed"
    assert event["changes"]["added"][ACAO] == APP
    assert event["upstream"]["verdict"] == "blocked"  # the server alone sent no CORS
    assert cors.addon.rule_hits["answer"] == 2  # the batch counts no rule twice
    assert not cors.addon._passed


async def test_batched_rules_keep_the_rule_that_acted_across_a_reload(cors, rules):
    """A flow rewritten as it passed keeps that rule in its event, though the file changed
    before the batch ran."""
    as_quiet_mitmdump(cors.addon)
    path = rules(ANSWER)
    f = fetch("GET", extra=())
    cors.run(f, response(200))
    assert f.response.headers[ACAO] == APP
    write_rules(path, STRIP)
    cors.addon.reload()  # the next flow meets the new rules; this one waits in the batch
    g = fetch("GET", extra=(), t=T0 + 0.5)
    cors.run(g, response(200, [(ACAO, APP)]))
    assert ACAO not in g.response.headers
    cors.addon.tick(T0 + 1)
    assert f.metadata["cors"]["rule"] == "answer" and f.metadata["cors"]["verdict"] == "allowed"
    assert g.metadata["cors"]["rule"] == "strip" and g.metadata["cors"]["verdict"] == "blocked"
