"""scripts/bench waits for a proxy's own listening socket, not for whichever process holds
the port, never hands out a port twice (proxies start together and bind later), and starts
a proxy again on another port when another process took its port first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from bench_lib import procs  # noqa: E402


def test_listens_names_the_process_that_holds_the_port() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert not procs.listens(os.getpid(), port)  # bound, not listening yet
        server.listen()
        assert procs.listens(os.getpid(), port)
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert not procs.listens(other.pid, port)
        finally:
            other.kill()
            other.wait()
    assert not procs.listens(os.getpid(), port)  # closed


def test_free_port_never_repeats_a_port() -> None:
    # The kernel's own choice repeats (about 30 repeats in 1000 binds to port 0, measured).
    ports = [procs.free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)


@pytest.mark.integration
def test_a_proxy_that_lost_its_port_starts_again_on_another(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process takes the port between `free_port` and the proxy's bind: the proxy
    exits (address already in use) and `ready` starts it again on a fresh port; a connect
    to the taken port would have answered, but the wait is for the proxy's own socket."""
    settings = bench.Settings(
        quick=True,
        rounds=1,
        seconds=1,
        warmup=1,
        nginx_seconds=1,
        memory_flows=(1,),
        har_entries=1,
        modes=("forward",),
        only=set(),
        profile=False,
        profile_seconds=1,
    )
    runner = bench.Bench(Path(sys.executable), settings, tmp_path)
    runner.make_ca()
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        ports = iter([taken])
        real = procs.free_port
        monkeypatch.setattr(procs, "free_port", lambda: next(ports, None) or real())
        first = runner.start_proxy("plain", "forward")
        assert first[1] == taken
        proc, port, _ = runner.ready(first, "plain", "forward")
        try:
            assert port != taken and proc is not first[0]
            assert first[0].popen.poll() is not None  # the first one gave up
            assert "address already in use" in first[0].tail()
            assert procs.listens(proc.pid, port) and not procs.listens(proc.pid, taken)
        finally:
            procs.stop_many([proc, first[0]])
