"""The preflight check in Chromium's order (cors-reference.md 2.2): redirect, Preflight* ACAO/ACAC,
status, ACAM parse, ACAH parse, method, headers; Safari checks the status first."""

from __future__ import annotations

import pytest
from engine_builders import ACAC
from engine_builders import ACAH
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import preflight_req
from engine_builders import resp
from engine_builders import warning_codes

from cors_addon.engine import CHROMIUM
from cors_addon.engine import FIREFOX
from cors_addon.engine import SAFARI
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine import judge_preflight
from cors_addon.engine import preflight_check

EXACT = (ACAO, PAGE)
STAR = (ACAO, "*")
TRUE = (ACAC, "true")
LOC = ("Location", "https://api.example/r/")


def run(announced, status, fields, credentials=False, profile=CHROMIUM):
    pre = preflight_req(*announced)
    c = classify(pre, profile)
    assert c.is_preflight
    return judge_preflight(pre, c, resp(status, *fields), profile, credentials=credentials)


# (id, (ACRM, ACRH), status, response fields, credentials, failure id or None, hint)
ORDER_CASES = [
    ("ok", ("PUT", None), 204, [EXACT, (ACAM, "PUT")], False, None, None),
    ("ok-200", ("PUT", None), 200, [STAR, (ACAM, "PUT")], False, None, None),
    ("ok-299", ("PUT", None), 299, [STAR, (ACAM, "PUT")], False, None, None),
    # 1: a redirect fails before anything else.
    ("redirect-302", ("PUT", None), 302, [LOC], False, "preflight-redirect", "302"),
    (
        "redirect-301-acao",
        ("PUT", None),
        301,
        [STAR, (ACAM, "PUT"), LOC],
        False,
        "preflight-redirect",
        "301",
    ),
    ("redirect-307", ("PUT", None), 307, [EXACT, LOC], True, "preflight-redirect", "307"),
    ("redirect-308", ("PUT", None), 308, [LOC], False, "preflight-redirect", "308"),
    # 300, 304 and 306 are no redirect statuses, even with a Location (Chromium 156
    # PreflightInvalidStatus; WPT fetch/api/cors/cors-preflight-status.any.js).
    # (300 was counted as a redirect: PreflightDisallowedRedirect.)
    (
        "300-with-location",
        ("PUT", None),
        300,
        [STAR, (ACAM, "PUT"), LOC],
        False,
        "preflight-status-not-ok",
        "300",
    ),
    ("304-with-location", ("PUT", None), 304, [STAR, LOC], False, "preflight-status-not-ok", "304"),
    ("306-with-location", ("PUT", None), 306, [STAR, LOC], False, "preflight-status-not-ok", "306"),
    # A 3xx without Location is no redirect: ACAO first, then the status.
    (
        "3xx-no-location",
        ("PUT", None),
        302,
        [STAR, (ACAM, "PUT")],
        False,
        "preflight-status-not-ok",
        "302",
    ),
    ("3xx-no-location-no-acao", ("PUT", None), 302, [], False, "preflight-acao-missing", ""),
    # 2: ACAO/ACAC before the status.
    ("404-no-cors", ("PUT", None), 404, [], False, "preflight-acao-missing", ""),
    ("401-no-cors", ("GET", "authorization"), 401, [], False, "preflight-acao-missing", ""),
    (
        "500-mismatch",
        ("PUT", None),
        500,
        [(ACAO, PAGE + "/")],
        False,
        "preflight-acao-mismatch",
        PAGE + "/",
    ),
    (
        "403-multiple",
        ("PUT", None),
        403,
        [EXACT, EXACT],
        False,
        "preflight-acao-multiple",
        f"{PAGE}, {PAGE}",
    ),
    (
        "405-invalid",
        ("PUT", None),
        405,
        [(ACAO, "app.example")],
        False,
        "preflight-acao-invalid",
        "app.example",
    ),
    (
        "star-with-creds",
        ("PUT", None),
        200,
        [STAR, TRUE, (ACAM, "PUT")],
        True,
        "preflight-acao-wildcard-with-credentials",
        "*",
    ),
    (
        "acac-absent-with-creds",
        ("PUT", None),
        200,
        [EXACT, (ACAM, "PUT")],
        True,
        "preflight-acac-not-true",
        "",
    ),
    (
        "acac-True-with-creds",
        ("PUT", None),
        200,
        [EXACT, (ACAC, "True"), (ACAM, "PUT")],
        True,
        "preflight-acac-not-true",
        "True",
    ),
    ("acac-absent-before-status", ("PUT", None), 500, [EXACT], True, "preflight-acac-not-true", ""),
    # 3: the status, once the origin passed.
    (
        "404-with-cors",
        ("PUT", None),
        404,
        [STAR, (ACAM, "PUT")],
        False,
        "preflight-status-not-ok",
        "404",
    ),
    (
        "405-with-cors",
        ("PUT", None),
        405,
        [EXACT, (ACAM, "PUT")],
        False,
        "preflight-status-not-ok",
        "405",
    ),
    (
        "status-before-acam-parse",
        ("PUT", None),
        500,
        [STAR, (ACAM, "GET POST")],
        False,
        "preflight-status-not-ok",
        "500",
    ),
    # 4, 5: ACAM then ACAH parsing; empty items are skipped.
    (
        "acam-space",
        ("PUT", None),
        200,
        [STAR, (ACAM, "GET POST")],
        False,
        "preflight-acam-unparseable",
        "GET POST",
    ),
    (
        "acam-semicolon",
        ("DELETE", None),
        200,
        [STAR, (ACAM, "GET;DELETE")],
        False,
        "preflight-acam-unparseable",
        "GET;DELETE",
    ),
    (
        "acam-quoted",
        ("PUT", None),
        200,
        [STAR, (ACAM, 'GET, "PUT"')],
        False,
        "preflight-acam-unparseable",
        '"PUT"',
    ),
    (
        "acam-parsed-for-post",
        ("POST", "content-type"),
        200,
        [STAR, (ACAM, "GET POST"), (ACAH, "content-type")],
        False,
        "preflight-acam-unparseable",
        "GET POST",
    ),
    (
        "acam-before-acah",
        ("PUT", "x-foo"),
        200,
        [STAR, (ACAM, "PUT;"), (ACAH, "X-Foo;")],
        False,
        "preflight-acam-unparseable",
        "PUT;",
    ),
    (
        "acam-empty-items",
        ("DELETE", None),
        200,
        [STAR, (ACAM, " , PUT,,DELETE ,")],
        False,
        None,
        None,
    ),
    (
        "acah-semicolon",
        ("GET", "x-foo"),
        200,
        [STAR, (ACAH, "X-Foo;")],
        False,
        "preflight-acah-unparseable",
        "X-Foo;",
    ),
    (
        "acah-space",
        ("POST", "content-type"),
        200,
        [STAR, (ACAH, "Content-Type X-Foo")],
        False,
        "preflight-acah-unparseable",
        "Content-Type X-Foo",
    ),
    (
        "acah-parsed-without-headers",
        ("PUT", None),
        200,
        [STAR, (ACAM, "PUT"), (ACAH, "a b")],
        False,
        "preflight-acah-unparseable",
        "a b",
    ),
    ("acah-empty-items", ("GET", "x-a,x-b"), 200, [STAR, (ACAH, "x-a,,x-b,")], False, None, None),
    # 6: the method, case-sensitive; safelisted methods need no listing.
    (
        "method-missing",
        ("DELETE", None),
        200,
        [STAR],
        False,
        "preflight-method-not-allowed",
        "DELETE",
    ),
    (
        "method-other",
        ("PUT", None),
        200,
        [STAR, (ACAM, "GET, DELETE")],
        False,
        "preflight-method-not-allowed",
        "PUT",
    ),
    ("method-listed", ("PUT", None), 200, [STAR, (ACAM, "GET, PUT")], False, None, None),
    (
        "method-lower-listed",
        ("PUT", None),
        200,
        [STAR, (ACAM, "put")],
        False,
        "preflight-method-not-allowed",
        "PUT",
    ),
    (
        "method-patch-vs-PATCH",
        ("patch", None),
        200,
        [STAR, (ACAM, "PATCH")],
        False,
        "preflight-method-not-allowed",
        "patch",
    ),
    ("method-patch-listed", ("patch", None), 200, [STAR, (ACAM, "patch")], False, None, None),
    (
        "method-get-unlisted",
        ("GET", "x-foo"),
        200,
        [STAR, (ACAM, "PUT"), (ACAH, "x-foo")],
        False,
        None,
        None,
    ),
    ("method-head-unlisted", ("HEAD", "x-foo"), 200, [STAR, (ACAH, "x-foo")], False, None, None),
    (
        "method-post-unlisted",
        ("POST", "content-type"),
        200,
        [STAR, (ACAM, "GET"), (ACAH, "content-type")],
        False,
        None,
        None,
    ),
    ("method-star", ("PUT", None), 200, [STAR, (ACAM, "*")], False, None, None),
    (
        "method-star-creds",
        ("PUT", None),
        200,
        [EXACT, TRUE, (ACAM, "*")],
        True,
        "preflight-method-not-allowed",
        "PUT",
    ),
    (
        "method-star-creds-listed",
        ("PUT", None),
        200,
        [EXACT, TRUE, (ACAM, "*, PUT")],
        True,
        None,
        None,
    ),
    (
        "method-before-headers",
        ("DELETE", "x-foo"),
        200,
        [STAR],
        False,
        "preflight-method-not-allowed",
        "DELETE",
    ),
    # 7: the headers, case-insensitive; '*' only without credentials.
    ("header-case", ("GET", "x-foo"), 200, [STAR, (ACAH, "X-FOO")], False, None, None),
    (
        "header-missing",
        ("GET", "x-bar,x-foo"),
        200,
        [STAR, (ACAH, "x-foo")],
        False,
        "preflight-header-not-allowed",
        "x-bar",
    ),
    (
        "header-none-allowed",
        ("POST", "content-type"),
        204,
        [STAR],
        False,
        "preflight-header-not-allowed",
        "content-type",
    ),
    ("header-star", ("GET", "x-bar,x-foo"), 200, [STAR, (ACAH, "*")], False, None, None),
    (
        "header-star-creds",
        ("GET", "x-foo"),
        200,
        [EXACT, TRUE, (ACAH, "*")],
        True,
        "preflight-header-not-allowed",
        "x-foo",
    ),
    (
        "header-star-creds-listed",
        ("GET", "x-foo"),
        200,
        [EXACT, TRUE, (ACAH, "*, X-Foo")],
        True,
        None,
        None,
    ),
    ("auth-star", ("GET", "authorization"), 200, [STAR, (ACAH, "*")], False, None, None),
    (
        "auth-listed",
        ("GET", "authorization"),
        200,
        [STAR, (ACAH, "Authorization")],
        False,
        None,
        None,
    ),
    (
        "auth-star-creds",
        ("GET", "authorization"),
        200,
        [EXACT, TRUE, (ACAH, "*")],
        True,
        "preflight-header-not-allowed",
        "authorization",
    ),
]


