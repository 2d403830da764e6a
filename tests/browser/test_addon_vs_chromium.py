"""The addon against Chromium, live: each catalogue scenario through `python -m cors_addon`.

One proxy (`python -m cors_addon ... --set cors_log=...`, started from an empty directory so no
rules.toml is loaded) serves the whole module. Each scenario of scenarios/ runs once in Chromium
through it; the test then compares the addon's JSONL events for that scenario (selected by its
unique path `/c/<id>/`) with what Chromium decided in the same run:

- Chromium still does what the catalogue declares (a plain AssertionError: the catalogue, not
  the addon, is wrong; this is what makes the plain-mitmdump replay redundant);
- the proxy logged one `preflight` event per preflight Chromium sent and one `request` event per
  Origin-carrying request, in order, per URL;
- `preflight.needed` of a request event == Chromium sent it an OPTIONS (paired: `preflight.flow`
  is that preflight's event), or Chromium served it from its preflight cache (`preflight.cache`
  names the preflight it reused); `preflight.headers` == Access-Control-Request-Headers as the
  server received it (lower-case, sorted), `preflight.method` == Access-Control-Request-Method;
- `verdict` is `blocked` exactly when Chromium blocked (an Audits CorsIssue): on the preflight
  event for a preflight failure, on the request event otherwise; `error.code` is Chromium's
  `corsErrorStatus.corsError`; `error.console` is Chromium's console sentence, exactly for fetch
  (and for an XHR request carrying `X-Requested-With: XMLHttpRequest`), modulo the API for other
  XHR events, preflights included (see `same_console`); `error` is null when Chromium did not
  block;
- every event validates against cors_addon/schema/event-v1.schema.json.

A preflight that passes for a request without credentials cannot be judged from the wire alone
(preflights never carry cookies): the addon logs it `allowed` with a `credentials-would-block`
warning, and when no actual request follows within its window (2 s) it logs an `orphan` event with
the final verdict. `test_orphans_agree_with_chromium` checks those after the main pass (so nobody
waits 2 s per scenario): a blocked preflight whose preflight event said `allowed` has one blocked
orphan with Chromium's code and console text; a preflight Chromium followed has no orphan.

Where the addon disagrees with Chromium, the comparison raises `AddonDisagrees`; the scenario is
listed in DISAGREEMENTS / ORPHAN_DISAGREEMENTS and marked xfail(strict=True, raises=AddonDisagrees)
with the evidence, so a fix turns it into a failing XPASS (remove the entry then) and a catalogue
mismatch still fails.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from disagreements import DISAGREEMENTS
from disagreements import ORPHAN_DISAGREEMENTS
from ground_truth import COOKIE_ROUTE
from ground_truth import Placeholders
from ground_truth import describe
from ground_truth import install
from ground_truth import script_for
from harness import BrowserEnv
from harness import CaseResult
from harness import CorsIssue
from harness import SeenRequest
from harness.session import CROSS_SITE_HOST
from harness.session import PAGE_HOST
from scenarios import SCENARIOS
from scenarios import Expect
from scenarios import Scenario

import cors_addon
from cors_addon.engine.catalogue import INVALID_HTTP_CONSOLE
from cors_addon.engine.verdict import NOT_WORTH_A_WARNING

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

ADDON_ARGV = [
    sys.executable, "-m", "cors_addon",
    "--listen-host", "127.0.0.1", "-p", "{port}",
    "--set", "confdir={confdir}",
    "--set", "ssl_insecure=true",
    "-s", "{guard}",
    "--set", "cors_log={workdir}/cors.jsonl",
]  # fmt: skip

SCHEMA_PATH = Path(cors_addon.__file__).with_name("schema") / "event-v1.schema.json"
ORPHAN_WINDOW = 2.0  # cors_addon.pairing.DEFAULT_WINDOW
ORPHAN_GRACE = 1.0  # the addon's 0.25 s tick, writing, slack

BLOCKED_BY = "has been blocked by CORS policy: "
# Chromium's console names the API ("Access to fetch at" / "Access to XMLHttpRequest at") and
# adds API-specific hints. A proxy cannot see which API made a request (unless the page sends
# X-Requested-With: XMLHttpRequest, which its preflight announces), so the addon writes the
# fetch sentence; for other XHR requests we compare modulo the kind word and these two hints.
FETCH_ONLY_HINT = " Have the server send the header with a valid value."
XHR_ONLY_HINT = (
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the"
    " withCredentials attribute."
)


class AddonDisagrees(AssertionError):
    """The addon's events contradict what Chromium did (an engine bug, or a wire limit)."""


