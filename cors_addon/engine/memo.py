"""Bounded memo tables for the engine's pure decisions.

Browser traffic repeats itself: the same origin, header set and CORS answer thousands of
times. A decision that is a pure function of its inputs is computed once per distinct input
and kept in a table keyed on exactly those inputs. A full table is emptied whole (it
refills with the inputs that still come back): memory stays bounded without the cost of an
LRU's bookkeeping on every hit.

A value is kept from the second time its key is computed: the first time only the key's hash
is noted (an int, which the garbage collector never scans). Inputs that never come back (a
request id in a header, a path with an id) then cost no entry: kept, they would fill and
empty the table, and every entry that lives through two young collections is scanned by
every full collection of the proxy's heap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Any

LIMIT = 4096


class Memo:
    __slots__ = ("limit", "sighted", "table")

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.table: dict[Hashable, Any] = {}
        self.sighted: set[int] = set()  # hashes of keys computed once, not kept

    def get(self, key: Hashable) -> Any:
        """The value kept for `key`, or None (also for a key that cannot be hashed: header
        fields given as lists, say; those are computed every time)."""
        try:
            return self.table.get(key)
        except TypeError:
            return None

    def keeps(self, key: Hashable) -> bool:
        """Whether a value computed for `key` is worth keeping: its key was computed before
        (the first call notes it and says no)."""
        try:
            h = hash(key)
        except TypeError:
            return False
        sighted = self.sighted
        if h in sighted:
            return True
        if len(sighted) >= 4 * self.limit:
            sighted.clear()
        sighted.add(h)
        return False

    def put(self, key: Hashable, value: Any) -> Any:
        """Keep `value` for `key` if its key was computed before; returns `value`."""
        if self.keeps(key):
            self.store(key, value)
        return value

    def store(self, key: Hashable, value: Any) -> Any:
        table = self.table
        if len(table) >= self.limit:
            table.clear()
        with contextlib.suppress(TypeError):
            table[key] = value
        return value

    def clear(self) -> None:
        self.table.clear()
        self.sighted.clear()

    def __len__(self) -> int:
        return len(self.table)
