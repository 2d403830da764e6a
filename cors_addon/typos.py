"""Spelling mistakes on the command line: a misspelt subcommand, and option names that no
addon knows (mitmproxy keeps an unknown `--set name=value` aside, "deferred", and never says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

CAPTURE_SUFFIXES = (".har", ".har.gz", ".zhar", ".mitm", ".flow", ".flows")


def distance(a: str, b: str) -> int:
    """Edit distance, a swap of two neighbours counting as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            row.append(best)
        prev2, prev = prev, row
    return prev[-1]


def closest(word: str, choices: Iterable[str], limit: int | None = None) -> str | None:
    """The nearest choice within `limit` edits (default: 1 for words up to 4 letters, else 2)."""
    word = word.lower()
    if limit is None:
        limit = 1 if len(word) <= 4 else 2
    ranked = sorted((distance(word, c), c) for c in choices)
    return ranked[0][1] if ranked and ranked[0][0] <= limit else None


def command_typo(args: list[str], commands: Iterable[str], prog: str) -> str | None:
    """The error for a first argument that is a misspelt command or a capture file, else None.

    Everything else before the mitmdump options is a filter expression, and a bare word is one
    (it matches URLs). So only a plain word within one or two edits of a command ("analyse",
    "demos") counts as a misspelt command, and a name ending in a capture file's suffix as a
    file meant for `analyze`; a filter for such a word is written `~u WORD`.
    """
    if not args or args[0].startswith("-"):
        return None
    first = args[0]
    commands = list(commands)
    if first.lower().endswith(CAPTURE_SUFFIXES):
        return (
            f"{first!r} is a capture file, not a filter expression; to explain it, run:"
            f" {prog} analyze {' '.join(args)}"
        )
    if not first.isalpha():
        return None
    match = closest(first, commands)
    if match is None or match == first:
        return None
    rest = " ".join([match, *args[1:]])
    return (
        f"unknown command {first!r}: did you mean {match!r} ({prog} {rest})? The commands are"
        f" {', '.join(commands)}; a filter expression for URLs with this word is '~u {first}'."
    )


def unknown_options(
    deferred: Mapping[str, Any], known: Iterable[str], prefix: str = "cors_"
) -> tuple[list[str], list[str]]:
    """(errors, warnings) for option names no addon knows. One that starts with `prefix`, or is
    nearest to one of ours, is an error: it is meant for us and would change nothing. Others
    are warnings (mitmproxy ignores them)."""
    known = sorted(known)
    ours = [k for k in known if k.startswith(prefix)]
    errors, warnings = [], []
    for name in sorted(deferred):
        match = closest(name, known)
        if name.lower().startswith(prefix) or (match is not None and match in ours):
            hint = f"did you mean {match}? " if match else ""
            errors.append(
                f"Unknown option {name!r}: {hint}The cors_addon options are {', '.join(ours)}."
            )
        else:
            hint = f" (did you mean {match}?)" if match else ""
            warnings.append(f"Unknown option {name!r}{hint}: mitmproxy ignores it.")
    return errors, warnings
