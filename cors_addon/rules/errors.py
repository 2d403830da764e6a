"""RulesError, the Invalid value error it is built from, and "did you mean" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def location(path: str, line: int | None) -> str:
    return path if line is None else f"{path}:{line}"


def shown(text: str) -> str:
    """A name from the file as a message shows it: control and other unprintable characters
    escaped (a TOML name may hold "\\n"), so the message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class RulesError(ValueError):
    """A rules file that cannot be used. `str()` is one line: where, which rule and key, what."""

    def __init__(
        self,
        problem: str,
        *,
        path: str = "<string>",
        line: int | None = None,
        rule: str | None = None,
        key: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.rule = rule
        self.key = key
        self.problem = problem
        self.suggestion = suggestion
        super().__init__(str(self))

    def __str__(self) -> str:
        where = location(self.path, self.line)
        subject = ""
        if self.rule is not None:
            subject += f' rule "{shown(self.rule)}"'
        if self.key is not None:
            subject += f' key "{shown(self.key)}"'
        message = f"{where}:{subject}: {self.problem}" if subject else f"{where}: {self.problem}"
        if self.suggestion:
            message += f" {self.suggestion}" if message.endswith("?") else f". {self.suggestion}"
        return message


class Invalid(Exception):
    """A bad value, raised by value parsers; the rules parser adds where it is."""

    def __init__(self, problem: str, suggestion: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.suggestion = suggestion


def closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = closest(word, choices)
    return f'Did you mean "{close}"?' if close else None
