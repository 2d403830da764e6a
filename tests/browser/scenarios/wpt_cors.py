# ruff: noqa: E501  (expected console texts are quoted whole)
"""Scenarios drawn from web-platform-tests' top-level cors/ directory (read in a fork, z11h/wpt;
written fresh here, each citing its file in `wpt=`). WPT's cors-makeheader.py echoes the Origin
into Allow-Origin unless told otherwise; the scripted responses here send what it would.

Issue 18's areas: Allow-Origin values with bytes an HTTP parser may reject (NUL, VT, FF),
malformed Allow-Origin values (a trailing '#', an appended ':80', ...), credentials with no cookie
on the wire (XHR withCredentials and Allow-Credentials variants), a 304 revalidation, and the
preflight statuses (300 with a Location in wpt_fetch.py).

Through mitmproxy, leading and trailing VT (\x0b) and FF (\x0c) in a header value never reach the
browser: mitmproxy's HTTP/1 reader strips every value with bytes.strip()
(mitmproxy/net/http/http1/read.py), so `wpt-acao-vt-star`, `wpt-acao-star-ff` and
`wpt-xhr-acac-true-vt` show what the engines do with the stripped value (in `wpt-ct-vt` the
browser decides on the value it sent; the server receives it stripped). NUL bytes pass through.
"""

from __future__ import annotations

from harness.servers import Resp

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
from .vocab import XHR_FAILED
from .vocab import Conditional
from .vocab import E
from .vocab import R
from .vocab import S
from .vocab import Scenario
from .vocab import acah
from .vocab import acao
from .vocab import api
from .vocab import loc
from .vocab import ok
from .vocab import pf

SCENARIOS: list[Scenario] = []


def add(*scenarios: Scenario) -> None:
    SCENARIOS.extend(scenarios)


