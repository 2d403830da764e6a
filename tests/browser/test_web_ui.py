"""`python -m cors_addon web` as a user sees it: mitmweb's own UI in headless Chromium.

Four CORS flows go through the proxy (blocked, an allowed preflight, allowed, rewritten by a
rule). Then mitmweb's page must show, without any --set:
- a Comment column whose visible text starts with the verdict ("BLOCKED <code>: ...");
- four markers that look different from each other, and from nothing, in a Chromium whose
  fontconfig has no emoji font (FONTCONFIG_FILE rejects them): emoji-only markers would all be
  the same empty box there.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import CaseServer
from harness import CDPClient
from harness import Resp
from harness import launched_chromium
from mitmproxy.utils import emoji

from cors_addon import render

pytestmark = [pytest.mark.browser, pytest.mark.every_leg]

PASSWORD = "cors-web-ui-test"
PAGE = "http://127.0.0.1:3000"
RULES = """\
[[rules]]
name = "fix it"
match = { paths = ["/c/fixed/*"] }
allow_origin = "reflect"
"""
NO_EMOJI_FONTS = """\
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <selectfont>
    <rejectfont>
      <glob>*Emoji*</glob>
      <glob>*emoji*</glob>
      <pattern><patelt name="color"><bool>true</bool></patelt></pattern>
    </rejectfont>
  </selectfont>
