"""Helpers of the `check` tests: run `check` in-process with its output captured, and a
route helper. (A module of its own: each suite's conftest is named "conftest".)"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from typing import Any

from cors_addon.check.cli import main

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


def reflect(headers: Any) -> list[tuple[str, str]]:
    """Allow-Origin reflecting the request's Origin, with Vary."""
    origin = headers.get("Origin")
    return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin else []
