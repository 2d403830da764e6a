"""The command line: invalid options stop start-up, the default rules file, plain mitmdump
with -s, mitmweb, reverse mode, and a clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import http.client
import json
import re
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import free_port
from proxy_harness import mitm_tool
from proxy_harness import port_open
from proxy_harness import preflight_fields
from proxy_harness import send

import cors_addon

pytestmark = pytest.mark.integration

GOOD_RULES = '[[rules]]\nname = "{name}"\nallow_origin = "{origin}"\n'
BROKEN_RULES = '[[rules]]\nname = "x"\nallow_orign = "reflect"\n'

INVALID = {
    "browser": (["--set", "cors_browser=opera"], "Invalid cors_browser 'opera'"),
    "filter": (["--set", "cors_filter=~~("], "Invalid cors_filter '~~('"),
    "rules": (["--set", "cors_rules=broken.toml"], "broken.toml:3"),
    "missing rules": (["--set", "cors_rules=nope.toml"], "file not found"),
    "log is a directory": ([], "it is a directory"),
    "default rules.toml": ([], "rules.toml:3"),
}


@pytest.fixture(scope="module")
def invalid_starts(module_proxies):
    """All the invalid start-ups at once (each one is a separate process)."""
    started = {}
    for name, (args, _) in INVALID.items():
        kw = {"log_path": Path(".")} if name == "log is a directory" else {}
        proxy = module_proxies.new(f"invalid-{name.replace(' ', '-')}", args, **kw)
        (proxy.workdir / "broken.toml").write_text(BROKEN_RULES)
        if name == "default rules.toml":
            (proxy.workdir / "rules.toml").write_text(BROKEN_RULES)
        started[name] = proxy.spawn()
    for proxy in started.values():
        proxy.wait_exit()
    return started


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_option_stops_start_up(invalid_starts, name):
    proxy = invalid_starts[name]
    _, message = INVALID[name]
    assert proxy.returncode != 0, proxy.output()
    output = proxy.stdout() + proxy.stderr()
    assert message in output
    assert "Traceback" not in output
    assert not port_open(proxy.port)


def test_invalid_rules_message_says_how_to_fix(invalid_starts):
    output = invalid_starts["rules"].stderr() + invalid_starts["rules"].stdout()
    assert "allow_orign" in output and "allow_origin" in output


@pytest.fixture(scope="module")
def default_rules_proxies(module_proxies, api):
    """Three proxies started at once: rules.toml in the working directory, the same with
    --set cors_rules=other.toml, and with --set cors_rules= (none)."""
    api.add("/default-rules", Route(200, [], b"x"))
    made = {}
    for name, args in {
        "cwd": [],
        "override": ["--set", "cors_rules=other.toml"],
        "off": ["--set", "cors_rules="],
    }.items():
        proxy = module_proxies.new(f"rules-{name}", args)
        (proxy.workdir / "rules.toml").write_text(
            GOOD_RULES.format(name="from cwd", origin="http://cwd.test")
        )
        (proxy.workdir / "other.toml").write_text(
            GOOD_RULES.format(name="from other", origin="http://other.test")
        )
        made[name] = proxy.spawn()
    for proxy in made.values():
        proxy.wait_ready()
    return made


@pytest.mark.parametrize(
    "name,acao,line",
    [
        ("cwd", "http://cwd.test", "1 of 1 rules active from rules.toml"),
        ("override", "http://other.test", "1 of 1 rules active from other.toml"),
        ("off", None, None),
    ],
)
def test_rules_toml_in_working_directory(default_rules_proxies, api, name, acao, line):
    proxy = default_rules_proxies[name]
    # each file's rule grants one origin (and nothing to the others): ask from that one
    reply = send(proxy.port, "GET", api.url("/default-rules"), fetch_fields(acao or PAGE))
    assert reply.get("access-control-allow-origin") == acao
    out = proxy.wait_stdout("listening at")
    if line is None:
        assert "rules active" not in out
    else:
        assert line in proxy.wait_stdout(line)


def test_repository_rules_toml_is_not_picked_up(default_rules_proxies):
    """The harness runs every proxy in its own directory."""
    for proxy in default_rules_proxies.values():
        assert Path.cwd() != proxy.workdir


def test_plain_mitmdump_with_script(proxies, api):
    script = Path(cors_addon.__file__).with_name("mitmproxy_script.py")
    proxy = proxies.start(
        "mitmdump",
        ["--listen-host", "127.0.0.1", "-s", str(script), "--flow-detail", "0"],
        command=[mitm_tool("mitmdump")],
    )
    url = api.add("/script", Route(204, [("Access-Control-Allow-Origin", PAGE)]), "OPTIONS")
    send(proxy.port, "OPTIONS", url, preflight_fields())
    [event] = proxy.events_for(url)
    assert event["type"] == "preflight" and event["verdict"] == "blocked"
    assert event["error"]["code"] == "MethodDisallowedByPreflightResponse"
    proxy.wait_stdout(f"PREFLIGHT PUT {url.split('://')[1]} from {PAGE}")


FREEZE_PROBE = """
import gc
import logging


