"""Process helpers shared by the Chromium and proxy launchers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop a child started with start_new_session=True: SIGTERM its PID, then SIGKILL its group."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # Chromium's helpers (zygote, renderers) share the group whose id is the child's PID.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace)
