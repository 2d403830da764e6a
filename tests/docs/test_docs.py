"""The docs cannot rot: every fenced block in README.md and docs/ is marked with how it is
tested, and is tested that way (docs/development.md, "Docs are tested", explains the markers).

- Snippets (TOML rules, JSON events) are checked in-process: the rules loader, the event schema.
- Commands run in a fresh copy of the checkout (conftest.py), after the README's setup blocks,
  exactly as written.
- Inline commands in the prose (`python -m cors_addon ...`) run with --help; relative links
  must lead to a file and heading that exist.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import REPO
from doc_blocks import Block
from doc_blocks import anchors
from doc_blocks import blocks
from doc_blocks import doc_files
from doc_blocks import inline_commands
from doc_blocks import links
from doc_runner import network_namespace
from doc_runner import run_commands
from doc_runner import run_help
from doc_runner import start_and_stop

from cors_addon.rules import RulesError
from cors_addon.rules import load_rules

pytestmark = pytest.mark.docs

ALL = [b for path in doc_files() for b in blocks(path)]
SNIPPETS = ("rules", "event", "events", "json")
COMMANDS = ("run", "help", "start", "output")


def params(kinds: tuple[str, ...]) -> list[Any]:
    return [pytest.param(b, id=b.where) for b in ALL if b.kind in kinds and b.problem is None]


def test_the_docs_exist() -> None:
    names = {p.relative_to(REPO).as_posix() for p in doc_files()}
    assert {
        "README.md",
        "docs/running.md",
        "docs/browser-setup.md",
        "docs/rules.md",
        "docs/event-log.md",
        "docs/analyze.md",
        "docs/diagnosis.md",
        "docs/engines.md",
        "docs/security.md",
        "docs/benchmarks.md",
        "docs/architecture.md",
        "docs/development.md",
    } <= names


def test_every_block_is_marked() -> None:
    problems = [f"{b.where}: {b.problem}" for b in ALL if b.problem]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=b.where) for b in ALL if b.kind == "tested-by" and not b.problem]
)
def test_tested_by_names_a_test_that_reads_the_page(block: Block) -> None:
    """`tested-by tests/x/test_y.py`: that module exists, is a test module, and reads this page."""
    assert block.note, f"{block.where}: tested-by names the test module that runs the block"
    test = REPO / block.note
    assert test.is_file() and test.name.startswith("test_"), f"{block.where}: no {block.note}"
    assert block.path.name in test.read_text(encoding="utf-8"), f"{block.where}: {block.note}"


def test_setup_only_in_the_readme() -> None:
    setups = [b for b in ALL if b.kind == "setup"]
    assert setups and all(b.path.name == "README.md" for b in setups), setups


# -- snippets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", params(SNIPPETS))
def test_snippet(block: Block, tmp_path: Path, validate_event: Any) -> None:
    if block.kind == "rules":
        path = tmp_path / "rules.toml"
        path.write_text(block.text, encoding="utf-8")
        expected_error = block.options.get("error")
        try:
            rules = load_rules(path)
        except RulesError as e:
            assert expected_error and expected_error in str(e), f"{block.where}: {e}"
            return
        assert expected_error is None, f"{block.where}: loaded, expected {expected_error!r}"
        warnings = " ".join(rules.warnings)
        expected_warning = block.options.get("warning")
        if expected_warning:
            assert expected_warning in warnings, f"{block.where}: warnings {rules.warnings}"
        else:
            assert not rules.warnings, f"{block.where}: {rules.warnings}"
    elif block.kind == "event":
        validate_event(json.loads(block.text))
    elif block.kind == "events":
        lines = [x for x in block.text.splitlines() if x.strip()]
        assert lines
        for line in lines:
            validate_event(json.loads(line))
    else:
        json.loads(block.text)


# -- commands -------------------------------------------------------------------------------------


def allowed_exits(block: Block) -> set[int]:
    return {int(x) for x in block.options.get("exit", "0").split(",")}


def given_files(block: Block, checkout: Any) -> list[Path]:
    """Copy the files the reader is assumed to have (given=NAME:SOURCE,...) into the checkout."""
    made = []
    for pair in filter(None, block.options.get("given", "").split(",")):
        name, _, source = pair.partition(":")
        target = checkout.root / name
        shutil.copyfile(checkout.root / source, target)
        made.append(target)
    return made


@pytest.mark.parametrize("block", params(COMMANDS))
def test_commands(block: Block, checkout: Any, tmp_path: Path) -> None:
    env = checkout.env
    if block.kind == "help":
        for command in block.commands():
            done = run_help(command, checkout.root, env)
            assert done.returncode == 0, f"{block.where}: `{command} --help`:\n{done.stdout}"
            shown = done.stdout.lower()
            assert "usage" in shown or "--help" in shown, f"{block.where}: {done.stdout[-3000:]}"
        return
    if block.kind == "start":
        prefix = network_namespace()
        if prefix is None:
            pytest.fail("`start` blocks need `unshare -rn` (a private network namespace)")
        ready = block.options.get("ready", "listening at")
        for command in block.commands():
            seen, code, out = start_and_stop(command, checkout.root, env, ready, prefix)
            assert seen, f"{block.where}: `{command}` never printed {ready!r}:\n{out[-3000:]}"
            assert code == 0, f"{block.where}: `{command}` exited with {code} on Ctrl-C:\n{out}"
            assert "Traceback" not in out, f"{block.where}: {out}"
        return
    if block.options.get("venv") == "new":
        # "into any environment": a virtualenv of its own, nothing installed yet
        venv = tmp_path / "env"
        run_commands([f"python3 -m venv {venv}"], tmp_path, checkout.bare_env, timeout=120).check(
            {0}, block.where
        )
        env = checkout.venv_env(venv)
    made = given_files(block, checkout)
    try:
        if block.kind == "run":
            result = run_commands(
                block.commands(),
                checkout.root,
                env,
                timeout=float(block.options.get("timeout", 600)),
            )
            result.check(allowed_exits(block), block.where)
        else:
            check_output(block, checkout, env)
    finally:
        for path in made:
            path.unlink(missing_ok=True)


_TIME = re.compile(r"^\[\d\d:\d\d:\d\d\.\d{3}\] ")


def _untimed(line: str) -> str:
    """The line without trailing blanks, mitmproxy's [HH:MM:SS.mmm] stamp made any time."""
    return _TIME.sub("[time] ", line.rstrip())


