"""Captures a user actually brings, against what Chromium 156 decided when they were made.

fixtures/devtools.har.gz is the "Save all as HAR" of a session in real headless Chromium
through the proxy (devtools_capture.py: the 124 scenarios of the Chromium catalogue, one page
each, DevTools' real layout: `_initiator` with the preflight's requestId, `_resourceType`,
Chromium's own timings, preflights issued after the request they are for);
fixtures/devtools.json.gz holds Chromium's verdict of every entry, recorded in the same
session. capture_variants.py derives, by documented transformations, the same capture with
unknown timings (-1) and DevTools' provisional headers, and DevTools' sanitized export.

Each of the three must agree with Chromium flow by flow: every fetch() and XHR gets the
CorsError Chromium gave it (or none), pairing follows the capture's records, every event is
in the live schema, and a blocked request's console sentence is Chromium's.
"""

from __future__ import annotations

import gzip
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from analyze_helpers import FIXTURES
from capture_variants import VARIANTS
from capture_variants import chromium
from capture_variants import outcomes

from cors_addon.analyze import events as analyze_events

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from scenarios import SCENARIOS


@cache
def recorded() -> tuple[dict[str, Any], dict[str, Any]]:
    with gzip.open(FIXTURES / "devtools.har.gz", "rt", encoding="utf-8") as f:
        har = json.load(f)
    with gzip.open(FIXTURES / "devtools.json.gz", "rt", encoding="utf-8") as f:
        truth = json.load(f)
    return har, truth


@cache
def analyzed(variant: str, directory: str) -> list[dict[str, Any]]:
    har, truth = recorded()
    path = Path(directory) / f"{variant}.har"
    path.write_text(json.dumps(VARIANTS[variant](har, truth["entries"])))
    return list(analyze_events(str(path)))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("devtools"))


def has_origin(entry: dict[str, Any]) -> bool:
    return any(h["name"].lower() == "origin" for h in entry["request"]["headers"])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_request_gets_chromiums_verdict(variant: str, workdir: str) -> None:
    har, truth = recorded()
    entries = truth["entries"]
    got = outcomes(analyzed(variant, workdir), entries, f"{variant}.har")
    want = chromium(entries)
    assert len(want) == 152 and sum(1 for _, code in want if code) == 57
    disagree = []
    for (n, mine), (_, theirs) in zip(got, want, strict=True):
        # no event at all only where the live proxy has none either: no Origin on the wire
        if mine == "no event" and theirs is None and not has_origin(har["log"]["entries"][n]):
            continue
        if mine != theirs:
            disagree.append((entries[n]["method"], entries[n]["url"], mine, theirs))
    assert disagree == []


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_pairing_follows_what_the_capture_records(variant: str, workdir: str) -> None:
    """Every preflight goes with the request Chromium sent it for (its initiator's
    requestId), though the request's entry comes first and timings may be -1; a request
    never sent (its preflight failed, or passed only without its credentials) has no event,
    and no other request takes its preflight."""
    _, truth = recorded()
    entries = truth["entries"]
    label = f"{variant}.har"
    events = analyzed(variant, workdir)
    requests = {e["flow"]: e for e in events if e["type"] == "request"}
    linked = {}
    for n, t in enumerate(entries):
        if t["type"] == "preflight":
            linked[t["preflight_for"]] = f"{label}#{n + 1}"
    assert len(linked) == 78
    sent_after_a_preflight = 0
    for n, t in enumerate(entries):
        event = requests.get(f"{label}#{n + 1}")
        if t["type"] not in ("fetch", "xhr") or event is None:
            continue
        assert event["preflight"]["flow"] == linked.get(n), (t["method"], t["url"])
        sent_after_a_preflight += n in linked
    assert sent_after_a_preflight == 49
    unsent = [n for n in linked if f"{label}#{n + 1}" not in requests]
    assert all(entries[n]["cors_error"] for n in unsent)  # Chromium failed each of them


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_events_are_in_the_live_schema(variant: str, workdir: str, validate_event: Any) -> None:
    for event in analyzed(variant, workdir):
        validate_event(event)


