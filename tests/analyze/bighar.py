"""A large HAR written at run time for the streaming tests and the benchmark: N entries of a
page talking to an API (preflights, their requests, cache hits, blocked requests), written
entry by entry without holding the document."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

START = 1772366400.0  # 2026-03-01T12:00:00Z
PAGE = "http://localhost:3000"
API = "http://127.0.0.1:8081"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"

_REQ = [
    ("Accept", "*/*"),
    ("Origin", PAGE),
    ("Referer", PAGE + "/"),
    ("User-Agent", UA),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Site", "cross-site"),
    ("Sec-Fetch-Dest", "empty"),
]


def _entry(n: int, t: float, method: str, path: str, extra: list[tuple[str, str]],
           status: int, resp: list[tuple[str, str]]) -> str:  # fmt: skip
    stamp = datetime.fromtimestamp(START + t, UTC).isoformat(timespec="milliseconds")
    return json.dumps(
        {
            "_resourceType": "preflight" if method == "OPTIONS" else "fetch",
            "startedDateTime": stamp,
            "time": 3.0,
            "request": {
                "method": method,
                "url": f"{API}{path}?n={n}" if method == "GET" else f"{API}{path}",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": k, "value": v} for k, v in (*_REQ, *extra)],
                "cookies": [],
                "queryString": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": k, "value": v} for k, v in resp],
                "cookies": [],
                "content": {"size": 12, "mimeType": "application/json", "text": '{"ok": true}'},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 12,
            },
            "cache": {},
            "timings": {
                "blocked": 0,
                "dns": -1,
                "connect": -1,
                "send": 0.2,
                "wait": 2.5,
                "receive": 0.3,
            },
        }
    )


def write_har(path: Path, entries: int) -> Path:
    """Write a HAR of `entries` entries (about 1 KB each)."""
    acao = ("Access-Control-Allow-Origin", PAGE)
    with open(path, "w") as f:
        f.write(
            '{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},'
        )
        f.write(' "pages": [], "entries": [\n')
        t = 0.0
        for n in range(entries):
            t += 0.004
            kind = n % 4
            if kind == 0:  # a preflight (a new URL each time: no cache across them)
                e = _entry(n, t, "OPTIONS", f"/v1/items/{n}", [
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "content-type")], 204,
                    [acao, ("Access-Control-Allow-Methods", "PUT"),
                     ("Access-Control-Allow-Headers", "content-type")])  # fmt: skip
            elif kind == 1:  # its PUT
                e = _entry(n, t, "PUT", f"/v1/items/{n - 1}",
                           [("Content-Type", "application/json")], 200, [acao])  # fmt: skip
            elif kind == 2:  # a simple GET without CORS headers: blocked
                e = _entry(n, t, "GET", "/v1/feed", [], 200, [("Content-Type", "application/json")])
            else:  # a simple GET that passes
                e = _entry(n, t, "GET", "/v1/ok", [], 200, [acao, ("X-Trace", str(n))])
            if n:
                f.write(",\n")
            f.write(e)
        f.write("\n]}}\n")
    return path
