from collections.abc import Callable
from typing import Any

import pytest

from cors_addon.rules import FlowFacts
from cors_addon.rules import Rule
from cors_addon.rules import parse_rules

FACTS = FlowFacts(
    host="api.example.com",
    port=443,
    path="/v1/items",
    origin="http://localhost:3000",
    method="GET",
    is_preflight=False,
    acrh=None,
    credentials=False,
)


@pytest.fixture
def facts() -> Callable[..., FlowFacts]:
    """FlowFacts of a cross-origin GET from http://localhost:3000, with overrides."""

    def make(**overrides: Any) -> FlowFacts:
        return FACTS._replace(**overrides)

    return make


@pytest.fixture
def rule() -> Callable[[str], Rule]:
    """The one rule parsed from the TOML body of a [[rules]] table named "r"."""

    def make(body: str = "") -> Rule:
        return parse_rules(f'[[rules]]\nname = "r"\n{body}\n').rules[0]

    return make
