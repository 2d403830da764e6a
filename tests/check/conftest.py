"""Fixtures of the `check` tests: a local API (tests/integration's scripted Server, shared
rather than copied) and `check` run in-process with its output captured."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS / "integration") not in sys.path:
    sys.path.insert(0, str(TESTS / "integration"))

from proxy_harness import Server  # noqa: E402

from cors_addon.check.cli import main  # noqa: E402

PAGE = "http://localhost:3000"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def run_check(*argv: str) -> Result:
    """`python -m cors_addon check ARGV`, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(list(argv), out=out)
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def server() -> Iterator[Server]:
    """A local API of one test; routes are added by the test."""
    with Server() as s:
        yield s


def reflect(headers: Any) -> list[tuple[str, str]]:
    """Allow-Origin reflecting the request's Origin, with Vary."""
    origin = headers.get("Origin")
    return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin else []
