"""Where the engines are known to differ (filled in the next commit)."""

from __future__ import annotations

from .vocab import Scenario

SCENARIOS: list[Scenario] = []
