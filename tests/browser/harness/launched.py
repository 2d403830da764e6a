"""Start Chromium with exactly the given switches and drive it over CDP (for tests that check
switches, like the launcher's, or pages outside the BrowserEnv setup, like mitmweb's UI)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

from .cdp import CDPClient
from .chromium import find_chromium

_DEVTOOLS_RE = re.compile(r"DevTools listening on (ws://\S+)")


@contextlib.asynccontextmanager
async def launched_chromium(
    args: list[str], workdir: Path, env: dict[str, str] | None = None
) -> AsyncIterator[CDPClient]:
    """Start `chromium <args>` (args must hold --user-data-dir and --remote-debugging-port=0),
    connect over CDP, and stop it afterwards: SIGTERM by PID, SIGKILL of its own process group,
    profile and socket dir gone. `env`: the browser's environment (default: ours)."""
    binary = find_chromium()
    assert binary is not None
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_path = workdir / "chromium.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [binary, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            env=env,
        )
    profile = Path(next(a for a in args if a.startswith("--user-data-dir=")).split("=", 1)[1])
    cdp = None
    try:
        deadline = time.monotonic() + 20
        ws_url = None
        while ws_url is None:
            if m := _DEVTOOLS_RE.search(stderr_path.read_text(errors="replace")):
                ws_url = m.group(1)
            elif proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start: {stderr_path.read_text()[-2000:]}")
            else:
                await asyncio.sleep(0.02)
        cdp = await CDPClient.connect(ws_url)
        yield cdp
    finally:
        if cdp is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(cdp.close(), 5)
        socket_dir = None
        with contextlib.suppress(OSError):
            socket_dir = Path(os.readlink(profile / "SingletonSocket")).parent
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(proc.wait, 3)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(proc.wait, 3)
        shutil.rmtree(profile, ignore_errors=True)
        if socket_dir is not None and socket_dir.name.startswith("org.chromium.Chromium."):
            shutil.rmtree(socket_dir, ignore_errors=True)
