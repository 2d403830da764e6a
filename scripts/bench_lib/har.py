"""A generated HAR 1.2 file of the load test's CORS mix, written entry by entry (so that
a 100k-entry file costs no memory to make)."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ORIGIN = "http://localhost:3000"
API = "http://127.0.0.1:8000"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)


def _h(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def _common() -> list[tuple[str, str]]:
    return [
        ("Host", "127.0.0.1:8000"),
        ("Connection", "keep-alive"),
        ("sec-ch-ua", '"Chromium";v="126", "Google Chrome";v="126"'),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", '"Linux"'),
        ("User-Agent", UA),
        ("Referer", ORIGIN + "/dashboard"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ]


def _fetch(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        *_common(),
        ("Accept", "application/json, text/plain, */*"),
        ("Origin", ORIGIN),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
        *extra,
    ]


def _resp(status: int, preflight: bool, acrh: str = "", cors: bool = True) -> dict[str, object]:
    headers = [("Server", "nginx/1.22.1"), ("Vary", "Origin")]
    if cors:
        headers += [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    if preflight:
        headers += [
            ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE"),
            ("Access-Control-Allow-Headers", acrh),
            ("Access-Control-Max-Age", "600"),
        ]
    elif cors:
        headers.append(("Access-Control-Expose-Headers", "x-request-id"))
    body = "" if status == 204 else '{"ok":true}'
    return {
        "status": status,
        "statusText": "No Content" if status == 204 else "OK",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _h([*headers, ("Content-Type", "application/json")]),
        "content": {"size": len(body), "mimeType": "application/json", "text": body},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(body),
    }


def _entries(i: int) -> list[tuple[str, str, list[tuple[str, str]], dict[str, object]]]:
    acrh2 = "authorization,content-type,x-request-id"
    auth = ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bench")
    pre = [
        ("Accept", "*/*"),
        ("Origin", ORIGIN),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Dest", "empty"),
    ]
    no_origin = [*_common(), ("Accept", "*/*"), ("Sec-Fetch-Mode", "no-cors")]
    json_ct = ("Content-Type", "application/json")
    return [
        ("GET", f"/api/v1/items?page={i % 20}", _fetch(), _resp(200, False)),
        (
            "OPTIONS",
            f"/api/v1/items/{i}",
            [
                *_common(),
                *pre,
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            _resp(204, True, "content-type"),
        ),
        ("POST", f"/api/v1/items/{i}", _fetch(json_ct), _resp(200, False)),
        ("GET", f"/assets/app.{i % 50}.js", no_origin, _resp(200, False, cors=False)),
        ("GET", "/api/v1/me", _fetch(("Cookie", "sid=1")), _resp(200, False)),
        (
            "OPTIONS",
            f"/api/v1/orders/{i}",
            [
                *_common(),
                *pre,
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", acrh2),
            ],
            _resp(204, True, acrh2),
        ),
        (
            "POST",
            f"/api/v1/orders/{i}",
            _fetch(json_ct, auth, ("X-Request-Id", str(i))),
            _resp(200, False),
        ),
        ("GET", "/img/logo.png", no_origin, _resp(200, False, cors=False)),
        ("GET", f"/api/v1/search?q=w{i % 100}", _fetch(), _resp(200, False)),
        ("GET", "/dashboard", no_origin, _resp(200, False, cors=False)),
    ]


def write_har(path: Path, n: int) -> None:
    """`n` entries, 10 ms apart, the 10-request mix repeated."""
    t0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"log":{"version":"1.2","creator":{"name":"scripts/bench","version":"1"},')
        f.write('"pages":[],"entries":[\n')
        written = 0
        cycle = 0
        while written < n:
            for method, path_q, headers, resp in _entries(cycle):
                if written >= n:
                    break
                started = t0 + timedelta(milliseconds=10 * written)
                body = '{"name":"widget"}' if method == "POST" else None
                entry = {
                    "startedDateTime": started.isoformat(timespec="milliseconds"),
                    "time": 2.5,
                    "request": {
                        "method": method,
                        "url": API + path_q,
                        "httpVersion": "HTTP/1.1",
                        "cookies": [],
                        "headers": _h(headers),
                        "queryString": [],
                        "headersSize": -1,
                        "bodySize": len(body) if body else 0,
                        **(
                            {"postData": {"mimeType": "application/json", "text": body}}
                            if body
                            else {}
                        ),
                    },
                    "response": resp,
                    "cache": {},
                    "timings": {"send": 0.1, "wait": 2.2, "receive": 0.2},
                    "serverIPAddress": "127.0.0.1",
                    "connection": str(cycle % 6),
                }
                if written:
                    f.write(",\n")
                f.write(json.dumps(entry, separators=(",", ":")))
                written += 1
            cycle += 1
        f.write("\n]}}\n")
