"""The addon's `engines[<engine>]` against a real Firefox or WebKitGTK, live (shared by
test_addon_vs_firefox.py and test_addon_vs_webkit.py).

One addon proxy (`python -m cors_addon`, empty cwd: no rules) and one browser serve a whole
module; each catalogue scenario runs once through it (run_scenario: one page load per case, as
the ground-truth suites do). The comparison, per scenario, with what the browser did in that run:

- the browser still does what scenarios/ declares for it (else the catalogue is stale: a plain
  AssertionError);
- every event validates against the event schema and carries `engines`;
- a request the browser sent with neither a preflight nor a cached one has
  `engines[<engine>].preflight.needed == false`; a preflight event's `headers` are the
  Access-Control-Request-Headers the server received;
- `engines[<engine>].verdict` is `blocked` on some event exactly when the browser blocked
  (`invalid-http`: the browser rejected the response before CORS; then its console lines, of
  whatever kind, are the event's `messages`);
- the blocked events' `engines[<engine>].error.messages`, in order, are the browser's console
  lines word for word (WebKit's "<API> cannot load" modulo the API's name, which the wire does
  not show), and for Firefox `code` is its reason code.

A scenario where the addon disagrees raises `AddonDisagrees` and is a strict xfail with the
evidence (KNOWN in each test module), so a fix shows as XPASS.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ground_truth import Placeholders
from ground_truth import run_scenario
from scenarios import Scenario
from test_addon_vs_chromium import ADDON_ARGV
from test_addon_vs_chromium import SCHEMA_PATH
from test_addon_vs_chromium import AddonDisagrees
from test_addon_vs_chromium import EventLog


class Observer:
    def __init__(self, env: Any, engine: str) -> None:
        self.env = env
        self.engine = engine
        self.log = EventLog(Path(env.proxy.workdir) / "cors.jsonl")
        self.validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))

    def check(self, scenario: Scenario) -> None:
        declared = scenario.expect_for(self.engine)
        assert declared is not None, f"no {self.engine} facts recorded for {scenario.id}"
        observed, result = run_scenario(self.env, scenario)
        assert observed == declared, (
            f"{self.engine} no longer does what scenarios/ declares ({scenario.desc}); re-record"
            f" with record_facts.py --engine {self.engine}\nconsole: {result.console}"
        )
        self.log.settle(self.env.proxy.port)  # every event decided so far, read
        events = [e for e in self.log.for_case(scenario.id) if e["type"] != "orphan"]
        ph = Placeholders(self.env, scenario)
        problems = self.compare(observed, events, ph)
        if problems:
            record = os.environ.get("CORS_RECORD_DISAGREEMENTS")
            if record:  # a file to collect them in, for KNOWN
                with open(record, "a") as f:
                    f.write(json.dumps({"id": scenario.id, "problems": problems}) + "\n")
            shown = "\n".join(json.dumps(e.get("engines"))[:700] for e in events)
            raise AddonDisagrees(
                f"{scenario.id}: {scenario.desc}\n" + "\n".join(problems) + f"\nengines:\n{shown}"
            )

    def compare(self, observed: Any, events: list[dict[str, Any]], ph: Placeholders) -> list[str]:
        eng = self.engine
        problems: list[str] = []
        for e in events:
            for err in self.validator.iter_errors(e):
                problems.append(f"schema: {e['url']}: {err.message}")
            if "engines" not in e:
                problems.append(f"no engines field: {e['url']}")
        if problems:
            return problems
        views = [e["engines"][eng] for e in events]
        for e, v in zip(events, views, strict=True):
            p = e["preflight"]
            unpaired = e["type"] == "request" and p["flow"] is None and p["cache"] is None
            if unpaired and v["preflight"]["needed"]:
                problems.append(
                    f"{e['url']}: {eng} sent no preflight, engines says needed"
                    f" {v['preflight']['headers']}"
                )
        first_pf = next((e for e in events if e["type"] == "preflight"), None)
        if first_pf is not None:
            acrh = [] if observed.acrh is None else observed.acrh.split(",")
            got = first_pf["engines"][eng]["preflight"]["headers"]
            if got != acrh:
                problems.append(f"preflight headers {got} != {eng}'s ACRH {acrh}")
        invalid = [v for v in views if v["verdict"] == "invalid-http"]
        if invalid:
            # rejected before CORS ran: the engine's own lines, whether or not it words them
            # as a CORS failure (Firefox: "CORS request did not succeed"; WebKit: "Could not
            # parse HTTP response" for a preflight, nothing for a request)
            lines = [
                ph.template(m) for v in invalid for m in (v["error"] or {}).get("messages", [])
            ]
            if _api_blind(lines) != _api_blind(list(observed.console)):
                problems.append(
                    f"invalid-http lines differ:\n  addon:   {lines}"
                    f"\n  {eng}: {list(observed.console)}"
                )
            return problems
        blocked = [v for v in views if v["verdict"] == "blocked"]
        if bool(blocked) != observed.blocked:
            problems.append(
                f"verdicts {[v['verdict'] for v in views]}; {eng} blocked: {observed.blocked}"
            )
            return problems
        if not blocked:
            return problems
        messages = [ph.template(m) for v in blocked for m in (v["error"] or {}).get("messages", [])]
        if _api_blind(messages) != _api_blind(list(observed.console)):
            problems.append(
                f"messages differ:\n  addon:   {messages}\n  {eng}: {list(observed.console)}"
            )
        if eng == "firefox" and observed.issues:
            codes = [c for c, _ in observed.issues]
            verdict_code = next((c for c in codes if c != "CORSDidNotSucceed"), codes[0])
            got_code = blocked[0]["error"]["code"]
            if got_code != verdict_code:
                problems.append(f"code {got_code} != Firefox's {verdict_code}")
        return problems


def _api_blind(lines: list[str]) -> list[str]:
    """WebKit names the API ("Fetch API" / "XMLHttpRequest cannot load"); a proxy cannot see
    which API made a request unless the page sends X-Requested-With, so the comparison is
    modulo that word, as test_addon_vs_chromium.py's is for Chromium's sentence."""
    return [line.replace("XMLHttpRequest cannot load ", "Fetch API cannot load ") for line in lines]


def params(scenarios: list[Scenario], known: dict[str, str]) -> list[Any]:
    out = []
    for s in scenarios:
        marks = []
        if s.id in known:
            marks.append(pytest.mark.xfail(strict=True, raises=AddonDisagrees, reason=known[s.id]))
        out.append(pytest.param(s, id=s.id, marks=marks))
    return out


__all__ = ["ADDON_ARGV", "Observer", "params"]


# -- why a scenario disagrees (the KNOWN lists of the two test modules use these) ----------------

CREDENTIALED_PREFLIGHT = (
    "a preflight that passes without credentials and fails with them: its preflight event says"
    " allowed (credentials-would-block) and the blocked verdict comes on the orphan event after"
    " the 2 s window, which this suite does not wait for (test_addon_vs_chromium.py's orphan"
    " test does, for Chromium)."
)
NO_COOKIE = (
    "credentials 'include' (or withCredentials) with no cookie to send: the browser blocks;"
    " nothing on the wire shows the credentials mode, so the event says allowed. A wire limit."
)
HEADER_CASE = (
    "WebKit writes the refused header name as the script spelt it (X-Foo, User-Agent); the"
    " preflight carries names lower-cased, so the addon's sentence has them lower-case. A wire"
    " limit."
)
REDIRECT_LIMITS = (
    "a redirect the engine refuses for reasons the addon does not model (redirect: 'error',"
    " more than 20 redirects, a non-HTTP target)."
)