# -- known disagreements: disagreements.py (each one is a strict xfail) -------------------------

# Chromium codes whose only scenarios are DISAGREEMENTS (so none agrees yet); keep it exact.
CODES_ONLY_IN_DISAGREEMENTS = {"CorsDisabledScheme"}


# -- the proxy's event log -------------------------------------------------------------------------


SETTLE_URL = "http://127.0.0.1:9/settle/"  # EventLog.settle's flows (a closed port)


class EventLog:
    """Reads the addon's JSONL log incrementally (complete lines only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._offset = 0
        self._partial = b""
        self._settled = 0

    def settle(self, proxy_port: int, timeout: float = 10.0) -> None:
        """Read every event the proxy has decided so far. The log is written in batches (by
        the proxy's tick, every 0.25 s): one more flow through the proxy, after them, and its
        event read, and every event before it is in the file too. That flow goes to a closed
        loopback port (a 502 and a NetworkError event), not to any case's URL."""
        self._settled += 1
        url = f"{SETTLE_URL}{self._settled}"
        request = f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:9\r\nOrigin: http://settle.test\r\n"
        with socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout) as s:
            s.sendall((request + "Connection: close\r\n\r\n").encode())
            while s.recv(65536):
                pass
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            if any(e["url"] == url for e in reversed(self.events)):
                return
            assert time.monotonic() < deadline, f"the proxy never logged {url}"
            time.sleep(0.02)

    def refresh(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        self._offset += len(data)
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        self.events.extend(json.loads(line) for line in lines if line.strip())

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        """The case's events (its setup cookie route excluded), by request start time."""
        prefix = f"/c/{case_id}/"
        setup = f"/c/{case_id}/{COOKIE_ROUTE}"
        out = [
            e
            for e in self.events
            if prefix in e["url"] and not e["url"].split("?")[0].endswith(setup)
        ]
        return sorted(out, key=lambda e: e["time"])


# -- what Chromium did, as units the proxy must have logged ---------------------------------------


@dataclass
class Unit:
    """One request Chromium sent that the proxy must log: a preflight, or an Origin request."""

    seen: SeenRequest
    url: str
    preflight: bool
    event: dict[str, Any] | None = None
    issue: CorsIssue | None = None  # Chromium blocked it (Audits)
    console: str | None = None  # ... with this console sentence
    paired: Unit | None = None  # request: the preflight Chromium sent for it
    cached: Unit | None = None  # request: the earlier preflight whose cache entry it used
    followed: bool = False  # preflight: the actual request was sent

    @property
    def acrh(self) -> list[str]:
        value = self.seen.acrh
        return [] if value is None else value.split(",")


@dataclass
class Observation:
    scenario: Scenario
    result: CaseResult
    described: Expect
    events: list[dict[str, Any]]
    units: list[Unit]
    done: float  # time.time() when the case settled
    problems: list[str] = field(default_factory=list)


def url_of(r: SeenRequest) -> str:
    return r.server + r.path + (f"?{r.query}" if r.query else "")


def build_units(result: CaseResult, scenario: Scenario) -> list[Unit]:
    prefix = f"/c/{scenario.id}/"
    units: list[Unit] = []
    last_pf: dict[str, Unit] = {}  # url -> latest preflight not yet followed
    allowed_pf: dict[str, Unit] = {}  # url -> latest preflight an actual request followed
    for r in result.requests:
        if not r.path.startswith(prefix):
            continue
        url = url_of(r)
        if r.is_preflight:
            u = Unit(r, url, preflight=True)
            last_pf[url] = u
            units.append(u)
        elif r.origin is not None:
            u = Unit(r, url, preflight=False)
            pf = last_pf.pop(url, None)
            if pf is not None:
                pf.followed = True
                u.paired = pf
                allowed_pf[url] = pf
            else:
                u.cached = allowed_pf.get(url)
            units.append(u)
    return units


def _unit_by_request_id(obs: Observation, issue: CorsIssue) -> Unit | None:
    """When Chromium sent the same URL more than once (a revalidation), the issue's CDP request
    id tells which one it blocked: the n-th such request in the Network log is the n-th unit."""
    mine = [
        b
        for b in obs.result.browser_requests
        if b.url == issue.url and b.is_preflight == issue.is_preflight
    ]
    units = [u for u in obs.units if u.url == issue.url and u.preflight == issue.is_preflight]
    if len(units) < 2 or len(mine) != len(units):
        return None
    ids = [b.request_id for b in mine]
    if ids.count(issue.request_id) != 1:
        return None
    unit = units[ids.index(issue.request_id)]
    return unit if unit.issue is None else None


def assign_issues(obs: Observation) -> None:
    """Attach each blocking Audits issue (and its console sentence) to the unit it is about."""
    messages = [m for m in obs.result.cors_messages if BLOCKED_BY in m]
    for issue in obs.result.cors_issues:
        if issue.is_warning:
            continue
        unit = _unit_by_request_id(obs, issue) or next(
            (
                u
                for u in obs.units
                if u.preflight == issue.is_preflight and u.url == issue.url and u.issue is None
            ),
            None,
        )
        if unit is None:
            obs.problems.append(
                f"harness: Chromium blocked {issue.url} ({issue.cors_error}) but the servers saw"
                " no such request"
            )
            continue
        unit.issue = issue
        unit.console = next((m for m in messages if f" at '{issue.url}'" in m), None)
        if unit.console is not None:
            messages.remove(unit.console)


def match_events(obs: Observation) -> None:
    """Pair units and events per (URL, preflight|request), in order."""
    by_key: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for e in obs.events:
        if e["type"] in ("preflight", "request"):
            by_key[(e["url"], e["type"] == "preflight")].append(e)
    units_by_key: dict[tuple[str, bool], list[Unit]] = defaultdict(list)
    for u in obs.units:
        units_by_key[(u.url, u.preflight)].append(u)
    for key in sorted(set(by_key) | set(units_by_key)):
        evs, us = by_key.get(key, []), units_by_key.get(key, [])
        kind = "preflight" if key[1] else "request"
        if len(evs) != len(us):
            obs.problems.append(
                f"{key[0]}: Chromium sent {len(us)} {kind}(s) the proxy must log, the log has"
                f" {len(evs)} {kind} event(s)"
            )
        for u, e in zip(us, evs, strict=False):
            u.event = e


def console_matches(event_text: str, chromium: str, scenario: Scenario, u: Unit) -> bool:
    """Exact for fetch, and for an XHR that shows itself on the wire: its request carries
    X-Requested-With: XMLHttpRequest, or its preflight names x-requested-with in ACRH (the wire
    shows no other sign of an XHR); else `same_console`."""
    if (
        scenario.request.api != "xhr"
        or u.seen.header("X-Requested-With") == "XMLHttpRequest"
        or "x-requested-with" in (u.seen.acrh or "").lower()
    ):
        return event_text == chromium
    return same_console(event_text, chromium)


def same_console(fetch_sentence: str, xhr_sentence: str) -> bool:
    """The addon's fetch sentence vs Chromium's XHR sentence: equal once the kind word is the
    same and the fetch-only and XHR-only hints are dropped."""
    a = fetch_sentence.replace(FETCH_ONLY_HINT, "")
    b = xhr_sentence.replace("Access to XMLHttpRequest at ", "Access to fetch at ", 1)
    b = b.replace(FETCH_ONLY_HINT, "").replace(XHR_ONLY_HINT, "")
    return a == b


def check_blocked(obs: Observation, u: Unit, e: dict[str, Any], where: str) -> None:
    assert u.issue is not None
    p = obs.problems
    if e["verdict"] != "blocked":
        p.append(f"{where}: Chromium blocked ({u.issue.cors_error}), event verdict {e['verdict']}")
        return
    err = e["error"] or {}
    if err.get("code") != u.issue.cors_error:
        p.append(f"{where}: error.code {err.get('code')!r}, Chromium {u.issue.cors_error!r}")
    if u.console is None:
        p.append(f"{where}: harness: no console sentence from Chromium for {u.url}")
        return
    if not console_matches(err.get("console", ""), u.console, obs.scenario, u):
        p.append(
            f"{where}: console differs\n  event:    {err.get('console')}\n  chromium: {u.console}"
        )
    if not err.get("console", "").endswith(BLOCKED_BY + err.get("message", "\0")):
        p.append(
            f"{where}: error.message is not the detail of error.console: {err.get('message')!r}"
        )


def _sent_header_names(scenario: Scenario, u: Unit) -> set[str] | None:
    """Lower-case names of the scripted response's headers for this unit's route (None when
    the route answers by a rule, e.g. a Conditional)."""
    route = scenario.routes.get(u.url.rsplit("/", 1)[-1])
    actual = getattr(route, "actual", None)
    headers = getattr(actual, "headers", None)
    return None if headers is None else {name.lower() for name, _ in headers}


def check_unreadable(obs: Observation, u: Unit, e: dict[str, Any], where: str) -> None:
    """The response headers the script read (Request.read_headers) against the event's
    `headers-not-exposed` warning: a header Chromium let the page read is never named in it;
    one it hid that the response carried is named (unless the engine deems it not worth a
    warning: safelisted or plumbing names)."""
    js = obs.result.js
    read = js.value.get("headers") if js.ok and isinstance(js.value, dict) else None
    sent = _sent_header_names(obs.scenario, u)
    if not read or sent is None:
        return
    if obs.scenario.request.credentials == "include" and e["credentials"] != "include":
        return  # judged without credentials: the wire limit of the _NO_COOKIE disagreements
    text = next((w["message"] for w in e["warnings"] if w["code"] == "headers-not-exposed"), "")
    prefix, suffix = "The page cannot read ", ": list them in Access-Control-Expose-Headers."
    named = set(text[len(prefix) : -len(suffix)].split(", ")) if text else set()
    for name, value in read.items():
        name = name.lower()
        if value is not None and name in named:
            obs.problems.append(f"{where}: Chromium let the page read {name}, the event warns")
        elif value is None and name in sent and name not in named | NOT_WORTH_A_WARNING:
            obs.problems.append(f"{where}: Chromium hid {name}, no headers-not-exposed names it")


def invalid_http(obs: Observation) -> str | None:
    """The console line when Chromium's HTTP parser rejected a response of this case (no CORS
    issue follows), else None."""
    if any(not i.is_warning for i in obs.result.cors_issues):
        return None
    lines = set(INVALID_HTTP_CONSOLE.values())
    return next((t for t in obs.result.console_errors if t in lines), None)


def check_invalid_http(obs: Observation, e: dict[str, Any], where: str) -> None:
    """The event says the browser rejects the response as invalid HTTP, in Chromium's words."""
    console = invalid_http(obs)
    err = e["error"] or {}
    if e["verdict"] != "invalid-http" or err.get("code") != "InvalidHttpResponse":
        obs.problems.append(
            f"{where}: Chromium rejected the response as invalid HTTP ({console}),"
            f" event verdict {e['verdict']} error {err.get('code')}"
        )
    elif err.get("console") != console:
        obs.problems.append(f"{where}: console {err.get('console')!r}, Chromium {console!r}")


def compare(obs: Observation, validator: Any) -> None:
    p = obs.problems
    for e in obs.events:
        for err in validator.iter_errors(e):
            p.append(f"schema: {e['type']} {e['url']}: {err.message} at {list(err.absolute_path)}")
    for u in obs.units:
        e = u.event
        if e is None:
            continue
        where = f"{e['type']} {e['method']} {u.url}"
        pre = e["preflight"]
        if u.preflight:
            if not pre["needed"] or pre["headers"] != u.acrh or pre["method"] != u.seen.acrm:
                p.append(
                    f"{where}: predicted needed={pre['needed']} method={pre['method']!r}"
                    f" headers={pre['headers']}, Chromium sent ACRM {u.seen.acrm!r} ACRH {u.acrh}"
                )
            if u.issue is not None:
                if e["verdict"] == "allowed" and e["error"] is None and not u.followed:
                    continue  # decided by the orphan event: test_orphans_agree_with_chromium
                check_blocked(obs, u, e, where)
            elif invalid_http(obs):
                check_invalid_http(obs, e, where)
            elif e["verdict"] != "allowed" or e["error"] is not None:
                p.append(
                    f"{where}: Chromium passed this preflight, event verdict {e['verdict']}"
                    f" error {e['error'] and e['error']['code']}"
                )
            continue
        # an actual request
        if u.paired is not None:
            pf_event = u.paired.event
            want = (True, u.paired.acrh, u.paired.seen.acrm)
            got = (pre["needed"], pre["headers"], pre["method"])
            if got != want:
                p.append(
                    f"{where}: Chromium preflighted it (ACRM {want[2]!r}, ACRH {want[1]});"
                    f" event needed={got[0]} headers={got[1]} method={got[2]!r}"
                )
            if pf_event is not None and pre["flow"] != pf_event["flow"]:
                p.append(f"{where}: not paired with its preflight: preflight.flow={pre['flow']!r}")
            if pre["cache"] is not None:
                p.append(
                    f"{where}: Chromium sent a preflight, event claims preflight.cache"
                    f" {pre['cache']}"
                )
        elif u.cached is not None:
            pf_event = u.cached.event
            if not pre["needed"] or pre["headers"] != u.cached.acrh:
                p.append(
                    f"{where}: needs the preflight Chromium had cached (ACRH {u.cached.acrh});"
                    f" event needed={pre['needed']} headers={pre['headers']}"
                )
            if pre["cache"] is None:
                p.append(
                    f"{where}: Chromium served it from its preflight cache, event has no"
                    " preflight.cache"
                )
            elif pf_event is not None and pre["cache"]["flow"] != pf_event["flow"]:
                p.append(
                    f"{where}: preflight.cache names {pre['cache']['flow']}, the cached"
                    f" preflight is {pf_event['flow']}"
                )
        elif pre["needed"] or pre["headers"] or pre["cache"] is not None or pre["flow"] is not None:
            p.append(
                f"{where}: Chromium sent no preflight and had none cached; event"
                f" needed={pre['needed']} headers={pre['headers']} flow={pre['flow']}"
                f" cache={pre['cache']}"
            )
        if u.issue is not None:
            check_blocked(obs, u, e, where)
        elif invalid_http(obs):
            check_invalid_http(obs, e, where)
        else:
            want_verdict = "not-cors" if obs.scenario.request.mode == "no-cors" else "allowed"
            if e["verdict"] != want_verdict or e["error"] is not None:
                p.append(
                    f"{where}: Chromium let the page read it, event verdict {e['verdict']}"
                    f" error {e['error'] and e['error']['code']}"
                )
            elif want_verdict == "allowed":
                check_unreadable(obs, u, e, where)
    for e in obs.events:
        if e["type"] == "request" and not any(u.event is e for u in obs.units):
            p.append(
                f"request event for {e['url']} that Chromium sent without Origin or not at all"
            )


# -- running -------------------------------------------------------------------------------------


class Observer:
    """Runs each scenario once through the addon and keeps what happened."""

    def __init__(self, env: BrowserEnv) -> None:
        self.env = env
        self.log = EventLog(env.proxy.workdir / "cors.jsonl")
        self.done: dict[str, Observation] = {}
        self.validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))

    def get(self, scenario: Scenario) -> Observation:
        if scenario.id not in self.done:
            self.done[scenario.id] = self._run(scenario)
        return self.done[scenario.id]

    def _run(self, scenario: Scenario) -> Observation:
        env = self.env
        ph = Placeholders(env, scenario)
        setup = install(env, scenario, ph)
        page_host = CROSS_SITE_HOST if scenario.page == "A2" else PAGE_HOST
        result = env.run(
            script_for(env, scenario), case_id=scenario.id, page_host=page_host, setup_script=setup
        )
        done = time.time()
        described = describe(result, ph, env, scenario)
        units = build_units(result, scenario)
        # The addon decides each event when the response passes through, before Chromium sees
        # it, and writes it within 0.25 s: read up to a flow sent after the case's.
        self.log.settle(env.proxy.port)
        events = self.log.for_case(scenario.id)
        obs = Observation(scenario, result, described, events, units, done)
        assign_issues(obs)
        match_events(obs)
        compare(obs, self.validator)
        return obs

    def orphans(self, obs: Observation) -> list[dict[str, Any]]:
        wait = obs.done + ORPHAN_WINDOW + ORPHAN_GRACE - time.time()
        if wait > 0:
            time.sleep(wait)
        self.log.settle(self.env.proxy.port)
        return [e for e in self.log.for_case(obs.scenario.id) if e["type"] == "orphan"]


