"""The one JSONL writer: one event per line, written and flushed as it is decided.

It never raises into the proxy. An unwritable path, a full disk or a deleted file gives a
warning naming the problem; events wait in a bounded backlog and are written once the file
is writable again (any that overflow the backlog are counted and reported).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections import deque

from .events import Event
from .events import encode_line

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
CHECK_SECONDS = 1.0


class EventLog:
    def __init__(self, path: str, backlog: int = 10_000) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.backlog: deque[bytes] = deque()
        self.backlog_limit = backlog
        self.written = 0
        self.dropped = 0
        self._fd: int | None = None
        self._inode: int | None = None
        self._problem: str | None = None
        self._next_retry = 0.0
        self._next_check = 0.0
        self._partial = False
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
        """Write one whole JSONL line (newline included), already encoded."""
        self._keep(line)
        now = time.monotonic()
        if self._fd is None:
            if now < self._next_retry or not self._open():
                return
        elif now >= self._next_check:
            self._check_replaced(now)
            if self._fd is None:
                return
        if self._problem is not None and now < self._next_retry:
            return
        try:
            self._flush()
        except OSError as e:
            self._next_retry = now + RETRY_SECONDS
            self._report(f"write failed ({e.strerror or e}); events are kept in memory")
            return
        if self._problem is not None:
            lost = f", {self.dropped} events were lost" if self.dropped else ""
            logger.warning(f"cors_log {self.path}: writable again, backlog written{lost}.")
            self._problem = None
            self.dropped = 0

    def _flush(self) -> None:
        """Write the backlog in order. The file never keeps a broken line: a line that did
        not fit (a full disk) is taken back and stays whole at the head of the backlog; if
        that fails, its remainder stays at the head, to be written first."""
        assert self._fd is not None
        backlog = self.backlog
        while backlog:
            data = backlog[0]
            n = os.write(self._fd, data)
            if n < len(data):
                if not self._partial and n and self._take_back(n):
                    raise OSError(errno.ENOSPC, "a line did not fit: disk full or file too large")
                backlog[0] = data[n:]
                self._partial = True
                continue
            backlog.popleft()
            self._partial = False
            self.written += 1

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
        if self.backlog and self._fd is not None:
            try:
                self._flush()
            except OSError as e:
                logger.warning(f"cors_log {self.path}: could not write the backlog ({e}).")
        if self.backlog:
            logger.warning(
                f"cors_log {self.path}: {len(self.backlog)} events could not be written."
            )
        self._close_fd()
