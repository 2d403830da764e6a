# ruff: noqa: E501  (expected console texts are quoted whole)
"""Scenarios drawn from web-platform-tests' fetch/api/cors/, fetch/api/redirect/ and
fetch/api/credentials/ (read in a fork, z11h/wpt; written fresh here, each citing its file in
`wpt=`). WPT's helper servers (preflight.py, redirect.py) are replaced by scripted responses that
send what those helpers would for the case.
"""

from __future__ import annotations

from .vocab import ACAC
from .vocab import ACAO_O
from .vocab import ACAO_STAR
from .vocab import FAILED
from .vocab import FF_FAILED
from .vocab import NET
from .vocab import OK_O
from .vocab import OK_STAR
from .vocab import SAME
from .vocab import WK_FAILED
from .vocab import E
from .vocab import R
from .vocab import S
from .vocab import Scenario
from .vocab import acah
from .vocab import acam
from .vocab import acao
from .vocab import api
from .vocab import loc
from .vocab import max_age
from .vocab import ok
from .vocab import pf

SCENARIOS: list[Scenario] = []

FORCE = (("X-Force-Preflight", ""),)  # WPT's way to force a preflight (an empty value)
PF_FORCE = pf(ACAO_STAR, acah("x-force-preflight"), status=200)

CORS = "fetch/api/cors/"
REDIR = "fetch/api/redirect/"
CRED = "fetch/api/credentials/"


def add(*scenarios: Scenario) -> None:
    SCENARIOS.extend(scenarios)


