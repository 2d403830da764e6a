"""`python -m cors_addon demo`, driven headless, so that it cannot rot.

The demo runs as the "proxy" of a BrowserEnv (it opens the proxy port the harness waits for, and
its proxy writes the CA into the harness's confdir, so the harness's Chromium is wired to it), on
free ports, with a copy of the repository's rules.toml (ports adjusted). The page's own
`window.demo.runAll()` makes every call; Chromium's Audits issues, the page's table and the
proxy's event log must all name the expected CorsError per endpoint. Then the copy gets its
demo rules switched on (hot reload) and every call must succeed, each fix named in its event.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from harness import BrowserEnv
from harness import Proxy
from harness import find_chromium

from cors_addon import demo as demo_module
from cors_addon.demo import EXPECTED_ERRORS
from cors_addon.demo.servers import static_text
from cors_addon.rules import load_rules

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

REPO = Path(__file__).resolve().parents[2]
RULES_TOML = REPO / "rules.toml"
DEMO_RULES = [
    "demo: no Allow-Origin",
    "demo: OPTIONS answered 405",
    "demo: * with credentials",
    "demo: custom header not allowed",
    "demo: doubled Allow-Origin",
]
# which rule fixes which endpoint
FIXED_BY = {
    "/api/news": "demo: no Allow-Origin",
    "/api/items/1": "demo: OPTIONS answered 405",
    "/api/profile": "demo: * with credentials",
    "/api/search": "demo: custom header not allowed",
    "/api/stats": "demo: doubled Allow-Origin",
}
ANSWERED = "/api/items/1"  # its rule has preflight = "answer"
RUN_ALL = (
    "const out = await window.demo.runAll();"
    "return {run: out.run, results: out.results,"
    " table: document.querySelector('#calls').innerText,"
    " status: document.getElementById('status').textContent};"
)


_given: set[int] = set()


def free_port() -> int:
    """A free loopback port not handed out before in this module (the kernel may give a port
    out again once its probe socket is closed, and a demo needs three different ones)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _given:
            _given.add(port)
            return port


def with_ports(text: str, page_port: int, api_port: int) -> str:
    return text.replace("127.0.0.1:5170", f"127.0.0.1:{page_port}").replace(
        "127.0.0.1:5171", f"127.0.0.1:{api_port}"
    )


def switch_demo_rules(text: str, on: bool) -> str:
    """rules.toml with every 'demo: ...' rule enabled (or disabled), the others untouched."""
    blocks = re.split(r"(?m)^(?=\[\[rules\]\])", text)
    out = []
    for block in blocks:
        if 'name = "demo: ' in block:
            block = re.sub(
                r"(?m)^enabled = (true|false)", f"enabled = {'true' if on else 'false'}", block
            )
        out.append(block)
    return "".join(out)


