"""Firefox's environment: servers, the proxy under test, headless Firefox ESR and a BiDi session.

Each case gets a fresh user context (own cookies and caches, like a fresh Chromium context) and a
tab in it; the page is loaded from the page origin, the script evaluated with `awaitPromise`, and
the case settles once no log or network event of that tab has arrived for `quiet` seconds (and,
when the script failed, once an error-level console line has arrived: the log event and the
script result travel separately).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Coroutine
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .bidi import BiDiClient
from .consoles import ConsoleLine
from .engine_result import EngineResult
from .env import BaseEnv
from .firefox import Firefox
from .firefox import omni_ja
from .proxy import ArgvSpec
from .runner import JsOutcome
from .runner import attempt_expr
from .servers import CaseServer
from .servers import SeenRequest

FAILED = "TypeError: NetworkError when attempting to fetch resource."


class FirefoxEnv(BaseEnv):
    engine = "firefox"

    def __init__(
        self,
        proxy_argv: ArgvSpec | None = None,
        *,
        workdir: str | Path | None = None,
        firefox_binary: str | None = None,
        proxy_env: dict[str, str] | None = None,
        proxy_cwd: str | Path | None = None,
    ) -> None:
        super().__init__(proxy_argv, workdir=workdir, proxy_env=proxy_env, proxy_cwd=proxy_cwd)
        self._binary = firefox_binary
        self.firefox: Firefox | None = None
        self.bidi: BiDiClient | None = None
        self.omni: Path | None = None
        self._log: list[tuple[str, ConsoleLine]] = []  # (context, line)
        self._activity: dict[str, float] = {}  # context -> time of its last event

    def start(self) -> FirefoxEnv:
        super().start()
        return self

    def __enter__(self) -> FirefoxEnv:
        return self.start()

    def _start_browser(self) -> None:
        self.firefox = Firefox(self.proxy.port, binary=self._binary, workdir=self.workdir / "ff")
        ws_url = self.firefox.start()
        self.omni = omni_ja(self.firefox.binary)
        self.bidi = self.call(BiDiClient.connect(ws_url))
        caps = {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}}
        session = self.call(self.bidi.send("session.new", caps))["capabilities"]
        self.user_agent = session["userAgent"]
        self.browser_version = f"Firefox {session['browserVersion']}"
        self.call(self._subscribe())

    async def _subscribe(self) -> None:
        assert self.bidi is not None
        self.bidi.on("log.entryAdded", self._on_log)
        for event in (
            "network.beforeRequestSent",
            "network.responseCompleted",
            "network.fetchError",
        ):
            self.bidi.on(event, self._on_network)
        await self.bidi.send(
            "session.subscribe",
            {
                "events": [
                    "log.entryAdded",
                    "network.beforeRequestSent",
                    "network.responseCompleted",
                    "network.fetchError",
                ]
            },
        )

    def _on_log(self, p: dict[str, Any]) -> None:
        ctx = p.get("source", {}).get("context", "")
        self._activity[ctx] = time.monotonic()
        self._log.append(
            (ctx, ConsoleLine(p.get("level", ""), p.get("type", ""), p.get("text") or ""))
        )

    def _on_network(self, p: dict[str, Any]) -> None:
        self._activity[p.get("context") or ""] = time.monotonic()

    def _stop_browser(self) -> None:
        if self.bidi is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.bidi.send("browser.close", timeout=5), timeout=6)
            with contextlib.suppress(Exception):
                self.call(self.bidi.close(), timeout=5)
            self.bidi = None
        if self.firefox is not None:
            self.firefox.stop()
            self.firefox = None

    def _case(
        self, script: str, page_url: str | None, case_id: str, page_host: str, **kwargs: Any
    ) -> Coroutine[Any, Any, EngineResult]:
        assert self.bidi is not None, "FirefoxEnv not started"
        return self._run_case(
            page_url or self.page_url(case_id, host=page_host),
            script,
            servers=(self.pages, self.api),
            **kwargs,
        )

    async def _run_case(
        self,
        page_url: str,
        script: str,
        *,
        servers: Sequence[CaseServer] = (),
        setup_script: str | None = None,
        quiet: float = 0.2,
        max_settle: float = 3.0,
        timeout: float = 20.0,
    ) -> EngineResult:
        bidi = self.bidi
        assert bidi is not None
        t0 = time.monotonic()
        uc = (await bidi.send("browser.createUserContext"))["userContext"]
        try:
            ctx = (await bidi.send("browsingContext.create", {"type": "tab", "userContext": uc}))[
                "context"
            ]
            await bidi.send(
                "browsingContext.navigate",
                {"context": ctx, "url": page_url, "wait": "complete"},
                timeout=timeout,
            )
            if setup_script:
                setup = await self._evaluate(ctx, setup_script, timeout)
                if not setup.ok:
                    raise RuntimeError(f"setup script failed: {setup.error}")
                await self._settle(ctx, len(self._log), quiet, max_settle, want_error=False)
            registries = list({id(srv.registry): srv.registry for srv in servers}.values())
            marks = [len(reg.log) for reg in registries]
            log_mark = len(self._log)
            js = await self._evaluate(ctx, script, timeout)
            failed = not js.ok or _any_attempt_failed(js.value)
            await self._settle(ctx, log_mark, quiet, max_settle, want_error=failed)
            console = [line for c, line in self._log[log_mark:] if c == ctx]
            seen: list[SeenRequest] = []
            for reg, mark in zip(registries, marks, strict=True):
                with reg.lock:
                    seen.extend(reg.log[mark:])
            return EngineResult(
                engine="firefox",
                js=js,
                console=console,
                requests=sorted(seen, key=lambda r: r.time),
                duration=time.monotonic() - t0,
                omni=self.omni,
            )
        finally:
            with contextlib.suppress(Exception):
                await bidi.send("browser.removeUserContext", {"userContext": uc})

    async def _settle(
        self, ctx: str, log_mark: int, quiet: float, max_settle: float, want_error: bool
    ) -> None:
        """Until no event of `ctx` for `quiet` s (and, with `want_error`, an error line arrived
        after `log_mark`), at most `max_settle` s."""
        start = time.monotonic()
        deadline = start + max_settle
        self._activity[ctx] = max(self._activity.get(ctx, 0.0), start)
        while time.monotonic() < deadline:
            idle = time.monotonic() - self._activity[ctx]
            have_error = not want_error or any(
                c == ctx and line.level == "error" for c, line in self._log[log_mark:]
            )
            if idle >= quiet and have_error:
                return
            await asyncio.sleep(max(0.02, quiet - idle) if have_error else 0.05)

    async def _evaluate(self, ctx: str, script: str, timeout: float) -> JsOutcome:
        assert self.bidi is not None
        expr = f"(async () => JSON.stringify(await {attempt_expr(script)}))()"
        resp = await self.bidi.send(
            "script.evaluate",
            {"expression": expr, "target": {"context": ctx}, "awaitPromise": True},
            timeout=timeout,
        )
        if resp.get("type") == "exception":
            return JsOutcome(ok=False, error=json.dumps(resp.get("exceptionDetails"))[:500])
        val = json.loads(resp["result"]["value"])
        if val.get("ok"):
            return JsOutcome(ok=True, value=val.get("value"))
        return JsOutcome(ok=False, error=val.get("error"))


def _any_attempt_failed(value: Any) -> bool:
    """sequence_script returns a list of {ok, value|error}: did any attempt throw?"""
    return isinstance(value, list) and any(
        isinstance(v, dict) and v.get("ok") is False for v in value
    )
