"""cors_addon/typos.py: telling a misspelt command or option from a filter expression."""

from __future__ import annotations

import pytest

from cors_addon.typos import closest
from cors_addon.typos import command_typo
from cors_addon.typos import distance
from cors_addon.typos import unknown_options

COMMANDS = ("web", "analyze", "browser", "demo")
PROG = "python -m cors_addon"


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [("analyse", "analyze", 1), ("brwoser", "browser", 1), ("webapp", "web", 3), ("", "web", 3)],
)
def test_distance(a: str, b: str, d: int) -> None:
    assert distance(a, b) == d == distance(b, a)


@pytest.mark.parametrize(
    ("word", "match"),
    [
        ("analyse", "analyze"),
        ("ANALYZE", "analyze"),
        ("demos", "demo"),
        ("wbe", "web"),
        ("webapp", None),  # three edits: a URL filter word
        ("api", None),
        ("dem", "demo"),
        ("de", None),  # short words: one edit at most
    ],
)
def test_closest(word: str, match: str | None) -> None:
    assert closest(word, COMMANDS) == match


@pytest.mark.parametrize(
    ("args", "is_typo"),
    [
        (["analyse", "x.har"], True),
        (["x.har"], True),
        (["capture.HAR.gz"], True),
        (["flows.mitm"], True),
        (["webapp"], False),  # a bare word filters on URLs
        (["~u", "analyse"], False),  # the way to filter on such a word
        (["~d", "example.com"], False),
        (["-p", "8080", "analyse"], False),  # only the first argument is a command
        (["example.com"], False),
        ([], False),
        (["web"], False),  # the command itself is not a typo
    ],
)
def test_command_typo(args: list[str], is_typo: bool) -> None:
    assert (command_typo(args, COMMANDS, PROG) is not None) == is_typo


def test_unknown_options() -> None:
    known = ["cors_browser", "cors_filter", "cors_log", "cors_rules", "flow_detail", "web_port"]
    errors, warnings = unknown_options(
        {"cors_rulez": "x", "cors_x": 1, "corsrules": "y", "flow_detial": 2, "zzz": 3}, known
    )
    ours = "The cors_addon options are cors_browser, cors_filter, cors_log, cors_rules."
    assert errors == [
        f"Unknown option 'cors_rulez': did you mean cors_rules? {ours}",
        f"Unknown option 'cors_x': {ours}",
        f"Unknown option 'corsrules': did you mean cors_rules? {ours}",
    ]
    assert warnings == [
        "Unknown option 'flow_detial' (did you mean flow_detail?): mitmproxy ignores it.",
        "Unknown option 'zzz': mitmproxy ignores it.",
    ]
