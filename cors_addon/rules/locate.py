"""Best-effort line numbers of rules and keys, found by scanning the rules file's text."""

from __future__ import annotations

import re
from collections.abc import Iterable

_RULE_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")
_SUBTABLE_HEADER = re.compile(r"^\s*\[\s*rules\s*\.")


def _code(line: str) -> str:
    """The line without its comment (quotes are tracked; multi-line strings are not)."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _key_re(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"(?:^|[\s{{,.\[])(?:{k}|\"{k}\"|'{k}')\s*[=.\]]")


class Locator:
    """Best-effort line numbers (1-based) of rules and keys, found by scanning the text."""

    def __init__(self, text: str) -> None:
        self.code = [_code(line) for line in text.splitlines()]
        self.rule_starts = [i for i, c in enumerate(self.code) if _RULE_HEADER.match(c)]

    def _block(self, index: int) -> range | None:
        if index >= len(self.rule_starts):
            return None
        start = self.rule_starts[index]
        end = len(self.code)
        for i in range(start + 1, len(self.code)):
            c = self.code[i]
            if _TABLE_HEADER.match(c) and not _SUBTABLE_HEADER.match(c):
                end = i
                break
        return range(start, end)

    def _find(self, pattern: re.Pattern[str] | str, lines: Iterable[int]) -> int | None:
        for i in lines:
            c = self.code[i]
            if pattern in c if isinstance(pattern, str) else pattern.search(c):
                return i
        return None

    def rule(self, index: int) -> int | None:
        return self.rule_starts[index] + 1 if index < len(self.rule_starts) else None

    def top_key(self, key: str) -> int | None:
        pattern = _key_re(key)
        for i, c in enumerate(self.code):
            if pattern.search(c) and not _RULE_HEADER.match(c):
                return i + 1
        return self.rule(0) if key == "rules" else None

    def key(self, index: int, key: str, value: object = None) -> int | None:
        """The line of `key` ("match.hosts" for nested keys) in rule `index`, or of the
        string `value` at or after it; the rule's own line if the key is not found."""
        block = self._block(index)
        if block is None:
            return None
        at: int | None = block.start
        for part in key.split("."):
            assert at is not None
            at = self._find(_key_re(part), range(at, block.stop))
            if at is None:
                return block.start + 1
        assert at is not None
        if isinstance(value, str) and value:
            for quoted in (f'"{value}"', f"'{value}'"):
                found = self._find(quoted, range(at, block.stop))
                if found is not None:
                    return found + 1
        return at + 1

    def duplicate_key(self) -> tuple[int, str] | None:
        """The first key assigned twice in one table: (line, key)."""
        seen: set[str] = set()
        assign = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")
        for i, c in enumerate(self.code):
            if _TABLE_HEADER.match(c):
                seen = set()
                continue
            m = assign.match(c)
            if m:
                name = m.group(1).strip('"')
                if name in seen:
                    return i + 1, name
                seen.add(name)
        return None
