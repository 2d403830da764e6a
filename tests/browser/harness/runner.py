"""Run one CORS case in Chromium and collect what the browser decided.

`run_case()` opens a fresh browser context (no cookies, no preflight cache carried over), loads a
page from the page origin, enables Audits/Log/Runtime/Network, evaluates a script with
`awaitPromise`, waits until the outcome settles, and returns a plain `CaseResult`.

Scripts are bodies of an async JS function: they may `await` and should `return` a JSON-able value.
`fetch_script()`/`xhr_script()` build the usual ones; a thrown error becomes `JsOutcome.error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from .cdp import CDPClient
from .servers import CaseServer
from .servers import SeenRequest

# CorsError names Chromium raises while checking the *preflight* response. Audits reports them on
# the actual request's id, so the name is what tells the stage.
PREFLIGHT_ERRORS = frozenset(
    {
        "PreflightInvalidStatus",
        "PreflightDisallowedRedirect",
        "PreflightWildcardOriginNotAllowed",
        "PreflightMissingAllowOriginHeader",
        "PreflightMultipleAllowOriginValues",
        "PreflightInvalidAllowOriginValue",
        "PreflightAllowOriginMismatch",
        "PreflightInvalidAllowCredentials",
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
    }
)


@dataclass(frozen=True)
class JsOutcome:
    ok: bool  # the script returned (no exception)
    value: Any = None  # what it returned
    error: str | None = None  # String(error) when it threw, e.g. "TypeError: Failed to fetch"

    @property
    def status(self) -> int | None:
        return self.value.get("status") if isinstance(self.value, dict) else None

    @property
    def body(self) -> str | None:
        return self.value.get("body") if isinstance(self.value, dict) else None


@dataclass(frozen=True)
class CorsIssue:
    cors_error: str  # Chromium's CorsError name, e.g. "MissingAllowOriginHeader"
    failed_parameter: str
    url: str  # request URL the issue is about (the URL that failed, after redirects)
    is_preflight: bool  # raised while checking the preflight response
    is_warning: bool
    request_id: str
    initiator_origin: str | None


@dataclass(frozen=True)
class LogEntry:
    level: str
    source: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class BrowserRequest:
    """A request as Chromium's Network domain reported it (includes preflights)."""

    request_id: str
    method: str
    url: str
    type: str | None  # "Fetch", "XHR", "Other" (preflights), "Document", ...
    is_preflight: bool
    redirected_from: str | None = None  # URL of the previous hop when this is a redirect follow-up


@dataclass
class CaseResult:
    js: JsOutcome
    cors_issues: list[CorsIssue] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)  # every Audits issue, raw
    console: list[LogEntry] = field(default_factory=list)  # every Log entry
    requests: list[SeenRequest] = field(default_factory=list)  # what the servers received
    browser_requests: list[BrowserRequest] = field(default_factory=list)
    duration: float = 0.0

    @property
    def console_errors(self) -> list[str]:
        """Texts of all error-level console entries, in order."""
        return [e.text for e in self.console if e.level == "error"]

    @property
    def cors_messages(self) -> list[str]:
        """The "Access to ... has been blocked by CORS policy: ..." sentences."""
        return [e.text for e in self.console if e.level == "error" and e.source == "javascript"]

    @property
    def blocked(self) -> bool:
        return any(not i.is_warning for i in self.cors_issues)

    @property
    def cors_errors(self) -> list[str]:
        return [i.cors_error for i in self.cors_issues]

    @property
    def engine_issues(self) -> list[tuple[str, str]]:
        """(corsError, failedParameter) per Audits CorsIssue, in order (as EngineResult's)."""
        return [(i.cors_error, i.failed_parameter) for i in self.cors_issues]

    @property
    def deprecations(self) -> list[str]:
        out = []
        for issue in self.issues:
            if issue.get("code") == "DeprecationIssue":
                out.append(issue["details"]["deprecationIssueDetails"].get("type", "?"))
        return out

    @property
    def preflights(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.is_preflight]

    @property
    def actual_requests(self) -> list[SeenRequest]:
        return [r for r in self.requests if not r.is_preflight]


# -- JS builders ---------------------------------------------------------------------------------


def _js(v: Any) -> str:
    return json.dumps(v)


