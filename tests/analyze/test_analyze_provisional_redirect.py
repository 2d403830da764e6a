"""DevTools' provisional headers on the hop after a redirect: the Origin the browser sent is
the one of the redirect chain ('null' once a hop left for a third origin), not the page's,
whatever order the timings give the two entries (under load Chromium reports odd ones)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import events_of

PAGE = "http://app.test"
API = "http://api.test"
OTHER = "http://other.test"


def _entry(url: str, second: float, status: int, response: list[tuple[str, str]],
           redirect: str = "", failed: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "pageref": "page_1",
        "startedDateTime": f"2026-03-01T12:00:{second:06.3f}Z",
        "_resourceType": "fetch",
        "_initiator": {"type": "script"},
        # provisional: no Origin, Accept-Encoding or Sec-Fetch-*
        "request": {"method": "GET", "url": url, "headers": [{"name": "Accept", "value": "*/*"}]},
        "response": {
            "status": status,
            "headers": [{"name": n, "value": v} for n, v in response],
            "redirectURL": redirect,
            "_error": "net::ERR_FAILED" if failed else None,  # what the page got
        },
        "timings": {"blocked": -1, "send": -1, "wait": -1},
    }


def _har(tmp_path: Path, entries: list[dict[str, Any]]) -> str:
    path = tmp_path / "c.har"
    log = {
        "creator": {"name": "WebInspector"},
        "pages": [{"id": "page_1", "title": PAGE + "/"}],
        "entries": entries,
    }
    path.write_text(json.dumps({"log": log}))
    return str(path)


@pytest.mark.parametrize("hop_first", [True, False], ids=["in-order", "hop-timed-earlier"])
def test_the_hop_after_a_redirect_to_a_third_origin_carries_origin_null(
    tmp_path: Path, hop_first: bool
) -> None:
    first = _entry(API + "/r", 1.0, 302, [("Access-Control-Allow-Origin", PAGE),
                                          ("Location", OTHER + "/b")], OTHER + "/b")  # fmt: skip
    hop = _entry(OTHER + "/b", 1.5 if hop_first else 0.5, 200,
                 [("Access-Control-Allow-Origin", PAGE)], failed=True)  # fmt: skip
    events = {e["url"]: e for e in events_of(_har(tmp_path, [first, hop]))}
    after = events[OTHER + "/b"]
    assert after["origin"] == "null"
    assert after["verdict"] == "blocked"
    assert after["error"]["code"] == "AllowOriginMismatch"


def test_a_redirect_within_the_target_origin_keeps_the_page_origin(tmp_path: Path) -> None:
    first = _entry(API + "/r", 1.0, 302, [("Access-Control-Allow-Origin", PAGE)], API + "/b")
    hop = _entry(API + "/b", 1.5, 200, [("Access-Control-Allow-Origin", PAGE)])
    events = {e["url"]: e for e in events_of(_har(tmp_path, [first, hop]))}
    assert events[API + "/b"]["origin"] == PAGE
    assert events[API + "/b"]["verdict"] == "allowed"
