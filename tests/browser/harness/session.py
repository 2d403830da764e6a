"""Chromium's environment: page + API servers, the proxy, headless Chromium and a CDP connection
living on the env's private event-loop thread (see env.py for what all engines share)."""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from .cdp import CDPClient
from .chromium import Chromium
from .env import CROSS_SITE_HOST
from .env import PAGE_HOST
from .env import BaseEnv
from .proxy import ArgvSpec
from .runner import CaseResult
from .runner import run_case

__all__ = ["CROSS_SITE_HOST", "PAGE_HOST", "BrowserEnv"]


class BrowserEnv(BaseEnv):
    """Servers, proxy and headless Chromium for one proxy command line (origins: `BaseEnv`).
    Chromium trusts mitmproxy's CA by SPKI pin."""

    engine = "chromium"

    def __init__(
        self,
        proxy_argv: ArgvSpec | None = None,
        *,
        workdir: str | Path | None = None,
        chromium_binary: str | None = None,
        proxy_env: dict[str, str] | None = None,
        proxy_cwd: str | Path | None = None,
    ) -> None:
        super().__init__(proxy_argv, workdir=workdir, proxy_env=proxy_env, proxy_cwd=proxy_cwd)
        self._chromium_binary = chromium_binary
        self.chromium: Chromium | None = None
        self.cdp: CDPClient | None = None

    def start(self) -> BrowserEnv:
        super().start()
        return self

    def __enter__(self) -> BrowserEnv:
        return self.start()

    def _start_browser(self) -> None:
        self.chromium = Chromium(
            self.proxy.port,
            binary=self._chromium_binary,
            spki_pin=self.proxy.spki_pin(),
            workdir=self.workdir / "chromium",
        )
        ws_url = self.chromium.start()
        self.cdp = self.call(CDPClient.connect(ws_url))
        version = self.call(self.cdp.send("Browser.getVersion"))
        self.user_agent = version["userAgent"]
        self.browser_version = version["product"]

    def _stop_browser(self) -> None:
        if self.cdp is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.cdp.close(), timeout=5)
            self.cdp = None
        if self.chromium is not None:
            self.chromium.stop()
            self.chromium = None

    def _case(
        self, script: str, page_url: str | None, case_id: str, page_host: str, **kwargs: Any
    ) -> Coroutine[Any, Any, CaseResult]:
        assert self.cdp is not None, "BrowserEnv not started"
        return run_case(
            self.cdp,
            page_url or self.page_url(case_id, host=page_host),
            script,
            servers=(self.pages, self.api),
            **kwargs,
        )

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
        return super().run(
            script, case_id=case_id, page_host=page_host, page_url=page_url, **kwargs
        )

    async def arun(
        self,
        script: str,
        *,
        case_id: str = "case",
        page_host: str = PAGE_HOST,
        page_url: str | None = None,
        **kwargs: Any,
    ) -> CaseResult:
        return await super().arun(
            script, case_id=case_id, page_host=page_host, page_url=page_url, **kwargs
        )
