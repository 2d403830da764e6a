"""Locate, start and stop WebKitGTK's MiniBrowser on a private Xvfb (browser-engines.md).

Not WebDriver: automation sessions are ephemeral and WebKit writes console messages only for
non-ephemeral ones. MiniBrowser runs with `--enable-write-console-messages-to-stdout=true`; the
lines arrive on stderr as `[<url>:<line>:<col>: ]CONSOLE <SOURCE> <LEVEL> <text>`.

- `Xvfb -displayfd` picks a free display; both run in their own process groups, stopped by PID
  (browser first, then the display).
- A fresh HOME/XDG tree per start: MiniBrowser would otherwise keep a disk cache across runs.
- `--proxy=` sends loopback through the proxy too; `--ignore-tls-errors` lets HTTPS through
  mitmproxy (it ignores every TLS error).
"""

from __future__ import annotations

import glob
import os
import pty
import select
import shutil
import subprocess
import tempfile
import threading
import time
import tty
from pathlib import Path

from .firefox import PROXY_VARS
from .procs import terminate

ENV_VAR = "CORS_MINIBROWSER"
PATTERN = "/usr/lib/*/webkit2gtk-4.1/MiniBrowser"


def find_minibrowser() -> str | None:
    """`CORS_MINIBROWSER` when set, else /usr/lib/<triplet>/webkit2gtk-4.1/MiniBrowser."""
    candidates = [os.environ[ENV_VAR]] if os.environ.get(ENV_VAR) else sorted(glob.glob(PATTERN))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def find_xvfb() -> str | None:
    return shutil.which("Xvfb")


class Xvfb:
    """A private X display (`:N` chosen by Xvfb itself), no TCP."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or find_xvfb()
        if not self.binary:
            raise FileNotFoundError("no Xvfb (install the xvfb package)")
        self.proc: subprocess.Popen[bytes] | None = None
        self.display: str | None = None

    def start(self, timeout: float = 15.0) -> str:
        rfd, wfd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [self.binary, "-displayfd", str(wfd), "-nolisten", "tcp", "-screen", "0",
                 "1024x768x24"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(wfd,),
                start_new_session=True,
            )  # fmt: skip
            os.close(wfd)
            wfd = -1
            buf = b""
            deadline = time.monotonic() + timeout
            while b"\n" not in buf and time.monotonic() < deadline:
                ready, _, _ = select.select([rfd], [], [], 0.1)
                if ready:
                    chunk = os.read(rfd, 64)
                    if not chunk:
                        break
                    buf += chunk
            if b"\n" not in buf:
                self.stop()
                raise RuntimeError("Xvfb did not report a display number")
            self.display = ":" + buf.split(b"\n")[0].decode().strip()
            return self.display
        finally:
            os.close(rfd)
            if wfd >= 0:
                os.close(wfd)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            terminate(proc, 3.0)


class MiniBrowser:
    """One MiniBrowser process with a fresh profile tree; console lines go to `stderr_path`."""

    def __init__(
        self,
        proxy_port: int,
        display: str,
        *,
        binary: str | None = None,
        workdir: str | os.PathLike[str] | None = None,
    ) -> None:
        binary = binary or find_minibrowser()
        if not binary:
            raise FileNotFoundError(
                f"no MiniBrowser found (set {ENV_VAR} or install libwebkit2gtk-4.1-0)"
            )
        self.binary = binary
        self.proxy_port = proxy_port
        self.display = display
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cors-webkit-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.home: Path | None = None
        self.stderr_path = self.workdir / "minibrowser.stderr"
        self.proc: subprocess.Popen[bytes] | None = None
        self._copier: threading.Thread | None = None
        self.starts = 0

    def environment(self) -> dict[str, str]:
        assert self.home is not None
        home = self.home
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
        for sub in ("cache", "data", "config", "run"):
            (home / sub).mkdir(exist_ok=True)
        (home / "run").chmod(0o700)
        env.update(
            DISPLAY=self.display,
            GDK_BACKEND="x11",
            HOME=str(home),
            XDG_CACHE_HOME=str(home / "cache"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_RUNTIME_DIR=str(home / "run"),
            GSETTINGS_BACKEND="memory",
            NO_AT_BRIDGE="1",
            LIBGL_ALWAYS_SOFTWARE="1",
            WEBKIT_DISABLE_COMPOSITING_MODE="1",
            WEBKIT_DISABLE_DMABUF_RENDERER="1",
            LANG="C.UTF-8",
        )
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def start(self, url: str) -> None:
        """Start on `url`; stderr is appended to (one file across restarts)."""
        self.home = Path(tempfile.mkdtemp(prefix="home-", dir=self.workdir))
        argv = [
            self.binary,
            "--enable-write-console-messages-to-stdout=true",
            f"--proxy=http://127.0.0.1:{self.proxy_port}",
            "--ignore-tls-errors",
            url,
        ]
        # The console lines are written with stdio: to a file or a pipe they are block-buffered
        # and arrive only at exit (stdbuf did not help). On a terminal stdio flushes every line,
        # so MiniBrowser gets a pty (raw: no \r added) that a thread copies to `stderr_path`.
        master, slave = pty.openpty()
        tty.setraw(slave)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=slave,
                stderr=slave,
                env=self.environment(),
                start_new_session=True,
            )
        finally:
            os.close(slave)
        self._copier = threading.Thread(target=_copy, args=(master, self.stderr_path), daemon=True)
        self._copier.start()
        self.starts += 1

    def version(self) -> str:
        """`WebKitGTK 2.50.6` (`--version` needs the display too)."""
        self.home = self.home or Path(tempfile.mkdtemp(prefix="home-", dir=self.workdir))
        out = subprocess.run(
            [self.binary, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.environment(),
            check=False,
        )
        return (out.stdout or out.stderr).strip().splitlines()[0]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        copier, self._copier = self._copier, None
        if proc is not None:
            # WebKitNetworkProcess and WebKitWebProcess share MiniBrowser's process group.
            terminate(proc, 3.0)
        if copier is not None:
            copier.join(3)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def close(self) -> None:
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _copy(master: int, path: Path) -> None:
    """Append everything written to the pty to `path` until every writer has closed it."""
    with open(path, "ab", buffering=0) as out:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last process holding the slave exited
                break
            if not chunk:
                break
            out.write(chunk)
    os.close(master)
