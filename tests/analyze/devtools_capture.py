"""Record the DevTools-layout capture of the analyzer's fixtures: every scenario of the
Chromium catalogue (tests/browser/scenarios.py) in real headless Chromium, through the live
proxy (`python -m cors_addon`), with DevTools' Network domain on from the start of each page,
as an open Network panel has it.

    python tests/analyze/devtools_capture.py [OUT_DIR]     (default: fixtures/)

writes

    devtools.har.gz   what DevTools' "Save all as HAR" writes for that session (built by
                      devtools_har.py from the protocol's events): one page per scenario,
                      Chrome's real `_initiator`, `_resourceType`, timings and ExtraInfo headers
    devtools.json.gz  what Chromium decided, recorded in the same session: per HAR entry (in
                      order), its resource type, method and URL, the CorsError of its
                      Network.loadingFailed (null when Chromium let the page have it), its
                      errorText, for a preflight the entry of the request it was sent for
                      (its initiator's requestId), and the provisional request headers of
                      its Network.requestWillBeSent (gzip, as the HAR)

The provisional-headers and sanitized variants are made from devtools.har.gz by
capture_variants.py. Only loopback addresses are contacted (the browser harness's guard).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "browser"))

from devtools_har import HarBuilder  # noqa: E402
from devtools_har import Request  # noqa: E402
from ground_truth import Placeholders  # noqa: E402
from ground_truth import install  # noqa: E402
from ground_truth import script_for  # noqa: E402
from harness import BrowserEnv  # noqa: E402
from harness.runner import attempt_expr  # noqa: E402
from harness.session import CROSS_SITE_HOST  # noqa: E402
from harness.session import PAGE_HOST  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

ADDON_ARGV = [
    sys.executable, "-m", "cors_addon",
    "--listen-host", "127.0.0.1", "-p", "{port}",
    "--set", "confdir={confdir}",
    "--set", "ssl_insecure=true",
    "-s", "{guard}",
    "--set", "cors_log={workdir}/cors.jsonl",
]  # fmt: skip

DOMAINS = ("Network.", "Page.domContentEventFired", "Page.loadEventFired")


async def record_case(
    env: BrowserEnv, page_url: str, script: str, setup: str | None, events: list[Any]
) -> None:
    """One scenario in a fresh browser context, the Network domain on before the page loads
    (so the document and everything after it is recorded), until the traffic settles."""
    cdp = env.cdp
    assert cdp is not None
    ctx = (await cdp.send("Target.createBrowserContext", {"disposeOnDetach": True}))[
        "browserContextId"
    ]
    try:
        target = (
            await cdp.send("Target.createTarget", {"url": "about:blank", "browserContextId": ctx})
        )["targetId"]
        sid = (await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True}))[
            "sessionId"
        ]
        s = cdp.session(sid)
        last = [time.monotonic()]
        offs = []

        def listen(method: str) -> None:
            def on(params: dict[str, Any]) -> None:
                last[0] = time.monotonic()
                events.append((method, params))

            offs.append(s.on(method, on))

        for method in (
            "Network.requestWillBeSent",
            "Network.requestWillBeSentExtraInfo",
            "Network.responseReceived",
            "Network.responseReceivedExtraInfo",
            "Network.dataReceived",
            "Network.loadingFinished",
            "Network.loadingFailed",
            "Page.domContentEventFired",
            "Page.loadEventFired",
        ):
            listen(method)
        try:
            await s.send("Page.enable")
            await s.send("Network.enable")
            loaded = s.expect("Page.loadEventFired", timeout=15)
            await s.send("Page.navigate", {"url": page_url})
            await loaded
            for expr in (setup, script):
                if expr:
                    await s.send(
                        "Runtime.evaluate",
                        {"expression": attempt_expr(expr), "awaitPromise": True},
                        timeout=15,
                    )
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and time.monotonic() - last[0] < 0.2:
                await asyncio.sleep(0.05)
        finally:
            for off in offs:
                off()
    finally:
        with contextlib.suppress(Exception):
            await cdp.send("Target.disposeBrowserContext", {"browserContextId": ctx})


def verdicts(requests: list[Request]) -> list[dict[str, Any]]:
    """Per HAR entry: what Chromium decided, and which request a preflight was sent for."""
    index = {id(r): n for n, r in enumerate(requests)}
    out = []
    for r in requests:
        initiator = r.sent.get("initiator") or {}
        item: dict[str, Any] = {
            "type": r.resource_type,
            "method": r.sent["request"]["method"],
            "url": r.sent["request"]["url"].split("#", 1)[0],
            "page": r.page,
            "cors_error": (r.cors_error or {}).get("corsError"),
            "error": r.error,
            # what DevTools shows when it misses the network stack's report (ExtraInfo)
            "provisional_headers": r.sent["request"].get("headers") or {},
        }
        if r.resource_type == "preflight":
            owner = [
                o
                for o in requests
                if o.request_id == initiator.get("requestId")
                and o.sent["request"]["url"].split("#", 1)[0] == initiator.get("url")
            ]
            item["preflight_for"] = index[id(owner[-1])] if owner else None
        out.append(item)
    return out


def capture(out_dir: Path, only: set[str] | None = None) -> dict[str, Any]:
    """Record the scenarios (all, or the ids in `only`) into out_dir; returns the verdicts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events: list[Any] = []
    scenarios = [s for s in SCENARIOS if only is None or s.id in only]
    with BrowserEnv(ADDON_ARGV) as env:
        for scenario in scenarios:
            ph = Placeholders(env, scenario)
            setup = install(env, scenario, ph)
            host = CROSS_SITE_HOST if scenario.page == "A2" else PAGE_HOST
            env.call(
                env._serial(
                    record_case(
                        env, env.page_url(scenario.id, host=host), script_for(env, scenario),
                        setup, events,
                    )
                ),
                timeout=60,
            )  # fmt: skip
        version = env.browser_version
        origins = env.placeholders()
    builder = HarBuilder()
    for method, params in events:
        builder.feed(method, params)
    har = builder.har(version.split("/", 1)[-1])
    truth = {
        "browser": version,
        "origins": origins,
        "scenarios": [s.id for s in scenarios],
        "entries": verdicts(builder.ordered()),
    }
    with gzip.open(out_dir / "devtools.har.gz", "wt", encoding="utf-8") as f:
        json.dump(har, f, indent=1)
    with gzip.open(out_dir / "devtools.json.gz", "wt", encoding="utf-8") as f:
        json.dump(truth, f, indent=1)
    return truth


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "fixtures"
    result = capture(target)
    blocked = sum(1 for e in result["entries"] if e["cors_error"])
    print(f"{len(result['entries'])} entries, {blocked} blocked by Chromium, in {target}")
