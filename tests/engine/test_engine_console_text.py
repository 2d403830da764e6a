"""Chromium's whole console sentence, one case (at least) per CorsError name
(cors-reference.md 2.0, 2.1, 2.2, 2.4; texts of cors_error_string.cc)."""

from __future__ import annotations

import pytest
from engine_builders import ACAC
from engine_builders import ACAH
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import API
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import cors_req
from engine_builders import preflight_req
from engine_builders import resp

from cors_addon.engine import ERRORS
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine import judge_preflight

XHR = ("X-Requested-With", "XMLHttpRequest")
EXACT = (ACAO, PAGE)
STAR = (ACAO, "*")
LEAD = f"Access to fetch at '{API}' from origin '{PAGE}' has been blocked by CORS policy: "
XHR_LEAD = (
    f"Access to XMLHttpRequest at '{API}' from origin '{PAGE}' has been blocked by CORS policy: "
)
PRE = "Response to preflight request doesn't pass access control check: "
VALID = " Have the server send the header with a valid value."
WITH_CREDS = (
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the"
    " withCredentials attribute."
)
MISSING = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
WILDCARD = (
    "The value of the 'Access-Control-Allow-Origin' header in the response must not be the"
    " wildcard '*' when the request's credentials mode is 'include'."
)


def acac_text(value: str) -> str:
    return (
        f"The value of the 'Access-Control-Allow-Credentials' header in the response is '{value}'"
        " which must be 'true' when the request's credentials mode is 'include'."
    )


def multiple_text(value: str) -> str:
    return (
        f"The 'Access-Control-Allow-Origin' header contains multiple values '{value}', but only"
        " one is allowed."
    )


def invalid_text(value: str) -> str:
    return f"The 'Access-Control-Allow-Origin' header contains the invalid value '{value}'."


def mismatch_text(value: str) -> str:
    return (
        f"The 'Access-Control-Allow-Origin' header has a value '{value}' that is not equal to the"
        " supplied origin."
    )


# (id, actual request, response, Chromium CorsError, whole console sentence)
ACTUAL_CASES = [
    ("MissingAllowOriginHeader", cors_req("GET"), resp(200), LEAD + MISSING),
    (
        "MultipleAllowOriginValues",
        cors_req("GET"),
        resp(200, EXACT, EXACT),
        LEAD + multiple_text(f"{PAGE}, {PAGE}") + VALID,
    ),
    (
        "InvalidAllowOriginValue",
        cors_req("GET"),
        resp(200, (ACAO, "app.example")),
        LEAD + invalid_text("app.example") + VALID,
    ),
    (
        "AllowOriginMismatch",
        cors_req("GET"),
        resp(200, (ACAO, PAGE + "/")),
        LEAD + mismatch_text(PAGE + "/") + VALID,
    ),
    ("WildcardOriginNotAllowed", cors_req("GET", cookie=True), resp(200, STAR), LEAD + WILDCARD),
    (
        "InvalidAllowCredentials",
        cors_req("GET", cookie=True),
        resp(200, EXACT),
        LEAD + acac_text(""),
    ),
    (
        "RedirectContainsCredentials",
        cors_req("GET"),
        resp(302, EXACT, ("Location", "https://u:p@cdn.example/")),
        # Chromium 156 leaves the location out (observed in tests/browser: failedParameter '').
        LEAD + "Redirect location '' contains a username and password,"
        " which is disallowed for cross-origin requests.",
    ),
    # XMLHttpRequest: no fetch suffix; the withCredentials suffix on wildcard/ACAC errors.
    ("xhr-MissingAllowOriginHeader", cors_req("GET", XHR), resp(200), XHR_LEAD + MISSING),
    (
        "xhr-AllowOriginMismatch",
        cors_req("GET", XHR),
        resp(200, (ACAO, "https://b.example")),
        XHR_LEAD + mismatch_text("https://b.example"),
    ),
    (
        "xhr-MultipleAllowOriginValues",
        cors_req("GET", XHR),
        resp(200, (ACAO, f"{PAGE}, https://b.example")),
        XHR_LEAD + multiple_text(f"{PAGE}, https://b.example"),
    ),
    (
        "xhr-WildcardOriginNotAllowed",
        cors_req("GET", XHR, cookie=True),
        resp(200, STAR),
        XHR_LEAD + WILDCARD + WITH_CREDS,
    ),
    (
        "xhr-InvalidAllowCredentials",
        cors_req("GET", XHR, cookie=True),
        resp(200, EXACT, (ACAC, "True")),
        XHR_LEAD + acac_text("True") + WITH_CREDS,
    ),
    # Other initiators name themselves and get no fetch suffix.
    (
        "image-AllowOriginMismatch",
        cors_req("GET", ("Sec-Fetch-Dest", "image")),
        resp(200, (ACAO, "null")),
        f"Access to image at '{API}' from origin '{PAGE}' has been blocked by CORS policy: "
        + mismatch_text("null"),
    ),
]


@pytest.mark.parametrize(("request_", "response", "console"), cases(ACTUAL_CASES))
def test_console_of_actual_responses(request_, response, console):
    v = judge(request_, classify(request_), response)
    assert v.verdict == "blocked"
    assert v.error.console == console
    assert console == v.error.console.split(": ", 1)[0] + ": " + v.error.message
    assert v.error.fix


