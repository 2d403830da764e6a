"""Malformed and odd traffic through the real proxy (`python -m cors_addon` with cors_log
and a rules file), over raw sockets and over HTTP/2: invalid header bytes, a missing Host,
absurd Origin values, odd server answers, and a flood of requests with odd headers.

The proxy keeps serving, no hook reports an internal error, every request that reached the
server with an Origin has exactly one event, and every line of the log is valid JSON that
matches the schema (checked for every proxy when the module ends).
"""

from __future__ import annotations

import json
import random
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

import h2.config
import h2.connection
import h2.events
import pytest
from proxy_harness import CHROME_UA
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import send

pytestmark = pytest.mark.integration

RULES = """
[[rules]]
name = "odd reflect"
match = { paths = ["/odd/rules/*"] }
allow_origin = "reflect"
expose_headers = "all"
preflight = "answer"
max_age = 5

[[rules]]
name = "odd fix"
match = { paths = ["/odd/fix/*"] }
allow_origin = "reflect"
preflight = "fix"
"""
ODD_SERVER_HEADERS = [
    ("X-\xff", "\xfe"),  # a name and a value that are not UTF-8 (latin-1 on the wire)
    ("Vary", "*"),
    ("Access-Control-Allow-Origin", PAGE),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Max-Age", "9" * 5000),
    ("Access-Control-Allow-Methods", "PUT, ,\x01"),
    ("Location", "http://[::1/\xff"),
]

# -- the wire by hand ----------------------------------------------------------------------------

Field = tuple[bytes | str, bytes | str]


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")


def http1(
    method: bytes | str,
    target: bytes | str,
    fields: Iterable[Field],
    *,
    version: bytes = b"HTTP/1.1",
    eol: bytes = b"\r\n",
    close: bool = True,
) -> bytes:
    """One HTTP/1 request, byte for byte as given (no Host unless in `fields`)."""
    lines = [_b(method) + b" " + _b(target) + b" " + version]
    lines += [_b(n) + b": " + _b(v) for n, v in fields]
    if close:
        lines.append(b"Connection: close")
    return eol.join(lines) + eol + eol


