"""Start and stop the proxy under test as a subprocess, on a free loopback port.

The command line is a template: a list of strings in which `{port}`, `{confdir}`, `{guard}` and
`{workdir}` are substituted (or a callable `(port, confdir) -> list[str]`). The default runs plain
mitmdump from the test venv; the addon's tests pass e.g.

    [sys.executable, "-m", "cors_addon", "--listen-host", "127.0.0.1", "-p", "{port}",
     "--set", "confdir={confdir}", "-s", "{guard}", "--set", "cors_log={workdir}/cors.jsonl"]
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from .procs import terminate

GUARD_SCRIPT = str(Path(__file__).with_name("loopback_guard.py"))


def mitmdump_path() -> str:
    cand = Path(sys.executable).with_name("mitmdump")
    if cand.exists():
        return str(cand)
    found = shutil.which("mitmdump")
    if not found:
        raise FileNotFoundError("mitmdump not found next to sys.executable or on PATH")
    return found


def default_argv() -> list[str]:
    """Plain mitmdump plus the loopback guard. `ssl_insecure` lets it talk to the self-signed
    HTTPS test API."""
    return [
        mitmdump_path(),
        "--listen-host", "127.0.0.1",
        "-p", "{port}",
        "--set", "confdir={confdir}",
        "--set", "ssl_insecure=true",
        "-s", "{guard}",
    ]  # fmt: skip


ArgvSpec = Sequence[str] | Callable[[int, str], Sequence[str]]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def spki_pin(cert_pem: bytes) -> str:
    """base64(sha256(SubjectPublicKeyInfo DER)) for --ignore-certificate-errors-spki-list.

    Same as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256
    -binary | base64`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Proxy:
    """A proxy subprocess in its own process group; stdout/stderr go to files in `workdir`."""

    def __init__(
        self,
        argv: ArgvSpec | None = None,
        *,
        workdir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        """`cwd`: the proxy's working directory (default: the caller's). `python -m cors_addon`
        loads ./rules.toml when it exists, so the addon's tests run it from an empty directory."""
        self.argv_spec: ArgvSpec = argv if argv is not None else default_argv()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cors-proxy-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.confdir = self.workdir / "confdir"
        self.confdir.mkdir(exist_ok=True)
        self.port = port or free_port()
        self.env = env
        self.cwd = cwd
        self.stdout_path = self.workdir / "proxy.stdout"
        self.stderr_path = self.workdir / "proxy.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        if callable(self.argv_spec):
            return [str(a) for a in self.argv_spec(self.port, str(self.confdir))]
        subst = {
            "port": str(self.port),
            "confdir": str(self.confdir),
            "guard": GUARD_SCRIPT,
            "workdir": str(self.workdir),
        }
        return [a.format(**subst) for a in self.argv_spec]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Proxy:
        env = {**os.environ, **(self.env or {})}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if port_open("127.0.0.1", self.port):
                return self
            time.sleep(0.05)
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"proxy did not open port {self.port}: {self.argv}\n{logs}")

    def logs(self, tail: int = 4000) -> str:
        out = []
        for p in (self.stdout_path, self.stderr_path):
            if p.exists():
                out.append(f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}")
        return "\n".join(out)

    def ca_cert_pem(self, timeout: float = 10.0) -> bytes:
        path = self.confdir / "mitmproxy-ca-cert.pem"
        deadline = time.monotonic() + timeout
        while not path.exists() or path.stat().st_size == 0:
            if time.monotonic() > deadline:
                raise FileNotFoundError(path)
            time.sleep(0.05)
        return path.read_bytes()

    def spki_pin(self) -> str:
        """The pin of the proxy's CA (mitmproxy reuses the CA key for every leaf it signs)."""
        return spki_pin(self.ca_cert_pem())

    def stop(self, grace: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            terminate(proc, grace)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
