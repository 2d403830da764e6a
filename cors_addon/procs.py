"""Child processes the demo and the launcher start and stop: the proxy and the browser.

Each gets its own process group (POSIX), so that a Ctrl-C in the terminal reaches only our
process, which then stops each child with its whole group (Chromium's zygote and renderers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

OWN_GROUP: dict[str, int] = {"process_group": 0} if os.name == "posix" else {}
POLL = 0.05


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(OSError):
        if OWN_GROUP:
            os.killpg(proc.pid, sig)
        elif proc.poll() is None:
            proc.send_signal(sig)


def group_alive(proc: subprocess.Popen[bytes]) -> bool:
    if not OWN_GROUP:
        return proc.poll() is None
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 3.0) -> None:
    """SIGTERM the process's group; after `grace` s, SIGKILL what is left of it."""
    if proc is None:
        return
    if proc.poll() is None:
        signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap it, so that a zombie leader does not keep the group alive
        if proc.returncode is not None and not group_alive(proc):
            return
        time.sleep(POLL)
    signal_group(proc, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace)
