"""Where a rule rewrites a response (pipeline.Inspector.complete, the one sequence the live
addon, -r replays and analyze run), a verdict worse than the server's own response gets the
warning rule-made-it-worse, and the terminal line says so."""

from __future__ import annotations

import pytest

from cors_addon import pipeline
from cors_addon.engine import Headers
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.events import Event
from cors_addon.pipeline import Inspector
from cors_addon.pipeline import Seen
from cors_addon.render import terminal_line
from cors_addon.rules import Rewrite
from cors_addon.rules import parse_rules

APP = "http://app.test"
API = "http://api.test/v1/items"
T0 = 1_700_000_000.0


def run(rule_body: str, wire: WireRequest, resp: WireResponse) -> Event:
    rule = parse_rules(f'grants = "add"\n[[rules]]\nname = "r"\n{rule_body}\n').rules[0]
    inspector = Inspector("chromium")
    _, state = inspector.start(Seen(wire, T0, "c", "api.test", 80))
    assert state is not None
    done = inspector.complete(state, "f1", resp, match=lambda s: rule)
    return done.event


def get(*extra: tuple[str, str]) -> WireRequest:
    fields = [("Origin", APP), ("Sec-Fetch-Mode", "cors"), *extra]
    return WireRequest("GET", API, Headers(fields))


def preflight() -> WireRequest:
    fields = [("Origin", APP), ("Sec-Fetch-Mode", "cors"), ("Access-Control-Request-Method", "PUT")]
    return WireRequest("OPTIONS", API, Headers(fields))


def codes(event: Event) -> list[str]:
    return [w["code"] for w in event["warnings"]]


def test_a_strip_that_blocks_an_allowed_response_is_flagged() -> None:
    resp = WireResponse(200, Headers([("Access-Control-Allow-Origin", APP), ("Vary", "Origin")]))
    event = run('strip = ["access-control-allow-origin"]', get(), resp)
    assert event["verdict"] == "blocked"
    assert event["upstream"] == {"verdict": "allowed", "error": None}
    [w] = [w for w in event["warnings"] if w["code"] == "rule-made-it-worse"]
    assert w["message"] == (
        "Rule 'r' made this response worse than the server's own: the server's is allowed"
        " only without credentials (InvalidAllowCredentials), the rewritten one is blocked"
        " (MissingAllowOriginHeader). Its strip removed access-control-allow-origin."
    )
    line = terminal_line(event)
    assert line.startswith("[rule 'r' made it worse] GET api.test/v1/items from http://app.test")
    assert "[server alone: allowed, allowed]" in line and "rule-made-it-worse" in line


def test_a_preflight_that_no_longer_passes_with_credentials_is_flagged() -> None:
    """Preflights never show credentials: losing Allow-Credentials keeps the verdict
    "allowed" but blocks the credentialed request, which is worse too."""
    resp = WireResponse(
        204,
        Headers(
            [
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "PUT"),
            ]
        ),
    )
    event = run('strip = ["access-control-allow-credentials"]', preflight(), resp)
    assert event["verdict"] == "allowed" and event["upstream"]["verdict"] == "allowed"
    [w] = [w for w in event["warnings"] if w["code"] == "rule-made-it-worse"]
    assert (
        "the server's is allowed, the rewritten one is allowed only without credentials"
        in (w["message"])
    )
    assert "(PreflightInvalidAllowCredentials)" in w["message"]


def test_a_rule_that_helps_is_not_flagged() -> None:
    event = run('allow_origin = "reflect"', get(("Cookie", "sid=1")), WireResponse(200, Headers()))
    assert event["verdict"] == "allowed" and event["upstream"]["verdict"] == "blocked"
    assert "rule-made-it-worse" not in codes(event)
    assert terminal_line(event).startswith("[rule 'r'] GET")


def test_a_rule_that_keeps_the_verdict_is_not_flagged() -> None:
    resp = WireResponse(200, Headers([("Access-Control-Allow-Origin", "*"), ("X-Id", "1")]))
    event = run('allow_origin = "*"\nexpose_headers = ["x-id"]', get(), resp)
    assert event["changes"]["added"] == {"access-control-expose-headers": "x-id"}
    assert "rule-made-it-worse" not in codes(event)


def test_a_rewrite_without_strip_that_blocks_is_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Grants add, so this cannot happen; the check is there for the day it does."""
    monkeypatch.setattr(
        pipeline,
        "rewrite_response",
        lambda rule, facts, status, headers: Rewrite(
            None, (("Access-Control-Allow-Origin", "http://elsewhere.test"),), ()
        ),
    )
    resp = WireResponse(200, Headers([("Access-Control-Allow-Origin", APP)]))
    event = run('allow_origin = "reflect"', get(), resp)
    [w] = [w for w in event["warnings"] if w["code"] == "rule-made-it-worse"]
    assert w["message"] == (
        "Rule 'r' made this response worse than the server's own: the server's is allowed"
        " only without credentials (InvalidAllowCredentials), the rewritten one is blocked"
        " (AllowOriginMismatch). A rule only adds grants unless it strips, so this is a bug:"
        " please report it with this flow."
    )
