"""A progress bar on stderr for large captures, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_BYTES = 8 << 20  # smaller files are read before anyone would look at a bar
WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.total = total
        self.enabled = total >= MIN_BYTES and self.stream.isatty()
        self._start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        fraction = min(done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * WIDTH)
        rate = done / max(now - self._start, 1e-6) / (1 << 20)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}"
            f" {done >> 20}/{self.total >> 20} MiB {rate:.0f} MiB/s"
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
