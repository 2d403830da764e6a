"""`python -m cors_addon browser`: start Chromium/Chrome (or Firefox) wired to the proxy.

What it sets up, and why:
- an isolated profile, so your everyday profile, cookies and extensions stay out of it: a
  throwaway one, deleted when the browser exits (or when a Ctrl-C stops the launcher, which
  stops the browser too), unless --profile names one to keep;
- loopback through the proxy (Chromium `--proxy-bypass-list=<-loopback>`, Firefox
  `network.proxy.allow_hijacking_localhost`): by default both browsers send localhost traffic
  around any proxy, which hides exactly the dev traffic you want to see;
- HTTPS trust limited to mitmproxy's CA: Chromium gets its key pinned with
  `--ignore-certificate-errors-spki-list` (nothing else is trusted more than usual); the
  Firefox profile gets the CA imported into its own certificate store (needs `certutil`);
- no QUIC/HTTP/3, which would bypass the proxy.

`--print` prints the command instead. Firefox reads the proxy settings from its profile, so for
Firefox the profile is written first (and kept), and the printed command uses it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from .procs import OWN_GROUP
from .procs import stop_process

CHROMIUM_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
FIREFOX_NAMES = ("firefox", "firefox-esr", "/Applications/Firefox.app/Contents/MacOS/firefox")
CA_FILE = "mitmproxy-ca-cert.pem"


def find_browser(kind: str) -> str | None:
    """The first installed browser of this kind ("chromium" or "firefox")."""
    env = os.environ.get("CORS_CHROMIUM" if kind == "chromium" else "CORS_FIREFOX")
    if env:
        return env
    for name in CHROMIUM_NAMES if kind == "chromium" else FIREFOX_NAMES:
        path = shutil.which(name) or (
            name if os.path.isabs(name) and os.path.exists(name) else None
        )
        if path:
            return path
    return None


def spki_pin(ca_pem: bytes) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's
    --ignore-certificate-errors-spki-list takes. mitmproxy signs every leaf with its CA's
    key, so pinning the CA's key covers every intercepted site."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(ca_pem)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def ca_path(confdir: str) -> Path:
    return Path(os.path.expanduser(confdir)) / CA_FILE


def chromium_args(
    proxy: str,
    profile_dir: str,
    pin: str | None = None,
    headless: bool = False,
    remote_debugging_port: int | None = None,
    url: str | None = None,
) -> list[str]:
    """The switches that wire Chromium to the proxy (without the binary)."""
    args = [
        f"--user-data-dir={profile_dir}",
        f"--proxy-server=http://{proxy}",
        "--proxy-bypass-list=<-loopback>",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    if pin:
        args.append(f"--ignore-certificate-errors-spki-list={pin}")
    if headless:
        args += ["--headless", "--disable-gpu"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root otherwise
    if remote_debugging_port is not None:
        args.append(f"--remote-debugging-port={remote_debugging_port}")
    args.append(url or "about:blank")
    return args


def firefox_prefs(proxy: str) -> dict[str, object]:
    host, _, port = proxy.rpartition(":")
    return {
        "network.proxy.type": 1,
        "network.proxy.http": host,
        "network.proxy.http_port": int(port),
        "network.proxy.ssl": host,
        "network.proxy.ssl_port": int(port),
        "network.proxy.no_proxies_on": "",
        "network.proxy.allow_hijacking_localhost": True,
        "network.http.http3.enable": False,
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "datareporting.policy.dataSubmissionEnabled": False,
        "app.update.enabled": False,
    }


def write_firefox_profile(profile_dir: str, proxy: str, ca_pem_path: Path | None) -> str | None:
    """Write user.js and import the CA; returns a note when the CA could not be imported."""
    lines = []
    for key, value in firefox_prefs(proxy).items():
        rendered = (
            ("true" if value else "false")
            if isinstance(value, bool)
            else str(value)
            if isinstance(value, int)
            else f'"{value}"'
        )
        lines.append(f'user_pref("{key}", {rendered});')
    Path(profile_dir, "user.js").write_text("\n".join(lines) + "\n")
    if ca_pem_path is None or not ca_pem_path.exists():
        return "no mitmproxy CA yet: start the proxy once, then relaunch for HTTPS"
    certutil = shutil.which("certutil")
    if certutil is None:
        return "certutil (libnss3-tools) is missing: HTTPS sites will show certificate errors"
    db = f"sql:{profile_dir}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=False, capture_output=True)
    result = subprocess.run(
        [certutil, "-A", "-d", db, "-t", "C,,", "-n", "mitmproxy", "-i", str(ca_pem_path)],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return f"could not import the CA: {result.stderr.strip()}"
    return None


def shell_command(command: Sequence[str]) -> str:
    """The command as the user's shell takes it: POSIX quoting (`<-loopback>` would otherwise
    be read as a redirection), Windows quoting on Windows."""
    if os.name == "nt":
        return subprocess.list2cmdline(command)
    return shlex.join(command)


def proxy_listening(proxy: str, timeout: float = 0.5) -> bool:
    host, _, port = proxy.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout):
            return True
    except (OSError, ValueError):
        return False


def chromium_socket_dir(profile: Path) -> Path | None:
    """The $TMPDIR/org.chromium.Chromium.XXXXXX directory of a profile's SingletonSocket, which
    Chromium leaves behind when it is stopped (the profile's link to it stays too)."""
    try:
        target = Path(os.readlink(profile / "SingletonSocket")).parent
    except OSError:
        return None
    if target.name.startswith("org.chromium.Chromium.") and target.parent == Path(
        tempfile.gettempdir()
    ):
        return target
    return None


def remove_profile(profile: Path) -> None:
    """Delete a throwaway profile, once its browser has exited, with Chromium's socket dir."""
    socket_dir = chromium_socket_dir(profile)
    if socket_dir is not None:
        shutil.rmtree(socket_dir, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)


def run_browser(command: list[str]) -> int:
    """Run the browser until it exits, or until a signal (Ctrl-C, SIGTERM, SIGHUP) asks us to
    stop: then stop it, with its helper processes. Its exit status, or 0 when we stopped it."""
    stopping: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, lambda signum, _: stopping.append(signum))
    proc = None
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, **OWN_GROUP)
        while not stopping:
            try:
                return proc.wait(0.2)
            except subprocess.TimeoutExpired:
                continue
        return 0
    finally:
        stop_process(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cors_addon browser",
        description="Start a browser wired to the running cors_addon proxy.",
        epilog="Without --profile the browser gets a throwaway profile, deleted when it exits."
        " With --print the command is printed instead; for Firefox the profile it needs (the"
        " proxy settings, mitmproxy's CA) is written first, and kept.",
    )
    parser.add_argument("url", nargs="?", default=None, help="page to open")
    parser.add_argument("--proxy", default="127.0.0.1:8080", help="proxy host:port")
    parser.add_argument("--confdir", default="~/.mitmproxy", help="mitmproxy's confdir (CA)")
    parser.add_argument("--firefox", action="store_true", help="start Firefox instead")
    parser.add_argument("--binary", help="browser executable to use")
    parser.add_argument("--profile", help="profile directory to use and keep")
    parser.add_argument("--headless", action="store_true", help="no window")
    parser.add_argument(
        "--print",
        action="store_true",
        dest="dry_run",
        help="print the command instead of running it",
    )
    args = parser.parse_args(argv)

    kind = "firefox" if args.firefox else "chromium"
    binary = args.binary or find_browser(kind)
    if binary is None:
        print(
            f"No {kind} found: pass --binary PATH"
            + (" or install Debian's chromium package." if kind == "chromium" else "."),
            file=sys.stderr,
        )
        return 2
    if not proxy_listening(args.proxy):
        print(
            f"warning: nothing listens on {args.proxy}: start the proxy first"
            " (python -m cors_addon), or name it with --proxy HOST:PORT. Until then the"
            " browser loads no page.",
            file=sys.stderr,
        )
    throwaway: str | None = None  # deleted when the browser exits
    if args.profile:
        profile = os.path.abspath(os.path.expanduser(args.profile))
        os.makedirs(profile, exist_ok=True)
    elif args.dry_run and kind == "chromium":
        profile = os.path.join(tempfile.gettempdir(), "cors-addon-chromium-PROFILE")
    elif args.dry_run:  # the printed command needs the profile's proxy settings: keep it
        profile = tempfile.mkdtemp(prefix="cors-addon-firefox-")
    else:
        profile = throwaway = tempfile.mkdtemp(prefix=f"cors-addon-{kind}-")
    try:
        ca = ca_path(args.confdir)
        if kind == "chromium":
            pin = spki_pin(ca.read_bytes()) if ca.exists() else None
            if pin is None:
                print(
                    f"note: {ca} does not exist yet (start the proxy once): HTTPS sites will"
                    " show certificate errors.",
                    file=sys.stderr,
                )
            command = [
                binary,
                *chromium_args(args.proxy, profile, pin, args.headless, url=args.url),
            ]
        else:
            note = write_firefox_profile(profile, args.proxy, ca)
            if note:
                print(f"note: {note}", file=sys.stderr)
            command = [binary, "-profile", profile, "-no-remote"]
            if args.headless:
                command.append("-headless")
            if args.url:
                command.append(args.url)
        if args.dry_run:
            if kind == "firefox":
                print(
                    f"note: wrote the profile {profile} (proxy settings in user.js); delete it"
                    " when you are done.",
                    file=sys.stderr,
                )
            print(shell_command(command))
            return 0
        print(f"Starting {kind} through {args.proxy} with profile {profile}", file=sys.stderr)
        return run_browser(command)
    finally:
        if throwaway is not None:
            remove_profile(Path(throwaway))
