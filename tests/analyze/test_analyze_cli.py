"""`python -m cors_addon analyze`: the terminal report, --json, the files it writes, exit
statuses, and a clear message for every kind of unreadable input."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import FIXTURES
from analyze_helpers import events_of
from analyze_helpers import fixture

from cors_addon.analyze.cli import main
from cors_addon.analyze.progress import ProgressBar
from cors_addon.rules import load_rules


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_report_per_failing_request(capsys: pytest.CaptureFixture[str], truth: Any) -> None:
    status, out, err = run(capsys, fixture("chromium.har"))
    assert status == 1 and err == ""
    page, api = truth["page"], truth["api"]
    assert f"{page} -> {api.split('://')[1]}: 5 blocked, 3 allowed" in out
    assert "5 CORS requests sent, 3 more stopped at their preflight" in out
    blocks = out.split("\n  BLOCKED  ")[1:]
    assert len(blocks) == 5
    for block in blocks:
        assert "browser says: Access to fetch at" in block
        assert "\n      fix: " in block
        assert '\n      unblock now: rule "' in block
    put = next(b for b in blocks if b.startswith("PUT /items/1"))
    assert "(at its preflight)  PreflightInvalidStatus" in put
    assert "preflighted because: method PUT, header content-type" in put
    # blocked first, then what passed
    assert out.index("BLOCKED") < out.index("allowed  GET /ok")
    assert "allowed  PATCH /settings x2  (1 after a preflight; 1 from the preflight cache" in out
    # the rules that unblock them now are printed, and they load
    assert "Unblock now through the proxy" in out and out.count("[[rules]]") == 2
    assert "--server-fix" in out


def test_exit_zero_when_nothing_is_blocked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    har = json.loads((FIXTURES / "chromium.har").read_text())
    keep = ("/ok", "/settings")
    har["log"]["entries"] = [e for e in har["log"]["entries"] if e["request"]["url"].endswith(keep)]
    path = tmp_path / "fine.har"
    path.write_text(json.dumps(har))
    status, out, _ = run(capsys, str(path), "--server-fix")
    assert status == 0
    assert "0 blocked" in out and "Unblock now" not in out
    assert "nothing was blocked, no change is needed" in out


def test_json_is_exactly_the_events(
    capsys: pytest.CaptureFixture[str], validate_event: Any
) -> None:
    status, out, err = run(capsys, fixture("flows.mitm"), "--json")
    assert status == 1
    lines = out.splitlines()
    assert [json.loads(line) for line in lines] == events_of(fixture("flows.mitm"))
    live = (FIXTURES / "live.ndjson").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [json.loads(x) for x in live]
    for line in lines:
        validate_event(json.loads(line))
    assert "flows.mitm: flows, 11 entries" in err


def test_json_includes_orphans_flushed_at_the_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, validate_event: Any
) -> None:
    har = json.loads((FIXTURES / "chromium.har").read_text())
    entries = har["log"]["entries"]
    har["log"]["entries"] = [e for e in entries if e["request"]["method"] != "PATCH"]
    path = tmp_path / "orphan.har"
    path.write_text(json.dumps(har))
    status, out, _ = run(capsys, str(path), "--json")
    assert status == 1
    events = [validate_event(json.loads(line)) for line in out.splitlines()]
    assert events == events_of(str(path))
    assert events[-1]["type"] == "orphan" and events[-1]["url"].endswith("/settings")
    _, out, _ = run(capsys, str(path))
    # the preflight passed only without credentials: the engine says the browser refused
    assert "allowed  PATCH /settings" not in out
    assert (
        "BLOCKED  PATCH /settings (no request after its preflight)"
        "  PreflightInvalidAllowCredentials" in out
    )


def test_json_with_dry_run_prints_the_rewritten_events(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, validate_event: Any
) -> None:
    rules = tmp_path / "r.toml"
    status, _, _ = run(capsys, fixture("chromium.har"), "--suggest-rules", str(rules))
    assert status == 1
    status, out, err = run(capsys, fixture("chromium.har"), "--json", "--dry-run", str(rules))
    assert status == 1  # the capture itself has blocked flows
    events = [validate_event(json.loads(line)) for line in out.splitlines()]
    assert {e["verdict"] for e in events} == {"allowed"}
    rewritten = [e for e in events if e["rule"]]
    assert len(rewritten) == 5 and all(e["upstream"]["verdict"] == "blocked" for e in rewritten)
    assert "turns 4 blocked flows into allowed ones" in err


def test_writes_html_and_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    html, rules = tmp_path / "r.html", tmp_path / "r.toml"
    status, out, _ = run(
        capsys, fixture("firefox.har"), "--html", str(html), "--suggest-rules", str(rules)
    )
    assert status == 1
    assert f"HTML report written to {html}" in out
    assert html.read_text().startswith("<!doctype html>")
    assert len(load_rules(rules).rules) == 2  # with and without credentials


def test_browser_option(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, fixture("firefox.har"), "--json", "--browser", "safari")
    # safari stays accepted as the name of WebKit, which the events call webkit
    assert {json.loads(line)["browser"] for line in out.splitlines()} == {"webkit"}


def test_several_files(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, fixture("chromium.har"), fixture("chrome-h2.har"))
    assert status == 1
    assert "chromium.har#4" in out and "chrome-h2.har#1" in out
    assert "https://app.example.test -> api.example.test" in out
    assert "1 actual request that the browser never sent (stopped at or after its preflight)" in out
    assert not re.search(r"\b1 (actual requests|preflights|entries)\b", out)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"\x00\x01binary", "neither a HAR file (JSON) nor a mitmproxy flow file"),
        (b'{"log": {"version": "1.2", "pages": []}}', 'no "log.entries" array'),
        (b'{"log": {"entries": [{"request": {}}]}}', "entry 1: a request has no url or method"),
        (b'{"log": {"entries": [{"startedDateTime": "x"', "ends in the middle of entry 1"),
        (b'{"log": {"entries": [], }', "not valid HAR JSON"),
        (b"123:garbage", "not a readable mitmproxy flow file"),
        (b"\x1f\x8bnot gzip at all", "cannot read the file"),
    ],
)
def test_unreadable_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "capture.har"
    if content is not None:
        path.write_bytes(content)
    status, out, err = run(capsys, str(path))
    assert status == 2
    assert err.startswith(f"python -m cors_addon analyze: {path}: ")
    assert problem in err
    assert out == ""


def test_directory_and_bad_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, str(tmp_path))
    assert status == 2 and "is a directory" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]]\nname = 1\n")
    status, _, err = run(capsys, fixture("chromium.har"), "--dry-run", str(bad))
    assert status == 2 and err.startswith("python -m cors_addon analyze: --dry-run: ")


def test_one_unreadable_file_among_several(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, fixture("chromium.har"), "/nonexistent/x.har")
    assert status == 2
    assert "/nonexistent/x.har: no such file" in err
    assert "5 blocked" in out  # the readable file is still reported


def test_truncated_har_reports_what_it_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = (FIXTURES / "chromium.har").read_bytes()
    path = tmp_path / "cut.har"
    path.write_bytes(data[: len(data) // 2])
    status, out, err = run(capsys, str(path))
    assert status == 2
    # a whole sentence, not json's "Unterminated string starting at" cut before its position
    message = err.strip().splitlines()[-1]
    assert message == (
        f"python -m cors_addon analyze: {path}: the file ends in the middle of entry 8"
        " (character 17988): it is cut short, perhaps by an interrupted download or export"
    )
    assert "CORS requests sent" in out  # what was read before the cut is reported


@pytest.mark.parametrize("option", ["--html", "--suggest-rules"])
def test_an_unwritable_output_is_found_before_the_analysis(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    missing = str(tmp_path / "no-such-dir" / "out")
    status, out, err = run(capsys, fixture("chromium.har"), option, missing)
    assert status == 2 and out == ""  # nothing analyzed, nothing reported
    assert err == (
        f"python -m cors_addon analyze: {option}: cannot write {missing}:"
        " No such file or directory\n"
    )
    status, _, err = run(capsys, fixture("chromium.har"), option, str(tmp_path))
    assert status == 2 and "it is a directory" in err
    fine = tmp_path / "fine.out"
    status, _, err = run(capsys, fixture("chromium.har"), option, str(fine))
    assert status == 1 and fine.stat().st_size > 0 and err == ""


def test_as_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cors_addon", "analyze", fixture("chromium.har"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 9
    done = subprocess.run(
        [sys.executable, "-m", "cors_addon", "analyze", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    for option in ("--json", "--html", "--browser", "--suggest-rules", "--dry-run", "--server-fix"):
        assert option in done.stdout


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_for_large_files() -> None:
    tty = Tty()
    bar = ProgressBar("big.har", 100 << 20, tty)
    bar(50 << 20)
    bar.close()
    text = tty.getvalue()
    assert "\rbig.har [" in text and " 50% 50/100 MiB" in text and text.endswith("\r\x1b[K")
    quiet = io.StringIO()
    bar = ProgressBar("big.har", 100 << 20, quiet)  # not a terminal
    bar(50 << 20)
    bar.close()
    assert quiet.getvalue() == ""
    small = Tty()
    bar = ProgressBar("small.har", 1 << 20, small)
    bar(1 << 19)
    assert small.getvalue() == ""


def test_odd_header_names_in_a_dry_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, validate_event: Any
) -> None:
    """A HAR may hold any JSON string as a header name or value (a lone surrogate, a byte
    mitmproxy decoded as surrogateescape); a dry run with a `filter` rule (which needs a
    mitmproxy flow) still rewrites and reports the flow."""
    odd = [{"name": "X-\udcff", "value": "a"}, {"name": "X-\ud800", "value": "\ud800"}]
    entry = {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "time": 1,
        "request": {
            "method": "GET",
            "url": "http://api.test/v1/items",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Origin", "value": "http://app.test"}, *odd],
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Content-Type", "value": "text/plain"}, *odd],
        },
    }
    har = tmp_path / "odd.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    rules = tmp_path / "r.toml"
    rules.write_text(
        '[[rules]]\nname = "all"\nmatch = { filter = "~all" }\nallow_origin = "reflect"\n'
    )
    status, out, err = run(capsys, str(har), "--json", "--dry-run", str(rules))
    [event] = [validate_event(json.loads(line)) for line in out.splitlines()]
    assert event["rule"] == "all" and event["verdict"] == "allowed", err
    assert event["upstream"]["verdict"] == "blocked"
    assert status == 1  # the capture itself is blocked
