"""Capture CORS failures from real headless Chromium, as the analyzer's fixtures and as the
ground truth of the browser test.

    python tests/analyze/chromium_capture.py [OUT_DIR]

Starts a page server (origin A) and an API server (origin B) on loopback, the live proxy
(`python -m cors_addon`, writing a flow file, a HAR and its JSONL event log) and headless
Chromium wired to it, runs every scenario as a fetch() in one page, and writes:

    chromium.har      built from the DevTools protocol's Network events the way DevTools'
                      "Save all as HAR" builds it (devtools_har.py, after Log.ts)
    mitmproxy.har     the proxy's own HAR export (hardump) of the same traffic
    flows.mitm        the proxy's flow file
    live.ndjson       the live proxy's events (its cors_log JSONL)
    chromium.json     what Chromium itself decided: per request URL and method, the CorsError
                      of Network.loadingFailed (corsErrorStatus), or null

Only loopback addresses are ever contacted: a guard script answers every other host at the
proxy (Chromium calls Google hosts at start-up).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devtools_har import build_har

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

Handler = Callable[[str, str, dict[str, str]], tuple[int, list[tuple[str, str]]]]

GUARD = """
from mitmproxy import http

def _loopback(host):
    return host in ("127.0.0.1", "localhost", "::1")

class Guard:
    def http_connect(self, flow):
        if not _loopback(flow.request.host):
            flow.response = http.Response.make(403, b"loopback only")

    def requestheaders(self, flow):
        if flow.response is None and not _loopback(flow.request.host):
            flow.response = http.Response.make(403, b"loopback only")

addons = [Guard()]
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    script: str  # a JS expression; API is replaced by the API origin
    expect: dict[str, str | None] = field(default_factory=dict)  # "METHOD path" -> CorsError


def api(origin: str) -> Handler:
    """The API's behaviour per path: a server with typical CORS mistakes."""

    def handle(method: str, path: str, h: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        path = path.split("?", 1)[0]
        json_body = [("Content-Type", "application/json"), ("X-Request-Id", "r-1")]
        pre = method == "OPTIONS" and "access-control-request-method" in h
        if path == "/ok":  # reflects the origin, exposes nothing
            return 200, [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), *json_body]
        if path == "/no-acao":  # no CORS at all
            return 200, json_body
        if path == "/items/1":  # a middleware adds ACAO, but OPTIONS hits no route: 405
            if pre:
                return 405, [("Access-Control-Allow-Origin", origin), ("Allow", "GET, PUT")]
            return 200, [("Access-Control-Allow-Origin", origin), *json_body]
        if path == "/search":  # the preflight forgets the custom header
            if pre:
                return 204, [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Methods", "GET, POST"),
                    ("Access-Control-Allow-Headers", "content-type"),
                ]
            return 200, [("Access-Control-Allow-Origin", origin), *json_body]
        if path == "/me":  # "*" with cookies
            return 200, [("Access-Control-Allow-Origin", "*"), *json_body]
        if path == "/settings":  # a correct, cached preflight (600 s)
            if pre:
                return 204, [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Methods", "PATCH"),
                    ("Access-Control-Allow-Headers", "content-type"),
                    ("Access-Control-Max-Age", "600"),
                    ("Vary", "Origin"),
                ]
            return 200, [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), *json_body]
        if path == "/orders/7":  # DELETE is not among the allowed methods
            if pre:
                return 204, [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Methods", "GET, POST, PUT"),
                ]
            return 200, [("Access-Control-Allow-Origin", origin), *json_body]
        return 404, [("Content-Type", "text/plain")]

    return handle


SCENARIOS = (
    Scenario("allowed", "fetch(API + '/ok')", {"GET /ok": None}),
    Scenario(
        "missing ACAO", "fetch(API + '/no-acao')", {"GET /no-acao": "MissingAllowOriginHeader"}
    ),
    Scenario(
        "preflight 405",
        "fetch(API + '/items/1', {method: 'PUT', headers: {'Content-Type': 'application/json'},"
        " body: '{}'})",
        {"PUT /items/1": "PreflightInvalidStatus"},
    ),
    Scenario(
        "header not allowed",
        "fetch(API + '/search', {method: 'POST', headers: {'Content-Type': 'application/json',"
        " 'X-Api-Key': 'k1'}, body: '{}'})",
        {"POST /search": "HeaderDisallowedByPreflightResponse"},
    ),
    Scenario(
        "* with credentials",
        "fetch(API + '/me', {credentials: 'include'})",
        {"GET /me": "WildcardOriginNotAllowed"},
    ),
    Scenario(
        "cached preflight",
        "fetch(API + '/settings', {method: 'PATCH', headers: {'Content-Type': 'application/json'},"
        " body: '{\"a\":1}'}).then(() => fetch(API + '/settings', {method: 'PATCH',"
        " headers: {'Content-Type': 'application/json'}, body: '{\"a\":2}'}))",
        {"PATCH /settings": None},
    ),
    Scenario(
        "method not allowed",
        "fetch(API + '/orders/7', {method: 'DELETE'})",
        {"DELETE /orders/7": "MethodDisallowedByPreflightResponse"},
    ),
)


# -- loopback servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(handler: Handler) -> tuple[ThreadingHTTPServer, int]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, fields = handler(self.command, self.path, headers)
            body = b"" if status in (204, 304) or self.command == "HEAD" else b'{"ok":true}'
            self.send_response(status)
            for name, value in fields:
                self.send_header(name, value)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def page(method: str, path: str, h: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    return 200, [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "sid=s3cr3t; Path=/; SameSite=Lax"),
    ]


# -- processes -------------------------------------------------------------------------------


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM by PID, then SIGKILL the process group this child leads."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace)


