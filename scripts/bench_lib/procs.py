"""Child processes: start, wait for a port, stop gracefully, read RSS and CPU from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now and never handed out before by this process: proxies started
    together would otherwise race for a port the kernel offered twice."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def listens(pid: int, port: int, host: str = "127.0.0.1") -> bool:
    """Whether process `pid` itself listens on host:port (/proc/net/tcp's listening socket
    is one of its file descriptors), not another process that took the port first."""
    address = f"{int.from_bytes(socket.inet_aton(host), sys.byteorder):08X}:{port:04X}"
    with open("/proc/net/tcp") as f:
        inodes = {
            fields[9]
            for fields in (line.split() for line in f)
            if fields[1] == address and fields[3] == "0A"  # 0A: LISTEN
        }
    if not inodes:
        return False
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            link = os.readlink(f"{fd_dir}/{fd}")
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    return False


def wait_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float, what: str) -> None:
    """Until `proc` listens on 127.0.0.1:`port` (without `proc`: until something does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with status {proc.returncode} before listening")
            if listens(proc.pid, port):
                return
        else:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


_started: list[Proc] = []


def stop_all() -> None:
    """Stop every child still running (the bench was interrupted, or failed)."""
    for proc in _started:
        with contextlib.suppress(Exception):
            proc.stop(timeout=5)


def stop_many(procs: Sequence[Proc], timeout: float = 15.0) -> None:
    """Stop several children at once: SIGTERM to all, then wait for each (`Proc.stop`)."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.stop(timeout)


class Proc:
    """One child process, its output in a log file (in its own session, so that a Ctrl-C
    in the terminal reaches the bench only: `stop_all` stops the children in order)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        log: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self._terminated = False
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _started.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM, once: mitmproxy shuts down gracefully and runs `done`."""
        if self.popen.poll() is None and not self._terminated:
            self._terminated = True
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (unless already sent), SIGKILL on timeout; the exit status."""
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK
