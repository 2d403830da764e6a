"""Which header values the decisions read, and raw header fields with the rest left out.

Most of what a browser and a server send differs from one exchange to the next in values no
CORS decision reads: a Date, a request id, an ETag, a cookie's value, a bearer token. Fields
given to the engine as `decision_fields` keep every field in its place with its name (names
count: every author header a preflight announces, every response header the page cannot
read), and leave out the values no decision reads. Exchanges that differ only in such values
then decode to the same Headers and meet the same memoized decisions.

Not for what goes back on the wire: a response a rule may rewrite keeps all of its fields.
tests/engine/test_engine_decision_fields.py holds every decision to the same result on the
whole fields and on these.
"""

from __future__ import annotations

from collections.abc import Iterable

from .browsers import PROFILES

RawFields = tuple[tuple[bytes, bytes], ...]

# Request fields whose values a decision reads: the CORS-safelisted ones (their values decide
# whether they are safelisted; each engine's extra ones too), the two whose cache-mode values
# the browser adds itself, the Origin and the preflight's requests, the Fetch metadata
# (mode, site, destination), what tells the engine (User-Agent), a WebSocket (Upgrade) and
# an XMLHttpRequest (X-Requested-With), and the Referer (the proxy-bypass hint reads it).
# Of any other field only the name counts (a preflight reason names it).
REQUEST_VALUES_READ = frozenset(
    name.encode()
    for name in (
        "accept",
        "accept-language",
        "content-language",
        "content-type",
        "range",
        "cache-control",
        "pragma",
        "origin",
        "referer",
        "user-agent",
        "upgrade",
        "x-requested-with",
        *(name for profile in PROFILES.values() for name in profile.extra_safelisted),
    )
)
REQUEST_VALUE_PREFIXES = (b"access-control-request-", b"sec-")

# Response fields whose values a decision reads: the CORS headers, a redirect's Location, the
# two whose differing duplicates fail a response (checks.invalid_http), and the two the
# vary-origin-missing warning reads (verdict._info_warnings). Of any other field only the
# name counts (the headers-not-exposed warning names it), and whether its value holds a NUL
# byte (invalid-http).
RESPONSE_VALUES_READ = frozenset({b"location", b"content-disposition", b"vary", b"cache-control"})
RESPONSE_VALUE_PREFIXES = (b"access-control-", b"cross-origin-")

_LIMIT = 1024  # raw field names remembered (per side)


class _Reader:
    """Which raw field names' values are read, remembered per name as sent (the same few
    names, spelt the same way, come on every exchange)."""

    __slots__ = ("names", "prefixes", "read")

    def __init__(self, names: frozenset[bytes], prefixes: tuple[bytes, ...]) -> None:
        self.names = names
        self.prefixes = prefixes
        self.read: dict[bytes, bool] = {}

    def fields(self, fields: Iterable[tuple[bytes, bytes]]) -> RawFields:
        known = self.read
        out = []
        for name, value in fields:
            read = known.get(name)
            if read is None:
                lname = name.lower()
                read = lname in self.names or lname.startswith(self.prefixes)
                if len(known) >= _LIMIT:
                    known.clear()
                known[name] = read
            out.append((name, value) if read or b"\x00" in value else (name, b""))
        return tuple(out)


_request = _Reader(REQUEST_VALUES_READ, REQUEST_VALUE_PREFIXES)
_response = _Reader(RESPONSE_VALUES_READ, RESPONSE_VALUE_PREFIXES)


def request_decision_fields(fields: Iterable[tuple[bytes, bytes]]) -> RawFields:
    """A request's raw fields with the values no decision reads left out (empty)."""
    return _request.fields(fields)


def response_decision_fields(fields: Iterable[tuple[bytes, bytes]]) -> RawFields:
    """A response's raw fields with the values no decision reads left out (empty); a value
    with a NUL byte is kept (the browser fails the response for it)."""
    return _response.fields(fields)