@pytest.mark.parametrize(
    ("announced", "status", "fields", "credentials", "failure", "hint"), cases(ORDER_CASES)
)
def test_chromium_preflight_order(announced, status, fields, credentials, failure, hint):
    v = run(announced, status, fields, credentials)
    if failure is None:
        assert v.verdict == "allowed" and v.error is None
        return
    assert v.verdict == "blocked"
    assert v.error.id == failure
    pre = preflight_req(*announced)
    c = classify(pre)
    direct = preflight_check(
        PAGE, c.preflight.method, c.preflight.headers, resp(status, *fields), credentials
    )
    assert direct is not None and (direct.id, direct.hint) == (failure, hint)


# Failure id -> (Chromium CorsError, Firefox reason), cors-reference.md 2.2.
NAMES = {
    "preflight-redirect": ("PreflightDisallowedRedirect", "CORSExternalRedirectNotAllowed"),
    "preflight-acao-missing": ("PreflightMissingAllowOriginHeader", "CORSMissingAllowOrigin"),
    "preflight-acao-mismatch": ("PreflightAllowOriginMismatch", "CORSAllowOriginNotMatchingOrigin"),
    "preflight-acao-invalid": (
        "PreflightInvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
    ),
    "preflight-acao-multiple": (
        "PreflightMultipleAllowOriginValues",
        "CORSMultipleAllowOriginNotAllowed",
    ),
    "preflight-acao-wildcard-with-credentials": (
        "PreflightWildcardOriginNotAllowed",
        "CORSNotSupportingCredentials",
    ),
    "preflight-acac-not-true": ("PreflightInvalidAllowCredentials", "CORSMissingAllowCredentials"),
    "preflight-status-not-ok": ("PreflightInvalidStatus", "CORSPreflightDidNotSucceed"),
    "preflight-acam-unparseable": (
        "InvalidAllowMethodsPreflightResponse",
        "CORSInvalidAllowMethod",
    ),
    "preflight-acah-unparseable": (
        "InvalidAllowHeadersPreflightResponse",
        "CORSInvalidAllowHeader",
    ),
    "preflight-method-not-allowed": ("MethodDisallowedByPreflightResponse", "CORSMethodNotFound"),
    "preflight-header-not-allowed": (
        "HeaderDisallowedByPreflightResponse",
        "CORSMissingAllowHeaderFromPreflight",
    ),
}


