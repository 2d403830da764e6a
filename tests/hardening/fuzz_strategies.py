"""Hypothesis strategies of the fuzz tests: the odd traffic of the wire (header names and
values as raw bytes, non-ASCII, control bytes, huge values, thousands of fields,
duplicates, empty values; methods, URLs and status codes), and rules files.

Examples per property: CORS_FUZZ_EXAMPLES (default 200, so the suite stays fast; set
CORS_FUZZ_EXAMPLES=10000 for a real fuzzing run).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("CORS_FUZZ_EXAMPLES") or 200)

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)

VERDICTS = frozenset({"allowed", "blocked", "invalid-http", "not-cors", "unknown"})

# -- text -------------------------------------------------------------------------------

# What mitmproxy hands over: any bytes, decoded as it decodes them (UTF-8, surrogateescape).
wire_text = st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape"))
any_text = st.text(max_size=40)  # any code point (HAR files and flow files carry these)
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F) | st.just("\x7f"), max_size=8)


def amplified(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly `base`, sometimes repeated into a huge value (up to ~100 kB)."""
    return st.one_of(
        base,
        base,
        base,
        st.tuples(base, st.sampled_from([64, 1_000, 10_000])).map(
            lambda p: (p[0] or "a") * p[1] if len(p[0] or "a") * p[1] <= 100_000 else p[0]
        ),
    )


# -- header names and values -------------------------------------------------------------

REQUEST_NAMES = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
    "Sec-Fetch-Mode",
    "Sec-Fetch-Site",
    "Sec-Fetch-Dest",
    "Sec-Fetch-Storage-Access",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Range",
    "Cookie",
    "Authorization",
    "User-Agent",
    "X-Requested-With",
    "Upgrade",
    "Referer",
    "Host",
    "DPR",
    "Width",
    "Save-Data",
    "X-Api-Key",
    "",
]
RESPONSE_NAMES = [
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Private-Network",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Location",
    "Vary",
    "Set-Cookie",
    "Content-Type",
    "Content-Length",
    "X-Request-Id",
    "",
]
ODD_ORIGINS = [
    "null",
    "NULL",
    "",
    " ",
    "file://",
    "file:///etc/passwd",
    "http://[::1]",
    "http://[::1]:3000",
    "http://[::ffff:127.0.0.1]",
    "http://[fe80::1%25eth0]",
    "http://[::1",
    "http://xn--bcher-kva.example",
    "http://bücher.example",
    "http://localhost.",
    "http://app.example.:8080",
    "http://app.example:80",
    "https://app.example:443",
    "https://app.example:0",
    "https://app.example:99999999999999999999",
    "http://user:pass@app.example",
    "http://app.example/path?q#f",
    "HTTP://APP.EXAMPLE",
    "chrome-extension://abcdef",
    "data:",
    "://",
    "http://",
    "http://localhost:3000, http://evil.example",
    "http://a\x00b",
    "http://\udcff\udcfe",
    "http://" + "a" * 10_000,
    "http://localhost:" + "9" * 5_000,
]
VALUES = [
    "*",
    "null",
    "true",
    "TRUE",
    "false",
    "",
    " ",
    ",,, ,",
    "GET",
    "PUT, DELETE",
    "put",
    "x-api-key, content-type",
    "authorization",
    "Origin",
    "cors",
    "no-cors",
    "navigate",
    "same-origin",
    "websocket",
    "cross-site",
    "document",
    "empty",
    "application/json",
    "text/plain; charset=utf-8",
    "multipart/form-data; boundary=x",
    ";;;/;",
    "bytes=0-",
    "bytes=5-1",
    "bytes=" + "9" * 5_000 + "-",
    "600",
    "-1",
    "+5",
    "1e3",
    "99999999999999999999999999",
    "9" * 5_000,
    "http://localhost:3000",
    "http://[::1/\xff",
    "/relative",
    "//other.example/x",
    "XMLHttpRequest",
    "h2c",
    "Mozilla/5.0 (X11) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36",
]


def _random_case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


def names(known: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(known).flatmap(_random_case),
        st.sampled_from(known).flatmap(_random_case),
        wire_text,
        any_text,
        CONTROL,
    )


header_values = amplified(
    st.one_of(
        st.sampled_from(VALUES),
        st.sampled_from(VALUES),
        st.sampled_from(ODD_ORIGINS),
        wire_text,
        any_text,
        CONTROL,
    )
)
origins = amplified(st.one_of(st.sampled_from(ODD_ORIGINS), wire_text, any_text))


@st.composite
def header_fields(draw: st.DrawFn, known: list[str], origin: bool = False) -> list:
    """A header list: a few fields, sometimes one of them thousands of times (duplicates,
    thousands of headers), sometimes an Origin first."""
    fields = draw(st.lists(st.tuples(names(known), header_values), max_size=10))
    if fields and draw(st.integers(0, 9)) == 0:
        pos = draw(st.integers(0, len(fields) - 1))
        times = draw(st.sampled_from([2, 100, 3_000]))
        fields = fields[:pos] + [fields[pos]] * times + fields[pos + 1 :]
    if origin and draw(st.integers(0, 4)) != 0:
        fields.insert(0, ("Origin", draw(origins)))
    return fields


methods = st.one_of(
    st.sampled_from(
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]
    ),
    st.sampled_from(["get", "options", "Put", "", " ", "G E T", "ÜBER"]),
    wire_text,
    amplified(any_text),
)

_schemes = st.sampled_from(["http", "https", "ws", "wss", "file", "HTTP", "", "x-y+z"])
_hosts = st.one_of(
    st.sampled_from(
        [
            "api.example",
            "API.EXAMPLE",
            "localhost",
            "localhost.",
            "127.0.0.1",
            "[::1]",
            "[::ffff:10.0.0.1]",
            "[fe80::1",
            "xn--bcher-kva.example",
            "bücher.example",
            "192.168.1.1",
            "10.0.0.1",
            "app.local",
            "",
        ]
    ),
    wire_text,
)
_ports = st.one_of(
    st.just(""),
    st.integers(0, 70_000).map(lambda p: f":{p}"),
    st.sampled_from([":", ":x", ":-1", ":1_0", ": 80", ":" + "9" * 5_000]),
)
_paths = st.one_of(st.sampled_from(["", "/", "/v1/items?x=1#f", "/%zz", "?q"]), wire_text)
urls = st.one_of(
    st.builds(lambda s, h, p, path: f"{s}://{h}{p}{path}", _schemes, _hosts, _ports, _paths),
    st.builds(lambda s, h, p, path: f"{s}://{h}{p}{path}", _schemes, _hosts, _ports, _paths),
    amplified(any_text),
    st.sampled_from(["*", "", "/relative", "//host/x", "http://user:pw@host@other/"]),
)
statuses = st.one_of(
    st.sampled_from([200, 204, 206, 301, 302, 303, 304, 307, 308, 401, 403, 404, 405, 500]),
    st.integers(100, 999),
    st.integers(-1_000, 1_000_000),
)
