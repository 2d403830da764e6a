"""Loopback HTTP(S) servers for the browser tests: a page server (origin A) and an API (origin B).

Every response is scripted by the test: status, an *ordered list* of header lines (so a header can
be sent twice), body. Every request is recorded with its ordered header lines.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import tempfile
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
from urllib.parse import urlsplit

# The data: icon stops Chromium from requesting /favicon.ico in the middle of a case.
BLANK_PAGE = (
    b"<!doctype html><html><head><meta charset=utf-8><title>cors test</title>"
    b'<link rel="icon" href="data:,"></head><body></body></html>'
)


@dataclass(frozen=True)
class Resp:
    """A scripted response. `headers` is an ordered sequence of (name, value) lines, sent verbatim
    (duplicates allowed). Content-Length is added unless given."""

    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    body: bytes | str = b""

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


def redirect(status: int, location: str, headers: Sequence[tuple[str, str]] = ()) -> Resp:
    return Resp(status, [("Location", location), *headers])


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server received it."""

    server: str  # origin of the listener, e.g. "http://127.0.0.1:40123"
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    time: float  # time.monotonic()

    def header(self, name: str) -> str | None:
        """First value of `name` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS" and self.header("Access-Control-Request-Method") is not None

    @property
    def acrh(self) -> str | None:
        return self.header("Access-Control-Request-Headers")

    @property
    def acrm(self) -> str | None:
        return self.header("Access-Control-Request-Method")

    @property
    def origin(self) -> str | None:
        return self.header("Origin")


Responder = Resp | Callable[[SeenRequest], Resp]


@dataclass
class Route:
    preflight: Responder | None = None  # answers OPTIONS; None -> 404 without any CORS header
    actual: Responder | None = None  # answers every other method; None -> 404
    any_method: bool = False  # `actual` also answers OPTIONS (a non-preflight OPTIONS, say)


@dataclass
class Registry:
    """Routes and request log shared by all listeners of one logical server."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[SeenRequest] = field(default_factory=list)
    default: Resp | None = None  # for unknown paths; None -> plain 404
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, req: SeenRequest) -> Resp:
        with self.lock:
            self.log.append(req)
            route = self.routes.get(req.path)
        if route is None:
            return self.default or Resp(404, [("Content-Type", "text/plain")], "no route")
        if req.method == "OPTIONS" and not route.any_method:
            responder = route.preflight
        else:
            responder = route.actual
        if responder is None:
            return Resp(404, [("Content-Type", "text/plain")], "not scripted")
        return responder(req) if callable(responder) else responder


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Listener

    def log_message(self, format: str, *args: object) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler dispatches to do_<METHOD>; accept any method, any case ("patch").
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = SeenRequest(
            server=self.server.origin,
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=tuple((k, v) for k, v in self.headers.items()),
            body=body,
            time=time.monotonic(),
        )
        resp = self.server.registry.respond(req)
        payload = resp.body_bytes
        self.send_response_only(resp.status)
        names = {k.lower() for k, _ in resp.headers}
        for k, v in resp.headers:
            self.send_header(k, v)
        if "content-length" not in names and resp.status not in (204, 304) and resp.status >= 200:
            self.send_header("Content-Length", str(len(payload)))
        if "cache-control" not in names:
            self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD" and resp.status not in (204, 304):
            self.wfile.write(payload)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, registry: Registry, tls: ssl.SSLContext | None):
        super().__init__((host, port), _Handler)
        self.registry = registry
        self.tls = tls
        scheme = "https" if tls else "http"
        self.origin = f"{scheme}://{host}:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        if self.tls is not None:
            # Handshake lazily in the connection's own thread, not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients (the proxy) hang up mid-request when Chromium cancels; not our concern


class CaseServer:
    """A logical server listening on one or more loopback hosts (each its own origin), sharing
    routes and the request log.

    - `api.register(case_id, preflight=Resp(...), actual=Resp(...))` scripts `/c/<case_id>/r` and
      returns that path; `name=` picks another last segment (e.g. "a" and "b" for a redirect).
    - `api.url(case_id, name, host=...)` gives the absolute URL on one listener.
    - `api.seen(case_id)` lists the requests received for `/c/<case_id>/...`, in arrival order.
    """

    def __init__(
        self,
        hosts: Iterable[str] = ("127.0.0.1",),
        *,
        tls: bool = False,
        default: Resp | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.registry = registry or Registry(default=default)
        self.tls_context = _self_signed_context() if tls else None
        self._listeners = [_Listener(h, 0, self.registry, self.tls_context) for h in hosts]
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> CaseServer:
        for lst in self._listeners:
            t = threading.Thread(
                target=lst.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        for lst in self._listeners:
            lst.shutdown()
            lst.server_close()
        for t in self._threads:
            t.join(2)

    def __enter__(self) -> CaseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addressing ------------------------------------------------------------------------
    @property
    def origins(self) -> list[str]:
        return [lst.origin for lst in self._listeners]

    @property
    def origin(self) -> str:
        """Origin of the first listener."""
        return self._listeners[0].origin

    def origin_for(self, host: str) -> str:
        for lst in self._listeners:
            if lst.server_address[0] == host:
                return lst.origin
        raise KeyError(host)

    @staticmethod
    def path(case_id: str, name: str = "r") -> str:
        return f"/c/{case_id}/{name}"

    def url(
        self, case_id: str, name: str = "r", *, host: str | None = None, query: str = ""
    ) -> str:
        origin = self.origin_for(host) if host else self.origin
        return origin + self.path(case_id, name) + (f"?{query}" if query else "")

    # -- scripting -------------------------------------------------------------------------
    def register(
        self,
        case_id: str,
        *,
        preflight: Responder | None = None,
        actual: Responder | None = None,
        name: str = "r",
        any_method: bool = False,
    ) -> str:
        path = self.path(case_id, name)
        with self.registry.lock:
            self.registry.routes[path] = Route(preflight, actual, any_method)
        return path

    def seen(self, case_id: str | None = None) -> list[SeenRequest]:
        prefix = f"/c/{case_id}/" if case_id is not None else "/"
        with self.registry.lock:
            return [r for r in self.registry.log if r.path.startswith(prefix)]


# -- TLS -------------------------------------------------------------------------------------


def self_signed_cert(
    hosts: Sequence[str] = ("127.0.0.1", "127.0.0.2", "localhost"),
) -> tuple[bytes, bytes]:
    """A throwaway self-signed certificate (PEM cert, PEM key) for the given IPs/names."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cors-addon test server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _self_signed_context() -> ssl.SSLContext:
    cert_pem, key_pem = self_signed_cert()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as d:
        cert_file, key_file = Path(d, "cert.pem"), Path(d, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx
