"""The catalogue: every failure id with Chromium's CorsError name and console text, Firefox's
reason code and a one-line fix; preflight reasons in words. Warning texts are in
warnings.py.

Console texts follow Chromium's cors_error_string.cc (GetErrorStringForConsoleMessage).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import CorsError
from .model import Failure
from .model import Reason
from .origins import split_url

# What Chromium's console says about a response its HTTP parser rejects (no CORS issue at all),
# by failure id.
INVALID_HTTP_CONSOLE = {
    "invalid-http": "Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE",
    "invalid-http-multiple-location": (
        "Failed to load resource: net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"
    ),
    "invalid-http-multiple-content-disposition": (
        "Failed to load resource: net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION"
    ),
}
PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
FETCH_SUFFIX = " Have the server send the header with a valid value."
XHR_CREDENTIALS_SUFFIX = (
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by"
    " the withCredentials attribute."
)


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str  # Chromium's CorsError, as DevTools and CDP spell it
    firefox: str  # Firefox's reason (MDN page name)
    detail: str  # console detail, {hint} filled in
    fix: str  # one line; {origin} {hint} {method} {status} {path}
    preflight_prefix: bool = False
    fetch_suffix: bool = False  # Chromium appends FETCH_SUFFIX for fetch()
    xhr_suffix: bool = False  # Chromium appends XHR_CREDENTIALS_SUFFIX for XHR
    hint_in_detail: bool = True  # Chromium 156 prints '' for RedirectContainsCredentials


_MISSING = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
_MULTIPLE = (
    "The 'Access-Control-Allow-Origin' header contains multiple values '{hint}',"
    " but only one is allowed."
)
_INVALID = "The 'Access-Control-Allow-Origin' header contains the invalid value '{hint}'."
_MISMATCH = (
    "The 'Access-Control-Allow-Origin' header has a value '{hint}' that is not equal to the"
    " supplied origin."
)
_WILDCARD = (
    "The value of the 'Access-Control-Allow-Origin' header in the response must not be the"
    " wildcard '*' when the request's credentials mode is 'include'."
)
_ACAC = (
    "The value of the 'Access-Control-Allow-Credentials' header in the response is '{hint}'"
    " which must be 'true' when the request's credentials mode is 'include'."
)

_FIX_MISSING = (
    "Have the server send 'Access-Control-Allow-Origin: {origin}' on this response, error"
    ' statuses included (or a rule: allow_origin = "reflect").'
)
_FIX_MULTIPLE = (
    "Send exactly one Access-Control-Allow-Origin value ({origin}): two layers (app, proxy,"
    " CDN, framework) each add one, so remove one of them."
)
_FIX_INVALID = (
    "Send the page's serialized origin '{origin}' (scheme://host[:port], nothing else)"
    " instead of '{hint}'."
)
_FIX_MISMATCH = (
    "Send 'Access-Control-Allow-Origin: {origin}' exactly (no path or trailing slash, no"
    " default port, same case) instead of '{hint}'."
)
_FIX_WILDCARD = (
    "A credentialed request needs the origin reflected: send 'Access-Control-Allow-Origin:"
    " {origin}' and 'Access-Control-Allow-Credentials: true' instead of '*' (or stop sending"
    " credentials)."
)
_FIX_ACAC = (
    "Send 'Access-Control-Allow-Credentials: true' (exactly, lower-case) with the credentialed"
    " response, or stop sending credentials."
)


def _invalid_http_spec() -> ErrorSpec:
    """No CORS error: the browser refused the response itself (verdict `invalid-http`)."""
    return ErrorSpec(
        "InvalidHttpResponse",
        "CORSDidNotSucceed",
        "The browser rejects this response as invalid HTTP before CORS runs: {hint}.",
        "Not a CORS decision: the server (or something between it and the proxy) sent a"
        " response the browser does not accept ({hint}); fix what it sends. CORS headers"
        " cannot help.",
    )


ERRORS: dict[str, ErrorSpec] = {
    "acao-missing": ErrorSpec(
        "MissingAllowOriginHeader", "CORSMissingAllowOrigin", _MISSING, _FIX_MISSING
    ),
    "acao-multiple": ErrorSpec(
        "MultipleAllowOriginValues",
        "CORSMultipleAllowOriginNotAllowed",
        _MULTIPLE,
        _FIX_MULTIPLE,
        fetch_suffix=True,
    ),
    "acao-invalid": ErrorSpec(
        "InvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        _INVALID,
        _FIX_INVALID,
        fetch_suffix=True,
    ),
    "acao-mismatch": ErrorSpec(
        "AllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        _MISMATCH,
        _FIX_MISMATCH,
        fetch_suffix=True,
    ),
    "acao-wildcard-with-credentials": ErrorSpec(
        "WildcardOriginNotAllowed",
        "CORSNotSupportingCredentials",
        _WILDCARD,
        _FIX_WILDCARD,
        xhr_suffix=True,
    ),
    "acac-not-true": ErrorSpec(
        "InvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        _ACAC,
        _FIX_ACAC,
        xhr_suffix=True,
    ),
    "redirect-location-has-credentials": ErrorSpec(
        "RedirectContainsCredentials",
        "NS_ERROR_DOM_BAD_URI",
        "Redirect location '{hint}' contains a username and password, which is disallowed for"
        " cross-origin requests.",
        "Redirect to a URL without 'user:password@' (not '{hint}'); send credentials in a"
        " header instead.",
        hint_in_detail=False,
    ),
    "preflight-redirect": ErrorSpec(
        "PreflightDisallowedRedirect",
        "CORSExternalRedirectNotAllowed",
        "Redirect is not allowed for a preflight request.",
        "Browsers never follow a redirect on a preflight: make OPTIONS {path} answer 2xx"
        " itself, or point the page at the final URL (trailing slash, http->https)"
        ' (rule: preflight = "answer").',
        preflight_prefix=True,
    ),
    "preflight-acao-missing": ErrorSpec(
        "PreflightMissingAllowOriginHeader",
        "CORSMissingAllowOrigin",
        _MISSING,
        "Answer the OPTIONS preflight for {path} with 'Access-Control-Allow-Origin: {origin}' and"
        ' a 2xx status; the server likely has no OPTIONS handling (rule: preflight = "answer").',
        preflight_prefix=True,
    ),
    "preflight-acao-multiple": ErrorSpec(
        "PreflightMultipleAllowOriginValues",
        "CORSMultipleAllowOriginNotAllowed",
        _MULTIPLE,
        _FIX_MULTIPLE.replace("value ", "value on the preflight "),
        preflight_prefix=True,
        fetch_suffix=True,
    ),
    "preflight-acao-invalid": ErrorSpec(
        "PreflightInvalidAllowOriginValue",
        "CORSAllowOriginNotMatchingOrigin",
        _INVALID,
        _FIX_INVALID,
        preflight_prefix=True,
        fetch_suffix=True,
    ),
    "preflight-acao-mismatch": ErrorSpec(
        "PreflightAllowOriginMismatch",
        "CORSAllowOriginNotMatchingOrigin",
        _MISMATCH,
        _FIX_MISMATCH,
        preflight_prefix=True,
        fetch_suffix=True,
    ),
    "preflight-acao-wildcard-with-credentials": ErrorSpec(
        "PreflightWildcardOriginNotAllowed",
        "CORSNotSupportingCredentials",
        _WILDCARD,
        _FIX_WILDCARD,
        preflight_prefix=True,
        xhr_suffix=True,
    ),
    "preflight-acac-not-true": ErrorSpec(
        "PreflightInvalidAllowCredentials",
        "CORSMissingAllowCredentials",
        _ACAC,
        "The preflight of a credentialed request needs 'Access-Control-Allow-Credentials: true'"
        " too.",
        preflight_prefix=True,
        xhr_suffix=True,
    ),
    "preflight-status-not-ok": ErrorSpec(
        "PreflightInvalidStatus",
        "CORSPreflightDidNotSucceed",
        "It does not have HTTP ok status.",
        "Make OPTIONS {path} return 200 or 204 (it returned {hint}); exempt OPTIONS from"
        ' authentication, since preflights never carry credentials (rule: preflight = "fix").',
        preflight_prefix=True,
    ),
    "preflight-acam-unparseable": ErrorSpec(
        "InvalidAllowMethodsPreflightResponse",
        "CORSInvalidAllowMethod",
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
        "Send Access-Control-Allow-Methods as a comma-separated list of method tokens (for"
        " example 'GET, POST, {method}'); '{hint}' is not a token.",
    ),
    "preflight-acah-unparseable": ErrorSpec(
        "InvalidAllowHeadersPreflightResponse",
        "CORSInvalidAllowHeader",
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
        "Send Access-Control-Allow-Headers as a comma-separated list of header names; '{hint}'"
        " is not a token.",
    ),
    "preflight-method-not-allowed": ErrorSpec(
        "MethodDisallowedByPreflightResponse",
        "CORSMethodNotFound",
        "Method {hint} is not allowed by Access-Control-Allow-Methods in preflight response.",
        "Add {hint} to Access-Control-Allow-Methods on the preflight response (methods are"
        " case-sensitive, and '*' is only a wildcard without credentials).",
    ),
    "preflight-header-not-allowed": ErrorSpec(
        "HeaderDisallowedByPreflightResponse",
        "CORSMissingAllowHeaderFromPreflight",
        "Request header field {hint} is not allowed by Access-Control-Allow-Headers in preflight"
        " response.",
        "Add {hint} to Access-Control-Allow-Headers on the preflight response ('*' is only a"
        " wildcard without credentials), or stop sending that header.",
    ),
    "invalid-http": _invalid_http_spec(),
    "invalid-http-multiple-location": _invalid_http_spec(),
    "invalid-http-multiple-content-disposition": _invalid_http_spec(),
    "network-error": ErrorSpec(
        "NetworkError",
        "CORSDidNotSucceed",
        "The request failed before a response arrived: {hint}",
        "Not a CORS decision: the server did not answer ({hint}). Check that it is reachable"
        " from the proxy.",
    ),
}

# Firefox reports a single Allow-Origin line holding two values as a mismatch, and only two
# or more field lines as "multiple".
_FIREFOX_SINGLE_LINE_MULTIPLE = "CORSAllowOriginNotMatchingOrigin"


def encode_hint(hint: str) -> str:
    """Chromium's EncodeHint: non-printable and non-ASCII characters as \\uXXXX."""
    if hint.isascii() and hint.isprintable():
        return hint
    return "".join(c if " " <= c <= "~" else f"\\u{ord(c) & 0xFFFF:04X}" for c in hint)


