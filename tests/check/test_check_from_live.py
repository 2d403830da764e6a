"""`check --from` gives the verdicts the live proxy gave.

The real proxy (`python -m cors_addon`, one per engine profile) runs in front of a local
API; a client sends, through it, the requests each browser engine sends for a set of calls
(written out by hand here, from browser-engines.md: Firefox and WebKit preflight DPR,
Chromium does not; a browser stops at a failed preflight). The proxy logs its events (and
a flow file and a HAR). `check --from` each recording, against the same API, must give per
call and engine the verdict and error code the live proxy logged for that engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from check_helpers import PAGE
from check_helpers import reflect
from check_helpers import run_check
from proxy_harness import Proxy
from proxy_harness import Route
from proxy_harness import Server
from proxy_harness import send

pytestmark = pytest.mark.integration

UA = {
    "chromium": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/156.0.0.0 Safari/537.36"
    ),
    "firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
    "webkit": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/60.5 Safari/605.1.15"
    ),
}
PROFILE = {"chromium": "chromium", "firefox": "firefox", "webkit": "webkit"}
ENGINES = tuple(UA)
Fields = list[tuple[str, str]]


def api_routes(server: Server) -> None:
    other = f"http://localhost:{server.port}"  # another origin, same server
    server.add("/ok", Route(200, [("X-Request-Id", "1")], dynamic=reflect))
    server.add("/no-acao", Route(200))
    server.add("/items/1", Route(405, [("Allow", "GET")]), method="OPTIONS")
    server.add("/items/1", Route(200, dynamic=reflect))
    preflight_ok = [
        ("Access-Control-Allow-Methods", "DELETE, PATCH"),
        ("Access-Control-Allow-Headers", "x-api-key"),
    ]
    server.add("/items/2", Route(204, preflight_ok, dynamic=reflect), method="OPTIONS")
    server.add("/items/2", Route(200, dynamic=reflect))
    server.add("/me", Route(200, [("Access-Control-Allow-Origin", "*")]))
    server.add("/redirect", Route(302, [("Location", f"{other}/target")], dynamic=reflect))
    server.add("/target", Route(200, [("Access-Control-Allow-Origin", PAGE)]))
    server.add("/settings", Route(204, preflight_ok, dynamic=reflect), method="OPTIONS")
    server.add("/form", Route(200, dynamic=reflect))
    server.add("/dpr", Route(405), method="OPTIONS")
    server.add("/dpr", Route(200, dynamic=reflect))
    search_ok = [("Access-Control-Allow-Headers", "x-api-key")]
    server.add("/search", Route(204, search_ok, dynamic=reflect), method="OPTIONS")
    server.add("/search", Route(200, dynamic=reflect))


class Browser:
    """Sends, through the proxy, what engine `engine` sends for a call."""

    def __init__(self, engine: str, proxy: Proxy, server: Server) -> None:
        self.engine, self.proxy, self.server = engine, proxy, server

    def _common(self, origin: str) -> Fields:
        return [
            ("Origin", origin),
            ("User-Agent", UA[self.engine]),
            ("Sec-Fetch-Mode", "cors"),
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Dest", "empty"),
        ]

    def preflight(self, method: str, path: str, acrh: str = "") -> int:
        fields: Fields = [("Accept", "*/*"), ("Access-Control-Request-Method", method)]
        if acrh:
            fields.append(("Access-Control-Request-Headers", acrh))
        return send(
            self.proxy.port, "OPTIONS", self.server.url(path), fields + self._common(PAGE)
        ).status

    def fetch(
        self, method: str, path: str, extra: Fields = (), cookie: str | None = None,
        origin: str = PAGE, url: str | None = None,
    ) -> int:  # fmt: skip
        fields = [("Accept", "*/*"), *extra, *self._common(origin)]
        if cookie:
            fields.append(("Cookie", cookie))
        body = b"x" if method in ("POST", "PUT", "PATCH") else b""
        return send(self.proxy.port, method, url or self.server.url(path), fields, body).status

    def calls(self) -> None:
        self.fetch("GET", "/ok")
        self.fetch("GET", "/no-acao")
        # PUT with JSON and a key: the preflight is refused, the PUT never sent
        assert self.preflight("PUT", "/items/1", "content-type,x-api-key") == 405
        assert self.preflight("DELETE", "/items/2", "x-api-key") == 204
        self.fetch("DELETE", "/items/2", [("X-Api-Key", "k")])
        self.fetch("GET", "/me", cookie="sid=1")
        assert self.fetch("GET", "/redirect") == 302
        other = f"http://localhost:{self.server.port}/target"
        self.fetch("GET", "/target", origin="null", url=other)  # tainted by the redirect
        # PATCH with credentials: the preflight has no Allow-Credentials, the browser stops
        assert self.preflight("PATCH", "/settings", "x-api-key") == 204
        self.fetch("POST", "/form", [("Content-Type", "text/plain;charset=UTF-8")])
        if self.engine == "chromium":  # DPR is safelisted in Chromium only
            self.fetch("GET", "/dpr", [("DPR", "2")])
        else:
            assert self.preflight("GET", "/dpr", "dpr") == 405
        assert self.preflight("GET", "/search", "x-api-key") == 204
        self.fetch("GET", "/search", [("X-Api-Key", "k")])


@dataclass
class Recording:
    server: Server
    logs: dict[str, Path]  # engine -> the proxy's event log
    flows: Path  # chromium's flow file
    har: Path  # chromium's HAR

    def live(self, engine: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs[engine].read_text().splitlines()]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    base = tmp_path_factory.mktemp("live")
    with Server() as server:
        api_routes(server)
        logs = {}
        for engine in ENGINES:
            extra = ["--set", f"cors_browser={PROFILE[engine]}"]
            if engine == "chromium":
                extra += ["-w", str(base / "flows.mitm"), "--set", f"hardump={base / 'page.har'}"]
            with Proxy(base / engine, extra).start() as proxy:
                Browser(engine, proxy, server).calls()
                # the PATCH preflight's orphan, once the pairing window has passed
                proxy.wait_for(lambda e: e["type"] == "orphan", timeout=15)
            assert proxy.returncode == 0, proxy.output()
            assert proxy.log_path is not None
            logs[engine] = proxy.log_path
        server.seen.clear()
        yield Recording(server, logs, base / "flows.mitm", base / "page.har")


def live_outcomes(events: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Per call (method, first URL): the live proxy's verdict and error code: the last hop
    of a request's redirect chain, else the orphan of its preflight, else the preflight."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    rank: dict[tuple[str, str], int] = {}
    for e in events:
        code = e["error"]["code"] if e["error"] else None
        if e["type"] == "request":
            key, r = (e["method"], e["redirected_from"] or e["url"]), 3
            if e["redirected_from"]:
                key = next(k for k in out if k[1] == e["redirected_from"])
        else:
            key, r = (e["preflight"]["method"], e["url"]), 2 if e["type"] == "orphan" else 1
        if r >= rank.get(key, 0):
            out[key], rank[key] = (e["verdict"], code), r
    return out


def check_outcomes(events: list[dict[str, Any]]) -> dict[str, dict[tuple[str, str], tuple]]:
    """Per engine and call (method, URL): check's final verdict and error code."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in events:
        _, n, engine, _ = e["flow"].split(".")
        runs.setdefault((n, engine), []).append(e)
    out: dict[str, dict[tuple[str, str], tuple]] = {}
    for (_, engine), steps in runs.items():
        first, last = steps[0], steps[-1]
        method = first["preflight"]["method"] if first["type"] == "preflight" else first["method"]
        code = last["error"]["code"] if last["error"] else None
        calls = out.setdefault(engine, {})
        assert (method, first["url"]) not in calls, f"{method} {first['url']} checked twice"
        calls[(method, first["url"])] = (last["verdict"], code)
    return out


