"""Engine micro-benchmarks (timeit), run inside the venv under test by scripts/bench:

    python -B scripts/bench_lib/micro.py [--quick] [--log PATH]   -> JSON on stdout

  classify+verdict  profile_for + classify + judge, as the pipeline calls them, for a
                    simple GET with Origin, a preflight, and the JSON POST after its
                    preflight (Chromium 126 header sets, 13 to 16 fields)
  rules             RuleSet.match for files of 1, 10, 100 and 1000 generated rules, the
                    flow matching the rule second to last
  pipeline          Inspector.begin + finish (pairing, cache model, event) + the JSONL line
  hooks             the addon's hooks on mitmproxy flows (the 10-request mix of the load
                    test), log on: what the proxy pays per flow, without the proxy

Each figure: the median (and min) over repeats of the per-call time, in microseconds.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_lib.rulesgen import rules_toml
from cors_addon.engine import Headers
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine import profile_for
from cors_addon.rules import FlowFacts
from cors_addon.rules import parse_rules

ORIGIN = "http://localhost:3000"
API = "http://127.0.0.1:8000"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)
CH_UA = '"Not/A)Brand";v="8", "Chromium";v="126", "Google Chrome";v="126"'
Fields = list[tuple[str, str]]


def common() -> Fields:
    return [
        ("Host", "127.0.0.1:8000"),
        ("Connection", "keep-alive"),
        ("sec-ch-ua", CH_UA),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", '"Linux"'),
        ("User-Agent", UA),
    ]


def tail() -> Fields:
    return [
        ("Referer", ORIGIN + "/dashboard"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ]


def fetch_fields(*extra: tuple[str, str]) -> Fields:
    return [
        *common(),
        ("Accept", "application/json, text/plain, */*"),
        *extra,
        ("Origin", ORIGIN),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
        *tail(),
    ]


def preflight_fields(method: str, acrh: str) -> Fields:
    return [
        *common(),
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", method),
        ("Access-Control-Request-Headers", acrh),
        ("Origin", ORIGIN),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Dest", "empty"),
        *tail(),
    ]


def response_fields(preflight: bool, acrh: str = "") -> Fields:
    fields = [
        ("Server", "nginx/1.22.1"),
        ("Date", "Mon, 23 Nov 2026 09:29:54 GMT"),
        ("Connection", "keep-alive"),
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    if preflight:
        fields += [
            ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE"),
            ("Access-Control-Allow-Headers", acrh),
            ("Access-Control-Max-Age", "600"),
        ]
    else:
        fields = [("Content-Type", "application/json"), ("Content-Length", "74"), *fields]
        fields.append(("Access-Control-Expose-Headers", "x-request-id"))
    fields += [("Vary", "Origin"), ("X-Request-Id", "92eead96a3c5fb75e216824b11baef18")]
    return fields


JSON_CT = ("Content-Type", "application/json")
CASES: dict[str, tuple[WireRequest, WireResponse, tuple[str, ...] | None]] = {
    "simple GET with Origin": (
        WireRequest("GET", API + "/api/v1/items?page=2", Headers(fetch_fields())),
        WireResponse(200, Headers(response_fields(False))),
        None,
    ),
    "preflight": (
        WireRequest(
            "OPTIONS",
            API + "/api/v1/items/7",
            Headers(preflight_fields("POST", "content-type")),
        ),
        WireResponse(204, Headers(response_fields(True, "content-type"))),
        None,
    ),
    "JSON POST after its preflight": (
        WireRequest(
            "POST",
            API + "/api/v1/items/7",
            Headers(fetch_fields(JSON_CT, ("Content-Length", "57"))),
        ),
        WireResponse(200, Headers(response_fields(False))),
        ("content-type",),
    ),
}


def measure(fn: Callable[[], Any], number: int, repeat: int) -> dict[str, float]:
    """Per-call microseconds: median and min over `repeat` runs of `number` calls."""
    fn()  # warm caches (lru caches, first-use compilation)
    timer = timeit.Timer(fn)
    runs = [t / number * 1e6 for t in timer.repeat(repeat=repeat, number=number)]
    return {"median_us": statistics.median(runs), "min_us": min(runs), "max_us": max(runs)}


def bench_engine(number: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (wire, resp, announced) in CASES.items():

        def run(wire: WireRequest = wire, resp: WireResponse = resp, ann: Any = announced) -> Any:
            profile = profile_for("auto", wire.headers.get("user-agent"))
            c = classify(wire, profile, ann)
            return judge(wire, c, resp, profile)

        verdict = run()
        out[name] = {
            **measure(run, number, repeat),
            "headers": len(wire.headers),
            "verdict": verdict.verdict,
        }
    return out


RULE_COUNTS = (1, 10, 100, 1000)


def bench_rules(number: int, repeat: int) -> dict[str, Any]:
    facts = FlowFacts(
        host="127.0.0.1",
        port=8000,
        path="/api/v1/items/7",
        origin=ORIGIN,
        method="POST",
        is_preflight=True,
        acrh="content-type",
        credentials=False,
    )
    out: dict[str, Any] = {}
    for n in RULE_COUNTS:
        rules = parse_rules(rules_toml(n), f"<{n} rules>")
        rule = rules.match(facts)
        assert rule is not None and rule.index == max(0, n - 2), (n, rule)
        out[str(n)] = {
            **measure(lambda rules=rules: rules.match(facts), number, repeat),
            "matched_rule": rule.index + 1,
            "candidates": len(rules.candidates(facts.host, facts.port)),
        }
    return out


def bench_pipeline(number: int, repeat: int) -> dict[str, Any]:
    """Inspector.begin + finish + the JSON line, for a preflight then its POST."""
    from cors_addon.events import dumps
    from cors_addon.pipeline import Inspector

    pre_wire, pre_resp, _ = CASES["preflight"]
    post_wire, post_resp, _ = CASES["JSON POST after its preflight"]
    get_wire, get_resp, _ = CASES["simple GET with Origin"]
    inspector = Inspector()
    counter = [0.0]

    def run() -> None:
        counter[0] += 1.0
        t = counter[0]
        for wire, resp in ((pre_wire, pre_resp), (post_wire, post_resp), (get_wire, get_resp)):
            state = inspector.begin(wire, client="127.0.0.1", time=t, host="127.0.0.1", port=8000)
            assert state is not None
            dumps(inspector.finish(state, "f", resp, ms=1.0))

    result = measure(run, number, repeat)
    return {k: v / 3 for k, v in result.items()}


_ids = itertools.count()


def _unique_ids(fields: Fields) -> Fields:
    """Each message its own X-Request-Id, as in the load test (nginx's $request_id on every
    response, wrk's own id on a request that sends one): alike, they would meet memoized
    decisions that real traffic does not meet."""
    return [(n, f"{next(_ids):032x}" if n == "X-Request-Id" else v) for n, v in fields]


def _mitm_flows(cycles: int) -> list[tuple[Any, Any]]:
    """The load test's 10-request mix as mitmproxy flows, each with its server response."""
    from mitmproxy import http
    from mitmproxy.test import tflow

    def mflow(method: str, path: str, fields: Fields, status: int, resp: Fields) -> Any:
        req = http.Request.make(
            method,
            API + path,
            b"{}" if method == "POST" else b"",
            http.Headers([(n.encode(), v.encode()) for n, v in _unique_ids(fields)]),
        )
        req.timestamp_start = req.timestamp_end = time.time()
        flow = tflow.tflow(req=req)
        body = b"" if status == 204 else b'{"ok":true}'
        response = http.Response.make(
            status, body, http.Headers([(n.encode(), v.encode()) for n, v in _unique_ids(resp)])
        )
        return flow, response

    no_origin = [*common(), ("Accept", "*/*"), ("Sec-Fetch-Mode", "no-cors"), *tail()]
    plain = [f for f in response_fields(False) if not f[0].startswith("Access-Control")]
    auth = ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bench")
    acrh2 = "authorization,content-type,x-request-id"
    flows = []
    for i in range(cycles):
        get = fetch_fields()
        flows += [
            mflow("GET", f"/api/v1/items?page={i % 20}", get, 200, response_fields(False)),
            mflow(
                "OPTIONS",
                f"/api/v1/items/{i}",
                preflight_fields("POST", "content-type"),
                204,
                response_fields(True, "content-type"),
            ),
            mflow(
                "POST",
                f"/api/v1/items/{i}",
                fetch_fields(JSON_CT),
                200,
                response_fields(False),
            ),
            mflow("GET", f"/assets/app.{i % 50}.js", no_origin, 200, plain),
            mflow(
                "GET", "/api/v1/me", fetch_fields(("Cookie", "sid=1")), 200, response_fields(False)
            ),
            mflow(
                "OPTIONS",
                f"/api/v1/orders/{i}",
                preflight_fields("POST", acrh2),
                204,
                response_fields(True, acrh2),
            ),
            mflow(
                "POST",
                f"/api/v1/orders/{i}",
                fetch_fields(JSON_CT, auth, ("X-Request-Id", str(i))),
                200,
                response_fields(False),
            ),
            mflow("GET", "/img/logo.png", no_origin, 200, plain),
            mflow("GET", f"/api/v1/search?q=w{i % 100}", get, 200, response_fields(False)),
            mflow("GET", "/dashboard", no_origin, 200, plain),
        ]
    return flows


def bench_hooks(cycles: int, repeat: int, log: str, rules: str | None) -> dict[str, Any]:
    """The addon's hooks on the mix (flows built beforehand; only the hooks are timed)."""
    from mitmproxy.test import taddons

    from cors_addon.addon import CorsAddon

    addon = CorsAddon()
    runs = []
    with taddons.context(addon) as tctx:
        tctx.configure(addon, cors_log=log, cors_rules=rules or "")
        addon.line_level = logging.ERROR  # as under -q
        for _ in range(repeat + 1):
            flows = _mitm_flows(cycles)
            gc.collect()
            start = time.perf_counter_ns()
            for flow, response in flows:
                addon.requestheaders(flow)
                if hasattr(addon, "request"):  # as mitmproxy calls it: only when the addon has it
                    addon.request(flow)
                if flow.response is None:
                    flow.response = response
                addon.responseheaders(flow)
            runs.append((time.perf_counter_ns() - start) / len(flows) / 1000)
        addon.done()
    runs = runs[1:]  # the first pass warms up
    return {
        "median_us": statistics.median(runs),
        "min_us": min(runs),
        "max_us": max(runs),
        "flows": cycles * 10,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--log", help="JSONL log path for the hooks figure (default: a temp file)")
    parser.add_argument(
        "--only", default="engine,rules,pipeline,hooks", help="comma-separated subset"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    number, repeat = (200, 5) if args.quick else (2000, 15)
    out: dict[str, Any] = {"python": sys.version.split()[0]}
    started = time.perf_counter()
    if "engine" in only:
        out["engine"] = bench_engine(number, repeat)
    if "rules" in only:
        out["rules"] = bench_rules(number * 5, repeat)
    if "pipeline" in only:
        out["pipeline"] = bench_pipeline(number // 2, repeat)
    if "hooks" in only:
        with tempfile.TemporaryDirectory() as tmp:
            log = args.log or os.path.join(tmp, "hooks.jsonl")
            cycles, reps = (30, 3) if args.quick else (200, 7)
            out["hooks"] = bench_hooks(cycles, reps, log, None)
            rules_path = os.path.join(tmp, "rules100.toml")
            Path(rules_path).write_text(rules_toml(100))
            out["hooks_100_rules"] = bench_hooks(cycles, reps, log, rules_path)
    out["seconds"] = time.perf_counter() - started
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
