"""Chromium still behaves as scenarios/ declares (through plain mitmdump, no addon).

If this fails after a Chromium upgrade, re-record with record_facts.py and review the diff: the
addon's oracle and messages are built on these facts.

`test_chromium_matches_catalogue` runs only with CORS_GROUND_TRUTH=1 (conftest deselects it
otherwise): test_addon_vs_chromium.py asserts the same declared outcomes live through the addon,
so in CI this replay would only double the suite's time. Run it to tell a Chromium change from an
addon bug:

    CORS_GROUND_TRUTH=1 python -m pytest tests/browser/test_chromium_ground_truth.py
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import time

import pytest
from ground_truth import run_scenario
from harness import BrowserEnv
from harness import Resp
from harness import fetch_script
from harness import spki_pin
from scenarios import SCENARIOS
from scenarios import Scenario

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_chromium_matches_catalogue(browser_env: BrowserEnv, scenario: Scenario) -> None:
    assert scenario.expect is not None, "record it first: tests/browser/record_facts.py --write"
    observed, result = run_scenario(browser_env, scenario)
    assert observed == scenario.expect, f"{scenario.desc}\nconsole: {result.console}"


def test_catalogue_covers_every_reachable_cors_error() -> None:
    seen = {name for s in SCENARIOS if s.expect for name, _ in s.expect.issues}
    assert seen >= {
        "MissingAllowOriginHeader",
        "MultipleAllowOriginValues",
        "InvalidAllowOriginValue",
        "AllowOriginMismatch",
        "WildcardOriginNotAllowed",
        "InvalidAllowCredentials",
        "PreflightMissingAllowOriginHeader",
        "PreflightInvalidStatus",
        "PreflightDisallowedRedirect",
        "PreflightWildcardOriginNotAllowed",
        "PreflightInvalidAllowCredentials",
        "PreflightAllowOriginMismatch",
        "PreflightMultipleAllowOriginValues",
        "PreflightInvalidAllowOriginValue",
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
        "RedirectContainsCredentials",
    }


def test_non_loopback_hosts_are_answered_by_the_proxy(browser_env: BrowserEnv) -> None:
    """Nothing leaves the machine and nothing waits on DNS: the guard answers 403 at once."""
    t0 = time.monotonic()
    result = browser_env.run(
        fetch_script("http://cors-addon-test.example/x", mode="no-cors"), case_id="guard"
    )
    assert time.monotonic() - t0 < 5
    assert result.js.ok and result.js.value["status"] == 0  # opaque, but answered
    log = browser_env.proxy.stdout_path.read_text()
    assert "loopback_guard: refused GET http://cors-addon-test.example/x" in log


def test_duplicate_header_lines_reach_the_browser(browser_env: BrowserEnv) -> None:
    """The API sends header lines verbatim (duplicates too) and records what it received."""
    star = ("Access-Control-Allow-Origin", "*")
    browser_env.api.register(
        "dup-lines",
        preflight=Resp(204, [star, ("Access-Control-Allow-Headers", "*")]),
        actual=Resp(
            200,
            [
                star,
                ("Access-Control-Expose-Headers", "x-twice"),
                ("X-Twice", "1"),
                ("X-Twice", "2"),
            ],
        ),
    )
    script = fetch_script(
        browser_env.api.url("dup-lines"), headers=[("X-Custom", "1")], read_headers=["x-twice"]
    )
    result = browser_env.run(script, case_id="dup-lines")
    assert result.js.value["headers"] == {"x-twice": "1, 2"}
    assert [r.method for r in result.requests] == ["OPTIONS", "GET"]
    assert result.preflights[0].acrh == "x-custom"
    assert result.requests[1].header("X-Custom") == "1"


def test_spki_pin_matches_openssl(browser_env: BrowserEnv) -> None:
    if not shutil.which("openssl"):
        pytest.skip("no openssl binary to compare with")
    pem = browser_env.proxy.ca_cert_pem()
    pub = subprocess.run(
        ["openssl", "x509", "-pubkey", "-noout"], input=pem, capture_output=True, check=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True, check=True
    ).stdout
    assert spki_pin(pem) == base64.b64encode(hashlib.sha256(der).digest()).decode()