def test_the_recording_has_what_the_test_needs(recording: Recording) -> None:
    live = live_outcomes(recording.live("chromium"))
    assert len(live) == 10
    verdicts = {v for v, _ in live.values()}
    assert verdicts == {"allowed", "blocked"}
    # the orphan of the credentialed PATCH carries the credentials error
    assert live[("PATCH", recording.server.url("/settings"))] == (
        "blocked",
        "PreflightInvalidAllowCredentials",
    )
    webkit = live_outcomes(recording.live("webkit"))
    assert webkit[("PUT", recording.server.url("/items/1"))] == (
        "blocked",
        "PreflightInvalidStatus",
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_from_each_engines_event_log(recording: Recording, engine: str) -> None:
    r = run_check(
        "--from", str(recording.logs[engine]), "--browsers", engine, "--send-unsafe", "--json"
    )
    assert r.code == 1, r.err
    got = check_outcomes(r.events())[engine]
    assert got == live_outcomes(recording.live(engine))


@pytest.mark.parametrize("kind", ["flows", "har"])
def test_from_a_capture_every_engine(recording: Recording, kind: str) -> None:
    """A capture has the header values (DPR: 2), so one recorded in Chromium gives Firefox's
    and WebKit's verdicts too: the ones their own live proxies gave."""
    path = recording.flows if kind == "flows" else recording.har
    r = run_check("--from", str(path), "--send-unsafe", "--json")
    assert r.code == 1, r.err
    got = check_outcomes(r.events())
    for engine in ENGINES:
        assert got[engine] == live_outcomes(recording.live(engine)), engine


def test_safe_by_default(recording: Recording) -> None:
    """Without --send-unsafe only GET and HEAD go out as actual requests; the PUT, DELETE,
    PATCH and POST calls are checked up to their preflight."""
    server = recording.server
    server.seen.clear()
    r = run_check("--from", str(recording.logs["chromium"]))
    assert r.code == 1
    assert {s.method for s in server.seen} == {"GET", "OPTIONS"}
    lines = r.out.splitlines()
    table = lines[2 : lines.index("")]
    row = next(x for x in table if x.startswith(f"DELETE {server.url('/items/2')} from"))
    assert row.split("  ")[-3:] == ["not sent"] * 3 or row.split()[-6:] == ["not", "sent"] * 3
    assert "the preflight passes; DELETE not sent (unsafe method): pass --send-unsafe" in r.out
    assert "POST not sent (unsafe method)" in r.out
    assert "10 calls from" in r.out
