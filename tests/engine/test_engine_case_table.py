"""cors-reference.md section 7: every row that one request/response pair decides (rows 1-59,
63-73, 85, 87, 88), with the table's defaults: page https://app.example, target
https://api.example/r, fetch() in mode cors (Sec-Fetch-Mode: cors), no cookies unless the row
says credentials include.

A row names the expected preflight reasons ("code:detail", or just "code" where the table gives
no detail), the predicted Access-Control-Request-Headers and the Chromium outcome. When the row
is preflighted, the preflight the engine predicts is built (as Chromium would send it), judged
against the row's preflight response, and, if it passes, the actual response is judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import pytest
from engine_builders import ACAC
from engine_builders import ACAH
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import ACEH
from engine_builders import PAGE
from engine_builders import cors_req
from engine_builders import preflight_of
from engine_builders import resp
from engine_builders import warning_codes

from cors_addon.engine import CHROMIUM
from cors_addon.engine import FIREFOX
from cors_addon.engine import SAFARI
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine import judge_preflight

EXACT = (ACAO, PAGE)
STAR = (ACAO, "*")
TRUE = (ACAC, "true")
JSON = ("Content-Type", "application/json")


@dataclass(frozen=True)
class Row:
    request: WireRequest
    reasons: tuple[str, ...] = ()  # expected preflight reasons; () = simple
    acrh: tuple[str, ...] = ()
    preflight: WireResponse | None = None
    response: WireResponse | None = None
    verdict: str | None = None  # allowed | blocked | not-cors; None: "depends"
    error: str | None = None  # our failure id
    code: str | None = None  # Chromium CorsError
    firefox: str | None = None
    message: str | None = None  # a piece of the console detail
    console_start: str | None = None
    warnings: frozenset[str] = field(default_factory=frozenset)
    no_warnings: frozenset[str] = field(default_factory=frozenset)
    redirected_from: str | None = None

    @property
    def credentials(self) -> bool:
        return "cookie" in self.request.headers


def get(*headers, **kw) -> WireRequest:
    return cors_req("GET", *headers, **kw)


# The nine safelisted headers of row 58, about 120 valid bytes each (1080 in total).
ROW_58 = [
    ("Accept", "text/html," * 12),
    ("Accept-Language", "en-US," * 20),
    ("Content-Language", "de-CH," * 20),
    ("Content-Type", "text/plain;charset=utf-8;x=" + "y" * 93),
    ("DPR", "1." + "0" * 118),
    ("Width", "1" * 120),
    ("Viewport-Width", "2" * 120),
    ("RTT", "3" * 120),
    ("Downlink", "1." + "5" * 118),
]
ROW_58_NAMES = tuple(sorted(n.lower() for n, _ in ROW_58))

MISSING = ("acao-missing", "MissingAllowOriginHeader", "CORSMissingAllowOrigin")
MISMATCH = ("acao-mismatch", "AllowOriginMismatch", "CORSAllowOriginNotMatchingOrigin")
PRE_MISSING = (
    "preflight-acao-missing",
    "PreflightMissingAllowOriginHeader",
    "CORSMissingAllowOrigin",
)
METHOD = (
    "preflight-method-not-allowed",
    "MethodDisallowedByPreflightResponse",
    "CORSMethodNotFound",
)
HEADER = (
    "preflight-header-not-allowed",
    "HeaderDisallowedByPreflightResponse",
    "CORSMissingAllowHeaderFromPreflight",
)
ACAM_PARSE = (
    "preflight-acam-unparseable",
    "InvalidAllowMethodsPreflightResponse",
    "CORSInvalidAllowMethod",
)
ACAH_PARSE = (
    "preflight-acah-unparseable",
    "InvalidAllowHeadersPreflightResponse",
    "CORSInvalidAllowHeader",
)


def blocked(names, message=None, **kw):
    error, code, firefox = names
    return {
        "verdict": "blocked",
        "error": error,
        "code": code,
        "firefox": firefox,
        "message": message,
        **kw,
    }


ROWS: dict[int, Row] = {
    1: Row(get(), response=resp(200, STAR), verdict="allowed"),
    2: Row(get(), response=resp(200), **blocked(MISSING)),
    3: Row(get(), response=resp(200, EXACT), verdict="allowed"),
    4: Row(get(), response=resp(200, (ACAO, PAGE + "/")), **blocked(MISMATCH, f"'{PAGE}/'")),
    5: Row(get(), response=resp(200, (ACAO, PAGE + ":443")), **blocked(MISMATCH, f"'{PAGE}:443'")),
    6: Row(get(), response=resp(200, (ACAO, "HTTPS://APP.EXAMPLE")), **blocked(MISMATCH)),
    7: Row(
        get(),
        response=resp(200, EXACT, EXACT),
        **blocked(
            ("acao-multiple", "MultipleAllowOriginValues", "CORSMultipleAllowOriginNotAllowed"),
            f"contains multiple values '{PAGE}, {PAGE}'",
        ),
    ),
    8: Row(
        get(),
        response=resp(200, (ACAO, f"{PAGE}, https://b.example")),
        **blocked(
            ("acao-multiple", "MultipleAllowOriginValues", "CORSAllowOriginNotMatchingOrigin")
        ),
    ),
    9: Row(
        get(),
        response=resp(200, (ACAO, "app.example")),
        **blocked(("acao-invalid", "InvalidAllowOriginValue", "CORSAllowOriginNotMatchingOrigin")),
    ),
    # Firefox's code for an empty value is not verified by the table: not asserted.
    10: Row(
        get(),
        response=resp(200, (ACAO, "")),
        **blocked(("acao-invalid", "InvalidAllowOriginValue", None), "the invalid value ''"),
    ),
    11: Row(get(), response=resp(200, (ACAO, "null")), **blocked(MISMATCH, "a value 'null'")),
    12: Row(get(origin="null"), response=resp(200, (ACAO, "null")), verdict="allowed"),
    13: Row(get(origin="null"), response=resp(200, STAR), verdict="allowed"),
    14: Row(
        get(cookie=True),
        response=resp(200, STAR),
        **blocked(
            (
                "acao-wildcard-with-credentials",
                "WildcardOriginNotAllowed",
                "CORSNotSupportingCredentials",
            )
        ),
    ),
    15: Row(
        get(cookie=True),
        response=resp(200, EXACT),
        **blocked(
            ("acac-not-true", "InvalidAllowCredentials", "CORSMissingAllowCredentials"),
            "response is '' which must be 'true'",
        ),
    ),
    16: Row(
        get(cookie=True),
        response=resp(200, EXACT, (ACAC, "True")),
        **blocked(
            ("acac-not-true", "InvalidAllowCredentials", "CORSMissingAllowCredentials"),
            "response is 'True' which",
        ),
    ),
    17: Row(get(cookie=True), response=resp(200, EXACT, TRUE), verdict="allowed"),
    18: Row(get(), response=resp(200, STAR, TRUE), verdict="allowed"),
    19: Row(get(), response=resp(500), **blocked(MISSING, warnings=frozenset({"status-hidden"}))),
    20: Row(get(), response=resp(403, STAR), verdict="allowed"),
    21: Row(
        cors_req("POST", ("Content-Type", "text/plain;charset=UTF-8")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    22: Row(
        cors_req("POST", ("Content-Type", "application/x-www-form-urlencoded")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    23: Row(
        cors_req(
            "POST", ("Content-Type", "multipart/form-data; boundary=----WebKitFormBoundaryA1b2")
        ),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    24: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, STAR, (ACAH, "Content-Type")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    25: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, STAR),
        **blocked(HEADER, "Request header field content-type is not allowed"),
    ),
    26: Row(
        cors_req("POST", ("Content-Type", 'text/plain; charset="utf-8"')),
        reasons=("header-value-unsafe-byte:content-type",),
        acrh=("content-type",),
        preflight=resp(404),
        **blocked(
            PRE_MISSING, "Response to preflight request doesn't pass access control check: No"
        ),
    ),
    27: Row(
        cors_req("POST", ("Content-Type", "")),
        reasons=("content-type-unparseable",),
        acrh=("content-type",),
    ),
    28: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, EXACT, (ACAH, "content-type")),
        response=resp(200, EXACT),
        verdict="allowed",
    ),
    29: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, EXACT, (ACAM, "PUT")),
        response=resp(200, EXACT),
        verdict="allowed",
    ),
    30: Row(
        cors_req("DELETE"),
        reasons=("method-not-safelisted:DELETE",),
        preflight=resp(200, STAR),
        **blocked(METHOD, "Method DELETE is not allowed by Access-Control-Allow-Methods"),
    ),
    31: Row(
        cors_req("patch"),
        reasons=("method-not-safelisted:patch",),
        preflight=resp(204, STAR, (ACAM, "PATCH")),
        **blocked(METHOD, "Method patch is not allowed"),
    ),
    32: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, STAR, (ACAM, "PUT")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    33: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, STAR, (ACAM, "put")),
        **blocked(METHOD, "Method PUT is not allowed"),
    ),
    34: Row(
        cors_req("DELETE"),
        reasons=("method-not-safelisted:DELETE",),
        preflight=resp(204, STAR, (ACAM, "GET;DELETE")),
        **blocked(ACAM_PARSE),
    ),
    35: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, STAR, (ACAM, "GET POST"), (ACAH, "content-type")),
        **blocked(ACAM_PARSE),
    ),
    36: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, STAR, (ACAH, "Content-Type X-Foo")),
        **blocked(ACAH_PARSE),
    ),
    37: Row(
        cors_req("POST", JSON),
        reasons=("content-type-not-safelisted:application/json",),
        acrh=("content-type",),
        preflight=resp(204, STAR, (ACAM, "GET"), (ACAH, "content-type")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    38: Row(
        get(("X-Requested-With", "XMLHttpRequest")),
        reasons=("header-not-safelisted:x-requested-with",),
        acrh=("x-requested-with",),
        preflight=resp(204, STAR, (ACAH, "X-REQUESTED-WITH")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    39: Row(
        get(("X-Api-Key", "k")),
        reasons=("header-not-safelisted:x-api-key",),
        acrh=("x-api-key",),
        preflight=resp(204, STAR, (ACAH, "x-other")),
        **blocked(HEADER, "Request header field x-api-key is not allowed"),
    ),
    40: Row(
        get(("Authorization", "Bearer t")),
        reasons=("header-not-safelisted:authorization",),
        acrh=("authorization",),
        preflight=resp(204, STAR, (ACAH, "*")),
        response=resp(200, STAR),
        verdict="allowed",
        warnings=frozenset({"authorization-covered-by-wildcard"}),
    ),
    41: Row(
        get(("Authorization", "Bearer t")),
        reasons=("header-not-safelisted:authorization",),
        acrh=("authorization",),
        preflight=resp(204, STAR, (ACAH, "Authorization")),
        response=resp(200, STAR),
        verdict="allowed",
        no_warnings=frozenset({"authorization-covered-by-wildcard"}),
    ),
    42: Row(
        get(("X-Foo", "1"), cookie=True),
        reasons=("header-not-safelisted:x-foo",),
        acrh=("x-foo",),
        preflight=resp(204, EXACT, TRUE, (ACAH, "*")),
        **blocked(HEADER, "Request header field x-foo is not allowed"),
    ),
    43: Row(
        cors_req("PUT", cookie=True),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, EXACT, TRUE, (ACAM, "*")),
        **blocked(METHOD, "Method PUT is not allowed"),
    ),
    44: Row(
        cors_req("PUT", cookie=True),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, EXACT, (ACAM, "PUT")),
        **blocked(
            (
                "preflight-acac-not-true",
                "PreflightInvalidAllowCredentials",
                "CORSMissingAllowCredentials",
            )
        ),
    ),
    45: Row(
        cors_req("PUT", cookie=True),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, STAR, TRUE, (ACAM, "PUT")),
        **blocked(
            (
                "preflight-acao-wildcard-with-credentials",
                "PreflightWildcardOriginNotAllowed",
                "CORSNotSupportingCredentials",
            )
        ),
    ),
    46: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(404),
        **blocked(PRE_MISSING),
    ),
    47: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(405, STAR, (ACAM, "PUT")),
        **blocked(
            ("preflight-status-not-ok", "PreflightInvalidStatus", "CORSPreflightDidNotSucceed"),
            "It does not have HTTP ok status.",
        ),
    ),
    48: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(301, ("Location", "https://elsewhere.example/r")),
        **blocked(
            ("preflight-redirect", "PreflightDisallowedRedirect", "CORSExternalRedirectNotAllowed"),
            "Redirect is not allowed for a preflight request.",
        ),
    ),
    49: Row(
        cors_req("PUT"),
        reasons=("method-not-safelisted:PUT",),
        preflight=resp(204, STAR, (ACAM, "PUT")),
        response=resp(200),
        **blocked(MISSING, "No 'Access-Control-Allow-Origin' header is present"),
    ),
    50: Row(
        get(("Accept-Language", "zh_CN")),
        reasons=("header-value-bad-chars:accept-language",),
        acrh=("accept-language",),
    ),
    51: Row(
        get(("Accept", "application/json, text/plain, */*")),
        response=resp(200, STAR),
        verdict="allowed",
    ),
    52: Row(
        get(("Accept", "a" * 129)), reasons=("header-value-too-long:accept",), acrh=("accept",)
    ),
    53: Row(
        get(("Content-Language", "de-CH, en;q=0.5")), response=resp(200, STAR), verdict="allowed"
    ),
    54: Row(get(("Range", "bytes=0-1023")), response=resp(200, STAR), verdict="allowed"),
    55: Row(get(("Range", "bytes=-500")), reasons=("range-not-simple",), acrh=("range",)),
    56: Row(get(("Range", "bytes=0-10,20-30")), reasons=("range-not-simple",), acrh=("range",)),
    57: Row(get(("DPR", "2")), response=resp(200, STAR), verdict="allowed"),
    58: Row(get(*ROW_58), reasons=("safelisted-total-too-long",), acrh=ROW_58_NAMES),
    59: Row(get(("User-Agent", "x")), response=resp(200, STAR), verdict="allowed"),
    63: Row(
        get(("Sec-Fetch-Dest", "image"), origin=None, mode="no-cors"),
        response=resp(200),
        verdict="not-cors",
    ),
    64: Row(
        get(("Sec-Fetch-Dest", "image")),
        response=resp(200),
        **blocked(
            MISSING,
            console_start=f"Access to image at 'https://api.example/r' from origin '{PAGE}'",
        ),
    ),
    65: Row(
        get(("Sec-Fetch-Dest", "script")),
        response=resp(200),
        **blocked(MISSING, console_start="Access to script at "),
    ),
    66: Row(
        get(
            ("X-Foo", "1"),
            ("Sec-Fetch-Site", "same-origin"),
            url="https://app.example/x",
            origin=None,
        ),
        response=resp(200),
        verdict="not-cors",
    ),
    67: Row(
        get(("X-Foo", "1"), ("Sec-Fetch-Site", "same-site"), url="https://api.app.example/r"),
        reasons=("header-not-safelisted:x-foo",),
        acrh=("x-foo",),
    ),
    68: Row(
        get(url="https://app.example/r", origin="http://app.example"),
        response=resp(200),
        **blocked(MISSING),
    ),
    69: Row(
        get(url="https://cdn.example/b", origin="null"),
        response=resp(200, EXACT),
        redirected_from="https://api.example/a",
        **blocked(
            MISMATCH,
            f"a value '{PAGE}'",
            console_start="Access to fetch at 'https://cdn.example/b'"
            " (redirected from 'https://api.example/a') ",
        ),
    ),
    70: Row(
        get(url="https://cdn.example/b", origin="null"),
        response=resp(200, STAR),
        redirected_from="https://api.example/a",
        verdict="allowed",
    ),
    71: Row(
        get(url="https://api.example/a"),
        response=resp(302, ("Location", "https://cdn.example/b")),
        **blocked(MISSING),
    ),
    72: Row(
        get(url="https://api.example/y"),
        response=resp(200, EXACT),
        redirected_from="https://app.example/x",
        verdict="allowed",
    ),
    73: Row(
        get(),
        response=resp(302, EXACT, ("Location", "https://u:p@cdn.example/")),
        **blocked(("redirect-location-has-credentials", "RedirectContainsCredentials", None)),
    ),
    85: Row(
        cors_req("POST", ("Content-Type", "text/plain;charset=UTF-8"), mode="no-cors", cookie=True),
        response=resp(200),
        verdict="not-cors",
    ),
    87: Row(
        get(("If-None-Match", '"v1"')),
        response=resp(304),
        verdict="allowed",
        warnings=frozenset({"revalidation-304"}),
    ),
    88: Row(
        get(cookie=True),
        response=resp(200, EXACT, TRUE, (ACEH, "*"), ("Vary", "Origin")),
        verdict="allowed",
        warnings=frozenset({"expose-headers-wildcard-with-credentials"}),
    ),
}

EXPECTED_ROWS = [*range(1, 60), *range(63, 74), 85, 87, 88]


def test_every_single_pair_row_is_in_the_table():
    assert sorted(ROWS) == EXPECTED_ROWS


def _matches(reason, expected: str) -> bool:
    code, sep, detail = expected.partition(":")
    return reason.code == code and (not sep or reason.detail == detail)


@pytest.mark.parametrize("row", [pytest.param(ROWS[n], id=f"row-{n}") for n in sorted(ROWS)])
def test_case_table(row: Row):
    c = classify(row.request, CHROMIUM)

    # The prediction: every reason, nothing else, and the ACRH Chromium would send.
    assert len(c.preflight.reasons) == len(row.reasons), c.preflight.reasons
    for expected in row.reasons:
        assert any(_matches(r, expected) for r in c.preflight.reasons), (expected, c.preflight)
    assert c.preflight.needed is bool(row.reasons)
    assert c.preflight.headers == row.acrh

    verdict = None
    warnings: set[str] = set()
    if row.reasons and row.preflight is not None:
        pre = preflight_of(row.request, c)
        pc = classify(pre, CHROMIUM)
        assert pc.is_preflight
        assert pc.preflight.method == row.request.method
        assert pc.preflight.headers == row.acrh
        verdict = judge_preflight(pre, pc, row.preflight, CHROMIUM, credentials=row.credentials)
        warnings |= warning_codes(verdict)
        if verdict.verdict == "blocked":
            assert row.response is None, "the actual request is never sent"
    if row.response is not None and (verdict is None or verdict.verdict == "allowed"):
        verdict = judge(row.request, c, row.response, CHROMIUM, redirected_from=row.redirected_from)
        warnings |= warning_codes(verdict)

    if row.verdict is None:  # the table says "depends on the preflight"
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.verdict == row.verdict
    if row.verdict != "blocked":
        assert verdict.error is None
    else:
        assert verdict.error.id == row.error
        assert verdict.error.code == row.code
        if row.firefox is not None:
            assert verdict.error.firefox == row.firefox
        if row.message is not None:
            assert row.message in verdict.error.message
        if row.console_start is not None:
            assert verdict.error.console.startswith(row.console_start)
        # The preflight prefix belongs to the Preflight* names only (2.0), not to the
        # ACAM/ACAH parse or the method/header errors.
        assert verdict.error.message.startswith(
            "Response to preflight request doesn't pass access control check: "
        ) is row.code.startswith("Preflight")
    assert row.warnings <= warnings
    assert not row.no_warnings & warnings


def test_row_46_in_safari_reports_the_status():
    request_ = cors_req("PUT")
    pre = preflight_of(request_, classify(request_))
    v = judge_preflight(pre, classify(pre), resp(404), profile=SAFARI)
    assert v.error.id == "preflight-status-not-ok"


def test_row_57_in_firefox_preflights_dpr():
    c = classify(get(("DPR", "2")), FIREFOX)
    assert [(r.code, r.detail) for r in c.preflight.reasons] == [("header-not-safelisted", "dpr")]


def test_row_58_in_firefox_only_its_unsafe_names():
    c = classify(get(*ROW_58), FIREFOX)
    assert {r.code for r in c.preflight.reasons} == {"header-not-safelisted"}
    assert c.preflight.headers == ("downlink", "dpr", "rtt", "viewport-width", "width")


def test_row_58_values_sum_over_1024():
    sizes = [len(v) for _, v in ROW_58]
    assert all(115 <= s <= 128 for s in sizes) and sum(sizes) > 1024
