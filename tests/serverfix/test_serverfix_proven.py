"""The server fixes we print, proven against real servers.

For each framework a real API runs (tests/serverfix/serverfix_apps.py; for nginx, Debian's nginx in
front of a plain backend). `check` makes the calls a frontend makes against the API as it
is, without CORS: every call is blocked, in Chromium's, Firefox's and WebKit's judgement.
From those exchanges, analyze's least-privilege policy and the framework's snippet are
computed by the code that prints them (cors_addon.analyze.serverfix); the API runs again
with the snippet exactly as printed, and every call passes in all three engines, while a
call from another origin, or with a header nobody asked for, stays blocked.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import serverfix_servers as servers

from cors_addon.analyze.needs import Needs
from cors_addon.analyze.needs import Policy
from cors_addon.analyze.serverfix import FRAMEWORKS
from cors_addon.analyze.serverfix import SNIPPETS
from cors_addon.analyze.serverfix import VERIFIED
from cors_addon.analyze.serverfix import server_fixes
from cors_addon.check.call import Call
from cors_addon.check.call import make_call
from cors_addon.check.client import Exchanger
from cors_addon.check.client import HttpClient
from cors_addon.check.engines import ENGINES
from cors_addon.check.fixes import needs
from cors_addon.check.fixes import server_fix_text
from cors_addon.check.run import ALLOWED
from cors_addon.check.run import BLOCKED
from cors_addon.check.run import EngineRun
from cors_addon.check.run import run_call

PAGE = "http://localhost:3000"
SECOND_PAGE = "https://app.example"
OTHER_PAGE = "http://localhost:4000"
PROVEN = ("starlette", "flask-cors", "django", "nginx")
NEEDS = {"starlette": "uvicorn", "flask-cors": "flask_cors", "django": "corsheaders"}


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    headers: tuple[str, ...] = ()
    credentials: str = "omit"
    origin: str = PAGE

    def call(self, base: str) -> Call:
        headers = list(self.headers)
        if self.credentials == "include":
            headers.append("Cookie: sid=1")
        return make_call(base + self.path, self.origin, self.method, headers, self.credentials)


# What the frontend does; each fails without the fix and passes with it.
SCENARIOS = (
    Scenario("simple GET reading X-Request-Id", "/items"),
    Scenario("preflighted PUT with JSON and a key", "/items/1", "PUT",
             ("Content-Type: application/json", "X-Api-Key: k")),
    Scenario("credentialed GET", "/me", credentials="include"),
    Scenario("credentialed PATCH with Authorization", "/items/2", "PATCH",
             ("Authorization: Bearer t",), "include"),
    Scenario("DPR (preflighted by Firefox and WebKit only)", "/items", headers=("DPR: 2",)),
    Scenario("an error status is readable too", "/missing"),
    # fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST, PUT: 'patch' stays 'patch'
    Scenario("lower-case patch", "/items/3", "patch", ("X-Api-Key: k",)),
    Scenario("a second page origin", "/items/1", "PUT", ("X-Api-Key: k",), origin=SECOND_PAGE),
)  # fmt: skip
NGINX_SCENARIOS = (
    # the app behind nginx sends its own '*': the snippet hides it and sends the origin
    Scenario("credentialed GET, the app sends '*'", "/legacy", credentials="include"),
)
# What the fix must keep refusing (least privilege).
REFUSED = (
    Scenario("another page origin", "/items", origin=OTHER_PAGE),
    Scenario("an origin the allowed one is a prefix of", "/items", origin=PAGE + "0"),
    Scenario("a header nobody asked for", "/items/1", "PUT", ("X-Other: 1",)),
)


def check(calls: list[Call]) -> tuple[list[list[EngineRun]], Exchanger]:
    """`check` of these calls, every engine (no rate limit: a local test server)."""
    exchanger = Exchanger(HttpClient(rate=0))
    return [run_call(call, ENGINES, exchanger) for call in calls], exchanger


def outcomes(results: list[list[EngineRun]]) -> list[dict[str, str]]:
    return [{run.engine: run.outcome for run in runs} for runs in results]


def available(framework: str) -> str | None:
    """Why this framework's proof cannot run here, or None."""
    if framework == "nginx":
        return None if servers.nginx_binary() else "nginx is missing (Debian package nginx-light)"
    module = NEEDS[framework]
    return None if importlib.util.find_spec(module) else f"{module} is not installed ([test] extra)"


@contextlib.contextmanager
def api(framework: str, snippet: str | None, workdir: Path, backend: str) -> Iterator[str]:
    if framework == "nginx":
        with servers.nginx(snippet, backend, workdir) as url:
            yield url
    else:
        with servers.app(framework, snippet, workdir) as url:
            yield url


@pytest.mark.parametrize("framework", PROVEN)
def test_snippet_fails_without_and_passes_with(
    framework: str, tmp_path: Path, backend: str
) -> None:
    why = available(framework)
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{framework}: {why}; under CI the proof must run")
        pytest.skip(why)
    scenarios = SCENARIOS + (NGINX_SCENARIOS if framework == "nginx" else ())

    with api(framework, None, tmp_path / "without", backend) as url:
        before, exchanges = check([s.call(url) for s in scenarios])
        assert outcomes(before) == [dict.fromkeys(ENGINES, BLOCKED)] * len(scenarios), [
            (s.name, o) for s, o in zip(scenarios, outcomes(before), strict=True)
        ]
        (policy,) = needs(exchanges.exchanges).failing_servers()
        snippet = SNIPPETS[framework](policy)
        assert snippet in server_fix_text(exchanges.exchanges)  # what --server-fix prints

    expected = [dict.fromkeys(ENGINES, ALLOWED)] * len(scenarios)
    if framework == "nginx":
        # nginx answers a lower-case method with 400 before any configuration applies: no
        # header can fix it, and the snippet says so
        lower = next(i for i, s in enumerate(scenarios) if s.method == "patch")
        expected[lower] = dict.fromkeys(ENGINES, BLOCKED)
        assert "nginx answers a request whose method is not upper-case (patch)" in snippet
    with api(framework, snippet, tmp_path / "with", backend) as url:
        after, _ = check([s.call(url) for s in scenarios])
        if framework == "nginx":
            patch = after[lower][0]
            assert [s.kind for s in patch.steps] == ["preflight", "request"]  # preflight passed
            assert patch.steps[-1].exchange.response.status == 400
        assert outcomes(after) == expected, [
            (s.name, o, [r.final.code for r in runs if r.final])
            for s, o, runs in zip(scenarios, outcomes(after), after, strict=True)
        ]
        reading = after[0]
        for run in reading:  # the page reads X-Request-Id now
            assert "headers-not-exposed" not in run.final.warnings, run.engine
        refused, _ = check([s.call(url) for s in REFUSED])
        assert outcomes(refused) == [dict.fromkeys(ENGINES, BLOCKED)] * len(REFUSED)


def test_every_printed_snippet_is_proven_or_marked_unverified() -> None:
    assert set(VERIFIED) == set(PROVEN)
    assert set(SNIPPETS) == set(FRAMEWORKS)
    found = Needs()
    policy = found.servers["http://127.0.0.1:1"] = Policy("http://127.0.0.1:1", "127.0.0.1", 1)
    policy.blocked = 1
    policy.origins.add(PAGE)
    text = server_fixes(found)
    for name, title in FRAMEWORKS.items():
        header = next(line for line in text.splitlines() if line.startswith(f"--- {title} "))
        assert ("unverified" in header) == (name not in VERIFIED), header
