"""`python -m cors_addon demo`: a broken frontend/API pair, the proxy, and a wired browser.

It starts, on loopback,
- the page (origin A, http://127.0.0.1:5170), which calls every API endpoint and shows what
  JavaScript saw next to what the proxy says (it reads the proxy's event log);
- the API (origin B, http://127.0.0.1:5171), whose endpoints get CORS wrong in the common
  ways: no Allow-Origin, 405 on OPTIONS, `*` with credentials (the API sets the cookie), a
  custom header not allowed, a doubled Allow-Origin; and one endpoint that works;
- the proxy, `python -m cors_addon -p 8080` as a subprocess (its lines go to this terminal),
  with the demo's rules and an event log;
- Chromium through the launcher (`python -m cors_addon browser`): an isolated profile,
  loopback through the proxy, mitmproxy's CA pinned. `--headless` runs it without a window
  (the page runs every call once on load), `--no-browser` not at all.

The rules file: `--rules PATH` when given; else `./rules.toml` when it holds the demo rules and
the default ports are used (running from the repository root: edit that file); else a copy of
the packaged demo rules (`static/demo-rules.toml`, ports adjusted) in a temporary directory,
removed when the demo stops. Every demo rule is disabled; switch one on, save, and the proxy
applies it within a second.

Options after `--` go to the proxy (mitmdump options), e.g. `-- -v` or `-- -s script.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..launcher import remove_profile
from ..procs import OWN_GROUP
from ..procs import POLL
from ..procs import stop_process
from .servers import EXPECTED_ERRORS
from .servers import Page
from .servers import Server
from .servers import api_server
from .servers import page_server
from .servers import static_text

__all__ = ["EXPECTED_ERRORS", "main"]

HOST = "127.0.0.1"
DEFAULT_PAGE_PORT = 5170
DEFAULT_API_PORT = 5171
DEFAULT_PROXY_PORT = 8080
DEMO_MARKER = 'name = "demo: '
PACKAGED_RULES = "demo-rules.toml"
PROG = "python -m cors_addon demo"


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    argv = list(argv)
    proxy_args: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, proxy_args = argv[:i], argv[i + 1 :]
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A frontend and an API that get CORS wrong in the common ways, the"
        " cors_addon proxy in front of them, and a browser wired to it.",
        epilog="Options after -- go to the proxy (mitmdump options).",
    )
    parser.add_argument("--page-port", type=int, default=DEFAULT_PAGE_PORT, help="page port")
    parser.add_argument("--api-port", type=int, default=DEFAULT_API_PORT, help="API port")
    parser.add_argument("--proxy-port", type=int, default=DEFAULT_PROXY_PORT, help="proxy port")
    parser.add_argument(
        "--rules",
        help="rules file (default: ./rules.toml when it has the demo rules and the default"
        " ports are used, else a temporary copy of the packaged demo rules)",
    )
    parser.add_argument("--log", help="JSONL event log (default: a temporary file)")
    parser.add_argument("--confdir", default="~/.mitmproxy", help="mitmproxy's confdir (its CA)")
    parser.add_argument("--no-browser", action="store_true", help="do not start a browser")
    parser.add_argument("--headless", action="store_true", help="start the browser headless")
    parser.add_argument("--binary", help="Chromium/Chrome executable")
    args = parser.parse_args(argv)
    for name in ("page_port", "api_port", "proxy_port"):
        port = getattr(args, name)
        if not 1 <= port <= 65535:
            parser.error(f"--{name.replace('_', '-')} {port}: not a port number")
    if len({args.page_port, args.api_port, args.proxy_port}) < 3:
        parser.error("the page, API and proxy ports must differ")
    return args, proxy_args


def say(text: str = "") -> None:
    print(text, flush=True)


def choose_rules(explicit: str | None, page_port: int, api_port: int, workdir: Path) -> Path:
    """The rules file the proxy gets (see the module docstring)."""
    if explicit:
        return Path(explicit).resolve()
    local = Path("rules.toml")
    default_ports = (page_port, api_port) == (DEFAULT_PAGE_PORT, DEFAULT_API_PORT)
    if default_ports and local.is_file() and DEMO_MARKER in local.read_text(errors="replace"):
        return local.resolve()
    text = static_text(PACKAGED_RULES)
    text = text.replace(f"{HOST}:{DEFAULT_PAGE_PORT}", f"{HOST}:{page_port}")
    text = text.replace(f"{HOST}:{DEFAULT_API_PORT}", f"{HOST}:{api_port}")
    path = workdir / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def port_free(port: int) -> bool:
    """Can a server listen on this loopback port? Bound as mitmproxy and the demo's servers
    bind (SO_REUSEADDR on POSIX): connections in TIME_WAIT from a proxy that just stopped do
    not make a port look taken, a program listening on it does."""
    with socket.socket() as s:
        if os.name != "nt":  # Windows' SO_REUSEADDR would share a port someone listens on
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


# The proxy and the browser get their own process group (procs.OWN_GROUP), so that a Ctrl-C in
# the terminal reaches only the demo, which then stops them in order (browser first: a proxy
# stopped under open connections prints tracebacks), each with its whole group.


class Demo:
    """Starting and stopping. A signal only sets `stopping` (a plain attribute: a handler that
    took a lock could wait forever on one the interrupted main thread holds); every wait polls
    it, so a Ctrl-C at any moment ends the demo within a fraction of a second, cleanly."""

    def __init__(self, args: argparse.Namespace, proxy_args: list[str]) -> None:
        self.args = args
        self.proxy_args = proxy_args
        self.page_origin = f"http://{HOST}:{args.page_port}"
        self.api_origin = f"http://{HOST}:{args.api_port}"
        self.proxy_addr = f"{HOST}:{args.proxy_port}"
        self.workdir: Path | None = None
        self.rules = Path()
        self.log = Path()
        self.servers: list[Server] = []
        self.proxy: subprocess.Popen[bytes] | None = None
        self.browser: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def stop(self, *_: object) -> None:
        """The signal handler."""
        self.stopping = True

    def pause(self, seconds: float) -> bool:
        """Sleep, in steps; False when asked to stop."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(POLL, left))
        return False

    # -- starting ------------------------------------------------------------------------

    def prepare(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="cors-addon-demo-"))
        args = self.args
        self.rules = choose_rules(args.rules, args.page_port, args.api_port, self.workdir)
        self.log = Path(args.log).resolve() if args.log else self.workdir / "events.jsonl"

    def start_servers(self) -> str | None:
        """None, or the error to print."""
        page = Page(self.api_origin, self.proxy_addr, str(self.rules), self.log)
        for what, option, port, start in (
            ("page", "--page-port", self.args.page_port, lambda p: page_server(HOST, p, page)),
            (
                "API",
                "--api-port",
                self.args.api_port,
                lambda p: api_server(HOST, p, self.page_origin),
            ),
        ):
            try:
                self.servers.append(start(port))
            except OSError as e:
                return (
                    f"Cannot serve the demo's {what} on {HOST}:{port} ({e.strerror or e}):"
                    f" is the demo already running, or another program using the port?"
                    f" Pick another one with {option}."
                )
        return None

    def start_proxy(self, timeout: float = 60.0) -> str | None:
        port = self.args.proxy_port
        if not port_free(port):
            return (
                f"Cannot start the proxy on {HOST}:{port}: the port is taken (a proxy already"
                " running?). Pick another one with --proxy-port."
            )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "cors_addon",
            "--listen-host", HOST, "-p", str(port),
            "--set", f"cors_rules={self.rules}",
            "--set", f"cors_log={self.log}",
            "--set", f"confdir={self.args.confdir}",
            *self.proxy_args,
        ]  # fmt: skip
        self.proxy = subprocess.Popen(command, stdin=subprocess.DEVNULL, **OWN_GROUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proxy.poll()
            if code is not None:
                return f"The proxy stopped at start-up (exit status {code}); see its message above."
            if port_open(port):
                return None
            if not self.pause(POLL):
                return None  # interrupted: nothing to report
        return f"The proxy did not open {HOST}:{port} within {timeout:g} s."

    def start_browser(self) -> None:
        from ..launcher import ca_path
        from ..launcher import chromium_args
        from ..launcher import find_browser
        from ..launcher import spki_pin

        assert self.workdir is not None
        url = self.page_origin + "/"
        binary = self.args.binary or find_browser("chromium")
        if binary is None:
            say("No Chromium or Chrome found (--binary PATH names one). Open the page in a")
            say(f"browser wired to the proxy: {PROG.replace('demo', 'browser')} {url}")
            return
        ca = ca_path(self.args.confdir)
        deadline = time.monotonic() + 10
        while not ca.exists() and time.monotonic() < deadline:
            if not self.pause(POLL):
                return
        pin = spki_pin(ca.read_bytes()) if ca.exists() else None
        profile = self.workdir / "browser-profile"
        headless = self.args.headless
        command = [binary, *chromium_args(self.proxy_addr, str(profile), pin, headless, url=url)]
        log = open(self.workdir / "browser.log", "wb")  # noqa: SIM115 - closed with the process
        try:
            self.browser = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, **OWN_GROUP
            )
        except OSError as e:
            say(f"Could not start {binary}: {e}. Open {url} in a browser wired to the proxy.")
        finally:
            log.close()
        if self.browser is not None:
            say(f"Started {Path(binary).name} through the proxy (profile {profile}).")

    def banner(self) -> None:
        say()
        say("cors_addon demo")
        say(f"  page   {self.page_origin}/   the frontend (origin A): calls every endpoint")
        say(f"  API    {self.api_origin}    endpoints that get CORS wrong (origin B)")
        say(f"  proxy  {self.proxy_addr}       python -m cors_addon: one line per CORS event")
        say(f"  rules  {self.rules}")
        say(f"  log    {self.log}")
        say()
        say("The page shows each call's outcome and the proxy's diagnosis; so do the lines below.")
        say(f"To fix the calls, set enabled = true on the 'demo: ...' rules in {self.rules},")
        say('save, and press "Run again" on the page: the proxy reloads the rules within a second.')
        if self.args.no_browser:
            say("Open the page in a browser wired to the proxy:")
            say(f"  python -m cors_addon browser --proxy {self.proxy_addr} {self.page_origin}/")
        say("Ctrl-C stops everything.")
        say()

    # -- running -------------------------------------------------------------------------

    def run(self) -> int:
        """0 when stopped by a signal, 1 when the proxy died, 2 when it could not start."""
        self.prepare()
        error = self.start_servers() or self.start_proxy()
        if self.stopping:
            return 0
        if error:
            print(f"{PROG}: {error}", file=sys.stderr, flush=True)
            return 2 if self.proxy is None or self.proxy.poll() is None else 1
        self.banner()
        if not self.args.no_browser:
            self.start_browser()
        while self.pause(0.25):
            code = self.proxy.poll() if self.proxy is not None else None
            if code is not None:
                print(f"{PROG}: the proxy stopped (exit status {code}).", file=sys.stderr)
                return 1
        return 0

    def close(self) -> None:
        """Browser first, then the proxy, then the servers and the temporary files."""
        stop_process(self.browser)
        stop_process(self.proxy)
        for server in self.servers:
            server.shutdown()
            server.server_close()
        if self.workdir is not None:
            remove_profile(self.workdir / "browser-profile")  # with Chromium's socket dir
            shutil.rmtree(self.workdir, ignore_errors=True)


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # called as a script: python -m cors_addon demo ...
        argv = sys.argv[2:] if sys.argv[1:2] == ["demo"] else sys.argv[1:]
    args, proxy_args = parse_args(argv)
    demo = Demo(args, proxy_args)  # creates nothing yet
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, demo.stop)
    try:
        return demo.run()
    finally:
        if demo.stopping:
            with contextlib.suppress(OSError):  # the terminal may be gone
                say("Stopping the demo.")
        demo.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
