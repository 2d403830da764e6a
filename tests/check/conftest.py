"""Fixtures of the `check` tests: a local API (tests/integration's scripted Server, shared
rather than copied). Helpers are in check_helpers.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for _path in (TESTS / "integration", Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from proxy_harness import Server  # noqa: E402


@pytest.fixture
def server() -> Iterator[Server]:
    """A local API of one test; routes are added by the test."""
    with Server() as s:
        yield s
