"""Suggested rules proven in Chromium: record the whole scenario catalogue through the proxy,
suggest rules from that capture, replay the catalogue with them.

1. Every scenario of scenarios.py runs once in Chromium through `python -m cors_addon`, which
   writes a mitmproxy flow file (`-w`); its rules file says only `grants = "add"`.
2. The proxy stops (mitmproxy writes the last flows on shutdown) and
   `python -m cors_addon analyze CAPTURE --suggest-rules RULES` writes the rules file.
3. The proxy starts again on the same port with those rules, and every scenario runs again in
   a fresh browser context.

Then, per scenario: a call Chromium blocked in step 1 works in step 3 (no CORS issue, the page
gets its response), unless CANNOT_FIX says why no header rule can fix it; a call that worked in
step 1 still works, with the same outcome for the page. The suggested file refuses no rule (its
own dry run found nothing to make worse), the proxy loads it without a warning, and no event
of step 3 carries `rule-made-it-worse`.

Measured (Chromium 156, 2 cores): the two passes over the ~300-scenario catalogue take about
6 minutes together in CI, the analysis a few seconds. It runs on the first leg only (a second
mitmproxy changes nothing it proves that test_rules_in_browser.py does not).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from ground_truth import run_scenario
from harness import BrowserEnv
from harness import CaseResult
from scenarios import SCENARIOS
from test_addon_vs_chromium import SETTLE_URL
from test_addon_vs_chromium import EventLog

if TYPE_CHECKING:
    from scenarios import Expect
    from scenarios import Scenario

pytestmark = pytest.mark.browser

# Blocks that no header a rule adds can fix, and why. Each must still be blocked after the
# rules (a strict list: one that starts to work must leave it).
_REDIRECT_CREDENTIALS = (
    "a redirect to a URL with credentials (http://u:p@..., also user-only or password-only):"
    " Chromium refuses to follow it (RedirectContainsCredentials) whatever the response's CORS"
    " headers say"
)
_NOT_HTTP = (
    "a redirect to a URL whose scheme is not HTTP(S) ('invalidurl:'): Chromium refuses to"
    " follow it (CorsDisabledScheme) whatever the response's CORS headers say"
)
_INVISIBLE_CREDENTIALS = (
    "a credentialed call whose capture shows no credentials: fetch(credentials: 'include') or"
    " XHR withCredentials with no cookie to send looks like any other request on the wire, and"
    " the server's answer passes it without credentials; nothing in the capture proves the"
    " credentials a rule would have to grant (the event says so: credentials-would-block)"
)
CANNOT_FIX: dict[str, str] = {
    "redir-userinfo": _REDIRECT_CREDENTIALS,
    "wpt-redir-userinfo-user-only": _REDIRECT_CREDENTIALS,
    "wpt-redir-userinfo-password-only": _REDIRECT_CREDENTIALS,
    "wpt-redirect-invalid-location": _NOT_HTTP,
    "cred-wildcard-no-cookie": _INVISIBLE_CREDENTIALS,
    "wpt-cred-include-no-cookie-no-acac": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-star-no-cookie": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-1": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-false": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-quoted": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-TRUE": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-comma-true": _INVISIBLE_CREDENTIALS,
    "wpt-xhr-acac-true-comma": _INVISIBLE_CREDENTIALS,
}
FAILED_JS = ("TypeError: Failed to fetch", "Error: XHR error event", "script failed")


@dataclass
class Run:
    expect: Expect
    result: CaseResult


@dataclass
class Proof:
    env: BrowserEnv
    before: dict[str, Run]
    after: dict[str, Run]
    rules_text: str
    analysis: str
    replay_events: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)


def _catalogue(env: BrowserEnv) -> dict[str, Run]:
    return {s.id: Run(*run_scenario(env, s)) for s in SCENARIOS}


def _events(env: BrowserEnv, path: Path, skip: int) -> list[dict[str, Any]]:
    """The log's events after the first `skip`, every one decided so far (the log is written
    in batches: read up to a flow sent after them, which is then left out)."""
    log = EventLog(path)
    log.settle(env.proxy.port)
    return [e for e in log.events[skip:] if not e["url"].startswith(SETTLE_URL)]


@pytest.fixture(scope="module")
def proof(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    work = tmp_path_factory.mktemp("suggested-rules")
    rules = work / "rules.toml"
    rules.write_text(
        'grants = "add"\n# no rules yet: the catalogue is recorded as the server has it\n'
    )
    argv = [
        sys.executable, "-m", "cors_addon",
        "--listen-host", "127.0.0.1", "-p", "{port}",
        "--set", "confdir={confdir}", "--set", "ssl_insecure=true", "-s", "{guard}",
        "--set", "cors_log={workdir}/cors.jsonl",
        "-w", "{workdir}/flows.mitm",
        "--set", f"cors_rules={rules}",
    ]  # fmt: skip
    env = browser_envs.get(argv, cwd=work)
    timings: dict[str, float] = {}
    try:
        t0 = time.monotonic()
        before = _catalogue(env)
        timings["record"] = time.monotonic() - t0

        env.proxy.stop()  # the flow file is complete once mitmproxy has shut down
        capture = work / "catalogue.mitm"
        shutil.copyfile(env.proxy.workdir / "flows.mitm", capture)
        t0 = time.monotonic()
        analysis = subprocess.run(
            [sys.executable, "-m", "cors_addon", "analyze", str(capture),
             "--suggest-rules", str(rules)],
            capture_output=True, text=True, timeout=300, cwd=work,
        )  # fmt: skip
        timings["analyze"] = time.monotonic() - t0
        assert analysis.returncode == 1, analysis.stderr  # 1: something was blocked
        log = env.proxy.workdir / "cors.jsonl"
        recorded = len(log.read_text().splitlines())

        env.proxy.start()  # same port and CA: the browser goes on through it
        t0 = time.monotonic()
        after = _catalogue(env)
        timings["replay"] = time.monotonic() - t0
        print(f"\nsuggested rules in Chromium: {timings}")
        yield Proof(
            env,
            before,
            after,
            rules.read_text(),
            analysis.stdout + analysis.stderr,
            _events(env, log, recorded),
            timings,
        )
    finally:
        if hasattr(browser_envs, "release"):  # free its proxy and browser for later modules
            browser_envs.release(env)


def _works(run: Run) -> bool:
    return not run.result.blocked and not any(f in run.expect.js for f in FAILED_JS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_suggested_rules_fix_what_a_header_can_and_break_nothing(
    proof: Proof, scenario: Scenario
) -> None:
    before, after = proof.before[scenario.id], proof.after[scenario.id]
    assert scenario.expect is not None
    # the recording saw what the catalogue says Chromium does
    assert before.expect.blocked == scenario.expect.blocked, (scenario.desc, before.expect)
    if scenario.id in CANNOT_FIX:
        assert before.expect.blocked, f"{scenario.id} is not blocked: remove it from CANNOT_FIX"
        assert after.expect.blocked, f"{scenario.id} works now: remove it from CANNOT_FIX"
        assert after.expect.issues == before.expect.issues
        return
    if before.expect.blocked:
        assert _works(after), (
            f"{scenario.desc}: still blocked with the suggested rules\n"
            f"before: {before.expect.issues} js={before.expect.js}\n"
            f"after: {after.expect.issues} js={after.expect.js}\n"
            f"seen: {after.expect.seen}\nconsole: {after.expect.console}"
        )
    else:
        assert not after.expect.blocked, (scenario.desc, after.expect.issues)
        # the page gets what it got before; or, where it failed before CORS ran (a response
        # Chromium rejects as invalid HTTP, e.g. a NUL in Allow-Origin), a rule that rewrote the
        # offending field made it work
        fixed = not _works(before) and _works(after)
        assert after.expect.js == before.expect.js or fixed, (
            scenario.desc,
            before.expect,
            after.expect,
        )


def test_the_suggested_file_is_proven_and_loads_cleanly(proof: Proof) -> None:
    text = proof.rules_text
    assert text.count("[[rules]]") >= 3, proof.analysis
    assert "NOT WRITTEN" not in text, text  # the suggester's own dry run refused nothing
    assert "Checked by a dry run over the whole capture" in text
    assert re.search(
        r"^# No rule for \d+ flow\(s\) blocked with RedirectContainsCredentials", text, re.M
    )
    logs = proof.env.proxy.logs(tail=1_000_000)
    n = text.count("[[rules]]")
    assert f"cors: {n} of {n} rules active" in logs, logs
    assert "cors rules:" not in logs, logs  # no warning of any kind about the file


def test_no_rule_made_anything_worse_in_the_replay(proof: Proof) -> None:
    events = proof.replay_events
    rewritten = [e for e in events if e["rule"] is not None]
    assert rewritten, "the replay rewrote nothing"
    worse = [e for e in events if "rule-made-it-worse" in {w["code"] for w in e["warnings"]}]
    assert worse == []
    # every rewritten flow the server alone would have failed now passes
    fixed = [e for e in rewritten if e["upstream"] and e["upstream"]["verdict"] == "blocked"]
    assert fixed and all(e["verdict"] == "allowed" for e in fixed), [
        (e["url"], e["verdict"]) for e in fixed if e["verdict"] != "allowed"
    ]


def test_the_exceptions_are_the_only_blocks_left(proof: Proof) -> None:
    left = {sid for sid, run in proof.after.items() if run.expect.blocked}
    assert left == set(CANNOT_FIX), {sid: proof.after[sid].expect.issues for sid in left}
