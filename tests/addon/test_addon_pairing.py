"""Pairing through the addon: actual requests linked to their preflights, missing
preflights explained by the cache model or flagged, anomalies, orphans, replayed flows on
their own clock, and bounded state."""

from __future__ import annotations

import pytest
from addon_builders import API
from addon_builders import APP
from addon_builders import T0
from addon_builders import fetch
from addon_builders import grant
from addon_builders import preflight
from addon_builders import response
from mitmproxy import flow as mflow

from cors_addon import addon as addon_module
from cors_addon import render
from cors_addon.engine import Headers
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.pipeline import Inspector
from cors_addon.summary import Summary

ACAO = [("Access-Control-Allow-Origin", APP)]
WILDCARD = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Allow-Headers", "x-api-key"),
]


def codes(event) -> list[str]:
    return [w["code"] for w in event["warnings"]]


async def test_actual_request_linked_to_its_preflight(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, grant()))
    a = fetch(t=T0 + 0.05)
    cors.run(a, response(200, ACAO))
    event = a.metadata["cors"]
    assert event["type"] == "request" and event["preflight"]["flow"] == p.id
    assert event["preflight"]["needed"] and event["preflight"]["cache"] is None
    assert not {"missing-preflight", "acrh-mismatch", "unexpected-preflight"} & set(codes(event))
    assert f"Preflight: flow {p.id}" in a.comment
    assert cors.orphans() == []
    cors.addon.tick(T0 + 60)
    assert cors.orphans() == []  # a paired preflight is never an orphan


async def test_pairing_is_per_url_method_and_origin(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, grant()))
    other_url = fetch(url=API + "/2", t=T0 + 0.05)
    other_origin = fetch(origin="http://evil.test", t=T0 + 0.06)
    for f in (other_url, other_origin):
        cors.run(f, response(200, [("Access-Control-Allow-Origin", f.request.headers["Origin"])]))
        assert f.metadata["cors"]["preflight"]["flow"] is None
        assert "missing-preflight" in codes(f.metadata["cors"])
    right = fetch(t=T0 + 0.07)
    cors.run(right, response(200, ACAO))
    assert right.metadata["cors"]["preflight"]["flow"] == p.id


async def test_missing_preflight_explained_by_the_cache(cors, caplog):
    p = preflight(t=T0)
    cors.run(p, response(204, grant(max_age=600)))
    assert p.metadata["cors"]["preflight"]["max_age"] == 600
    cors.run(fetch(t=T0 + 0.05), response(200, ACAO))
    later = fetch(t=T0 + 100)
    cors.run(later, response(200, ACAO))
    event = later.metadata["cors"]
    assert event["preflight"]["flow"] is None
    assert event["preflight"]["cache"] == {"flow": p.id, "max_age": 600, "age": 100.0}
    assert "missing-preflight" not in codes(event)
    assert "reused the one of flow" in later.comment and "max-age 600 s" in later.comment
    assert "(preflight cached 100 s ago, max-age 600 s)" in caplog.text
    expired = fetch(t=T0 + 601)
    cors.run(expired, response(200, ACAO))
    assert expired.metadata["cors"]["preflight"]["cache"] is None
    assert "missing-preflight" in codes(expired.metadata["cors"])


async def test_cache_max_age_is_capped_per_browser(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, grant(max_age=86400)))
    assert p.metadata["cors"]["preflight"]["max_age"] == 7200  # Chromium's cap
    cors.run(fetch(t=T0 + 0.05), response(200, ACAO))
    late = fetch(t=T0 + 7300)
    cors.run(late, response(200, ACAO))
    assert "missing-preflight" in codes(late.metadata["cors"])


async def test_cache_does_not_cover_a_new_header(cors):
    cors.run(preflight(t=T0), response(204, grant(max_age=600)))
    cors.run(fetch(t=T0 + 0.05), response(200, ACAO))
    more = fetch(t=T0 + 10, extra=[("X-Api-Key", "k"), ("X-Other", "1")])
    cors.run(more, response(200, ACAO))
    assert more.metadata["cors"]["preflight"]["cache"] is None
    assert "missing-preflight" in codes(more.metadata["cors"])


async def test_missing_preflight(cors, caplog):
    a = fetch(t=T0)
    cors.run(a, response(200, ACAO))
    event = a.metadata["cors"]
    assert event["preflight"]["needed"] and event["preflight"]["flow"] is None
    assert "missing-preflight" in codes(event)
    assert "! missing-preflight: " in a.comment
    assert "warnings: " in caplog.text and "missing-preflight" in caplog.text


