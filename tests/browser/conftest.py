"""Fixtures for the real-browser end-to-end tests (see tests/browser/README.md).

- `browser_env`: servers + plain mitmdump + Chromium, started once per session.
- `firefox_env`, `webkit_env`: the same with Firefox ESR (WebDriver BiDi) and WebKitGTK
  (MiniBrowser on Xvfb); `firefox_envs.get(argv)` / `webkit_envs.get(argv)` for another proxy.
- `browser_envs.get(argv)`: the same for another proxy command line (one env per argv, cached for
  the session), e.g. the addon: `browser_envs.get([sys.executable, "-m", "cors_addon", ...])`.
- `proxy`, `page_server`, `api_server`: parts of `browser_env`.

No browser: its tests skip, or fail when CI=true. Under CI=true no test here may skip at all: a
skip (of any cause) is reported as a failure.

test_<engine>_ground_truth.py::test_<engine>_matches_catalogue replays the catalogue through plain
mitmdump, in Chromium, Firefox and WebKit. test_addon_vs_<engine>.py asserts the same declared
outcomes live, through the addon, so the plain replays are only collected with
CORS_GROUND_TRUTH=1 (e.g. to tell a browser change from an addon bug); otherwise they are
deselected (never skipped).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BrowserEnv
from harness import CaseServer
from harness import Proxy
from harness import find_chromium
from harness.env import BaseEnv
from harness.firefox import find_firefox
from harness.firefox_env import FirefoxEnv
from harness.webkit import find_minibrowser
from harness.webkit import find_xvfb
from harness.webkit_env import WebKitEnv

HERE = Path(__file__).resolve().parent


GROUND_TRUTH_ENV = "CORS_GROUND_TRUTH"
GROUND_TRUTH_TESTS = (
    "test_chromium_matches_catalogue",
    "test_firefox_matches_catalogue",
    "test_webkit_matches_catalogue",
)


def _in_here(item: pytest.Item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Everything under tests/browser needs (or documents) the real browser.
    for item in items:
        if _in_here(item):
            item.add_marker(pytest.mark.browser)
    if os.environ.get(GROUND_TRUTH_ENV) == "1":
        return
    # The plain-mitmdump replays of the catalogue are redundant with test_addon_vs_<engine>.py
    # (which assert the same declared outcomes of each engine); deselect them unless asked for.
    dropped = [
        i for i in items if _in_here(i) and getattr(i, "originalname", i.name) in GROUND_TRUTH_TESTS
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped browser test is a failure: the suite must really run there."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not (in_ci() and report.skipped and _in_here(item)) or hasattr(report, "wasxfail"):
        return
    _skip_to_failure(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """The same for a whole module skipped at collection (importorskip, allow_module_level)."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    path = Path(str(collector.path)).resolve()
    if in_ci() and report.skipped and HERE in path.parents:
        _skip_to_failure(report)


def _skip_to_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, which counts as a failure here: {reason}"


def require_chromium() -> str:
    binary = find_chromium()
    if binary is None:
        msg = "no Chromium: install /usr/bin/chromium or set CORS_CHROMIUM to the binary"
        if in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return binary


def require_firefox() -> str:
    binary = find_firefox()
    if binary is None:
        _missing("no Firefox: install firefox-esr or set CORS_FIREFOX to the binary")
    assert binary is not None
    return binary


def require_minibrowser() -> str:
    binary = find_minibrowser()
    if binary is None or find_xvfb() is None:
        _missing(
            "no WebKitGTK MiniBrowser or no Xvfb: install libwebkit2gtk-4.1-0 and xvfb, or set"
            " CORS_MINIBROWSER to the binary"
        )
    assert binary is not None
    return binary


def _missing(msg: str) -> None:
    if in_ci():
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def announce(config: pytest.Config, env: BaseEnv) -> None:
    """Print the browser's version in the test output: the facts are per version."""
    line = f"[{env.engine}] {env.browser_version} | User-Agent: {env.user_agent}"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:  # pragma: no cover
        print(line)
        return
    with capman.global_and_fixture_disabled():  # else the fd capture swallows it
        reporter.write_line("")
        reporter.write_line(line)


class BrowserEnvs:
    """One started BrowserEnv per proxy argv, kept for the whole session."""

    def __init__(
        self,
        tmp: pytest.TempPathFactory,
        binary: str,
        config: pytest.Config | None = None,
        factory: type[BaseEnv] = BrowserEnv,
        binary_arg: str = "chromium_binary",
    ) -> None:
        self._tmp = tmp
        self._binary = binary
        self._config = config
        self._factory = factory
        self._binary_arg = binary_arg
        self._envs: dict[object, Any] = {}

    def get(
        self,
        argv: Sequence[str] | Callable[[int, str], Sequence[str]] | None = None,
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> Any:
        """`argv` as for harness.Proxy: a list with {port}, {confdir}, {guard}, {workdir}
        placeholders, or a callable (port, confdir) -> list; None = plain mitmdump.
        `env`: extra environment for the proxy; `cwd`: its working directory (default: the
        pytest process's; `python -m cors_addon` loads ./rules.toml when there is one)."""
        key = (
            tuple(argv) if argv is not None and not callable(argv) else argv,
            tuple(sorted((env or {}).items())),
            str(cwd) if cwd is not None else None,
        )
        if key not in self._envs:
            workdir = self._tmp.mktemp(f"{self._factory.engine}-env")
            kwargs: dict[str, Any] = {self._binary_arg: self._binary}
            started = self._factory(
                argv, workdir=workdir, proxy_env=env, proxy_cwd=cwd, **kwargs
            ).start()
            self._envs[key] = started
            if self._config is not None:
                announce(self._config, started)
        return self._envs[key]

    def release(self, benv: BaseEnv) -> None:
        """Stop one env before the session ends (e.g. at the end of the module that used it)."""
        for key, val in list(self._envs.items()):
            if val is benv:
                del self._envs[key]
        benv.stop()

    def close(self) -> None:
        for benv in self._envs.values():
            benv.stop()
        self._envs.clear()


@pytest.fixture(scope="session")
def browser_envs(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[BrowserEnvs]:
    envs = BrowserEnvs(tmp_path_factory, require_chromium(), pytestconfig)
    try:
        yield envs
    finally:
        envs.close()


@pytest.fixture(scope="session")
def firefox_envs(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[BrowserEnvs]:
    """Like `browser_envs`, for Firefox ESR: `firefox_envs.get(argv)` -> a started FirefoxEnv."""
    envs = BrowserEnvs(
        tmp_path_factory, require_firefox(), pytestconfig, FirefoxEnv, "firefox_binary"
    )
    try:
        yield envs
    finally:
        envs.close()


@pytest.fixture(scope="session")
def webkit_envs(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[BrowserEnvs]:
    """Like `browser_envs`, for WebKitGTK: `webkit_envs.get(argv)` -> a started WebKitEnv."""
    envs = BrowserEnvs(
        tmp_path_factory, require_minibrowser(), pytestconfig, WebKitEnv, "minibrowser_binary"
    )
    try:
        yield envs
    finally:
        envs.close()


@pytest.fixture(scope="session")
def firefox_env(firefox_envs: BrowserEnvs) -> FirefoxEnv:
    return firefox_envs.get()


@pytest.fixture(scope="session")
def webkit_env(webkit_envs: BrowserEnvs) -> WebKitEnv:
    return webkit_envs.get()


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
