"""engine/decision_fields.py: a request and a response as the decisions see them (the values
no decision reads left out) give every decision the whole fields give.

The live addon without rules decides on these fields (so that exchanges differing only in a
Date or a request id meet the same memoized decisions); offline analysis and a proxy with
rules use the whole fields. Each property runs every base exchange below (each one's verdict,
warnings or classification turns on a value the decisions read) with random fields added,
for every engine, on the whole fields and on the decision fields."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from cors_addon.engine import Headers
from cors_addon.engine import PreflightCache
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine.browsers import ENGINES
from cors_addon.engine.decision_fields import request_decision_fields
from cors_addon.engine.decision_fields import response_decision_fields
from cors_addon.engine.views import engine_views
from cors_addon.pipeline import Inspector
from cors_addon.pipeline import Seen
from cors_addon.rules import FlowFacts
from cors_addon.rules import parse_rules
from cors_addon.rules import rewrite_response

PAGE = "https://app.example"
API = "https://api.example/v1/items"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)
SAFARI = "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15"
Fields = list[tuple[str, str]]

CORS = [("Origin", PAGE), ("Sec-Fetch-Mode", "cors")]
REQUESTS: list[tuple[str, Fields]] = [
    ("GET", [*CORS, ("User-Agent", CHROME)]),
    ("GET", [*CORS, ("User-Agent", SAFARI)]),
    ("POST", [*CORS, ("Content-Type", "application/json"), ("Cookie", "sid=1")]),
    ("POST", [*CORS, ("Content-Type", "text/plain")]),
    ("POST", [("Origin", PAGE), ("Content-Type", "text/plain;charset=utf-8")]),
    ("GET", [*CORS, ("Accept", "application/json")]),
    ("GET", [*CORS, ("Accept", 'a"b')]),
    ("GET", [*CORS, ("Content-Language", "de-DE")]),
    ("GET", [*CORS, ("Content-Language", "de@DE")]),
    ("GET", [*CORS, ("Range", "bytes=0-5")]),
    ("GET", [*CORS, ("Range", "Bytes=0-5")]),
    ("GET", [*CORS, ("Device-Memory", "8")]),
    ("GET", [*CORS, ("Device-Memory", "lots")]),
    ("GET", [*CORS, ("Accept-Language", "x" * 200)]),
    ("GET", [*CORS, ("Cache-Control", "no-cache")]),
    ("GET", [*CORS, ("Cache-Control", "max-stale")]),
    ("GET", [*CORS, ("Pragma", "no-cache")]),
    ("GET", [*CORS, ("X-Requested-With", "XMLHttpRequest")]),
    ("GET", [("Origin", PAGE), ("Upgrade", "websocket"), ("Connection", "Upgrade")]),
    ("GET", [("Origin", PAGE), ("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "script")]),
    ("GET", [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "navigate")]),
    ("GET", [("Origin", "null"), ("Authorization", "Bearer x")]),
    ("GET", [*CORS, ("If-None-Match", '"e1"')]),
    ("OPTIONS", [*CORS, ("Access-Control-Request-Method", "PUT")]),
    (
        "OPTIONS",
        [
            *CORS,
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type,x-requested-with"),
        ],
    ),
    ("OPTIONS", [*CORS, ("Access-Control-Request-Method", "GET")]),
]

RESPONSES: list[tuple[int, Fields]] = [
    (200, [("Access-Control-Allow-Origin", PAGE), ("Vary", "Origin")]),
    (200, [("Access-Control-Allow-Origin", PAGE)]),  # vary-origin-missing
    (200, [("Access-Control-Allow-Origin", PAGE), ("Cache-Control", "no-store")]),
    (200, [("Access-Control-Allow-Origin", PAGE), ("Vary", "Accept-Encoding")]),
    (200, [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "*")]),
    (
        200,
        [
            ("Access-Control-Allow-Origin", PAGE),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "x-request-id, etag"),
        ],
    ),
    (200, [("Access-Control-Allow-Origin", "https://other.example")]),
    (200, [("Access-Control-Allow-Origin", "null")]),
    (200, [("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Origin", PAGE)]),
    (200, []),
    (
        204,
        [
            ("Access-Control-Allow-Origin", PAGE),
            ("Access-Control-Allow-Methods", "PUT, POST"),
            ("Access-Control-Allow-Headers", "content-type, x-requested-with"),
            ("Access-Control-Max-Age", "600"),
        ],
    ),
    (204, [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*")]),
    (204, [("Access-Control-Allow-Origin", PAGE), ("Access-Control-Max-Age", "0")]),
    (302, [("Location", "https://api.example/v2/items"), ("Access-Control-Allow-Origin", PAGE)]),
    (302, [("Location", "/a"), ("Location", "/b"), ("Access-Control-Allow-Origin", "*")]),
    (200, [("Content-Disposition", "a"), ("Content-Disposition", "b")]),
    (200, [("Access-Control-Allow-Origin", PAGE), ("X-Bad", "a\x00b")]),
    (304, [("ETag", '"e1"')]),
    (403, [("Access-Control-Allow-Origin", PAGE)]),
    (200, [("Access-Control-Allow-Origin", PAGE), ("Cross-Origin-Resource-Policy", "same-site")]),
]

# Names whose values the decisions read and names whose values they do not, mixed, with
# values of all sorts: added to a base exchange, on both sides.
NAMES = st.sampled_from(
    [
        "Date",
        "X-Request-Id",
        "ETag",
        "Content-Type",
        "Content-Length",
        "Set-Cookie",
        "Server",
        "Timing-Allow-Origin",
        "X-Custom",
        "Authorization",
        "Cookie",
        "traceparent",
        "If-None-Match",
        "DNT",
        "Content-Language",
        "Range",
        "Pragma",
        "Vary",
        "Age",
    ]
)
VALUES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    st.sampled_from(
        ["", "a\x00b", "caf\xe9", "application/json", "text/plain", "bytes=0-5", "no-cache"]
    ),
)
EXTRA = st.lists(st.tuples(NAMES, VALUES), max_size=5)


def _raw(fields: Fields) -> list[tuple[bytes, bytes]]:
    return [(n.encode(), v.encode("utf-8")) for n, v in fields]


def _request(method: str, raw: list[tuple[bytes, bytes]], whole: bool) -> WireRequest:
    fields = raw if whole else request_decision_fields(raw)
    return WireRequest(method, API, Headers.from_bytes(fields))


def _response(status: int, raw: list[tuple[bytes, bytes]], whole: bool) -> WireResponse:
    fields = raw if whole else response_decision_fields(raw)
    return WireResponse(status, Headers.from_bytes(fields))


def _decisions(req: WireRequest, resp: WireResponse) -> list[object]:
    out: list[object] = []
    for profile in ENGINES:
        c = classify(req, profile)
        verdict = judge(req, c, resp, profile)
        out += [c, verdict, engine_views(req, c, resp, profile, verdict)]
    return out


@settings(max_examples=60, deadline=None)
@given(extra=EXTRA)
def test_every_decision_is_the_same_on_a_requests_decision_fields(
    extra: list[tuple[str, str]],
) -> None:
    responses = [_response(s, _raw(f), True) for s, f in RESPONSES]
    for method, fields in REQUESTS:
        raw = _raw([*fields, *extra])
        whole, seen = _request(method, raw, True), _request(method, raw, False)
        for resp in responses:
            assert _decisions(seen, resp) == _decisions(whole, resp), (method, fields, resp)


@settings(max_examples=60, deadline=None)
@given(extra=EXTRA)
def test_every_decision_is_the_same_on_a_responses_decision_fields(
    extra: list[tuple[str, str]],
) -> None:
    requests = [_request(m, _raw(f), True) for m, f in REQUESTS]
    for status, fields in RESPONSES:
        raw = _raw([*fields, *extra])
        whole, seen = _response(status, raw, True), _response(status, raw, False)
        for req in requests:
            assert _decisions(req, seen) == _decisions(req, whole), (req, status, fields)
        for profile in ENGINES:
            key = (PAGE, "https://api.example", API)
            entries = [
                PreflightCache(profile).store(key, "f", 1.0, r, False) for r in (whole, seen)
            ]
            assert entries[0] == entries[1]


@settings(max_examples=25, deadline=None)
@given(
    extra_request=EXTRA,
    extra_response=EXTRA,
    order=st.permutations(range(len(REQUESTS))),
)
def test_the_per_flow_sequence_gives_the_same_events_on_the_decision_fields(
    extra_request: list[tuple[str, str]],
    extra_response: list[tuple[str, str]],
    order: list[int],
) -> None:
    """The whole sequence (the engine from each User-Agent, pairing, the preflight cache,
    orphans), as the live addon runs it without rules and as analyze runs it."""
    runs = []
    for whole in (True, False):
        inspector = Inspector()
        events = []
        t = 1_000.0
        for i in order:
            method, fields = REQUESTS[i]
            status, resp_fields = RESPONSES[i % len(RESPONSES)]
            req = _request(method, _raw([*fields, *extra_request]), whole)
            resp = _response(status, _raw([*resp_fields, *extra_response]), whole)
            orphans, done = inspector.run(Seen(req, t, client="c"), f"f{i}", resp)
            events += [event for _, event in orphans]
            if done is not None:
                events.append(done.event)
            t += 0.5
        events += [event for _, event in inspector.orphans(t + 600)]
        runs.append(events)
    assert runs[0] == runs[1]


def test_only_the_values_no_decision_reads_are_left_out() -> None:
    fields = _raw(
        [
            ("Date", "Mon, 23 Nov 2026 09:29:54 GMT"),
            ("Access-Control-Allow-Origin", PAGE),
            ("X-Request-Id", "92eead96"),
            ("access-control-expose-headers", "x-request-id"),
            ("Location", "/next"),
            ("Vary", "Origin"),
            ("Cache-Control", "no-store"),
            ("Content-Disposition", "attachment"),
            ("Cross-Origin-Resource-Policy", "same-site"),
            ("X-Bad", "a\x00b"),  # invalid-http reads it
            ("Set-Cookie", "sid=1"),
        ]
    )
    kept = {b"Date": b"", b"X-Request-Id": b"", b"Set-Cookie": b""}
    assert response_decision_fields(fields) == tuple((n, kept.get(n, v)) for n, v in fields)
    # two responses that differ only in such values are one to every decision
    other = [(n, b"other" if n in kept else v) for n, v in fields]
    assert response_decision_fields(other) == response_decision_fields(fields)


def test_a_requests_unread_values_are_left_out() -> None:
    fields = _raw(
        [
            ("Origin", PAGE),
            ("X-Request-Id", "1-17"),
            ("Authorization", "Bearer abc"),
            ("Content-Type", "application/json"),
            ("Sec-Fetch-Mode", "cors"),
            ("Access-Control-Request-Headers", "x-request-id"),
            ("Cookie", "sid=1"),
            ("Device-Memory", "8"),  # Chromium safelists it, by its value
            ("Referer", PAGE + "/"),  # the proxy-bypass hint reads it
        ]
    )
    kept = {b"X-Request-Id": b"", b"Authorization": b"", b"Cookie": b""}
    assert request_decision_fields(fields) == tuple((n, kept.get(n, v)) for n, v in fields)


RULES = parse_rules(
    (Path(__file__).parents[1] / "golden" / "rules.toml").read_text()
    + """