def test_console_names_the_redirect_chain():
    """Row 69. The origin named after 'from origin' is not asserted: the engine prints the
    tainted Origin header ('null', as cors-reference.md 2.0 defines O), while Chromium's
    renderer may print the page's own origin (unverified)."""
    request_ = cors_req("GET", url="https://cdn.example/b", origin="null")
    v = judge(
        request_,
        classify(request_),
        resp(200, EXACT),
        redirected_from="https://api.example/a",
    )
    assert v.error.console.startswith(
        "Access to fetch at 'https://cdn.example/b' (redirected from 'https://api.example/a')"
        " from origin '"
    )
    assert v.error.console.endswith(
        "' has been blocked by CORS policy: " + mismatch_text(PAGE) + VALID
    )


def test_no_redirect_note_when_the_url_did_not_change():
    request_ = cors_req("GET")
    v = judge(request_, classify(request_), resp(200), redirected_from=API)
    assert v.error.console == LEAD + MISSING


# (id, preflight (ACRM, ACRH), status, fields, credentials, CorsError, console detail)
PREFLIGHT_CASES = [
    ("PreflightMissingAllowOriginHeader", ("PUT", None), 404, [], False, PRE + MISSING),
    (
        "PreflightMultipleAllowOriginValues",
        ("PUT", None),
        200,
        [STAR, STAR],
        False,
        PRE + multiple_text("*, *") + VALID,
    ),
    (
        "PreflightInvalidAllowOriginValue",
        ("PUT", None),
        200,
        [(ACAO, "")],
        False,
        PRE + invalid_text("") + VALID,
    ),
    (
        "PreflightAllowOriginMismatch",
        ("PUT", None),
        204,
        [(ACAO, PAGE + ":443")],
        False,
        PRE + mismatch_text(PAGE + ":443") + VALID,
    ),
    (
        "PreflightWildcardOriginNotAllowed",
        ("PUT", None),
        204,
        [STAR, (ACAC, "true"), (ACAM, "PUT")],
        True,
        PRE + WILDCARD,
    ),
    (
        "PreflightInvalidAllowCredentials",
        ("PUT", None),
        204,
        [EXACT, (ACAM, "PUT")],
        True,
        PRE + acac_text(""),
    ),
    (
        "PreflightInvalidStatus",
        ("PUT", None),
        405,
        [STAR, (ACAM, "PUT")],
        False,
        PRE + "It does not have HTTP ok status.",
    ),
    (
        "PreflightDisallowedRedirect",
        ("PUT", None),
        301,
        [("Location", "https://api.example/r/")],
        False,
        PRE + "Redirect is not allowed for a preflight request.",
    ),
    (
        "InvalidAllowMethodsPreflightResponse",
        ("DELETE", None),
        204,
        [STAR, (ACAM, "GET;DELETE")],
        False,
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
    ),
    (
        "InvalidAllowHeadersPreflightResponse",
        ("POST", "content-type"),
        204,
        [STAR, (ACAH, "Content-Type X-Foo")],
        False,
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
    ),
    (
        "MethodDisallowedByPreflightResponse",
        ("DELETE", None),
        200,
        [STAR],
        False,
        "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
    ),
    (
        "HeaderDisallowedByPreflightResponse",
        ("GET", "x-api-key"),
        204,
        [STAR, (ACAH, "x-other")],
        False,
        "Request header field x-api-key is not allowed by Access-Control-Allow-Headers in"
        " preflight response.",
    ),
]


@pytest.mark.parametrize(
    ("announced", "status", "fields", "credentials", "detail"), cases(PREFLIGHT_CASES)
)
def test_console_of_preflights(request, announced, status, fields, credentials, detail):
    pre = preflight_req(*announced)
    v = judge_preflight(pre, classify(pre), resp(status, *fields), credentials=credentials)
    assert v.error.code == request.node.callspec.id
    assert v.error.message == detail
    assert v.error.console == LEAD + detail


def test_console_of_an_xhr_preflight():
    """An XHR that sets X-Requested-With announces it in its preflight: Chromium's sentence
    names XMLHttpRequest there too (scenario xhr-xrw-acah-missing in tests/browser)."""
    pre = preflight_req("GET", "x-requested-with")
    v = judge_preflight(pre, classify(pre), resp(204, EXACT))
    assert v.error.code == "HeaderDisallowedByPreflightResponse"
    assert v.error.console == XHR_LEAD + (
        "Request header field x-requested-with is not allowed by Access-Control-Allow-Headers in"
        " preflight response."
    )


# Failures that are no CORS error: their console texts are not Chromium's CORS sentences
# (test_engine_invalid_http.py covers the invalid-http ones).
NOT_CORS_ERRORS = {"network-error"} | {fid for fid in ERRORS if fid.startswith("invalid-http")}


def test_every_corserror_name_is_covered():
    covered = {case[0].split("-")[-1] for case in ACTUAL_CASES + PREFLIGHT_CASES}
    names = {spec.code for fid, spec in ERRORS.items() if fid not in NOT_CORS_ERRORS}
    assert names <= covered


def test_network_error_console():
    request_ = cors_req("GET")
    v = judge(request_, classify(request_), None, error_text="connection reset")
    assert v.error.code == "NetworkError"
    assert v.error.console == f"GET {API} net::ERR_FAILED (connection reset)"
