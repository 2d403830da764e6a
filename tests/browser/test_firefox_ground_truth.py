"""Firefox ESR still behaves as the catalogue declares (`firefox=` of each scenario, through plain
mitmdump): preflight or not, the exact Access-Control-Request-Headers, what each server received,
the verdict, the reason codes and every console line word for word.

If this fails after a Firefox upgrade, re-record (`record_facts.py --engine firefox --write`) and
review the diff. Until the addon is compared with Firefox live (as test_addon_vs_chromium.py does
for Chromium), this replay is what keeps the Firefox facts honest in CI.
"""

from __future__ import annotations

import pytest
from ground_truth import run_scenario
from harness import fetch_script
from harness.firefox_env import FirefoxEnv
from scenarios import FF_FAILED
from scenarios import SCENARIOS
from scenarios import Scenario

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_firefox_matches_catalogue(firefox_env: FirefoxEnv, scenario: Scenario) -> None:
    declared = scenario.expect_for("firefox")
    assert declared is not None, "record it: tests/browser/record_facts.py --engine firefox --write"
    observed, result = run_scenario(firefox_env, scenario)
    assert observed == declared, f"{scenario.desc}\nconsole: {result.console}"


def test_firefox_catalogue_is_large_enough() -> None:
    recorded = [s for s in SCENARIOS if s.expect_for("firefox") is not None]
    assert len(recorded) >= 50
    codes = {c for s in recorded for c, _ in s.expect_for("firefox").issues}  # type: ignore[union-attr]
    assert codes >= {
        "CORSMissingAllowOrigin",
        "CORSMultipleAllowOriginNotAllowed",
        "CORSAllowOriginNotMatchingOrigin",
        "CORSNotSupportingCredentials",
        "CORSMissingAllowCredentials",
        "CORSPreflightDidNotSucceed",
        "CORSMethodNotFound",
        "CORSMissingAllowHeaderFromPreflight",
        "CORSInvalidAllowMethod",
        "CORSInvalidAllowHeader",
        "CORSExternalRedirectNotAllowed",
        "CORSDidNotSucceed",
    }


def test_firefox_stays_on_loopback(firefox_env: FirefoxEnv) -> None:
    """A page's fetch of a non-loopback host reaches the proxy, whose guard answers it (Firefox
    itself refuses non-local sockets: MOZ_DISABLE_NONLOCAL_CONNECTIONS=1)."""
    result = firefox_env.run(fetch_script("http://cors-addon-test.example/x"), case_id="ff-guard")
    assert result.js.error == FF_FAILED  # the guard's 403 has no Allow-Origin
    assert result.engine_issues == [("CORSMissingAllowOrigin", "403")]
    log = firefox_env.proxy.stdout_path.read_text()
    assert "loopback_guard: refused GET http://cors-addon-test.example/x" in log
