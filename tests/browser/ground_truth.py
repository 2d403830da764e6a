"""Run a catalogue `Scenario` in an engine's env and describe what the engine did as an `Expect`.

The same code for all three engines: Chromium's `BrowserEnv`, `FirefoxEnv` and `WebKitEnv` share
`run()`, and their results share `js`, `requests`, `blocked`, `engine_issues`, `console_errors`
and `deprecations`. Used by the per-engine ground-truth tests (compare with the declared
expectation) and by record_facts.py (print fresh expectations and fact tables).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from harness.env import CROSS_SITE_HOST
from harness.env import PAGE_HOST
from harness.env import BaseEnv
from harness.runner import fetch_script
from harness.runner import sequence_script
from harness.runner import xhr_script
from harness.servers import Resp
from harness.servers import Route
from harness.servers import SeenRequest
from scenarios import Conditional
from scenarios import Expect
from scenarios import Scenario

COOKIE_ROUTE = "setcookie"


class Placeholders:
    """`{O}`, `{A}`, ... of one scenario run: fill() definitions, template() observations."""

    def __init__(self, env: BaseEnv, scenario: Scenario) -> None:
        p = env.placeholders()
        self.page_origin = p["A2"] if scenario.page == "A2" else p["A"]
        p["O"] = self.page_origin
        p["O_UPPER"] = self.page_origin.upper()
        p["Bu"] = p["B"].replace("http://", "http://u:p@", 1)
        p["B_HOSTPORT"] = p["B"].removeprefix("http://")
        p["O_HOSTPORT"] = self.page_origin.removeprefix("http://")
        p["C"] = f"/c/{scenario.id}"
        p["UA"] = env.user_agent
        self.values = p
        # For templating observed text: the UA, userinfo URL and path first, then the page
        # origin, then the other origins longest first (so a port that prefixes another cannot
        # match early).
        first = ["UA", "Bu", "C", "O_UPPER", "O"]
        last = ["B_HOSTPORT", "O_HOSTPORT"]  # after the origins that contain them
        others = sorted((k for k in p if k not in first + last), key=lambda k: -len(p[k]))
        self._reverse = [(k, p[k]) for k in first] + [
            (k, p[k]) for k in others + last if p[k] != self.page_origin
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

    def responder(self, r: Resp | Conditional | None) -> Resp | Conditional | None:
        if isinstance(r, Conditional):
            return Conditional(r.when, self.fill_resp(r.then), self.fill_resp(r.otherwise))
        return self.resp(r)

    def fill_resp(self, r: Resp) -> Resp:
        filled = self.resp(r)
        assert filled is not None
        return filled

    def route(self, route: Route) -> Route:
        for r in (route.preflight, route.actual):
            assert r is None or isinstance(r, (Resp, Conditional)), "routes must be data"
        return Route(
            self.responder(route.preflight),  # type: ignore[arg-type]
            self.responder(route.actual),  # type: ignore[arg-type]
            route.any_method,
        )


def request_url(env: BaseEnv, scenario: Scenario) -> str:
    req = scenario.request
    if req.target == "BS":
        return env.api_tls.url(scenario.id, req.name)
    server = env.pages if req.target in ("A", "A2") else env.api
    host = CROSS_SITE_HOST if req.target in ("X", "A2") else PAGE_HOST
    return server.url(scenario.id, req.name, host=host)


def script_for(env: BaseEnv, scenario: Scenario) -> str:
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
            redirect=req.redirect,
            read_headers=req.read_headers,
        )
    if scenario.repeat == 1:
        return one
    return sequence_script([one] * scenario.repeat, gap_ms=scenario.gap_ms)


def install(env: BaseEnv, scenario: Scenario, ph: Placeholders) -> str | None:
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


def run_scenario(env: BaseEnv, scenario: Scenario) -> tuple[Expect, Any]:
    """Run it in `env` (any engine); returns (what the engine did, its raw result)."""
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
        out = str(value["status"])
        if value.get("type") == "opaqueredirect":
            out += " opaqueredirect"
        if value.get("headers"):  # the response headers the script read (Request.read_headers)
            out += " " + json.dumps(value["headers"], sort_keys=True)
        return out
    return repr(value)


def describe(result: Any, ph: Placeholders, env: BaseEnv, scenario: Scenario) -> Expect:
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
        seen=tuple(
            _seen(r, ph, scenario, later_preflight=r.is_preflight and i > 0)
            for i, r in _preflight_index(result.requests)
        ),
        preflight=bool(preflights),
        acrh=preflights[0].acrh if preflights else None,
        blocked=result.blocked,
        issues=tuple((code, ph.template(param)) for code, param in result.engine_issues),
        console=tuple(ph.template(t) for t in result.console_errors),
        deprecations=tuple(result.deprecations),
    )


def _preflight_index(requests: list[SeenRequest]) -> list[tuple[int, SeenRequest]]:
    """Each request with its number among the preflights so far (-1 for non-preflights)."""
    out, n = [], 0
    for r in requests:
        if r.is_preflight:
            out.append((n, r))
            n += 1
        else:
            out.append((-1, r))
    return out


def _seen(
    r: SeenRequest, ph: Placeholders, scenario: Scenario, *, later_preflight: bool = False
) -> str:
    server = ph.template(r.server).strip("{}")
    prefix = f"/c/{scenario.id}/"
    name = r.path[len(prefix) :] if r.path.startswith(prefix) else r.path
    out = f"{r.method} {server}/{name}"
    if r.header("Cookie") is not None:
        out += " cookie"
    if r.origin != ph.page_origin:
        out += f" origin={ph.template(r.origin) if r.origin is not None else '-'}"
    if later_preflight:  # the first preflight's ACRH is Expect.acrh; later ones show theirs
        out += f" acrm={r.acrm} acrh={r.acrh if r.acrh is not None else '-'}"
    if not r.is_preflight:
        for name in scenario.check_headers:
            value = r.header(name)
            out += f" {name}={ph.template(value) if value is not None else '-'}"
    return out
