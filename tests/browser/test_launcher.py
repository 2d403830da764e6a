"""The launcher (`python -m cors_addon browser`, cors_addon/launcher.py) in a real Chromium.

Chromium is started with exactly `launcher.chromium_args(...)` (headless, with a remote-debugging
port; no harness flags) against a running `python -m cors_addon`, and a page on 127.0.0.1 calls
an HTTP API on 127.0.0.1 and an HTTPS API on 127.0.0.1:
- with the launcher's switches, the proxy sees the page, both APIs, and logs CORS events for them;
  HTTPS works because mitmproxy's CA key is pinned;
- without `--proxy-bypass-list=<-loopback>` (negative control) the proxy sees none of it, and the
  HTTPS API's own self-signed certificate is refused: the pin trusts mitmproxy's CA only;
- without the pin (no CA yet) HTTPS through the proxy fails.
Plus `--print` and the Firefox profile writer (no Firefox needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import CaseServer
from harness import CDPClient
from harness import Proxy
from harness import Resp
from harness import fetch_script
from harness import find_chromium
from harness import launched_chromium
from harness import run_case
from harness import sequence_script

from cors_addon import launcher

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

PAGE = (
    b"<!doctype html><html><head><meta charset=utf-8><title>launcher test</title>"
    b'<link rel="icon" href="data:,"></head><body></body></html>'
)
LOOPBACK_FLAG = "--proxy-bypass-list=<-loopback>"
SEEN_SCRIPT = """\
from mitmproxy import http

PATH = {path!r}


class Seen:
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        with open(PATH, "a") as f:
            f.write(flow.request.pretty_url + "\\n")


