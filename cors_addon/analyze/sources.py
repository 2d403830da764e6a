"""Open a capture of any supported kind and stream its Exchanges in wire order.

Kinds, told apart by content, not by name: a HAR file (JSON), a mitmproxy flow file, and
either compressed with gzip (`.har.gz`) or zlib (mitmproxy's `.zhar`).

Captures are mostly in order already; a bounded heap (`REORDER_WINDOW` exchanges) puts the
rest in order without loading the file: a browser's HAR in the order the page issued the
requests (startedDateTime), then each preflight linked to its request (links.py); a flow
file or mitmproxy's HAR in wire order. An exchange later than the window allows is still
analyzed, and counted in `Capture.late`.
"""

from __future__ import annotations

import contextlib
import gzip
import heapq
import itertools
import os
import zlib
from collections.abc import Callable
from collections.abc import Iterator
from typing import IO
from typing import Any

from mitmproxy.exceptions import FlowReadException

from . import flowfile
from .exchange import Exchange
from .har import HarEntries
from .har import HarEntryError
from .jsonstream import JsonStream
from .jsonstream import JsonStreamError
from .links import Linker

REORDER_WINDOW = 2048

Progress = Callable[[int], None]  # bytes of the file read so far


class CaptureError(Exception):
    """The file cannot be read as a capture; the message names the file and the problem."""


