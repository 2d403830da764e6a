"""The documented rules.toml at the repository root."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from mitmproxy.test import tflow

from cors_addon.rules import FlowFacts
from cors_addon.rules import RuleSet
from cors_addon.rules import answer_preflight
from cors_addon.rules import load_rules
from cors_addon.rules import parse_rules
from cors_addon.rules import rewrite_response
from cors_addon.rules.table import MATCH_KEYS
from cors_addon.rules.table import RULE_KEYS

FactsFactory = Callable[..., FlowFacts]
EXAMPLE = Path(__file__).resolve().parents[2] / "rules.toml"


def enabled(name: str) -> RuleSet:
    """The example with the named rule switched on."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index(f'name = "{name}"')
    end = text.index("enabled = false", start)
    return parse_rules(text[:end] + "enabled = true " + text[end + len("enabled = false") :])


def test_loads_with_every_rule_disabled(facts: FactsFactory) -> None:
    rs = load_rules(EXAMPLE)
    blocks = re.findall(r"^\[\[rules\]\]$", EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(rs.rules) == len(blocks) >= 9  # 4 examples and the demo's 5 fixes
    assert not any(r.enabled for r in rs.rules)
    assert rs.warnings == ()
    assert rs.match(facts(host="api.staging.example.com", path="/v1/x")) is None


def test_shows_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in (*RULE_KEYS, *MATCH_KEYS):
        assert re.search(rf"(^|[{{ ,]){key} = ", text, re.MULTILINE), key


def test_frontend_against_staging(facts: FactsFactory) -> None:
    rs = enabled("frontend on localhost:3000 -> staging API")
    f = facts(host="api.staging.example.com", path="/v1/items", method="PUT", is_preflight=True)
    flow = tflow.tflow()  # the rule's filter "!~u /health" needs a flow
    r = rs.match(f, flow)
    assert r is not None and r.preflight == "answer"
    status, headers = answer_preflight(r, f)
    assert status == 204
    assert ("Access-Control-Allow-Origin", "http://localhost:3000") in headers
    assert rs.match(f._replace(origin="https://evil.example"), flow) is None
    assert rs.match(f) is None


def test_reproduce_no_cors(facts: FactsFactory) -> None:
    rs = enabled("reproduce a server without CORS")
    r = rs.match(facts())
    assert r is not None
    rw = rewrite_response(r, facts(), 200, [("Access-Control-Allow-Origin", "*")])
    assert rw is not None and rw.removed == ("access-control-allow-origin",)


def test_options_405(facts: FactsFactory) -> None:
    rs = enabled("server answers OPTIONS with 405")
    f = facts(
        host="legacy.example.com",
        origin="https://app.example.com",
        method="DELETE",
        is_preflight=True,
    )
    r = rs.match(f)
    assert r is not None
    rw = rewrite_response(r, f, 405, [("Allow", "GET, POST")])
    assert rw is not None and rw.status == 204


@pytest.mark.parametrize("credentials", [True, False])
def test_star_with_credentials(facts: FactsFactory, credentials: bool) -> None:
    rs = enabled("server sends * with credentials")
    f = facts(host="auth.example.com", origin="https://app.example.com", credentials=credentials)
    r = rs.match(f)
    assert r is not None
    headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]
    rw = rewrite_response(r, f, 200, headers)
    assert rw is not None
    assert dict(rw.set)["Access-Control-Allow-Origin"] == "https://app.example.com"
