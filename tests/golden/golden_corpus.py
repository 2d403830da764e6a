"""The golden corpus: flows covering the browser catalogue and the fuzzing vocabulary, built
once into corpus.flows.gz (a gzip'd mitmproxy flow file) by `scripts/golden --corpus`.

Sources, in this order (pairing and orphans span flows, so the order is part of the corpus):
  - tests/analyze/fixtures/devtools.har.gz: every scenario of the Chromium catalogue as real
    headless Chromium sent it through the proxy (preflights, actual requests, redirects, errors);
  - the same entries with Firefox's and Safari's User-Agent (the other engines' rules);
  - the other captures of tests/analyze/fixtures (chromium.har, firefox.har, mitmproxy.har,
    chrome-h2.har, flows.mitm);
  - seeded random flows drawn from the fuzz vocabulary (tests/hardening/fuzz_strategies.py):
    odd origins, header names and values, methods, statuses, preflight/actual pairs, errors.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from mitmproxy import connection
from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy import io as mio

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
FIXTURES = TESTS / "analyze" / "fixtures"
CORPUS = HERE / "corpus.flows.gz"

FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Safari/605.1.15"
)


def _flow(
    method: str,
    url: str,
    req_headers: list[tuple[str, str]],
    start: float,
    status: int | None,
    resp_headers: list[tuple[str, str]],
    wait: float,
    error: str | None,
    rng: random.Random,
    client: str = "127.0.0.1",
) -> http.HTTPFlow:
    def enc(fields: list[tuple[str, str]]) -> http.Headers:
        return http.Headers(
            [
                (n.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                for n, v in fields
            ]
        )

    client_conn = connection.Client(
        peername=(client, 50000), sockname=("127.0.0.1", 8080), timestamp_start=start
    )
    f = http.HTTPFlow(client_conn, connection.Server(address=None))
    f.id = str(uuid.UUID(int=rng.getrandbits(128)))
    req = http.Request.make("GET", url, b"", enc(req_headers))
    req.data.method = method.encode("utf-8", "surrogateescape")
    req.timestamp_start = req.timestamp_end = start
    f.request = req
    if status is not None:
        resp = http.Response.make(status, b"", enc(resp_headers))
        resp.timestamp_start = resp.timestamp_end = start + wait
        f.response = resp
    elif error is not None:
        f.error = mflow.Error(error)
    return f


def _har_flows(
    path: Path, rng: random.Random, ua: str | None = None, later: float = 0.0
) -> Iterator[http.HTTPFlow]:
    """The entries of a HAR as flows; `later` seconds after the capture's own times (a copy
    replayed as a later session, so its requests never pair with an earlier copy's
    preflights)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        har = json.load(f)
    for entry in har["log"]["entries"]:
        req, resp = entry["request"], entry["response"]
        start = datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
        headers = [(h["name"], h["value"]) for h in req["headers"] if not h["name"].startswith(":")]
        if ua is not None:
            headers = [(n, ua if n.lower() == "user-agent" else v) for n, v in headers]
        status = resp.get("status") or None
        wait = max(float(entry.get("timings", {}).get("wait", 1) or 1), 0) / 1000
        error = None if status else (resp.get("_error") or "net::ERR_FAILED")
        yield _flow(
            req["method"],
            req["url"],
            headers,
            start.timestamp() + later,
            status,
            [(h["name"], h["value"]) for h in resp["headers"] if not h["name"].startswith(":")],
            wait,
            error,
            rng,
        )


def _flowfile_flows(path: Path) -> Iterator[http.HTTPFlow]:
    with open(path, "rb") as f:
        for flow in mio.FlowReader(f).stream():
            if isinstance(flow, http.HTTPFlow):
                yield flow