async def test_simple_request_needs_no_preflight(cors):
    a = fetch("GET", extra=(), t=T0)
    cors.run(a, response(200, ACAO))
    event = a.metadata["cors"]
    assert not event["preflight"]["needed"] and event["preflight"]["reasons"] == []
    assert "missing-preflight" not in codes(event)


async def test_acrh_mismatch(cors):
    cors.run(preflight(acrh="x-api-key", t=T0), response(204, grant(allow_headers="*")))
    a = fetch(extra=[("X-Api-Key", "k"), ("X-Trace", "1")], t=T0 + 0.05)
    cors.run(a, response(200, ACAO))
    assert "acrh-mismatch" in codes(a.metadata["cors"])
    [w] = [w for w in a.metadata["cors"]["warnings"] if w["code"] == "acrh-mismatch"]
    assert "'x-api-key'" in w["message"] and "'x-api-key,x-trace'" in w["message"]


async def test_unexpected_preflight(cors):
    p = preflight(method="GET", acrh=None, t=T0)
    cors.run(p, response(204, grant(methods="GET", allow_headers=None)))
    reasons = p.metadata["cors"]["preflight"]["reasons"]
    assert [r["code"] for r in reasons] == ["forced-preflight"]
    a = fetch("GET", extra=(), t=T0 + 0.05)
    cors.run(a, response(200, ACAO))
    assert a.metadata["cors"]["preflight"]["flow"] == p.id
    assert "unexpected-preflight" in codes(a.metadata["cors"])
    # The browser did preflight it (an XHR upload listener): the event says so.
    pre = a.metadata["cors"]["preflight"]
    assert pre["needed"] and pre["headers"] == [] and pre["method"] == "GET"
    assert [r["code"] for r in pre["reasons"]] == ["forced-preflight"]


async def test_paired_request_takes_the_announced_headers(cors):
    # Chromium preflights `Range: Bytes=0-1` (ACRH range) but sends `Range: bytes=0-1`.
    p = preflight(method="GET", acrh="range", t=T0)
    cors.run(p, response(204, grant(methods="GET", allow_headers="range")))
    a = fetch("GET", extra=[("Range", "bytes=0-1")], t=T0 + 0.05)
    cors.run(a, response(206, ACAO))
    pre = a.metadata["cors"]["preflight"]
    assert pre["flow"] == p.id and pre["needed"] and pre["headers"] == ["range"]
    assert {"code": "header-not-safelisted", "detail": "range"} in [
        {k: r[k] for k in ("code", "detail")} for r in pre["reasons"]
    ]
    assert "unexpected-preflight" in codes(a.metadata["cors"])


async def test_lower_case_method_pairs_with_its_preflight(cors):
    # fetch(method: 'patch') goes out as 'patch' (only six methods are upper-cased).
    p = preflight(method="patch", acrh=None, t=T0)
    star = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*")]
    cors.run(p, response(204, star))
    a = fetch("patch", extra=(), t=T0 + 0.05)
    cors.run(a, response(200, [("Access-Control-Allow-Origin", "*")]))
    event = a.metadata["cors"]
    assert event["method"] == "patch" and event["preflight"]["method"] == "patch"
    assert event["preflight"]["flow"] == p.id and event["preflight"]["cache"] is None
    cors.addon.tick(T0 + 10)
    assert cors.orphans() == []


async def test_verdict_contradicted(cors):
    p = preflight(t=T0)
    cors.run(p, response(405))
    assert p.metadata["cors"]["verdict"] == "blocked"
    a = fetch(t=T0 + 0.05)
    cors.run(a, response(200, ACAO))
    assert a.metadata["cors"]["preflight"]["flow"] == p.id
    assert "verdict-contradicted" in codes(a.metadata["cors"])


async def test_failed_preflight_clears_the_cache(cors):
    cors.run(preflight(t=T0), response(204, grant(max_age=600)))
    cors.run(fetch(t=T0 + 0.05), response(200, ACAO))
    cors.run(preflight(t=T0 + 10), response(500))
    cors.addon.tick(T0 + 20)
    a = fetch(t=T0 + 30)
    cors.run(a, response(200, ACAO))
    assert a.metadata["cors"]["preflight"]["cache"] is None


# -- orphans ------------------------------------------------------------------------------


