"""Running documented shell commands: in order in one shell (`run`, `setup`, `output`), each
with --help (`help`), or started and stopped (`start`)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from doc_blocks import strip_comment


@dataclass
class Result:
    commands: list[str]
    statuses: list[int]
    output: str

    def check(self, allowed: set[int], where: str) -> None:
        report = f"{where}: output:\n{self.output[-6000:]}"
        assert len(self.statuses) == len(self.commands), (
            f"the shell stopped after {len(self.statuses)} of {len(self.commands)} commands;"
            f" {report}"
        )
        for command, status in zip(self.commands, self.statuses, strict=True):
            assert status in allowed, f"`{command}` exited with {status}; {report}"


def run_commands(
    commands: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    prefix: list[str] | None = None,
) -> Result:
    """Run the commands in order in one bash (so that cd, export and activate carry over, as in
    a terminal), with pipefail; each one's exit status is recorded. `prefix`: e.g. the network
    namespace's."""
    with tempfile.TemporaryDirectory(prefix="doc-test-") as tmp:
        status_file = Path(tmp) / "status"
        script = ["set -o pipefail"]
        for command in commands:
            script.append(command)
            script.append(f'printf "%s\\n" "$?" >> "{status_file}"')
        done = subprocess.run(
            [*(prefix or []), "bash", "-c", "\n".join(script)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        statuses = [int(x) for x in status_file.read_text().split()] if status_file.exists() else []
    return Result(commands, statuses, done.stdout)


def run_help(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command with --help at its end (a long-running command then only shows its usage)."""
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail\n{strip_comment(command)} --help"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


def network_namespace() -> list[str] | None:
    """A prefix that runs a command in a network namespace of its own (its own loopback, so
    documented ports like 8080 are free whatever else runs here), or None when unavailable."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-rn"], ["unshare", "-n"]):  # as a user; as root
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return None


def start_and_stop(
    command: str, cwd: Path, env: dict[str, str], ready: str, prefix: list[str]
) -> tuple[bool, int | None, str]:
    """Start a long-running command, wait for `ready` (a regex) in its output, Ctrl-C it.
    (ready seen, exit status, output)."""
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(
            [*prefix, "bash", "-c", strip_comment(command)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        seen = False
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                out.seek(0)
                if re.search(ready, out.read()):
                    seen = True
                    break
                time.sleep(0.1)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
            try:
                code: int | None = proc.wait(20)
            except subprocess.TimeoutExpired:
                code = None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.seek(0)
        return seen, code, out.read()