@pytest.fixture(scope="module")
def observer(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observer]:
    cwd = tmp_path_factory.mktemp("addon-cwd")  # empty: no rules.toml
    env = browser_envs.get(ADDON_ARGV, cwd=cwd)
    try:
        yield Observer(env)
    finally:
        browser_envs.release(env)


def _params(known: dict[str, str], scenarios: list[Scenario]) -> list[Any]:
    out = []
    for s in scenarios:
        marks = []
        if s.id in known:
            marks.append(pytest.mark.xfail(strict=True, raises=AddonDisagrees, reason=known[s.id]))
        out.append(pytest.param(s, id=s.id, marks=marks))
    return out


# -- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", _params(DISAGREEMENTS, SCENARIOS))
def test_addon_agrees_with_chromium(observer: Observer, scenario: Scenario) -> None:
    obs = observer.get(scenario)
    assert scenario.expect is not None, "record it first: tests/browser/record_facts.py --write"
    assert obs.described == scenario.expect, (
        f"Chromium no longer does what scenarios/ declares ({scenario.desc}); re-record with"
        f" record_facts.py and review\nconsole: {obs.result.console_errors}"
    )
    if obs.problems:
        events = "\n".join(json.dumps(e)[:600] for e in obs.events)
        raise AddonDisagrees(
            f"{scenario.id}: {scenario.desc}\n" + "\n".join(obs.problems) + f"\nevents:\n{events}"
        )


