"""Safety through the real proxy: it listens on loopback unless told otherwise (and warns
when told); it changes nothing, byte for byte, unless a rule matches; and a rule never
touches navigations, no-cors or same-origin requests, nor OPTIONS that is no preflight.

Each exchange is sent as the same raw bytes through plain mitmdump (no addon) and through
`python -m cors_addon`, against a server that answers fixed bytes and records what it got:
the bytes the client receives and the bytes the server receives must be identical.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from proxy_harness import CHROME_UA
from proxy_harness import Proxy
from proxy_harness import mitm_tool
from proxy_harness import port_open
from threaded_server import ThreadedServer

from cors_addon.cli import default_args

pytestmark = pytest.mark.integration

PAGE = "http://localhost:3000"


class RecordingServer(ThreadedServer):
    """An HTTP/1.1 server in its own thread that answers each path with fixed bytes and
    records every request exactly as it arrived."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        super().__init__()
        self.answers = answers
        self.received: list[bytes] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            self.received.append(head + body)
            path = head.split(b" ", 2)[1].decode().split("?", 1)[0]
            writer.write(self.answers[path])
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def answer(status: bytes, *fields: bytes, body: bytes = b"") -> bytes:
    lines = [b"HTTP/1.1 " + status, *fields, b"Content-Length: " + str(len(body)).encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


ANSWERS = {
    "/preflight-405": answer(b"405 Method Not Allowed", b"Allow: GET", body=b"no OPTIONS here"),
    "/preflight-ok": answer(
        b"204 No Content",
        b"access-control-allow-origin: http://localhost:3000",
        b"Access-Control-Allow-Methods: PUT",
        b"Access-Control-Allow-Headers: X-Api-Key",
        b"Access-Control-Max-Age: 600",
    ),
    "/wildcard": answer(
        b"200 OK",
        b"Access-Control-Allow-Origin: *",
        b"Access-Control-Allow-Origin: *",
        b"Set-Cookie: a=b; HttpOnly",
        b"X-Odd: \xff\xfe",
        b"vary: Accept-Encoding",
        body=b'{"items": []}',
    ),
    "/error": answer(b"500 Internal Server Error", b"Content-Type: text/plain", body=b"boom"),
    "/redirect": answer(b"302 Found", b"Location: /elsewhere", b"Access-Control-Allow-Origin: *"),
    "/page": answer(b"200 OK", b"Content-Type: text/html", body=b"<html>hello</html>"),
    "/script": answer(b"200 OK", b"Content-Type: text/javascript", body=b"var x = 1;"),
}


def request(method: str, path: str, *fields: tuple[str, str | bytes], body: bytes = b"") -> Case:
    return Case(method, path, fields, body)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    fields: tuple[tuple[str, str | bytes], ...]
    body: bytes = b""

    def raw(self, server: str) -> bytes:
        host = server.split("://", 1)[1]
        lines = [f"{self.method} {server}{self.path} HTTP/1.1".encode(), f"Host: {host}".encode()]
        for name, value in self.fields:
            raw = value if isinstance(value, bytes) else value.encode()
            lines.append(name.encode() + b": " + raw)
        if self.body:
            lines.append(f"Content-Length: {len(self.body)}".encode())
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


CORS = (("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Dest", "empty"))
UA = ("User-Agent", CHROME_UA)
PREFLIGHT = (
    ("Origin", PAGE),
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "x-api-key"),
    UA,
    *CORS,
)