def check_output(block: Block, checkout: Any, env: dict[str, str]) -> None:
    """An `output` block: its `$ ` lines are commands, the other lines what they print, in
    order; `...` stands for any lines."""
    lines = block.text.rstrip("\n").splitlines()
    commands = [x[2:] for x in lines if x.startswith("$ ")]
    expected = [_untimed(x) for x in lines if not x.startswith("$ ")]
    assert commands, f"{block.where}: an output block starts with `$ COMMAND`"
    prefix = network_namespace()
    if prefix is None:
        pytest.fail("`output` blocks need `unshare -rn` (a private network namespace)")
    result = run_commands(commands, checkout.root, env, timeout=600, prefix=prefix)
    result.check(allowed_exits(block), block.where)
    got = [_untimed(x) for x in result.output.splitlines()]
    pos, gap = 0, False
    for want in expected:
        if want.strip() == "...":
            gap = True
            continue
        if gap:
            while pos < len(got) and got[pos] != want:
                pos += 1
        assert pos < len(got) and got[pos] == want, (
            f"{block.where}: expected line {want!r}"
            + (f", got {got[pos]!r}" if pos < len(got) else ", got the end")
            + f"; the output:\n{result.output[-6000:]}"
        )
        pos += 1
        gap = False


# -- prose ----------------------------------------------------------------------------------------

INLINE = sorted({c for path in doc_files() for c in inline_commands(path)})


@pytest.mark.parametrize("command", INLINE)
def test_inline_command(command: str, checkout: Any) -> None:
    done = run_help(command, checkout.root, checkout.env)
    assert done.returncode == 0, f"`{command} --help`:\n{done.stdout[-3000:]}"


LINKS = [(path, target) for path in doc_files() for target in links(path)]


@pytest.mark.parametrize(
    ("path", "target"),
    [pytest.param(p, t, id=f"{p.relative_to(REPO)}->{t}") for p, t in LINKS],
)
def test_link(path: Path, target: str) -> None:
    file, _, anchor = target.partition("#")
    dest = (path.parent / file).resolve() if file else path
    assert dest.exists(), f"{path.relative_to(REPO)}: {target} does not exist"
    if anchor:
        assert dest.suffix == ".md", f"{target}: an anchor in a file that is not Markdown"
        assert anchor in anchors(dest), f"{path.relative_to(REPO)}: no heading #{anchor}"
