"""The proxy warns when the browser sends its localhost traffic around it (cors_addon/bypass.py).

Chromium is started with the launcher's switches but WITHOUT `--proxy-bypass-list=<-loopback>`,
i.e. as a user's browser pointed at the proxy by hand. A page on 127.0.0.1 calls a non-loopback
host (which does go through the proxy; the loopback guard answers it locally) and its API on
127.0.0.1 (which goes around the proxy). The proxy must print the bypass warning. Control: with
the launcher's full switches the same page reaches the proxy with both calls and no warning is
printed. CORS_ADDON_BYPASS_DELAY shortens the warning's 5 s delay to 0.5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from harness import CaseServer
from harness import Proxy
from harness import Resp
from harness import fetch_script
from harness import run_case
from harness import sequence_script
from test_launcher import LOOPBACK_FLAG
from test_launcher import PAGE
from test_launcher import launched_chromium

from cors_addon import launcher

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

DELAY = 0.5
WARNING = "none of its requests to localhost do: the browser sends loopback traffic around"
REMOTE = "http://api.bypass-test.example/data"  # not loopback: the proxy's guard answers it


class Setup:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pages = CaseServer(
            ("127.0.0.1",), default=Resp(200, [("Content-Type", "text/html")], PAGE)
        )
        self.api = CaseServer(("127.0.0.1",))
        self.api.register(
            "bypass",
            actual=Resp(
                200, [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/plain")]
            ),
        )
        self.proxies: dict[str, Proxy] = {}

    def start_proxies(self, *names: str) -> None:
        """One proxy per test (the detector's state is per proxy), started side by side."""
        for name in names:
            self.proxies[name] = self._proxy(name)
        with ThreadPoolExecutor(len(names)) as pool:
            list(pool.map(Proxy.start, self.proxies.values()))

    def _proxy(self, name: str) -> Proxy:
        argv = [
            sys.executable, "-m", "cors_addon", "--listen-host", "127.0.0.1", "-p", "{port}",
            "--set", "confdir={confdir}", "--set", "cors_rules=", "-s", "{guard}",
            "--set", "cors_log={workdir}/cors.jsonl",
        ]  # fmt: skip
        return Proxy(argv, workdir=self.workdir / name, env={"CORS_ADDON_BYPASS_DELAY": str(DELAY)})

    async def run(self, proxy: Proxy, *, loopback: bool, profile: Path) -> Any:
        args = launcher.chromium_args(
            f"127.0.0.1:{proxy.port}",
            str(profile),
            proxy.spki_pin(),
            headless=True,
            remote_debugging_port=0,
        )
        if not loopback:
            args = [a for a in args if a != LOOPBACK_FLAG]
        async with launched_chromium(args, profile.parent / "chromium") as cdp:
            return await run_case(
                cdp,
                f"{self.pages.origin}/p/bypass",
                sequence_script([fetch_script(REMOTE), fetch_script(self.api.url("bypass"))]),
                servers=(self.pages, self.api),
            )


@pytest.fixture(scope="module")
def setup(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    # browser_envs: no Chromium -> skip, or fail under CI=true (it starts nothing by itself)
    s = Setup(tmp_path_factory.mktemp("bypass"))
    try:
        s.pages.start()
        s.api.start()
        s.start_proxies("without-loopback", "with-loopback")
        yield s
    finally:
        for proxy in s.proxies.values():
            proxy.stop()
        for server in (s.pages, s.api):
            with contextlib.suppress(Exception):
                server.stop()


def events(proxy: Proxy) -> list[dict[str, Any]]:
    log = proxy.workdir / "cors.jsonl"
    return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []


async def logged(proxy: Proxy, *urls: str, timeout: float = 5.0) -> list[str]:
    """The log's URLs once all of `urls` are among them (lines are written in batches,
    within 0.25 s)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [e["url"] for e in events(proxy)]
        if set(urls) <= set(found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


async def wait_for_output(proxy: Proxy, text: str, timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if text in proxy.logs(tail=1_000_000):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_warns_when_loopback_bypasses_the_proxy(setup: Setup, tmp_path: Path) -> None:
    proxy = setup.proxies["without-loopback"]
    result = await setup.run(proxy, loopback=False, profile=tmp_path / "profile")
    remote, local = result.js.value
    assert not remote["ok"]  # the guard's 403 carries no CORS headers
    assert local["ok"] and local["value"]["status"] == 200  # went straight to the API
    assert await wait_for_output(proxy, WARNING, timeout=DELAY + 5), proxy.logs()
    # the proxy saw the remote call from the local page, never the local call (the tick that
    # warned wrote the log's waiting lines first: all that came before the warning)
    urls = await logged(proxy, REMOTE)
    assert urls == [REMOTE], urls
    out = proxy.logs(tail=1_000_000)
    assert f"requests from the page {setup.pages.origin} reach the proxy" in out
    assert "--proxy-bypass-list='<-loopback>'" in out and "python -m cors_addon browser" in out
    assert out.count(WARNING) == 1  # once


async def test_no_warning_with_the_launcher_switches(setup: Setup, tmp_path: Path) -> None:
    proxy = setup.proxies["with-loopback"]
    result = await setup.run(proxy, loopback=True, profile=tmp_path / "profile")
    remote, local = result.js.value
    assert not remote["ok"] and local["ok"], result.js.value
    urls = await logged(proxy, REMOTE, setup.api.url("bypass"))
    assert REMOTE in urls and setup.api.url("bypass") in urls, urls
    assert not await wait_for_output(proxy, WARNING, timeout=DELAY + 1.5), proxy.logs()