@pytest.mark.parametrize(
    ("announced", "status", "fields", "credentials", "failure", "hint"),
    cases([case for case in ORDER_CASES if case[5] is not None]),
)
def test_preflight_error_names(announced, status, fields, credentials, failure, hint):
    v = run(announced, status, fields, credentials)
    assert (v.error.code, v.error.firefox) == NAMES[failure]


def test_firefox_single_line_multiple_acao_on_a_preflight():
    v = run(("PUT", None), 200, [(ACAO, f"{PAGE}, https://b.example")])
    assert v.error.code == "PreflightMultipleAllowOriginValues"
    assert v.error.firefox == "CORSAllowOriginNotMatchingOrigin"


def test_authorization_covered_by_wildcard_is_allowed_with_a_warning():
    v = run(("GET", "authorization"), 200, [STAR, (ACAH, "*")])
    assert v.verdict == "allowed"
    assert "authorization-covered-by-wildcard" in warning_codes(v)
    for acah in ("authorization", "*, Authorization", "x-foo, AUTHORIZATION"):
        v = run(("GET", "authorization"), 200, [STAR, (ACAH, acah)])
        assert v.verdict == "allowed"
        assert "authorization-covered-by-wildcard" not in warning_codes(v)


def test_no_authorization_warning_without_authorization():
    v = run(("GET", "x-foo"), 200, [STAR, (ACAH, "*")])
    assert "authorization-covered-by-wildcard" not in warning_codes(v)