# CORS flows: the addon (with no rule, or rules that do not match) must leave them as they are
CORS_CASES = {
    "preflight, server says 405": request("OPTIONS", "/preflight-405", *PREFLIGHT),
    "preflight, server grants": request("OPTIONS", "/preflight-ok", *PREFLIGHT),
    "fetch with cookies, wildcard": request(
        "GET", "/wildcard", ("Origin", PAGE), ("Cookie", "s=1"), UA, *CORS
    ),
    "fetch, odd bytes both ways": request(
        "GET", "/wildcard", ("Origin", PAGE), ("X-Latin", b"\xe4\xff"), ("Accept", "*/*"), *CORS
    ),
    "POST json, server error": request(
        "POST",
        "/error",
        ("Origin", PAGE),
        ("Content-Type", "application/json"),
        UA,
        *CORS,
        body=b'{"a": 1}',
    ),
    "fetch, redirect": request("GET", "/redirect", ("Origin", PAGE), UA, *CORS),
}
# flows a rule must never touch, even a rule that matches every flow
UNTOUCHABLE = {
    "no Origin": request("GET", "/wildcard", UA, *CORS),
    "form POST navigation": request(
        "POST",
        "/page",
        ("Origin", PAGE),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Dest", "document"),
        UA,
        body=b"a=1",
    ),
    "navigation without Sec-Fetch (inferred)": request(
        "POST",
        "/page",
        ("Origin", PAGE),
        ("Accept", "text/html,application/xhtml+xml"),
        ("Upgrade-Insecure-Requests", "1"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        body=b"a=1",
    ),
    "no-cors script": request(
        "GET",
        "/script",
        ("Origin", PAGE),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Dest", "script"),
        UA,
    ),
    "no-cors POST": request(
        "POST",
        "/error",
        ("Origin", PAGE),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Sec-Fetch-Site", "cross-site"),
        UA,
        body=b"x",
    ),
    "same-origin fetch": request(
        "GET",
        "/wildcard",
        ("Origin", "{server}"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "same-origin"),
        UA,
    ),
    "OPTIONS without Origin": request(
        "OPTIONS", "/preflight-405", ("Access-Control-Request-Method", "PUT"), UA
    ),
}

UNTOUCHED_EVENTS = 5  # the flows above that have an Origin give events (not-cors, or cors)

CATCH_ALL = """
[[rules]]
name = "everything"
allow_origin = "reflect"
allow_credentials = true
expose_headers = "all"
preflight = "answer"
strip = ["*"]
"""
NOT_MATCHING = """
[[rules]]
name = "another API"
match = { hosts = ["api.other.example"] }
allow_origin = "reflect"
preflight = "answer"
strip = ["*"]

[[rules]]
name = "another page"
match = { origins = ["https://elsewhere.example"] }
allow_origin = "*"
preflight = "answer"

[[rules]]
name = "disabled"
enabled = false
allow_origin = "reflect"
strip = ["*"]
"""


class PlainMitmdump(Proxy):
    """mitmdump of the same mitmproxy, without the addon: the reference."""

    def argv(self) -> list[str]:
        return [
            mitm_tool("mitmdump"),
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            str(self.port),
            "--set",
            f"confdir={self.confdir}",
            "--flow-detail",
            "0",
        ]


def exchange(port: int, data: bytes, timeout: float = 15.0) -> bytes:
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def run_cases(port: int, server: RecordingServer, cases: dict[str, Case]) -> dict[str, tuple]:
    """Each case on its own connection: (what the client got, what the server got)."""
    results = {}
    for name, case in cases.items():
        fields = tuple((n, server.origin if v == "{server}" else v) for n, v in case.fields)
        raw = Case(case.method, case.path, fields, case.body).raw(server.origin)
        before = len(server.received)
        got = exchange(port, raw)
        results[name] = (got, tuple(server.received[before:]))
    return results


@pytest.fixture(scope="module")
def server() -> Iterator[RecordingServer]:
    with RecordingServer(ANSWERS) as s:
        yield s


@pytest.fixture(scope="module")
def reference(tmp_path_factory, server) -> dict[str, tuple]:
    plain = PlainMitmdump(tmp_path_factory.mktemp("plain"))
    try:
        plain.start()
        return run_cases(plain.port, server, {**CORS_CASES, **UNTOUCHABLE})
    finally:
        plain.stop()


@pytest.fixture(scope="module")
def addon_proxies(module_proxies, tmp_path_factory) -> dict[str, Proxy]:
    rules = tmp_path_factory.mktemp("safety-rules")
    (rules / "catch-all.toml").write_text(CATCH_ALL)
    (rules / "not-matching.toml").write_text(NOT_MATCHING)
    made = {
        "no rules": module_proxies.new("safe-none", ["--set", "cors_rules="]),
        "rules that do not match": module_proxies.new(
            "safe-other", ["--set", f"cors_rules={rules / 'not-matching.toml'}"]
        ),
        "a rule matching everything": module_proxies.new(
            "safe-all", ["--set", f"cors_rules={rules / 'catch-all.toml'}"]
        ),
    }
    for proxy in made.values():
        proxy.spawn()
    for proxy in made.values():
        proxy.wait_ready()
    return made


@pytest.mark.parametrize("setup", ["no rules", "rules that do not match"])
def test_nothing_changes_unless_a_rule_matches(addon_proxies, reference, server, setup):
    proxy = addon_proxies[setup]
    results = run_cases(proxy.port, server, {**CORS_CASES, **UNTOUCHABLE})
    for name, (got, received) in results.items():
        assert got == reference[name][0], f"{name}: the client got other bytes"
        assert received == reference[name][1], f"{name}: the server got other bytes"
    # and the addon did see them: one event per request with an Origin
    proxy.wait_for(lambda e: e["type"] != "orphan", count=len(CORS_CASES))


def test_rules_never_touch_navigations_no_cors_or_same_origin(addon_proxies, reference, server):
    proxy = addon_proxies["a rule matching everything"]
    results = run_cases(proxy.port, server, UNTOUCHABLE)
    for name, (got, received) in results.items():
        assert got == reference[name][0], f"{name}: the client got other bytes"
        assert received == reference[name][1], f"{name}: the server got other bytes"
    # the rule is live: a CORS request through the same proxy is rewritten
    results = run_cases(proxy.port, server, {"cors": CORS_CASES["fetch with cookies, wildcard"]})
    got = results["cors"][0]
    assert got != reference["fetch with cookies, wildcard"][0]
    assert b"\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n" in got
    # its event is the last: once it is in the log, so are those of the flows before it
    proxy.wait_for(lambda e: e["rule"] == "everything")
    rules = [e["rule"] for e in proxy.events()]
    assert rules == [None] * UNTOUCHED_EVENTS + ["everything"], rules


def test_only_real_preflights_are_answered(addon_proxies, reference, server):
    """An OPTIONS with an Origin but no Access-Control-Request-Method is a page's own
    OPTIONS request (a CORS request, so a rule may add headers), not a preflight: it goes
    to the server unchanged, which answers it."""
    proxy = addon_proxies["a rule matching everything"]
    case = request("OPTIONS", "/preflight-405", ("Origin", PAGE), UA, *CORS)
    plain = request("OPTIONS", "/preflight-405", *PREFLIGHT)
    results = run_cases(proxy.port, server, {"own": case, "preflight": plain})
    got, received = results["own"]
    assert len(received) == 1 and received[0].startswith(b"OPTIONS /preflight-405 ")
    assert got.startswith(b"HTTP/1.1 405 ") and got.endswith(b"no OPTIONS here")
    got, received = results["preflight"]
    assert received == () and got.startswith(b"HTTP/1.1 204 ")  # answered at the proxy


# -- where it listens -----------------------------------------------------------------------------


def test_default_listen_host_is_loopback():
    assert default_args([])[:2] == ["--listen-host", "127.0.0.1"]
    for own in (["--listen-host", "0.0.0.0"], ["--listen-host=::"], ["--set", "listen_host=::"]):
        assert "--listen-host" not in default_args(own)  # the user's choice wins


def test_listens_on_loopback_by_default_and_warns_when_told_otherwise(proxies):
    safe = proxies.new("loopback")
    exposed = proxies.new("exposed", ["--listen-host", "0.0.0.0"])
    for proxy in (safe, exposed):
        proxy.spawn()
    safe.wait_ready()
    exposed.wait_ready()
    out = safe.wait_stdout("listening at")
    assert f"HTTP(S) proxy listening at 127.0.0.1:{safe.port}." in out
    assert "listens beyond this machine's loopback" not in out
    out = exposed.wait_stdout("listens beyond this machine's loopback")
    assert "anyone who can reach it can use it" in out
    exposed.stop()  # an open proxy: not a moment longer than needed
    assert not port_open(exposed.port)