addons = [Seen()]
"""


# -- a Chromium with exactly the launcher's switches ---------------------------------------------


# -- fixtures ------------------------------------------------------------------------------------


class Setup:
    def __init__(self, proxy: Proxy, pages: CaseServer, api: CaseServer, tls: CaseServer) -> None:
        self.proxy, self.pages, self.api, self.tls = proxy, pages, api, tls
        self.seen_path = proxy.workdir / "seen.txt"

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.proxy.port}"

    def seen(self) -> list[str]:
        return self.seen_path.read_text().splitlines() if self.seen_path.exists() else []

    def events(self) -> list[dict[str, Any]]:
        log = self.proxy.workdir / "cors.jsonl"
        return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []

    def args(self, profile: Path, *, pin: bool = True, loopback: bool = True) -> list[str]:
        args = launcher.chromium_args(
            self.addr,
            str(profile),
            self.proxy.spki_pin() if pin else None,
            headless=True,
            remote_debugging_port=0,
        )
        return args if loopback else [a for a in args if a != LOOPBACK_FLAG]

    def script(self, case: str) -> tuple[str, str, str]:
        """Register the case's routes; (page URL, HTTP API URL, HTTPS API URL)."""
        ok = Resp(200, [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/plain")], "ok")
        self.api.register(case, actual=ok)
        return (
            f"{self.pages.origin}/p/{case}",
            self.api.url(case),
            self.tls.origin + self.api.path(case),
        )


@pytest.fixture(scope="module")
def setup(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    # browser_envs: no Chromium -> skip, or fail under CI=true (it starts nothing by itself)
    workdir = tmp_path_factory.mktemp("launcher")
    seen_script = workdir / "seen_script.py"
    seen_script.write_text(SEEN_SCRIPT.format(path=str(workdir / "proxy" / "seen.txt")))
    argv = [
        sys.executable, "-m", "cors_addon", "--listen-host", "127.0.0.1", "-p", "{port}",
        "--set", "confdir={confdir}", "--set", "ssl_insecure=true", "--set", "cors_rules=",
        "-s", "{guard}", "-s", str(seen_script), "--set", "cors_log={workdir}/cors.jsonl",
    ]  # fmt: skip
    pages = CaseServer(("127.0.0.1",), default=Resp(200, [("Content-Type", "text/html")], PAGE))
    api = CaseServer(("127.0.0.1",))
    tls = CaseServer(("127.0.0.1",), tls=True, registry=api.registry)
    proxy = Proxy(argv, workdir=workdir / "proxy")
    try:
        for server in (pages, api, tls):
            server.start()
        proxy.start()
        yield Setup(proxy, pages, api, tls)
    finally:
        proxy.stop()
        for server in (pages, api, tls):
            with contextlib.suppress(Exception):
                server.stop()


async def run_page(setup: Setup, cdp: CDPClient, case: str) -> tuple[Any, list[str], Any]:
    """Load the page, fetch the HTTP and the HTTPS API; (outcomes, new proxy lines, result)."""
    page, http_url, https_url = setup.script(case)
    before = len(setup.seen())
    result = await run_case(
        cdp,
        page,
        sequence_script([fetch_script(http_url), fetch_script(https_url)]),
        servers=(setup.pages, setup.api),
    )
    await asyncio.sleep(0.2)  # the proxy script appends as requests pass
    return result.js.value, setup.seen()[before:], result


# -- Chromium with the launcher's switches --------------------------------------------------------


async def test_launcher_routes_loopback_through_the_proxy(setup: Setup, tmp_path: Path) -> None:
    async with launched_chromium(setup.args(tmp_path / "profile"), tmp_path) as cdp:
        outcomes, seen, result = await run_page(setup, cdp, "launcher-on")
    # both calls succeed: HTTP, and HTTPS through mitmproxy's certificate (pinned CA)
    assert [o["ok"] for o in outcomes] == [True, True], outcomes
    assert [o["value"]["status"] for o in outcomes] == [200, 200]
    page, http_url, https_url = setup.script("launcher-on")
    # the proxy saw the page, the API and the HTTPS API, all on 127.0.0.1
    assert page in seen and http_url in seen and https_url in seen, seen
    deadline = time.monotonic() + 5  # lines are written in batches, within 0.25 s
    while not {http_url, https_url} <= {e["url"] for e in setup.events()}:
        assert time.monotonic() < deadline, setup.events()
        await asyncio.sleep(0.05)
    events = {e["url"]: e for e in setup.events()}
    for url in (http_url, https_url):
        assert events[url]["verdict"] == "allowed", events[url]
        assert events[url]["origin"] == setup.pages.origin
    # and the servers got them from the proxy
    assert {r.server for r in result.requests} >= {setup.api.origin, setup.tls.origin}


async def test_without_loopback_flag_the_proxy_sees_nothing(setup: Setup, tmp_path: Path) -> None:
    """Negative control: Chromium's implicit bypass sends loopback traffic around the proxy,
    and the pin trusts mitmproxy's CA only, not the HTTPS API's own certificate."""
    args = setup.args(tmp_path / "profile", loopback=False)
    assert LOOPBACK_FLAG not in args
    before = len(setup.events())
    async with launched_chromium(args, tmp_path) as cdp:
        outcomes, seen, _ = await run_page(setup, cdp, "launcher-off")
    assert not [u for u in seen if "127.0.0.1" in u], seen
    assert [e["url"] for e in setup.events()[before:]] == []
    # HTTP: straight to the API, which allows it; HTTPS: its self-signed cert is refused
    assert outcomes[0]["ok"] and outcomes[0]["value"]["status"] == 200, outcomes
    assert outcomes[1] == {"ok": False, "error": "TypeError: Failed to fetch"}, outcomes


async def test_without_the_pin_https_through_the_proxy_fails(setup: Setup, tmp_path: Path) -> None:
    args = setup.args(tmp_path / "profile", pin=False)
    assert not [a for a in args if a.startswith("--ignore-certificate-errors")]
    async with launched_chromium(args, tmp_path) as cdp:
        outcomes, seen, _ = await run_page(setup, cdp, "launcher-nopin")
    _, http_url, https_url = setup.script("launcher-nopin")
    assert outcomes[0]["ok"] and outcomes[0]["value"]["status"] == 200, outcomes
    assert outcomes[1] == {"ok": False, "error": "TypeError: Failed to fetch"}, outcomes
    assert http_url in seen and https_url not in seen  # the TLS handshake failed


# -- `python -m cors_addon browser --print` ------------------------------------------------------


def browser_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_addon", "browser", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def openssl_pin(ca: Path) -> str:
    """The pin as browser-testing.md computes it, with openssl."""
    pipeline = (
        f"openssl x509 -in {shlex.quote(str(ca))} -pubkey -noout"
        " | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
    )
    return subprocess.run(
        ["sh", "-c", pipeline], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_print_chromium_command(setup: Setup) -> None:
    binary = find_chromium()
    assert binary is not None
    url = "http://127.0.0.1:5170/"
    done = browser_cli(
        "--print", "--headless", "--proxy", setup.addr, "--confdir", str(setup.proxy.confdir),
        "--binary", binary, url,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done
    line = done.stdout.strip()
    assert "\n" not in line
    argv = shlex.split(line)
    ca = setup.proxy.confdir / launcher.CA_FILE
    pin = openssl_pin(ca)
    assert pin == launcher.spki_pin(ca.read_bytes()) == setup.proxy.spki_pin()
    profile = argv[1].split("=", 1)[1]
    assert argv == [
        binary,
        *launcher.chromium_args(setup.addr, profile, pin, headless=True, url=url),
    ]
    assert profile.endswith("cors-addon-chromium-PROFILE") and not os.path.exists(profile)
    assert LOOPBACK_FLAG in argv and "--disable-quic" in argv
    assert f"--proxy-server=http://{setup.addr}" in argv
    assert f"--ignore-certificate-errors-spki-list={pin}" in argv
    assert "--ignore-certificate-errors" not in argv  # never trust everything
    # pasted into a POSIX shell, every switch arrives intact (<-loopback> is no redirection)
    echoed = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {line}"], capture_output=True, text=True, check=True
    )
    assert echoed.stdout.splitlines() == argv


def test_print_without_a_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert launcher.main(["--print", "--confdir", str(tmp_path), "--binary", "/bin/true"]) == 0
    out, err = capsys.readouterr()
    assert "does not exist yet (start the proxy once)" in err
    argv = shlex.split(out)
    assert not [a for a in argv if a.startswith("--ignore-certificate-errors")], argv
    assert argv[-1] == "about:blank"


def test_print_firefox_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The proxy settings live in the profile: --print writes it and prints a command that
    uses it, so that the printed line works when pasted."""
    url = "http://127.0.0.1:5170/"
    code = launcher.main(
        [
            "--print", "--firefox", "--binary", "/bin/true", "--proxy", "127.0.0.1:8181",
            "--confdir", str(tmp_path), url,
        ]
    )  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    argv = shlex.split(out)
    assert argv[0] == "/bin/true" and argv[1] == "-profile"
    profile = Path(argv[2])
    try:
        assert profile.name.startswith("cors-addon-firefox-")
        assert (profile / "user.js").read_text() == EXPECTED_USER_JS
        assert argv[3:] == ["-no-remote", url]
        assert f"wrote the profile {profile}" in err and "delete it when you are done" in err
        assert "no mitmproxy CA yet" in err  # the empty confdir has none
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_print_firefox_command_into_a_given_profile(tmp_path: Path) -> None:
    profile = tmp_path / "new" / "ff"
    done = browser_cli(
        "--print", "--firefox", "--binary", "/bin/true", "--headless",
        "--proxy", "127.0.0.1:8181", "--profile", str(profile), "--confdir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done
    assert shlex.split(done.stdout) == [
        "/bin/true", "-profile", str(profile), "-no-remote", "-headless",
    ]  # fmt: skip
    assert (profile / "user.js").read_text() == EXPECTED_USER_JS


def test_pasted_firefox_command_goes_through_the_proxy(setup: Setup, tmp_path: Path) -> None:
    """The printed command, pasted into a shell as it is: a real Firefox ESR then loads a page
    on 127.0.0.1 through the proxy (loopback included), with mitmproxy's CA in its profile."""
    firefox = launcher.find_browser("firefox")
    if firefox is None:
        pytest.skip("no Firefox ESR (Debian's firefox-esr)")
    page = f"{setup.pages.origin}/p/firefox-printed"
    done = browser_cli(
        "--print", "--firefox", "--headless", "--proxy", setup.addr,
        "--confdir", str(setup.proxy.confdir), page,
    )  # fmt: skip
    assert done.returncode == 0, done
    line = done.stdout.strip()
    profile = Path(shlex.split(line)[2])
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "MOZ_CRASHREPORTER_DISABLE": "1",
        "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1",
        "MOZ_DISABLE_NONLOCAL_CONNECTIONS": "1",
    }
    proc = subprocess.Popen(
        ["sh", "-c", f"exec {line}"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while page not in setup.seen() and time.monotonic() < deadline:
            assert proc.poll() is None, "Firefox exited"
            time.sleep(0.2)
        assert page in setup.seen(), setup.seen()[-20:]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


FAKE_BROWSER = """\
#!/bin/sh
# records where its profile is, writes into it, and exits 3
for a in "$@"; do
    case "$a" in --user-data-dir=*) dir="${a#--user-data-dir=}" ;; esac
done
[ -n "$dir" ] || dir="$2"  # firefox: -profile DIR
echo "$dir" > "$RECORD"
echo "$TMPDIR" >> "$RECORD"
echo x > "$dir/written" && echo x > "$TMPDIR/browser-temp"
exit 3
"""


@pytest.mark.parametrize("kind", ["chromium", "firefox"])
def test_throwaway_profile_is_deleted_when_the_browser_exits(tmp_path: Path, kind: str) -> None:
    fake = tmp_path / "fake-browser"
    fake.write_text(FAKE_BROWSER)
    fake.chmod(0o755)
    record = tmp_path / "record"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "cors_addon", "browser", "--binary", str(fake),
         "--confdir", str(tmp_path), *(["--firefox"] if kind == "firefox" else [])],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "RECORD": str(record), "TMPDIR": str(tmp)},
    )  # fmt: skip
    assert done.returncode == 3, done  # the browser's exit status
    profile, _ = record.read_text().splitlines()
    assert Path(profile).parent == tmp and Path(profile).name.startswith(f"cors-addon-{kind}-")
    assert [p.name for p in tmp.iterdir()] == ["browser-temp"], "the profile was left behind"


def test_a_given_profile_is_kept(tmp_path: Path) -> None:
    fake = tmp_path / "fake-browser"
    fake.write_text(FAKE_BROWSER)
    fake.chmod(0o755)
    profile = tmp_path / "mine"
    done = subprocess.run(
        [sys.executable, "-m", "cors_addon", "browser", "--binary", str(fake),
         "--confdir", str(tmp_path), "--profile", str(profile)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "RECORD": str(tmp_path / "record"), "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 3, done
    assert (profile / "written").exists()


def test_throwaway_profile_is_deleted_on_ctrl_c(setup: Setup, short_tmp: Path) -> None:
    """A real Chromium, stopped the way a user stops the launcher: Ctrl-C in its terminal.
    Its SingletonSocket directory (in TMPDIR) goes too."""
    tmp = short_tmp
    token = f"cors-launcher-{os.getpid()}-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cors_addon", "browser", "--headless", "--proxy", setup.addr,
         "--confdir", str(setup.proxy.confdir), f"{setup.pages.origin}/p/ctrl-c"],
        env={**os.environ, "TMPDIR": str(tmp), "CORS_LAUNCHER_TOKEN": token},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not list(tmp.glob("cors-addon-chromium-*/SingletonSocket")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][
                -5000:
            ]
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err, err
    assert list(tmp.iterdir()) == [], "the throwaway profile was left behind"
    assert not processes_with("CORS_LAUNCHER_TOKEN", token)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A TMPDIR with a short path: Chromium's $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket
    must fit in a socket address (108 bytes), which pytest's tmp_path may exceed."""
    path = Path(tempfile.mkdtemp(prefix="cors-t-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def processes_with(name: str, value: str) -> list[int]:
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0") and (
                    "\nState:\tZ" not in (entry / "status").read_text()
                ):
                    found.append(int(entry.name))
    return found


def test_warns_when_nothing_listens_on_the_proxy(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: nothing accepts there
        done = browser_cli(
            "--print", "--binary", "/bin/true", "--proxy", f"127.0.0.1:{port}",
            "--confdir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0
    assert (
        f"warning: nothing listens on 127.0.0.1:{port}: start the proxy first"
        " (python -m cors_addon), or name it with --proxy HOST:PORT." in done.stderr
    ), done.stderr


def test_no_browser_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CORS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing in it
    assert launcher.main(["--print"]) == 2
    assert "No chromium found: pass --binary PATH" in capsys.readouterr().err


# -- the Firefox profile --------------------------------------------------------------------------

EXPECTED_USER_JS = """\
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 8181);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 8181);
user_pref("network.proxy.no_proxies_on", "");
user_pref("network.proxy.allow_hijacking_localhost", true);
user_pref("network.http.http3.enable", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("app.update.enabled", false);
"""


def test_firefox_profile_with_the_ca(setup: Setup, tmp_path: Path) -> None:
    ca = setup.proxy.confdir / launcher.CA_FILE
    note = launcher.write_firefox_profile(str(tmp_path), "127.0.0.1:8181", ca)
    assert (tmp_path / "user.js").read_text() == EXPECTED_USER_JS
    certutil = shutil.which("certutil")
    if certutil is None:
        assert note == (
            "certutil (libnss3-tools) is missing: HTTPS sites will show certificate errors"
        )
        return
    assert note is None
    listed = subprocess.run(
        [certutil, "-L", "-d", f"sql:{tmp_path}"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^mitmproxy\s+C,,\s*$", listed, re.MULTILINE), listed
    exported = subprocess.run(
        [certutil, "-L", "-d", f"sql:{tmp_path}", "-n", "mitmproxy", "-a"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert launcher.spki_pin(exported.encode()) == setup.proxy.spki_pin()


def test_firefox_profile_without_certutil(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        launcher.shutil,
        "which",
        lambda name, *a, **k: None if name == "certutil" else real_which(name),
    )
    note = launcher.write_firefox_profile(
        str(tmp_path), "127.0.0.1:8181", setup.proxy.confdir / launcher.CA_FILE
    )
    assert note == "certutil (libnss3-tools) is missing: HTTPS sites will show certificate errors"
    assert (tmp_path / "user.js").read_text() == EXPECTED_USER_JS
    assert not list(tmp_path.glob("cert*.db"))


def test_firefox_profile_without_a_ca(tmp_path: Path) -> None:
    note = launcher.write_firefox_profile(str(tmp_path), "127.0.0.1:8181", tmp_path / "none.pem")
    assert note == "no mitmproxy CA yet: start the proxy once, then relaunch for HTTPS"
    assert (tmp_path / "user.js").read_text() == EXPECTED_USER_JS
