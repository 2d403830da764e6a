"""The first hour with the real `python -m cors_addon` (issue 15): typos fail with a
suggestion instead of passing silently, the start-up says the addon is loaded, and the web UI
starts as the dump does (no connection chatter, the Comment column, a one-line error for a
taken port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import free_port
from proxy_harness import mitm_tool
from proxy_harness import port_open
from proxy_harness import send

import cors_addon

pytestmark = pytest.mark.integration

PROG = [sys.executable, "-m", "cors_addon"]
SCRIPT = Path(cors_addon.__file__).with_name("mitmproxy_script.py")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROG, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


# -- misspelt commands ----------------------------------------------------------------------------

COMMAND_TYPOS = [
    (["analyse", "x.har"], "unknown command 'analyse': did you mean 'analyze'", "analyze x.har"),
    (["demos"], "unknown command 'demos': did you mean 'demo'", "demo"),
    (
        ["brwoser", "--firefox"],
        "unknown command 'brwoser': did you mean 'browser'",
        "browser --firefox",
    ),
    (["wbe"], "unknown command 'wbe': did you mean 'web'", "web"),
    (["page.har"], "'page.har' is a capture file", "analyze page.har"),
    (["flows.mitm", "--json"], "'flows.mitm' is a capture file", "analyze flows.mitm --json"),
]


@pytest.mark.parametrize(("args", "message", "suggested"), COMMAND_TYPOS)
def test_misspelt_command_fails_with_a_suggestion(
    tmp_path: Path, args: list[str], message: str, suggested: str
) -> None:
    done = cli(*args, "-p", str(free_port()), cwd=tmp_path)
    assert done.returncode == 2, done
    assert done.stderr.startswith(f"python -m cors_addon: {message}"), done.stderr
    assert f"python -m cors_addon {suggested}" in done.stderr
    assert "listening" not in done.stdout  # no proxy was started
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_bare_word_is_still_a_filter(proxies, api) -> None:
    """Words further from a command stay mitmdump filter expressions (they match URLs)."""
    proxy = proxies.start("filter-word", ["webapp"])
    out = proxy.wait_stdout("listening at")
    assert 'Only processing flows that match "webapp"' in out


# -- unknown options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "suggestion"),
    [
        ("cors_rulez=x.toml", "cors_rules"),
        ("cors_logfile=x", None),
        ("cosr_browser=x", "cors_browser"),
    ],
)
def test_misspelt_cors_option_stops_start_up(proxies, option: str, suggestion: str | None) -> None:
    proxy = proxies.new("typo", ["--set", option]).spawn()
    assert proxy.wait_exit() == 1
    name = option.split("=")[0]
    hint = f"did you mean {suggestion}? " if suggestion else ""
    assert proxy.stderr() == (
        f"python -m cors_addon: Unknown option '{name}': {hint}The cors_addon options are"
        " cors_browser, cors_filter, cors_log, cors_rules.\n"
    )
    assert "listening" not in proxy.stdout() and not port_open(proxy.port)


def test_other_unknown_option_is_a_warning(proxies) -> None:
    proxy = proxies.start("unknown", ["--set", "flow_detial=2"])
    out = proxy.wait_stdout("listening at")
    assert "Unknown option 'flow_detial' (did you mean flow_detail?): mitmproxy ignores it." in out


def test_misspelt_option_with_the_script(proxies) -> None:
    """mitmdump -s mitmproxy_script.py: the script's start-up check logs an error, and
    mitmproxy exits as for any error at start-up."""
    proxy = proxies.new(
        "script-typo",
        ["--listen-host", "127.0.0.1", "-s", str(SCRIPT), "--set", "cors_rulez=x.toml"],
        command=[mitm_tool("mitmdump")],
    ).spawn()
    assert proxy.wait_exit() == 1
    assert "Unknown option 'cors_rulez': did you mean cors_rules?" in proxy.stdout()
    assert "Error logged during startup" in proxy.stderr()


# -- the addon says it is there -------------------------------------------------------------------


def test_start_up_line_without_rules(proxies) -> None:
    proxy = proxies.start("loaded", ["--set", "cors_browser=firefox"])
    out = proxy.wait_stdout("listening at")
    [line] = [x for x in out.splitlines() if "cors_addon " in x]
    assert line.endswith(
        f"cors_addon {cors_addon.__version__}: diagnosing every request with an Origin as"
        f" Firefox would; no rules file, so nothing is changed; event log {proxy.log_path}."
    )


def test_start_up_line_with_the_script(proxies) -> None:
    proxy = proxies.start(
        "script-loaded",
        ["--listen-host", "127.0.0.1", "-s", str(SCRIPT)],
        command=[mitm_tool("mitmdump")],
    )
    out = proxy.wait_stdout("diagnosing")
    assert "as the browser its User-Agent names would; no rules file" in out


# -- web ------------------------------------------------------------------------------------------


def web_proxy(proxies, name: str, *args: str):
    web_port = free_port()
    proxy = proxies.new(
        name,
        [
            "--web-port", str(web_port), "--set", "web_open_browser=false",
            "--set", "web_password=cors-test-password", *args,
        ],
    )  # fmt: skip
    proxy.command = [*PROG, "web"]
    proxy.web_port = web_port
    return proxy


def web_options(web_port: int) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/options",
        headers={"Authorization": "Bearer cors-test-password"},
    )
    with urllib.request.urlopen(req, timeout=5) as page:
        return json.load(page)


def test_web_hides_connection_chatter_and_shows_the_comment_column(proxies, api) -> None:
    proxy = web_proxy(proxies, "web-quiet")
    proxy.spawn().wait_ready()
    proxy.wait_ready(port=proxy.web_port)
    url = api.add("/web-quiet", Route(200, [("Access-Control-Allow-Origin", PAGE)], b"x"))
    assert send(proxy.port, "GET", url, fetch_fields()).status == 200
    proxy.events_for(url)
    out = proxy.wait_stdout(f"GET {url.split('://')[1]} from {PAGE} -> allowed")
    assert "client connect" not in out and "server connect" not in out, out
    # the flow list has the comment column, each column an entry of the list option
    columns = web_options(proxy.web_port)["web_columns"]["value"]
    assert columns == ["tls", "icon", "path", "method", "status", "size", "time", "comment"]


def test_web_verbose_shows_connection_chatter(proxies, api) -> None:
    proxy = web_proxy(proxies, "web-verbose", "-v")
    proxy.spawn().wait_ready()
    url = api.add("/web-verbose", Route(200, [("Access-Control-Allow-Origin", PAGE)], b"x"))
    send(proxy.port, "GET", url, fetch_fields())
    proxy.wait_stdout("client connect")


def test_web_columns_of_the_user_win(proxies) -> None:
    proxy = web_proxy(
        proxies, "web-columns", "--set", "web_columns=path", "--set", "web_columns=comment"
    )
    proxy.spawn().wait_ready(port=proxy.web_port)
    assert web_options(proxy.web_port)["web_columns"]["value"] == ["path", "comment"]


def test_web_port_taken_is_one_line(proxies) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy = proxies.new(
            "web-taken", ["--web-port", str(port), "--set", "web_open_browser=false"]
        )
        proxy.command = [*PROG, "web"]
        proxy.spawn()
        assert proxy.wait_exit() == 1
    assert proxy.stderr() == (
        f"python -m cors_addon web: cannot serve the web UI on 127.0.0.1:{port} (Address"
        " already in use): is another mitmweb running? Pick another port with --web-port.\n"
    )


def test_a_python_without_mitmproxy_says_what_to_do(tmp_path: Path) -> None:
    """`python -m cors_addon` in the checkout, with a Python that is not the virtualenv's: the
    package is importable from the working directory, mitmproxy is not."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True
    )
    bare = tmp_path / "bare" / "bin" / "python"
    done = subprocess.run(
        [str(bare), "-m", "cors_addon", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(cors_addon.__file__).parents[1],
    )
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"python -m cors_addon: mitmproxy is not installed for this Python ({bare})."
    )
    assert ". .venv/bin/activate" in done.stderr and "pip install -e ." in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["web", "--help"], ["-p", "9090", "--help"]])
def test_help_exits_0(args: list[str]) -> None:
    """mitmproxy ends a --help with status 1; the docs' commands must work as written."""
    done = cli(*args)
    assert done.returncode == 0, done
    assert "usage:" in done.stdout


def test_a_command_line_error_still_fails() -> None:
    done = cli("-p", "--help")  # -p lacks its value: an error, not a request for help
    assert done.returncode == 1, done
