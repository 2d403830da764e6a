"""The integration harness: the real `python -m cors_addon` (or mitmdump/mitmweb) as a
subprocess on a free loopback port, local HTTP servers with scripted answers, and a client
that sends browser-shaped requests through the proxy."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

Event = dict[str, Any]
Fields = list[tuple[str, str]]

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)
PAGE = "http://localhost:3000"  # the page's origin: no server needed behind it


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def mitm_tool(name: str) -> str:
    """mitmdump / mitmweb of the interpreter that runs the tests."""
    return str(Path(sys.executable).with_name(name))


# -- the proxy ----------------------------------------------------------------------------


@dataclass
class Proxy:
    """One proxy process. Started in its own process group; `stop()` sends SIGTERM and, if
    that does not end it, SIGKILLs the group. Output goes to files (no pipe can fill)."""

    workdir: Path
    args: Sequence[str] = ()
    command: Sequence[str] | None = None  # default: python -m cors_addon
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    returncode: int | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.confdir = self.workdir / "confdir"
        self.confdir.mkdir(exist_ok=True)
        if self.log_path is None:
            self.log_path = self.workdir / "events.jsonl"
        self.stdout_path = self.workdir / "stdout.txt"
        self.stderr_path = self.workdir / "stderr.txt"

    def argv(self) -> list[str]:
        base = list(self.command or [sys.executable, "-m", "cors_addon"])
        return [
            *base,
            "--listen-port",
            str(self.port),
            "--set",
            f"confdir={self.confdir}",
            "--set",
            f"cors_log={self.log_path}",
            *self.args,
        ]

    def spawn(self) -> Proxy:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        env.pop("MITMPROXY_CASE_SENSITIVE_FILTERS", None)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT, port: int | None = None) -> Proxy:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise AssertionError(
                    f"the proxy exited with {self.proc.returncode} before listening:\n"
                    f"{self.output()}"
                )
            if port_open(port or self.port):
                return self
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"the proxy did not listen within {timeout} s:\n{self.output()}")

    def start(self) -> Proxy:
        return self.spawn().wait_ready()

    def wait_exit(self, timeout: float = START_TIMEOUT) -> int:
        """For a proxy that is expected to stop by itself (invalid options)."""
        assert self.proc is not None
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the proxy kept running:\n{self.output()}") from None
        return self.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, as a user's Ctrl+C would do in a non-interactive shell."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill()
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self) -> None:
        """SIGKILL whatever is left of the process group (never raises)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(STOP_TIMEOUT)

    # -- what it produced ---------------------------------------------------------------

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def output(self) -> str:
        return f"--- stdout\n{self.stdout()}\n--- stderr\n{self.stderr()}"

    def log_text(self) -> str:
        assert self.log_path is not None
        return self.log_path.read_text() if self.log_path.is_file() else ""

    def whole_log_text(self, timeout: float = 5.0) -> str:
        """The log once its end is the end of a line. The proxy writes its lines in batches,
        by itself (every 0.25 s): a read can catch a batch half-way through its write."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text()
            if not text or text.endswith("\n") or time.monotonic() > deadline:
                return text
            time.sleep(0.02)

    def events(self) -> list[Event]:
        """Every whole line of the event log (a line being written is left out). Lines are
        written in batches, up to 0.25 s after their event: wait for the one you need
        (wait_for, events_for); every line decided before it is then there too."""
        text = self.log_text()
        lines = text.split("\n")[:-1]  # the part after the last newline is not a line yet
        return [json.loads(line) for line in lines]

    def wait_for(
        self,
        predicate: Callable[[Event], bool],
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Event]:
        """The events matching `predicate`, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if predicate(e)]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, (
                    f"expected {count} matching events, got {len(found)}:\n"
                    + "\n".join(json.dumps(e)[:300] for e in self.events()[-10:])
                    + "\n"
                    + self.output()[-3000:]
                )
                return found
            time.sleep(0.05)

    def events_for(self, url: str, count: int = 1, type: str | None = None) -> list[Event]:
        return self.wait_for(
            lambda e: e["url"] == url and (type is None or e["type"] == type), count
        )

    def wait_stdout(self, needle: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in (out := self.stdout()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not in the proxy's output:\n{self.output()}")
            time.sleep(0.05)
        return out

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- upstream servers ---------------------------------------------------------------------


@dataclass
class Route:
    status: int = 200
    headers: Fields = field(default_factory=list)  # in order, duplicates allowed
    body: bytes = b""
    # a function of the request headers returning extra response headers
    dynamic: Callable[[http.client.HTTPMessage], Fields] | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: Fields


class Server:
    """A threaded loopback HTTP/1.1 server. Routes by (method, path), then by path (any
    method), then by path prefix ("/prefix/*"); everything else gets 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.seen.append(Seen(self.command, self.path, list(self.headers.items())))
                route = server.route(self.command, self.path)
                self.send_response_only(route.status)
                fields = list(route.headers)
                if route.dynamic is not None:
                    fields += route.dynamic(self.headers)
                for name, value in fields:
                    self.send_header(name, value)
                if route.status not in (204, 304) and route.status >= 200:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.status not in (204, 304):
                    self.wfile.write(route.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_HEAD = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, method: str, path: str) -> Route:
        path = path.split("?", 1)[0]
        found = self.routes.get((method, path)) or self.routes.get(("*", path))
        if found is not None:
            return found
        for (m, p), r in self.routes.items():
            if p.endswith("*") and path.startswith(p[:-1]) and m in (method, "*"):
                return r
        return Route(404, [], b"not found")

    def add(self, path: str, route: Route | None = None, method: str = "*", **kw: Any) -> str:
        """Add a route; returns the URL of `path`."""
        self.routes[(method, path)] = route or Route(**kw)
        return self.url(path.rstrip("*"))

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?", 1)[0] == path]

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- the browser ----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Fields
    body: bytes

    def get_all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        return values[0] if values else None


def send(
    proxy_port: int,
    method: str,
    url: str,
    fields: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    host: str | None = None,
    absolute: bool = True,
    timeout: float = 10.0,
) -> Reply:
    """One request through the proxy on a new connection: absolute-form as a browser
    talks to an HTTP proxy, or origin-form (`absolute=False`) for reverse mode."""
    authority = url.split("://", 1)[1].split("/", 1)[0]
    target = url if absolute else "/" + url.split("://", 1)[1].split("/", 1)[1]
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or authority)
        for name, value in fields:
            conn.putheader(name, value)
        if body or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, list(resp.getheaders()), data)
    finally:
        conn.close()


def sec_fetch(mode: str = "cors", site: str = "cross-site", dest: str = "empty") -> Fields:
    return [("Sec-Fetch-Mode", mode), ("Sec-Fetch-Site", site), ("Sec-Fetch-Dest", dest)]


def preflight_fields(
    method: str = "PUT", headers: str | None = "x-api-key", origin: str = PAGE
) -> Fields:
    """What Chromium sends for a preflight."""
    fields: Fields = [
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", method),
    ]
    if headers:
        fields.append(("Access-Control-Request-Headers", headers))
    fields += [
        ("Origin", origin),
        ("User-Agent", CHROME_UA),
        *sec_fetch(),
        ("Referer", origin + "/"),
    ]
    return fields


def fetch_fields(
    origin: str | None = PAGE,
    extra: Fields = (),  # type: ignore[assignment]
    *,
    cookie: str | None = None,
    mode: str = "cors",
    site: str = "cross-site",
    dest: str = "empty",
) -> Fields:
    """What Chromium sends for a fetch() (or, with mode/dest, another kind of request)."""
    fields: Fields = [("Accept", "*/*"), *extra]
    if origin is not None:
        fields.append(("Origin", origin))
    fields += [("User-Agent", CHROME_UA), *sec_fetch(mode, site, dest)]
    if cookie is not None:
        fields.append(("Cookie", cookie))
    return fields