def fetch_script(
    url: str,
    *,
    method: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    body: str | None = None,
    credentials: str | None = None,
    mode: str | None = None,
    redirect: str | None = None,
    read_headers: Sequence[str] = (),
) -> str:
    """`fetch()` with headers appended one by one (so duplicates combine like in real code).
    Returns {status, body, type, url, redirected, headers}; `headers` maps each name in
    `read_headers` to `response.headers.get(name)` (what script may read)."""
    init = ["headers: h"]
    for key, val in (
        ("method", method),
        ("body", body),
        ("credentials", credentials),
        ("mode", mode),
        ("redirect", redirect),
    ):
        if val is not None:
            init.append(f"{key}: {_js(val)}")
    appends = "".join(f"h.append({_js(k)}, {_js(v)});" for k, v in headers)
    return (
        f"const h = new Headers(); {appends}"
        f"const r = await fetch({_js(url)}, {{{', '.join(init)}}});"
        "const text = await r.text();"
        f"const names = {_js(list(read_headers))};"
        "const headers = Object.fromEntries(names.map(n => [n, r.headers.get(n)]));"
        "return {status: r.status, body: text, type: r.type, url: r.url,"
        " redirected: r.redirected, headers};"
    )


def xhr_script(
    url: str,
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: str | None = None,
    with_credentials: bool = False,
    upload_listener: bool = False,
) -> str:
    """XMLHttpRequest; resolves {status, body, url} on `load`, throws on `error`
    ("Error: XHR error event, status 0"). `upload_listener` adds an `xhr.upload` progress
    listener before send() (which forces a preflight when there is a body)."""
    sets = "".join(f"x.setRequestHeader({_js(k)}, {_js(v)});" for k, v in headers)
    return (
        "return await new Promise((resolve, reject) => {"
        "const x = new XMLHttpRequest();"
        f"x.open({_js(method)}, {_js(url)});"
        f"x.withCredentials = {_js(with_credentials)};"
        f"{sets}"
        + ("x.upload.onprogress = () => {};" if upload_listener else "")
        + "x.onload = () => resolve({status: x.status, body: x.responseText, url: x.responseURL});"
        "x.onerror = () => reject(new Error('XHR error event, status ' + x.status));"
        f"x.send({_js(body)});"
        "});"
    )


def attempt_expr(script: str) -> str:
    """A JS expression running `script` and resolving to {ok, value} or {ok: false, error}."""
    return (
        "(async () => { try { const value = await (async () => {"
        f"{script}"
        "})(); return {ok: true, value}; } catch (e) { return {ok: false, error: String(e)}; } })()"
    )


def sequence_script(scripts: Sequence[str], gap_ms: int = 0) -> str:
    """Run several scripts one after another (with `gap_ms` between), returning the list of
    {ok, value|error} outcomes. Used for preflight-cache cases."""
    parts = []
    for i, s in enumerate(scripts):
        if i and gap_ms:
            parts.append(f"await new Promise(r => setTimeout(r, {int(gap_ms)}));")
        parts.append(f"out.push(await {attempt_expr(s)});")
    return "const out = [];" + "".join(parts) + "return out;"


# -- running a case ------------------------------------------------------------------------------


