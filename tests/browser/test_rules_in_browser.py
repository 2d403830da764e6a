"""Rules proven in a real browser: for each rule, Chromium FAILS without it and SUCCEEDS with it
(and one `strip` rule that makes a working endpoint fail).

One `python -m cors_addon` proxy runs with a rules file in which every rule is scoped by
`match.paths` to its own case path `/c/rule-<id>/*`. Each scenario runs twice in fresh browser
contexts against identically scripted API routes: once on `/c/plain-<id>/r`, which no rule
matches (the failure Chromium shows), and once on `/c/rule-<id>/r` (the rule at work). The JSONL
event of the rewritten flow must name the rule, list what it changed, carry the browser's verdict
on what it received (`allowed`), and keep in `upstream` the verdict and the exact error Chromium
showed for the server's own response. A second proxy runs the same rules under `-q` (batched
analysis: each rule acts on its flow as it passes, the events come from the batch) and every
rule must unblock Chromium there too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pytest
from harness import BrowserEnv
from harness import CaseResult
from harness import Resp
from harness import fetch_script
from harness import xhr_script

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

Event = dict[str, Any]
Script = Callable[[str], str]  # url -> JS
Route = Callable[[str], Resp | None]  # page origin -> response (None: not scripted)

TEXT = ("Content-Type", "text/plain")


def acao(origin: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Origin", origin)


@dataclass(frozen=True)
class RuleCase:
    id: str
    rule: str  # TOML keys of the rule after name and match
    actual: Route
    script: Script
    error: str  # Chromium's corsError without the rule
    preflight: Route = lambda o: None
    stage: str = "request"  # which event carries the upstream error: "preflight" | "request"
    answered: bool = False  # preflight = "answer": the server never sees the OPTIONS
    cookie: bool = False  # set a cookie from the API first, then send it
    status: int = 200  # what JS sees with the rule
    changed: tuple[str, ...] = ()  # header names the rule must add (lower case)
    status_change: list[int] | None = None
    read: dict[str, str] = field(default_factory=dict)  # response headers JS must read

    @property
    def name(self) -> str:
        return f"browser: {self.id}"


def get(**kw: Any) -> Script:
    return lambda url: fetch_script(url, **kw)


CASES = [
    RuleCase(
        "no-acao",
        'allow_origin = "reflect"',
        actual=lambda o: Resp(200, [TEXT], "ok"),
        script=get(),
        error="MissingAllowOriginHeader",
        changed=("access-control-allow-origin", "vary"),
    ),
    RuleCase(
        "options-405-fix",
        'allow_origin = "reflect"\npreflight = "fix"',
        # no body: see test_fixed_preflight_drops_the_server_body
        preflight=lambda o: Resp(405, [("Allow", "GET, PUT"), TEXT], ""),
        actual=lambda o: Resp(200, [TEXT], "ok"),
        script=get(method="PUT", headers=[("X-Api-Key", "k1")], body="x"),
        error="PreflightMissingAllowOriginHeader",
        stage="preflight",
        changed=(
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-allow-credentials",
        ),
        status_change=[405, 204],
    ),
    RuleCase(
        "options-401-fix",
        'allow_origin = "reflect"\npreflight = "fix"\npreflight_status = 200',
        preflight=lambda o: Resp(401, [("WWW-Authenticate", "Bearer"), TEXT], ""),
        actual=lambda o: Resp(200, [acao(o), TEXT], "ok"),
        script=get(method="DELETE"),
        error="PreflightMissingAllowOriginHeader",
        stage="preflight",
        changed=("access-control-allow-origin", "access-control-allow-methods"),
        status_change=[401, 200],
    ),
    RuleCase(
        "options-404-answer",
        'allow_origin = "reflect"\npreflight = "answer"\nmax_age = 0',
        preflight=lambda o: Resp(404, [TEXT], "no route"),
        actual=lambda o: Resp(200, [TEXT], "ok"),
        script=get(method="PATCH", headers=[("Content-Type", "application/json")], body="{}"),
        error="PreflightMissingAllowOriginHeader",
        stage="request",  # the answered preflight has no upstream; the request still had no CORS
        answered=True,
        changed=("access-control-allow-origin",),
    ),
    RuleCase(
        "wildcard-credentials",
        'allow_origin = "reflect"\nallow_credentials = "auto"',
        actual=lambda o: Resp(
            200, [acao("*"), ("Access-Control-Allow-Credentials", "true"), TEXT], "me"
        ),
        script=get(credentials="include"),
        error="WildcardOriginNotAllowed",
        cookie=True,
        changed=("access-control-allow-origin",),
    ),
    RuleCase(
        "header-not-allowed",
        'allow_origin = "reflect"\nallow_headers = "reflect"\npreflight = "forward"',
        preflight=lambda o: Resp(
            204, [acao(o), ("Access-Control-Allow-Methods", "GET, POST"), ("Vary", "Origin")]
        ),
        actual=lambda o: Resp(200, [acao(o), ("Vary", "Origin"), TEXT], "ok"),
        script=lambda url: xhr_script(url, headers=[("X-Custom-Token", "t")]),
        error="HeaderDisallowedByPreflightResponse",
        stage="preflight",
        changed=("access-control-allow-headers",),
    ),
    RuleCase(
        "method-not-allowed",
        'allow_origin = "reflect"\nallow_methods = ["GET", "POST", "PUT", "DELETE"]\n'
        'preflight = "forward"',
        preflight=lambda o: Resp(
            204, [acao(o), ("Access-Control-Allow-Methods", "GET, POST"), ("Vary", "Origin")]
        ),
        actual=lambda o: Resp(200, [acao(o), ("Vary", "Origin"), TEXT], "deleted"),
        script=get(method="DELETE"),
        error="MethodDisallowedByPreflightResponse",
        stage="preflight",
        changed=("access-control-allow-methods",),
    ),
    RuleCase(
        "double-acao",
        'allow_origin = "reflect"',
        actual=lambda o: Resp(200, [acao(o), acao(o), ("Vary", "Origin"), TEXT], "ok"),
        script=get(),
        error="MultipleAllowOriginValues",
        changed=("access-control-allow-origin",),
    ),
    RuleCase(
        "preflight-redirect",
        'allow_origin = "reflect"\npreflight = "answer"',
        preflight=lambda o: Resp(
            301,
            [("Location", "/c/elsewhere/r"), acao(o), ("Access-Control-Allow-Methods", "PUT")],
        ),
        actual=lambda o: Resp(200, [acao(o), ("Vary", "Origin"), TEXT], "ok"),
        script=get(method="PUT", body="x"),
        error="PreflightDisallowedRedirect",
        stage="preflight",
        answered=True,
        changed=("access-control-allow-origin", "access-control-allow-methods"),
    ),
    RuleCase(
        "error-500",
        'allow_origin = "reflect"\nerrors = true',
        actual=lambda o: Resp(500, [TEXT], "database down"),
        script=get(),
        error="MissingAllowOriginHeader",
        status=500,
        changed=("access-control-allow-origin",),
    ),
    RuleCase(
        "expose-headers",
        'allow_origin = "reflect"\nexpose_headers = ["x-request-id"]',
        actual=lambda o: Resp(200, [("X-Request-Id", "req-42"), TEXT], "ok"),
        script=get(read_headers=["x-request-id"]),
        error="MissingAllowOriginHeader",
        changed=("access-control-allow-origin", "access-control-expose-headers"),
        read={"x-request-id": "req-42"},
    ),
]
STRIP_ID = "strip-breaks"
STRIP_RULE = f"""
[[rules]]
name = "browser: {STRIP_ID}"
match = {{ hosts = ["127.0.0.1"], paths = ["/c/rule-{STRIP_ID}/*"] }}
strip = ["access-control-*"]
"""
# The headers-not-exposed case of the catalogue, fixed: the response passes CORS but hides a
# header from JS until the rule exposes it.
EXPOSE_ONLY_ID = "expose-only"


def rules_toml() -> str:
    parts = ['grants = "add"  # written for rules that add to the server\'s grants\n']
    for case in CASES:
        parts.append(
            f"[[rules]]\nname = {json.dumps(case.name)}\n"
            f'match = {{ hosts = ["127.0.0.1"], paths = ["/c/rule-{case.id}/*"],'
            f' origins = ["http://127.0.0.1:*"] }}\n{case.rule}\n'
        )
    parts.append(STRIP_RULE)
    parts.append(
        f'[[rules]]\nname = "browser: {EXPOSE_ONLY_ID}"\n'
        f'match = {{ hosts = ["127.0.0.1"], paths = ["/c/rule-{EXPOSE_ONLY_ID}/*"] }}\n'
        'allow_origin = "reflect"\nexpose_headers = "all"\n'
    )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def env(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserEnv]:
    rules = tmp_path_factory.mktemp("browser-rules") / "rules.toml"
    rules.write_text(rules_toml())
    argv = [
        sys.executable, "-m", "cors_addon",
        "--listen-host", "127.0.0.1", "-p", "{port}",
        "--set", "confdir={confdir}", "--set", "ssl_insecure=true", "-s", "{guard}",
        "--set", "cors_log={workdir}/cors.jsonl",
        "--set", f"cors_rules={rules}",
    ]  # fmt: skip
    env = browser_envs.get(argv)
    yield env
    if hasattr(browser_envs, "release"):  # free its proxy and browser for the next modules
        browser_envs.release(env)


def events(env: BrowserEnv, path: str, want: Callable[[list[Event]], bool]) -> list[Event]:
    """The proxy's events for URLs with this path, once `want` holds (events are written as
    the proxy sees each response, so they may trail the page by a moment)."""
    log = env.proxy.workdir / "cors.jsonl"
    deadline = time.monotonic() + 5
    while True:
        found = []
        if log.exists():
            for line in log.read_text().splitlines():
                event = json.loads(line)
                if event["url"].split("?")[0].endswith(path):
                    found.append(event)
        if want(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def by_type(evs: list[Event], kind: str) -> Event:
    matching = [e for e in evs if e["type"] == kind]
    assert len(matching) == 1, f"expected one {kind} event, got {evs!r}"
    return matching[0]


def script_routes(env: BrowserEnv, case: RuleCase, case_id: str) -> str | None:
    """Script the API route for one run; return the setup script (a cookie) if any."""
    origin = env.origin_a
    pf, actual = case.preflight(origin), case.actual(origin)
    env.api.register(case_id, preflight=pf, actual=actual)
    if not case.cookie:
        return None
    env.api.register(
        case_id,
        name="login",
        actual=Resp(
            200,
            [acao(origin), ("Access-Control-Allow-Credentials", "true"),
             ("Set-Cookie", f"sid={case_id}; Path=/; SameSite=Lax"), TEXT],
            "signed in",
        ),
    )  # fmt: skip
    return fetch_script(env.api.url(case_id, "login"), credentials="include")


def run(env: BrowserEnv, case: RuleCase, prefix: str) -> tuple[CaseResult, str]:
    case_id = f"{prefix}-{case.id}"
    setup = script_routes(env, case, case_id)
    result = env.run(case.script(env.api.url(case_id)), case_id=case_id, setup_script=setup)
    return result, f"/c/{case_id}/r"


def assert_unblocked(fixed: CaseResult, case: RuleCase, path: str) -> None:
    """With the rule, Chromium lets the page read the response (and never sent the OPTIONS
    a rule answered at the proxy)."""
    assert fixed.js.ok, (fixed.js, fixed.cors_issues, fixed.console_errors)
    assert not fixed.blocked and fixed.cors_errors == [], fixed.cors_issues
    assert fixed.js.status == case.status
    for name, value in case.read.items():
        assert fixed.js.value["headers"][name] == value
    seen = [r.method for r in fixed.requests if r.path == path]
    if case.answered:
        assert "OPTIONS" not in seen, seen  # answered at the proxy


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_unblocks_chromium(env: BrowserEnv, case: RuleCase, validate_event: Any) -> None:
    # Without the rule: Chromium blocks, and the addon says why, in Chromium's words.
    plain, plain_path = run(env, case, "plain")
    assert not plain.js.ok, plain.js
    assert plain.cors_errors == [case.error], plain.cors_issues
    # One event: the blocked request, or the blocked preflight (the request was never sent).
    plain_events = events(env, plain_path, lambda evs: len(evs) >= 1)
    blocked = [e for e in plain_events if e["verdict"] == "blocked"]
    assert [e["error"]["code"] for e in blocked] == [case.error], plain_events
    assert all(e["rule"] is None and e["changes"] is None for e in plain_events)

    # With the rule: Chromium lets the page read the response.
    fixed, fixed_path = run(env, case, "rule")
    assert_unblocked(fixed, case, fixed_path)
    if case.cookie:
        actual = [r for r in fixed.actual_requests if r.path == fixed_path]
        assert actual and "sid=" in (actual[0].header("Cookie") or ""), actual

    has_preflight = case.stage == "preflight" or case.answered
    fixed_events = events(env, fixed_path, lambda evs: len(evs) >= (2 if has_preflight else 1))
    for e in fixed_events:
        validate_event(e)
        assert e["verdict"] == "allowed", e
        assert e["error"] is None, e
        # a rule that changed nothing on this flow (the server's headers were fine) is no rewrite
        assert e["rule"] == (case.name if e["changes"] is not None else None), e
    if has_preflight:
        pf = by_type(fixed_events, "preflight")
        assert pf["changes"] is not None
        if case.answered:
            assert pf["changes"]["answered"] is True
            assert pf["upstream"] is None  # the server never saw it
            assert pf["status"] == 204
        else:
            assert pf["changes"]["answered"] is False
            assert pf["changes"]["status"] == case.status_change
    # The event Chromium's error belongs to keeps it under `upstream`.
    target = by_type(fixed_events, case.stage)
    if case.answered and case.stage == "preflight":
        # The answered preflight has no upstream; the request's own response was fine.
        assert target["changes"]["answered"] is True
        assert set(case.changed) <= set(target["changes"]["added"]), target["changes"]
    else:
        assert target["upstream"]["verdict"] == "blocked", target
        expected = case.error
        if case.answered:  # the request went on to a server with no CORS at all
            expected = "MissingAllowOriginHeader"
        assert target["upstream"]["error"]["code"] == expected, target["upstream"]
        assert set(case.changed) <= set(target["changes"]["added"]), target["changes"]
        if case.stage == "request":
            assert target["changes"]["added"]["access-control-allow-origin"] == env.origin_a
    if case.id == "wildcard-credentials":
        request = by_type(fixed_events, "request")
        assert request["credentials"] == "include"
        assert "access-control-allow-credentials" not in request["changes"]["removed"]
    if case.id == "double-acao":
        request = by_type(fixed_events, "request")
        # one value replaced the two; the browser saw exactly one
        assert request["changes"]["added"]["access-control-allow-origin"] == env.origin_a


def test_strip_rule_breaks_a_working_endpoint(env: BrowserEnv, validate_event: Any) -> None:
    case = RuleCase(
        STRIP_ID,
        "",
        actual=lambda o: Resp(200, [acao(o), ("Vary", "Origin"), TEXT], "ok"),
        script=get(),
        error="MissingAllowOriginHeader",
    )
    plain, plain_path = run(env, case, "plain")
    assert plain.js.ok and plain.js.status == 200 and not plain.blocked, plain.cors_issues
    [ok] = events(env, plain_path, lambda evs: len(evs) >= 1)
    assert ok["verdict"] == "allowed" and ok["rule"] is None

    broken, path = run(env, case, "rule")
    assert not broken.js.ok and broken.js.error == "TypeError: Failed to fetch"
    assert broken.cors_errors == ["MissingAllowOriginHeader"], broken.cors_issues
    assert [r.method for r in broken.requests if r.path == path] == ["GET"]
    [event] = events(env, path, lambda evs: len(evs) >= 1)
    validate_event(event)
    assert event["rule"] == f"browser: {STRIP_ID}"
    assert event["verdict"] == "blocked"
    assert event["error"]["code"] == "MissingAllowOriginHeader"
    assert event["changes"]["added"] == {}
    assert event["changes"]["removed"] == ["access-control-allow-origin"]
    assert event["upstream"] == {"verdict": "allowed", "error": None}


def test_expose_all_makes_a_hidden_header_readable(env: BrowserEnv, validate_event: Any) -> None:
    """A response that passes CORS but hides X-Request-Id from JS; expose_headers = "all"."""
    case = RuleCase(
        EXPOSE_ONLY_ID,
        "",
        actual=lambda o: Resp(200, [acao(o), ("X-Request-Id", "req-7"), TEXT], "ok"),
        script=get(read_headers=["x-request-id"]),
        error="",
    )
    plain, plain_path = run(env, case, "plain")
    assert plain.js.ok and plain.js.value["headers"]["x-request-id"] is None
    [hidden] = events(env, plain_path, lambda evs: len(evs) >= 1)
    assert hidden["verdict"] == "allowed"
    assert "headers-not-exposed" in [w["code"] for w in hidden["warnings"]]

    exposed, path = run(env, case, "rule")
    assert exposed.js.ok and exposed.js.value["headers"]["x-request-id"] == "req-7"
    [event] = events(env, path, lambda evs: len(evs) >= 1)
    validate_event(event)
    assert event["rule"] == f"browser: {EXPOSE_ONLY_ID}"
    assert "x-request-id" in event["changes"]["added"]["access-control-expose-headers"]
    assert "headers-not-exposed" not in [w["code"] for w in event["warnings"]]
    assert event["upstream"]["verdict"] == "allowed"


def test_rules_loaded_without_warnings(env: BrowserEnv) -> None:
    out = env.proxy.logs(tail=100_000)
    n = len(CASES) + 2
    assert f"cors: {n} of {n} rules active" in out, out
    assert "cors rules:" not in out, out  # no loader warning (every host is loopback)


def test_fixed_preflight_drops_the_server_body(env: BrowserEnv) -> None:
    """The wire the browser gets for a preflight whose 405 (with a body) a rule turned into a
    204: a 204 has no body, so nothing may follow its headers on the connection."""
    path = env.api.register(
        "rule-options-405-fix",
        name="body",
        preflight=Resp(405, [("Allow", "GET, PUT"), TEXT], "Method Not Allowed"),
    )
    target = f"{env.origin_b}{path}"
    request = (
        f"OPTIONS {target} HTTP/1.1\r\nHost: {env.origin_b.split('//')[1]}\r\n"
        f"Origin: {env.origin_a}\r\nAccess-Control-Request-Method: PUT\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", env.proxy.port), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        sock.settimeout(0.5)  # whatever else arrives belongs to no response
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(65536):
                data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 204"), lines
    lengths = [x.split(":", 1)[1].strip() for x in lines if x.lower().startswith("content-length:")]
    assert lengths in ([], ["0"]), lines
    assert rest == b"", rest


@pytest.fixture(scope="module")
def quiet_env(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserEnv]:
    """The same rules under `-q` and nothing else in the proxy (no loopback guard: another
    script turns batching off): the flows are analysed in batches, each rule acting on its
    flow as it passes."""
    rules = tmp_path_factory.mktemp("browser-rules-quiet") / "rules.toml"
    rules.write_text(rules_toml())
    argv = [
        sys.executable, "-m", "cors_addon", "-q",
        "--listen-host", "127.0.0.1", "-p", "{port}",
        "--set", "confdir={confdir}", "--set", "ssl_insecure=true",
        "--set", "cors_log={workdir}/cors.jsonl",
        "--set", f"cors_rules={rules}",
    ]  # fmt: skip
    env = browser_envs.get(argv)
    yield env
    if hasattr(browser_envs, "release"):
        browser_envs.release(env)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_unblocks_chromium_batched(
    quiet_env: BrowserEnv, case: RuleCase, validate_event: Any
) -> None:
    """With `-q` (batched analysis) every rule still unblocks Chromium, and its events (a
    moment later, from the batch) name the rule and what it changed, as one by one."""
    fixed, path = run(quiet_env, case, "rule")
    assert_unblocked(fixed, case, path)
    has_preflight = case.stage == "preflight" or case.answered
    fixed_events = events(quiet_env, path, lambda evs: len(evs) >= (2 if has_preflight else 1))
    assert len(fixed_events) == (2 if has_preflight else 1), fixed_events
    for e in fixed_events:
        validate_event(e)
        assert e["verdict"] == "allowed" and e["error"] is None, e
        assert e["rule"] == (case.name if e["changes"] is not None else None), e
    if has_preflight:
        pf = by_type(fixed_events, "preflight")
        assert pf["changes"]["answered"] is case.answered
        if not case.answered:
            assert pf["changes"]["status"] == case.status_change
        assert by_type(fixed_events, "request")["preflight"]["flow"] == pf["flow"]
    target = by_type(fixed_events, case.stage)
    if not (case.answered and case.stage == "preflight"):
        assert target["upstream"]["verdict"] == "blocked", target
        assert set(case.changed) <= set(target["changes"]["added"]), target["changes"]
