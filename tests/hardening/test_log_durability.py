"""The JSONL event log through the real proxy: an unwritable path, a full disk (simulated
with /dev/full and with a file size limit that is lifted later), a log deleted or rotated
while running, SIGTERM/SIGINT under load, and 2,000 requests from 50 concurrent clients.

What must hold: the proxy keeps serving and says clearly what is wrong; the file only ever
holds whole, valid lines; under load there is exactly one line per CORS event. Lines are
written in batches (by the proxy's tick, every 0.25 s, and at a clean stop): a test waits
for the line it needs, and a read of a running proxy's log may catch a batch half-written.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import send
from threaded_server import ThreadedServer

pytestmark = pytest.mark.integration

ACAO = [("Access-Control-Allow-Origin", PAGE)]


def whole_lines(path: Path, validate_event: Callable[[dict], dict]) -> list[dict]:
    """Every line of the log, each parsed and validated; the file ends with a newline (a
    running proxy's batch being written is waited for, a broken line is not)."""
    deadline = time.monotonic() + 5
    while True:
        text = path.read_text() if path.exists() else ""
        if not text or text.endswith("\n") or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not text or text.endswith("\n"), f"the last line of {path} is broken: {text[-200:]!r}"
    return [validate_event(json.loads(line)) for line in text.splitlines()]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def get(proxy, url: str) -> int:
    return send(proxy.port, "GET", url, fetch_fields()).status


# -- an unwritable path, a full disk, a deleted or rotated file -----------------------------------


def test_unwritable_path_warns_keeps_serving_and_writes_later(
    proxies, api, tmp_path, validate_event
):
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the log's directory should be")
    log = blocker / "events.jsonl"
    proxy = proxies.start("unwritable", log_path=log)
    urls = [api.add(f"/durable/unwritable/{i}", Route(200, ACAO, b"x")) for i in range(3)]
    assert [get(proxy, u) for u in urls[:2]] == [200, 200]
    proxy.wait_stdout(f"cors_log {log}: cannot open for writing (Not a directory)")
    assert "the proxy keeps serving" in proxy.stdout()
    blocker.unlink()
    blocker.mkdir()  # writable again: the events kept in memory are written, in order
    wait_until(lambda: get(proxy, urls[2]) == 200 and log.exists(), what="the log file")
    proxy.wait_stdout("writable again, backlog written")
    logged = [e["url"] for e in whole_lines(log, validate_event)]
    assert logged[:3] == urls  # then any repeat of the last one
    assert "Traceback" not in proxy.output()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_dev_full(proxies, api):
    """Every write fails with ENOSPC: said once, the proxy keeps serving, and it stops
    cleanly, saying how many events it could not write."""
    proxy = proxies.start("dev-full", log_path=Path("/dev/full"))
    urls = [api.add(f"/durable/full/{i}", Route(200, ACAO, b"x")) for i in range(20)]
    assert [get(proxy, u) for u in urls] == [200] * 20
    out = proxy.wait_stdout("write failed (No space left on device)")
    assert out.count("write failed") == 1
    assert proxy.stop() == 0
    assert "20 events could not be written" in proxy.stdout()
    assert "Traceback" not in proxy.output()


FSIZE_LIMIT = 48 * 1024
LIMITED = (
    "import resource, runpy, sys;"
    f"resource.setrlimit(resource.RLIMIT_FSIZE, ({FSIZE_LIMIT}, resource.RLIM_INFINITY));"
    "sys.argv[0] = 'cors_addon';"
    "runpy.run_module('cors_addon', run_name='__main__', alter_sys=True)"
)


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs resource.prlimit (Linux)")
def test_full_disk_mid_line_then_space_again(proxies, api, validate_event):
    """A disk that fills up in the middle of a line (simulated: the proxy may write at most
    48 kB per file; Python ignores SIGXFSZ, so writes fail with EFBIG, the first one
    partially): the file keeps only whole lines, the proxy keeps serving, and once there
    is room again (the limit is lifted) every event is written, in order."""
    proxy = proxies.new(
        "fsize",
        ["--set", "termlog_verbosity=warn"],  # the terminal output is a file too
        command=[sys.executable, "-c", LIMITED],
    ).start()
    url = api.add("/durable/fsize/*", Route(200, ACAO, b"x"))
    assert proxy.log_path is not None
    sent: list[str] = []
    while "write failed" not in proxy.stdout():  # until the limit is reached
        sent.append(f"{url}{len(sent)}?pad={'p' * 300}")
        assert get(proxy, sent[-1]) == 200
        assert len(sent) < 1000, proxy.output()
    out = proxy.stdout()
    assert "a line did not fit: disk full or file too large" in out, out
    assert "the proxy keeps serving" in out
    for _ in range(10):  # more traffic while the disk is full: served, kept in memory
        sent.append(f"{url}{len(sent)}")
        assert get(proxy, sent[-1]) == 200
    before = whole_lines(proxy.log_path, validate_event)  # whole lines only, no broken one
    assert 0 < len(before) < len(sent)
    assert proxy.proc is not None
    resource.prlimit(proxy.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)

    def written_again() -> bool:  # the writer retries once a second, on the next event
        sent.append(f"{url}{len(sent)}")
        assert get(proxy, sent[-1]) == 200
        return "writable again, backlog written" in proxy.stdout()

    wait_until(written_again, what="the backlog written")
    assert proxy.stop() == 0
    logged = [e["url"] for e in whole_lines(proxy.log_path, validate_event)]
    assert logged == sent  # every event, once, in order
    assert "Traceback" not in proxy.output()


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs resource.prlimit (Linux)")
def test_full_disk_at_shutdown_leaves_only_whole_lines(proxies, api, validate_event):
    """The disk stays full until SIGTERM: the log ends with a whole line and the proxy
    says how many events it could not write."""
    proxy = proxies.new(
        "fsize-stop", ["--set", "termlog_verbosity=warn"], command=[sys.executable, "-c", LIMITED]
    ).start()
    url = api.add("/durable/fsize-stop/*", Route(200, ACAO, b"x"))
    n = 0
    while "write failed" not in proxy.stdout():
        assert get(proxy, f"{url}{n}?pad={'p' * 300}") == 200
        n += 1
        assert n < 1000, proxy.output()
    assert proxy.stop() == 0
    assert proxy.log_path is not None
    assert 0 < len(whole_lines(proxy.log_path, validate_event)) < n
    assert "events could not be written" in proxy.stdout()


def test_log_deleted_then_rotated_while_running(proxies, api, tmp_path, validate_event):
    """The writer checks its file at most once a second, when it writes: lines written
    before it noticed went to the old file; from then on, a new file. Renamed away as
    logrotate does, the old file and the new one together hold every line, in order."""
    proxy = proxies.start("deleted")
    log = proxy.log_path
    assert log is not None
    url = api.add("/durable/deleted/*", Route(200, ACAO, b"x"))
    assert get(proxy, f"{url}first") == 200
    wait_until(lambda: log.exists() and log.stat().st_size > 0, what="the first line")
    log.unlink()
    n = 0

    def logged_again() -> bool:
        nonlocal n
        n += 1
        assert get(proxy, f"{url}after-delete-{n}") == 200
        return log.exists() and log.stat().st_size > 0

    def urls(path: Path) -> list[str]:
        return [e["url"] for e in whole_lines(path, validate_event)]

    wait_until(logged_again, what="a new log file after the deletion")
    proxy.wait_stdout(f"cors_log {log}: the file was deleted or replaced; writing a new one")
    last = f"{url}after-delete-{n}"
    wait_until(lambda: urls(log)[-1] == last, what=f"{last} in the new file")
    new = urls(log)
    k = int(new[0].rsplit("-", 1)[1])  # the first line the writer held after noticing
    assert new == [f"{url}after-delete-{i}" for i in range(k, n + 1)]
    deleted = n

    rotated = tmp_path / "events.jsonl.1"
    log.rename(rotated)  # as logrotate does

    def rotated_away() -> bool:
        nonlocal n
        n += 1
        assert get(proxy, f"{url}after-rotate-{n}") == 200
        return log.exists() and log.stat().st_size > 0

    wait_until(rotated_away, what="a new log file after the rotation")
    last = f"{url}after-rotate-{n}"
    wait_until(lambda: urls(log)[-1] == last, what=f"{last} in the new file")
    old, new = urls(rotated), urls(log)
    assert old and new
    assert old + new == [
        *(f"{url}after-delete-{i}" for i in range(k, deleted + 1)),
        *(f"{url}after-rotate-{i}" for i in range(deleted + 1, n + 1)),
    ]
    assert proxy.proc is not None and proxy.proc.poll() is None
    assert "Traceback" not in proxy.output()


# -- load: 50 concurrent clients ----------------------------------------------------------------


class Upstream(ThreadedServer):
    """A small asyncio HTTP/1.1 server (keep-alive) in its own thread: preflights get 204
    with a grant for the request's Origin, everything else 200 with Allow-Origin."""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ", 1)[0]
                fields = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                )
                length = int(fields.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                origin = fields.get("origin", "*")
                if method == "OPTIONS":
                    writer.write(
                        b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: "
                        + origin.encode("latin-1")
                        + b"\r\nAccess-Control-Allow-Methods: PUT\r\n"
                        b"Access-Control-Allow-Headers: x-api-key\r\nVary: Origin\r\n\r\n"
                    )
                else:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: "
                        + origin.encode("latin-1")
                        + b"\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"
                        b"Content-Length: 2\r\n\r\nok"
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@dataclass
class Load:
    """What the clients sent and what was answered: (method, url, has an Origin)."""

    answered: list[tuple[str, str, bool]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def plan(client: int, base: str, rounds: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Per round: a preflight and its PUT, two GETs with an Origin, and every fifth round a
    GET without Origin (not a CORS event)."""
    origin = f"http://localhost:{3000 + client}"
    fetch = [("Origin", origin), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Site", "cross-site")]
    steps = []
    for r in range(rounds):
        url = f"{base}/c{client}/r{r}"
        steps.append(
            (
                "OPTIONS",
                url,
                [
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "x-api-key"),
                    ("Sec-Fetch-Mode", "cors"),
                ],
            )
        )
        steps.append(("PUT", url, [*fetch, ("X-Api-Key", "k"), ("Content-Length", "0")]))
        steps.append(("GET", f"{url}/a", fetch))
        steps.append(("GET", f"{url}/b", [*fetch, ("Cookie", "session=1")]))
        if r % 5 == 0:
            steps.append(("GET", f"{url}/plain", []))
    return steps


async def run_client(
    port: int, steps: list, load: Load, stop: threading.Event | None = None
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for method, url, fields in steps:
            if stop is not None and stop.is_set():
                return
            host = url.split("/")[2]
            head = [f"{method} {url} HTTP/1.1", f"Host: {host}", *(f"{n}: {v}" for n, v in fields)]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
            status = int(answer.split(b" ", 2)[1])
            length = 0
            for line in answer.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            assert status in (200, 204), answer
            load.answered.append((method, url, any(n == "Origin" for n, _ in fields)))
    except (TimeoutError, OSError, AssertionError, asyncio.IncompleteReadError) as e:
        load.failed.append(f"{type(e).__name__}: {e}")
    finally:
        writer.close()


def kind(method: str, url: str) -> tuple[str, str]:
    """The (type, url) of the event a request gives."""
    return ("preflight" if method == "OPTIONS" else "request", url)


async def run_load(port: int, steps: list[list], load: Load, stop=None) -> None:
    await asyncio.gather(*(run_client(port, s, load, stop) for s in steps))


CLIENTS = 50
ROUNDS = 10  # per client: 10 x (preflight, PUT, 2 GETs) + 2 plain GETs = 42 requests


def test_concurrent_load_one_whole_line_per_cors_event(proxies, validate_event):
    """2,100 requests (2,000 of them CORS events) from 50 concurrent keep-alive clients:
    every request answered, and the log holds exactly one valid line per CORS event, none
    interleaved, lost or doubled."""
    with Upstream() as upstream:
        proxy = proxies.start("load")
        base = f"http://127.0.0.1:{upstream.port}/load"
        steps = [plan(c, base, ROUNDS) for c in range(CLIENTS)]
        load = Load()
        started = time.monotonic()
        asyncio.run(run_load(proxy.port, steps, load))
        took = time.monotonic() - started
        assert not load.failed, load.failed[:5]
        total = sum(len(s) for s in steps)
        assert len(load.answered) == total >= 2000
        expected = sorted(kind(m, u) for m, u, o in load.answered if o)
        assert len(expected) == CLIENTS * ROUNDS * 4 == 2000
        assert proxy.log_path is not None
        wait_until(  # (an orphan's URL is its preflight's: count only the flows' own events)
            lambda: sum(e["type"] != "orphan" for e in proxy.events()) >= len(expected),
            60,
            "2,000 lines in the log",
        )
        events = whole_lines(proxy.log_path, validate_event)
        logged = sorted((e["type"], e["url"]) for e in events if e["type"] != "orphan")
        assert logged == expected, f"{len(logged)} lines for {len(expected)} events"
        assert len({e["flow"] for e in events if e["type"] != "orphan"}) == len(expected)
        assert all(e["verdict"] == "allowed" for e in events if e["type"] != "orphan")
        # orphans only if the machine stalled for seconds: each for one of our preflights
        preflights = {u for t, u in expected if t == "preflight"}
        orphans = [e["url"] for e in events if e["type"] == "orphan"]
        assert len(orphans) == len(set(orphans)) and set(orphans) <= preflights
        print(f"{total} requests in {took:.1f} s ({total / took:.0f}/s)")
    assert "Traceback" not in proxy.output() and "internal error" not in proxy.output()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_under_concurrent_load_leaves_whole_lines(proxies, validate_event, sig):
    """50 clients in full flow, then SIGTERM or SIGINT: a clean exit, a whole last line,
    and every request that got its answer has its event."""
    with Upstream() as upstream:
        proxy = proxies.start(f"load-{sig.name}")
        base = f"http://127.0.0.1:{upstream.port}/signal"
        steps = [plan(c, base, 50) for c in range(CLIENTS)]
        load = Load()
        stop = threading.Event()
        loader = threading.Thread(
            target=lambda: asyncio.run(run_load(proxy.port, steps, load, stop)), daemon=True
        )
        loader.start()
        try:
            wait_until(lambda: sum(o for _, _, o in load.answered) >= 300, 60, "300 answered")
            assert proxy.proc is not None
            proxy.proc.send_signal(sig)
            code = proxy.proc.wait(30)
        finally:
            stop.set()
            loader.join(60)
        proxy.returncode = code
        assert code == 0, proxy.output()
        assert proxy.log_path is not None
        events = whole_lines(proxy.log_path, validate_event)
        logged = [(e["type"], e["url"]) for e in events if e["type"] != "orphan"]
        answered = {
            ("preflight" if m == "OPTIONS" else "request", u) for m, u, o in load.answered if o
        }
        assert len(answered) >= 300
        assert answered <= set(logged)  # every answered request was logged before its answer
        assert len(logged) == len(set(logged))  # and once