PREFLIGHTED = [s for s in SCENARIOS if s.expect is not None and s.expect.preflight]


@pytest.mark.parametrize("scenario", _params(ORPHAN_DISAGREEMENTS, PREFLIGHTED))
def test_orphans_agree_with_chromium(observer: Observer, scenario: Scenario) -> None:
    """After the orphan window: the preflights Chromium blocked although their preflight event
    said `allowed` have a blocked orphan event with Chromium's error; followed ones have none."""
    obs = observer.get(scenario)
    orphans = observer.orphans(obs)
    problems = []
    for e in orphans:
        for err in observer.validator.iter_errors(e):
            problems.append(f"schema: orphan {e['url']}: {err.message}")
    for u in obs.units:
        if not u.preflight or u.event is None:
            continue
        mine = [e for e in orphans if e["flow"] == u.event["flow"]]
        where = f"orphan of {u.url}"
        if u.followed:
            if mine:
                o = mine[0]
                problems.append(
                    f"{where}: Chromium sent the actual request after this preflight, yet an"
                    f" orphan event says {o['verdict']} {o['error'] and o['error']['code']}"
                )
        elif u.issue is not None and u.event["verdict"] == "allowed":
            if len(mine) != 1:
                problems.append(
                    f"{where}: Chromium blocked at the preflight ({u.issue.cors_error}); the"
                    f" preflight event said allowed and {len(mine)} orphan events followed"
                )
                continue
            sub = Observation(obs.scenario, obs.result, obs.described, [], [], obs.done)
            check_blocked(sub, u, mine[0], where)
            problems.extend(sub.problems)
        elif mine:
            problems.append(f"{where}: unexpected orphan event {mine[0]['verdict']}")
    if problems:
        raise AddonDisagrees(f"{scenario.id}: {scenario.desc}\n" + "\n".join(problems))