# -- fetch/api/cors/cors-preflight-status.any.js: ok statuses are 200-299, redirects are not -------
add(
    S(
        "wpt-pf-status-201",
        "X-Force-Preflight; preflight answered 201 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=201), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-force-preflight"),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-status-206",
        "X-Force-Preflight; preflight answered 206 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=206), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-force-preflight"),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-status-300",
        "X-Force-Preflight; preflight answered 300 (ACAO *, ACAH) with a Location",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(loc(300, "{B}{C}/b", ACAO_STAR, acah("x-force-preflight")), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "300"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 300.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 300",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-status-304",
        "X-Force-Preflight; preflight answered 304 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=304), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "304"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 304.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 304",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-status-306",
        "X-Force-Preflight; preflight answered 306 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=306), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "306"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 306.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 306",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-status-308",
        "X-Force-Preflight; preflight answered 308 (ACAO *, ACAH) with a Location",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(loc(308, "{B}{C}/b", ACAO_STAR, acah("x-force-preflight")), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(
                ("CORSExternalRedirectNotAllowed", ""),
                ("CORSPreflightDidNotSucceed", "308"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request external redirect not allowed).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 308.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 308",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-status-401",
        "X-Force-Preflight; preflight answered 401 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=401), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "401"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 401.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 401",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-status-501",
        "X-Force-Preflight; preflight answered 501 (ACAO *, ACAH)",
        R(headers=(("X-Force-Preflight", ""),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-force-preflight"), status=501), OK_STAR),
            "b": api(pf(ACAO_STAR, acah("x-force-preflight"), status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-preflight-status.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "501"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 501.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 501",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors-preflight-response-validation.any.js --------------------------------------------------
add(
    S(
        "wpt-pf-acah-bad-value",
        "X-Force-Preflight; ACAH 'x-force-preflight,Bad value'",
        R(headers=FORCE),
        {"r": api(pf(ACAO_STAR, acah("x-force-preflight,Bad value"), status=200), OK_STAR)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("InvalidAllowHeadersPreflightResponse", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight-response-validation.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSInvalidAllowHeader", "Bad value"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: invalid token ‘Bad value’ in CORS header ‘Access-Control-Allow-Headers’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Header Access-Control-Allow-Headers has an invalid value: x-force-preflight,Bad value",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-acam-bad-value",
        "X-Force-Preflight; ACAM 'Bad value'",
        R(headers=FORCE),
        {
            "r": api(
                pf(ACAO_STAR, acah("x-force-preflight"), acam("Bad value"), status=200), OK_STAR
            )
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("InvalidAllowMethodsPreflightResponse", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight-response-validation.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("CORSInvalidAllowMethod", "Bad value"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: invalid token ‘Bad value’ in CORS header ‘Access-Control-Allow-Methods’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Header Access-Control-Allow-Methods has an invalid value: Bad value",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors-origin.any.js ---------------------------------------------------------------------------
add(
    S(
        "wpt-origin-ko-put",
        "PUT; preflight ACAO = the API's own origin",
        R(method="PUT"),
        {"r": api(pf(acao("{B}"), acam("PUT"), status=200), ok(acao("{B}")))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightAllowOriginMismatch", "{B}"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The 'Access-Control-Allow-Origin' header has a value '{B}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        wpt=CORS + "cors-origin.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{B}"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{B}’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-origin-head-ok",
        "HEAD; ACAO = page origin",
        R(method="HEAD"),
        {"r": api(actual=OK_O)},
        E(js="200", seen=("HEAD B/r",)),
        wpt=CORS + "cors-origin.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-origin-https-ko",
        "GET the HTTPS API; ACAO = the API's own origin",
        R(target="BS"),
        {"r": api(actual=ok(acao("{BS}")))},
        E(
            js=FAILED,
            seen=("GET BS/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{BS}"),),
            console=(
                "Access to fetch at '{BS}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{BS}' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        wpt=CORS + "cors-origin.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET BS/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{BS}"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {BS}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{BS}’).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET BS/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "Fetch API cannot load {BS}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors-multiple-origins.sub.any.js: each value a header line of its own ----------------------
add(
    S(
        "wpt-multi-origins-quoted",
        "ACAO sent as lines '\"\"' / 'http://example.com' / '{O}'",
        R(),
        {"r": api(actual=ok(acao('""'), acao("http://example.com"), ACAO_O))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", '"", http://example.com, {O}'),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '\"\", http://example.com, {O}', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-multiple-origins.sub.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMultipleAllowOriginNotAllowed", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-multi-origins-stars",
        "ACAO sent as lines '*' / 'http://example.com' / '*'",
        R(),
        {"r": api(actual=ok(ACAO_STAR, acao("http://example.com"), ACAO_STAR))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "*, http://example.com, *"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '*, http://example.com, *', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-multiple-origins.sub.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMultipleAllowOriginNotAllowed", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-multi-origins-empty-first",
        "ACAO sent as lines '' / 'http://example.com' / 'https://example2.com'",
        R(),
        {"r": api(actual=ok(acao(""), acao("http://example.com"), acao("https://example2.com")))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", ", http://example.com, https://example2.com"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values ', http://example.com, https://example2.com', but only one is allowed. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-multiple-origins.sub.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMultipleAllowOriginNotAllowed", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors-preflight-redirect.any.js and cors-redirect-preflight.any.js ----------------------------
add(
    S(
        "wpt-pf-redirect-301",
        "X-Force-Preflight; the preflight answered 301 -> B/b",
        R(headers=FORCE),
        {"r": api(loc(301, "{B}{C}/b", ACAO_STAR), OK_STAR), "b": api(PF_FORCE, OK_STAR)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(("PreflightDisallowedRedirect", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight-redirect.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            issues=(
                ("CORSExternalRedirectNotAllowed", ""),
                ("CORSPreflightDidNotSucceed", "301"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request external redirect not allowed).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 301.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-force-preflight",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 301",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-301-after-preflight-same-origin",
        "X-Force-Preflight; preflight ok, the GET 301 -> B/b (same origin)",
        R(headers=FORCE),
        {
            "r": api(PF_FORCE, loc(301, "{B}{C}/b", ACAO_O, ACAC)),
            "b": api(PF_FORCE, OK_STAR),
        },
        E(
            js="200",
            seen=(
                "OPTIONS B/r",
                "GET B/r",
                "OPTIONS B/b acrm=GET acrh=x-force-preflight",
                "GET B/b",
            ),
            preflight=True,
            acrh="x-force-preflight",
        ),
        wpt=CORS + "cors-preflight-redirect.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-preflight-302-cors-to-cors-ok",
        "X-W3C; B/r preflight ok, GET 302 -> X/b whose preflight allows x-w3c",
        R(headers=(("X-W3C", "test"),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-w3c"), status=200), loc(302, "{X}{C}/b", ACAO_O, ACAC)),
            "b": api(pf(ACAO_STAR, acah("x-w3c"), status=200), OK_STAR),
        },
        E(
            js="200",
            seen=(
                "OPTIONS B/r",
                "GET B/r",
                "OPTIONS X/b origin=null acrm=GET acrh=x-w3c",
                "GET X/b origin=null",
            ),
            preflight=True,
            acrh="x-w3c",
        ),
        wpt=CORS + "cors-redirect-preflight.any.js",
        firefox=E(
            js="200",
            seen=(
                "OPTIONS B/r",
                "GET B/r",
                "OPTIONS X/b acrm=GET acrh=x-w3c",
                "GET X/b origin=null",
            ),
            preflight=True,
            acrh="x-w3c",
        ),
        webkit=SAME,
    ),
    S(
        "wpt-redirect-preflight-302-cors-to-cors-ko",
        "X-W3C; B/r preflight ok, GET 302 -> X/b whose preflight allows no headers",
        R(headers=(("X-W3C", "test"),)),
        {
            "r": api(pf(ACAO_STAR, acah("x-w3c"), status=200), loc(302, "{X}{C}/b", ACAO_O, ACAC)),
            "b": api(pf(ACAO_STAR, status=200), OK_STAR),
        },
        E(
            js=FAILED,
            seen=("OPTIONS B/r", "GET B/r", "OPTIONS X/b origin=null acrm=GET acrh=x-w3c"),
            preflight=True,
            acrh="x-w3c",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-w3c"),),
            console=(
                "Access to fetch at '{X}{C}/b' (redirected from '{B}{C}/r') from origin '{O}' has been blocked by CORS policy: Request header field x-w3c is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-redirect-preflight.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r", "GET B/r", "OPTIONS X/b acrm=GET acrh=x-w3c"),
            preflight=True,
            acrh="x-w3c",
            blocked=True,
            issues=(
                ("CORSMissingAllowHeaderFromPreflight", "x-w3c"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {X}{C}/b. (Reason: header ‘x-w3c’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {X}{C}/b. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r", "GET B/r", "OPTIONS X/b origin=null acrm=GET acrh=x-w3c"),
            preflight=True,
            acrh="x-w3c",
            blocked=True,
            console=(
                "Request header field x-w3c is not allowed by Access-Control-Allow-Headers.",
                "Fetch API cannot load {X}{C}/b due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-preflight-307-same-origin-to-cors",
        "X-W3C; A/r (page origin) 307 -> B/b whose preflight allows x-w3c",
        R(target="A", headers=(("X-W3C", "test"),)),
        {"b": api(pf(ACAO_STAR, acah("x-w3c"), status=200), OK_STAR)},
        E(
            js="200",
            seen=("GET O/r origin=-", "OPTIONS B/b", "GET B/b"),
            preflight=True,
            acrh="x-w3c",
        ),
        page_routes={"r": api(actual=loc(307, "{B}{C}/b"))},
        wpt=CORS + "cors-redirect-preflight.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-redirect.any.js: the Origin after a redirect ----------------------------------------------
add(
    S(
        "wpt-redirect-cors-to-same-origin",
        "GET B/r 302 -> A/b (the page's origin), which answers ACAO *",
        R(),
        {"r": api(actual=loc(302, "{A}{C}/b", ACAO_O, ACAC))},
        E(js="200", seen=("GET B/r", "GET O/b origin=null")),
        page_routes={"b": api(actual=OK_STAR)},
        wpt=CORS + "cors-redirect.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-308-cors-to-another-cors",
        "GET B/r 308 -> X/b, which answers ACAO *",
        R(),
        {"r": api(actual=loc(308, "{X}{C}/b", ACAO_O, ACAC)), "b": api(actual=OK_STAR)},
        E(js="200", seen=("GET B/r", "GET X/b origin=null")),
        wpt=CORS + "cors-redirect.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-redirect-credentials.any.js: userinfo in the Location -----------------------------------
add(
    S(
        "wpt-redir-userinfo-user-only",
        "GET B/r 302 -> http://user:@<B host>/b",
        R(),
        {
            "r": api(actual=loc(302, "http://user:@{B_HOSTPORT}{C}/b", ACAO_O)),
            "b": api(actual=OK_O),
        },
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("RedirectContainsCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-redirect-credentials.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to {B}{C}/b denied by Cross-Origin Resource Sharing policy: redirection URL http://user@{B_HOSTPORT}{C}/b has credentials",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redir-userinfo-password-only",
        "GET B/r 302 -> http://:password@<B host>/b",
        R(),
        {
            "r": api(actual=loc(302, "http://:password@{B_HOSTPORT}{C}/b", ACAO_O)),
            "b": api(actual=OK_O),
        },
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("RedirectContainsCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests.",
                NET,
            ),
        ),
        wpt="fetch/api/cors/cors-redirect-credentials.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to {B}{C}/b denied by Cross-Origin Resource Sharing policy: redirection URL http://:password@{B_HOSTPORT}{C}/b has credentials",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redir-userinfo-empty-at",
        "GET B/r 302 -> http://@<B host>/b",
        R(),
        {"r": api(actual=loc(302, "http://@{B_HOSTPORT}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(js="200", seen=("GET B/r", "GET B/b")),
        wpt="fetch/api/cors/cors-redirect-credentials.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redir-userinfo-empty-colon-at",
        "GET B/r 302 -> http://:@<B host>/b",
        R(),
        {"r": api(actual=loc(302, "http://:@{B_HOSTPORT}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(js="200", seen=("GET B/r", "GET B/b")),
        wpt="fetch/api/cors/cors-redirect-credentials.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-cookies.any.js and credentials/cookies.any.js ---------------------------------------------
add(
    S(
        "wpt-cookie-same-origin-mode",
        "a cookie exists; credentials same-origin (cross-origin: no cookie); ACAO = page origin",
        R(credentials="same-origin"),
        {"r": api(actual=ok(ACAO_O, ACAC))},
        E(js="200", seen=("GET B/r",)),
        cookie=True,
        wpt=CORS + "cors-cookies.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-cookie-omit-mode",
        "a cookie exists; credentials omit; ACAO = page origin",
        R(credentials="omit"),
        {"r": api(actual=ok(ACAO_O, ACAC))},
        E(js="200", seen=("GET B/r",)),
        cookie=True,
        wpt=CRED + "cookies.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-cookie-include-redirect-cross-origin",
        "a cookie exists; credentials include; B/r 301 -> X/b (ACAO null? no: echo)",
        R(credentials="include"),
        {
            "r": api(actual=loc(301, "{X}{C}/b", ACAO_O, ACAC)),
            "b": api(actual=ok(("Access-Control-Allow-Origin", "null"), ACAC)),
        },
        E(js="200", seen=("GET B/r cookie", "GET X/b origin=null")),
        cookie=True,
        wpt=CORS + "cors-cookies-redirect.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-expose-star.sub.any.js and cors-filtering.sub.any.js --------------------------------------
add(
    S(
        "wpt-expose-star",
        "ACAO *, ACEH *; the script reads test, set-cookie and *",
        R(read_headers=("test", "set-cookie", "*")),
        {
            "r": api(
                actual=ok(
                    ACAO_STAR,
                    ("Access-Control-Expose-Headers", "*"),
                    ("Test", "X"),
                    ("Set-Cookie", "X"),
                    ("*", "whoa"),
                )
            )
        },
        E(js='200 {"*": "whoa", "set-cookie": null, "test": "X"}', seen=("GET B/r",)),
        wpt=CORS + "cors-expose-star.sub.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-expose-star-credentials",
        "credentials include; ACAO {O} + ACAC, ACEH *: '*' is literal",
        R(credentials="include", read_headers=("test", "*", "content-type")),
        {
            "r": api(
                actual=ok(
                    ACAO_O,
                    ACAC,
                    ("Access-Control-Expose-Headers", "*"),
                    ("Test", "X"),
                    ("*", "whoa"),
                )
            )
        },
        E(js='200 {"*": "whoa", "content-type": "text/plain", "test": null}', seen=("GET B/r",)),
        wpt=CORS + "cors-expose-star.sub.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-filter-unexposed",
        "ACAO *; Age, Server, Cache-Control, Content-Language read without ACEH",
        R(read_headers=("age", "server", "cache-control", "content-language")),
        {
            "r": api(
                actual=ok(
                    ACAO_STAR,
                    ("Age", "27"),
                    ("Server", "wptServe"),
                    ("Cache-Control", "no-cache"),
                    ("Content-Language", "fr"),
                )
            )
        },
        E(
            js='200 {"age": null, "cache-control": "no-cache", "content-language": "fr", "server": null}',
            seen=("GET B/r",),
        ),
        wpt=CORS + "cors-filtering.sub.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-no-preflight.any.js and cors-preflight-not-cors-safelisted.any.js -------------------------
add(
    S(
        "wpt-no-pf-content-type-mixed-case",
        "GET Content-Type 'Text/Plain;charset=utf-8'",
        R(headers=(("Content-Type", "Text/Plain;charset=utf-8"),)),
        {"r": api(actual=OK_STAR)},
        E(js="200", seen=("GET B/r",)),
        wpt=CORS + "cors-no-preflight.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-accept-language-at",
        "GET Accept-Language '@'",
        R(headers=(("Accept-Language", "@"),)),
        {"r": api(pf(ACAO_STAR, acah("*"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="accept-language"),
        wpt=CORS + "cors-preflight-not-cors-safelisted.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-content-language-control",
        "GET Content-Language '\\x01'",
        R(headers=(("Content-Language", "\x01"),)),
        {"r": api(pf(ACAO_STAR, acah("*"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="content-language"),
        wpt=CORS + "cors-preflight-not-cors-safelisted.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-content-type-long",
        "GET Content-Type 'text/plain; long=<112 digits>' (over 128 bytes)",
        R(headers=(("Content-Type", "text/plain; long=" + "0123456789" * 11 + "01"),)),
        {"r": api(pf(ACAO_STAR, acah("*"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="content-type"),
        wpt=CORS + "cors-preflight-not-cors-safelisted.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-authorization-basics",
        "GET Authorization 'basics'; ACAH authorization",
        R(headers=(("Authorization", "basics"),)),
        {"r": api(pf(ACAO_STAR, acah("authorization"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="authorization"),
        wpt=CORS + "cors-preflight-not-cors-safelisted.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-preflight-star.any.js ----------------------------------------------------------------------
add(
    S(
        "wpt-star-method-super",
        "method SUPER with X-Test; ACAM *, ACAH x-test",
        R(method="SUPER", headers=(("X-Test", "1"),)),
        {"r": api(pf(ACAO_STAR, acam("*"), acah("x-test"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "SUPER B/r"), preflight=True, acrh="x-test"),
        wpt=CORS + "cors-preflight-star.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-star-credentials-method-ok",
        "credentials include, method OK with X-Test; ACAM *, ACAH * (literal)",
        R(method="OK", credentials="include", headers=(("X-Test", "1"),)),
        {"r": api(pf(ACAO_O, ACAC, acam("*"), acah("*"), status=200), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "OK"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method OK is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight-star.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(("CORSMethodNotFound", ""), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            console=(
                "Method OK is not allowed by Access-Control-Allow-Methods.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-star-credentials-literal-star",
        "credentials include, method '*' with header '*'; ACAM *, ACAH * (an exact match)",
        R(method="*", credentials="include", headers=(("*", "1"),)),
        {"r": api(pf(ACAO_O, ACAC, acam("*"), acah("*"), status=200), ok(ACAO_O, ACAC))},
        E(js="200", seen=("OPTIONS B/r", "* B/r"), preflight=True, acrh="*"),
        wpt=CORS + "cors-preflight-star.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-star-credentials-get-header",
        "credentials include, GET with X-Test; ACAM get, ACAH *",
        R(credentials="include", headers=(("X-Test", "1"),)),
        {"r": api(pf(ACAO_O, ACAC, acam("get"), acah("*"), status=200), ok(ACAO_O, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "x-test"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field x-test is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight-star.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(
                ("CORSMissingAllowHeaderFromPreflight", "x-test"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: header ‘x-test’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            console=(
                "Request header field x-test is not allowed by Access-Control-Allow-Headers.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors-preflight.any.js -----------------------------------------------------------------------------
add(
    S(
        "wpt-pf-method-chicken",
        "method 'chicken' (not normalized); ACAM chicken",
        R(method="chicken"),
        {"r": api(pf(ACAO_STAR, acam("chicken"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "chicken B/r"), preflight=True),
        wpt=CORS + "cors-preflight.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-method-chicken-refused",
        "method 'chicken'; ACAM CHICKEN",
        R(method="chicken"),
        {"r": api(pf(ACAO_STAR, acam("CHICKEN"), status=200), OK_STAR)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("MethodDisallowedByPreflightResponse", "chicken"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Method chicken is not allowed by Access-Control-Allow-Methods in preflight response.",
                NET,
            ),
        ),
        wpt=CORS + "cors-preflight.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("CORSMethodNotFound", ""), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            console=(
                "Method chicken is not allowed by Access-Control-Allow-Methods.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-pf-several-headers",
        "GET with 7 x-test headers (mixed case) + Content-Type and 3 safelisted; ACAH ' ,'-joined",
        R(
            headers=(
                ("x-test-header1", "v"),
                ("x-test-header2", "v"),
                ("X-test-header3", "v"),
                ("x-test-header-b", "v"),
                ("x-test-header-D", "v"),
                ("x-test-header-C", "v"),
                ("x-test-header-a", "v"),
                ("Content-Type", "allowedOrRefused"),
                ("Accept", "*"),
                ("Accept-Language", "bzh"),
                ("Content-Language", "eu"),
            )
        ),
        {
            "r": api(
                pf(
                    ACAO_STAR,
                    acah(
                        "x-test-header1 ,x-test-header2 ,x-test-header3 ,x-test-header-b ,"
                        "x-test-header-d ,x-test-header-c ,x-test-header-a ,content-type"
                    ),
                    status=200,
                ),
                OK_STAR,
            )
        },
        E(
            js="200",
            seen=("OPTIONS B/r", "GET B/r"),
            preflight=True,
            acrh="content-type,x-test-header-a,x-test-header-b,x-test-header-c,x-test-header-d,x-test-header1,x-test-header2,x-test-header3",
        ),
        wpt=CORS + "cors-preflight.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-pf-put-only-safe-headers",
        "PUT with Accept, Accept-Language, Content-Language only; ACAM PUT",
        R(
            method="PUT",
            headers=(("Accept", "*"), ("Accept-Language", "bzh"), ("Content-Language", "eu")),
        ),
        {"r": api(pf(ACAO_STAR, acam("PUT"), status=200), OK_STAR)},
        E(js="200", seen=("OPTIONS B/r", "PUT B/r"), preflight=True),
        wpt=CORS + "cors-preflight.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-preflight-cache.any.js ----------------------------------------------------------------------
add(
    S(
        "wpt-cache-max-age-12000",
        "POST with X-Test-Header twice 300 ms apart; ACAM POST, ACAH x-test-header, ACMA 12000",
        R(method="POST", headers=(("X-Test-Header", "test"),), body="x"),
        {
            "r": api(
                pf(ACAO_STAR, acam("POST"), acah("x-test-header"), max_age("12000"), status=200),
                OK_STAR,
            )
        },
        E(
            js="200 | 200",
            seen=("OPTIONS B/r", "POST B/r", "POST B/r"),
            preflight=True,
            acrh="x-test-header",
        ),
        repeat=2,
        gap_ms=300,
        wpt=CORS + "cors-preflight-cache.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors-basic.any.js ------------------------------------------------------------------------------------
add(
    S(
        "wpt-basic-https-no-cors",
        "fetch no-cors to the HTTPS API without ACAO (opaque)",
        R(mode="no-cors", target="BS"),
        {"r": api(actual=ok())},
        E(js="0", seen=("GET BS/r origin=-",)),
        wpt=CORS + "cors-basic.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- fetch/api/redirect/ --------------------------------------------------------------------------------
add(
    S(
        "wpt-redirect-manual-cors",
        "redirect: 'manual'; B/r 302 (with ACAO) -> B/b",
        R(redirect="manual"),
        {"r": api(actual=loc(302, "{B}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(js="0 opaqueredirect", seen=("GET B/r",)),
        wpt=REDIR + "redirect-mode.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-manual-no-acao",
        "redirect: 'manual'; B/r 302 without ACAO -> A/b",
        R(redirect="manual"),
        {"r": api(actual=loc(302, "{A}{C}/b"))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
        wpt=REDIR + "redirect-mode.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowOrigin", "302"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 302.",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to {O}{C}/b denied by Cross-Origin Resource Sharing policy: Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 302",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-error-mode",
        "redirect: 'error'; B/r 302 (with ACAO) -> B/b",
        R(redirect="error"),
        {"r": api(actual=loc(302, "{B}{C}/b", ACAO_O)), "b": api(actual=OK_O)},
        E(js=FAILED, seen=("GET B/r",), console=(NET,)),
        wpt=REDIR + "redirect-mode.any.js",
        firefox=E(js=FF_FAILED, seen=("GET B/r",)),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Not allowed to follow a redirection while loading {B}{C}/r",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-301-post-cross-origin",
        "POST text B/r 301 (ACAO) -> X/b (becomes a GET)",
        R(method="POST", body="this is my body"),
        {"r": api(actual=loc(301, "{X}{C}/b", ACAO_O)), "b": api(actual=OK_STAR)},
        E(
            js="200",
            seen=(
                "POST B/r content-type=text/plain;charset=UTF-8",
                "GET X/b origin=null content-type=-",
            ),
        ),
        check_headers=("content-type",),
        wpt=REDIR + "redirect-method.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-307-post-cross-origin",
        "POST text B/r 307 (ACAO) -> X/b (stays a POST)",
        R(method="POST", body="this is my body"),
        {"r": api(actual=loc(307, "{X}{C}/b", ACAO_O)), "b": api(actual=OK_STAR)},
        E(
            js="200",
            seen=(
                "POST B/r content-type=text/plain;charset=UTF-8",
                "POST X/b origin=null content-type=text/plain;charset=UTF-8",
            ),
        ),
        check_headers=("content-type",),
        wpt=REDIR + "redirect-method.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-origin-same-to-other-post",
        "POST text A/r (page origin) 307 -> B/b; the Origin B/b receives",
        R(method="POST", body="x", target="A"),
        {"b": api(actual=OK_O)},
        E(js="200", seen=("POST O/r", "POST B/b")),
        page_routes={"r": api(actual=loc(307, "{B}{C}/b"))},
        wpt=REDIR + "redirect-origin.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-21-times",
        "B/r redirects 21 times (302, ACAO *) within B",
        R(),
        {
            "r": api(actual=loc(302, "{B}{C}/h1", ACAO_STAR)),
            **{
                f"h{i}": api(actual=loc(302, f"{{B}}{{C}}/h{i + 1}", ACAO_STAR))
                for i in range(1, 21)
            },
            "h21": api(actual=OK_STAR),
        },
        E(
            js=FAILED,
            seen=(
                "GET B/r",
                "GET B/h1",
                "GET B/h2",
                "GET B/h3",
                "GET B/h4",
                "GET B/h5",
                "GET B/h6",
                "GET B/h7",
                "GET B/h8",
                "GET B/h9",
                "GET B/h10",
                "GET B/h11",
                "GET B/h12",
                "GET B/h13",
                "GET B/h14",
                "GET B/h15",
                "GET B/h16",
                "GET B/h17",
                "GET B/h18",
                "GET B/h19",
                "GET B/h20",
            ),
            console=("Failed to load resource: net::ERR_TOO_MANY_REDIRECTS",),
        ),
        wpt=REDIR + "redirect-count.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=(
                "GET B/r",
                "GET B/h1",
                "GET B/h2",
                "GET B/h3",
                "GET B/h4",
                "GET B/h5",
                "GET B/h6",
                "GET B/h7",
                "GET B/h8",
                "GET B/h9",
                "GET B/h10",
                "GET B/h11",
                "GET B/h12",
                "GET B/h13",
                "GET B/h14",
                "GET B/h15",
                "GET B/h16",
                "GET B/h17",
                "GET B/h18",
                "GET B/h19",
                "GET B/h20",
            ),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/h20. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=(
                "GET B/r",
                "GET B/h1",
                "GET B/h2",
                "GET B/h3",
                "GET B/h4",
                "GET B/h5",
                "GET B/h6",
                "GET B/h7",
                "GET B/h8",
                "GET B/h9",
                "GET B/h10",
                "GET B/h11",
                "GET B/h12",
                "GET B/h13",
                "GET B/h14",
                "GET B/h15",
                "GET B/h16",
                "GET B/h17",
                "GET B/h18",
                "GET B/h19",
                "GET B/h20",
            ),
            blocked=True,
            console=(
                "Load cannot follow more than 20 redirections",
                "Fetch API cannot load {B}{C}/h20 due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-20-times",
        "B/r redirects 20 times (302, ACAO *) within B",
        R(),
        {
            "r": api(actual=loc(302, "{B}{C}/h1", ACAO_STAR)),
            **{
                f"h{i}": api(actual=loc(302, f"{{B}}{{C}}/h{i + 1}", ACAO_STAR))
                for i in range(1, 20)
            },
            "h20": api(actual=OK_STAR),
        },
        E(
            js="200",
            seen=(
                "GET B/r",
                "GET B/h1",
                "GET B/h2",
                "GET B/h3",
                "GET B/h4",
                "GET B/h5",
                "GET B/h6",
                "GET B/h7",
                "GET B/h8",
                "GET B/h9",
                "GET B/h10",
                "GET B/h11",
                "GET B/h12",
                "GET B/h13",
                "GET B/h14",
                "GET B/h15",
                "GET B/h16",
                "GET B/h17",
                "GET B/h18",
                "GET B/h19",
                "GET B/h20",
            ),
        ),
        wpt=REDIR + "redirect-count.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-empty-location",
        "B/r 302 with an empty Location (ACAO *)",
        R(),
        {"r": api(actual=loc(302, "", ACAO_STAR))},
        E(js="302", seen=("GET B/r",)),
        wpt=REDIR + "redirect-empty-location.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=(
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
                "GET B/r",
            ),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(js=WK_FAILED, seen=("GET B/r",)),
    ),
    S(
        "wpt-redirect-no-location",
        "B/r 302 without Location (ACAO *)",
        R(),
        {"r": api(actual=ok(ACAO_STAR, status=302))},
        E(js="302", seen=("GET B/r",)),
        wpt=REDIR + "redirect-location.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redirect-invalid-location",
        "B/r 302 to 'invalidurl:' (ACAO *)",
        R(),
        {"r": api(actual=loc(302, "invalidurl:", ACAO_STAR))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CorsDisabledScheme", ""),),
            console=(
                "Access to fetch at 'invalidurl:' (redirected from '{B}{C}/r') from origin '{O}' has been blocked by CORS policy: Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app.",
                NET,
            ),
        ),
        wpt=REDIR + "redirect-location.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSRequestNotHttp", ""), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at invalidurl:. (Reason: CORS request not http).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to invalidurl: denied by Cross-Origin Resource Sharing policy: not allowed to follow a cross-origin CORS redirection with non CORS scheme",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-to-data-url",
        "B/r 302 to a data: URL (ACAO *)",
        R(),
        {"r": api(actual=loc(302, "data:text/plain;base64,cmVzcG9uc2UncyBib2R5", ACAO_STAR))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            console=("Failed to load resource: net::ERR_UNSAFE_REDIRECT",),
        ),
        wpt=REDIR + "redirect-to-dataurl.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to data:text/plain;base64,cmVzcG9uc2UncyBib2R5 denied by Cross-Origin Resource Sharing policy: not allowed to follow a cross-origin CORS redirection with non CORS scheme",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redirect-back-to-original-origin",
        "B/r 303 (no ACAO) -> A/b (the page origin), which answers ACAO *",
        R(),
        {"r": api(actual=loc(303, "{A}{C}/b"))},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
        page_routes={"b": api(actual=OK_STAR)},
        wpt=REDIR + "redirect-back-to-original-origin.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowOrigin", "303"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 303.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to {O}{C}/b denied by Cross-Origin Resource Sharing policy: Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 303",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- fetch/api/credentials/ ------------------------------------------------------------------------------
add(
    S(
        "wpt-cred-authorization-include",
        "credentials include, Authorization Basic; ACAO {O} + ACAC + ACAH authorization",
        R(credentials="include", headers=(("Authorization", "Basic dXNlcjpwYXNzd29yZA=="),)),
        {"r": api(pf(ACAO_O, ACAC, acah("authorization")), ok(ACAO_O, ACAC))},
        E(
            js="200",
            seen=("OPTIONS B/r", "GET B/r authorization=Basic dXNlcjpwYXNzd29yZA=="),
            preflight=True,
            acrh="authorization",
        ),
        check_headers=("authorization",),
        wpt=CRED + "authentication-basic.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-cred-include-no-cookie-no-acac",
        "credentials include, no cookie exists; ACAO {O}, no ACAC",
        R(credentials="include"),
        {"r": api(actual=OK_O)},
        E(
            js=FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        wpt=CRED + "cookies.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-cred-include-no-cookie-pf-star",
        "credentials include, no cookie, PUT; preflight ACAO * + ACAC + ACAM PUT",
        R(method="PUT", credentials="include"),
        {"r": api(pf(ACAO_STAR, ACAC, acam("PUT")), ok(ACAO_STAR, ACAC))},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightWildcardOriginNotAllowed", ""),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
                NET,
            ),
        ),
        wpt=CRED + "cookies.any.js",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("CORSNotSupportingCredentials", ""), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘{B}{C}/r’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            console=(
                "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)