[[rules]]
name = "expose all, strip plumbing"
allow_origin = "reflect"
allow_credentials = "auto"
expose_headers = "all"
strip = ["x-*", "server", "vary"]
errors = true

[[rules]]
name = "star, reflect what a preflight asks"
allow_origin = "*"
allow_methods = "*"
allow_headers = "reflect"
max_age = 60
preflight = "fix"
"""
).rules
FACTS = [
    FlowFacts("api.example", 443, "/v1/items", PAGE, "GET", False, None, False),
    FlowFacts("api.example", 443, "/v1/items", PAGE, "POST", False, None, True),
    FlowFacts("api.example", 443, "/v1/items", PAGE, "PUT", True, "content-type,x-token", False),
    FlowFacts("api.example", 443, "/v1/items", "null", "DELETE", True, None, True),
]


@settings(max_examples=40, deadline=None)
@given(extra=EXTRA)
def test_a_rule_rewrites_the_same_on_a_responses_decision_fields(
    extra: list[tuple[str, str]],
) -> None:
    """The proxy decides a rule's rewrite on the decision fields and applies it to all of the
    response's fields: the same response as the rewrite decided on all of them."""
    for status, fields in RESPONSES:
        raw = _raw([*fields, *extra])
        whole = Headers.from_bytes(raw).fields
        seen = Headers.from_bytes(response_decision_fields(raw)).fields
        for rule in RULES:
            for facts in FACTS:
                rewrite = rewrite_response(rule, facts, status, whole)
                assert rewrite_response(rule, facts, status, seen) == rewrite, (rule.name, facts)
