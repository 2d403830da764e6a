"""Locate, start and stop headless Chromium for the browser end-to-end tests.

The flags are exactly the ones from /work/shared/browser-testing.md; nothing else is added, so the
browser behaves as a user's Chromium would (Playwright and chromedriver add switches that change how
CORS redirects are handled).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .procs import terminate

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "google-chrome")
ENV_VAR = "CORS_CHROMIUM"
_DEVTOOLS_RE = re.compile(r"DevTools listening on (ws://\S+)")


def find_chromium() -> str | None:
    """Return the Chromium executable to use, or None.

    `CORS_CHROMIUM` wins when set (and must point to an executable); otherwise the first of
    /usr/bin/chromium, /usr/bin/chromium-browser and `google-chrome` (on PATH) that exists.
    """
    candidates = [os.environ[ENV_VAR]] if os.environ.get(ENV_VAR) else list(CANDIDATES)
    for cand in candidates:
        path = cand if os.sep in cand else shutil.which(cand)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def chromium_flags(
    proxy_port: int,
    user_data_dir: str | os.PathLike[str],
    spki_pin: str | None = None,
) -> list[str]:
    """The command-line switches from browser-testing.md, in that order."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data_dir}",
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",
        "--remote-debugging-port=0",
    ]
    if spki_pin:
        flags.append(f"--ignore-certificate-errors-spki-list={spki_pin}")
    flags.append("about:blank")
    return flags


class Chromium:
    """One headless Chromium process with a throwaway profile.

    Use as a context manager or call start()/stop(). `ws_url` is the browser-level DevTools
    websocket URL once started.
    """

    def __init__(
        self,
        proxy_port: int,
        *,
        binary: str | None = None,
        spki_pin: str | None = None,
        workdir: str | os.PathLike[str] | None = None,
    ) -> None:
        binary = binary or find_chromium()
        if not binary:
            raise FileNotFoundError(
                f"no Chromium found (set {ENV_VAR} or install /usr/bin/chromium)"
            )
        self.binary = binary
        self.proxy_port = proxy_port
        self.spki_pin = spki_pin
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cors-chromium-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.profile_dir: Path | None = None
        self.stderr_path = self.workdir / "chromium.stderr"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws_url: str | None = None

    @property
    def argv(self) -> list[str]:
        assert self.profile_dir is not None
        return [self.binary, *chromium_flags(self.proxy_port, self.profile_dir, self.spki_pin)]

    def start(self, timeout: float = 20.0) -> str:
        self.profile_dir = Path(tempfile.mkdtemp(prefix="profile-", dir=self.workdir))
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,  # own process group: stop() never touches anyone else
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stderr_path.read_text(errors="replace")
            if m := _DEVTOOLS_RE.search(text):
                self.ws_url = m.group(1)
                return self.ws_url
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.stderr_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"Chromium did not print its DevTools URL; stderr tail:\n{tail}")

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the browser by PID, SIGKILL its process group after `grace` s; drop the
        profile."""
        proc, self.proc = self.proc, None
        socket_dir = _singleton_socket_dir(self.profile_dir)
        if proc is not None:
            terminate(proc, grace)
        if self.profile_dir is not None:
            shutil.rmtree(self.profile_dir, ignore_errors=True)
            self.profile_dir = None
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _singleton_socket_dir(profile: Path | None) -> Path | None:
    """The /tmp/org.chromium.Chromium.XXXXXX dir this browser made for its SingletonSocket
    (Chromium leaves it behind even after a clean exit)."""
    if profile is None:
        return None
    try:
        target = Path(os.readlink(profile / "SingletonSocket")).parent
    except OSError:
        return None
    if target.name.startswith("org.chromium.Chromium.") and target.parent == Path(
        tempfile.gettempdir()
    ):
        return target
    return None