def _fuzz_flows(rng: random.Random, n: int) -> Iterator[http.HTTPFlow]:
    sys.path.insert(0, str(TESTS / "hardening"))
    from fuzz_strategies import ODD_ORIGINS
    from fuzz_strategies import REQUEST_NAMES
    from fuzz_strategies import RESPONSE_NAMES
    from fuzz_strategies import VALUES

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "patch", "OPTIONS", "HEAD", "Get", "X"]
    urls = [
        "http://api.fuzz.test/v1/items",
        "https://api.fuzz.test:8443/v1/x?q=1",
        "http://127.0.0.1:9/p",
        "http://[::1]:8080/a/b",
        "http://app.fuzz.test/same",
    ]
    origins = ["http://app.fuzz.test", "https://app.fuzz.test", *ODD_ORIGINS]
    statuses = [200, 204, 301, 302, 307, 308, 400, 403, 404, 405, 500, 0]
    t = 1_700_000_000.0
    for _ in range(n):
        t += rng.choice([0.001, 0.01, 0.5, 3.0, 20.0])
        url = rng.choice(urls)
        origin = rng.choice(origins)
        ua = rng.choice([v for v in VALUES if v.startswith("Mozilla")])
        client = rng.choice(["127.0.0.1", "127.0.0.2"])
        if rng.random() < 0.35:  # a preflight and its actual request
            method = rng.choice(methods[:6])
            acrh = rng.choice(["", "x-api-key", "content-type, x-api-key", "authorization"])
            pf = [("Origin", origin), ("Access-Control-Request-Method", method)]
            if acrh:
                pf.append(("Access-Control-Request-Headers", acrh))
            pf += [("User-Agent", ua), ("Sec-Fetch-Mode", "cors")]
            grant = [("Access-Control-Allow-Origin", rng.choice([origin, "*", "null", ""]))]
            if rng.random() < 0.7:
                grant.append(("Access-Control-Allow-Methods", rng.choice([method, "*", "GET"])))
            if rng.random() < 0.7 and acrh:
                grant.append(("Access-Control-Allow-Headers", rng.choice([acrh, "*", "x"])))
            if rng.random() < 0.4:
                grant.append(("Access-Control-Max-Age", rng.choice(["0", "5", "600", "-1"])))
            if rng.random() < 0.3:
                grant.append(("Access-Control-Allow-Credentials", "true"))
            status = rng.choice([200, 204, 204, 403, 405, 302, 0])
            yield _flow(
                "OPTIONS", url, pf, t, status or None, grant, 0.002,
                None if status else "connection refused", rng, client,
            )  # fmt: skip
            actual = [("Origin", origin), ("User-Agent", ua), ("Sec-Fetch-Mode", "cors")]
            for name in acrh.split(", ") if acrh else ():
                actual.append((name, rng.choice(VALUES)))
            if rng.random() < 0.3:
                actual.append(("Cookie", "a=1"))
            t += rng.choice([0.003, 0.01, 15.0])
            yield _flow(
                method, url, actual, t, rng.choice([200, 200, 404]), grant[:1], 0.002,
                None, rng, client,
            )  # fmt: skip
            continue
        req: list[tuple[str, str]] = []
        if rng.random() < 0.85:
            req.append((rng.choice(["Origin", "origin", "ORIGIN"]), origin))
        for _ in range(rng.randrange(0, 8)):
            req.append((rng.choice(REQUEST_NAMES) or "X-Empty", rng.choice(VALUES)))
        if rng.random() < 0.1:
            req += [(f"X-Many-{i}", "v") for i in range(rng.choice([50, 300]))]
        resp: list[tuple[str, str]] = []
        for _ in range(rng.randrange(0, 6)):
            value = rng.choice([origin, *rng.sample(VALUES, 3)])
            resp.append((rng.choice(RESPONSE_NAMES) or "X-Empty", value))
        status = rng.choice(statuses)
        error = None if status else rng.choice(["connection refused", "timeout", "TLS failed"])
        yield _flow(
            rng.choice(methods), url, req, t, status or None, resp, 0.004, error, rng, client
        )


def build() -> list[http.HTTPFlow]:
    rng = random.Random(14)
    flows: list[http.HTTPFlow] = []
    devtools = FIXTURES / "devtools.har.gz"
    flows += _har_flows(devtools, rng)
    flows += _har_flows(devtools, rng, FIREFOX_UA, later=3600)
    flows += _har_flows(devtools, rng, SAFARI_UA, later=7200)
    for name in ("chromium.har", "firefox.har", "mitmproxy.har", "chrome-h2.har"):
        flows += _har_flows(FIXTURES / name, rng)
    flows += _flowfile_flows(FIXTURES / "flows.mitm")
    flows += _fuzz_flows(rng, 1500)
    return flows


def write(flows: list[http.HTTPFlow], path: Path = CORPUS) -> None:
    buf = io.BytesIO()
    writer = mio.FlowWriter(buf)
    for f in flows:
        writer.add(f)
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write(buf.getvalue())


def load(path: Path = CORPUS) -> list[http.HTTPFlow]:
    with gzip.open(path, "rb") as f:
        data = f.read()
    return [f for f in mio.FlowReader(io.BytesIO(data)).stream() if isinstance(f, http.HTTPFlow)]


def describe(f: http.HTTPFlow) -> dict[str, Any]:
    """A flow, briefly, for a readable diff."""
    return {
        "method": f.request.data.method.decode("utf-8", "surrogateescape"),
        "url": f.request.url[:200],
        "status": f.response.status_code if f.response is not None else None,
    }