async def test_orphan_wildcard_with_credentials(cors, caplog):
    p = preflight(t=T0)
    cors.run(p, response(204, WILDCARD))
    assert p.metadata["cors"]["verdict"] == "allowed"
    cors.addon.tick(T0 + 1)  # within the window
    assert cors.orphans() == []
    cors.addon.tick(T0 + 10)
    [orphan] = cors.orphans()
    assert orphan["flow"] == p.id and orphan["type"] == "orphan"
    assert orphan["method"] == "OPTIONS" and orphan["preflight"]["method"] == "PUT"
    assert orphan["verdict"] == "blocked"
    assert orphan["error"]["code"] == "PreflightWildcardOriginNotAllowed"
    assert "WildcardOriginNotAllowed" in orphan["error"]["code"]
    assert "orphan-preflight" in codes(orphan)
    # the preflight flow learns it too
    assert p.metadata["cors_orphan"] == orphan
    assert p.metadata["cors"]["type"] == "preflight"
    assert p.marked == render.MARK_BLOCKED
    assert "orphan-preflight" in p.comment
    assert "ORPHAN preflight PUT api.test/v1/items from http://app.test" in caplog.text
    cors.addon.tick(T0 + 20)
    assert len(cors.orphans()) == 1  # reported once


async def test_orphan_without_cors_cause(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, grant(credentials=True)))
    cors.addon.tick(T0 + 10)
    [orphan] = cors.orphans()
    assert orphan["verdict"] == "unknown" and orphan["error"] is None
    assert p.marked == render.MARK_PREFLIGHT


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        (WILDCARD, "BLOCKED PreflightWildcardOriginNotAllowed"),
        (grant(credentials=True), "UNKNOWN"),
    ],
)
async def test_an_orphaned_preflights_comment_states_its_final_outcome(cors, fields, outcome):
    """Once a preflight turns into an orphan, its comment says the final outcome, not the
    preflight's own "ALLOWED" with the orphan's verdict run on after it."""
    p = preflight(t=T0)
    cors.run(p, response(204, fields))
    assert p.comment.startswith("ALLOWED: preflight for PUT /v1/items from http://app.test\n")
    cors.addon.tick(T0 + 10)
    lines = p.comment.splitlines()
    assert lines[0] == (
        f"{outcome}: preflight for PUT /v1/items from http://app.test, no request followed"
    )
    assert "ALLOWED" not in p.comment
    assert lines[-1].startswith("! orphan-preflight: No actual request followed this preflight")


async def test_blocked_preflight_is_no_orphan(cors):
    cors.run(preflight(t=T0), response(403))
    cors.addon.tick(T0 + 10)
    assert cors.orphans() == []


async def test_done_reports_pending_live_preflights_only_when_expired(cors):
    cors.run(preflight(t=T0), response(204, WILDCARD))
    cors.addon.done()  # real time is far past T0 + window
    assert [o["verdict"] for o in cors.orphans()] == ["blocked"]


async def test_explain_shows_the_orphan(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, WILDCARD))
    cors.addon.tick(T0 + 10)
    text = cors.addon.explain([p])
    assert "PreflightWildcardOriginNotAllowed" in text and "orphan-preflight" in text


# -- replayed flows -----------------------------------------------------------------------


async def test_replayed_flows_pair_by_their_own_timestamps(cors):
    old = 1_500_000_000.0  # a capture from long ago: real time plays no part
    p = preflight(t=old, live=False)
    cors.run(p, response(204, grant(max_age=600)))
    a = fetch(t=old + 0.05, live=False)
    cors.run(a, response(200, ACAO))
    assert a.metadata["cors"]["preflight"]["flow"] == p.id
    cached = fetch(t=old + 60, live=False)
    cors.run(cached, response(200, ACAO))
    assert cached.metadata["cors"]["preflight"]["cache"]["flow"] == p.id

    lonely = preflight(url=API + "/lonely", t=old + 100, live=False)
    cors.run(lonely, response(204, [("Access-Control-Allow-Origin", "*"), *WILDCARD[1:]]))
    cors.addon.tick(old + 10_000)  # the live clock does not expire replayed preflights
    assert cors.orphans() == []
    nxt = fetch("GET", extra=(), t=old + 101, live=False)
    cors.run(nxt, response(200, ACAO))
    assert cors.orphans() == []  # still within the window, by the flows' clock
    cors.run(fetch("GET", extra=(), t=old + 103, live=False), response(200, ACAO))
    [orphan] = cors.orphans()
    assert orphan["flow"] == lonely.id and orphan["verdict"] == "blocked"


async def test_replayed_request_after_the_window_is_not_paired(cors):
    """The capture's clock decides: an actual request that comes long after the window
    is not paired with the preflight (which became an orphan), exactly as with live
    traffic."""
    old = 1_500_000_000.0
    p = preflight(t=old, live=False)
    cors.run(p, response(204, grant(credentials=True)))
    late = fetch(t=old + 30, live=False)
    cors.run(late, response(200, ACAO))
    assert late.metadata["cors"]["preflight"]["flow"] is None
    assert [o["flow"] for o in cors.orphans()] == [p.id]

    # the same traffic, live
    q = preflight(t=T0)
    cors.run(q, response(204, grant(credentials=True)))
    cors.addon.tick(T0 + 2.5)
    live_late = fetch(t=T0 + 30)
    cors.run(live_late, response(200, ACAO))
    assert live_late.metadata["cors"]["preflight"]["flow"] is None


