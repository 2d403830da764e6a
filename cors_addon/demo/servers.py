"""The demo's two loopback servers: the frontend page (origin A) and a broken API (origin B).

The API gets CORS wrong in the common ways, one endpoint each (see ENDPOINTS); the page calls
every endpoint and shows, next to what JavaScript saw, what the proxy's event log says.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]
Reply = tuple[int, Headers, bytes]

# Each endpoint the page calls, with the CorsError Chromium reports for it (None: it works).
# demo.js describes them to the user.
EXPECTED_ERRORS: dict[str, str | None] = {
    "/api/login": None,  # exact origin + credentials, sets the session cookie
    "/api/profile": "WildcardOriginNotAllowed",  # ACAO * with credentials
    "/api/news": "MissingAllowOriginHeader",  # no CORS headers at all
    "/api/items/1": "PreflightInvalidStatus",  # OPTIONS answered 405
    "/api/search": "HeaderDisallowedByPreflightResponse",  # X-Api-Key not allowed
    "/api/stats": "MultipleAllowOriginValues",  # ACAO sent twice
}
STATIC = {
    "/demo.js": "text/javascript; charset=utf-8",
    "/demo.css": "text/css; charset=utf-8",
}
MAX_LOG_BYTES = 4_000_000


def static_text(name: str) -> str:
    return resources.files("cors_addon.demo").joinpath("static", name).read_text("utf-8")


def _json(status: int, data: Any, headers: Headers) -> Reply:
    body = json.dumps(data).encode()
    return status, [("Content-Type", "application/json"), *headers], body


class Api:
    """The API's behaviour, independent of the HTTP plumbing: (method, path, headers) -> reply."""

    def __init__(self, page_origin: str) -> None:
        self.page = page_origin
        self.sessions: set[str] = set()
        self.lock = threading.Lock()

    def exact(self) -> Headers:
        return [("Access-Control-Allow-Origin", self.page), ("Vary", "Origin")]

    def handle(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        options = method == "OPTIONS"
        if path == "/api/login":
            if options:
                return 204, [*self.exact(), ("Access-Control-Allow-Credentials", "true")], b""
            sid = secrets.token_hex(8)
            with self.lock:
                self.sessions.add(sid)
            return _json(
                200,
                {"signed_in": True},
                [
                    *self.exact(),
                    ("Access-Control-Allow-Credentials", "true"),
                    ("Set-Cookie", f"demo_session={sid}; Path=/; SameSite=Lax; HttpOnly"),
                ],
            )
        if path == "/api/profile":
            wildcard = [("Access-Control-Allow-Origin", "*")]
            wildcard.append(("Access-Control-Allow-Credentials", "true"))
            if options:
                return 204, wildcard, b""
            cookies = headers.get("cookie", "")
            sid = next(
                (c.split("=", 1)[1] for c in cookies.split("; ") if c.startswith("demo_session=")),
                None,
            )
            with self.lock:
                known = sid in self.sessions
            if not known:
                return _json(401, {"error": "sign in first"}, wildcard)
            return _json(200, {"user": "demo", "session": sid}, wildcard)
        if path == "/api/news":
            return _json(200, {"news": ["CORS is a browser rule"]}, [])  # no CORS headers
        if path.startswith("/api/items/"):
            if options:  # the router knows no OPTIONS; the CORS middleware still ran
                return 405, [*self.exact(), ("Allow", "GET, PUT")], b"Method Not Allowed"
            return _json(200, {"saved": path.rsplit("/", 1)[1]}, self.exact())
        if path == "/api/search":
            if options:
                return (
                    204,
                    [
                        *self.exact(),
                        ("Access-Control-Allow-Methods", "GET, POST"),
                        ("Access-Control-Allow-Headers", "Content-Type"),
                    ],
                    b"",
                )
            return _json(200, {"results": ["cors", "preflight"]}, self.exact())
        if path == "/api/stats":
            doubled = [("Access-Control-Allow-Origin", self.page)] * 2
            return _json(200, {"calls": 42}, [*doubled, ("Vary", "Origin")])
        return _json(404, {"error": "no such endpoint"}, [])


class Page:
    """The frontend: the page, its script, and /events (the proxy's events of one run)."""

    def __init__(self, api_origin: str, proxy: str, rules: str, log: Path) -> None:
        self.api_origin = api_origin
        self.proxy = proxy
        self.rules = rules
        self.log = log

    def handle(self, method: str, path: str, query: str) -> Reply:
        if path in ("/", "/index.html"):
            html = static_text("index.html")
            for key, value in (
                ("__API__", self.api_origin),
                ("__PROXY__", self.proxy),
                ("__RULES__", self.rules),
            ):
                html = html.replace(key, _html_escape(value))
            return 200, [("Content-Type", "text/html; charset=utf-8")], html.encode()
        if path in STATIC:
            content_type = STATIC[path]
            return 200, [("Content-Type", content_type)], static_text(path[1:]).encode()
        if path == "/events":
            run = parse_qs(query).get("run", [""])[0]
            return _json(200, self.events(run) if run else [], [])
        return 404, [("Content-Type", "text/plain")], b"not found"

    def events(self, run: str) -> list[dict[str, Any]]:
        """The proxy's events for the URLs of one run (they carry ?run=<id>)."""
        try:
            with open(self.log, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - MAX_LOG_BYTES))
                data = f.read()
        except OSError:
            return []
        tag = f"run={run}"
        out = []
        for line in data.splitlines():
            if tag.encode() not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a partial first line after the seek
            if tag in event.get("url", ""):
                out.append(event)
        return out


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _handler(respond: Callable[[str, str, str, dict[str, str]], Reply]) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cors-addon-demo"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, fields, body = respond(self.command, parts.path, parts.query, headers)
            self.send_response_only(status)
            for name, value in fields:
                self.send_header(name, value)
            self.send_header("Cache-Control", "no-store")
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and status not in (204, 304):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Linux/macOS: reuse a port in TIME_WAIT, but a port another program listens on still
    # fails. Windows' SO_REUSEADDR would share a taken port: not there.
    allow_reuse_address = os.name != "nt"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the browser hung up; nothing to report


def serve(
    host: str, port: int, respond: Callable[[str, str, str, dict[str, str]], Reply]
) -> Server:
    """Bind (OSError when the port is taken) and serve in a daemon thread."""
    server = Server((host, port), _handler(respond))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()
    return server


def api_server(host: str, port: int, page_origin: str) -> Server:
    api = Api(page_origin)
    return serve(host, port, lambda m, p, q, h: api.handle(m, p, h))


def page_server(host: str, port: int, page: Page) -> Server:
    return serve(host, port, lambda m, p, q, h: page.handle(m, p, q))