class Probe:
    def running(self):
        logging.getLogger("probe").warning(f"frozen at start-up: {gc.get_freeze_count()}")


addons = [Probe()]
"""


@pytest.mark.parametrize(
    "tool", ["python -m cors_addon", "python -m cors_addon web", "mitmdump -s"]
)
def test_only_the_launcher_freezes_start_up_objects(proxies, tmp_path, tool):
    """`python -m cors_addon` (and its web UI) takes start-up's objects out of the
    collector's view (a mitmproxy that loads the addon as a script is left as it is)."""
    probe = tmp_path / "probe.py"
    probe.write_text(FREEZE_PROBE)
    args = ["--listen-host", "127.0.0.1", "-s", str(probe)]
    command = None
    if tool == "mitmdump -s":
        script = Path(cors_addon.__file__).with_name("mitmproxy_script.py")
        args += ["-s", str(script)]
        command = [mitm_tool("mitmdump")]
    elif tool.endswith(" web"):
        args += ["--web-port", str(free_port()), "--set", "web_open_browser=false"]
        command = [sys.executable, "-m", "cors_addon", "web"]
    proxy = proxies.start(tool.split()[0], args, command=command)
    out = proxy.wait_stdout("frozen at start-up: ")
    frozen = int(re.search(r"frozen at start-up: (\d+)", out).group(1))
    if tool == "mitmdump -s":
        assert frozen < 1_000  # 0 on Python 3.11; 3.12 starts with a few hundred frozen
    else:
        assert frozen > 10_000  # mitmproxy's modules, options, addons


def test_web_ui(proxies, api):
    web_port = free_port()
    proxy = proxies.new(
        "web",
        [
            "--web-port",
            str(web_port),
            "--set",
            "web_open_browser=false",
            "--set",
            "web_password=cors-test-password",
        ],
    )
    proxy.command = [sys.executable, "-m", "cors_addon", "web"]
    proxy.spawn().wait_ready()
    proxy.wait_ready(port=web_port)
    url = api.add("/web", Route(200, [("Access-Control-Allow-Origin", "*")], b"x"))
    reply = send(proxy.port, "GET", url, fetch_fields(cookie="a=b"))
    assert reply.status == 200
    [event] = proxy.events_for(url)
    assert event["error"]["code"] == "WildcardOriginNotAllowed"
    # mitmweb shows the flow with the addon's comment and marker (12 needs the password)
    flows_api = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/flows",
        headers={"Authorization": "Bearer cors-test-password"},
    )
    with urllib.request.urlopen(flows_api, timeout=5) as page:
        flows = json.load(page)
    [shown] = [f for f in flows if f["request"]["path"] == "/web"]
    assert shown["id"] == event["flow"]
    assert shown["comment"].startswith("BLOCKED WildcardOriginNotAllowed: GET /web from ")
    assert shown["marked"] == "\u2716"  # mitmweb renders :heavy_multiplication_x: as ✖
    out = proxy.wait_stdout("listening at")
    assert f"HTTP(S) proxy listening at 127.0.0.1:{proxy.port}." in out


