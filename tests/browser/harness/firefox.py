"""Locate, start and stop headless Firefox ESR with its built-in WebDriver BiDi agent (no
geckodriver), as /work/shared/browser-engines.md describes.

- A fresh profile whose user.js points both proxies at the proxy under test, with
  `network.proxy.allow_hijacking_localhost` (else loopback requests bypass the proxy), HTTP/3,
  Alt-Svc, DoH, prefetch, telemetry, updates, safebrowsing ... off.
- `MOZ_REMOTE_SETTINGS_DEVTOOLS=1` (so the `services.settings.server` override is honoured) and
  `MOZ_DISABLE_NONLOCAL_CONNECTIONS=1` keep Firefox itself off the internet.
- `--remote-debugging-port 0`; the agent writes `<profile>/WebDriverBiDiServer.json` with its port.
- Own process group; stop() = BiDi `browser.close` (by the env), SIGTERM by PID, SIGKILL to the
  group after a grace period.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .procs import terminate

CANDIDATES = ("/usr/bin/firefox-esr", "/usr/bin/firefox", "firefox-esr", "firefox")
ENV_VAR = "CORS_FIREFOX"

# Removed from the browser's environment: Firefox must see only the prefs below.
PROXY_VARS = ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "ftp_proxy")


def find_firefox() -> str | None:
    """`CORS_FIREFOX` when set, else the first of /usr/bin/firefox-esr, /usr/bin/firefox and
    `firefox-esr`/`firefox` on PATH."""
    candidates = [os.environ[ENV_VAR]] if os.environ.get(ENV_VAR) else list(CANDIDATES)
    for cand in candidates:
        path = cand if os.sep in cand else shutil.which(cand)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def omni_ja(binary: str) -> Path | None:
    """The omni.ja next to the real Firefox binary (/usr/bin/firefox-esr is a symlink)."""
    real = Path(os.path.realpath(binary))
    cand = real.with_name("omni.ja")
    return cand if cand.exists() else None


def profile_prefs(proxy_port: int) -> dict[str, object]:
    return {
        # the proxy under test, for loopback too
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": proxy_port,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": proxy_port,
        "network.proxy.no_proxies_on": "",
        "network.proxy.allow_hijacking_localhost": True,
        "network.proxy.share_proxy_settings": False,
        # nothing around the proxy
        "network.http.http3.enable": False,
        "network.http.altsvc.enabled": False,
        "network.trr.mode": 5,
        "network.dns.disablePrefetch": True,
        "network.prefetch-next": False,
        "network.predictor.enabled": False,
        "network.http.speculative-parallel-limit": 0,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "network.notify.checkForProxies": False,
        # no phoning home
        "app.update.enabled": False,
        "app.update.auto": False,
        "app.normandy.enabled": False,
        "app.shield.optoutstudies.enabled": False,
        "datareporting.healthreport.uploadEnabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.enabled": False,
        "toolkit.telemetry.unified": False,
        "toolkit.telemetry.server": "data:,",
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "browser.safebrowsing.downloads.enabled": False,
        "browser.safebrowsing.downloads.remote.enabled": False,
        "browser.safebrowsing.blockedURIs.enabled": False,
        "browser.safebrowsing.provider.mozilla.updateURL": "",
        "browser.safebrowsing.provider.google4.updateURL": "",
        "dom.push.enabled": False,
        "dom.push.connection.enabled": False,
        "security.OCSP.enabled": 0,
        "security.remote_settings.crlite_filters.enabled": False,
        "media.gmp-manager.url": "data:,",
        "media.gmp-gmpopenh264.enabled": False,
        "media.gmp-gmpopenh264.autoupdate": False,
        "extensions.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "extensions.blocklist.enabled": False,
        "browser.newtabpage.enabled": False,
        "browser.newtabpage.activity-stream.feeds.topsites": False,
        "browser.newtabpage.activity-stream.feeds.section.topstories": False,
        "browser.startup.page": 0,
        "browser.startup.homepage": "about:blank",
        "browser.search.update": False,
        "browser.search.geoSpecificDefaults": False,
        "browser.region.update.enabled": False,
        "browser.region.network.url": "",
        "geo.provider.network.url": "",
        "services.settings.server": "data:,#remote-settings-dummy/v1",
        "browser.shell.checkDefaultBrowser": False,
        "browser.aboutwelcome.enabled": False,
        "intl.locale.requested": "en-US",
    }


class Firefox:
    """One headless Firefox ESR with a throwaway profile; `ws_url` is the BiDi session URL."""

    def __init__(
        self,
        proxy_port: int,
        *,
        binary: str | None = None,
        workdir: str | os.PathLike[str] | None = None,
    ) -> None:
        binary = binary or find_firefox()
        if not binary:
            raise FileNotFoundError(f"no Firefox found (set {ENV_VAR} or install firefox-esr)")
        self.binary = binary
        self.proxy_port = proxy_port
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cors-firefox-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.home: Path | None = None
        self.stderr_path = self.workdir / "firefox.stderr"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws_url: str | None = None

    @property
    def profile_dir(self) -> Path:
        assert self.home is not None
        return self.home / "profile"

    def environment(self) -> dict[str, str]:
        assert self.home is not None
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_CACHE_HOME=str(self.home / "cache"),
            MOZ_CRASHREPORTER_DISABLE="1",
            MOZ_REMOTE_SETTINGS_DEVTOOLS="1",
            MOZ_DISABLE_NONLOCAL_CONNECTIONS="1",
            LANG="C.UTF-8",
        )
        env.pop("DISPLAY", None)  # headless: never touch a display
        return env

    def start(self, timeout: float = 30.0) -> str:
        self.home = Path(tempfile.mkdtemp(prefix="home-", dir=self.workdir))
        self.profile_dir.mkdir()
        prefs = profile_prefs(self.proxy_port)
        (self.profile_dir / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())
        )
        argv = [
            self.binary,
            "--headless",
            "--no-remote",
            "--profile",
            str(self.profile_dir),
            "--remote-debugging-port",
            "0",
            "about:blank",
        ]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=self.environment(),
                start_new_session=True,
            )
        info = self.profile_dir / "WebDriverBiDiServer.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = json.loads(info.read_text())
                self.ws_url = f"ws://{data['ws_host']}:{data['ws_port']}/session"
                return self.ws_url
            except (OSError, ValueError, KeyError):
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.stderr_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"Firefox did not start its BiDi agent; output tail:\n{tail}")

    def version(self) -> str:
        """`Mozilla Firefox 153.8.0esr` (from `--version`, no profile needed)."""
        out = subprocess.run(
            [self.binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        return out.stdout.strip()

    def stop(self, grace: float = 3.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            terminate(proc, grace)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
