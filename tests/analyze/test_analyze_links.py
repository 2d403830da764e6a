"""Pairing in a browser's HAR follows what the capture records (links.py), never its
timings: Chrome's `_initiator` of a preflight (the URL and requestId of its request), else
the order of the entries within a page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import events_of

from cors_addon.analyze import sources
from cors_addon.analyze.sources import Capture

PAGE = "http://app.test"
API = "http://api.test"


def entry(
    method: str,
    path: str,
    t: float,
    *,
    preflight_for: str | None = None,
    request_id: str | None = None,
    page: str = "page_1",
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
    chrome: bool = True,
    error: str | None = None,
) -> dict[str, Any]:
    url = API + path
    fields = [("Origin", PAGE), ("Sec-Fetch-Mode", "cors"), ("Accept-Encoding", "gzip")]
    resp = [("Access-Control-Allow-Origin", PAGE)]
    e: dict[str, Any] = {
        "pageref": page,
        "startedDateTime": f"2026-03-01T12:00:{t:06.3f}Z",
        "request": {"method": method, "url": url, "headers": []},
        "response": {"status": status, "headers": [], "_error": error},
        "timings": {"blocked": -1, "send": -1, "wait": -1},
    }
    if method == "OPTIONS":
        fields += [
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-k"),
        ]
        resp += [("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "x-k")]
        if chrome:
            e["_resourceType"] = "preflight"
            e["_initiator"] = {"type": "preflight", "url": API + (preflight_for or path)}
            if request_id:
                e["_initiator"]["requestId"] = request_id
    else:
        fields += [("X-K", "1"), *headers]
        if chrome:
            e["_resourceType"] = "fetch"
            e["_initiator"] = {"type": "script"}
    e["request"]["headers"] = [{"name": n, "value": v} for n, v in fields]
    if status:
        e["response"]["headers"] = [{"name": n, "value": v} for n, v in resp]
    if not chrome:
        del e["response"]["_error"]
    return e


def write(tmp_path: Path, entries: list[dict[str, Any]], creator: str = "WebInspector") -> str:
    path = tmp_path / "c.har"
    pages = [{"id": "page_1", "title": PAGE + "/"}, {"id": "page_2", "title": PAGE + "/2"}]
    log = {"creator": {"name": creator}, "pages": pages, "entries": entries}
    path.write_text(json.dumps({"log": log}))
    return str(path)


def pairs(path: str) -> dict[str, str | None]:
    """request entry -> the preflight entry it was paired with."""
    name = Path(path).name
    return {
        e["flow"].removeprefix(name): (e["preflight"]["flow"] or "").removeprefix(name) or None
        for e in events_of(path)
        if e["type"] == "request"
    }


def test_chrome_parallel_requests_pair_by_the_preflights_request_ids(tmp_path: Path) -> None:
    """Two PUTs to one URL issued together; DevTools lists them, then their preflights in
    the order they were issued, the second first. The requestIds decide."""
    path = write(
        tmp_path,
        [
            entry("PUT", "/a", 1.000, headers=(("X-Which", "1"),)),
            entry("PUT", "/a", 1.001, headers=(("X-Which", "2"),)),
            entry("OPTIONS", "/a", 1.002, request_id="77.13"),
            entry("OPTIONS", "/a", 1.003, request_id="77.12"),
        ],
    )
    assert pairs(path) == {"#1": "#4", "#2": "#3"}


def test_chrome_a_request_served_from_the_preflight_cache_keeps_none(tmp_path: Path) -> None:
    """A0 went out on a cached preflight; later A1's preflight P1 expired the cache: P1 is
    A1's (the nearest earlier request), not A0's, whatever the clock says."""
    path = write(
        tmp_path,
        [
            entry("PUT", "/a", 1.0),
            entry("OPTIONS", "/a", 1.1, request_id="5.1"),
            entry("PUT", "/a", 2.0),  # from the cache
            entry("PUT", "/a", 9.0),
            entry("OPTIONS", "/a", 9.1, request_id="5.3"),
        ],
    )
    assert pairs(path) == {"#1": "#2", "#3": None, "#4": "#5"}


def test_chrome_timings_and_times_do_not_decide(tmp_path: Path) -> None:
    """Times far apart (beyond the 2 s window) and a preflight dated before its request:
    the record pairs them, and no preflight is an orphan."""
    entries = [
        entry("PUT", "/a", 1.0),
        entry("OPTIONS", "/a", 0.5, request_id="5.1"),  # dated before its request
        entry("PUT", "/b", 20.0),
        entry("OPTIONS", "/b", 40.0, request_id="5.2"),  # 20 s after it
    ]
    path = write(tmp_path, entries)
    assert pairs(path) == {"#1": "#2", "#3": "#4"}
    assert [e["type"] for e in events_of(path)].count("orphan") == 0


def test_other_layouts_pair_by_order_within_a_page(tmp_path: Path) -> None:
    """No `_initiator`: a preflight goes with the next request of its page to its URL with
    the method it announced, however late; never with one of another page."""
    entries = [
        entry("OPTIONS", "/a", 1.0, chrome=False),
        entry("PUT", "/a", 1.0, chrome=False, page="page_2"),  # another page
        entry("PUT", "/a", 8.0, chrome=False),
        entry("OPTIONS", "/b", 9.0, chrome=False),  # nothing follows: an orphan
    ]
    path = write(tmp_path, entries, creator="Firefox")
    assert pairs(path) == {"#2": None, "#3": "#1"}
    events = events_of(path)
    assert [e["flow"] for e in events if e["type"] == "orphan"] == ["c.har#4"]


def test_a_request_chrome_never_sent_is_skipped_and_its_preflight_is_an_orphan(
    tmp_path: Path,
) -> None:
    """The preflight passed (without credentials), the request is listed with status 0 and
    net::ERR_FAILED: the browser refused to send it. It has no event; the preflight becomes
    an orphan at once, saying so."""
    entries = [
        entry("PUT", "/a", 1.0, status=0, error="net::ERR_FAILED"),
        entry("OPTIONS", "/a", 1.1, request_id="5.1"),
        entry("PUT", "/b", 2.0, status=0, error="net::ERR_CONNECTION_RESET"),
        entry("OPTIONS", "/b", 2.1, request_id="5.2"),
    ]
    path = write(tmp_path, entries)
    events = events_of(path)
    got = [(e["type"], e["flow"].rsplit("#", 1)[1]) for e in events]
    # /b's request was sent and failed on the network: a failed flow after its preflight
    assert got == [("preflight", "2"), ("orphan", "2"), ("preflight", "4"), ("request", "3")]
    orphan = events[1]
    assert "never sent it (net::ERR_FAILED)" in orphan["warnings"][-1]["message"]
    assert events[3]["preflight"]["flow"] == "c.har#4"


def test_the_window_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Links are only made within the window: memory does not grow with the capture."""
    monkeypatch.setattr(sources, "REORDER_WINDOW", 4)
    entries = [entry("PUT", "/a", 1.0)]
    entries += [entry("GET", f"/x{n}", 1.0 + n / 100) for n in range(10)]
    entries.append(entry("OPTIONS", "/a", 2.0, request_id="5.1"))
    path = write(tmp_path, entries)
    assert pairs(path)["#1"] is None  # too far apart for a window of 4
    capture = Capture(path)
    assert len(list(capture.exchanges())) == 12