def find_chromium() -> str | None:
    for cand in (os.environ.get("CORS_CHROMIUM"), *CHROMIUM_CANDIDATES):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def start_chromium(
    chromium: str, work: Path, proxy_port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Headless Chromium with the flags of browser-testing.md, in its own process group;
    returns the process and its DevTools websocket URL."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={work / 'profile'}",
    ]
    if proxy_port is not None:
        flags += [
            f"--proxy-server=http://127.0.0.1:{proxy_port}",
            "--proxy-bypass-list=<-loopback>",
        ]
    stderr_path = work / "chromium.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [chromium, *flags, "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = re.search(r"DevTools listening on (ws://\S+)", stderr_path.read_text(errors="replace"))
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError("Chromium printed no DevTools URL: " + stderr_path.read_text()[-2000:])


# -- a minimal DevTools protocol client -------------------------------------------------------


class CDP:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                msg = json.loads(raw)
                if "id" in msg:
                    fut = self.pending.pop(msg["id"], None)
                    if fut is not None and not fut.done():
                        if "error" in msg:
                            fut.set_exception(RuntimeError(str(msg["error"])))
                        else:
                            fut.set_result(msg.get("result", {}))
                else:
                    self.events.append((msg["method"], msg.get("params", {})))

    async def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        msg_id = next(self.ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = fut
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}, **kw}
        await self.ws.send(json.dumps(msg))
        return await asyncio.wait_for(fut, 20)


# -- the capture -----------------------------------------------------------------------------


async def _drive(ws_url: str, page_url: str, api_origin: str) -> tuple[list[Any], dict[str, Any]]:
    from websockets.asyncio.client import connect

    async with connect(ws_url, max_size=None, ping_interval=None) as ws:
        cdp = CDP(ws)
        ctx = await cdp.send("Target.createBrowserContext")
        target = await cdp.send(
            "Target.createTarget",
            {"url": "about:blank", "browserContextId": ctx["browserContextId"]},
        )
        att = await cdp.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        sid = att["sessionId"]
        await cdp.send("Network.enable", sessionId=sid)
        await cdp.send("Page.enable", sessionId=sid)
        await cdp.send("Page.navigate", {"url": page_url}, sessionId=sid)
        for _ in range(200):
            if any(m == "Page.loadEventFired" for m, _ in cdp.events):
                break
            await asyncio.sleep(0.05)
        results = {}
        for s in SCENARIOS:
            expr = (
                f"(async () => {{ const API = {json.dumps(api_origin)};"
                f" try {{ await ({s.script}); return 'ok'; }}"
                " catch (e) { return String(e); } })()"
            )
            out = await cdp.send(
                "Runtime.evaluate", {"expression": expr, "awaitPromise": True}, sessionId=sid
            )
            results[s.name] = out["result"].get("value")
        await asyncio.sleep(0.5)
        await cdp.send(
            "Target.disposeBrowserContext", {"browserContextId": ctx["browserContextId"]}
        )
        cdp.reader.cancel()
        return cdp.events, results


def chromium_verdicts(events: list[tuple[str, dict[str, Any]]]) -> dict[str, str | None]:
    """Per "METHOD url" of every fetch: Chromium's CorsError, or None when it passed."""
    sent = {}
    out: dict[str, str | None] = {}
    for method, p in events:
        if method == "Network.requestWillBeSent" and p.get("type") == "Fetch":
            key = f"{p['request']['method']} {p['request']['url']}"
            sent[p["requestId"]] = key
            out.setdefault(key, None)
        elif method == "Network.loadingFailed" and p["requestId"] in sent:
            cors = p.get("corsErrorStatus")
            out[sent[p["requestId"]]] = cors["corsError"] if cors else p.get("errorText")
    return out


def capture(out_dir: Path, python: str = sys.executable) -> dict[str, Any]:
    """Run every scenario through the live proxy in headless Chromium; write the files above."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium (set CORS_CHROMIUM or install /usr/bin/chromium)")
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cors-capture-"))
    page_server, page_port = serve(page)
    page_origin = f"http://127.0.0.1:{page_port}"
    api_server, api_port = serve(api(page_origin))
    api_origin = f"http://127.0.0.1:{api_port}"
    guard = work / "guard.py"
    guard.write_text(GUARD)
    proxy_port = free_port()
    for name in ("flows.mitm", "mitmproxy.har", "live.ndjson"):
        (out_dir / name).unlink(missing_ok=True)
    proxy = subprocess.Popen(
        [
            python,
            "-m",
            "cors_addon",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(proxy_port),
            "--set",
            f"confdir={work / 'confdir'}",
            "-s",
            str(guard),
            "-w",
            str(out_dir / "flows.mitm"),
            "--set",
            f"hardump={out_dir / 'mitmproxy.har'}",
            "--set",
            f"cors_log={out_dir / 'live.ndjson'}",
            "~d 127.0.0.1",  # keep only the loopback traffic in the flow file and HAR
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "proxy.stderr", "wb"),  # noqa: SIM115
        start_new_session=True,
        cwd=work,
    )
    browser = None
    try:
        wait_port(proxy_port)
        browser, ws_url = start_chromium(chromium, work, proxy_port)
        events, results = asyncio.run(_drive(ws_url, page_origin + "/", api_origin))
    finally:
        if browser is not None:
            stop(browser)
        stop(proxy)
        page_server.shutdown()
        api_server.shutdown()
    har = build_har(events)
    (out_dir / "chromium.har").write_text(json.dumps(har, indent=1) + "\n")
    verdicts = chromium_verdicts(events)
    truth = {"page": page_origin, "api": api_origin, "results": results, "verdicts": verdicts}
    (out_dir / "chromium.json").write_text(json.dumps(truth, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return truth


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("fixtures")
    print(json.dumps(capture(target), indent=1))
