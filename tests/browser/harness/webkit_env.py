"""WebKit's environment: servers, the proxy under test, MiniBrowser on a private Xvfb.

Without automation there is no control channel, so the pages drive themselves:

1. MiniBrowser sits on `/wk/next?g=<generation>` of the page server; that request blocks until
   run() queues a case, then answers 302 to the case's page `/p/<case id>` (on origin A or A2).
2. The case page logs `CORSCASE BEGIN <token>`, runs the setup script (a cookie), fetches
   `/wk/mark/<token>` (a sync point: the servers' requests after it belong to the case), logs
   `CORSCASE RUN <token>`, runs the case script, waits `settle_ms` for the console lines to land,
   logs `CORSCASE END <token>`, deletes the cookie, POSTs its outcome to `/wk/result/<token>`
   and goes back to `/wk/next`.
3. run() splits MiniBrowser's stderr by the markers: the case's console is what lies between RUN
   and END. With no result within `timeout`, MiniBrowser is restarted (a new generation, so a
   request of the old one left waiting on `/wk/next` cannot take the next case).

Every case has its own URL paths (`/c/<id>/...`): there is no per-case browser context, so the
HTTP and preflight caches are kept apart by URL only. Run a scenario once per env.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .consoles import ConsoleLine
from .consoles import parse_webkit_line
from .engine_result import EngineResult
from .env import BaseEnv
from .proxy import ArgvSpec
from .runner import JsOutcome
from .servers import Resp
from .servers import Route
from .servers import SeenRequest
from .webkit import MiniBrowser
from .webkit import Xvfb

FAILED = "TypeError: Load failed"
MARK = "CORSCASE"

_CASE_PAGE = """<!doctype html><html><head><meta charset=utf-8><title>cors case</title>
<link rel="icon" href="data:,"></head><body><script>
const TOKEN = %(token)s, GEN = %(gen)s, HAS_SETUP = %(has_setup)s;
async function setupCase() { %(setup)s }
async function runCase() { %(script)s }
async function attempt(f) {
  try { return {ok: true, value: await f()}; } catch (e) { return {ok: false, error: String(e)}; }
}
(async () => {
  console.log("%(mark)s BEGIN " + TOKEN);
  const setup = HAS_SETUP ? await attempt(setupCase) : null;
  await fetch("/wk/mark/" + TOKEN);
  console.log("%(mark)s RUN " + TOKEN);
  const out = await attempt(runCase);
  await new Promise((r) => setTimeout(r, %(settle_ms)d));
  console.log("%(mark)s END " + TOKEN);
  if (HAS_SETUP) document.cookie = "sid=; max-age=0; path=/";
  const body = JSON.stringify({setup, out, ua: navigator.userAgent});
  try { await fetch("/wk/result/" + TOKEN, {method: "POST", body}); } catch (e) {}
  location.replace("/wk/next?g=" + GEN);
})();
</script></body></html>
"""


def _js_body(script: str) -> str:
    # Inside <script>, "</" would end the element early; "<\\/" means the same in JS strings.
    return script.replace("</", "<\\/")


class WebKitEnv(BaseEnv):
    engine = "webkit"

    def __init__(
        self,
        proxy_argv: ArgvSpec | None = None,
        *,
        workdir: str | Path | None = None,
        minibrowser_binary: str | None = None,
        proxy_env: dict[str, str] | None = None,
        proxy_cwd: str | Path | None = None,
    ) -> None:
        super().__init__(proxy_argv, workdir=workdir, proxy_env=proxy_env, proxy_cwd=proxy_cwd)
        self._binary = minibrowser_binary
        self.xvfb: Xvfb | None = None
        self.browser: MiniBrowser | None = None
        self._gen = 0
        self._next: queue.Queue[str] = queue.Queue()
        self._results: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._tokens = itertools.count(1)
        self._stderr_offset = 0
        self.restarts = 0

    def start(self) -> WebKitEnv:
        super().start()
        return self

    def __enter__(self) -> WebKitEnv:
        return self.start()

    # -- browser ---------------------------------------------------------------------------
    def _start_browser(self) -> None:
        reg = self.pages.registry
        with reg.lock:
            reg.routes["/wk/next"] = Route(actual=self._next_page)
        self.xvfb = Xvfb()
        display = self.xvfb.start()
        self.browser = MiniBrowser(
            self.proxy.port, display, binary=self._binary, workdir=self.workdir / "webkit"
        )
        self.browser_version = self.browser.version()
        self._launch()
        # The User-Agent comes with the first case's result; one probe case now.
        probe = self.call(self._serial(self._case("return 1;", None, "wk-probe", "127.0.0.1")))
        if not probe.js.ok:
            raise RuntimeError(f"MiniBrowser's probe case failed: {probe.js.error}")

    def _launch(self) -> None:
        assert self.browser is not None
        self._gen += 1
        self.browser.stop()
        self.browser.start(f"{self.origin_a}/wk/next?g={self._gen}")

    def _stop_browser(self) -> None:
        self._gen += 1  # release any request waiting on /wk/next
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.xvfb is not None:
            self.xvfb.stop()
            self.xvfb = None

    # -- page-server endpoints -------------------------------------------------------------
    def _next_page(self, req: SeenRequest) -> Resp:
        gen = int(parse_qs(req.query).get("g", ["0"])[0])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and gen == self._gen:
            try:
                url = self._next.get(timeout=0.2)
            except queue.Empty:
                continue
            if gen != self._gen:  # this browser was replaced meanwhile
                self._next.put(url)
                break
            return Resp(302, [("Location", url)])
        retry = f"<!doctype html><script>location.replace('/wk/next?g={gen}')</script>"
        return Resp(200, [("Content-Type", "text/html")], retry)

    def _result(self, req: SeenRequest) -> Resp:
        token = req.path.rsplit("/", 1)[-1]
        with self._cond:
            self._results[token] = {"data": json.loads(req.body or b"{}"), "time": req.time}
            self._cond.notify_all()
        return Resp(204)

    # -- running a case --------------------------------------------------------------------
    def _case(
        self, script: str, page_url: str | None, case_id: str, page_host: str, **kwargs: Any
    ) -> Coroutine[Any, Any, EngineResult]:
        url = page_url or self.page_url(case_id, host=page_host)
        return asyncio.to_thread(self._run_case, url, script, case_id, **kwargs)

    def _run_case(
        self,
        page_url: str,
        script: str,
        case_id: str,
        *,
        setup_script: str | None = None,
        settle_ms: int = 120,
        timeout: float = 20.0,
    ) -> EngineResult:
        assert self.browser is not None
        if not self.browser.alive():
            self.restarts += 1
            self._launch()
        t0 = time.monotonic()
        token = f"{case_id}.{next(self._tokens)}"
        html = _CASE_PAGE % {
            "token": json.dumps(token),
            "gen": self._gen,
            "has_setup": "true" if setup_script else "false",
            "setup": _js_body(setup_script or ""),
            "script": _js_body(script),
            "settle_ms": settle_ms,
            "mark": MARK,
        }
        path = page_url.split("://", 1)[1].split("/", 1)[1]
        pages = self.pages.registry
        with pages.lock:
            pages.routes["/" + path.split("?")[0]] = Route(
                actual=Resp(200, [("Content-Type", "text/html; charset=utf-8")], html)
            )
            pages.routes[f"/wk/mark/{token}"] = Route(actual=Resp(204))
            pages.routes[f"/wk/result/{token}"] = Route(actual=self._result)
        self._next.put(page_url)
        with self._cond:
            got = self._cond.wait_for(lambda: token in self._results, timeout)
            result = self._results.pop(token, None)
        if not got or result is None:
            self.restarts += 1
            self._drain_next()
            self._launch()
            raise TimeoutError(
                f"MiniBrowser gave no result for {case_id} within {timeout} s (restarted it)"
            )
        console = self._console_for(token)
        data = result["data"]
        out = data.get("out") or {}
        js = JsOutcome(ok=bool(out.get("ok")), value=out.get("value"), error=out.get("error"))
        if data.get("ua"):
            self.user_agent = data["ua"]
        return EngineResult(
            engine="webkit",
            js=js,
            console=console,
            requests=self._requests_for(token, result["time"]),
            duration=time.monotonic() - t0,
        )

    def _drain_next(self) -> None:
        while True:
            try:
                self._next.get_nowait()
            except queue.Empty:
                return

    def _requests_for(self, token: str, until: float) -> list[SeenRequest]:
        """What the servers received after the case's /wk/mark and before its result."""
        mark_path = f"/wk/mark/{token}"
        with self.pages.registry.lock:
            marks = [r.time for r in self.pages.registry.log if r.path == mark_path]
        start = marks[-1] if marks else 0.0
        seen: list[SeenRequest] = []
        for reg in (self.pages.registry, self.api.registry):
            with reg.lock:
                seen.extend(
                    r for r in reg.log if start < r.time < until and not r.path.startswith("/wk/")
                )
        return sorted(seen, key=lambda r: r.time)

    def _console_for(self, token: str, wait: float = 3.0) -> list[ConsoleLine]:
        """The stderr lines between `RUN <token>` and `END <token>` (waits for END to land)."""
        assert self.browser is not None
        run, end = f"{MARK} RUN {token}", f"{MARK} END {token}"
        deadline = time.monotonic() + wait
        while True:
            raw = self.browser.stderr_path.read_bytes()[self._stderr_offset :]
            text = raw.decode("utf-8", errors="replace")
            lines = [parse_webkit_line(x) for x in text.split("\n")]
            parsed = [ln for ln in lines if ln is not None]
            texts = [ln.text for ln in parsed]
            if end in texts or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if end not in texts:
            raise RuntimeError(f"no '{end}' marker on MiniBrowser's stderr")
        i_end = texts.index(end)
        i_run = texts.index(run) if run in texts[:i_end] else i_end
        # The next case's lines start after this END marker.
        self._stderr_offset += raw.find(end.encode()) + len(end)
        return parsed[i_run + 1 : i_end]
