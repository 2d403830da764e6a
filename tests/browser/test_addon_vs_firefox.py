"""The addon against Firefox ESR, live: every catalogue scenario through `python -m cors_addon`,
comparing each event's `engines["firefox"]` with what the browser did in the same run (see
addon_vs_engine.py for what is compared). One browser session and one proxy for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from addon_vs_engine import ADDON_ARGV
from addon_vs_engine import Observer
from addon_vs_engine import params
from scenarios import SCENARIOS
from scenarios import Scenario

pytestmark = pytest.mark.browser

# Where the addon's firefox view disagrees with Firefox ESR (strict xfails, with evidence).
KNOWN: dict[str, str] = {}

RECORDED = [s for s in SCENARIOS if s.expect_for("firefox") is not None]


@pytest.fixture(scope="module")
def observer(firefox_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observer]:
    cwd = tmp_path_factory.mktemp("addon-cwd")  # empty: no rules.toml
    env = firefox_envs.get(ADDON_ARGV, cwd=cwd)
    try:
        yield Observer(env, "firefox")
    finally:
        firefox_envs.release(env)


@pytest.mark.parametrize("scenario", params(RECORDED, KNOWN))
def test_addon_agrees_with_firefox(observer: Observer, scenario: Scenario) -> None:
    observer.check(scenario)


def test_enough_scenarios_agree() -> None:
    assert len(RECORDED) - len(KNOWN) >= 50
