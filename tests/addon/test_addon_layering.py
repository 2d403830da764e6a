"""The live proxy never loads the offline package (cors_addon.analyze): not when the addon
is imported, not through mitmproxy's script entry point, and not when cors.report writes
its HTML report."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = """
import sys
{imports}
from cors_addon.recent import RecentEvents
recent = RecentEvents()
recent.write_html({path!r})
loaded = sorted(m for m in sys.modules if m.split(".")[:2] == ["cors_addon", "analyze"])
print(",".join(loaded) or "none")
"""


@pytest.mark.parametrize(
    "imports",
    [
        "import cors_addon.addon",
        "import cors_addon.mitmproxy_script",
        "from cors_addon.cli import CorsDumpMaster",
    ],
)
def test_live_code_never_imports_the_analyzer(imports: str, tmp_path: Path) -> None:
    code = PROBE.format(imports=imports, path=str(tmp_path / "report.html"))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "none", out.stdout
    assert "CORS report" in (tmp_path / "report.html").read_text()


def test_the_probe_sees_the_analyzer_when_it_is_loaded(tmp_path: Path) -> None:
    """The check above can fail: importing the analyzer shows in sys.modules."""
    code = PROBE.format(imports="import cors_addon.analyze.cli", path=str(tmp_path / "r.html"))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    assert "cors_addon.analyze.cli" in out.stdout.split(",")