async def run_case(
    cdp: CDPClient,
    page_url: str,
    script: str,
    *,
    servers: Sequence[CaseServer] = (),
    setup_script: str | None = None,
    quiet: float = 0.12,
    max_settle: float = 1.5,
    timeout: float = 15.0,
) -> CaseResult:
    """Run `script` in a fresh browser context on `page_url` and collect the outcome.

    - `servers`: the CaseServers whose received requests belong to the result (everything they
      receive after the page has loaded and until the case settles; cases run one at a time;
      servers sharing a registry are counted once).
    - `setup_script`: run first (same page, same context), e.g. a credentialed fetch to a path
      that sets a cookie; its console output and requests are not part of the result.
    - settle: after the script's promise resolves, wait until no Audits/Log/Network event has
      arrived for `quiet` seconds (at most `max_settle`).
    """
    t0 = time.monotonic()
    ctx = (await cdp.send("Target.createBrowserContext", {"disposeOnDetach": True}))[
        "browserContextId"
    ]
    try:
        target = (
            await cdp.send("Target.createTarget", {"url": "about:blank", "browserContextId": ctx})
        )["targetId"]
        sid = (await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True}))[
            "sessionId"
        ]
        s = cdp.session(sid)
        await s.send("Page.enable")
        loaded = s.expect("Page.loadEventFired", timeout=timeout)
        nav = await s.send("Page.navigate", {"url": page_url})
        if nav.get("errorText"):
            raise RuntimeError(f"navigation to {page_url} failed: {nav['errorText']}")
        await loaded

        if setup_script:
            setup = await _evaluate(s, setup_script, timeout)
            if not setup.ok:
                raise RuntimeError(f"setup script failed: {setup.error}")

        result = CaseResult(js=JsOutcome(ok=False))
        last_event = [time.monotonic()]

        def touch() -> None:
            last_event[0] = time.monotonic()

        def on_issue(p: dict[str, Any]) -> None:
            touch()
            issue = p["issue"]
            result.issues.append(issue)
            if issue.get("code") == "CorsIssue":
                d = issue["details"]["corsIssueDetails"]
                st = d.get("corsErrorStatus", {})
                name = st.get("corsError", "")
                result.cors_issues.append(
                    CorsIssue(
                        cors_error=name,
                        failed_parameter=st.get("failedParameter", ""),
                        url=d.get("request", {}).get("url", ""),
                        is_preflight=name in PREFLIGHT_ERRORS,
                        is_warning=bool(d.get("isWarning")),
                        request_id=d.get("request", {}).get("requestId", ""),
                        initiator_origin=d.get("initiatorOrigin"),
                    )
                )

        def on_log(p: dict[str, Any]) -> None:
            touch()
            e = p["entry"]
            result.console.append(
                LogEntry(e.get("level", ""), e.get("source", ""), e.get("text", ""), e.get("url"))
            )

        def on_request(p: dict[str, Any]) -> None:
            touch()
            req = p["request"]
            is_pf = p.get("initiator", {}).get("type") == "preflight"
            prev = p.get("redirectResponse")
            result.browser_requests.append(
                BrowserRequest(
                    request_id=p["requestId"],
                    method=req["method"],
                    url=req["url"],
                    type=p.get("type"),
                    is_preflight=is_pf,
                    redirected_from=_previous_url(result.browser_requests, p["requestId"])
                    if prev
                    else None,
                )
            )

        offs = [
            s.on("Audits.issueAdded", on_issue),
            s.on("Log.entryAdded", on_log),
            s.on("Network.requestWillBeSent", on_request),
            s.on("Network.loadingFailed", lambda p: touch()),
            s.on("Network.loadingFinished", lambda p: touch()),
            s.on("Network.responseReceived", lambda p: touch()),
        ]
        registries = list({id(srv.registry): srv.registry for srv in servers}.values())
        marks = [len(reg.log) for reg in registries]
        try:
            for domain in ("Audits", "Log", "Runtime", "Network"):
                await s.send(f"{domain}.enable")
            # Log.enable replays earlier entries (e.g. from the setup script): start clean.
            await asyncio.sleep(0)
            result.console.clear()
            result.issues.clear()
            result.cors_issues.clear()
            result.browser_requests.clear()
            result.js = await _evaluate(s, script, timeout)
            touch()
            deadline = time.monotonic() + max_settle
            while time.monotonic() < deadline:
                idle = time.monotonic() - last_event[0]
                if idle >= quiet:
                    break
                await asyncio.sleep(quiet - idle)
        finally:
            for off in offs:
                off()
        seen: list[SeenRequest] = []
        for reg, mark in zip(registries, marks, strict=True):
            with reg.lock:
                seen.extend(reg.log[mark:])
        result.requests = sorted(seen, key=lambda r: r.time)
        result.duration = time.monotonic() - t0
        return result
    finally:
        with contextlib.suppress(Exception):
            await cdp.send("Target.disposeBrowserContext", {"browserContextId": ctx})


def _previous_url(reqs: list[BrowserRequest], request_id: str) -> str | None:
    for r in reversed(reqs):
        if r.request_id == request_id:
            return r.url
    return None


async def _evaluate(s: Any, script: str, timeout: float) -> JsOutcome:
    resp = await s.send(
        "Runtime.evaluate",
        {"expression": attempt_expr(script), "awaitPromise": True, "returnByValue": True},
        timeout=timeout,
    )
    if "exceptionDetails" in resp:
        return JsOutcome(ok=False, error=json.dumps(resp["exceptionDetails"])[:500])
    val = resp.get("result", {}).get("value") or {}
    if val.get("ok"):
        return JsOutcome(ok=True, value=val.get("value"))
    return JsOutcome(ok=False, error=val.get("error"))
