"""Fixtures of the analyzer tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from analyze_helpers import FIXTURES


@pytest.fixture(scope="session")
def truth() -> dict[str, Any]:
    """What Chromium decided in the captured session: origins and per request its CorsError."""
    return json.loads((FIXTURES / "chromium.json").read_text())
