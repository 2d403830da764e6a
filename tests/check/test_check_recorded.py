"""`check --from`: calls rebuilt from recordings, --base, --with-credentials-from and its
file format, --rate."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from check_helpers import PAGE
from check_helpers import reflect
from check_helpers import run_check
from proxy_harness import Route
from proxy_harness import Server

from cors_addon.check.client import RateLimiter
from cors_addon.check.credentials import CredentialsError
from cors_addon.check.credentials import parse_credentials
from cors_addon.check.recorded import AUTH_PLACEHOLDER
from cors_addon.check.recorded import Base
from cors_addon.check.recorded import RecordingError
from cors_addon.check.recorded import calls_from_events
from cors_addon.check.recorded import prepare
from cors_addon.engine import PROFILES
from cors_addon.engine import Headers
from cors_addon.engine import Verdict
from cors_addon.engine import WireRequest
from cors_addon.engine import classify
from cors_addon.events import build_event


def event(method: str, url: str, fields: list[tuple[str, str]], browser: str = "chromium") -> dict:
    """The event the live proxy logs for this request (as the engine classifies it)."""
    wire = WireRequest(
        method, url, Headers([("Origin", PAGE), ("Sec-Fetch-Mode", "cors"), *fields])
    )
    c = classify(wire, PROFILES[browser])
    return build_event(
        type="request", flow="f", time=0.0, method=method, url=url, c=c, status=200,
        verdict=Verdict("allowed"), browser=browser,
    )  # fmt: skip


@pytest.mark.parametrize("browser", ["chromium", "firefox", "webkit"])
@pytest.mark.parametrize(
    "fields",
    [
        [("Content-Type", "application/json"), ("X-Api-Key", "k")],
        [("Content-Type", 'text/plain; charset="utf-8"')],
        [("Accept", "x" * 200)],
        [("Content-Language", "zh_CN"), ("Range", "bytes=5-1")],
        [("Authorization", "Bearer secret"), ("DPR", "x")],
        [("Content-Type", "text/pl ain")],
    ],
)
def test_event_log_calls_preflight_like_the_recorded_ones(
    browser: str, fields: list[tuple[str, str]]
) -> None:
    """The event log keeps names, not values: the rebuilt values make the recording's
    engine announce the same Access-Control-Request-Headers, with the same reasons where
    the reason names the value."""
    e = event("POST", "http://127.0.0.1:9/x", fields, browser)
    (call,), _ = calls_from_events([(e, None)])
    rebuilt = classify(
        WireRequest("POST", call.url, Headers([("Origin", PAGE), *call.headers])),
        PROFILES[browser],
    )
    assert rebuilt.preflight.headers == tuple(e["preflight"]["headers"])
    codes = {(r.code, r.detail) for r in rebuilt.preflight.reasons}
    for r in e["preflight"]["reasons"]:
        if r["code"] in (
            "content-type-not-safelisted",
            "range-not-simple",
            "method-not-safelisted",
        ):
            assert (r["code"], r["detail"]) in codes
    assert "secret" not in json.dumps(call.headers)


def test_calls_skip_what_is_not_a_cross_origin_cors_call() -> None:
    same = event("GET", PAGE + "/x", [])
    navigation = event("GET", "http://127.0.0.1:9/n", [])
    navigation["mode"], navigation["verdict"] = "navigate", "not-cors"
    hop = event("GET", "http://127.0.0.1:9/b", [])
    hop["redirected_from"] = "http://127.0.0.1:9/a"
    calls, notes = calls_from_events([(same, None), (navigation, None), (hop, None)])
    assert calls == []
    assert notes == [
        "1 redirect hops were not replayed on their own: each chain is followed again from"
        " its first URL"
    ]


def test_distinct_calls_and_base() -> None:
    a = event("GET", "http://api.example/v1/items?page=2", [])
    b = event("GET", "http://cdn.example/img", [])
    calls, _ = calls_from_events([(a, None), (a, None), (b, None)])
    assert len(calls) == 2
    bases = [
        Base.parse("http://localhost:8000/staging"),
        Base.parse("http://cdn.example=http://127.0.0.1:7"),
    ]
    moved = prepare(calls, bases)
    assert [c.url for c in moved] == [
        "http://localhost:8000/staging/v1/items?page=2",
        "http://127.0.0.1:7/img",
    ]
    assert all(c.origin == PAGE for c in moved)
    # --base onto the page's own origin: no longer cross-origin, nothing to check
    assert prepare(calls, [Base.parse(PAGE)]) == []
    with pytest.raises(RecordingError, match="expected URL or FROM=TO"):
        Base.parse("localhost:8000")


def test_recorded_credentials_are_never_replayed() -> None:
    e = event(
        "GET", "http://127.0.0.1:9/me", [("Authorization", "Bearer secret"), ("Cookie", "sid=1")]
    )
    calls, _ = calls_from_events([(e, None)])
    (call,) = prepare(calls)
    assert call.credentialed and call.cookie is None
    assert {n.lower(): v for n, v in call.headers}["authorization"] == AUTH_PLACEHOLDER
    assert any("recorded cookies are never replayed" in n for n in call.notes)
    text = '[[server]]\nurl = "http://127.0.0.1:9"\ncookie = { env = "C" }\n'
    text += 'authorization = "Bearer ok"\n'
    creds = parse_credentials(text, "creds.toml", {"C": "sid=from-env"})
    (call,) = prepare(calls, credentials=creds)
    assert call.cookie == "sid=from-env"
    assert {n.lower(): v for n, v in call.headers}["authorization"] == "Bearer ok"
    assert call.notes == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no [[server]] table"),
        ("[[server]\n", "not valid TOML"),
        ("servers = 1\n", "unknown top-level key 'servers'"),
        ('[[server]]\ncookie = "a=1"\n', "[[server]] 1: url is missing"),
        ('[[server]]\nurl = "http://a.example/api"\ncookie = "a=1"\n', "without a path"),
        ('[[server]]\nurl = "a.example"\ncookie = "a=1"\n', "scheme://host[:port]"),
        ('[[server]]\nurl = "http://a.example"\n', "give cookie, authorization or both"),
        ('[[server]]\nurl = "http://a.example"\ncookies = "a=1"\n', "unknown key 'cookies'"),
        ('[[server]]\nurl = "http://a.example"\ncookie = 1\n', "must be a string or"),
        ('[[server]]\nurl = "http://a.example"\ncookie = { env = "NOPE" }\n', "NOPE is not set"),
        ('[[server]]\nurl = "http://a.example"\ncookie = { file = "x" }\n', "must be a string or"),
        ('[[server]]\nurl = "http://a.example"\ncookie = "a\\nb"\n', "line break"),
        ('[[server]]\nurl = "http://a.example"\ncookie = " "\n', "cookie is empty"),
        (
            '[[server]]\nurl = "http://a.example"\ncookie = "a=1"\n'
            '[[server]]\nurl = "http://a.example:80"\ncookie = "b=1"\n',
            "[[server]] 2: http://a.example is listed twice",
        ),
    ],
)
def test_credentials_file_errors(text: str, message: str) -> None:
    with pytest.raises(CredentialsError) as e:
        parse_credentials(text, "creds.toml", {})
    assert str(e.value).startswith("creds.toml")
    assert message in str(e.value)


def test_credentials_file_on_the_command_line(server: Server, tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def me(headers: Any) -> list[tuple[str, str]]:
        seen.append({k.lower(): v for k, v in headers.items()})
        return [*reflect(headers), ("Access-Control-Allow-Credentials", "true")]

    server.add("/me", Route(200, dynamic=me))
    log = tmp_path / "events.jsonl"
    log.write_text(json.dumps(event("GET", server.url("/me"), [("Cookie", "sid=recorded")])) + "\n")
    creds = tmp_path / "creds.toml"
    creds.write_text(
        f'[[server]]\nurl = "{server.origin}"\ncookie = {{ env = "TEST_CHECK_COOKIE" }}\n'
    )
    r = run_check("--from", str(log), "--with-credentials-from", str(creds))
    assert r.code == 2 and "TEST_CHECK_COOKIE is not set" in r.err
    os.environ["TEST_CHECK_COOKIE"] = "sid=fresh"
    try:
        r = run_check("--from", str(log), "--with-credentials-from", str(creds))
    finally:
        del os.environ["TEST_CHECK_COOKIE"]
    assert r.code == 0, r.out + r.err
    assert [s.get("cookie") for s in seen] == ["sid=fresh"]  # shared by the three engines
    missing = run_check("--from", str(log), "--with-credentials-from", str(tmp_path / "no.toml"))
    assert missing.code == 2 and "no.toml: no such file" in missing.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ('{"v":1,"type":"request"}\n', ":1: not a cors_addon event"),
        ('{"v":1,"type":"request","method":"GET","url":"u","origin":"o","credentials":"unknown",'
         '"preflight":{},"verdict":"allowed"}\nnot json\n{}\n', ":2: not a JSON line"),
        ("GIF89a", "neither a HAR file"),
    ],
)  # fmt: skip
def test_unreadable_recordings_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "rec"
    if content is not None:
        path.write_text(content)
    r = run_check("--from", str(path))
    assert r.code == 2
    assert message in r.err and str(path) in r.err and len(r.err.strip().splitlines()) == 1


def test_an_incomplete_last_line_is_skipped(tmp_path: Path, server: Server) -> None:
    server.add("/x", Route(200, dynamic=reflect))
    line = json.dumps(event("GET", server.url("/x"), []))
    path = tmp_path / "events.jsonl"
    path.write_text(line + "\n" + line[:40])
    r = run_check("--from", str(path))
    assert r.code == 0 and "1 calls from" in r.out


def test_rate_limiter_spaces_request_starts() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert slept == [0.25] * 4
    now[0] += 10
    limiter.wait()
    assert len(slept) == 4  # idle long enough: no wait


def test_rate_on_the_command_line(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--rate 10: request starts at least 0.1 s apart (as the limiter lets them go)."""
    starts: list[float] = []
    wait = RateLimiter.wait

    def timed(self: RateLimiter) -> None:
        wait(self)
        # the moment the limiter let this request go (its own clock reading): a reading
        # taken here, after the return, may come late for one request and not the next
        starts.append(self._next - self.interval)

    monkeypatch.setattr(RateLimiter, "wait", timed)
    lines = []
    for n in range(4):
        server.add(f"/r{n}", Route(200, dynamic=reflect))
        lines.append(json.dumps(event("GET", server.url(f"/r{n}"), [])))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    r = run_check("--from", str(path), "--rate", "10")
    assert r.code == 0
    assert len(starts) == len(server.seen) == 4
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.1 - 1e-6, gaps
