"""The CORS check of actual and redirect responses: the ACAO/ACAC matrix of
cors-reference.md 2.1, Chromium's classification order, Firefox's codes, and section 4."""

from __future__ import annotations

import pytest
from engine_builders import ACAC
from engine_builders import ACAO
from engine_builders import API
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import cors_req
from engine_builders import judged
from engine_builders import regression
from engine_builders import resp

from cors_addon.engine import cors_check
from cors_addon.engine import is_redirect
from cors_addon.engine import location_url

EXACT = (ACAO, PAGE)
STAR = (ACAO, "*")
TRUE = (ACAC, "true")

# (id, origin, credentials include (Cookie sent), response fields, status,
#  failure id or None, Chromium CorsError, Firefox reason, hint)
MATRIX = [
    ("star", PAGE, False, [STAR], 200, None, None, None, None),
    ("star-acac-true", PAGE, False, [STAR, TRUE], 200, None, None, None, None),
    ("exact", PAGE, False, [EXACT], 200, None, None, None, None),
    ("exact-whitespace", PAGE, False, [(ACAO, f"  {PAGE}\t")], 200, None, None, None, None),
    ("exact-creds-true", PAGE, True, [EXACT, TRUE], 200, None, None, None, None),
    ("exact-creds-true-ws", PAGE, True, [EXACT, (ACAC, " true ")], 200, None, None, None, None),
    ("null-null", "null", False, [(ACAO, "null")], 200, None, None, None, None),
    ("null-star", "null", False, [STAR], 200, None, None, None, None),
    ("status-403-allowed", PAGE, False, [STAR], 403, None, None, None, None),
    ("status-500-allowed", PAGE, False, [EXACT], 500, None, None, None, None),
    (
        "missing",
        PAGE,
        False,
        [],
        200,
        "acao-missing",
        "MissingAllowOriginHeader",
        "CORSMissingAllowOrigin",
        "",
    ),
    (
        "missing-500",
        PAGE,
        False,
        [("Content-Type", "text/html")],
        500,
        "acao-missing",
        "MissingAllowOriginHeader",
        "CORSMissingAllowOrigin",
        "",
    ),
    (
        "missing-with-creds",
        PAGE,
        True,
        [TRUE],
        200,
        "acao-missing",
        "MissingAllowOriginHeader",
        "CORSMissingAllowOrigin",
        "",
    ),
    (
        "multiple-two-lines",
        PAGE,
        False,
        [EXACT, EXACT],
        200,
        "acao-multiple",
        "MultipleAllowOriginValues",
        "CORSMultipleAllowOriginNotAllowed",
        f"{PAGE}, {PAGE}",
    ),
    (
        "multiple-two-lines-star",
        PAGE,
        False,
        [STAR, STAR],
        200,
        "acao-multiple",
        "MultipleAllowOriginValues",
        "CORSMultipleAllowOriginNotAllowed",
        "*, *",
    ),
    (
        "multiple-comma-line",
        PAGE,
        False,
        [(ACAO, f"{PAGE}, https://b.example")],
        200,
        "acao-multiple",
        "MultipleAllowOriginValues",
        "CORSAllowOriginNotMatchingOrigin",
        f"{PAGE}, https://b.example",
    ),
    (
        "multiple-space-line",
        PAGE,
        False,
        [(ACAO, f"{PAGE} https://b.example")],
        200,
        "acao-multiple",
        "MultipleAllowOriginValues",
        "CORSAllowOriginNotMatchingOrigin",
        f"{PAGE} https://b.example",
    ),
    (
        "invalid-host-only",
        PAGE,
        False,
        [(ACAO, "app.example")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        "app.example",
    ),
    (
        "invalid-empty",
        PAGE,
        False,
        [(ACAO, "")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        "",
    ),
    (
        "invalid-no-host",
        PAGE,
        False,
        [(ACAO, "https://")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        "https://",
    ),
    regression(
        "invalid-second-port",
        PAGE,
        False,
        [(ACAO, "http://127.0.0.1:8001:80")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        "http://127.0.0.1:8001:80",
        reason="an origin with a port followed by ':80' is no URL (GURL invalid): Chromium 156"
        " says InvalidAllowOriginValue (WPT cors/origin.htm; wpt-acao-port-80)",
    ),
    regression(
        "invalid-pct23-in-port",
        PAGE,
        False,
        [(ACAO, "http://127.0.0.1:8001%23")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        "http://127.0.0.1:8001%23",
        reason="'%23' after the port makes the port invalid: Chromium 156 says"
        " InvalidAllowOriginValue (WPT cors/origin.htm; wpt-acao-trailing-pct23)",
    ),
    (
        "invalid-pct23-in-host",
        PAGE,
        False,
        [(ACAO, PAGE + "%23")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + "%23",
    ),
    (
        "invalid-port-too-big",
        PAGE,
        False,
        [(ACAO, PAGE + ":65536")],
        200,
        "acao-invalid",
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + ":65536",
    ),
    (
        "mismatch-trailing-hash",
        PAGE,
        False,
        [(ACAO, PAGE + "#")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + "#",
    ),
    (
        "mismatch-trailing-query",
        PAGE,
        False,
        [(ACAO, PAGE + "?")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + "?",
    ),
    (
        "mismatch-trailing-slash",
        PAGE,
        False,
        [(ACAO, PAGE + "/")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + "/",
    ),
    (
        "mismatch-default-port",
        PAGE,
        False,
        [(ACAO, PAGE + ":443")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE + ":443",
    ),
    (
        "mismatch-upper-case",
        PAGE,
        False,
        [(ACAO, "HTTPS://APP.EXAMPLE")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        "HTTPS://APP.EXAMPLE",
    ),
    (
        "mismatch-other-host",
        PAGE,
        False,
        [(ACAO, "https://b.example")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        "https://b.example",
    ),
    (
        "mismatch-null-for-real-origin",
        PAGE,
        False,
        [(ACAO, "null")],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        "null",
    ),
    (
        "mismatch-real-for-null-origin",
        "null",
        False,
        [EXACT],
        200,
        "acao-mismatch",
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        PAGE,
    ),
    (
        "wildcard-with-creds",
        PAGE,
        True,
        [STAR],
        200,
        "acao-wildcard-with-credentials",
        "WildcardOriginNotAllowed",
        "CORSNotSupportingCredentials",
        "*",
    ),
    (
        "wildcard-with-creds-acac-true",
        PAGE,
        True,
        [STAR, TRUE],
        200,
        "acao-wildcard-with-credentials",
        "WildcardOriginNotAllowed",
        "CORSNotSupportingCredentials",
        "*",
    ),
    (
        "acac-absent",
        PAGE,
        True,
        [EXACT],
        200,
        "acac-not-true",
        "InvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        "",
    ),
    (
        "acac-True",
        PAGE,
        True,
        [EXACT, (ACAC, "True")],
        200,
        "acac-not-true",
        "InvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        "True",
    ),
    (
        "acac-1",
        PAGE,
        True,
        [EXACT, (ACAC, "1")],
        200,
        "acac-not-true",
        "InvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        "1",
    ),
    (
        "acac-two-lines",
        PAGE,
        True,
        [EXACT, TRUE, TRUE],
        200,
        "acac-not-true",
        "InvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        "true, true",
    ),
]


@pytest.mark.parametrize(
    ("origin", "creds", "fields", "status", "failure", "code", "firefox", "hint"),
    cases(MATRIX),
)
def test_acao_acac_matrix(origin, creds, fields, status, failure, code, firefox, hint):
    v = judged(cors_req("GET", origin=origin, cookie=creds), resp(status, *fields))
    if failure is None:
        assert v.verdict == "allowed"
        assert v.error is None
        return
    assert v.verdict == "blocked"
    assert (v.error.id, v.error.code, v.error.firefox) == (failure, code, firefox)
    if hint:
        assert f"'{hint}'" in v.error.message
    check = cors_check(origin, resp(status, *fields).headers, creds)
    assert check is not None and check.id == failure and check.hint == hint


def test_acac_hint_is_empty_when_absent():
    v = judged(cors_req("GET", cookie=True), resp(200, EXACT))
    assert "response is '' which must be 'true'" in v.error.message


def test_status_is_irrelevant_to_the_cors_check():
    for status in (200, 201, 204, 400, 401, 403, 404, 418, 500, 503):
        assert judged(cors_req("GET"), resp(status, STAR)).verdict == "allowed"
        assert judged(cors_req("GET"), resp(status)).error.code == "MissingAllowOriginHeader"


def test_non_ascii_hint_is_escaped():
    v = judged(cors_req("GET"), resp(200, (ACAO, "https://äpp.example")))
    assert v.error.code == "AllowOriginMismatch"
    assert "'https://\\u00E4pp.example'" in v.error.message


# Section 4: redirect responses of a CORS request are CORS-checked, then the Location.
LOC = "Location"
REDIRECT_CASES = [
    ("no-acao", 302, [(LOC, "https://cdn.example/b")], "MissingAllowOriginHeader"),
    ("with-acao", 302, [EXACT, (LOC, "https://cdn.example/b")], None),
    ("307-star", 307, [STAR, (LOC, "https://cdn.example/b")], None),
    ("relative", 301, [STAR, (LOC, "/next")], None),
    (
        "user-pass",
        302,
        [EXACT, (LOC, "https://u:p@cdn.example/")],
        "RedirectContainsCredentials",
    ),
    ("user-only", 302, [STAR, (LOC, "https://u@cdn.example/")], "RedirectContainsCredentials"),
    (
        "cors-check-first",
        302,
        [(LOC, "https://u:p@cdn.example/")],
        "MissingAllowOriginHeader",
    ),
    ("at-in-path", 302, [STAR, (LOC, "https://cdn.example/a@b")], None),
    regression(
        "empty-userinfo-at",
        302,
        [STAR, (LOC, "https://@cdn.example/")],
        None,
        reason="'@' with an empty userinfo is no username and no password: all three engines"
        " follow (WPT fetch/api/cors/cors-redirect-credentials.any.js)",
    ),
    regression(
        "empty-userinfo-colon-at",
        302,
        [STAR, (LOC, "https://:@cdn.example/")],
        None,
        reason="':@' is an empty username and an empty password: followed everywhere",
    ),
    ("password-only", 302, [STAR, (LOC, "https://:p@cdn.example/")], "RedirectContainsCredentials"),
    (
        "user-colon-only",
        302,
        [STAR, (LOC, "https://u:@cdn.example/")],
        "RedirectContainsCredentials",
    ),
    ("at-in-query", 302, [STAR, (LOC, "https://cdn.example?next=a@b")], None),
    regression(
        "scheme-relative-user-pass",
        302,
        [EXACT, (LOC, "//u:p@cdn.example/")],
        "RedirectContainsCredentials",
        reason="redirect_location_check only looks for userinfo after '://', so a"
        " scheme-relative Location '//u:p@cdn.example/' (resolved: https://u:p@cdn.example/) is"
        " followed; cors-reference.md 4.3 (kRedirectContainsCredentials on the resolved URL)",
    ),
    regression(
        "at-in-fragment",
        302,
        [STAR, (LOC, "https://cdn.example#@frag")],
        None,
        reason="the Location authority is not cut at '#', so 'https://cdn.example#@frag' (no"
        " userinfo, '@' in the fragment) is reported as RedirectContainsCredentials;"
        " cors-reference.md 4.3 applies only to a username or password",
    ),
]


@pytest.mark.parametrize(
    ("status", "fields", "code"),
    cases(REDIRECT_CASES),
)
def test_redirect_response(status, fields, code):
    r = resp(status, *fields)
    assert is_redirect(r)
    v = judged(cors_req("GET"), r)
    if code is None:
        assert v.verdict == "allowed"
    else:
        assert v.verdict == "blocked"
        assert v.error.code == code
    if code == "RedirectContainsCredentials":
        assert v.error.firefox == "NS_ERROR_DOM_BAD_URI"
        assert v.error.message.startswith("Redirect location '")
        assert v.error.message.endswith(
            "' contains a username and password, which is disallowed for cross-origin requests."
        )


def test_3xx_without_location_is_no_redirect():
    assert not is_redirect(resp(302, STAR))
    assert not is_redirect(resp(304, (LOC, "/x")))


@pytest.mark.parametrize("status", [300, 304, 306])
def test_non_redirect_statuses_with_location_are_no_redirect(status):
    """Fetch's redirect statuses are 301, 302, 303, 307 and 308 (WPT cors-preflight-status)."""
    assert not is_redirect(resp(status, (LOC, "/x")))


@pytest.mark.parametrize(
    ("location", "base", "expected"),
    [
        ("https://cdn.example/b", API, "https://cdn.example/b"),
        ("//cdn.example/b", API, "https://cdn.example/b"),
        ("/b?x=1", "https://api.example:8443/a/r", "https://api.example:8443/b?x=1"),
        ("c", "https://api.example/a/r?q", "https://api.example/a/c"),
    ],
)
def test_location_url(location, base, expected):
    assert location_url(resp(302, (LOC, location)), base) == expected


def test_location_url_without_location():
    assert location_url(resp(302), API) is None


@pytest.mark.parametrize(
    ("port", "valid"),
    [("9" * 5000, False), ("0" * 5000, True), ("0" * 4999 + "80", True), ("65536", False)],
)
def test_an_allow_origin_port_of_any_length_is_judged_not_raised(port: str, valid: bool) -> None:
    """int() refuses strings of over 4,300 digits: such a port is judged, never raised."""
    from cors_addon.engine.model import Headers

    failure = cors_check(
        PAGE, Headers([("Access-Control-Allow-Origin", f"http://a.test:{port}")]), False
    )
    assert failure is not None
    assert failure.id == ("acao-mismatch" if valid else "acao-invalid")
