"""Fixtures of the hardening suite, shared with the other suites rather than copied: the
real-proxy harness of tests/integration (proxies, module_proxies, api) and the addon in a
mitmproxy test context of tests/addon (cors)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent.parent
for _suite in ("integration", "addon"):
    if str(TESTS / _suite) not in sys.path:
        sys.path.insert(0, str(TESTS / _suite))


def _conftest_of(suite: str) -> ModuleType:
    """Another suite's conftest, under a name of its own (each suite's is "conftest")."""
    name = f"_hardening_{suite}_conftest"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / suite / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_integration = _conftest_of("integration")
_addon = _conftest_of("addon")

Proxies = _integration.Proxies
proxies = _integration.proxies
module_proxies = _integration.module_proxies
api = _integration.api
cors = _addon.cors
