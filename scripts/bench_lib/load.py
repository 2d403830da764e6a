"""wrk with the CORS traffic mix (cors_mix.lua), and its summary parsed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("cors_mix.lua")
# One thread per connection: each connection runs the mix in order (a preflight, then the
# request it announced), as one browser tab's fetches would.
CONNECTIONS = 4
LIMIT_LINE = "bench: limit reached"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    errors: int  # socket errors (connect, read, write, timeout)
    bad_status: int  # responses other than 2xx/3xx
    output: str


def available() -> str | None:
    return None if shutil.which("wrk") else "wrk is missing (Debian package wrk)"


def version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].split("Copyright")[0].strip() if text else "?"


def _int(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0


def parse(output: str) -> WrkResult:
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if not m:
        raise RuntimeError(f"cannot read wrk's summary:\n{output}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    requests, seconds = int(m.group(1)), float(m.group(2)) * scale
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = sum(_int(rf"{kind} (\d+)", output) for kind in ("connect", "read", "write", "timeout"))
    return WrkResult(
        requests=requests,
        seconds=seconds,
        rps=float(rps.group(1)) if rps else requests / seconds,
        errors=errors,
        bad_status=_int(r"Non-2xx or 3xx responses: (\d+)", output),
        output=output,
    )


def run(
    port: int,
    *,
    upstream_port: int,
    forward: bool,
    seconds: int,
    limit: int = 0,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """Load 127.0.0.1:`port` with the mix for `seconds` (or until each connection got
    `limit` responses). `forward`: absolute-form request lines (a regular proxy)."""
    upstream = f"127.0.0.1:{upstream_port}"
    env = {
        **os.environ,
        "BENCH_PREFIX": f"http://{upstream}" if forward else "",
        # The Host header names the upstream, as a browser would (reverse mode rewrites it).
        "BENCH_HOST": upstream,
        "BENCH_LIMIT": str(limit),
    }
    duration = f"{max(1, seconds)}s"  # wrk takes whole seconds only
    argv = [
        "wrk",
        f"-t{connections}",
        f"-c{connections}",
        f"-d{duration}",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{port}/",
    ]
    if not limit:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        return parse(done.stdout)
    # wrk waits out -d even after every thread stopped at its limit: the script prints a
    # line per stopped thread, and wrk is interrupted (it then prints its summary).
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    lines = []
    stopped = 0
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(LIMIT_LINE):
            stopped += 1
            if stopped == connections:
                proc.send_signal(signal.SIGINT)
                break
    out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err or out}")
    return parse("".join(lines) + out)