</fontconfig>
"""
# what each case's flow must show: (marker, start of the comment)
EXPECTED = {
    "blocked": (render.MARK_BLOCKED, "BLOCKED MissingAllowOriginHeader: GET /c/blocked/r from"),
    "pre": (render.MARK_PREFLIGHT, "ALLOWED: preflight for PUT /c/pre/r from"),
    "ok": (render.MARK_ALLOWED, "ALLOWED: GET /c/ok/r from"),
    "fixed": (render.MARK_REWRITTEN, "ALLOWED: GET /c/fixed/r from"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen[bytes], out: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, out.read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}:\n{out.read_text()}")


def via_proxy(port: int, method: str, url: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, url, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


class Web:
    def __init__(self, proxy_port: int, web_port: int, api: CaseServer, workdir: Path) -> None:
        self.proxy_port, self.web_port, self.api, self.workdir = proxy_port, web_port, api, workdir


@pytest.fixture(scope="module")
def web(browser_envs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    # browser_envs: no Chromium -> skip, or fail under CI=true
    workdir = tmp_path_factory.mktemp("web")
    (workdir / "rules.toml").write_text(RULES)
    api = CaseServer(("127.0.0.1",))
    api.start()
    proxy_port, web_port = free_port(), free_port()
    out = workdir / "web.out"
    argv = [
        sys.executable, "-m", "cors_addon", "web", "-p", str(proxy_port),
        "--web-port", str(web_port), "--set", "web_open_browser=false",
        "--set", f"web_password={PASSWORD}", "--set", f"confdir={workdir / 'confdir'}",
    ]  # fmt: skip
    with open(out, "wb") as f:
        proc = subprocess.Popen(
            argv, cwd=workdir, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_port(proxy_port, proc, out)
        wait_port(web_port, proc, out)
        yield Web(proxy_port, web_port, api, workdir)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        api.stop()


def send_flows(web: Web) -> None:
    ok = Resp(200, [("Access-Control-Allow-Origin", "*")], "ok")
    web.api.register("blocked", actual=Resp(200, [], "x"))
    web.api.register(
        "pre",
        preflight=Resp(
            204, [("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Methods", "PUT")]
        ),
        actual=Resp(200, [("Access-Control-Allow-Origin", PAGE)], "ok"),
    )
    web.api.register("ok", actual=ok)
    web.api.register("fixed", actual=Resp(200, [], "x"))
    cors = {"Origin": PAGE, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site"}
    for case in ("blocked", "ok", "fixed"):
        assert via_proxy(web.proxy_port, "GET", web.api.url(case), cors) == 200
    preflight = {**cors, "Access-Control-Request-Method": "PUT"}
    assert via_proxy(web.proxy_port, "OPTIONS", web.api.url("pre"), preflight) == 204
    # its request follows (else the preflight would become an orphan after 2 s)
    assert via_proxy(web.proxy_port, "PUT", web.api.url("pre"), cors) == 200


ROWS_JS = """
(() => {
  const rows = [...document.querySelectorAll('.flow-table tbody tr')]
    .filter(tr => tr.querySelector('td.col-path'));
  return {
    headers: [...document.querySelectorAll('.flow-table thead th')].map(th => th.innerText.trim()),
    rows: rows.map(tr => {
      const comment = tr.querySelector('td.col-comment');
      const marker = tr.querySelector('td.col-path .marker');
      const r = marker ? marker.getBoundingClientRect() : null;
      const c = comment ? comment.getBoundingClientRect() : null;
      // how far the comment's first word (the verdict) reaches: inside the cell, or cut off
      let verdictRight = null;
      const text = comment && comment.firstChild;
      if (text && text.nodeType === Node.TEXT_NODE) {
        const range = document.createRange();
        range.setStart(text, 0);
        range.setEnd(text, text.data.indexOf(' '));
        verdictRight = range.getBoundingClientRect().right;
      }
      return {
        path: tr.querySelector('td.col-path').innerText,
        method: tr.querySelector('td.col-method').innerText.trim(),
        comment: comment ? comment.innerText : null,
        commentRight: c ? c.right : 0,
        verdictRight: verdictRight,
        marker: marker ? marker.innerText : null,
        box: r ? {x: r.left, y: r.top, width: r.width, height: r.height} : null,
      };
    }),
  };
})()
"""
# Row stripes and hover colours would make equal glyphs look different: one background.
FLAT_CSS = """
(() => {
  const s = document.createElement('style');
  s.textContent = '.flow-table tr, .flow-table td { background: #fff !important;'
    + ' color: #000 !important; }';
  document.head.appendChild(s);
  return true;
})()
"""


async def evaluate(cdp: CDPClient, session: str, expression: str) -> Any:
    reply = await cdp.send(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
        session_id=session,
    )
    assert "exceptionDetails" not in reply, reply
    return reply["result"]["value"]


async def test_comment_column_and_markers_in_mitmweb(web: Web, tmp_path: Path) -> None:
    send_flows(web)
    fonts = tmp_path / "fonts.conf"
    fonts.write_text(NO_EMOJI_FONTS)
    profile = tmp_path / "profile"
    args = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-proxy-server",
        f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
    ]  # fmt: skip
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
    async with launched_chromium(args, tmp_path / "chromium", env=env) as cdp:
        target = await cdp.send(
            "Target.createTarget", {"url": f"http://127.0.0.1:{web.web_port}/?token={PASSWORD}"}
        )
        attached = await cdp.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        session = attached["sessionId"]
        await cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
            session_id=session,
        )
        deadline = time.monotonic() + 20
        while True:
            shown = await evaluate(cdp, session, ROWS_JS)
            rows = {
                case: row
                for row in shown["rows"]
                for case in EXPECTED
                if f"/c/{case}/" in row["path"] and row["method"] in ("GET", "OPTIONS")
            }
            # the page renders its built-in columns until the server's options arrive
            ready = len(rows) == len(EXPECTED) and "Comment" in shown["headers"]
            if ready or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert set(rows) == set(EXPECTED), shown

        # the Comment column is there by default, and its visible text starts with the verdict
        assert "Comment" in shown["headers"], shown["headers"]
        for case, (marker, start) in EXPECTED.items():
            row = rows[case]
            assert row["comment"].startswith(start), (case, row)
            assert row["verdictRight"] is not None, row
            assert row["verdictRight"] <= row["commentRight"], row  # the verdict is visible
            assert row["marker"] == emoji.emoji[marker], (case, row)  # mitmweb shows the character

        # each marker, as mitmweb draws it, differs from the others and from an empty cell
        await evaluate(cdp, session, FLAT_CSS)
        shots = {}
        for case, row in rows.items():
            box = row["box"]
            clip = {"x": box["x"], "y": box["y"], "width": 14, "height": 14, "scale": 1}
            png = await cdp.send(
                "Page.captureScreenshot", {"format": "png", "clip": clip}, session_id=session
            )
            shots[case] = base64.b64decode(png["data"])
        blank_box = rows["ok"]["box"]
        blank = await cdp.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "clip": {
                    "x": blank_box["x"] - 40,
                    "y": blank_box["y"],
                    "width": 14,
                    "height": 14,
                    "scale": 1,
                },
            },
            session_id=session,
        )
        shots["(nothing)"] = base64.b64decode(blank["data"])
        for (a, pa), (b, pb) in itertools.combinations(shots.items(), 2):
            assert pa != pb, f"the markers of {a} and {b} look the same in mitmweb"
