"""Fixes from traffic. The starlette configuration is run: a starlette app with the generated
CORSMiddleware answers every CORS request of the capture (and the actual requests the browser
would send once the preflights pass), and the engine judges its answers. The other
frameworks' text is checked for least privilege. (The suggested rules: test_analyze_suggest.)"""

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

from cors_addon.analyze.exchange import Exchange
from cors_addon.analyze.needs import Needs
from cors_addon.analyze.needs import Policy
from cors_addon.analyze.replay import Replay
from cors_addon.analyze.serverfix import server_fixes
from cors_addon.analyze.serverfix import snippets
from cors_addon.analyze.sources import Capture
from cors_addon.engine import Headers

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
