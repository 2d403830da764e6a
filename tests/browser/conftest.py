"""Fixtures for the headless-Chromium end-to-end tests (see tests/browser/README.md).

- `browser_env`: servers + plain mitmdump + Chromium, started once per session.
- `browser_envs.get(argv)`: the same for another proxy command line (one env per argv, cached for
  the session), e.g. the addon: `browser_envs.get([sys.executable, "-m", "cors_addon", ...])`.
- `proxy`, `page_server`, `api_server`: parts of `browser_env`.

No Chromium: the tests skip, or fail when CI=true.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BrowserEnv
from harness import CaseServer
from harness import Proxy
from harness import find_chromium

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/browser needs (or documents) the real browser.
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def require_chromium() -> str:
    binary = find_chromium()
    if binary is None:
        msg = "no Chromium: install /usr/bin/chromium or set CORS_CHROMIUM to the binary"
        if os.environ.get("CI") == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return binary


class BrowserEnvs:
    """One started BrowserEnv per proxy argv, kept for the whole session."""

    def __init__(self, tmp: pytest.TempPathFactory, binary: str) -> None:
        self._tmp = tmp
        self._binary = binary
        self._envs: dict[object, BrowserEnv] = {}

    def get(
        self,
        argv: Sequence[str] | Callable[[int, str], Sequence[str]] | None = None,
        *,
        env: dict[str, str] | None = None,
    ) -> BrowserEnv:
        """`argv` as for harness.Proxy: a list with {port}, {confdir}, {guard}, {workdir}
        placeholders, or a callable (port, confdir) -> list; None = plain mitmdump."""
        key = (
            tuple(argv) if argv is not None and not callable(argv) else argv,
            tuple(sorted((env or {}).items())),
        )
        if key not in self._envs:
            workdir = self._tmp.mktemp("browser-env")
            self._envs[key] = BrowserEnv(
                argv, workdir=workdir, chromium_binary=self._binary, proxy_env=env
            ).start()
        return self._envs[key]

    def close(self) -> None:
        for benv in self._envs.values():
            benv.stop()
        self._envs.clear()


@pytest.fixture(scope="session")
def browser_envs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserEnvs]:
    envs = BrowserEnvs(tmp_path_factory, require_chromium())
    try:
        yield envs
    finally:
        envs.close()


@pytest.fixture(scope="session")
def browser_env(browser_envs: BrowserEnvs) -> BrowserEnv:
    return browser_envs.get()


@pytest.fixture(scope="session")
def proxy(browser_env: BrowserEnv) -> Proxy:
    return browser_env.proxy


@pytest.fixture(scope="session")
def page_server(browser_env: BrowserEnv) -> CaseServer:
    return browser_env.pages


@pytest.fixture(scope="session")
def api_server(browser_env: BrowserEnv) -> CaseServer:
    return browser_env.api