def test_reverse_mode(proxies, api):
    proxy = proxies.start("reverse", ["--mode", f"reverse:{api.origin}"])
    api.add("/rev/items", Route(405), "OPTIONS")
    api.add("/rev/items", Route(200, [("Access-Control-Allow-Origin", PAGE)], b"[]"), "GET")
    front = f"http://127.0.0.1:{proxy.port}/rev/items"
    reply = send(proxy.port, "OPTIONS", front, preflight_fields(), absolute=False)
    assert reply.status == 405
    reply = send(proxy.port, "GET", front, fetch_fields(), absolute=False)
    assert reply.status == 200 and reply.body == b"[]"
    pre, req = proxy.events_for(front, 2)  # the URL the browser used: the proxy's
    assert pre["type"] == "preflight" and pre["verdict"] == "blocked"
    assert pre["error"]["code"] == "PreflightMissingAllowOriginHeader"
    assert req["type"] == "request" and req["verdict"] == "allowed"
    out = proxy.wait_stdout("listening at")
    assert f"listening at 127.0.0.1:{proxy.port}" in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_shutdown_under_load(proxies, api, sig):
    proxy = proxies.start(f"shutdown-{sig.name}")
    url = api.add("/load", Route(200, [("Access-Control-Allow-Origin", PAGE)], b"x" * 1000))
    answered: list[str] = []
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            target = f"{url}?c={n}&i={i}"
            try:
                send(proxy.port, "GET", target, fetch_fields(), timeout=5)
            except (OSError, http.client.HTTPException):
                return
            answered.append(target)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 10
        while len(answered) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proxy.proc is not None
        proxy.proc.send_signal(sig)
        code = proxy.proc.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    assert code == 0, proxy.output()
    proxy.returncode = code
    text = proxy.log_text()
    assert text.endswith("\n")  # the last line is whole
    logged = {e["url"] for e in map(json.loads, text.splitlines())}
    assert len(answered) >= 20
    assert set(answered) <= logged  # every answered request was logged before its answer
    # (asyncio may print tracebacks of connections cancelled at shutdown: not ours)
    assert not re.search(r'File "[^"]*cors_addon', proxy.output()), proxy.output()


def test_read_flows_from_a_file(proxies, tmp_path):
    """-r passes through: flows read from a file (not live) are judged on their own clock,
    rules leave them alone, and the preflight no request followed is an orphan at the end."""
    from mitmproxy import http
    from mitmproxy import io
    from mitmproxy.test import tflow

    def flow(method, url, fields, status, resp_fields, t):
        req = http.Request.make(method, url, b"", [(n.encode(), v.encode()) for n, v in fields])
        req.timestamp_start = req.timestamp_end = t
        f = tflow.tflow(req=req)
        f.response = http.Response.make(
            status, b"", [(n.encode(), v.encode()) for n, v in resp_fields]
        )
        f.response.timestamp_start = f.response.timestamp_end = t + 0.01
        return f

    t0 = 1_600_000_000.0
    api = "http://api.test/items"
    wildcard = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "x-api-key"),
    ]
    flows = [
        flow("OPTIONS", api, preflight_fields(), 204, wildcard, t0),
        flow("PUT", api, fetch_fields(extra=[("X-Api-Key", "k")]), 200, wildcard[:1], t0 + 0.05),
        flow("OPTIONS", api + "/2", preflight_fields(), 204, wildcard, t0 + 1),
    ]
    capture = tmp_path / "capture.mitm"
    with open(capture, "wb") as f:
        writer = io.FlowWriter(f)
        for fl in flows:
            writer.add(fl)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "rules.toml").write_text(GOOD_RULES.format(name="r", origin="*"))
    proxy = proxies.new("run", ["-n", "-r", str(capture)])
    proxy.spawn()
    assert proxy.wait_exit() == 0, proxy.output()
    events = proxy.events()
    assert [(e["type"], e["flow"]) for e in events] == [
        ("preflight", flows[0].id),
        ("request", flows[1].id),
        ("preflight", flows[2].id),
        ("orphan", flows[2].id),
    ]
    assert events[1]["preflight"]["flow"] == flows[0].id
    assert events[3]["error"]["code"] == "PreflightWildcardOriginNotAllowed"
    assert all(e["rule"] is None for e in events)  # rules never touch flows from a file