def expected_console(truth: dict[str, Any]) -> dict[str, set[str]]:
    """Per page: every error-level console text the catalogue records for its scenario,
    filled in with the origins of the capture's session."""
    origins = truth["origins"]
    by_id = {s.id: s for s in SCENARIOS}
    out = {}
    for n, scenario_id in enumerate(truth["scenarios"], 1):
        scenario = by_id[scenario_id]
        page = origins["A2"] if scenario.page == "A2" else origins["A"]
        values = {
            "O_UPPER": page.upper(),
            "Bu": origins["B"].replace("http://", "http://u:p@", 1),
            **origins,
            "O": page,
            "C": f"/c/{scenario_id}",
        }
        texts = set()
        for text in scenario.expect.console if scenario.expect else ():
            for key, value in values.items():
                text = text.replace("{" + key + "}", value)
            texts.add(text)
        out[f"page_{n}"] = texts
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_blocked_request_gets_chromiums_console_sentence(variant: str, workdir: str) -> None:
    """Chromium's own words, "Access to XMLHttpRequest at" for an XHR (the capture's
    `_resourceType`) and "Access to fetch at" for fetch()."""
    har, truth = recorded()
    pages = {f"{variant}.har#{n}": e["pageref"] for n, e in enumerate(har["log"]["entries"], 1)}
    console = expected_console(truth)
    checked = xhr = 0
    for event in analyzed(variant, workdir):
        if event["verdict"] != "blocked" or event["error"]["code"] == "NetworkError":
            continue
        if event["type"] == "orphan":
            continue  # Chromium words the credentials failure of an orphan as the preflight's
        sentence = event["error"]["console"]
        assert sentence in console[pages[event["flow"]]], sentence
        checked += 1
        xhr += sentence.startswith("Access to XMLHttpRequest at")
    assert checked >= 50 and xhr == 9


def test_the_variants_are_what_their_names_say() -> None:
    har, truth = recorded()
    entries = truth["entries"]
    devtools = har["log"]["entries"]
    assert [e["startedDateTime"] for e in devtools] == sorted(
        e["startedDateTime"] for e in devtools
    )
    preflights = [e for e in devtools if e["_resourceType"] == "preflight"]
    assert all(set(e["_initiator"]) == {"type", "url", "requestId"} for e in preflights)
    assert all(e["_initiator"]["type"] == "preflight" for e in preflights)
    provisional = VARIANTS["provisional"](har, entries)["log"]["entries"]
    assert all(set(e["timings"].values()) == {-1} for e in provisional)
    for e in provisional:
        names = {h["name"].lower() for h in e["request"]["headers"]}
        if e["_resourceType"] in ("fetch", "xhr"):
            assert not names & {"origin", "cookie", "sec-fetch-mode", "accept-encoding"}
    sanitized = VARIANTS["sanitized"](har, entries)["log"]["entries"]
    cookies = sum(1 for e in devtools for h in e["request"]["headers"] if h["name"] == "Cookie")
    assert cookies >= 8
    for e in sanitized:
        names = {h["name"].lower() for h in e["request"]["headers"]}
        assert not names & {"cookie", "authorization"} and not e["request"]["cookies"]


def test_what_the_analysis_says_about_what_the_capture_lacks(workdir: str) -> None:
    """Provisional headers: the inferred origin is said; sanitized: credentials unknown,
    said where the verdict depends on them, and the browser's own failure decides."""
    provisional = analyzed("provisional", workdir)
    inferred = [e for e in provisional if "provisional-headers" in _codes(e)]
    assert len(inferred) > 100
    assert all(e["type"] == "request" for e in inferred)
    sanitized = analyzed("sanitized", workdir)
    unknown = [e for e in sanitized if "credentials-unknown" in _codes(e)]
    assert {e["url"].split("/c/")[1] for e in unknown} >= {
        "cred-wildcard/r",
        "cred-no-acac/r",
        "xhr-cred-wildcard/r",
    }
    assert all(e["credentials"] == "unknown" and e["verdict"] == "blocked" for e in unknown)
    for variant in ("provisional", "sanitized"):
        anomalies = [
            (e["url"], c)
            for e in analyzed(variant, workdir)
            for c in _codes(e)
            if c in ("acrh-mismatch", "missing-preflight", "verdict-contradicted")
        ]
        assert anomalies == []


def _codes(event: dict[str, Any]) -> list[str]:
    return [w["code"] for w in event["warnings"]]
