"""The two other captures a user brings, made from the DevTools capture (devtools.har.gz) by
documented transformations of the HAR, and the comparison of an analysis with what Chromium
decided (devtools.json.gz), flow by flow.

provisional(har, truth): the HAR DevTools writes when it missed the network stack's reports
    (it then shows "Provisional headers are shown"), with unknown timings:
    - every timing is -1 (`blocked`, `dns`, `ssl`, `connect`, `send`, `wait`, `receive`,
      `_blocked_queueing`), as HAR 1.2 allows, and `time` is 0;
    - the request headers of every entry are the provisional ones that Chromium reported
      for it in Network.requestWillBeSent (recorded in devtools.json.gz): for a fetch or an XHR
      what the page set, Referer and User-Agent, without Origin, Cookie, Sec-Fetch-* and
      the other headers the network stack adds; request.cookies is emptied.
sanitized(har): DevTools' "Export HAR (sanitized)" (Log.ts, `options.sanitize`): request
    Cookie and Authorization headers, request.cookies, response Set-Cookie headers and
    response.cookies removed.
"""

from __future__ import annotations

import copy
from typing import Any

TIMINGS = ("blocked", "dns", "ssl", "connect", "send", "wait", "receive", "_blocked_queueing")


def provisional(har: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(har)
    for entry, recorded in zip(out["log"]["entries"], truth, strict=True):
        entry["timings"] = {k: -1 for k in TIMINGS}
        entry["time"] = 0
        request = entry["request"]
        request["headers"] = [
            {"name": name, "value": line}
            for name, value in recorded["provisional_headers"].items()
            for line in str(value).split("\n")
        ]
        request["cookies"] = []
    return out


def sanitized(har: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(har)
    for entry in out["log"]["entries"]:
        request, response = entry["request"], entry["response"]
        response["cookies"] = []
        response["headers"] = [h for h in response["headers"] if h["name"].lower() != "set-cookie"]
        request["cookies"] = []
        request["headers"] = [
            h for h in request["headers"] if h["name"].lower() not in ("authorization", "cookie")
        ]
    return out


def devtools(har: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, Any]:
    return har


VARIANTS = {"devtools": devtools, "provisional": provisional, "sanitized": sanitized}


def outcomes(events: list[dict[str, Any]], truth: list[dict[str, Any]], label: str) -> list[Any]:
    """Per entry of the capture that is a fetch() or an XHR, what the analysis says the
    browser decided: the CorsError that blocked it, or None. An entry the analysis skipped
    (the browser never sent it) has its preflight's outcome: the preflight's error, or its
    orphan's."""
    by_flow: dict[str, dict[str, Any]] = {}
    orphans: dict[str, dict[str, Any]] = {}
    for e in events:
        (orphans if e["type"] == "orphan" else by_flow)[e["flow"]] = e
    preflight_of = {
        t["preflight_for"]: n for n, t in enumerate(truth) if t.get("preflight_for") is not None
    }
    out: list[Any] = []
    for n, t in enumerate(truth):
        if t["type"] not in ("fetch", "xhr"):
            continue
        event = by_flow.get(f"{label}#{n + 1}")
        if event is None and n in preflight_of:
            flow = f"{label}#{preflight_of[n] + 1}"
            event = by_flow.get(flow)
            if event is not None and event["verdict"] != "blocked":
                event = orphans.get(flow, event)
        if event is None:
            out.append((n, "no event"))
        elif event["verdict"] == "blocked":
            out.append((n, event["error"]["code"]))
        else:
            out.append((n, None))
    return out


def chromium(truth: list[dict[str, Any]]) -> list[Any]:
    return [(n, t["cors_error"]) for n, t in enumerate(truth) if t["type"] in ("fetch", "xhr")]
