"""The JSONL writer on its own: lines go out in batches of whole lines (at a flush, when a
batch is full, at close, or at once after a quiet spell), and a disk that fills up in the
middle of a batch leaves only whole lines, every line written once there is room again.

Time is eventlog's own clock, moved by hand; a full disk is os.write running out of room.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest

from cors_addon import eventlog
from cors_addon.eventlog import EventLog
from cors_addon.events import encode_line


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(eventlog, "time", c)
    return c


class Disk:
    """os.write with a limited room (None: unlimited); records every write it was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.room: int | None = None
        self.calls: list[bytes] = []
        self._write = os.write
        monkeypatch.setattr(eventlog.os, "write", self.write)

    def write(self, fd: int, data: bytes) -> int:
        self.calls.append(bytes(data))
        if self.room is None:
            return self._write(fd, data)
        if self.room == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self._write(fd, data[: self.room])
        self.room -= n
        return n


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Disk:
    return Disk(monkeypatch)


def line(n: int, pad: int = 100) -> bytes:
    return json.dumps({"n": n, "pad": "p" * pad}).encode() + b"\n"


def logged(path: Path) -> list[int]:
    """The numbers of the lines in the file, which must hold only whole lines."""
    data = path.read_bytes() if path.exists() else b""
    assert not data or data.endswith(b"\n"), f"a broken last line: {data[-80:]!r}"
    return [json.loads(x)["n"] for x in data.splitlines()]


def test_write_is_write_line_of_the_encoded_event(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    event = {"v": 1, "origin": "http://b\xfccher.example", "url": "http://x/\udcff"}
    log.write(event)
    log.close()
    assert path.read_bytes() == encode_line(event)
    assert encode_line(event).endswith(b"\n") and encode_line(event).count(b"\n") == 1
    assert json.loads(encode_line(event)) == event


def test_a_burst_waits_for_the_flush_a_line_after_a_pause_goes_at_once(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    log.write_line(line(1))  # nothing came before it: at once
    assert logged(path) == [1]
    for n in (2, 3):
        clock.now += 0.001  # a burst
        log.write_line(line(n))
    assert logged(path) == [1]
    log.flush()  # the addon's tick
    assert logged(path) == [1, 2, 3]
    clock.now += 0.001
    log.write_line(line(4))
    clock.now += 1.5 * eventlog.QUIET_SECONDS  # a pause: the next line takes the waiting one
    log.write_line(line(5))
    assert logged(path) == [1, 2, 3, 4, 5]
    assert log.written == 5 and not log.backlog


def test_a_full_batch_goes_out_without_waiting_for_the_flush(
    tmp_path: Path, clock: Clock, disk: Disk
) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    log.write_line(line(0))
    for n in range(1, eventlog.BATCH_LINES):  # short lines: the line count fills first
        log.write_line(line(n, pad=0))
    assert logged(path) == [0]
    log.write_line(line(eventlog.BATCH_LINES, pad=0))
    assert logged(path) == list(range(eventlog.BATCH_LINES + 1))
    assert len(disk.calls) == 2  # the first line, then one batch
    # long lines: the byte bound fills first
    sizes = 0
    n = eventlog.BATCH_LINES + 1
    while sizes + len(line(n, pad=3000)) < eventlog.BATCH_BYTES:
        sizes += len(line(n, pad=3000))
        log.write_line(line(n, pad=3000))
        n += 1
    assert len(disk.calls) == 2
    log.write_line(line(n, pad=3000))
    assert len(disk.calls) == 3 and logged(path) == list(range(n + 1))
    assert all(c.endswith(b"\n") for c in disk.calls)  # every write: whole lines


def test_close_writes_everything_then_a_later_line_at_once(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    for n in range(10):
        log.write_line(line(n))
    assert logged(path) == [0]
    log.close()
    assert logged(path) == list(range(10)) and log._fd is None
    log.write_line(line(10))  # a flow that finished after the addon's done()
    assert logged(path) == list(range(11)) and log._fd is None


def test_a_short_write_in_the_middle_of_a_batch_leaves_only_whole_lines(
    tmp_path: Path, clock: Clock, disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    log.write_line(line(0))
    for n in range(1, 6):
        log.write_line(line(n))
    disk.room = len(line(1)) * 2 + len(line(3)) // 2  # the disk fills up inside line 3
    log.flush()
    assert logged(path) == [0, 1, 2]  # line 3's first half was taken back
    assert "a line did not fit: disk full or file too large" in caplog.text
    assert list(log.backlog) == [line(n) for n in range(3, 6)]
    for n in range(6, 10):  # more traffic while the disk is full
        clock.now += 0.3
        log.write_line(line(n))
        log.flush()
    assert logged(path) == [0, 1, 2]
    disk.room = None  # room again: the next try writes it all, in order
    clock.now += eventlog.RETRY_SECONDS
    log.flush()
    assert logged(path) == list(range(10))
    assert "writable again, backlog written." in caplog.text
    assert log.written == 10 and log.dropped == 0


def test_many_events_across_a_disk_full_recovery_all_there_in_order(
    tmp_path: Path, clock: Clock, disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    """5,000 events, 1 ms apart, a flush every 250 ms; the disk fills up in the middle of
    a line at the 1,000th and has room again 3 s later: every event once, in order."""
    caplog.set_level(logging.WARNING)
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path))
    for n in range(5000):
        if n == 1000:
            disk.room = len(line(0)) * 7 + 33
        if n == 4000:
            disk.room = None
        log.write_line(line(n))
        clock.now += 0.001
        if n % 250 == 249:
            log.flush()
        if n == 3999:
            assert 1000 < len(logged(path)) < 1020  # whole lines only, while full
    log.close()
    assert logged(path) == list(range(5000))
    assert log.written == 5000 and log.dropped == 0
    # said once per problem, not per event: the line cut short, then the full disk
    assert caplog.text.count("write failed") == 2
    assert caplog.text.count("write failed (a line did not fit") == 1
    assert caplog.text.count("writable again") == 1
    assert len(disk.calls) < 100  # in batches, not a write per line


def test_the_backlog_is_bounded_while_the_disk_is_full(
    tmp_path: Path, clock: Clock, disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path), backlog=100)
    disk.room = 0
    for n in range(250):
        log.write_line(line(n))
        clock.now += 0.01
        log.flush()
    assert len(log.backlog) == 100 and log.dropped == 150
    disk.room = None
    clock.now += eventlog.RETRY_SECONDS
    log.flush()
    assert logged(path) == list(range(150, 250))  # the newest kept, in order
    assert "writable again, backlog written, 150 events were lost." in caplog.text