async def test_live_and_replayed_flows_do_not_pair(cors):
    cors.run(preflight(t=T0), response(204, grant()))
    replayed = fetch(t=T0 + 0.05, live=False)
    cors.run(replayed, response(200, ACAO))
    assert replayed.metadata["cors"]["preflight"]["flow"] is None


async def test_done_flushes_replayed_preflights(cors):
    p = preflight(t=T0, live=False)
    cors.run(p, response(204, WILDCARD))
    cors.addon.done()
    assert [o["flow"] for o in cors.orphans()] == [p.id]


# -- bounded state ------------------------------------------------------------------------

N = 50_000


def test_pairing_state_is_bounded():
    ins = Inspector()
    pairing = ins.pairing
    allow = Headers(
        [
            ("Access-Control-Allow-Origin", APP),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Allow-Headers", "x-api-key"),
            ("Access-Control-Max-Age", "600"),
        ]
    )
    redirect = WireResponse(
        307, Headers([("Access-Control-Allow-Origin", APP), ("Location", "/next")])
    )
    base = [("Origin", APP), ("Sec-Fetch-Mode", "cors")]
    peak = dict(queue=0, keys=0, redirects=0, cache=0)
    for i in range(N // 2):
        url = f"http://api{i % 101}.test/items/{i}"
        t = T0 + i * 0.01
        pre = WireRequest(
            "OPTIONS", url, Headers([*base, ("Access-Control-Request-Method", "PUT")])
        )
        state = ins.begin(pre, client=f"c{i % 7}", time=t, host="h", port=80)
        ins.finish(state, f"p{i}", WireResponse(204, allow))
        # every other preflight is followed by its request (some redirect), the rest orphan
        if i % 2:
            actual = WireRequest("PUT", url, Headers([*base, ("X-Api-Key", "k")]))
            state = ins.begin(actual, client=f"c{i % 7}", time=t + 0.001, host="h", port=80)
            ins.finish(state, f"a{i}", redirect if i % 4 == 1 else WireResponse(200, allow))
        else:
            actual = WireRequest("GET", url + "/x", Headers(base))
            state = ins.begin(actual, client="c", time=t + 0.001, host="h", port=80)
            ins.finish(state, f"g{i}", WireResponse(200, allow))
        if i % 1000 == 0:
            ins.orphans(t - 60)  # only part of the queue expires: it must still stay bounded
        peak["queue"] = max(peak["queue"], len(pairing._queue))
        peak["keys"] = max(peak["keys"], len(pairing._by_key))
        peak["redirects"] = max(peak["redirects"], len(pairing._redirects))
        peak["cache"] = max(peak["cache"], *(len(c) for c in pairing._caches.values()))
    assert peak["queue"] <= pairing.max_pending
    assert peak["keys"] <= pairing.max_pending
    assert peak["redirects"] <= pairing.max_redirects
    assert peak["cache"] <= pairing.cache_entries
    assert len(pairing._caches) <= 3  # one per browser profile
    assert pairing.pending_count() <= pairing.max_pending


async def test_addon_state_is_bounded(cors, monkeypatch):
    """Flows that never finish (killed, or the proxy never saw the response) do not pile
    up; nor do summary rows or preflight flows kept for orphan annotations."""
    monkeypatch.setattr(addon_module, "MAX_INFLIGHT", 100)
    cors.addon.summary = Summary(max_pairs=20)
    for i in range(500):
        f = fetch(url=f"http://h{i}.test/x", t=T0 + i)
        cors.addon.requestheaders(f)
        assert len(cors.addon._inflight) <= 100
    for i in range(200):
        p = preflight(url=f"http://s{i}.test/x", origin=f"http://o{i}.test", t=T0 + i)
        cors.run(p, response(204, grant(origin=f"http://o{i}.test")))
    assert len(cors.addon.summary.pairs) <= 21  # 20 pairs and "(other)"
    assert "(other) -> (other)" in cors.addon.summarize()
    del p
    import gc

    gc.collect()
    assert len(cors.addon._preflight_flows) == 0  # only weak references


@pytest.mark.parametrize("window", [0.5, 5.0])
def test_orphan_window(window):
    ins = Inspector(window=window)
    pre = WireRequest(
        "OPTIONS",
        API,
        Headers([("Origin", APP), ("Access-Control-Request-Method", "PUT")]),
    )
    state = ins.begin(pre, client="c", time=T0, host="api.test", port=80)
    ins.finish(state, "p", WireResponse(204, Headers(grant(credentials=True))))
    assert ins.orphans(T0 + window - 0.01) == []
    [(pending, event)] = ins.orphans(T0 + window + 0.01)
    assert pending.flow == "p" and event["verdict"] == "unknown"


async def test_error_after_the_response_does_not_claim_another_preflight(cors):
    """Two parallel preflighted PUTs to one URL; the first response's body then fails.
    The late error must not take the second preflight away from its request."""
    p1, p2 = preflight(t=T0), preflight(t=T0 + 0.001)
    cors.run(p1, response(204, grant()))
    cors.run(p2, response(204, grant()))
    a1 = fetch(t=T0 + 0.05)
    cors.run(a1, response(200, ACAO))
    a1.error = mflow.Error("connection reset while reading the body")
    cors.addon.error(a1)
    a2 = fetch(t=T0 + 0.06)
    cors.run(a2, response(200, ACAO))
    assert a1.metadata["cors"]["preflight"]["flow"] == p1.id
    assert a2.metadata["cors"]["preflight"]["flow"] == p2.id
    cors.addon.tick(T0 + 10)
    assert cors.orphans() == []


async def test_authorization_added_by_the_browser(cors):
    """Authorization that the preflight did not announce came from the browser's HTTP
    auth cache: it is a credential, not a preflight reason, and no acrh-mismatch."""
    p = preflight(acrh="x-api-key", t=T0)
    cors.run(p, response(204, grant(credentials=True)))
    a = fetch(extra=[("X-Api-Key", "k"), ("Authorization", "Basic dTpw")], t=T0 + 0.05)
    cors.run(a, response(200, [*ACAO, ("Access-Control-Allow-Credentials", "true")]))
    event = a.metadata["cors"]
    assert event["preflight"]["flow"] == p.id
    assert event["credentials"] == "include"
    assert event["preflight"]["headers"] == ["x-api-key"]
    assert "acrh-mismatch" not in codes(event)
    announced = preflight(acrh="authorization,x-api-key", t=T0 + 1)
    cors.run(announced, response(204, grant(allow_headers="authorization, x-api-key")))
    b = fetch(extra=[("X-Api-Key", "k"), ("Authorization", "Bearer t")], t=T0 + 1.05)
    cors.run(b, response(200, ACAO))
    assert b.metadata["cors"]["preflight"]["headers"] == ["authorization", "x-api-key"]
    assert b.metadata["cors"]["credentials"] == "unknown"


async def test_slow_preflight_is_not_an_orphan(cors):
    """The window starts when the preflight's answer arrives: the browser sends the actual
    request right after it, however long the preflight itself took."""
    p = preflight(t=T0)
    cors.run(p, response(204, grant(), t=T0 + 3.0))  # a 3 s preflight
    cors.addon.tick(T0 + 3.01)
    assert cors.orphans() == []
    a = fetch(t=T0 + 3.05)
    cors.run(a, response(200, ACAO))
    assert a.metadata["cors"]["preflight"]["flow"] == p.id
    cors.addon.tick(T0 + 60)
    assert cors.orphans() == []


async def test_slow_preflight_without_request_is_an_orphan(cors):
    p = preflight(t=T0)
    cors.run(p, response(204, WILDCARD, t=T0 + 3.0))
    cors.addon.tick(T0 + 4.0)  # 1 s after the answer: still within the window
    assert cors.orphans() == []
    cors.addon.tick(T0 + 5.5)
    assert [o["flow"] for o in cors.orphans()] == [p.id]


async def test_cross_origin_redirect_names_the_page_origin(cors):
    # B 302 -> X: the browser sends Origin: null to X, but its console names the page origin.
    first = fetch("GET", extra=(), t=T0)
    cors.run(first, response(302, [*ACAO, ("Location", "http://other.test/b")]))
    hop = fetch("GET", url="http://other.test/b", origin="null", extra=(), t=T0 + 0.05)
    cors.run(hop, response(200, ACAO))
    event = hop.metadata["cors"]
    assert event["verdict"] == "blocked" and event["redirected_from"] == API
    assert event["error"]["code"] == "AllowOriginMismatch"
    assert (
        f"(redirected from '{API}') from origin '{APP}' has been blocked"
        in event["error"]["console"]
    )
    assert "Access-Control-Allow-Origin: null" in event["error"]["fix"]  # the wire Origin
