"""Reading README.md and docs/*.md for the doc tests: fenced blocks with their `doc-test`
markers, inline command spans, and relative links.

A marker is an HTML comment (invisible on GitHub) on the line before a block's opening fence:

    <!-- doc-test: run exit=0,1 given=page.har:tests/analyze/fixtures/chromium.har -->
    ```sh
    python -m cors_addon analyze page.har
    ```

The body is a kind, then `key=value` options (shell quoting). docs/development.md lists the kinds
and what each one checks; KINDS below is the same list as data.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# kind -> (languages it applies to, options it takes)
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "setup": (frozenset({"sh"}), frozenset({"timeout"})),
    "run": (frozenset({"sh"}), frozenset({"exit", "given", "venv", "timeout"})),
    "help": (frozenset({"sh"}), frozenset()),
    "start": (frozenset({"sh"}), frozenset({"ready"})),
    "output": (frozenset({"text", ""}), frozenset({"exit", "given"})),
    "rules": (frozenset({"toml"}), frozenset({"error", "warning"})),
    "event": (frozenset({"json"}), frozenset()),
    "events": (frozenset({"jsonl"}), frozenset()),
    "json": (frozenset({"json"}), frozenset()),
    "illustration": (frozenset({"text", ""}), frozenset()),
    # a page whose blocks need servers of their own is exercised by a dedicated test module
    "tested-by": (frozenset({"sh", "text", "", "toml", "yaml", "json", "jsonl"}), frozenset()),
}
LANGUAGE_ALIASES = {"bash": "sh", "shell": "sh", "console": "sh"}

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
_ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


def doc_files() -> list[Path]:
    """README.md and every page under docs/, in reading order (README first)."""
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    kind: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    note: str = ""
    problem: str | None = None  # why the marker is not valid

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    def commands(self) -> list[str]:
        """The shell commands of an sh block: lines joined at a trailing backslash, pipe or
        &&; comment lines and blank lines dropped."""
        out: list[str] = []
        current = ""
        for raw in self.text.splitlines():
            line = raw.rstrip()
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            current = f"{current}\n{line}" if current else line
            bare = strip_comment(current).rstrip()
            if bare.endswith(("\\", "|", "&&")):
                continue
            out.append(current)
            current = ""
        if current:
            out.append(current)
        return out


def strip_comment(command: str) -> str:
    """The command without a trailing `# comment` (a # after a blank, outside quotes)."""
    quote = None
    for i, ch in enumerate(command):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or command[i - 1] in " \t"):
            return command[:i].rstrip()
    return command


def parse_marker(body: str, lang: str) -> tuple[str | None, dict[str, str], str, str | None]:
    """(kind, options, note, problem) of a marker's body."""
    if body.startswith("illustration"):
        note = body[len("illustration") :].lstrip(":").strip()
        problem = None if note else "an illustration says what it shows: illustration: WHAT"
        kind = "illustration"
        options: dict[str, str] = {}
    elif body.startswith("tested-by"):
        note = body[len("tested-by") :].strip()
        problem = None if note else "tested-by names the test module: tested-by tests/x/test_y.py"
        kind, options = "tested-by", {}
    else:
        try:
            words = shlex.split(body)
        except ValueError as e:
            return None, {}, "", f"unreadable marker ({e})"
        if not words:
            return None, {}, "", "empty marker"
        kind, note, problem = words[0], "", None
        options = {}
        for word in words[1:]:
            key, eq, value = word.partition("=")
            if not eq:
                return kind, options, note, f"option {word!r} is not key=value"
            options[key] = value
    if kind not in KINDS:
        return kind, options, note, f"unknown kind {kind!r} (one of {', '.join(KINDS)})"
    langs, allowed = KINDS[kind]
    if lang not in langs:
        shown = ", ".join(sorted(x or "(none)" for x in langs))
        return kind, options, note, f"kind {kind!r} is for ```{shown} blocks, not ```{lang}"
    unknown = set(options) - allowed
    if unknown:
        return kind, options, note, f"kind {kind!r} takes no option {', '.join(sorted(unknown))}"
    return kind, options, note, problem


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with its marker (or the problem with it)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        lang = LANGUAGE_ALIASES.get(lang, lang)
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        block = Block(path, start + 1, lang, "\n".join(body) + "\n")
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        marker = _MARKER.match(lines[prev]) if prev >= 0 else None
        if marker is None:
            block.problem = "no <!-- doc-test: KIND --> marker on the line before the block"
        else:
            block.kind, block.options, block.note, block.problem = parse_marker(
                marker.group(1), lang
            )
        found.append(block)
    return found


def prose(path: Path) -> str:
    """The file without its fenced blocks and HTML comments."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out, inside, fence = [], False, ""
    for line in text.splitlines():
        m = _FENCE.match(line)
        if not inside and m:
            inside, fence = True, m.group(1)
        elif inside and line.strip().startswith(fence):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def is_command(span: str) -> bool:
    """Is an inline code span one of our shell commands: `python -m cors_addon ...`,
    `cors-addon ...`, or a script of scripts/ (optionally after VAR=value assignments)?
    mitmproxy's own tools are not: they exit 1 after --help."""
    if "..." in span:
        return False
    try:
        words = shlex.split(_ENV_PREFIX.sub("", span))
    except ValueError:
        return False
    if not words:
        return False
    if words[:3] in (["python", "-m", "cors_addon"], ["python3", "-m", "cors_addon"]):
        return True
    if words[0] == "cors-addon":
        return True
    if words[0].startswith(("scripts/", "./scripts/")):
        path = REPO / words[0].removeprefix("./")
        return path.is_file() and os.access(path, os.X_OK)
    return False


def inline_commands(path: Path) -> list[str]:
    """The inline code spans of the prose that are shell commands (`is_command`)."""
    return [span for span in _INLINE.findall(prose(path)) if is_command(span)]


def links(path: Path) -> list[str]:
    """Relative link targets in the prose (no URLs with a scheme)."""
    return [t for t in _LINK.findall(prose(path)) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    found = set()
    seen: dict[str, int] = {}
    for line in prose(path).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found