def raw_exchange(port: int, data: bytes, timeout: float = 15.0) -> bytes:
    """Send bytes, return everything the proxy answers until it closes (or the timeout)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def refused_by_mitmproxy(answer: bytes) -> bool:
    """An answer mitmproxy made itself because it could not parse the request: no flow,
    so no hook ran and no event is due."""
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    return b"\r\nserver: mitmproxy" in head


def status_of(answer: bytes) -> int | None:
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def cors_get(origin: bytes | str | None, *extra: Field) -> list[Field]:
    fields: list[Field] = [("Accept", "*/*")]
    if origin is not None:
        fields.append(("Origin", origin))
    fields += [
        ("User-Agent", CHROME_UA),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "cross-site"),
    ]
    return [*fields, *extra]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("odd-rules") / "rules.toml"
    path.write_text(RULES)
    return path


@pytest.fixture(scope="module")
def routes(api):
    api.add("/odd/rules/*", Route(200, ODD_SERVER_HEADERS, b"rules"))  # before /odd/*
    api.add("/odd/fix/*", Route(405, ODD_SERVER_HEADERS, b"fix"))
    api.add("/odd/*", Route(200, [("Access-Control-Allow-Origin", "*")], b"odd"))
    return api


@pytest.fixture(scope="module")
def proxy(module_proxies, rules_path, routes):
    """With mitmproxy's own header validation off, so that odd bytes reach the addon
    instead of being refused before it sees them."""
    return module_proxies.start(
        "odd", ["--set", f"cors_rules={rules_path}", "--set", "validate_inbound_headers=false"]
    )


@pytest.fixture(scope="module")
def h2_proxy(module_proxies, routes):
    """Reverse mode in front of the API: HTTP/2 from the client (TLS with ALPN h2), and
    HTTP/1.1 to the server."""
    return module_proxies.start("odd-h2", ["--mode", f"reverse:{routes.origin}"])


_ids = iter(range(1, 1_000_000))
_ids_lock = threading.Lock()


def next_url(api, prefix: str = "/odd/x") -> str:
    with _ids_lock:
        n = next(_ids)
    return api.url(f"{prefix}?id={n}")


def assert_serving(proxy, api) -> None:
    """A plain CORS request still gets its answer and its event."""
    url = next_url(api, "/odd/alive")
    reply = send(proxy.port, "GET", url, fetch_fields())
    assert reply.status == 200 and reply.body == b"odd"
    [event] = proxy.events_for(url)
    assert event["verdict"] == "allowed"


def assert_clean(proxy) -> None:
    out = proxy.output()
    assert "internal error" not in out and "Traceback" not in out, out[-5000:]
    assert proxy.proc is not None and proxy.proc.poll() is None, out[-5000:]


# -- raw HTTP/1 ----------------------------------------------------------------------------------

INVALID_REQUESTS: dict[str, tuple[list[Field], bytes]] = {
    # name: (fields after the request line, line ending)
    "space in header name": ([("X Bad", "1")], b"\r\n"),
    "NUL in value": ([("X-Nul", b"a\x00b")], b"\r\n"),
    "non-UTF-8 value": ([("X-Latin", b"\xff\xfe\xe4")], b"\r\n"),
    "non-UTF-8 name": ([(b"X-\xff", b"1")], b"\r\n"),
    "control bytes in Origin": ([("Origin", b"http://a\x01\x7f.example")], b"\r\n"),
    "bare LF line endings": ([("X-Lf", "1")], b"\n"),
    "empty header name": ([(b"", b"value")], b"\r\n"),
    "empty values": ([("Origin", ""), ("Access-Control-Request-Method", "")], b"\r\n"),
    "64 kB header": ([("X-Big", "a" * 65_536)], b"\r\n"),
    "2000 headers": ([(f"X-H{i}", str(i)) for i in range(2000)], b"\r\n"),
    "2000 duplicate Origin": ([("Origin", PAGE)] * 2000, b"\r\n"),
    "obs-fold continuation": ([("X-Fold", b"a\r\n b")], b"\r\n"),
    "header without colon": ([(b"NoColonHere", b"")], b"\r\n"),
}


@pytest.mark.parametrize("name", list(INVALID_REQUESTS))
def test_invalid_header_bytes(proxy, api, name):
    fields, eol = INVALID_REQUESTS[name]
    url = next_url(api)
    host = ("Host", url.split("/")[2])
    has_origin = any(_b(n).lower() == b"origin" for n, _ in fields)
    if name == "header without colon":
        raw = http1("GET", url, [host, *cors_get(PAGE)], eol=eol)
        raw = raw.replace(b"Connection: close", b"NoColonHere\r\nConnection: close")
    else:
        raw = http1("GET", url, [host, *cors_get(None if has_origin else PAGE), *fields], eol=eol)
    answer = raw_exchange(proxy.port, raw)
    status = status_of(answer)
    assert status is not None, answer[:300]  # an answer, never a dropped connection
    if not refused_by_mitmproxy(answer):
        [event] = proxy.events_for(url)  # a flow with an Origin: exactly one event
        assert event["url"] == url
    assert_serving(proxy, api)
    assert_clean(proxy)


def test_missing_host(proxy, api):
    url = next_url(api)
    path = "/" + url.split("/", 3)[3]
    # origin-form without Host: not a request a proxy can route; it must say so
    answer = raw_exchange(proxy.port, http1("GET", path, cors_get(PAGE)))
    assert status_of(answer) == 400, answer[:300]
    # absolute-form without Host (HTTP/1.0 and 1.1): the target names the host
    for version in (b"HTTP/1.0", b"HTTP/1.1"):
        url = next_url(api)
        answer = raw_exchange(proxy.port, http1("GET", url, cors_get(PAGE), version=version))
        assert status_of(answer) in (200, 400), answer[:300]
        if status_of(answer) == 200:
            [event] = proxy.events_for(url)
            assert event["origin"] == PAGE
    assert_serving(proxy, api)
    assert_clean(proxy)


ABSURD_ORIGINS: list[bytes | str] = [
    "null",
    "file://",
    "file:///home/me/index.html",
    "http://[::1]:3000",
    "http://[fe80::1%25eth0]:3000",
    "http://[::ffff:127.0.0.1]",
    "http://xn--bcher-kva.example",
    "http://bücher.example",
    "http://localhost.:3000",
    "http://app.example.",
    "http://app.example:80",
    "https://app.example:443",
    "http://app.example:99999",
    "HTTP://APP.EXAMPLE",
    "http://app.example/page?query#fragment",
    "http://user:password@app.example",
    "chrome-extension://abcdefghijklmnop",
    "http://" + "a" * 10_000 + ".example",
    "http://" + "a.b" * 3_400,
    b"http://\xff\xfe.example",
    "://",
    " http://padded.example ",
    "http://localhost:3000, http://evil.example",
]


@pytest.mark.parametrize("prefix", ["/odd/plain", "/odd/rules/r", "/odd/fix/f"])
def test_absurd_origins(proxy, api, prefix):
    """Each as a fetch and as a preflight; with no rule, a reflecting rule that answers
    preflights, and a reflecting rule in front of a server answering 405 with odd headers."""
    for origin in ABSURD_ORIGINS:
        url = next_url(api, prefix)
        answer = raw_exchange(proxy.port, http1("GET", url, [("Host", "x"), *cors_get(origin)]))
        assert status_of(answer) in (200, 405), (origin, answer[:300])
        [event] = proxy.events_for(url)
        assert event["origin"] == (_b(origin).decode("utf-8", "surrogateescape")).strip()
        if prefix == "/odd/rules/r":
            assert event["rule"] == "odd reflect"
            sent = _b(origin).strip()
            assert b"\r\nAccess-Control-Allow-Origin: " + sent + b"\r\n" in answer
        preflight = [
            ("Host", "x"),
            ("Origin", origin),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-api-key"),
            ("Sec-Fetch-Mode", "cors"),
        ]
        url = next_url(api, prefix)
        answer = raw_exchange(proxy.port, http1("OPTIONS", url, preflight))
        assert status_of(answer) is not None, (origin, answer[:300])
        [event] = proxy.wait_for(lambda e, u=url: e["url"] == u and e["type"] == "preflight")
        assert event["verdict"] in ("allowed", "blocked")
    assert_serving(proxy, api)
    assert_clean(proxy)


# -- a flood of odd requests ----------------------------------------------------------------------

ODD_FIELDS: list[Field] = [
    ("X-Api-Key", "k"),
    ("Content-Type", "application/json"),
    ("Content-Type", ";;;/;"),
    ("Accept", "a" * 200),
    ("Accept-Language", "\xe4\xf6"),
    ("Range", "bytes=5-1"),
    ("Range", "bytes=" + "9" * 100 + "-"),
    ("Cookie", "a=b"),
    ("Authorization", "Bearer x"),
    ("Sec-Fetch-Mode", "no-cors"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Sec-Fetch-Mode", "weird\x01"),
    ("X-Latin", b"\xff\xfe"),
    (b"X-\xff", b"1"),
    ("X-Empty", ""),
    ("X-Requested-With", "XMLHttpRequest"),
    ("Access-Control-Request-Headers", ",,, ,x y,\xe9"),
    ("Upgrade", "websocket"),
    ("DPR", "2.0"),
    ("Width", "x"),
]


LONG_ORIGIN = "http://" + "a" * 10_000


@dataclass
class Sent:
    url: str
    origin: bool
    status: int | None = None
    answer: bytes = b""


@dataclass
class Flood:
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_flood_of_odd_requests(proxy, api):
    """400 requests from 16 concurrent clients, each with a random mix of odd headers and
    methods: all answered, and one event per request that reached the server with an
    Origin, none lost, none doubled."""
    flood = Flood()
    rng = random.Random(7)
    plans = []
    for i in range(400):
        prefix = rng.choice(["/odd/flood", "/odd/rules/flood", "/odd/fix/flood"])
        method = rng.choice(["GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"])
        origin = rng.choice(
            [PAGE, PAGE, "null", None, "http://[::1]:3000", "http://" + "a" * 10_000]
        )
        extra = rng.sample(ODD_FIELDS, rng.randint(0, 6))
        if method == "OPTIONS" and rng.random() < 0.7:
            extra.append(("Access-Control-Request-Method", rng.choice(["PUT", "GET", "", "X"])))
        plans.append((i, prefix, method, origin, extra))

    def client(mine: list) -> None:
        for _, prefix, method, origin, extra in mine:
            url = next_url(api, prefix)
            fields = [("Host", "x"), *cors_get(origin, *extra)]
            body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
            if body:
                fields.append(("Content-Length", str(len(body))))
            raw = http1(method, url, fields) + body
            answer = raw_exchange(proxy.port, raw)
            with flood.lock:
                head = answer.split(b"\r\n\r\n", 1)[0]
                flood.sent.append(Sent(url, origin is not None, status_of(answer), head))

    threads = [threading.Thread(target=client, args=(plans[n::16],)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(flood.sent) == 400
    assert all(s.status is not None for s in flood.sent), [s for s in flood.sent if not s.status]
    with_origin = {s.url for s in flood.sent if s.origin}
    expected = {s.url for s in flood.sent if s.origin and not refused_by_mitmproxy(s.answer)}
    assert len(expected) > 200
    # (an orphan's URL is its preflight's: count only the flows' own events)
    proxy.wait_for(
        lambda e: "/flood?" in e["url"] and e["type"] != "orphan", count=len(expected), timeout=30
    )
    logged = [e["url"] for e in proxy.events() if "/flood?" in e["url"] and e["type"] != "orphan"]
    assert len(logged) == len(set(logged))  # none twice
    assert expected <= set(logged) <= with_origin  # none lost, none made up
    assert_serving(proxy, api)
    assert_clean(proxy)


# -- HTTP/2 ---------------------------------------------------------------------------------------


@dataclass
class Stream:
    status: int | None = None
    reset: int | None = None
    ended: bool = False
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def h2_exchange(
    port: int, requests: list[list[tuple[bytes, bytes]]], timeout: float = 15.0
) -> tuple[dict[int, Stream], bool]:
    """Send requests as HTTP/2 streams on one TLS connection (ALPN h2), headers exactly as
    given (no validation, no normalisation). Returns the streams and whether the proxy
    ended the connection."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    config = h2.config.H2Configuration(
        client_side=True,
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
    )
    conn = h2.connection.H2Connection(config=config)
    streams: dict[int, Stream] = {}
    terminated = False
    with (
        socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        conn.initiate_connection()
        for headers in requests:
            sid = conn.get_next_available_stream_id()
            streams[sid] = Stream()
            conn.send_headers(sid, headers, end_stream=True)
        tls.sendall(conn.data_to_send())
        while not terminated and not all(s.ended or s.reset is not None for s in streams.values()):
            try:
                data = tls.recv(65536)
            except (TimeoutError, ConnectionResetError, ssl.SSLError):
                break
            if not data:
                terminated = True
                break
            for ev in conn.receive_data(data):
                s = streams.get(getattr(ev, "stream_id", 0) or 0)
                if isinstance(ev, h2.events.ResponseReceived) and s is not None:
                    s.headers = list(ev.headers)
                    s.status = int(dict(ev.headers)[b":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and s is not None:
                    s.ended = True
                elif isinstance(ev, h2.events.StreamReset) and s is not None:
                    s.reset = ev.error_code
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    terminated = True
            tls.sendall(conn.data_to_send())
    return streams, terminated


def h2_request(
    path: str, *fields: tuple[bytes | str, bytes | str], method: str = "GET", authority=True
) -> list[tuple[bytes, bytes]]:
    headers = [(b":method", method.encode()), (b":scheme", b"https"), (b":path", path.encode())]
    if authority:
        headers.insert(1, (b":authority", b"localhost"))
    return headers + [(_b(n), _b(v)) for n, v in fields]


def h2_path(api, prefix: str = "/odd/h2") -> str:
    return "/" + next_url(api, prefix).split("/", 3)[3]


H2_FETCH = [
    (b"origin", PAGE),
    (b"user-agent", CHROME_UA),
    (b"sec-fetch-mode", b"cors"),
    (b"sec-fetch-site", b"cross-site"),
]

H2_ODD: dict[str, list[tuple[bytes | str, bytes | str]]] = {
    "upper-case name": [(b"X-Upper", b"1")],
    "NUL in value": [(b"x-nul", b"a\x00b")],
    "CR LF in value": [(b"x-crlf", b"a\r\nx-injected: 1")],
    "non-UTF-8 value": [(b"x-latin", b"\xff\xfe")],
    "non-UTF-8 name": [(b"x-\xff", b"1")],
    "connection header": [(b"connection", b"keep-alive")],
    "empty name": [(b"", b"1")],
    "64 kB value": [(b"x-big", b"a" * 65_536)],
    "1000 headers": [(f"x-h{i}".encode(), b"v") for i in range(1000)],
    "two Origin fields": [(b"origin", b"http://other.example")],
    "10 kB origin": [(b"origin", b"http://" + b"a" * 10_000)],
    "null origin": [(b"origin", b"null")],
    "origin padded with spaces": [(b"origin", b" http://padded.example ")],
    "host and authority disagree": [(b"host", b"evil.example")],
}


def test_h2_plain_requests(h2_proxy, api):
    paths = [h2_path(api) for _ in range(3)]
    preflight = h2_request(
        paths[0],
        (b"origin", PAGE),
        (b"access-control-request-method", b"PUT"),
        (b"access-control-request-headers", b"x-api-key"),
        (b"sec-fetch-mode", b"cors"),
        method="OPTIONS",
    )
    streams, _ = h2_exchange(
        h2_proxy.port, [preflight, h2_request(paths[1], *H2_FETCH), h2_request(paths[2])]
    )
    assert [s.status for s in streams.values()] == [200, 200, 200]
    front = f"https://127.0.0.1:{h2_proxy.port}"
    [pre] = h2_proxy.events_for(front + paths[0])
    assert pre["type"] == "preflight" and pre["verdict"] == "blocked"
    [req] = h2_proxy.events_for(front + paths[1])
    assert req["type"] == "request" and req["verdict"] == "allowed"
    # no Origin, no event: a later flow's event in the log shows nothing before it waits
    check = h2_path(api)
    h2_exchange(h2_proxy.port, [h2_request(check, *H2_FETCH)])
    h2_proxy.events_for(front + check)
    assert not [e for e in h2_proxy.events() if e["url"] == front + paths[2]]


@pytest.mark.parametrize("name", list(H2_ODD))
def test_h2_odd_headers(h2_proxy, api, name):
    path = h2_path(api)
    streams, _ = h2_exchange(h2_proxy.port, [h2_request(path, *H2_FETCH, *H2_ODD[name])])
    [stream] = streams.values()
    front = f"https://127.0.0.1:{h2_proxy.port}{path}"
    if stream.status is not None and any(path in s.path for s in api.seen):
        h2_proxy.events_for(front)  # it reached the server: it has its event
    # the proxy keeps serving HTTP/2 on a new connection
    check = h2_path(api)
    streams, _ = h2_exchange(h2_proxy.port, [h2_request(check, *H2_FETCH)])
    assert [s.status for s in streams.values()] == [200]
    [event] = h2_proxy.events_for(f"https://127.0.0.1:{h2_proxy.port}{check}")
    assert event["verdict"] == "allowed"
    assert_clean(h2_proxy)


def test_h2_missing_pseudo_headers_and_authority(h2_proxy, api):
    """No :authority (HTTP/2's Host) is allowed; no :path or no :method is not, and the
    proxy must refuse that stream and keep serving."""
    no_authority = h2_path(api)
    cases = [
        h2_request(no_authority, *H2_FETCH, authority=False),
        [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"x"), *H2_FETCH],
        [(b":path", b"/odd/h2"), (b":scheme", b"https"), *H2_FETCH],
    ]
    for case in cases:
        h2_exchange(h2_proxy.port, [case])
    if any(no_authority in s.path for s in api.seen):
        [event] = h2_proxy.wait_for(lambda e: e["url"].endswith(no_authority))
        assert event["origin"] == PAGE
    check = h2_path(api)
    streams, _ = h2_exchange(h2_proxy.port, [h2_request(check, *H2_FETCH)])
    assert [s.status for s in streams.values()] == [200]
    assert_clean(h2_proxy)


def test_h2_many_streams_with_odd_origins(h2_proxy, api):
    """100 concurrent streams on one connection, absurd origins: every one answered and
    logged once."""
    paths = [h2_path(api, "/odd/h2many") for _ in range(100)]
    # (a value with surrounding whitespace is an HTTP/2 protocol error that ends the whole
    # connection: it is among the H2_ODD cases)
    origins = [o for o in ABSURD_ORIGINS if isinstance(o, str) and o == o.strip()]
    requests = [
        h2_request(p, (b"origin", origins[i % len(origins)]), *H2_FETCH[1:])
        for i, p in enumerate(paths)
    ]
    streams, terminated = h2_exchange(h2_proxy.port, requests, timeout=60)
    assert [s.status for s in streams.values()] == [200] * 100, (terminated, streams)
    h2_proxy.wait_for(lambda e: "/odd/h2many?" in e["url"], count=100, timeout=30)
    urls = [e["url"] for e in h2_proxy.events() if "/odd/h2many?" in e["url"]]
    assert sorted(urls) == sorted(f"https://127.0.0.1:{h2_proxy.port}{p}" for p in paths)
    assert_clean(h2_proxy)


def test_every_log_line_is_whole_and_valid(proxy, h2_proxy, validate_event):
    """After all of the above: both logs are whole JSONL, every line valid against the
    schema, one line per flow and event type."""
    for p in (proxy, h2_proxy):
        text = p.whole_log_text()
        assert text.endswith("\n")
        events = [validate_event(json.loads(line)) for line in text.splitlines()]
        assert len(events) > 100
        assert len({(e["flow"], e["type"]) for e in events}) == len(events)
        assert_clean(p)
