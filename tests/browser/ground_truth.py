"""Run a catalogue `Scenario` in a `BrowserEnv` and describe what Chromium did as an `Expect`.

Used by test_chromium_ground_truth.py (compare with the declared expectation) and by
record_facts.py (print fresh expectations and a fact table after a Chromium upgrade).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.runner import CaseResult
from harness.runner import fetch_script
from harness.runner import sequence_script
from harness.runner import xhr_script
from harness.servers import Resp
from harness.servers import Route
from harness.servers import SeenRequest
from harness.session import CROSS_SITE_HOST
from harness.session import PAGE_HOST
from harness.session import BrowserEnv
from scenarios import Expect
from scenarios import Scenario

COOKIE_ROUTE = "setcookie"


class Placeholders:
    """`{O}`, `{A}`, ... of one scenario run: fill() definitions, template() observations."""

    def __init__(self, env: BrowserEnv, scenario: Scenario) -> None:
        p = env.placeholders()
        self.page_origin = p["A2"] if scenario.page == "A2" else p["A"]
        p["O"] = self.page_origin
        p["O_UPPER"] = self.page_origin.upper()
        p["Bu"] = p["B"].replace("http://", "http://u:p@", 1)
        p["C"] = f"/c/{scenario.id}"
        p["UA"] = env.user_agent
        self.values = p
        # For templating observed text: the UA, userinfo URL and path first, then the page
        # origin, then the other origins longest first (so a port that prefixes another cannot
        # match early).
        first = ["UA", "Bu", "C", "O_UPPER", "O"]
        others = sorted((k for k in p if k not in first), key=lambda k: -len(p[k]))
        self._reverse = [(k, p[k]) for k in first] + [
            (k, p[k]) for k in others if p[k] != self.page_origin
        ]

    def fill(self, text: str) -> str:
        for key, val in self.values.items():
            text = text.replace("{" + key + "}", val)
        return text

    def template(self, text: str) -> str:
        for key, val in self._reverse:
            text = text.replace(val, "{" + key + "}")
        return text

    def resp(self, r: Resp | None) -> Resp | None:
        if r is None:
            return None
        body = r.body if isinstance(r.body, bytes) else self.fill(r.body)
        return replace(r, headers=[(k, self.fill(v)) for k, v in r.headers], body=body)

    def route(self, route: Route) -> Route:
        assert not callable(route.preflight) and not callable(route.actual)
        return Route(self.resp(route.preflight), self.resp(route.actual), route.any_method)


def request_url(env: BrowserEnv, scenario: Scenario) -> str:
    req = scenario.request
    if req.target == "BS":
        return env.api_tls.url(scenario.id, req.name)
    server = env.pages if req.target in ("A", "A2") else env.api
    host = CROSS_SITE_HOST if req.target in ("X", "A2") else PAGE_HOST
    return server.url(scenario.id, req.name, host=host)


def script_for(env: BrowserEnv, scenario: Scenario) -> str:
    req = scenario.request
    url = request_url(env, scenario)
    if req.api == "xhr":
        one = xhr_script(
            url,
            method=req.method or "GET",
            headers=req.headers,
            body=req.body,
            with_credentials=req.credentials == "include",
            upload_listener=req.upload_listener,
        )
    else:
        one = fetch_script(
            url,
            method=req.method,
            headers=req.headers,
            body=req.body,
            credentials=req.credentials,
            mode=req.mode,
        )
    if scenario.repeat == 1:
        return one
    return sequence_script([one] * scenario.repeat, gap_ms=scenario.gap_ms)


def install(env: BrowserEnv, scenario: Scenario, ph: Placeholders) -> str | None:
    """Register the scenario's routes; return the setup script (cookie) if any."""
    for name, route in scenario.routes.items():
        _set_route(env.api, scenario.id, name, ph.route(route))
    for name, route in scenario.page_routes.items():
        _set_route(env.pages, scenario.id, name, ph.route(route))
    if not scenario.cookie:
        return None
    cookie = Resp(
        200,
        [
            ("Access-Control-Allow-Origin", ph.page_origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Set-Cookie", f"sid={scenario.id}; Path=/"),
        ],
        "cookie set",
    )
    env.api.register(scenario.id, actual=cookie, name=COOKIE_ROUTE)
    return fetch_script(env.api.url(scenario.id, COOKIE_ROUTE), credentials="include")


def _set_route(server: Any, case_id: str, name: str, route: Route) -> None:
    server.register(
        case_id,
        preflight=route.preflight,
        actual=route.actual,
        name=name,
        any_method=route.any_method,
    )


def run_scenario(env: BrowserEnv, scenario: Scenario) -> tuple[Expect, CaseResult]:
    ph = Placeholders(env, scenario)
    setup = install(env, scenario, ph)
    page_host = CROSS_SITE_HOST if scenario.page == "A2" else PAGE_HOST
    result = env.run(
        script_for(env, scenario), case_id=scenario.id, page_host=page_host, setup_script=setup
    )
    return describe(result, ph, env, scenario), result


def _js_summary(ok: bool, value: Any, error: str | None) -> str:
    if not ok:
        return str(error)
    if isinstance(value, dict) and "status" in value:
        return str(value["status"])
    return repr(value)


def describe(result: CaseResult, ph: Placeholders, env: BrowserEnv, scenario: Scenario) -> Expect:
    if scenario.repeat == 1:
        js = _js_summary(result.js.ok, result.js.value, result.js.error)
    elif result.js.ok:
        js = " | ".join(
            _js_summary(o["ok"], o.get("value"), o.get("error")) for o in result.js.value
        )
    else:
        js = f"script failed: {result.js.error}"
    preflights = result.preflights
    return Expect(
        js=js,
        seen=tuple(_seen(r, ph, scenario) for r in result.requests),
        preflight=bool(preflights),
        acrh=preflights[0].acrh if preflights else None,
        blocked=result.blocked,
        issues=tuple((i.cors_error, ph.template(i.failed_parameter)) for i in result.cors_issues),
        console=tuple(ph.template(t) for t in result.console_errors),
        deprecations=tuple(result.deprecations),
    )


def _seen(r: SeenRequest, ph: Placeholders, scenario: Scenario) -> str:
    server = ph.template(r.server).strip("{}")
    prefix = f"/c/{scenario.id}/"
    name = r.path[len(prefix) :] if r.path.startswith(prefix) else r.path
    out = f"{r.method} {server}/{name}"
    if r.header("Cookie") is not None:
        out += " cookie"
    if r.origin != ph.page_origin:
        out += f" origin={ph.template(r.origin) if r.origin is not None else '-'}"
    if not r.is_preflight:
        for name in scenario.check_headers:
            value = r.header(name)
            out += f" {name}={ph.template(value) if value is not None else '-'}"
    return out
