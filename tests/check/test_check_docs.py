"""docs/check.md, exercised: every command in it runs (against local servers standing in for
api.example.com and localhost:8000), its sample outputs are what the commands print, the
credentials file parses and works, and the CI job's YAML parses and runs the same check."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from proxy_harness import CHROME_UA
from proxy_harness import Proxy
from proxy_harness import Route
from proxy_harness import Server
from proxy_harness import send

from cors_addon.check.credentials import parse_credentials

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "check.md"
API = "https://api.example.com"
PAGE = "https://app.example.com"
LOCAL = "http://localhost:8000"


def blocks(lang: str) -> list[str]:
    """The fenced code blocks tagged `lang` ("" for untagged ones), in order."""
    found, current, tag = [], None, ""
    for line in DOC.read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, tag = [], line[3:].strip()
            else:
                if tag == lang:
                    found.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return found


def sh_commands() -> list[str]:
    return [line for block in blocks("sh") for line in block.splitlines() if line.strip()]


def outputs() -> list[str]:
    """The sample outputs: the unlabelled code blocks."""
    return blocks("")


def tokens(text: str) -> list[list[str]]:
    """Lines as words (column widths and the rule under a table's head depend on the
    URLs' lengths)."""
    return [["---"] if set(line) == {"-"} else line.split() for line in text.strip().splitlines()]


def allowed(headers: Any) -> list[tuple[str, str]]:
    origin = headers.get("Origin")
    return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin == PAGE else []


PREFLIGHT_OK = [
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Allow-Headers", "content-type, x-api-key"),
]


@dataclass
class Servers:
    api: Server  # api.example.com: the one the doc's single call and the recording see
    local: Server  # localhost:8000: a local build, where /v1/me regressed to '*'

    def run(self, command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(
            command.replace(API, self.api.origin).replace(
                LOCAL, f"http://localhost:{self.local.port}"
            )
        )
        assert argv[:3] == ["python", "-m", "cors_addon"], command
        return subprocess.run(
            [sys.executable, *argv[1:]],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=120,
            check=False,
        )

    def back(self, text: str) -> str:
        return text.replace(self.api.origin, API).replace(
            f"http://localhost:{self.local.port}", LOCAL
        )


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with Server() as api, Server() as local:
        api.add("/v1/items/1", Route(405, [("Allow", "GET, PUT")]), method="OPTIONS")
        api.add("/v1/items", Route(200, [("X-Request-Id", "1")], dynamic=allowed), method="GET")
        credentialed = [("Access-Control-Allow-Credentials", "true")]
        api.add("/v1/me", Route(200, credentialed, dynamic=allowed), method="GET")
        local.add("/v1/items", Route(200, [("X-Request-Id", "1")], dynamic=allowed), method="GET")
        local.add("/v1/items/1", Route(204, PREFLIGHT_OK, dynamic=allowed), method="OPTIONS")
        local.add("/v1/items/1", Route(200, dynamic=allowed), method="PUT")
        local.add("/v1/me", Route(200, [("Access-Control-Allow-Origin", "*")]), method="GET")
        yield Servers(api, local)


def test_the_doc_has_the_commands_this_test_runs() -> None:
    assert sh_commands() == [
        f"python -m cors_addon check {API}/v1/items/1 --origin {PAGE} --method PUT"
        " -H 'Content-Type: application/json' -H 'X-Api-Key: k'",
        "python -m cors_addon --set cors_log=cors.jsonl",
        f"python -m cors_addon check --from cors.jsonl --base {LOCAL} --junit cors-check.xml",
    ]
    assert len(outputs()) == 2


def test_one_call(servers: Servers, tmp_path: Path) -> None:
    done = servers.run(sh_commands()[0], tmp_path)
    assert done.returncode == 1, done.stderr
    assert tokens(servers.back(done.stdout)) == tokens(outputs()[0])


class DocProxy(Proxy):
    """The doc's command as it is, on a free port and with a confdir of its own."""

    def argv(self) -> list[str]:
        doc = shlex.split(sh_commands()[1])
        assert doc[:3] == ["python", "-m", "cors_addon"]
        return [
            sys.executable,
            *doc[1:],
            "--listen-port",
            str(self.port),
            "--set",
            f"confdir={self.confdir}",
        ]


def browse(proxy: Proxy, api: Server) -> None:
    """What Chromium sends while the app runs: the items, a PUT after its preflight, the
    user's profile with the session cookie."""
    common = [("Origin", PAGE), ("User-Agent", CHROME_UA), ("Sec-Fetch-Mode", "cors")]
    api.add("/v1/items/1", Route(204, PREFLIGHT_OK, dynamic=allowed), method="OPTIONS")
    api.add("/v1/items/1", Route(200, dynamic=allowed), method="PUT")
    send(proxy.port, "GET", api.url("/v1/items"), [("Accept", "*/*"), *common])
    pre = [
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type,x-api-key"),
    ]
    assert send(proxy.port, "OPTIONS", api.url("/v1/items/1"), [*pre, *common]).status == 204
    put = [("Content-Type", "application/json"), ("X-Api-Key", "k"), *common]
    assert send(proxy.port, "PUT", api.url("/v1/items/1"), put, b"{}").status == 200
    send(proxy.port, "GET", api.url("/v1/me"), [*common, ("Cookie", "sid=secret")])


@pytest.fixture(scope="module")
def recorded(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The doc's recording command (on a free port, with its own confdir), with Chromium's
    traffic through it; returns the directory holding cors.jsonl."""
    work = tmp_path_factory.mktemp("doc")
    proxy = DocProxy(work, log_path=work / "cors.jsonl")
    with proxy.start():
        browse(proxy, servers.api)
        proxy.wait_for(lambda e: e["url"].endswith("/v1/me"))
    assert proxy.returncode == 0
    assert "secret" not in (work / "cors.jsonl").read_text()
    return work


def test_from_the_recording_against_a_local_build(servers: Servers, recorded: Path) -> None:
    junit = recorded / "cors-check.xml"
    junit.unlink(missing_ok=True)
    done = servers.run(sh_commands()[2], recorded)
    assert done.returncode == 1, done.stderr
    table = servers.back(done.stdout).split("\n\n")[0]
    assert tokens(table) == tokens(outputs()[1])
    assert junit.is_file() and 'failures="3"' in junit.read_text()
    # nothing but GET, HEAD and the PUT's preflight reached the local build
    assert {s.method for s in servers.local.seen} == {"GET", "OPTIONS"}


def test_credentials_file(servers: Servers, recorded: Path) -> None:
    (text,) = blocks("toml")
    env = {"API_COOKIE": "sid=ci", "API_TOKEN": "Bearer ci"}
    creds = parse_credentials(text, "creds.toml", env)
    assert set(creds) == {LOCAL}
    assert creds[LOCAL].cookie == "sid=ci" and creds[LOCAL].authorization == "Bearer ci"
    path = recorded / "creds.toml"
    path.write_text(text.replace(LOCAL, f"http://localhost:{servers.local.port}"))
    servers.local.seen.clear()
    command = sh_commands()[2] + " --with-credentials-from creds.toml"
    os.environ.update(env)
    try:
        done = servers.run(command, recorded)
    finally:
        for name in env:
            os.environ.pop(name)
    assert done.returncode == 1, done.stderr
    me = [s for s in servers.local.seen if s.path == "/v1/me"]
    assert [dict(s.headers).get("Cookie") for s in me] == ["sid=ci"]


def test_ci_job(servers: Servers, recorded: Path) -> None:
    """The YAML parses (with mitmproxy's ruamel.yaml), its service publishes the port the
    check step uses, and that step is the doc's command (run above). Installing from
    GitHub needs the internet, which tests do not have."""
    from ruamel.yaml import YAML

    (text,) = blocks("yaml")
    job = YAML(typ="safe").load(io.StringIO(text))["jobs"]["cors"]
    assert job["services"]["api"]["ports"] == ["8000:8000"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs[0].startswith("pip install ")
    assert runs[1] == sh_commands()[2]
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")
    )
    assert upload["with"]["path"] == "cors-check.xml"
