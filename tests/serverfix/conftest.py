"""Fixtures of the server-fix proofs: the plain backend nginx proxies to (tests/integration's
scripted Server, shared rather than copied)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for _path in (TESTS / "integration", Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from proxy_harness import Route  # noqa: E402
from proxy_harness import Server  # noqa: E402


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    """The API behind nginx, as serverfix_apps.py's: GET /items, PUT|PATCH|DELETE
    /items/<id>, GET /me with X-Request-Id, no CORS at all; and /legacy, which sends its
    own '*'."""
    with Server() as server:
        answer = Route(200, [("Content-Type", "application/json"), ("X-Request-Id", "1")], b"{}")
        server.add("/items", answer, method="GET")
        for method in ("PUT", "PATCH", "DELETE"):
            server.add("/items/*", answer, method=method)
        server.add("/me", answer, method="GET")
        legacy = Route(200, [("Access-Control-Allow-Origin", "*"), ("X-Request-Id", "1")], b"{}")
        server.add("/legacy", legacy, method="GET")
        yield server.origin
