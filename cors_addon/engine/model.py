"""Plain data that flows through the engine: wire facts in, classification and verdict out.

Nothing here knows about mitmproxy; the addon, the HAR reader and the tests build these
from whatever they hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Headers:
    """Wire header fields: ordered, duplicates kept, looked up case-insensitively.

    `get` returns the combined value of every field line with that name, joined with
    ", " as browsers combine them.
    """

    __slots__ = ("_index", "fields")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self.fields: tuple[tuple[str, str], ...] = tuple(fields)
        index: dict[str, list[str]] = {}
        for name, value in self.fields:
            key = name.lower()
            values = index.get(key)
            if values is None:
                index[key] = [value]
            else:
                values.append(value)
        self._index = index

    @classmethod
    def from_bytes(cls, fields: Iterable[tuple[bytes, bytes]]) -> Headers:
        """From raw wire fields (as mitmproxy holds them), decoded as mitmproxy does."""
        self = cls.__new__(cls)
        decoded = []
        index: dict[str, list[str]] = {}
        for raw_name, raw_value in fields:
            name = raw_name.decode("utf-8", "surrogateescape")
            value = raw_value.decode("utf-8", "surrogateescape")
            decoded.append((name, value))
            key = name.lower()
            values = index.get(key)
            if values is None:
                index[key] = [value]
            else:
                values.append(value)
        self.fields = tuple(decoded)
        self._index = index
        return self

    def items(self) -> Iterable[tuple[str, list[str]]]:
        """(lower-case name, values) pairs, in first-seen order."""
        return self._index.items()

    def get(self, name: str) -> str | None:
        values = self._index.get(name)
        if values is None:
            return None
        if len(values) == 1:
            return values[0]
        return ", ".join(values)

    def get_all(self, name: str) -> list[str]:
        return self._index.get(name, [])

    def count(self, name: str) -> int:
        return len(self._index.get(name, ()))

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def names(self) -> list[str]:
        """Lower-case names, in first-seen order."""
        return list(self._index)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Headers({list(self.fields)!r})"


class WireRequest(NamedTuple):
    method: str
    url: str
    headers: Headers


class WireResponse(NamedTuple):
    status: int
    headers: Headers


class Reason(NamedTuple):
    """One reason a browser preflights a request (a stable code plus its detail)."""

    code: str
    detail: str


class Preflight(NamedTuple):
    """Whether a request is (or was) preflighted, and why.

    For an actual request: `needed` is the prediction, `method` its method, `headers` the
    predicted Access-Control-Request-Headers. For a preflight: `needed` is True and
    `method`/`headers` are what it announced.
    """

    needed: bool
    reasons: tuple[Reason, ...]
    method: str
    headers: tuple[str, ...]


NO_PREFLIGHT_REASONS: tuple[Reason, ...] = ()


class Classification(NamedTuple):
    """What the wire says about a request, before any response is seen."""

    is_preflight: bool
    origin: str | None
    url_origin: str
    mode: str  # cors | no-cors | navigate | same-origin | websocket | unknown
    mode_inferred: bool
    cross_origin: bool
    credentials: str  # include | unknown
    credentials_evidence: str | None
    cors: bool  # the CORS protocol applies to this request
    preflight: Preflight
    kind: str  # what Chromium's console calls the initiator: fetch, XMLHttpRequest, script, ...


class Failure(NamedTuple):
    """A failed CORS or preflight check, by our stable id, with the value it concerns."""

    id: str
    hint: str = ""


class CorsError(NamedTuple):
    """A failure rendered for people: the browser's own words and the fix."""

    id: str
    code: str
    firefox: str
    message: str
    fix: str
    console: str
    hint: str = ""  # the raw value the failure is about (each engine words it its own way)

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "firefox": self.firefox,
            "message": self.message,
            "fix": self.fix,
            "console": self.console,
        }


class CorsWarning(NamedTuple):
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# Verdicts under which the page gets no response: a CORS block, or a response the browser
# rejects as invalid HTTP before CORS runs.
FAILED_VERDICTS = frozenset({"blocked", "invalid-http"})


class Verdict(NamedTuple):
    verdict: str  # allowed | blocked | invalid-http | not-cors | unknown
    error: CorsError | None = None
    warnings: tuple[CorsWarning, ...] = ()
    # The error a credentialed request would get, when the wire did not show credentials.
    error_with_credentials: CorsError | None = None
