"""The addon against WebKitGTK, live: every catalogue scenario through `python -m cors_addon`,
comparing each event's `engines["webkit"]` with what the browser did in the same run (see
addon_vs_engine.py for what is compared). One browser session and one proxy for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from addon_vs_engine import ADDON_ARGV
from addon_vs_engine import CREDENTIALED_PREFLIGHT
from addon_vs_engine import HEADER_CASE
from addon_vs_engine import NO_COOKIE
from addon_vs_engine import REDIRECT_LIMITS
from addon_vs_engine import Observer
from addon_vs_engine import params
from scenarios import SCENARIOS
from scenarios import Scenario

pytestmark = pytest.mark.browser

# Scenarios where the addon's webkit view disagrees with WebKitGTK (strict xfails, with evidence).
KNOWN: dict[str, str] = {
    "cred-wildcard-no-cookie": NO_COOKIE,
    "pf-cred-wildcard": CREDENTIALED_PREFLIGHT,
    "pf-cred-no-acac": CREDENTIALED_PREFLIGHT,
    "pf-acah-star-credentials": CREDENTIALED_PREFLIGHT,
    "pf-acam-star-credentials": CREDENTIALED_PREFLIGHT,
    "xhr-pf-header-missing": HEADER_CASE,
    "xhr-xrw-acah-missing": HEADER_CASE,
    "eng-ua-not-allowed": HEADER_CASE,
    "eng-ua-xhr": HEADER_CASE,
    "eng-ua-and-custom": HEADER_CASE,
    "wpt-star-credentials-method-ok": CREDENTIALED_PREFLIGHT,
    "wpt-star-credentials-get-header": CREDENTIALED_PREFLIGHT,
    "wpt-redirect-error-mode": REDIRECT_LIMITS,
    "wpt-redirect-21-times": REDIRECT_LIMITS,
    "wpt-redirect-invalid-location": REDIRECT_LIMITS,
    "wpt-redirect-to-data-url": REDIRECT_LIMITS,
    "wpt-cred-include-no-cookie-no-acac": NO_COOKIE,
    "wpt-cred-include-no-cookie-pf-star": NO_COOKIE,
    "wpt-xhr-acac-TRUE": NO_COOKIE,
    "wpt-xhr-acac-quoted": NO_COOKIE,
    "wpt-xhr-acac-false": NO_COOKIE,
    "wpt-xhr-acac-1": NO_COOKIE,
    "wpt-xhr-acac-comma-true": NO_COOKIE,
    "wpt-xhr-acac-true-comma": NO_COOKIE,
    "wpt-xhr-star-no-cookie": NO_COOKIE,
    "wpt-xhr-same-origin-redirect-then-preflight-ko": HEADER_CASE,
    "wpt-acah-one-missing": HEADER_CASE,
}

RECORDED = [s for s in SCENARIOS if s.expect_for("webkit") is not None]


@pytest.fixture(scope="module")
def observer(webkit_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observer]:
    cwd = tmp_path_factory.mktemp("addon-cwd")  # empty: no rules.toml
    env = webkit_envs.get(ADDON_ARGV, cwd=cwd)
    try:
        yield Observer(env, "webkit")
    finally:
        webkit_envs.release(env)


@pytest.mark.parametrize("scenario", params(RECORDED, KNOWN))
def test_addon_agrees_with_webkit(observer: Observer, scenario: Scenario) -> None:
    observer.check(scenario)


def test_enough_scenarios_agree() -> None:
    assert len(RECORDED) - len(KNOWN) >= 50