def console_prefix(kind: str, url: str, origin: str, redirected_from: str | None) -> str:
    text = f"Access to {kind} at '{url}' "
    if redirected_from and redirected_from != url:
        text += f"(redirected from '{redirected_from}') "
    return text + f"from origin '{origin}' has been blocked by CORS policy: "


def render_error(
    failure: Failure,
    *,
    url: str,
    origin: str,
    kind: str = "fetch",
    method: str = "GET",
    redirected_from: str | None = None,
    initiator: str | None = None,
    acao_lines: int = 1,
) -> CorsError:
    """Turn a check failure into the browser's words and a fix.

    `initiator`: the Origin of a redirect chain's first request. After a cross-origin
    redirect the wire carries `Origin: null` (checked as such), but Chromium's console names
    the page's origin.
    """
    spec = ERRORS[failure.id]
    hint = encode_hint(failure.hint)
    message = spec.detail.format(hint=hint if spec.hint_in_detail else "")
    if spec.fetch_suffix and kind == "fetch":
        message += FETCH_SUFFIX
    if spec.xhr_suffix and kind == "XMLHttpRequest":
        message += XHR_CREDENTIALS_SUFFIX
    if spec.preflight_prefix:
        message = PREFLIGHT_PREFIX + message
    fix = spec.fix
    if "{" in fix:
        path = split_url(url)[3].split("?", 1)[0] if "{path}" in fix else ""
        fix = fix.format(origin=origin, hint=hint, method=method, path=path)
    firefox = spec.firefox
    if failure.id.endswith("acao-multiple") and acao_lines < 2:
        firefox = _FIREFOX_SINGLE_LINE_MULTIPLE
    if failure.id == "network-error":
        console = f"{method} {url} net::ERR_FAILED ({hint})"
    elif failure.id in INVALID_HTTP_CONSOLE:
        console = INVALID_HTTP_CONSOLE[failure.id]
    else:
        shown = initiator if redirected_from and initiator else origin
        console = console_prefix(kind, url, shown, redirected_from) + message
    return CorsError(failure.id, spec.code, firefox, message, fix, console, failure.hint)


_REASON_TEXT = {
    "method-not-safelisted": "method {detail}",
    "header-not-safelisted": "header {detail}",
    "header-value-too-long": "header {detail} longer than 128 bytes",
    "header-value-unsafe-byte": "header {detail} has a CORS-unsafe byte",
    "header-value-bad-chars": "header {detail} has a byte outside 0-9 A-Z a-z space * , - . ; =",
    "content-type-unparseable": "Content-Type '{detail}' is not a MIME type",
    "content-type-not-safelisted": "Content-Type {detail}",
    "range-not-simple": "Range '{detail}' is not a single 'bytes=N-[M]'",
    "safelisted-total-too-long": "safelisted header values total {detail} (over 1024)",
    "forced-preflight": "forced ({detail})",
}


def describe_reason(reason: Reason) -> str:
    return _REASON_TEXT.get(reason.code, reason.code + " {detail}").format(detail=reason.detail)


def describe_reasons(reasons: tuple[Reason, ...]) -> str:
    return ", ".join(describe_reason(r) for r in reasons)
