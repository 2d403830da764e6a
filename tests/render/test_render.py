"""The human renderings of an event (cors_addon/render.py): the comment's headline, which is all
mitmweb's Comment column shows, and the markers."""

from __future__ import annotations

from typing import Any

import pytest
from mitmproxy.utils import emoji

from cors_addon import render

BASE: dict[str, Any] = {
    "v": 1,
    "time": "2026-11-22T10:00:00.123+00:00",
    "flow": "f1",
    "type": "request",
    "method": "GET",
    "url": "https://api.example.com/v1/items?x=1",
    "origin": "http://localhost:3000",
    "mode": "cors",
    "credentials": "unknown",
    "status": 200,
    "preflight": {
        "needed": False,
        "reasons": [],
        "method": "GET",
        "headers": [],
        "flow": None,
        "cache": None,
        "max_age": None,
    },
    "verdict": "allowed",
    "error": None,
    "warnings": [],
    "rule": None,
    "changes": None,
    "upstream": None,
    "browser": "chromium",
    "ms": 12.0,
    "redirected_from": None,
}
ERROR = {
    "code": "PreflightInvalidStatus",
    "firefox": "CORSPreflightDidNotSucceed",
    "message": "Response to preflight request doesn't pass access control check: It does not"
    " have HTTP ok status.",
    "fix": "Make OPTIONS /v1/items return 200 or 204 (it returned 405).",
    "console": "Access to fetch at ...",
}


def event(**changes: Any) -> dict[str, Any]:
    e = {**BASE, **changes}
    if "preflight" in changes:
        e["preflight"] = {**BASE["preflight"], **changes["preflight"]}
    return e


PREFLIGHT = {
    "needed": True,
    "method": "PUT",
    "headers": ["x-api-key"],
    "reasons": [{"code": "method-not-safelisted", "detail": "PUT"}],
}

HEADLINES = [
    (
        event(),
        "ALLOWED: GET /v1/items?x=1 from http://localhost:3000",
    ),
    (
        event(
            type="preflight",
            method="OPTIONS",
            status=405,
            verdict="blocked",
            error=ERROR,
            preflight=PREFLIGHT,
        ),
        "BLOCKED PreflightInvalidStatus: preflight for PUT /v1/items?x=1 from"
        " http://localhost:3000",
    ),
    (
        event(method="PUT", verdict="blocked", error={**ERROR, "code": "AllowOriginMismatch"}),
        "BLOCKED AllowOriginMismatch: PUT /v1/items?x=1 from http://localhost:3000",
    ),
    (
        event(type="orphan", method="OPTIONS", verdict="unknown", preflight=PREFLIGHT),
        "UNKNOWN: preflight for PUT /v1/items?x=1 from http://localhost:3000, no request followed",
    ),
    (
        event(verdict="not-cors", mode="no-cors", url="https://api.example.com/"),
        "NOT CORS (no-cors): GET / from http://localhost:3000",
    ),
    (
        event(url="https://api.example.com"),
        "ALLOWED: GET / from http://localhost:3000",
    ),
]


@pytest.mark.parametrize(("e", "line"), HEADLINES)
def test_the_comment_starts_with_the_verdict(e: dict[str, Any], line: str) -> None:
    assert render.headline(e) == line
    assert render.comment(e).splitlines()[0] == line


def test_a_long_path_is_cut() -> None:
    line = render.headline(event(url="https://api.example.com/" + "a" * 200))
    assert line.startswith("ALLOWED: GET /aaa") and "... from http://localhost:3000" in line
    assert len(line) < 130


def test_blocked_comment_lines() -> None:
    e = event(
        type="preflight",
        method="OPTIONS",
        verdict="blocked",
        error=ERROR,
        preflight=PREFLIGHT,
        warnings=[{"code": "status-hidden", "message": "the page sees no 405"}],
    )
    assert render.comment(e).splitlines() == [
        "BLOCKED PreflightInvalidStatus: preflight for PUT /v1/items?x=1 from"
        " http://localhost:3000",
        "Preflighted because: method PUT",
        ERROR["message"],
        "Fix: " + ERROR["fix"],
        "Firefox: CORSPreflightDidNotSucceed",
        "! status-hidden: the page sees no 405",
    ]


MARKERS = [
    render.MARK_BLOCKED,
    render.MARK_PREFLIGHT,
    render.MARK_ALLOWED,
    render.MARK_REWRITTEN,
]


def test_markers_are_text_symbols_mitmproxy_knows() -> None:
    """mitmweb shows emoji.emoji[marker] (an unknown name becomes a red circle). Each of ours is
    one character from the Dingbats block, which text fonts cover (DejaVu Sans: ✖ ✈ ✔ ✏),
    not an emoji-only character that a machine without an emoji font shows as an empty box.
    That they look different in mitmweb is checked in tests/browser/test_web_ui.py."""
    chars = [emoji.emoji[m] for m in MARKERS]
    assert chars == ["\u2716", "\u2708", "\u2714", "\u270f"]
    assert all(0x2700 <= ord(c) <= 0x27BF for c in chars)
    assert len(set(chars)) == len(chars)
