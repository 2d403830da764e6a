"""Warnings next to a verdict: what the page would see with credentials, hidden statuses and
headers, caching hazards, revalidations, legacy PNA preflights, inferred modes."""

from __future__ import annotations

import pytest
from engine_builders import ACAC
from engine_builders import ACAH
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import ACEH
from engine_builders import API
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import cors_req
from engine_builders import judged
from engine_builders import preflight_req
from engine_builders import regression
from engine_builders import req
from engine_builders import resp
from engine_builders import warning_codes

from cors_addon.engine import classify
from cors_addon.engine import judge_preflight

EXACT = (ACAO, PAGE)
STAR = (ACAO, "*")
TRUE = (ACAC, "true")
VARY = ("Vary", "Origin")
PNA = ("Access-Control-Request-Private-Network", "true")

# (id, request, response, verdict, warnings present, warnings absent)
ACTUAL_CASES = [
    (
        "creds-would-block-star",
        cors_req("GET"),
        resp(200, STAR),
        "allowed",
        {"credentials-would-block"},
        set(),
    ),
    (
        "creds-would-block-no-acac",
        cors_req("GET"),
        resp(200, EXACT, VARY),
        "allowed",
        {"credentials-would-block"},
        set(),
    ),
    (
        "creds-shown-and-passing",
        cors_req("GET", cookie=True),
        resp(200, EXACT, TRUE, VARY),
        "allowed",
        set(),
        {"credentials-would-block"},
    ),
    (
        "creds-pass-either-way",
        cors_req("GET"),
        resp(200, EXACT, TRUE, VARY),
        "allowed",
        set(),
        {"credentials-would-block"},
    ),
    ("status-hidden-404", cors_req("GET"), resp(404), "blocked", {"status-hidden"}, set()),
    (
        "status-hidden-500-creds",
        cors_req("GET", cookie=True),
        resp(500, STAR),
        "blocked",
        {"status-hidden"},
        set(),
    ),
    ("status-not-hidden-200", cors_req("GET"), resp(200), "blocked", set(), {"status-hidden"}),
    (
        "status-readable-403",
        cors_req("GET"),
        resp(403, STAR),
        "allowed",
        set(),
        {"status-hidden"},
    ),
    (
        "headers-not-exposed",
        cors_req("GET"),
        resp(200, STAR, ("X-Request-Id", "1")),
        "allowed",
        {"headers-not-exposed"},
        set(),
    ),
    (
        "headers-exposed",
        cors_req("GET"),
        resp(200, STAR, ("X-Request-Id", "1"), (ACEH, "x-request-id")),
        "allowed",
        set(),
        {"headers-not-exposed"},
    ),
    (
        "headers-exposed-by-star",
        cors_req("GET"),
        resp(200, STAR, ("X-Request-Id", "1"), (ACEH, "*")),
        "allowed",
        set(),
        {"headers-not-exposed", "expose-headers-wildcard-with-credentials"},
    ),
    (
        "safelisted-and-plumbing-headers",
        cors_req("GET"),
        resp(
            200,
            STAR,
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-cache"),
            ("Content-Length", "2"),
            ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("Server", "x"),
            ("Vary", "Accept-Encoding"),
        ),
        "allowed",
        set(),
        {"headers-not-exposed"},
    ),
    (
        "vary-origin-missing",
        cors_req("GET"),
        resp(200, EXACT),
        "allowed",
        {"vary-origin-missing"},
        set(),
    ),
    (
        "vary-origin-present",
        cors_req("GET"),
        resp(200, EXACT, ("Vary", "Accept-Encoding, Origin")),
        "allowed",
        set(),
        {"vary-origin-missing"},
    ),
    (
        "vary-star",
        cors_req("GET"),
        resp(200, EXACT, ("Vary", "*")),
        "allowed",
        set(),
        {"vary-origin-missing"},
    ),
    (
        "vary-not-needed-no-store",
        cors_req("GET"),
        resp(200, EXACT, ("Cache-Control", "private, no-store")),
        "allowed",
        set(),
        {"vary-origin-missing"},
    ),
    (
        "vary-not-needed-star",
        cors_req("GET"),
        resp(200, STAR),
        "allowed",
        set(),
        {"vary-origin-missing"},
    ),
    (
        "expose-star-with-creds",
        cors_req("GET", cookie=True),
        resp(200, EXACT, TRUE, VARY, (ACEH, "*"), ("X-Request-Id", "1")),
        "allowed",
        {"expose-headers-wildcard-with-credentials", "headers-not-exposed"},
        set(),
    ),
    (
        "revalidation-304",
        cors_req("GET", ("If-None-Match", '"v1"')),
        resp(304),
        "allowed",
        {"revalidation-304"},
        {"status-hidden"},
    ),
    (
        "revalidation-304-if-modified-since",
        cors_req("GET", ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")),
        resp(304, ("ETag", '"v1"')),
        "allowed",
        {"revalidation-304"},
        set(),
    ),
    regression(
        "revalidation-304-foreign-acao",
        cors_req("GET", ("If-None-Match", '"v1"')),
        resp(304, (ACAO, "http://other.origin.example")),
        "blocked",
        {"revalidation-304"},
        set(),
        reason="a 304's Allow-Origin replaces the stored one and the merged response is"
        " checked (all three engines; WPT cors/304.htm): it was reported allowed",
    ),
    (
        "revalidation-304-acao-without-acac",
        cors_req("GET", ("If-None-Match", '"v1"'), cookie=True),
        resp(304, EXACT),
        "allowed",
        {"revalidation-304"},
        set(),
    ),
    (
        "revalidation-304-star-with-cookie",
        cors_req("GET", ("If-None-Match", '"v1"'), cookie=True),
        resp(304, STAR),
        "blocked",
        {"revalidation-304"},
        set(),
    ),
    (
        "plain-304-is-checked",
        cors_req("GET"),
        resp(304),
        "blocked",
        set(),
        {"revalidation-304"},
    ),
    (
        "mode-inferred",
        req("GET", API, ("Origin", PAGE)),
        resp(200, STAR),
        "allowed",
        {"mode-inferred"},
        set(),
    ),
    ("mode-known", cors_req("GET"), resp(200, STAR), "allowed", set(), {"mode-inferred"}),
    (
        "mode-inferred-on-block",
        req("PUT", API, ("Origin", PAGE)),
        resp(200),
        "blocked",
        {"mode-inferred"},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("request_", "response", "verdict", "present", "absent"), cases(ACTUAL_CASES)
)
def test_actual_response_warnings(request_, response, verdict, present, absent):
    v = judged(request_, response)
    assert v.verdict == verdict
    codes = warning_codes(v)
    assert present <= codes
    assert not absent & codes
    assert all(w.message for w in v.warnings)


def test_credentials_would_block_names_the_error():
    v = judged(cors_req("GET"), resp(200, STAR))
    assert v.error_with_credentials.code == "WildcardOriginNotAllowed"
    v = judged(cors_req("GET"), resp(200, EXACT, VARY))
    assert v.error_with_credentials.code == "InvalidAllowCredentials"
    (warning,) = [w for w in v.warnings if w.code == "credentials-would-block"]
    assert v.error_with_credentials.message in warning.message


def test_headers_not_exposed_names_the_headers():
    v = judged(cors_req("GET"), resp(200, STAR, ("X-Request-Id", "1"), ("X-Total", "2")))
    (warning,) = [w for w in v.warnings if w.code == "headers-not-exposed"]
    assert "x-request-id" in warning.message and "x-total" in warning.message


# Preflights: (id, (ACRM, ACRH, extra fields), status, fields, verdict, present, absent)
PREFLIGHT_CASES = [
    (
        "creds-would-block-star",
        ("PUT", None),
        204,
        [STAR, (ACAM, "PUT")],
        "allowed",
        {"credentials-would-block"},
        set(),
    ),
    (
        "creds-would-block-acam-star",
        ("PUT", None),
        204,
        [EXACT, TRUE, (ACAM, "*")],
        "allowed",
        {"credentials-would-block"},
        set(),
    ),
    (
        "creds-would-block-acah-star",
        ("GET", "x-foo"),
        204,
        [EXACT, TRUE, (ACAH, "*")],
        "allowed",
        {"credentials-would-block"},
        set(),
    ),
    (
        "passes-either-way",
        ("PUT", None),
        204,
        [EXACT, TRUE, (ACAM, "PUT")],
        "allowed",
        set(),
        {"credentials-would-block"},
    ),
    ("status-hidden", ("PUT", None), 404, [], "blocked", {"status-hidden"}, set()),
    (
        "status-is-the-error",
        ("PUT", None),
        404,
        [STAR, (ACAM, "PUT")],
        "blocked",
        set(),
        {"status-hidden"},
    ),
    (
        "legacy-pna",
        ("PUT", None, PNA),
        204,
        [STAR, (ACAM, "PUT")],
        "allowed",
        {"legacy-pna-preflight"},
        set(),
    ),
    (
        "no-mode-warning-on-preflights",
        ("PUT", None),
        204,
        [STAR, (ACAM, "PUT")],
        "allowed",
        set(),
        {"mode-inferred"},
    ),
]


@pytest.mark.parametrize(
    ("announced", "status", "fields", "verdict", "present", "absent"), cases(PREFLIGHT_CASES)
)
def test_preflight_warnings(announced, status, fields, verdict, present, absent):
    method, acrh, *extra = announced
    pre = preflight_req(method, acrh, *extra)
    v = judge_preflight(pre, classify(pre), resp(status, *fields))
    assert v.verdict == verdict
    codes = warning_codes(v)
    assert present <= codes
    assert not absent & codes


def test_preflight_credentials_alternative():
    pre = preflight_req("PUT")
    v = judge_preflight(pre, classify(pre), resp(204, STAR, (ACAM, "PUT")))
    assert v.error_with_credentials.code == "PreflightWildcardOriginNotAllowed"
    v = judge_preflight(pre, classify(pre), resp(204, STAR, (ACAM, "PUT")), credentials=True)
    assert v.verdict == "blocked"
    assert v.error.code == "PreflightWildcardOriginNotAllowed"
    assert v.error_with_credentials is None


def test_failing_pna_only_preflight_does_not_block():
    pre = preflight_req("GET", None, PNA)
    v = judge_preflight(pre, classify(pre), resp(404))
    assert "legacy-pna-preflight" in warning_codes(v)
    assert v.verdict != "blocked"