# -- cors/origin.htm (and remote-origin.htm): which Allow-Origin values pass ------------------------
add(
    S(
        "wpt-acao-star-spaces",
        "XHR GET; ACAO ' *  '",
        R(api="xhr"),
        {"r": api(actual=ok(acao(" *  ")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acao-star-tab",
        "XHR GET; ACAO '\\t*'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("\t*")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acao-origin-spaces-tab",
        "XHR GET; ACAO ' {O}   \\t '",
        R(api="xhr"),
        {"r": api(actual=ok(acao(" {O}   \t ")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acao-trailing-hash",
        "XHR GET; ACAO '{O}#'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}#")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}#"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}#' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}#"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}#’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-trailing-pct23",
        "XHR GET; ACAO '{O}%23'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}%23")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "{O}%23"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '{O}%23'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}%23"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}%23’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-trailing-question",
        "XHR GET; ACAO '{O}?'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}?")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}?"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}?' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}?"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}?’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-space-slash",
        "XHR GET; ACAO '{O} /'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O} /")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "{O} /"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '{O} /', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O} /"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O} /’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-port-80",
        "XHR GET; ACAO '{O}:80'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}:80")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "{O}:80"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '{O}:80'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}:80"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}:80’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-origin-comma-star",
        "XHR GET; ACAO '{O}, *'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}, *")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "{O}, *"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '{O}, *', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}, *"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}, *’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-trailing-nul",
        "XHR GET; ACAO '{O}\\x00'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}\x00")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            console=("Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE",),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(js=XHR_FAILED, seen=("GET B/r",)),
    ),
    S(
        "wpt-acao-nul-star",
        "XHR GET; ACAO '\\x00*'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("\x00*")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            console=("Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE",),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(js=XHR_FAILED, seen=("GET B/r",)),
    ),
    S(
        "wpt-acao-star-nul",
        "XHR GET; ACAO '*\\x00'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("*\x00")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            console=("Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE",),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(js=XHR_FAILED, seen=("GET B/r",)),
    ),
    S(
        "wpt-acao-vt-star",
        "XHR GET; ACAO '\\x0b*'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("\x0b*")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acao-star-ff",
        "XHR GET; ACAO '*\\x0c'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("*\x0c")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acao-upper-scheme",
        "XHR GET; ACAO 'HTTP://{O_HOSTPORT}'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("HTTP://{O_HOSTPORT}")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O_UPPER}"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O_UPPER}' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O_UPPER}"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O_UPPER}’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-no-scheme",
        "XHR GET; ACAO '//{O_HOSTPORT}'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("//{O_HOSTPORT}")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "//{O_HOSTPORT}"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '//{O_HOSTPORT}'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "//{O_HOSTPORT}"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘//{O_HOSTPORT}’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-dash",
        "XHR GET; ACAO '-'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("-")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "-"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '-'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "-"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘-’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-double-star",
        "XHR GET; ACAO '**'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("**")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", "**"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '**'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "**"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘**’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-comma-star",
        "XHR GET; ACAO ',*'",
        R(api="xhr"),
        {"r": api(actual=ok(acao(",*")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", ",*"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values ',*', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", ",*"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘,*’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-quoted-star",
        "XHR GET; ACAO '\"*\"'",
        R(api="xhr"),
        {"r": api(actual=ok(acao('"*"')))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowOriginValue", '"*"'),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value '\"*\"'.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", '"*"'),),
            console=(
                'Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘"*"’).',
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-star-space-null",
        "XHR GET; ACAO '* null'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("* null")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "* null"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '* null', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "* null"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘* null’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-null-origin",
        "XHR GET; ACAO 'null {O}'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("null {O}")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "null {O}"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'null {O}', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "null {O}"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘null {O}’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-page-url",
        "XHR GET; ACAO '{O}/p/x'",
        R(api="xhr"),
        {"r": api(actual=ok(acao("{O}/p/x")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}/p/x"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}/p/x' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}/p/x"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}/p/x’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

add(
    S(
        "wpt-acao-two-lines-empty-star",
        "XHR GET; two ACAO lines '' and '*'",
        R(api="xhr"),
        {"r": api(actual=ok(acao(""), ACAO_STAR))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", ", *"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values ', *', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMultipleAllowOriginNotAllowed", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-two-lines-star-star",
        "XHR GET; two ACAO lines '*' and '*'",
        R(api="xhr"),
        {"r": api(actual=ok(ACAO_STAR, ACAO_STAR))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MultipleAllowOriginValues", "*, *"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values '*, *', but only one is allowed.",
                NET,
            ),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMultipleAllowOriginNotAllowed", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Access-Control-Allow-Origin cannot contain more than one origin.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-acao-nul-preflight",
        "PUT; the preflight's ACAO is '{O}\\0'",
        R(method="PUT"),
        {"r": api(pf(acao("{O}\x00"), ("Access-Control-Allow-Methods", "PUT")), OK_O)},
        E(
            js=FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            console=("Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE",),
        ),
        wpt="cors/origin.htm",
        firefox=E(
            js=FF_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("CORSDidNotSucceed", "(null)"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=WK_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            console=(
                "Could not parse HTTP response",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors/credentials-flag.htm: withCredentials with no cookie, Allow-Credentials variants ---------
add(
    S(
        "wpt-xhr-acac-TRUE",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC 'TRUE'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "TRUE")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", "TRUE"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is 'TRUE' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-quoted",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC '\"true\"'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", '"true"')))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", '"true"'),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '\"true\"' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-false",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC 'false'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "false")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", "false"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is 'false' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-1",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC '1'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "1")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", "1"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '1' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-comma-true",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC ',true'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", ",true")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", ",true"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is ',true' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-true-comma",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC 'true,'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "true,")))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("InvalidAllowCredentials", "true,"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is 'true,' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-acac-true-vt",
        "XHR withCredentials, no cookie exists; ACAO {O}, ACAC 'true\\x0b'",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ("Access-Control-Allow-Credentials", "true\x0b")))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/credentials-flag.htm",
        firefox=SAME,
        webkit=SAME,
    ),
)
add(
    S(
        "wpt-xhr-acac-true-no-cookie",
        "XHR withCredentials, no cookie exists; ACAO {O} + ACAC true",
        R(api="xhr", credentials="include"),
        {"r": api(actual=ok(ACAO_O, ACAC))},
        E(js="200", seen=("GET B/r",)),
        wpt="cors/credentials-flag.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-xhr-no-credentials-cookie-exists",
        "a cookie exists; XHR without withCredentials (no cookie on the wire); ACAO *",
        R(api="xhr"),
        {"r": api(actual=OK_STAR)},
        E(js="200", seen=("GET B/r",)),
        cookie=True,
        wpt="cors/credentials-flag.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-xhr-star-no-cookie",
        "XHR withCredentials, no cookie exists; ACAO *",
        R(api="xhr", credentials="include"),
        {"r": api(actual=OK_STAR)},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("WildcardOriginNotAllowed", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
                NET,
            ),
        ),
        wpt="cors/credentials-flag.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSNotSupportingCredentials", ""),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘{B}{C}/r’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors/304.htm: a 304 revalidation is judged with the stored response's headers ----------------
STORED = Resp(
    200,
    [
        ("Content-Type", "text/plain"),
        ACAO_STAR,
        ("Cache-Control", "no-cache"),
        ("ETag", '"abcdef"'),
    ],
    "Success",
)
add(
    S(
        "wpt-304-inherits-cors",
        "fetch twice; 200 ACAO * + ETag (no-cache), then a 304 without CORS headers",
        R(),
        {"r": api(actual=Conditional("If-None-Match", Resp(304, [("ETag", '"abcdef"')]), STORED))},
        E(js="200 | 200", seen=("GET B/r if-none-match=-", 'GET B/r if-none-match="abcdef"')),
        repeat=2,
        check_headers=("if-none-match",),
        wpt="cors/304.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-304-changes-acao",
        "fetch twice; 200 ACAO * + ETag (no-cache), then a 304 with ACAO 'other.origin.example:80'",
        R(),
        {
            "r": api(
                actual=Conditional(
                    "If-None-Match",
                    Resp(304, [("ETag", '"abcdef"'), acao("other.origin.example:80")]),
                    STORED,
                )
            )
        },
        E(
            js="200 | TypeError: Failed to fetch",
            seen=("GET B/r if-none-match=-", 'GET B/r if-none-match="abcdef"'),
            blocked=True,
            issues=(("AllowOriginMismatch", "other.origin.example:80"),),
            console=(
                "Access to fetch at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'other.origin.example:80' that is not equal to the supplied origin. Have the server send the header with a valid value.",
                NET,
            ),
        ),
        repeat=2,
        check_headers=("if-none-match",),
        wpt="cors/304.htm",
        firefox=E(
            js="200 | TypeError: NetworkError when attempting to fetch resource.",
            seen=("GET B/r if-none-match=-", 'GET B/r if-none-match="abcdef"'),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "other.origin.example:80"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘other.origin.example:80’).",
            ),
        ),
        webkit=E(
            js="200 | TypeError: Load failed",
            seen=("GET B/r if-none-match=-", 'GET B/r if-none-match="abcdef"'),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "Fetch API cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors/redirect-origin.htm -------------------------------------------------------------------
add(
    S(
        "wpt-redir-remote-to-local-star",
        "XHR GET B/r (ACAO *) 302 -> A/b (page origin) answering ACAO *",
        R(api="xhr"),
        {"r": api(actual=loc(302, "{A}{C}/b", ACAO_STAR))},
        E(js="200", seen=("GET B/r", "GET O/b origin=null")),
        page_routes={"b": api(actual=OK_STAR)},
        wpt="cors/redirect-origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redir-remote-to-local-origin",
        "XHR GET B/r (ACAO *) 302 -> A/b answering ACAO = page origin",
        R(api="xhr"),
        {"r": api(actual=loc(302, "{A}{C}/b", ACAO_STAR))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r", "GET O/b origin=null"),
            blocked=True,
            issues=(("AllowOriginMismatch", "{O}"),),
            console=(
                "Access to XMLHttpRequest at '{O}{C}/b' (redirected from '{B}{C}/r') from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{O}' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        page_routes={"b": api(actual=OK_O)},
        wpt="cors/redirect-origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r", "GET O/b origin=null"),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "{O}"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {O}{C}/b. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{O}’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r", "GET O/b origin=null"),
            blocked=True,
            console=(
                "Origin null is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {O}{C}/b due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redir-remote-to-remote2-null",
        "XHR GET B/r (ACAO {O}) 302 -> X/b answering ACAO null",
        R(api="xhr"),
        {"r": api(actual=loc(302, "{X}{C}/b", ACAO_O)), "b": api(actual=ok(acao("null")))},
        E(js="200", seen=("GET B/r", "GET X/b origin=null")),
        wpt="cors/redirect-origin.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-redir-local-to-remote-null",
        "XHR GET A/r (page origin) 302 -> B/b answering ACAO null",
        R(api="xhr", target="A"),
        {"b": api(actual=ok(acao("null")))},
        E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "GET B/b"),
            blocked=True,
            issues=(("AllowOriginMismatch", "null"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/b' (redirected from '{O}{C}/r') from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        page_routes={"r": api(actual=loc(302, "{B}{C}/b"))},
        wpt="cors/redirect-origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "GET B/b"),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "null"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/b. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘null’).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "GET B/b"),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                "XMLHttpRequest cannot load {B}{C}/b due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-redir-remote-null-to-remote2",
        "XHR GET B/r answering ACAO null 302 -> X/b (ACAO *)",
        R(api="xhr"),
        {"r": api(actual=loc(302, "{X}{C}/b", acao("null"))), "b": api(actual=OK_STAR)},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("AllowOriginMismatch", "null"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin.",
                NET,
            ),
        ),
        wpt="cors/redirect-origin.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSAllowOriginNotMatchingOrigin", "null"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘null’).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Cross-origin redirection to {X}{C}/b denied by Cross-Origin Resource Sharing policy: Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 302",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors/redirect-preflight.htm and redirect-preflight-2.htm -----------------------------------
add(
    S(
        "wpt-xhr-redirect-303-after-preflight",
        "XHR GET x-test; B/r preflight 200 ok, GET 303 -> B/b (echoes ACAO)",
        R(api="xhr", headers=(("X-Test", "test"),)),
        {
            "r": api(
                pf(ACAO_O, acah("x-test"), status=200), loc(303, "{B}{C}/b", ACAO_O, acah("x-test"))
            ),
            "b": api(pf(ACAO_O, acah("x-test"), status=200), ok(ACAO_O, acah("x-test"))),
        },
        E(
            js="200",
            seen=("OPTIONS B/r", "GET B/r", "OPTIONS B/b acrm=GET acrh=x-test", "GET B/b"),
            preflight=True,
            acrh="x-test",
        ),
        wpt="cors/redirect-preflight.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-xhr-same-origin-redirect-then-preflight-ko",
        "XHR custom-header A/r (page origin) 302 -> B/b; B/b's preflight allows no headers",
        R(api="xhr", target="A", headers=(("Custom-Header", "admin"),)),
        {"b": api(pf(ACAO_STAR, status=200), OK_STAR)},
        E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "OPTIONS B/b"),
            preflight=True,
            acrh="custom-header",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "custom-header"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/b' (redirected from '{O}{C}/r') from origin '{O}' has been blocked by CORS policy: Request header field custom-header is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
        page_routes={"r": api(actual=loc(302, "{B}{C}/b", ACAO_STAR))},
        wpt="cors/redirect-preflight-2.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "OPTIONS B/b"),
            preflight=True,
            acrh="custom-header",
            blocked=True,
            issues=(
                ("CORSMissingAllowHeaderFromPreflight", "custom-header"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/b. (Reason: header ‘custom-header’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/b. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET O/r origin=-", "OPTIONS B/b"),
            preflight=True,
            acrh="custom-header",
            blocked=True,
            console=(
                "Request header field Custom-Header is not allowed by Access-Control-Allow-Headers.",
                "XMLHttpRequest cannot load {B}{C}/b due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-same-origin-redirect-then-preflight-ok",
        "XHR custom-header A/r (page origin) 302 -> B/b; B/b's preflight allows custom-header",
        R(api="xhr", target="A", headers=(("Custom-Header", "admin"),)),
        {"b": api(pf(ACAO_STAR, acah("custom-header"), status=200), OK_STAR)},
        E(
            js="200",
            seen=("GET O/r origin=-", "OPTIONS B/b", "GET B/b"),
            preflight=True,
            acrh="custom-header",
        ),
        page_routes={"r": api(actual=loc(302, "{B}{C}/b", ACAO_STAR))},
        wpt="cors/redirect-preflight-2.htm",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors/status.htm, status-preflight.htm, status-async.htm, preflight-failure.htm -----------------
add(
    S(
        "wpt-xhr-status-401-after-preflight",
        "XHR GET x-nonsimple; preflight 200 ok, the response 401 with ACAO",
        R(api="xhr", headers=(("X-Nonsimple", "true"),)),
        {"r": api(pf(ACAO_O, acah("x-nonsimple"), status=200), ok(ACAO_O, status=401))},
        E(
            js="401",
            seen=("OPTIONS B/r", "GET B/r"),
            preflight=True,
            acrh="x-nonsimple",
            console=(
                "Failed to load resource: the server responded with a status of 401 (Unauthorized)",
            ),
        ),
        wpt="cors/status-preflight.htm",
        firefox=E(js="401", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-nonsimple"),
        webkit=E(js="401", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-nonsimple"),
    ),
    S(
        "wpt-xhr-status-699-after-preflight",
        "XHR PUT x-nonsimple; preflight 200 ok, the response 699 with ACAO",
        R(api="xhr", method="PUT", headers=(("X-Nonsimple", "true"),)),
        {
            "r": api(
                pf(
                    ACAO_O, acah("x-nonsimple"), ("Access-Control-Allow-Methods", "PUT"), status=200
                ),
                ok(ACAO_O, status=699),
            )
        },
        E(
            js="699",
            seen=("OPTIONS B/r", "PUT B/r"),
            preflight=True,
            acrh="x-nonsimple",
            console=("Failed to load resource: the server responded with a status of 699 ()",),
        ),
        wpt="cors/status-preflight.htm",
        firefox=E(js="699", seen=("OPTIONS B/r", "PUT B/r"), preflight=True, acrh="x-nonsimple"),
        webkit=E(js="699", seen=("OPTIONS B/r", "PUT B/r"), preflight=True, acrh="x-nonsimple"),
    ),
    S(
        "wpt-xhr-status-400-no-acao",
        "XHR GET; 400 without ACAO",
        R(api="xhr"),
        {"r": api(actual=ok(status=400))},
        E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("MissingAllowOriginHeader", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                NET,
            ),
        ),
        wpt="cors/status.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            issues=(("CORSMissingAllowOrigin", "400"),),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 400.",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("GET B/r",),
            blocked=True,
            console=(
                "Origin {O} is not allowed by Access-Control-Allow-Origin. Status code: 400",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-preflight-400-with-cors",
        "XHR GET X-Custom; preflight 400 with ACAO + ACAH",
        R(api="xhr", headers=(("X-Custom", "preflight"),)),
        {"r": api(pf(ACAO_O, acah("x-custom"), status=400), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-custom",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="cors/status.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-custom",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "400"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 400.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-custom",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 400",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-preflight-699",
        "XHR PUT; preflight 699 with ACAO + ACAM",
        R(api="xhr", method="PUT"),
        {"r": api(pf(ACAO_O, ("Access-Control-Allow-Methods", "PUT"), status=699), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="cors/status-async.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "699"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 699.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 699",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
    S(
        "wpt-xhr-preflight-299",
        "XHR GET x-test; preflight 299 with ACAO + ACAH",
        R(api="xhr", headers=(("X-Test", "test"),)),
        {"r": api(pf(ACAO_O, acah("x-test"), status=299), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-test"),
        wpt="cors/preflight-failure.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-xhr-preflight-416",
        "XHR GET x-test; preflight 416 with ACAO + ACAH",
        R(api="xhr", headers=(("X-Test", "test"),)),
        {"r": api(pf(ACAO_O, acah("x-test"), status=416), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(("PreflightInvalidStatus", ""),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
                NET,
            ),
        ),
        wpt="cors/preflight-failure.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            issues=(("CORSPreflightDidNotSucceed", "416"), ("CORSDidNotSucceed", "(null)")),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS preflight response did not succeed). Status code: 416.",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-test",
            blocked=True,
            console=(
                "Preflight response is not successful. Status code: 416",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)

# -- cors/request-headers.htm, cors/preflight-cache.htm, cors-safelisted-request-header.any.js ------
add(
    S(
        "wpt-acah-strange-list",
        "XHR x-print + y-print; ACAH ',y-lol,x-PriNT, ,,,Y-PRINT'",
        R(api="xhr", headers=(("X-Print", "unicorn"), ("Y-Print", "narwhal"))),
        {"r": api(pf(ACAO_O, acah(",y-lol,x-PriNT, ,,,Y-PRINT")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "GET B/r"), preflight=True, acrh="x-print,y-print"),
        wpt="cors/request-headers.htm",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-acah-one-missing",
        "XHR x-print + y-print; ACAH x-print",
        R(api="xhr", headers=(("X-Print", "unicorn"), ("Y-Print", "unicorn"))),
        {"r": api(pf(ACAO_O, acah("x-print")), OK_O)},
        E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-print,y-print",
            blocked=True,
            issues=(("HeaderDisallowedByPreflightResponse", "y-print"),),
            console=(
                "Access to XMLHttpRequest at '{B}{C}/r' from origin '{O}' has been blocked by CORS policy: Request header field y-print is not allowed by Access-Control-Allow-Headers in preflight response.",
                NET,
            ),
        ),
        wpt="cors/request-headers.htm",
        firefox=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-print,y-print",
            blocked=True,
            issues=(
                ("CORSMissingAllowHeaderFromPreflight", "y-print"),
                ("CORSDidNotSucceed", "(null)"),
            ),
            console=(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: header ‘y-print’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {B}{C}/r. (Reason: CORS request did not succeed). Status code: (null).",
            ),
        ),
        webkit=E(
            js=XHR_FAILED,
            seen=("OPTIONS B/r",),
            preflight=True,
            acrh="x-print,y-print",
            blocked=True,
            console=(
                "Request header field Y-Print is not allowed by Access-Control-Allow-Headers.",
                "XMLHttpRequest cannot load {B}{C}/r due to access control checks.",
            ),
        ),
    ),
)
add(
    S(
        "wpt-ct-space-in-type",
        "POST Content-Type 'text /plain'",
        R(method="POST", headers=(("Content-Type", "text /plain"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-trailing-semicolon",
        "POST Content-Type 'text/plain;'",
        R(method="POST", headers=(("Content-Type", "text/plain;"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("POST B/r",)),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-garbage-param",
        "POST Content-Type 'text/plain;garbage'",
        R(method="POST", headers=(("Content-Type", "text/plain;garbage"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("POST B/r",)),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-trailing-comma",
        "POST Content-Type 'text/plain,'",
        R(method="POST", headers=(("Content-Type", "text/plain,"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-two-types",
        "POST Content-Type 'text/plain,text/plain'",
        R(method="POST", headers=(("Content-Type", "text/plain,text/plain"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-vt",
        "POST Content-Type 'text/plain\\x0b'",
        R(method="POST", headers=(("Content-Type", "text/plain\x0b"),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-www-form-urlencoded-typo",
        "POST Content-Type 'application/www-form-urlencoded'",
        R(
            method="POST",
            headers=(("Content-Type", "application/www-form-urlencoded"),),
            body="data",
        ),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-ct-multipart-quote",
        "POST Content-Type 'multipart/form-data;\"'",
        R(method="POST", headers=(("Content-Type", 'multipart/form-data;"'),), body="data"),
        {"r": api(pf(ACAO_O, acah("*")), OK_O)},
        E(js="200", seen=("OPTIONS B/r", "POST B/r"), preflight=True, acrh="content-type"),
        wpt="cors/cors-safelisted-request-header.any.js",
        firefox=SAME,
        webkit=SAME,
    ),
)

# -- cors/access-control-expose-headers-parsing.window.js (its resources/access-control-expose-
# headers.json): which Access-Control-Expose-Headers values expose `bb-8`. One invalid item voids
# the whole list; two field lines are one list. (Its `bb-8\v`/`bb-8\f` rows cannot pass mitmproxy
# unchanged: it strips trailing VT/FF, see the module docstring.)
ACEH = "Access-Control-Expose-Headers"
BB8 = ("BB-8", "hey")


def _expose(*aceh: str) -> dict:
    return {
        "r": api(
            actual=ok(ACAO_STAR, ("Content-Language", "mkay"), BB8, *((ACEH, v) for v in aceh))
        )
    }


_READ_BB8 = R(read_headers=("bb-8", "content-language"))
add(
    S(
        "wpt-aceh-upper-case",
        "ACEH 'BB-8' (exposed, names are case-insensitive)",
        _READ_BB8,
        _expose("BB-8"),
        E(js='200 {"bb-8": "hey", "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-aceh-invalid-item-voids",
        "ACEH 'bb-8,,@#$#%%&^&^*()()11!' (an invalid item: nothing exposed)",
        _READ_BB8,
        _expose("bb-8,,@#$#%%&^&^*()()11!"),
        E(js='200 {"bb-8": null, "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-aceh-two-lines-second-invalid",
        "ACEH 'bb-8' and a second line 'no no' (one list: invalid)",
        _READ_BB8,
        _expose("bb-8", "no no"),
        E(js='200 {"bb-8": null, "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-aceh-two-lines-empty-first",
        "ACEH '' and a second line 'bb-8' (exposed)",
        _READ_BB8,
        _expose("", "bb-8"),
        E(js='200 {"bb-8": "hey", "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-aceh-single-quotes",
        "ACEH \"'bb-8',bb-8\" (a quote is a token character: exposed)",
        _READ_BB8,
        _expose("'bb-8',bb-8"),
        E(js='200 {"bb-8": "hey", "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
    S(
        "wpt-aceh-double-quotes",
        "ACEH '\"bb-8\",bb-8' (a double quote is not: nothing exposed)",
        _READ_BB8,
        _expose('"bb-8",bb-8'),
        E(js='200 {"bb-8": null, "content-language": "mkay"}', seen=("GET B/r",)),
        wpt="cors/access-control-expose-headers-parsing.window.js",
        firefox=SAME,
        webkit=SAME,
    ),
)
