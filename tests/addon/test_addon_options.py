"""The four options: valid values take effect, invalid ones raise OptionsError with a
message that names the option and the problem, and an unwritable log never stops the
proxy."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from addon_builders import API
from addon_builders import APP
from addon_builders import T0
from addon_builders import FakeMaster
from addon_builders import as_quiet_mitmdump
from addon_builders import fetch
from addon_builders import grant
from addon_builders import preflight
from addon_builders import response
from mitmproxy import exceptions

import cors_addon
from cors_addon import addon as addon_module
from cors_addon import eventlog

FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Safari/605.1.15"
)


async def test_defaults(cors):
    opts = cors.tctx.options
    assert (opts.cors_log, opts.cors_rules, opts.cors_browser, opts.cors_filter) == (
        "",
        "",
        "auto",
        None,
    )
    assert cors.addon.log is None and cors.addon.rules is None and cors.addon.filter is None


@pytest.mark.parametrize("browser", ["chromium", "firefox", "webkit", "safari"])
async def test_cors_browser_fixed(cors, browser):
    cors.configure(cors_browser=browser)
    f = preflight()
    f.request.headers["User-Agent"] = FIREFOX_UA if browser != "firefox" else SAFARI_UA
    cors.run(f, response(204, grant()))
    assert cors.of(f)[0]["browser"] == {"safari": "webkit"}.get(browser, browser)


@pytest.mark.parametrize(
    "ua,browser", [(FIREFOX_UA, "firefox"), (SAFARI_UA, "webkit"), (None, "chromium")]
)
async def test_cors_browser_auto_follows_user_agent(cors, ua, browser):
    f = preflight()
    if ua is None:
        del f.request.headers["User-Agent"]
    else:
        f.request.headers["User-Agent"] = ua
    cors.run(f, response(204, grant()))
    assert cors.of(f)[0]["browser"] == browser


@pytest.mark.parametrize("value", ["opera", "Chromium ", "", "chrome"])
async def test_cors_browser_invalid(cors, value):
    with pytest.raises(exceptions.OptionsError, match=r"Invalid cors_browser .*chromium"):
        cors.configure(cors_browser=value)
    assert cors.tctx.options.cors_browser == "auto"  # rolled back


async def test_cors_filter_limits_inspection(cors):
    cors.configure(cors_filter="~d api.test")
    inside = fetch("GET", API, extra=())
    outside = fetch("GET", "http://other.test/x", extra=())
    cors.run(inside, response(200, [("Access-Control-Allow-Origin", APP)]))
    cors.run(outside, response(200))
    assert len(cors.of(inside)) == 1
    assert cors.of(outside) == [] and "cors" not in outside.metadata
    cors.configure(cors_filter=None)
    again = fetch("GET", "http://other.test/x", extra=())
    cors.run(again, response(200))
    assert cors.of(again)[0]["verdict"] == "blocked"


@pytest.mark.parametrize("spec", ["~~(", "~d", "~q ~~", "(~u x"])
async def test_cors_filter_invalid(cors, spec):
    with pytest.raises(exceptions.OptionsError, match="Invalid cors_filter"):
        cors.configure(cors_filter=spec)
    assert cors.addon.filter is None


async def test_cors_log_directory(cors, tmp_path):
    with pytest.raises(exceptions.OptionsError, match=r"Invalid cors_log .*directory"):
        cors.configure(cors_log=str(tmp_path))


async def test_cors_log_lines_wait_for_the_tick_then_are_written_whole(
    cors, tmp_path, validate_event, monkeypatch
):
    monkeypatch.setattr(eventlog, "QUIET_SECONDS", 3600.0)  # no line counts as after a pause
    path = tmp_path / "events.jsonl"
    cors.configure(cors_log=str(path))
    f = preflight()
    cors.run(f, response(204, grant()))
    lines = path.read_text().splitlines()  # the first line after a quiet spell: at once
    assert [validate_event(json.loads(line)) for line in lines] == cors.events
    g = fetch()
    cors.run(g, response(200, [("Access-Control-Allow-Origin", APP)]))
    assert path.read_text().splitlines() == lines  # waits for the batch
    cors.addon.tick(T0 + 1)  # the proxy's tick, on the flows' clock (no orphan yet)
    data = path.read_bytes()
    assert data.endswith(b"\n")
    assert [validate_event(json.loads(line)) for line in data.splitlines()] == cors.events
    assert [e["flow"] for e in cors.events] == [f.id, g.id]


async def test_cors_log_everything_written_at_a_clean_stop(cors, tmp_path, monkeypatch):
    """More lines than one batch, no tick: the full batches are written as they fill, the
    rest when the addon is done (mitmproxy's clean stop: SIGTERM, Ctrl-C, the end of -r)."""
    monkeypatch.setattr(eventlog, "QUIET_SECONDS", 3600.0)
    path = tmp_path / "events.jsonl"
    cors.configure(cors_log=str(path))
    flows = [fetch("GET", url=f"{API}/{i}", extra=(), t=T0 + i) for i in range(300)]
    for g in flows:
        cors.run(g, response(200, [("Access-Control-Allow-Origin", APP)]))
    before = path.read_bytes()
    assert before.endswith(b"\n")  # whole lines only, ever
    assert 1 < len(before.splitlines()) < len(flows)  # full batches went out; some wait
    cors.addon.done()
    data = path.read_bytes()
    assert data.endswith(b"\n")
    assert [json.loads(line)["flow"] for line in data.splitlines()] == [g.id for g in flows]


async def test_cors_log_turned_off_and_on(cors, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    cors.configure(cors_log=str(first))
    cors.run(preflight(), response(204, grant()))
    cors.configure(cors_log="")
    cors.run(preflight(), response(204, grant()))
    cors.configure(cors_log=str(second))
    cors.run(preflight(), response(204, grant()))
    assert len(first.read_text().splitlines()) == 1
    assert len(second.read_text().splitlines()) == 1
    assert len(cors.events) == 3


async def test_unwritable_cors_log_warns_keeps_events_and_writes_them_later(
    cors, tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(eventlog, "RETRY_SECONDS", 0.0)
    blocker = tmp_path / "logs"
    blocker.write_text("a file where a directory should be")
    path = blocker / "events.jsonl"
    cors.configure(cors_log=str(path))  # not an error: the proxy must keep serving
    assert "cannot open for writing" in caplog.text and str(path) in caplog.text

    flows = [preflight(), fetch()]
    cors.run(flows[0], response(204, grant()))
    cors.run(flows[1], response(200, [("Access-Control-Allow-Origin", APP)]))
    assert [e["flow"] for e in cors.events] == [f.id for f in flows]
    assert flows[1].metadata["cors"]["verdict"] == "allowed"
    assert cors.addon.log is not None and len(cors.addon.log.backlog) == 2

    blocker.unlink()
    blocker.mkdir()
    last = fetch("GET", extra=())
    cors.run(last, response(200, [("Access-Control-Allow-Origin", APP)]))
    cors.addon.tick(T0 + 1)  # the next tick writes what waited
    lines = path.read_text().splitlines()
    assert [json.loads(line)["flow"] for line in lines] == [*(f.id for f in flows), last.id]
    assert "writable again" in caplog.text


async def test_cors_log_recreated_after_deletion(cors, tmp_path, monkeypatch):
    monkeypatch.setattr(eventlog, "CHECK_SECONDS", 0.0)
    path = tmp_path / "events.jsonl"
    cors.configure(cors_log=str(path))
    cors.run(preflight(), response(204, grant()))
    os.unlink(path)
    cors.run(preflight(), response(204, grant()))
    cors.addon.tick(T0 + 1)
    assert len(path.read_text().splitlines()) == 1


async def test_cors_rules_loaded(cors, tmp_path, caplog):
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "one"\nallow_origin = "reflect"\n')
    cors.configure(cors_rules=str(path))
    assert [r.name for r in cors.addon.rules.rules] == ["one"]
    assert f"1 of 1 rules active from {path}" in caplog.text
    cors.configure(cors_rules="")
    assert cors.addon.rules is None


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[[rules]\nname = 'x'\n", "rules.toml:1"),
        ('[[rules]]\nname = "x"\nallow_orign = "reflect"\n', "allow_origin"),
        ('[[rules]]\nname = "x"\nallow_origin = "*"\nallow_credentials = true\n', "reflect"),
        ("", "empty"),
    ],
)
async def test_cors_rules_broken_file(cors, tmp_path, text, needle):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(exceptions.OptionsError, match="Invalid cors_rules") as info:
        cors.configure(cors_rules=str(path))
    assert str(path) in str(info.value) and needle in str(info.value)
    assert cors.addon.rules is None


async def test_cors_rules_missing_file(cors, tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(exceptions.OptionsError, match="file not found") as info:
        cors.configure(cors_rules=str(path))
    assert str(path) in str(info.value)
    assert cors.addon.rules is None


@pytest.mark.parametrize(
    "listen_host,modes,exposed",
    [
        ("127.0.0.1", ["regular"], False),
        ("::1", ["regular"], False),
        ("localhost", ["reverse:http://127.0.0.1:9000"], False),
        ("", ["regular@127.0.0.1:8080"], False),
        ("", ["regular@[::1]:8080", "socks5@localhost:1080"], False),
        ("", ["regular"], True),
        ("0.0.0.0", ["regular"], True),
        ("192.0.2.2", ["regular"], True),
        ("127.0.0.1", ["regular@0.0.0.0:8080"], True),
        ("", ["regular@8080"], True),  # a port alone: the global listen_host ("") applies
        ("", ["reverse:http://127.0.0.1:9000@8080"], True),
        ("127.0.0.1", ["regular", "reverse:http://127.0.0.1:9000@8081"], False),
    ],
)
async def test_running_warns_when_listening_beyond_loopback(
    cors, caplog, listen_host, modes, exposed
):
    cors.configure(listen_host=listen_host, mode=modes)
    cors.addon.running()
    assert cors.addon._ticker is not None  # the periodic work started
    warned = "listens beyond this machine's loopback" in caplog.text
    assert warned == exposed
    cors.addon.done()
    assert cors.addon._ticker is None


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
async def test_cors_log_on_a_full_disk(cors, caplog):
    cors.configure(cors_log="/dev/full")  # every write fails with ENOSPC
    flows = [preflight(), fetch()]
    cors.run(flows[0], response(204, grant()))
    cors.run(flows[1], response(200, [("Access-Control-Allow-Origin", APP)]))
    assert "write failed" in caplog.text
    assert caplog.text.count("write failed") == 1  # said once, not per event
    assert [e["flow"] for e in cors.events] == [f.id for f in flows]
    assert len(cors.addon.log.backlog) == 2
    cors.configure(cors_log="")  # closing with a backlog warns, never raises
    assert "2 events could not be written" in caplog.text


async def test_cors_log_backlog_is_bounded(cors, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(eventlog, "RETRY_SECONDS", 0.0)
    blocker = tmp_path / "logs"
    blocker.write_text("")
    path = blocker / "events.jsonl"
    cors.configure(cors_log=str(path))
    cors.addon.log.backlog_limit = 3
    flows = [fetch("GET", extra=(), t=i) for i in range(5)]
    for f in flows:
        cors.run(f, response(200))
    blocker.unlink()
    blocker.mkdir()
    last = fetch("GET", extra=())
    cors.run(last, response(200))
    cors.addon.tick(T0 + 1)
    ids = [json.loads(line)["flow"] for line in path.read_text().splitlines()]
    assert ids == [flows[3].id, flows[4].id, last.id]  # the oldest were dropped
    assert "3 events were lost" in caplog.text


async def test_cors_filter_on_response_fields(cors):
    """A filter on the response (~c, ~hs) cannot match at requestheaders; the flow is
    classified when its response arrives."""
    cors.configure(cors_filter="~c 405")
    f = preflight()
    cors.run(f, response(405))
    g = preflight(t=T0 + 1)
    cors.run(g, response(204, grant()))
    assert len(cors.of(f)) == 1 and cors.of(g) == []


@pytest.mark.parametrize(
    ("master", "annotated"),
    [
        (FakeMaster({"dumper": object()}), False),  # plain mitmdump (-q or not)
        (FakeMaster({"dumper": object()}, save_stream_file="out.mitm"), True),  # -w saves them
        (FakeMaster({"dumper": object()}, dumper_filter="~marker heavy"), True),
        (FakeMaster({"dumper": object()}, save_stream_filter="~comment BLOCKED"), True),
        (FakeMaster({"dumper": object()}, dumper_filter="~d api.test"), False),
        (FakeMaster({"dumper": object()}, view=True), True),  # the console
        (FakeMaster({}), True),  # mitmweb (no dumper), or a host we do not know
    ],
)
async def test_comments_and_markers_only_where_something_reads_them(cors, master, annotated):
    cors.addon._master = master
    cors.configure(cors_filter="~d api.test")  # an option that may change it: recomputed
    assert cors.addon.annotate is annotated
    f = fetch("GET", extra=())
    cors.run(f, response(200, [("Access-Control-Allow-Origin", APP)]))
    assert f.metadata["cors"]["verdict"] == "allowed"
    assert (f.comment.startswith("ALLOWED"), bool(f.marked)) == (annotated, annotated)


OWN_SCRIPT = str(Path(cors_addon.__file__).with_name("mitmproxy_script.py"))


@pytest.mark.parametrize(
    ("master", "quiet", "batched"),
    [
        (FakeMaster({"dumper": object()}), True, True),  # mitmdump -q
        (FakeMaster({"dumper": object()}), False, False),  # its terminal lines show results
        (FakeMaster({"dumper": object()}, save_stream_file="out.mitm"), True, False),
        (FakeMaster({"dumper": object()}, dumper_filter="~meta blocked"), True, False),
        (FakeMaster({"dumper": object()}, dumper_filter="~d api.test"), True, True),
        (FakeMaster({"dumper": object()}, scripts=["elsewhere/other.py"]), True, False),
        (FakeMaster({"dumper": object()}, scripts=[OWN_SCRIPT]), True, True),
        (FakeMaster({"dumper": object()}, modify_headers=["/~q/X-A/1"]), True, False),
        (FakeMaster({"dumper": object()}, anticomp=True), True, False),
        (FakeMaster({"dumper": object()}, view=True), True, False),  # the console
        (FakeMaster({}), True, False),  # mitmweb
    ],
)
async def test_batched_only_where_nothing_reads_flows_as_they_pass(cors, master, quiet, batched):
    """Batched, a flow waits for the tick: its event, log line and summary come then."""
    cors.addon._master = master
    cors.addon.annotate = addon_module._annotations_read(master)
    cors.addon.line_level = logging.ERROR if quiet else logging.INFO
    cors.configure(cors_filter="~d api.test")  # any option change decides it again
    assert cors.addon.batched is batched
    assert hasattr(cors.addon, "requestheaders") is not batched  # not dispatched at all
    f = fetch("GET", extra=())
    cors.run(f, response(200, [("Access-Control-Allow-Origin", APP)]))
    assert ("cors" in f.metadata) is not batched
    assert "requests 1 (allowed 1)" in cors.addon.summarize()  # a command runs what waits first
    assert f.metadata["cors"]["verdict"] == "allowed"
    assert cors.addon._batch == []


async def test_rules_with_a_filter_end_the_batching_and_run_what_waits(cors):
    """Rules alone keep the batching (they act as flows pass); rules and a cors_filter
    (which would choose the flows twice) end it, and what waits is analysed first."""
    as_quiet_mitmdump(cors.addon)
    cors.configure(cors_filter="~d api.test")
    assert cors.addon.batched
    f = fetch("GET", extra=())
    cors.run(f, response(200))
    assert "cors" not in f.metadata
    cors.configure(cors_rules=str(Path(__file__).parents[1] / "golden" / "rules.toml"))
    assert not cors.addon.batched and f.metadata["cors"]["verdict"] == "blocked"
    g = fetch("GET", extra=())
    cors.run(g, response(200))
    assert "cors" in g.metadata  # at once: one by one again
    cors.configure(cors_filter="")
    assert cors.addon.batched and hasattr(cors.addon, "requestheaders") is False
    cors.configure(cors_rules="")
    assert cors.addon.batched and hasattr(cors.addon, "requestheaders") is False


async def test_batched_flows_wait_for_the_tick(cors, tmp_path):
    path = tmp_path / "events.jsonl"
    as_quiet_mitmdump(cors.addon)
    cors.configure(cors_log=str(path))
    p = preflight()
    cors.run(p, response(204, grant()))
    f = fetch("PUT", t=T0 + 0.02)  # the request the preflight announced
    cors.run(f, response(200, [("Access-Control-Allow-Origin", APP)]))
    assert cors.events == [] and not path.read_text()
    cors.addon.tick(T0 + 0.1)
    assert [e["flow"] for e in cors.events] == [p.id, f.id]
    assert f.metadata["cors"]["preflight"]["flow"] == p.id  # paired, as one by one
    assert [json.loads(line)["flow"] for line in path.read_text().splitlines()] == [p.id, f.id]


async def test_batched_flows_stay_live_flows_once_done(cors):
    """mitmproxy marks a flow not live once it is done, as a flow waiting for the batch
    usually is: it is still analysed as the live traffic it was (paired with the live flow
    that followed it, not with flows read from a file)."""
    as_quiet_mitmdump(cors.addon)
    cors.configure(cors_filter="~d api.test")
    assert cors.addon.batched
    p = preflight()
    assert p.live
    cors.run(p, response(204, grant()))
    p.live = False  # done, before the tick
    f = fetch("PUT", t=T0 + 0.02)
    cors.run(f, response(200, [("Access-Control-Allow-Origin", APP)]))
    cors.addon.tick(T0 + 0.1)
    assert f.metadata["cors"]["preflight"]["flow"] == p.id
    assert "missing-preflight" not in [w["code"] for w in f.metadata["cors"]["warnings"]]
