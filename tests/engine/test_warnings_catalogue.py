"""The warnings catalogue is the one place warning codes and texts live: the docs' table of
warnings lists exactly its codes with its meanings, and every code renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cors_addon.engine.warnings import WARNINGS
from cors_addon.engine.warnings import warning

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*(.+?)\s*\|\s*$")


def warnings_tables() -> dict[str, dict[str, str]]:
    """Per Markdown file (README.md and docs/*.md): the rows of its `| code | meaning |`
    tables, code -> meaning."""
    found: dict[str, dict[str, str]] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.match(r"^\|\s*code\s*\|\s*meaning\s*\|\s*$", line):
                rows = found.setdefault(str(path.relative_to(ROOT)), {})
                for row in lines[i + 2 :]:
                    m = ROW.match(row)
                    if m is None:
                        break
                    rows[m.group(1)] = m.group(2)
    return found


def test_the_docs_table_lists_every_warning_with_its_meaning() -> None:
    tables = warnings_tables()
    assert len(tables) == 1, f"one table of warnings in README.md or docs/*.md: {list(tables)}"
    (rows,) = tables.values()
    assert rows == {code: spec.meaning for code, spec in WARNINGS.items()}


def test_no_warning_code_is_written_outside_the_catalogue() -> None:
    """Every warning is made by warning(): no code string builds a CorsWarning or a
    {"code": ...} warning dict elsewhere."""
    package = ROOT / "cors_addon"
    for path in package.rglob("*.py"):
        if path.name == "warnings.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<!class )CorsWarning\(", text), path
        for code in WARNINGS:
            assert f'"code": "{code}"' not in text, (path, code)


@pytest.mark.parametrize("code", sorted(WARNINGS))
def test_every_message_renders(code: str) -> None:
    spec = WARNINGS[code]
    values = {
        name: 1.5 if name == "window" else "X"
        for text in (spec.text, *spec.variants.values())
        for name in re.findall(r"\{(\w+)", text)
    }
    for variant in (None, *spec.variants):
        w = warning(code, variant, **values)
        assert w.code == code and "{" not in w.message and "}" not in w.message
