"""Incremental JSON: walk a large document and decode one array element at a time, so that
memory follows the size of one element, never the size of the file.

A HAR file is one JSON object whose `log.entries` array holds every request; a capture of a
long session runs to gigabytes. `JsonStream` reads the file in chunks into a sliding text
buffer and uses `json.JSONDecoder.raw_decode` on it: values it is asked to skip or return
are decoded whole (one entry, the `pages` array), and structural characters of the
enclosing objects are stepped over by hand.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO
from typing import Any

CHUNK = 1 << 20
MAX_VALUE_CHARS = 256 << 20  # one entry larger than this: corrupt, or bodies nobody needs
_WS = " \t\r\n"


class JsonStreamError(ValueError):
    """The document is not the JSON it should be; `offset` is a character offset;
    `truncated`: the document ends before it is complete (cut short)."""

    def __init__(self, message: str, offset: int, truncated: bool = False) -> None:
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated


class JsonStream:
    def __init__(self, f: IO[bytes], chunk: int = CHUNK) -> None:
        self._f = f
        self._chunk = chunk
        self._decode = codecs.getincrementaldecoder("utf-8-sig")(errors="strict").decode
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._base = 0  # characters dropped from the front of the buffer
        self._eof = False

    @property
    def offset(self) -> int:
        """Characters consumed so far."""
        return self._base + self._pos

    def _fill(self, want: int | None = None) -> bool:
        """Read more text into the buffer (at least `want` bytes' worth when given); False at
        the end of the file."""
        if self._eof:
            return False
        if self._pos > len(self._buf) // 2:
            self._base += self._pos
            self._buf = self._buf[self._pos :]
            self._pos = 0
        data = self._f.read(max(self._chunk, want or 0))
        try:
            text = self._decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise JsonStreamError(f"not UTF-8 text ({e.reason})", self.offset) from None
        if not data:
            self._eof = True
        self._buf += text
        return bool(data) or bool(text)

    def _skip_ws(self) -> None:
        while True:
            buf, pos = self._buf, self._pos
            n = len(buf)
            while pos < n and buf[pos] in _WS:
                pos += 1
            self._pos = pos
            if pos < n or not self._fill():
                return

    def peek(self) -> str:
        """The next non-blank character, without consuming it ("" at the end)."""
        self._skip_ws()
        return self._buf[self._pos] if self._pos < len(self._buf) else ""

    def expect(self, chars: str, what: str) -> str:
        ch = self.peek()
        if not ch or ch not in chars:
            found = f"'{ch}'" if ch else "the end of the file"
            raise JsonStreamError(f"expected {what}, found {found}", self.offset, not ch)
        self._pos += 1
        return ch

    def value(self) -> Any:
        """Decode the next complete JSON value."""
        self._skip_ws()
        if len(self._buf) - self._pos < self._chunk >> 2:
            # A decode that hits the end of the buffer raises, and the error's line
            # number is counted over the whole buffer: keep a quarter chunk ahead instead.
            self._fill()
        while True:
            buf = self._buf
            try:
                obj, end = self._decoder.raw_decode(buf, self._pos)
            except json.JSONDecodeError as e:
                cut_short = e.msg.startswith("Unterminated string") or e.pos >= len(buf) - 16
                if not cut_short or self._eof:
                    # json's messages end in "at" before the position it adds: drop that.
                    message = e.msg.removesuffix(" starting at").removesuffix(" at")
                    raise JsonStreamError(message, self._base + e.pos, cut_short) from None
                self._grow()
                continue
            if end >= len(buf) and not self._eof and not isinstance(obj, dict | list | str):
                self._grow()  # a number or literal may go on in the next chunk
                continue
            self._pos = end
            return obj

    def _grow(self) -> None:
        pending = len(self._buf) - self._pos
        if pending > MAX_VALUE_CHARS:
            raise JsonStreamError(
                f"one value is larger than {MAX_VALUE_CHARS >> 20} MiB", self.offset
            )
        self._fill(pending)  # doubles what is buffered: linear work per value

    def key(self) -> str:
        k = self.value() if self.peek() == '"' else None
        if not isinstance(k, str):
            raise JsonStreamError("expected a property name", self.offset)
        self.expect(":", "':'")
        return k

    def members(self) -> Iterator[str]:
        """The keys of the object that starts here; after each key the caller must consume
        its value (value(), skip(), or descend)."""
        self.expect("{", "'{'")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            yield self.key()
            if self.expect(",}", "',' or '}'") == "}":
                return

    def items(self) -> Iterator[Any]:
        """The elements of the array that starts here, decoded one at a time."""
        self.expect("[", "'['")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]", "',' or ']'") == "]":
                return

    def skip(self) -> None:
        self.value()
