"""Scenarios drawn from web-platform-tests (filled in a later commit)."""

from __future__ import annotations

from .vocab import Scenario

SCENARIOS: list[Scenario] = []
