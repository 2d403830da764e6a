"""Fixes from traffic. The starlette configuration is run: a starlette app with the generated
CORSMiddleware answers every CORS request of the capture (and the actual requests the browser
would send once the preflights pass), and the engine judges its answers. The suggested rules
are loaded and dry-run on the capture. The other frameworks' text is checked for least
privilege."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import FIXTURES
from analyze_helpers import REAL
from analyze_helpers import fixture

from cors_addon.analyze.dryrun import DryRun
from cors_addon.analyze.exchange import Exchange
from cors_addon.analyze.needs import Needs
from cors_addon.analyze.needs import Policy
from cors_addon.analyze.replay import Replay
from cors_addon.analyze.serverfix import server_fixes
from cors_addon.analyze.serverfix import snippets
from cors_addon.analyze.sources import Capture
from cors_addon.analyze.suggest import suggest_rules
from cors_addon.engine import Headers
from cors_addon.rules import load_rules

starlette = pytest.importorskip("starlette")
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

with warnings.catch_warnings():  # starlette 1.x prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HOP_BY_HOP = {"host", "content-length", "connection", "proxy-connection", "keep-alive"}


def needs_of(path: str) -> Needs:
    needs = Needs()
    for event, ex in Replay().run(Capture(path).exchanges()):
        needs.add(event, ex)
    return needs


def the_server(needs: Needs) -> Policy:
    (policy,) = needs.failing_servers()
    return policy


def starlette_app(snippet: str, capture: str) -> Starlette:
    """The captured API again, its own CORS headers gone, behind the generated middleware:
    each path and method answers with the captured status and other headers."""
    answers = {}
    for ex in Capture(capture).exchanges():
        if ex.response is not None and ex.method != "OPTIONS":
            fields = [
                (n, v)
                for n, v in ex.response.fields
                if not n.lower().startswith("access-control-")
                and n.lower() not in ("content-length", "vary", "date", "server")
            ]
            answers[(ex.method, ex.url.split("://", 1)[1].split("/", 1)[1])] = (ex.status, fields)

    async def endpoint(request: Request) -> Response:
        key = (
            request.method,
            request.url.path.lstrip("/") + (f"?{request.url.query}" if request.url.query else ""),
        )
        status, fields = answers.get(key, (200, [("Content-Type", "application/json")]))
        return Response(b"{}", status_code=status or 200, headers=dict(fields))

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
    exec(snippet, {"app": app})  # the snippet exactly as printed
    return app


def replayed(capture: str, app: Starlette, server: str) -> list[Exchange]:
    """The capture's CORS exchanges to `server`, answered by the app instead. After a
    preflight, the actual request the browser then sends is added when the capture has none
    (the browser never sent it: its preflight failed)."""
    client = TestClient(app, base_url=server)
    out = []
    sent = {(ex.method, ex.url) for ex in Capture(capture).exchanges() if "origin" in ex.request}
    for ex in Capture(capture).exchanges():
        if "origin" not in ex.request or not ex.url.startswith(server):
            continue
        exchanges = [ex]
        acrm = ex.request.get("access-control-request-method")
        if ex.method == "OPTIONS" and acrm and (acrm, ex.url) not in sent:
            names = (ex.request.get("access-control-request-headers") or "").split(",")
            fields = [(n, v) for n, v in ex.request.fields if not n.lower().startswith("access-")]
            fields += [
                (n.strip(), "application/json" if n.strip() == "content-type" else "v")
                for n in names
                if n.strip()
            ]
            exchanges.append(
                Exchange(f"{ex.flow}+", ex.time + 0.01, acrm, ex.url, Headers(fields), None, None)
            )
        for e in exchanges:
            headers = [(n, v) for n, v in e.request.fields if n.lower() not in HOP_BY_HOP]
            body = b"{}" if e.method in ("POST", "PUT", "PATCH") else None
            resp = client.request(e.method, e.url, headers=headers, content=body)
            answer = Headers([(k.decode(), v.decode()) for k, v in resp.headers.raw])
            out.append(
                Exchange(
                    e.flow, e.time, e.method, e.url, e.request, resp.status_code, answer,
                    ms=1.0, host=ex.host, port=ex.port,
                )
            )  # fmt: skip
    return out


@pytest.mark.parametrize("name", [*REAL, "firefox.har"])
def test_starlette_fix_makes_every_flow_pass(name: str) -> None:
    path = fixture(name)
    needs = needs_of(path)
    for policy in needs.failing_servers():
        snippet = snippets(policy)["starlette"]
        exchanges = replayed(path, starlette_app(snippet, path), policy.server)
        events = [e for e, _ in Replay().run(exchanges)]
        assert events
        blocked = [(e["method"], e["url"], e["error"]) for e in events if e["verdict"] != "allowed"]
        assert blocked == []
        # the response headers the page reads are exposed now
        for e in events:
            assert "headers-not-exposed" not in {w["code"] for w in e["warnings"]}
        # every flow blocked in the capture went through again
        before = {(e["type"], e["url"]) for e, _ in Replay().run(Capture(path).exchanges())}
        assert {k for k in before if k[0] == "preflight"} <= {(e["type"], e["url"]) for e in events}


def test_server_fix_is_least_privilege(truth: dict[str, Any]) -> None:
    policy = the_server(needs_of(fixture("chromium.har")))
    page = truth["page"]
    assert set(policy.origins) == {page}
    assert set(policy.preflight_methods) == {"PUT", "POST", "PATCH", "DELETE"}
    assert set(policy.headers) == {"content-type", "x-api-key"}
    assert policy.credentials and set(policy.credential_endpoints) == {"GET /me"}
    assert set(policy.expose) == {"x-request-id"}
    text = snippets(policy)
    for name, snippet in text.items():
        assert page in snippet, name
        assert "*" not in snippet.replace("/**", ""), name  # no wildcard origin or header
        assert "x-api-key" in snippet, name
        assert "x-request-id" in snippet, name
    assert 'allow_origins=["http://127.0.0.1' in text["starlette"]
    assert "allow_credentials=True" in text["starlette"]
    assert "supports_credentials=True" in text["flask-cors"]
    assert re.search(r"origin: \[\"http://127\.0\.0\.1:\d+\"\]", text["express"])
    assert "credentials: true" in text["express"]
    assert "CORS_ALLOWED_ORIGINS = [" in text["django"]
    assert "CORS_ALLOW_CREDENTIALS = True" in text["django"]
    assert 'CORS_ALLOW_METHODS = ["DELETE", "PATCH", "POST", "PUT"]' in text["django"]
    # Spring checks actual requests' methods too: GET is in its list, not in the others
    assert 'setAllowedMethods(List.of("DELETE", "GET", "PATCH", "POST", "PUT"))' in text["spring"]
    assert "setAllowCredentials(true)" in text["spring"]
    nginx = text["nginx"]
    assert f'"{page}" $http_origin;' in nginx
    assert "if ($request_method = OPTIONS)" in nginx and "return 204;" in nginx
    adds = [line.strip() for line in nginx.splitlines() if "add_header " in line.lstrip()[:11]]
    assert adds and all(line.endswith(" always;") for line in adds)
    assert 'add_header Access-Control-Allow-Methods "DELETE, PATCH, POST, PUT" always;' in nginx
    assert 'add_header Access-Control-Expose-Headers "x-request-id" always;' in nginx


def test_no_credentials_unless_used(tmp_path: Path) -> None:
    assert the_server(needs_of(fixture("chrome-h2.har"))).credentials  # the sanitized cookie
    har = json.loads((FIXTURES / "chromium.har").read_text())
    har["log"]["entries"] = [e for e in har["log"]["entries"] if "/me" not in e["request"]["url"]]
    path = tmp_path / "no-cookies.har"
    path.write_text(json.dumps(har))
    policy = the_server(needs_of(str(path)))
    assert not policy.credentials
    text = snippets(policy)
    assert "allow_credentials=False" in text["starlette"]
    assert "supports_credentials=False" in text["flask-cors"]
    assert "credentials: false" in text["express"]
    assert "CORS_ALLOW_CREDENTIALS = False" in text["django"]
    assert "setAllowCredentials(false)" in text["spring"]
    assert "Access-Control-Allow-Credentials" not in text["nginx"].replace(
        "proxy_hide_header Access-Control-Allow-Credentials", ""
    )


def test_server_fix_without_blocked_flows() -> None:
    assert "nothing was blocked" in server_fixes(Needs())


# -- rules from traffic ------------------------------------------------------------------


def dry_run(rules_path: Path, capture: str) -> DryRun:
    dry = DryRun(load_rules(rules_path))
    for ex in Capture(capture).exchanges():
        dry.feed(ex)
    dry.finish()
    return dry


@pytest.mark.parametrize("name", [*REAL, "firefox.har", "chrome-h2.har"])
def test_suggested_rules_load_and_unblock_exactly_the_blocked_flows(
    name: str, tmp_path: Path
) -> None:
    path = fixture(name)
    needs = needs_of(path)
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(suggest_rules(needs, [name]))
    rules = load_rules(rules_path)
    assert rules.rules and not rules.warnings
    dry = dry_run(rules_path, path)
    blocked = sum(p.blocked for p in needs.grants.values())
    network = 1 if name == "chrome-h2.har" else 0  # no rule turns a refused connection into CORS
    assert dry.unblocked == blocked > 0
    assert dry.broken == 0
    assert dry.unmatched_blocked == network
    for rule in rules.rules:
        assert rule.allow_origin not in ("*", "reflect")
        assert rule.origins and rule.hosts and rule.methods
        assert isinstance(rule.allow_methods, tuple) and isinstance(rule.allow_headers, tuple)


def test_suggested_rules_grant_credentials_only_to_credentialed_flows(tmp_path: Path) -> None:
    text = suggest_rules(needs_of(fixture("chromium.har")), ["chromium.har"])
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(text)
    with_creds, without = load_rules(rules_path).rules
    assert with_creds.allow_credentials is True and with_creds.name.endswith("with credentials")
    assert {g.text for g in with_creds.paths} == {"/me"}
    assert without.allow_credentials is False
    assert {g.text for g in without.paths} == {"/no-acao", "/items/1", "/search", "/orders/7"}
    assert without.allow_headers == ("content-type", "x-api-key")
    assert without.allow_methods == ("DELETE", "POST", "PUT")
    assert {g.text for g in without.origins} == {with_creds.allow_origin}


def test_nothing_blocked_suggests_no_rule(tmp_path: Path) -> None:
    text = suggest_rules(Needs(), ["x.har"])
    assert "Nothing was blocked" in text
    assert "[[rules]]" not in text


def test_dry_run_report(tmp_path: Path) -> None:
    path = fixture("chromium.har")
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(suggest_rules(needs_of(path), ["chromium.har"]))
    text = dry_run(rules_path, path).render(str(rules_path))
    assert "turns 4 blocked flows into allowed ones" in text
    assert "turns 1 blocked flow into allowed ones" in text
    assert "Nothing was sent" in text
    assert re.search(
        r"PUT /items/1 \(preflight\): blocked \(PreflightInvalidStatus\) -> allowed"
        r" by rule '.*' \(status 405 -> 204, sets access-control-allow-methods",
        text,
    )


def test_dry_run_of_the_example_rules_file() -> None:
    example = Path(__file__).parents[2] / "rules.toml"
    dry = dry_run(example, fixture("chromium.har"))
    text = dry.render(str(example))
    assert text.count(": disabled") == len(load_rules(example).rules)
    assert "5 blocked flow(s) match no rule and stay blocked" in text


def test_dry_run_answer_rule_and_a_rule_that_breaks_things(tmp_path: Path) -> None:
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(
        '[[rules]]\nname = "answer"\nmatch = { paths = ["/items/*"] }\n'
        'allow_origin = "reflect"\nallow_credentials = false\npreflight = "answer"\n\n'
        '[[rules]]\nname = "strip"\nmatch = { paths = ["/ok"] }\nstrip = ["access-control-*"]\n'
    )
    dry = dry_run(rules_path, fixture("flows.mitm"))
    assert dry.outcomes["answer"][("blocked", "allowed")] == 1
    assert dry.outcomes["strip"][("allowed", "blocked")] == 1
    assert dry.broken == 1
    text = dry.render("rules.toml")
    assert "rule 'strip': matches 1 flow: turns 1 allowed flow into blocked ones" in text
    assert "answers the preflight" in text