def test_enough_distinct_scenarios_compared(observer: Observer) -> None:
    compared = {s.id for s in SCENARIOS} - set(DISAGREEMENTS)
    assert len(compared) >= 40
    codes = {name for s in SCENARIOS if s.expect for name, _ in s.expect.issues}
    agreeing = {
        name
        for s in SCENARIOS
        if s.expect and s.id not in DISAGREEMENTS
        for name, _ in s.expect.issues
    }
    # CorsDisabledScheme (a redirect to 'invalidurl:') is raised only by a known disagreement.
    assert codes - agreeing == CODES_ONLY_IN_DISAGREEMENTS, (
        f"no agreeing scenario for {codes - agreeing}"
    )


def test_https_through_the_addon(observer: Observer) -> None:
    """Chromium trusted mitmproxy's CA by SPKI pin, the addon saw the decrypted exchange and
    agreed: a blocked simple GET and an allowed preflighted PUT to the HTTPS API."""
    by_id = {s.id: s for s in SCENARIOS}
    blocked = observer.get(by_id["https-acao-missing"])
    allowed = observer.get(by_id["https-pf-put-ok"])
    origin_bs = observer.env.origin_bs
    assert origin_bs.startswith("https://")
    (req,) = [e for e in blocked.events if e["type"] == "request"]
    assert req["url"].startswith(origin_bs)
    assert req["verdict"] == "blocked" and req["error"]["code"] == "MissingAllowOriginHeader"
    assert blocked.result.cors_errors == ["MissingAllowOriginHeader"]
    assert req["error"]["console"] == blocked.result.cors_messages[0]
    types = [(e["type"], e["method"], e["verdict"]) for e in allowed.events]
    assert types == [("preflight", "OPTIONS", "allowed"), ("request", "PUT", "allowed")]
    assert allowed.events[1]["preflight"]["headers"] == ["x-custom"]
    assert allowed.result.js.status == 200 and not allowed.result.blocked
    assert not blocked.problems and not allowed.problems


def test_every_logged_event_matches_the_schema(observer: Observer) -> None:
    """The whole log of the module's proxy (orphans and cookie-setting requests included)."""
    observer.log.refresh()
    assert observer.log.events, "the addon logged nothing"
    bad = [
        f"{e['type']} {e['url']}: {err.message}"
        for e in observer.log.events
        for err in observer.validator.iter_errors(e)
    ]
    assert not bad, "\n".join(bad[:20])
