"""The fresh checkout the documented commands run in.

A copy of the working tree (the files git tracks, and new ones it does not ignore), a home
directory of its own (so ~/.mitmproxy is fresh and nothing of the developer's leaks in), and a
PATH without any virtualenv, whose `python3` is the interpreter of this test run (so both test
legs follow the docs with their own Python). The README's `setup` blocks run there first, as a
new user would type them; every other block then runs with the virtualenv they made activated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from doc_blocks import REPO
from doc_blocks import blocks
from doc_runner import run_commands


@dataclass
class Checkout:
    root: Path
    home: Path
    env: dict[str, str]  # the virtualenv activated
    bare_env: dict[str, str]  # no virtualenv
    tmp: Path

    def venv_env(self, venv: Path) -> dict[str, str]:
        env = dict(self.bare_env)
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        return env


def _is_venv_bin(entry: str) -> bool:
    return bool(entry) and (Path(entry).parent / "pyvenv.cfg").exists()


def bare_env(home: Path, shims: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_CURRENT_TEST")
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not _is_venv_bin(p)]
    env["PATH"] = os.pathsep.join([str(shims), *path])
    # pip keeps the developer's cache and configuration (package index, certificates)
    env.setdefault("PIP_CACHE_DIR", os.path.expanduser("~/.cache/pip"))
    user_conf = Path(os.path.expanduser("~/.config/pip/pip.conf"))
    if user_conf.exists():
        env.setdefault("PIP_CONFIG_FILE", str(user_conf))
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_CACHE_HOME", None)
    return env


def copy_tree(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        src = REPO / os.fsdecode(name)
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    base = tmp_path_factory.mktemp("docs")
    root = base / "cors_addon"
    copy_tree(root)
    home = base / "home"
    home.mkdir()
    shims = base / "shims"
    shims.mkdir()
    python = Path(getattr(sys, "_base_executable", sys.executable))
    (shims / "python3").symlink_to(python)
    env = bare_env(home, shims)
    co = Checkout(root, home, {}, env, base)
    for block in blocks(REPO / "README.md"):
        if block.kind == "setup":
            result = run_commands(
                block.commands(), root, env, timeout=float(block.options.get("timeout", 900))
            )
            result.check({0}, block.where)
    venv = root / ".venv"
    assert (venv / "bin" / "python").exists(), "README's setup blocks made no .venv"
    co.env = co.venv_env(venv)
    # mitmproxy's CA, as the proxy's first start would leave it (the browser setup uses it)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sys; from mitmproxy.certs import CertStore;"
            " CertStore.from_store(sys.argv[1], 'mitmproxy', 2048)",
            str(home / ".mitmproxy"),
        ],
        check=True,
        env=co.env,
    )
    yield co
