"""The one JSONL writer: one event per line, written in batches of whole lines.

Lines gather in memory and go out in one write: at the addon's tick (every 0.25 s), when a
batch reaches BATCH_LINES or BATCH_BYTES, and at close (a clean stop). A line that comes
QUIET_SECONDS or more after the one before it is written at once, with any still waiting:
sparse traffic shows up without delay, and this costs at most 1 / QUIET_SECONDS writes a
second however heavy the traffic. A killed proxy (SIGKILL) loses at most the last tick's lines.

It never raises into the proxy. An unwritable path, a full disk or a deleted file gives a
warning naming the problem; events wait in a bounded backlog and are written once the file
is writable again (any that overflow the backlog are counted and reported). The file only
ever holds whole lines: a line cut short by a full disk is taken back.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections import deque
from itertools import islice

from .events import Event
from .events import encode_line

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
CHECK_SECONDS = 1.0
QUIET_SECONDS = 0.005
BATCH_LINES = 256
BATCH_BYTES = 64 * 1024


class EventLog:
    def __init__(self, path: str, backlog: int = 10_000) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.backlog: deque[bytes] = deque()  # lines not written yet, oldest first
        self.backlog_limit = backlog
        self.written = 0
        self.dropped = 0
        self._fd: int | None = None
        self._inode: int | None = None
        self._problem: str | None = None
        self._next_retry = 0.0
        self._next_check = 0.0
        self._partial = False  # the head of the backlog is the rest of a line begun in the file
        self._waiting = 0  # bytes queued since the last flush
        self._last_line = float("-inf")  # when the previous line came (monotonic)
        self._closed = False
        self._open()

    @property
    def healthy(self) -> bool:
        return self._fd is not None and self._problem is None

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            logger.warning(f"cors_log {self.path}: {problem}; the proxy keeps serving.")

    def _open(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            self._report(f"cannot open for writing ({e.strerror or e}); events are kept in memory")
            self._next_retry = time.monotonic() + RETRY_SECONDS
            return False
        self._fd = fd
        self._inode = os.fstat(fd).st_ino
        self._next_check = time.monotonic() + CHECK_SECONDS
        return True

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None

    def _check_replaced(self, now: float) -> None:
        """Reopen when the file was deleted or replaced while we hold it."""
        self._next_check = now + CHECK_SECONDS
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            inode = None
        if inode != self._inode:
            self._close_fd()
            self._report("the file was deleted or replaced; writing a new one")
            self._open()

    def write(self, event: Event) -> None:
        self.write_line(encode_line(event))

    def write_line(self, line: bytes) -> None:
        """Queue one whole line (the JSON and its newline, encoded); see the module's
        docstring for when it is written."""
        self._keep(line)
        if self._closed:  # a flow that finished after close: no tick will come
            self.close()
            return
        self._waiting += len(line)
        now = time.monotonic()
        quiet = now - self._last_line >= QUIET_SECONDS
        self._last_line = now
        if quiet or self._waiting >= BATCH_BYTES or len(self.backlog) >= BATCH_LINES:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Write every waiting line (the addon's tick calls this). After a failure, tries
        again RETRY_SECONDS later; the lines wait in the backlog meanwhile."""
        self._waiting = 0
        if self._closed:
            self.close()
        elif self.backlog:
            self._try_write(time.monotonic() if now is None else now, patient=True)

    def _try_write(self, now: float, patient: bool) -> None:
        """`patient`: keep to the pause after a failure (close does not: a last chance)."""
        if self._fd is None:
            if (patient and now < self._next_retry) or not self._open():
                return
        elif now >= self._next_check or not patient:
            self._check_replaced(now)
            if self._fd is None:
                return
        if patient and self._problem is not None and now < self._next_retry:
            return
        try:
            self._write_backlog()
        except OSError as e:
            self._next_retry = now + RETRY_SECONDS
            self._report(f"write failed ({e.strerror or e}); events are kept in memory")
            return
        if self._problem is not None:
            lost = f", {self.dropped} events were lost" if self.dropped else ""
            logger.warning(f"cors_log {self.path}: writable again, backlog written{lost}.")
            self._problem = None
            self.dropped = 0

    def _write_backlog(self) -> None:
        """Write the backlog in order, up to BATCH_LINES whole lines per write. The file
        never keeps a broken line: the part of a line that a short write (a full disk) put
        in the file is taken back, and the line stays whole at the head of the backlog; if
        that fails, its remainder stays at the head, to be written first and alone."""
        assert self._fd is not None
        fd = self._fd
        backlog = self.backlog
        while backlog:
            count = 1 if self._partial else min(len(backlog), BATCH_LINES)
            data = backlog[0] if count == 1 else b"".join(islice(backlog, count))
            n = os.write(fd, data)
            if n == len(data):
                if count == len(backlog):
                    backlog.clear()
                else:
                    for _ in range(count):
                        backlog.popleft()
                self.written += count
                self._partial = False
                continue
            if not n:
                raise OSError(errno.ENOSPC, "nothing was written: disk full or file too large")
            if self._partial:  # more of the remainder went out
                backlog[0] = backlog[0][n:]
                continue
            while n >= len(backlog[0]):  # the whole lines that went out
                n -= len(backlog.popleft())
                self.written += 1
            if not n:
                continue  # the next write says why it stopped (or goes on)
            if self._take_back(n):
                raise OSError(errno.ENOSPC, "a line did not fit: disk full or file too large")
            backlog[0] = backlog[0][n:]
            self._partial = True

    def _take_back(self, n: int) -> bool:
        """Cut the `n` bytes just written off the end of the file, unless someone else has
        appended since (then the remainder will follow them instead)."""
        assert self._fd is not None
        try:
            end = os.lseek(self._fd, 0, os.SEEK_CUR)
            if os.fstat(self._fd).st_size != end:
                return False
            os.ftruncate(self._fd, end - n)
        except OSError:
            return False
        return True

    def _keep(self, line: bytes) -> None:
        backlog = self.backlog
        if len(backlog) >= self.backlog_limit:
            # Never drop a partly written head: drop the oldest whole line after it.
            if self._partial and len(backlog) > 1:
                del backlog[1]
            else:
                backlog.popleft()
            self.dropped += 1
        backlog.append(line)

    def close(self) -> None:
        """Write everything still waiting (a clean stop: done, a changed cors_log), then
        close the file. A line queued after this is written at once, the same way."""
        self._closed = True
        self._waiting = 0
        if self.backlog:
            self._try_write(time.monotonic(), patient=False)
        if self.backlog:
            logger.warning(
                f"cors_log {self.path}: {len(self.backlog)} events could not be written."
            )
        self._close_fd()
