"""Bounded memo tables for the engine's pure decisions.

Browser traffic repeats itself: the same origin, header set and CORS answer thousands of
times. A decision that is a pure function of its inputs is computed once per distinct input
and kept in a table keyed on exactly those inputs. A full table is emptied whole (it
refills with the inputs that still come back): memory stays bounded without the cost of an
LRU's bookkeeping on every hit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Any

LIMIT = 4096


class Memo:
    __slots__ = ("limit", "table")

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.table: dict[Hashable, Any] = {}

    def get(self, key: Hashable) -> Any:
        """The value kept for `key`, or None (also for a key that cannot be hashed: header
        fields given as lists, say; those are computed every time)."""
        try:
            return self.table.get(key)
        except TypeError:
            return None

    def put(self, key: Hashable, value: Any) -> Any:
        table = self.table
        if len(table) >= self.limit:
            table.clear()
        with contextlib.suppress(TypeError):
            table[key] = value
        return value

    def clear(self) -> None:
        self.table.clear()

    def __len__(self) -> int:
        return len(self.table)
