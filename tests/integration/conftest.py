from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from proxy_harness import Proxy
from proxy_harness import Server


class Proxies:
    """Starts proxies and guarantees they are gone afterwards, whatever happened."""

    def __init__(self, base: Path, validate_event: Callable[[dict], dict]) -> None:
        self.base = base
        self.validate_event = validate_event
        self.started: list[Proxy] = []

    def new(self, name: str, args: list[str] | tuple[str, ...] = (), **kw: Any) -> Proxy:
        proxy = Proxy(self.base / name, args, **kw)
        self.started.append(proxy)
        return proxy

    def start(self, name: str, args: list[str] | tuple[str, ...] = (), **kw: Any) -> Proxy:
        return self.new(name, args, **kw).start()

    def close(self) -> None:
        """SIGTERM every proxy still running (then SIGKILL its process group)."""
        self.stopped: dict[int, tuple[Proxy, int | None]] = {}
        for proxy in self.started:
            if proxy.proc is not None and proxy.returncode is None:
                self.stopped[id(proxy)] = (proxy, proxy.stop())
            else:
                proxy.kill()

    def check_logs(self) -> None:
        """Every proxy stopped with SIGTERM exited with 0; every log left behind is whole
        JSONL, every line valid against the schema."""
        for proxy, code in self.stopped.values():
            assert code == 0, f"SIGTERM: exit status {code}\n{proxy.output()}"
        for proxy in self.started:
            text = proxy.log_text()
            if proxy.returncode == 0 and text:
                assert text.endswith("\n"), f"last line of {proxy.log_path} is not whole"
            for line in text.splitlines():
                self.validate_event(json.loads(line))


@contextlib.contextmanager
def _proxies(base: Path, validate_event: Callable[[dict], dict]) -> Iterator[Proxies]:
    proxies = Proxies(base, validate_event)
    try:
        yield proxies
    finally:
        proxies.close()
    proxies.check_logs()


@pytest.fixture(scope="module")
def module_proxies(tmp_path_factory, validate_event) -> Iterator[Proxies]:
    """Proxies shared by the tests of a module (stopped at its end)."""
    with _proxies(tmp_path_factory.mktemp("proxies"), validate_event) as proxies:
        yield proxies


@pytest.fixture
def proxies(tmp_path, validate_event) -> Iterator[Proxies]:
    """Proxies of one test (stopped at its end, even when it fails)."""
    with _proxies(tmp_path, validate_event) as p:
        yield p


@pytest.fixture(scope="module")
def api() -> Iterator[Server]:
    """A local API server; tests add their routes (use distinct paths per test)."""
    with Server() as server:
        yield server