# Safari checks the status before Allow-Origin; Firefox, like Chromium, after.
PROFILE_CASES = [
    ("safari-404-no-cors", SAFARI, 404, [], "preflight-status-not-ok"),
    ("safari-500-mismatch", SAFARI, 500, [(ACAO, "https://b.example")], "preflight-status-not-ok"),
    ("safari-200-no-acao", SAFARI, 200, [(ACAM, "PUT")], "preflight-acao-missing"),
    ("safari-302", SAFARI, 302, [LOC], "preflight-redirect"),
    ("safari-ok", SAFARI, 204, [STAR, (ACAM, "PUT")], None),
    ("firefox-404-no-cors", FIREFOX, 404, [], "preflight-acao-missing"),
    ("firefox-404-with-cors", FIREFOX, 404, [STAR, (ACAM, "PUT")], "preflight-status-not-ok"),
    ("chromium-404-no-cors", CHROMIUM, 404, [], "preflight-acao-missing"),
]


@pytest.mark.parametrize(("profile", "status", "fields", "failure"), cases(PROFILE_CASES))
def test_profile_order(profile, status, fields, failure):
    v = run(("PUT", None), status, fields, profile=profile)
    assert (v.error.id if v.error else None) == failure


def test_chromium_notes_that_safari_would_report_the_status():
    v = run(("PUT", None), 404, [])
    assert "safari-reports-status" in warning_codes(v)
    assert "status-hidden" in warning_codes(v)


def test_judge_dispatches_a_preflight():
    pre = preflight_req("DELETE")
    v = judge(pre, classify(pre), resp(204, STAR))
    assert v.error.code == "MethodDisallowedByPreflightResponse"


def test_preflight_without_response_is_a_network_error():
    pre = preflight_req("PUT")
    v = judge_preflight(pre, classify(pre), None, error_text="connection refused")
    assert v.verdict == "blocked"
    assert v.error.id == "network-error" and v.error.firefox == "CORSDidNotSucceed"
    assert "connection refused" in v.error.message
