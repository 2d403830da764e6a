"""WebKitGTK (Safari's engine) still behaves as the catalogue declares (`webkit=` of each
scenario, through plain mitmdump): preflight or not, the exact Access-Control-Request-Headers,
what each server received, the verdict, the detail sentence and every console line word for word.

If this fails after a WebKitGTK upgrade, re-record (`record_facts.py --engine webkit --write`) and
review the diff. Until the addon is compared with WebKit live (as test_addon_vs_chromium.py does
for Chromium), this replay is what keeps the WebKit facts honest in CI.
"""

from __future__ import annotations

import pytest
from ground_truth import run_scenario
from harness import Resp
from harness import fetch_script
from harness.webkit_env import WebKitEnv
from scenarios import SCENARIOS
from scenarios import WK_FAILED
from scenarios import Scenario

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_webkit_matches_catalogue(webkit_env: WebKitEnv, scenario: Scenario) -> None:
    declared = scenario.expect_for("webkit")
    assert declared is not None, "record it: tests/browser/record_facts.py --engine webkit --write"
    observed, result = run_scenario(webkit_env, scenario)
    assert observed == declared, f"{scenario.desc}\nconsole: {result.console}"


def test_webkit_catalogue_is_large_enough() -> None:
    recorded = [s for s in SCENARIOS if s.expect_for("webkit") is not None]
    assert len(recorded) >= 50
    blocked = [s.expect_for("webkit") for s in recorded if s.expect_for("webkit").blocked]  # type: ignore[union-attr]
    # WebKit's verdict line closes every blocked case
    assert all(
        e.console and e.console[-1].endswith(" due to access control checks.") for e in blocked
    )  # type: ignore[union-attr]


def test_webkit_stays_on_loopback(webkit_env: WebKitEnv) -> None:
    """MiniBrowser's --proxy sends every host to the proxy; the guard answers non-loopback ones."""
    result = webkit_env.run(fetch_script("http://cors-addon-test.example/x"), case_id="wk-guard")
    assert result.js.error == WK_FAILED  # the guard's 403 has no Allow-Origin
    assert result.blocked
    log = webkit_env.proxy.stdout_path.read_text()
    assert "loopback_guard: refused GET http://cors-addon-test.example/x" in log


def test_webkit_restarts_after_a_stuck_case(webkit_env: WebKitEnv) -> None:
    """A case that never reports back costs one TimeoutError and a fresh MiniBrowser; the next
    case runs normally (a request of the old browser left waiting on /wk/next cannot take it)."""
    restarts = webkit_env.restarts
    with pytest.raises(TimeoutError, match="restarted"):
        webkit_env.run("await new Promise(() => {});", case_id="wk-stuck", timeout=2.0)
    assert webkit_env.restarts == restarts + 1
    webkit_env.api.register(
        "wk-after-stuck", actual=Resp(200, [("Access-Control-Allow-Origin", "*")], "ok")
    )
    result = webkit_env.run(
        fetch_script(webkit_env.api.url("wk-after-stuck")), case_id="wk-after-stuck"
    )
    assert result.js.ok and result.js.status == 200
    assert [r.path for r in result.requests] == ["/c/wk-after-stuck/r"]
