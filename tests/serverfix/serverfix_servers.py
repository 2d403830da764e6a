"""Start the real servers of the server-fix proofs: an app of serverfix_apps.py in its own process,
or Debian's nginx in front of a plain backend; each with or without a CORS snippet."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

APPS = Path(__file__).with_name("serverfix_apps.py")
NGINX = "/usr/sbin/nginx"
START_TIMEOUT = 30.0

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{http}
    server {{
        listen 127.0.0.1:{port};
{server}
    }}
}}
"""
# The API's own location, as it is before any CORS fix.
BARE_LOCATION = "location / {\n    # ... the location's own directives\n}"
OWN_DIRECTIVES = "# ... the location's own directives"


def nginx_binary() -> str | None:
    return NGINX if Path(NGINX).is_file() else shutil.which("nginx")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"the server did not listen within {START_TIMEOUT} s:\n{log.read_text()}")


@contextlib.contextmanager
def running(argv: list[str], port: int, workdir: Path) -> Iterator[str]:
    """A server process in its own process group; stopped (SIGTERM, then SIGKILL) after."""
    log = workdir / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    try:
        wait_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextlib.contextmanager
def app(framework: str, snippet: str | None, workdir: Path) -> Iterator[str]:
    """The framework's API (serverfix_apps.py) with `snippet` run as printed; yields its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, str(APPS), framework, str(port)]
    if snippet is not None:
        path = workdir / "cors_snippet.py"
        path.write_text(snippet)
        argv.append(str(path))
    with running(argv, port, workdir) as url:
        yield url


def nginx_conf(snippet: str | None, backend: str, port: int, workdir: Path) -> str:
    """nginx.conf for the API proxied to `backend`. The snippet goes where it says: its
    `map` in the http block, its `location` in the server block, with the location's own
    directive (proxy_pass) where the snippet marks it."""
    if snippet is None:
        http, server = "", BARE_LOCATION
    else:
        lines = snippet.splitlines()
        cut = next(i for i, line in enumerate(lines) if line.startswith("# In the server {"))
        http, server = "\n".join(lines[:cut]), "\n".join(lines[cut:])
    own = [line for line in server.splitlines() if line.strip().startswith(OWN_DIRECTIVES)]
    assert len(own) == 1, "the location must say where its own directives go"
    server = server.replace(own[0].strip(), f"proxy_pass {backend};")
    indent = "        "
    return NGINX_CONF.format(
        dir=workdir,
        port=port,
        http="\n".join("    " + line for line in http.splitlines()),
        server="\n".join(indent + line for line in server.splitlines()),
    )


@contextlib.contextmanager
def nginx(snippet: str | None, backend: str, workdir: Path) -> Iterator[str]:
    binary = nginx_binary()
    assert binary is not None
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_conf(snippet, backend, port, workdir))
    test = subprocess.run(
        [binary, "-t", "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert test.returncode == 0, (
        f"nginx -t refused the configuration:\n{test.stderr}\n{conf.read_text()}"
    )
    argv = [binary, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")]
    with running(argv, port, workdir) as url:
        yield url
