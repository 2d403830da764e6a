"""Everything a browser test needs, started once: page + API servers, the proxy, Chromium and a
CDP connection living on a private event-loop thread (so tests can be sync or async, with any
pytest-asyncio loop scope)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from typing import TypeVar

from .cdp import CDPClient
from .chromium import Chromium
from .proxy import ArgvSpec
from .proxy import Proxy
from .runner import CaseResult
from .runner import run_case
from .servers import BLANK_PAGE
from .servers import CaseServer
from .servers import Resp

T = TypeVar("T")

PAGE_HOST = "127.0.0.1"
CROSS_SITE_HOST = "127.0.0.2"


class BrowserEnv:
    """Servers, proxy and browser for one proxy command line.

    Origins (all loopback, ephemeral ports):
    - `origin_a`   page server on 127.0.0.1 ("origin A")
    - `origin_a2`  page server on 127.0.0.2 (a cross-site page origin)
    - `origin_b`   API on 127.0.0.1 (same site as A, other port: cross-origin)
    - `origin_x`   API on 127.0.0.2 (cross-site from A)
    - `origin_bs`  API over HTTPS on 127.0.0.1 (self-signed; mitmproxy talks to it with
      ssl_insecure, Chromium trusts mitmproxy's CA by SPKI pin)
    `api`, `api_x` and `api_tls` share one route table and one request log.
    """

    def __init__(
        self,
        proxy_argv: ArgvSpec | None = None,
        *,
        workdir: str | Path | None = None,
        chromium_binary: str | None = None,
        proxy_env: dict[str, str] | None = None,
        proxy_cwd: str | Path | None = None,
    ) -> None:
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cors-browser-"))
        self.pages = CaseServer(
            (PAGE_HOST, CROSS_SITE_HOST),
            default=Resp(200, [("Content-Type", "text/html; charset=utf-8")], BLANK_PAGE),
        )
        self.api = CaseServer((PAGE_HOST, CROSS_SITE_HOST))
        self.api_tls = CaseServer((PAGE_HOST,), tls=True, registry=self.api.registry)
        self.proxy = Proxy(proxy_argv, workdir=self.workdir / "proxy", env=proxy_env, cwd=proxy_cwd)
        self._chromium_binary = chromium_binary
        self.chromium: Chromium | None = None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.cdp: CDPClient | None = None
        self._case_lock: asyncio.Lock | None = None  # created on the env's loop

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> BrowserEnv:
        try:
            for srv in (self.pages, self.api, self.api_tls):
                srv.start()
            self.proxy.start()
            self.chromium = Chromium(
                self.proxy.port,
                binary=self._chromium_binary,
                spki_pin=self.proxy.spki_pin(),
                workdir=self.workdir / "chromium",
            )
            ws_url = self.chromium.start()
            self._thread.start()
            self.cdp = self.call(CDPClient.connect(ws_url))
            version = self.call(self.cdp.send("Browser.getVersion"))
            self.user_agent: str = version["userAgent"]
            self.browser_version: str = version["product"]
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Browser first, then proxy, then servers; the work dir goes unless it was given."""
        if self.cdp is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.cdp.close(), timeout=5)
            self.cdp = None
        if self.chromium is not None:
            self.chromium.stop()
            self.chromium = None
        self.proxy.stop()
        for srv in (self.pages, self.api, self.api_tls):
            with contextlib.suppress(Exception):
                srv.stop()
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> BrowserEnv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- origins ---------------------------------------------------------------------------
    @property
    def origin_a(self) -> str:
        return self.pages.origin_for(PAGE_HOST)

    @property
    def origin_a2(self) -> str:
        return self.pages.origin_for(CROSS_SITE_HOST)

    @property
    def origin_b(self) -> str:
        return self.api.origin_for(PAGE_HOST)

    @property
    def origin_x(self) -> str:
        return self.api.origin_for(CROSS_SITE_HOST)

    @property
    def origin_bs(self) -> str:
        return self.api_tls.origin

    def placeholders(self) -> dict[str, str]:
        """Values for `{A}`, `{A2}`, `{B}`, `{X}`, `{BS}` in scenario text."""
        return {
            "A": self.origin_a,
            "A2": self.origin_a2,
            "B": self.origin_b,
            "X": self.origin_x,
            "BS": self.origin_bs,
        }

    def page_url(self, case_id: str, *, host: str = PAGE_HOST) -> str:
        return self.pages.origin_for(host) + f"/p/{case_id}"

    # -- running ---------------------------------------------------------------------------
    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on the env's loop from synchronous code."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def acall(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a coroutine on the env's loop from any other event loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def _case(
        self, script: str, page_url: str | None, case_id: str, page_host: str, **kwargs: Any
    ) -> Coroutine[Any, Any, CaseResult]:
        assert self.cdp is not None, "BrowserEnv not started"
        return self._serial(
            run_case(
                self.cdp,
                page_url or self.page_url(case_id, host=page_host),
                script,
                servers=(self.pages, self.api),
                **kwargs,
            )
        )

    async def _serial(self, coro: Coroutine[Any, Any, T]) -> T:
        # Cases attribute server requests by time window, so they must not overlap.
        if self._case_lock is None:
            self._case_lock = asyncio.Lock()
        async with self._case_lock:
            return await coro

    def run(
        self,
        script: str,
        *,
        case_id: str = "case",
        page_host: str = PAGE_HOST,
        page_url: str | None = None,
        **kwargs: Any,
    ) -> CaseResult:
        """Synchronous `run_case` on this env (kwargs: setup_script, quiet, max_settle, timeout)."""
        return self.call(self._case(script, page_url, case_id, page_host, **kwargs))

    async def arun(
        self,
        script: str,
        *,
        case_id: str = "case",
        page_host: str = PAGE_HOST,
        page_url: str | None = None,
        **kwargs: Any,
    ) -> CaseResult:
        return await self.acall(self._case(script, page_url, case_id, page_host, **kwargs))
