"""Reading captures: the three formats of one real Chromium session agree with each other,
with the live proxy's own log and with what Chromium decided; the hand-written Firefox and
sanitized Chrome layouts; compression; order; and every event in the live schema."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import FIXTURES
from analyze_helpers import HAND
from analyze_helpers import REAL
from analyze_helpers import analyze
from analyze_helpers import events_of
from analyze_helpers import fixture

from cors_addon.analyze import events as analyze_events
from cors_addon.analyze import sources
from cors_addon.analyze.har import parse_time
from cors_addon.analyze.sources import Capture


def verdicts(events: list[dict[str, Any]]) -> dict[str, str | None]:
    """Per "METHOD url" of what the page asked for: the CorsError, or None when allowed."""
    out: dict[str, str | None] = {}
    for e in events:
        if e["type"] == "preflight" and e["verdict"] == "blocked":
            out[f"{e['preflight']['method']} {e['url']}"] = e["error"]["code"]
        elif e["type"] == "request":
            key = f"{e['method']} {e['url']}"
            if out.get(key) is None:
                out[key] = e["error"]["code"] if e["error"] else None
    return out


@pytest.mark.parametrize("name", REAL)
def test_real_capture_matches_what_chromium_decided(name: str, truth: dict[str, Any]) -> None:
    events = events_of(fixture(name))
    assert verdicts(events) == truth["verdicts"]
    codes = {v for v in truth["verdicts"].values() if v}
    assert {
        "MissingAllowOriginHeader",
        "PreflightInvalidStatus",
        "HeaderDisallowedByPreflightResponse",
        "WildcardOriginNotAllowed",
    } <= codes
    cached = [e for e in events if e["preflight"]["cache"] is not None]
    assert len(cached) == 1 and cached[0]["preflight"]["cache"]["max_age"] == 600


def test_flow_file_replays_exactly_as_the_live_proxy_logged_it() -> None:
    live = [json.loads(line) for line in (FIXTURES / "live.ndjson").read_text().splitlines()]
    assert events_of(fixture("flows.mitm")) == live


@pytest.mark.parametrize("name", ["chromium.har", "mitmproxy.har"])
def test_har_formats_give_the_live_events_but_for_ids_and_timing(name: str) -> None:
    live = [json.loads(line) for line in (FIXTURES / "live.ndjson").read_text().splitlines()]
    mine = events_of(fixture(name))
    assert len(mine) == len(live)
    ids = {}
    for a, b in zip(live, mine, strict=True):
        ids[a["flow"]] = b["flow"]
        assert b["flow"].startswith(name + "#")
        for key in a:
            if key in ("flow", "time", "ms"):
                continue
            if key == "preflight":
                pa, pb = dict(a[key]), dict(b[key])
                assert ids.get(pa.pop("flow")) == pb.pop("flow")
                ca, cb = pa.pop("cache"), pb.pop("cache")
                assert (ca is None) == (cb is None)
                assert pa == pb
            else:
                assert a[key] == b[key], key
    if name == "mitmproxy.har":  # the proxy's own export keeps the proxy's clock
        assert [e["time"] for e in mine] == [e["time"] for e in live]


@pytest.mark.parametrize("name", REAL + HAND)
def test_every_event_matches_the_schema(name: str, validate_event: Any) -> None:
    events = events_of(fixture(name))
    assert events
    for e in events:
        validate_event(e)


def test_firefox_layout() -> None:
    events = events_of(fixture("firefox.har"))
    assert {e["browser"] for e in events} == {"firefox"}
    got = [
        (e["type"], e["method"], e["verdict"], e["error"] and e["error"]["code"]) for e in events
    ]
    assert got == [
        ("preflight", "OPTIONS", "allowed", None),
        ("request", "POST", "blocked", "InvalidAllowCredentials"),
        ("request", "GET", "blocked", "MultipleAllowOriginValues"),
        ("preflight", "OPTIONS", "blocked", "PreflightMissingAllowOriginHeader"),
        ("preflight", "OPTIONS", "blocked", "PreflightDisallowedRedirect"),
        ("request", "POST", "allowed", None),
    ]
    # the entry written out of order is analyzed in time order; the later POST reused the
    # preflight Firefox cached for 86400 s (its cap), marked credentialed by the first POST
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert events[1]["preflight"]["flow"] == events[0]["flow"] == "firefox.har#2"
    assert events[5]["preflight"]["cache"]["max_age"] == 86400
    assert events[1]["credentials"] == "include"
    # local time with an offset: 10:00:00.400+01:00 is 09:00:00.400 UTC
    assert events[0]["time"] == "2026-03-01T09:00:00.400+00:00"


def test_sanitized_chrome_http2_layout() -> None:
    emitted = analyze(fixture("chrome-h2.har"))
    events = [e for e, _ in emitted]
    by_url: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_url.setdefault(e["url"].rsplit("/", 1)[-1], []).append(e)
    # request.cookies of a sanitized export still show the credentials
    (me,) = by_url["me"]
    assert me["credentials"] == "include"
    assert me["error"]["code"] == "WildcardOriginNotAllowed"
    # pseudo-headers are no request headers: no preflight reason, no Host-like confusion
    for _, ex in emitted:
        if ex is not None:
            assert not any(n.startswith(":") for n, _ in ex.request.fields)
    # the PUT Chrome listed with status 0 was never sent: its preflight failed
    assert [(e["type"], e["verdict"]) for e in by_url["9"]] == [("preflight", "blocked")]
    assert by_url["9"][0]["error"]["code"] == "PreflightInvalidStatus"
    # no response at all: a failed flow, with a warning that the capture lacks the response
    (health,) = by_url["health"]
    assert health["status"] is None and health["error"]["code"] == "NetworkError"
    assert "net::ERR_CONNECTION_REFUSED" in health["error"]["console"]
    assert [w["code"] for w in health["warnings"]] == ["capture-no-response"]
    # six polls, six preflights with max-age 0: nothing cached, every request paired
    polls = by_url["poll"]
    assert [e["type"] for e in polls] == ["preflight", "request"] * 6
    assert all(e["preflight"]["max_age"] == 0 for e in polls if e["type"] == "preflight")
    assert all(e["preflight"]["flow"] for e in polls if e["type"] == "request")


def test_an_unsent_request_is_known_by_its_preflights_record_not_by_time(
    tmp_path: Path,
) -> None:
    """The PUT Chrome listed with status 0 was never sent: its preflight (which records the
    PUT's URL in `_initiator`) failed. That holds however far apart their times are, and
    with no timings at all."""
    har = json.loads((FIXTURES / "chrome-h2.har").read_text())
    entries = har["log"]["entries"]
    put = next(e for e in entries if e["request"]["method"] == "PUT")
    put["startedDateTime"] = "2026-03-01T11:59:30.000Z"  # 30 s before its preflight
    for entry in entries:
        entry["timings"] = {k: -1 for k in entry["timings"]}
    path = tmp_path / "late.har"
    path.write_text(json.dumps(har))
    events = events_of(str(path))
    assert [e["type"] for e in events if e["url"].endswith("/doc/9")] == ["preflight"]
    assert [e["method"] for e in events if e["method"] == "PUT"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:00Z", 1772366400.0),
        ("2026-03-01T12:00:00.5Z", 1772366400.5),
        ("2026-03-01T12:00:00.123456789Z", 1772366400.123456),
        ("2026-03-01T13:00:00.250+01:00", 1772366400.25),
        ("2026-03-01T12:00:00.250", 1772366400.25),
        ("2026-03-01T12:00:00.250000+00:00", 1772366400.25),
    ],
)
def test_har_dates(text: str, expected: float) -> None:
    assert parse_time(text) == pytest.approx(expected)


def _compressed(tmp_path: Path, kind: str) -> str:
    data = (FIXTURES / "chromium.har").read_bytes()
    path = tmp_path / f"c.{kind}"
    path.write_bytes(gzip.compress(data) if kind == "har.gz" else zlib.compress(data))
    return str(path)


@pytest.mark.parametrize("kind", ["har.gz", "zhar"])
def test_compressed_hars(tmp_path: Path, kind: str) -> None:
    plain = events_of(fixture("chromium.har"))
    packed = events_of(_compressed(tmp_path, kind))
    assert [(e["url"], e["verdict"]) for e in packed] == [(e["url"], e["verdict"]) for e in plain]


def test_reorder_window_and_late_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    har = json.loads((FIXTURES / "mitmproxy.har").read_text())
    entries = har["log"]["entries"]
    har["log"]["entries"] = entries[::-1]  # all of it backwards
    path = tmp_path / "reversed.har"
    path.write_text(json.dumps(har))
    backwards = [(e["url"], e["verdict"]) for e in events_of(str(path))]
    assert backwards == [(e["url"], e["verdict"]) for e in events_of(fixture("mitmproxy.har"))]
    capture = Capture(str(path))
    times = [ex.time for ex in capture.exchanges()]
    assert times == sorted(times) and capture.late == 0
    monkeypatch.setattr(sources, "REORDER_WINDOW", 2)
    capture = Capture(str(path))
    list(capture.exchanges())
    assert capture.late > 0


def test_public_events_helper() -> None:
    assert list(analyze_events(fixture("flows.mitm"))) == events_of(fixture("flows.mitm"))
