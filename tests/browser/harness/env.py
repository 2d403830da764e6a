"""What every browser environment shares: the loopback page and API servers, the proxy under test,
and a private event-loop thread (so tests can be sync or async, with any pytest-asyncio loop scope).

`BrowserEnv` (Chromium over CDP), `FirefoxEnv` (WebDriver BiDi) and `WebKitEnv` (MiniBrowser on
Xvfb) add their browser on top. All three expose the same `run(script, case_id=, page_host=,
setup_script=)`, so one scenario catalogue runs in each.
"""

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

from .proxy import ArgvSpec
from .proxy import Proxy
from .servers import BLANK_PAGE
from .servers import CaseServer
from .servers import Resp

T = TypeVar("T")

PAGE_HOST = "127.0.0.1"
CROSS_SITE_HOST = "127.0.0.2"


class BaseEnv:
    """Servers and proxy for one proxy command line (the browser is the subclass's).

    Origins (all loopback, ephemeral ports):
    - `origin_a`   page server on 127.0.0.1 ("origin A")
    - `origin_a2`  page server on 127.0.0.2 (a cross-site page origin)
    - `origin_b`   API on 127.0.0.1 (same site as A, other port: cross-origin)
    - `origin_x`   API on 127.0.0.2 (cross-site from A)
    - `origin_bs`  API over HTTPS on 127.0.0.1 (self-signed; mitmproxy talks to it with
      ssl_insecure; each browser trusts mitmproxy's certificates its own way)
    `api`, `api_x` and `api_tls` share one route table and one request log.
    """

    engine = ""  # "chromium" | "firefox" | "webkit"
    user_agent = ""  # the browser's own User-Agent, once started
    browser_version = ""  # e.g. "Chrome/156.0...", "Firefox 153.8.0", "WebKitGTK 2.50.6"

    def __init__(
        self,
        proxy_argv: ArgvSpec | None = None,
        *,
        workdir: str | Path | None = None,
        proxy_env: dict[str, str] | None = None,
        proxy_cwd: str | Path | None = None,
    ) -> None:
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"cors-{self.engine or 'env'}-"))
        self.pages = CaseServer(
            (PAGE_HOST, CROSS_SITE_HOST),
            default=Resp(200, [("Content-Type", "text/html; charset=utf-8")], BLANK_PAGE),
        )
        self.api = CaseServer((PAGE_HOST, CROSS_SITE_HOST))
        self.api_tls = CaseServer((PAGE_HOST,), tls=True, registry=self.api.registry)
        self.proxy = Proxy(proxy_argv, workdir=self.workdir / "proxy", env=proxy_env, cwd=proxy_cwd)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._case_lock: asyncio.Lock | None = None  # created on the env's loop

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> BaseEnv:
        try:
            for srv in (self.pages, self.api, self.api_tls):
                srv.start()
            self.proxy.start()
            self._thread.start()
            self._start_browser()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_browser(self) -> None:
        raise NotImplementedError

    def _stop_browser(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Browser first, then proxy, then servers; the work dir goes unless it was given."""
        with contextlib.suppress(Exception):
            self._stop_browser()
        self.proxy.stop()
        for srv in (self.pages, self.api, self.api_tls):
            with contextlib.suppress(Exception):
                srv.stop()
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> BaseEnv:
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

    async def _serial(self, coro: Coroutine[Any, Any, T]) -> T:
        # Cases attribute server requests by time window, so they must not overlap.
        if self._case_lock is None:
            self._case_lock = asyncio.Lock()
        async with self._case_lock:
            return await coro

    def _case(
        self, script: str, page_url: str | None, case_id: str, page_host: str, **kwargs: Any
    ) -> Coroutine[Any, Any, Any]:
        raise NotImplementedError

    def run(
        self,
        script: str,
        *,
        case_id: str = "case",
        page_host: str = PAGE_HOST,
        page_url: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run one case (kwargs: setup_script, and the engine's settle/timeout knobs)."""
        return self.call(self._serial(self._case(script, page_url, case_id, page_host, **kwargs)))

    async def arun(
        self,
        script: str,
        *,
        case_id: str = "case",
        page_host: str = PAGE_HOST,
        page_url: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return await self.acall(
            self._serial(self._case(script, page_url, case_id, page_host, **kwargs))
        )