class _ZlibReader:
    """A binary reader over zlib-compressed data (mitmproxy's .zhar)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._z = zlib.decompressobj()
        self._buf = b""
        self._done = False

    def _more(self, n: int) -> None:
        while not self._done and len(self._buf) < n:
            data = self._raw.read(1 << 16)
            if data:
                self._buf += self._z.decompress(data)
            else:
                self._buf += self._z.flush()
                self._done = True

    def peek(self, n: int = 1) -> bytes:
        self._more(n)
        return self._buf[:n]

    def read(self, n: int = -1) -> bytes:
        self._more(n if n >= 0 else 1 << 62)
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        self._raw.close()


class Capture:
    """One capture file. Iterate `exchanges()` once; `kind`, `count` (entries or flows read),
    `late` and `size` describe it."""

    def __init__(self, path: str, label: str | None = None) -> None:
        self.path = path
        self.label = label or os.path.basename(path)
        self.kind = "unknown"
        self.late = 0
        self.count = 0
        self.size = 0
        self.linked = False  # a browser's capture: pairing by its records (links.py)
        self._raw: IO[bytes] | None = None

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for a compressed file)."""
        if self._raw is None or self._raw.closed:
            return self.size
        with contextlib.suppress(OSError, ValueError):
            return self._raw.tell()
        return 0

    def _fail(self, problem: str) -> CaptureError:
        return CaptureError(f"{self.path}: {problem}")

    def _open(self) -> IO[bytes]:
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 (closed by exchanges())
            self.size = os.fstat(raw.fileno()).st_size
        except FileNotFoundError:
            raise self._fail("no such file") from None
        except IsADirectoryError:
            raise self._fail("is a directory, not a capture file") from None
        except PermissionError:
            raise self._fail("cannot read the file: permission denied") from None
        except OSError as e:
            raise self._fail(f"cannot read the file: {e.strerror or e}") from None
        self._raw = raw
        head = raw.read(2)
        raw.seek(0)
        if head == b"\x1f\x8b":
            return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        if len(head) == 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
            return _ZlibReader(raw)  # type: ignore[return-value]
        return raw

    def exchanges(self, progress: Progress | None = None) -> Iterator[Exchange]:
        """Every exchange, in order of wire time (within the reorder window)."""
        f = self._open()
        try:
            ordered = self._ordered(self._read(f, progress))
            first = next(ordered, None)
            if first is None:
                return
            items = itertools.chain((first,), ordered)
            if not self.linked:
                yield from items
                return
            linker = Linker(REORDER_WINDOW)
            failure: CaptureError | None = None
            try:
                for ex in items:
                    yield from linker.feed(ex)
            except CaptureError as e:
                failure = e  # what was read before the problem is still analyzed
            yield from linker.flush()
            if failure is not None:
                raise failure
        except (OSError, EOFError, zlib.error) as e:
            raise self._fail(f"cannot read the file: {e}") from None
        finally:
            f.close()
            if self._raw is not None:
                self._raw.close()

    def _read(self, f: IO[bytes], progress: Progress | None) -> Iterator[Exchange]:
        first = _first_byte(f)
        if first == b"":
            raise self._fail("the file is empty")
        if first in (b"{", b"\xef"):
            self.kind = "har"
            items = self._har(f)
        elif first.isdigit():
            self.kind = "flows"
            items = self._flows(f)
        else:
            raise self._fail(
                f"neither a HAR file (JSON) nor a mitmproxy flow file (it starts with {first!r})"
            )
        for n, item in enumerate(items, 1):
            if progress is not None and n % 256 == 0:
                progress(self.position())
            yield item

    def _har(self, f: IO[bytes]) -> Iterator[Exchange]:
        stream = JsonStream(f)
        entries = HarEntries(self.label)
        found = False
        try:
            for key in stream.members():
                if key != "log":
                    stream.skip()
                    continue
                for name in stream.members():
                    if name == "creator":
                        creator = stream.value()
                        if isinstance(creator, dict) and isinstance(creator.get("name"), str):
                            entries.creator = creator["name"]
                    elif name == "pages":
                        entries.add_pages(stream.value())
                    elif name == "entries":
                        found = True
                        self.linked = not entries.wire_start
                        for entry in stream.items():
                            ex = entries.exchange(entry)
                            self.count = entries.count
                            if ex is not None:
                                yield ex
                    else:
                        stream.skip()
        except JsonStreamError as e:
            entry = f"entry {entries.count + 1}" if found else "the HAR's JSON"
            if e.truncated:
                raise self._fail(
                    f"the file ends in the middle of {entry} (character {e.offset}): it is cut"
                    " short, perhaps by an interrupted download or export"
                ) from None
            where = f" in entry {entries.count + 1}" if found else ""
            raise self._fail(f"not valid HAR JSON{where} (character {e.offset}): {e}.") from None
        except HarEntryError as e:
            raise self._fail(f"entry {entries.count}: {e}") from None
        if not found:
            raise self._fail('not a HAR file: it has no "log.entries" array')

    def _flows(self, f: IO[bytes]) -> Iterator[Exchange]:
        try:
            for n, ex in enumerate(flowfile.exchanges(f), 1):
                self.count = n
                yield ex
        except FlowReadException as e:
            raise self._fail(f"not a readable mitmproxy flow file: {e}") from None
        except (ValueError, KeyError, TypeError) as e:
            raise self._fail(
                f"not a readable mitmproxy flow file: {type(e).__name__}: {e}"
            ) from None

    def _ordered(self, items: Iterator[Exchange]) -> Iterator[Exchange]:
        heap: list[tuple[float, int, Exchange]] = []
        last = float("-inf")
        failure: CaptureError | None = None
        try:
            for seq, ex in enumerate(items):
                heapq.heappush(heap, (ex.time if ex.started is None else ex.started, seq, ex))
                if len(heap) > REORDER_WINDOW:
                    t, _, out = heapq.heappop(heap)
                    if t < last:
                        self.late += 1
                    last = max(last, t)
                    yield out
        except CaptureError as e:
            failure = e  # what was read before the problem is still analyzed
        while heap:
            t, _, out = heapq.heappop(heap)
            if t < last:
                self.late += 1
            last = max(last, t)
            yield out
        if failure is not None:
            raise failure


def _first_byte(f: Any) -> bytes:
    """The first non-blank byte, leaving the reader at the start (it may not seek)."""
    if hasattr(f, "peek"):
        data = f.peek(64)[:64]
    else:
        data = f.read(64)
        f.seek(0)
    stripped = data.lstrip(b" \t\r\n")
    if stripped.startswith(b"\xef\xbb\xbf"):
        return b"\xef"
    return stripped[:1]
