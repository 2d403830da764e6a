"""scripts/bench imported as a module (a script without the .py suffix), for the tests of
its parts."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    path = REPO / "scripts" / "bench"
    loader = importlib.machinery.SourceFileLoader("cors_bench_script", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # its dataclasses look their module up
    bytecode = sys.dont_write_bytecode
    try:
        loader.exec_module(module)  # the script sets sys.dont_write_bytecode
        yield module
    finally:
        sys.dont_write_bytecode = bytecode
        del sys.modules[loader.name]