class Demo:
    def __init__(self, env: BrowserEnv, page_port: int, api_port: int, rules: Path) -> None:
        self.env = env
        self.page_port = page_port
        self.api_port = api_port
        self.rules = rules
        self.text = rules.read_text()

    @property
    def page(self) -> str:
        return f"http://127.0.0.1:{self.page_port}/?manual"

    @property
    def log(self) -> Path:
        return self.env.proxy.workdir / "cors.jsonl"

    def set_rules(self, on: bool) -> None:
        """Rewrite the rules file and wait until the proxy has reloaded it."""
        before = self.env.proxy.logs(tail=1_000_000).count("rules active from")
        active = len(DEMO_RULES) if on else 0
        self.rules.write_text(switch_demo_rules(self.text, on))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            logs = self.env.proxy.logs(tail=1_000_000)
            if logs.count("rules active from") > before:
                assert f"cors: {active} of " in logs.rsplit("rules active from", 2)[-2], logs
                return
            time.sleep(0.05)
        raise AssertionError(f"the rules were not reloaded:\n{self.env.proxy.logs()}")

    def events(self, run: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 5
        while True:
            evs = []
            if self.log.exists():
                evs = [json.loads(x) for x in self.log.read_text().splitlines()]
                evs = [e for e in evs if f"run={run}" in e["url"]]
            if len(evs) >= count or time.monotonic() > deadline:
                return evs
            time.sleep(0.05)


@pytest.fixture(scope="module")
def demo(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("demo")
    page_port, api_port = free_port(), free_port()
    rules = tmp / "rules.toml"
    rules.write_text(with_ports(RULES_TOML.read_text(), page_port, api_port))
    argv = [
        sys.executable, "-m", "cors_addon", "demo", "--no-browser",
        "--proxy-port", "{port}", "--page-port", str(page_port), "--api-port", str(api_port),
        "--confdir", "{confdir}", "--rules", str(rules), "--log", "{workdir}/cors.jsonl",
        "--", "-s", "{guard}",
    ]  # fmt: skip
    env = browser_envs.get(argv)
    yield Demo(env, page_port, api_port, rules)
    if hasattr(browser_envs, "release"):  # free its proxy and browser for the next modules
        browser_envs.release(env)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_demo_shows_every_diagnosis(demo: Demo, validate_event: Any) -> None:
    demo.set_rules(on=False)
    r = demo.env.run(RUN_ALL, page_url=demo.page, case_id="demo-broken")
    assert r.js.ok, r.js
    results = {path_of(x["url"]): x for x in r.js.value["results"]}
    assert set(results) == set(EXPECTED_ERRORS)

    # JavaScript: only the working endpoint succeeds; the rest is "Failed to fetch".
    for path, expected in EXPECTED_ERRORS.items():
        if expected is None:
            assert results[path]["ok"] and results[path]["status"] == 200, results[path]
        else:
            assert not results[path]["ok"], results[path]
            assert results[path]["error"] == "TypeError: Failed to fetch"

    # Chromium's own verdicts: one CorsError per broken endpoint, the expected one.
    chromium = {path_of(i.url): i.cors_error for i in r.cors_issues if not i.is_warning}
    assert chromium == {p: e for p, e in EXPECTED_ERRORS.items() if e is not None}

    # The proxy's event log says the same, endpoint by endpoint.
    run = r.js.value["run"]
    events = demo.events(run, count=len(EXPECTED_ERRORS))
    blocked = {}
    for e in events:
        validate_event(e)
        assert e["rule"] is None and e["changes"] is None
        if e["verdict"] == "blocked":
            blocked[path_of(e["url"])] = e["error"]["code"]
    assert blocked == chromium
    login = [e for e in events if path_of(e["url"]) == "/api/login"]
    assert [e["verdict"] for e in login] == ["allowed"]
    profile = [e for e in events if path_of(e["url"]) == "/api/profile"]
    assert profile[0]["credentials"] == "include"  # the API's cookie went along

    # The page shows the proxy's diagnosis next to each call.
    for x in r.js.value["results"]:
        codes = [e["error"]["code"] for e in x["events"] if e["error"]]
        expected = EXPECTED_ERRORS[path_of(x["url"])]
        assert codes == ([expected] if expected else []), x
    table = r.js.value["table"]
    for code in chromium.values():
        assert code in table
    assert "Fix: " in table
    assert r.js.value["status"] == f"done: 1 of {len(EXPECTED_ERRORS)} calls succeeded"


def test_demo_rules_fix_every_call_live(demo: Demo, validate_event: Any) -> None:
    demo.set_rules(on=True)  # hot reload, no restart
    try:
        r = demo.env.run(RUN_ALL, page_url=demo.page, case_id="demo-fixed")
    finally:
        demo.set_rules(on=False)
    assert r.js.ok, r.js
    assert r.cors_issues == [] and not r.blocked, r.cors_issues
    results = r.js.value["results"]
    assert [(path_of(x["url"]), x["ok"], x.get("status")) for x in results] == [
        (p, True, 200) for p in EXPECTED_ERRORS
    ], (results, r.console_errors)
    assert (
        r.js.value["status"]
        == f"done: {len(EXPECTED_ERRORS)} of {len(EXPECTED_ERRORS)} calls succeeded"
    )

    events = demo.events(r.js.value["run"], count=len(EXPECTED_ERRORS) + 2)
    for e in events:
        validate_event(e)
        assert e["verdict"] == "allowed", e
    for path, rule in FIXED_BY.items():
        fixed = [e for e in events if path_of(e["url"]) == path and e["rule"] == rule]
        assert fixed, (path, events)
        if path == ANSWERED:  # the proxy answered the preflight; the server never saw it
            [preflight] = fixed
            assert preflight["type"] == "preflight" and preflight["changes"]["answered"] is True
            continue
        # the event that carried the failure keeps it as what the server alone would cause
        upstream = [e["upstream"]["error"]["code"] for e in fixed if e["upstream"]["error"]]
        assert upstream == [EXPECTED_ERRORS[path]], fixed
    assert not [e for e in events if path_of(e["url"]) == "/api/login" and e["rule"]]
    shown = [e["rule"] for x in results for e in x["events"] if e["rule"]]
    assert sorted(set(shown)) == sorted(DEMO_RULES)
    assert "rewritten by rule" in r.js.value["table"]


def test_packaged_demo_rules_are_the_ones_in_rules_toml() -> None:
    packaged = static_text("demo-rules.toml")
    assert packaged.strip() in RULES_TOML.read_text(), "rules.toml and demo-rules.toml differ"
    rules = load_rules(RULES_TOML).rules
    demo_rules = [r for r in rules if r.name.startswith("demo: ")]
    assert [r.name for r in demo_rules] == DEMO_RULES
    assert not any(r.enabled for r in rules)  # by default the tool changes nothing


def test_demo_with_its_own_headless_browser(tmp_path: Path) -> None:
    """The path a user takes: the demo starts Chromium through the launcher, the page runs
    every call on load, and the proxy's log has every diagnosis."""
    page_port, api_port = free_port(), free_port()
    chromium = find_chromium()
    assert chromium is not None
    argv = [
        sys.executable, "-m", "cors_addon", "demo", "--headless", "--binary", chromium,
        "--proxy-port", "{port}", "--page-port", str(page_port), "--api-port", str(api_port),
        "--confdir", "{confdir}", "--log", "{workdir}/cors.jsonl", "--", "-s", "{guard}",
    ]  # fmt: skip
    proxy = Proxy(argv, workdir=tmp_path / "demo")
    proxy.start()
    try:
        log = proxy.workdir / "cors.jsonl"
        deadline = time.monotonic() + 20
        blocked: dict[str, str] = {}
        while time.monotonic() < deadline and len(blocked) < 5:
            if log.exists():
                for line in log.read_text().splitlines():
                    e = json.loads(line)
                    if e["verdict"] == "blocked":
                        blocked[path_of(e["url"])] = e["error"]["code"]
            time.sleep(0.1)
        out = proxy.logs(tail=1_000_000)
    finally:
        proxy.stop()
    assert blocked == {p: e for p, e in EXPECTED_ERRORS.items() if e is not None}, out
    assert "Started chromium through the proxy" in out
    # with other ports than the defaults the demo uses a copy of its packaged rules
    assert "cors: 0 of 5 rules active from" in out and "cors-addon-demo-" in out


@pytest.mark.parametrize("which", ["--page-port", "--api-port", "--proxy-port"])
def test_demo_refuses_a_taken_port(which: str) -> None:
    ports = {"--page-port": free_port(), "--api-port": free_port(), "--proxy-port": free_port()}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports[which] = taken.getsockname()[1]
        argv = [sys.executable, "-m", "cors_addon", "demo", "--no-browser"]
        for option, port in ports.items():
            argv += [option, str(port)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert f"127.0.0.1:{ports[which]}" in done.stderr and which in done.stderr, done.stderr


def time_wait_on(port: int) -> None:
    """Leave a connection to 127.0.0.1:port in TIME_WAIT, as a proxy that just stopped does:
    the server's side closes first."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        client = socket.create_connection(("127.0.0.1", port))
        server, _ = listener.accept()
        server.close()  # the active close: this side goes to TIME_WAIT
        client.recv(1)
        client.close()
    states = Path("/proc/net/tcp").read_text().splitlines()[1:]
    assert any(
        int(f[1].split(":")[1], 16) == port and f[3] == "06" for f in (s.split() for s in states)
    ), "no TIME_WAIT connection on the port"


def test_port_in_time_wait_is_free() -> None:
    port = free_port()
    time_wait_on(port)
    # what the demo did: a bind without SO_REUSEADDR fails
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))
    assert demo_module.port_free(port)
    with socket.socket() as taken:  # a port someone listens on is still taken
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not demo_module.port_free(taken.getsockname()[1])


def test_demo_starts_right_after_a_proxy_stopped(tmp_path: Path) -> None:
    """README's order: the proxy ran on 8080 and was stopped, then the demo starts on 8080."""
    proxy_port, page_port, api_port = free_port(), free_port(), free_port()
    time_wait_on(proxy_port)
    argv = [
        sys.executable, "-m", "cors_addon", "demo", "--no-browser",
        "--proxy-port", str(proxy_port), "--page-port", str(page_port),
        "--api-port", str(api_port), "--confdir", str(tmp_path / "confdir"),
    ]  # fmt: skip
    out_path = tmp_path / "demo.out"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if "Ctrl-C stops everything." in out_path.read_text():
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    out = out_path.read_text()
    assert proc.returncode == 0, (out, err)
    assert "the port is taken" not in err and "Ctrl-C stops everything." in out, (out, err)
    assert f"HTTP(S) proxy listening at 127.0.0.1:{proxy_port}" in out
