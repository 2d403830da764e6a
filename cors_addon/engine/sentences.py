"""Each engine's own console lines for a failure, as data: Chromium's sentence (catalogue.py)
and its network line, Firefox's "Cross-Origin Request Blocked" templates (security.properties,
one per reason code) and WebKit's detail line plus its "... due to access control checks." line.

The texts are those Firefox ESR 153 and WebKitGTK 2.50 printed, word for word, quote characters
included (tests/browser/scenarios, checked live by test_addon_vs_firefox.py and
test_addon_vs_webkit.py). WebKit prints no codes: its `code` is the addon's failure id.
"""

from __future__ import annotations

from typing import NamedTuple

from .model import CorsError

CHROMIUM_NETWORK_LINE = "Failed to load resource: net::ERR_FAILED"

_FF = (
    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
)
# Firefox's reason codes (the security.properties keys without their digit) and templates:
# {url} is the request's URL, {value} the second value (a status, a header value or name).
FIREFOX: dict[str, str] = {
    "CORSMissingAllowOrigin": _FF
    + "{url}. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: {value}.",
    "CORSMultipleAllowOriginNotAllowed": _FF
    + "{url}. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
    "CORSAllowOriginNotMatchingOrigin": _FF
    + "{url}. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘{value}’).",
    "CORSNotSupportingCredentials": _FF
    + "‘{url}’. (Reason: Credential is not supported if the CORS header"
    " ‘Access-Control-Allow-Origin’ is ‘*’).",
    "CORSMissingAllowCredentials": _FF
    + "{url}. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
    "CORSDidNotSucceed": _FF
    + "{url}. (Reason: CORS request did not succeed). Status code: (null).",
    "CORSPreflightDidNotSucceed": _FF
    + "{url}. (Reason: CORS preflight response did not succeed). Status code: {value}.",
    "CORSExternalRedirectNotAllowed": _FF
    + "{url}. (Reason: CORS request external redirect not allowed).",
    "CORSInvalidAllowMethod": _FF
    + "{url}. (Reason: invalid token ‘{value}’ in CORS header ‘Access-Control-Allow-Methods’).",
    "CORSInvalidAllowHeader": _FF
    + "{url}. (Reason: invalid token ‘{value}’ in CORS header ‘Access-Control-Allow-Headers’).",
    "CORSMethodNotFound": _FF
    + "{url}. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
    "CORSMissingAllowHeaderFromPreflight": _FF
    + "{url}. (Reason: header ‘{value}’ is not allowed according to header"
    " ‘Access-Control-Allow-Headers’ from CORS preflight response).",
    "CORSRequestNotHttp": _FF + "{url}. (Reason: CORS request not http).",
}
FIREFOX_FAILED = "CORSDidNotSucceed"  # the line Firefox adds after a failed preflight/redirect

# The reason code for each failure id (the preflight-* ones share the actual request's).
_FIREFOX_CODE = {
    "acao-missing": "CORSMissingAllowOrigin",
    "acao-multiple": "CORSMultipleAllowOriginNotAllowed",  # one field line: not matching
    "acao-invalid": "CORSAllowOriginNotMatchingOrigin",
    "acao-mismatch": "CORSAllowOriginNotMatchingOrigin",
    "acao-wildcard-with-credentials": "CORSNotSupportingCredentials",
    "acac-not-true": "CORSMissingAllowCredentials",
    "preflight-status-not-ok": "CORSPreflightDidNotSucceed",
    "preflight-acam-unparseable": "CORSInvalidAllowMethod",
    "preflight-acah-unparseable": "CORSInvalidAllowHeader",
    "preflight-method-not-allowed": "CORSMethodNotFound",
    "preflight-header-not-allowed": "CORSMissingAllowHeaderFromPreflight",
}

# WebKit's detail lines ({origin} the Origin sent, {status} the response's status, {value} the
# header value, method or name concerned), and the line that ends every CORS failure.
WEBKIT: dict[str, str] = {
    "origin-not-allowed": "Origin {origin} is not allowed by Access-Control-Allow-Origin."
    " Status code: {status}",
    "more-than-one-origin": "Access-Control-Allow-Origin cannot contain more than one origin.",
    "wildcard-with-credentials": "Cannot use wildcard in Access-Control-Allow-Origin when"
    " credentials flag is true.",
    "credentials-not-true": "Credentials flag is true, but Access-Control-Allow-Credentials is"
    ' not "true".',
    "preflight-not-successful": "Preflight response is not successful. Status code: {status}",
    "invalid-allow-methods": "Header Access-Control-Allow-Methods has an invalid value: {value}",
    "invalid-allow-headers": "Header Access-Control-Allow-Headers has an invalid value: {value}",
    "method-not-allowed": "Method {value} is not allowed by Access-Control-Allow-Methods.",
    "header-not-allowed": "Request header field {value} is not allowed by"
    " Access-Control-Allow-Headers.",
    "redirect-denied": "Cross-origin redirection to {target} denied by Cross-Origin Resource"
    " Sharing policy: {detail}",
    "redirect-credentials": "redirection URL {value} has credentials",
    "cannot-load": "{api} cannot load {url} due to access control checks.",
    "unparseable": "Could not parse HTTP response",  # a preflight answer with a NUL byte
}
WEBKIT_API = {"XMLHttpRequest": "XMLHttpRequest"}  # every other initiator: "Fetch API"

_WEBKIT_LINE = {
    "acao-missing": "origin-not-allowed",
    "acao-invalid": "origin-not-allowed",
    "acao-mismatch": "origin-not-allowed",
    "acao-wildcard-with-credentials": "wildcard-with-credentials",
    "acac-not-true": "credentials-not-true",
    "preflight-status-not-ok": "preflight-not-successful",
    "preflight-redirect": "preflight-not-successful",
    "preflight-acam-unparseable": "invalid-allow-methods",
    "preflight-acah-unparseable": "invalid-allow-headers",
    "preflight-method-not-allowed": "method-not-allowed",
    "preflight-header-not-allowed": "header-not-allowed",
}


class Context(NamedTuple):
    """What the sentences need about the failed flow."""

    url: str
    origin: str  # the Origin the request carried
    kind: str  # fetch, XMLHttpRequest, ...
    status: int | None
    acao_lines: int = 1
    acam: str | None = None  # the raw Access-Control-Allow-Methods value
    acah: str | None = None
    redirect_to: str | None = None  # the absolute Location of a redirect response
    preflight: bool = False


def _base(failure_id: str) -> str:
    """The CORS check's id of a preflight's Allow-Origin/-Credentials failure (same words)."""
    if failure_id.startswith(("preflight-acao", "preflight-acac")):
        return failure_id.removeprefix("preflight-")
    return failure_id


def _invalid_http(error: CorsError) -> bool:
    return error.id.startswith("invalid-http")


def chromium_lines(error: CorsError) -> list[str]:
    if error.id == "network-error" or _invalid_http(error):
        return [error.console]
    return [error.console, CHROMIUM_NETWORK_LINE]


def _firefox(code: str, url: str, value: object = "") -> tuple[str, str]:
    return code, FIREFOX[code].format(url=url, value=value)


def firefox_lines(error: CorsError, ctx: Context) -> tuple[str, list[str]]:
    """Firefox's reason code (the first line's that is not CORSDidNotSucceed) and its lines."""
    fid = error.id
    base = _base(fid)
    url = ctx.url
    lines: list[tuple[str, str]] = []
    if _invalid_http(error):
        # one "did not succeed" line per request that failed: the preflight, then its request
        line = FIREFOX[FIREFOX_FAILED].format(url=url)
        return FIREFOX_FAILED, [line, line] if ctx.preflight else [line]
    if fid == "network-error" or fid == "redirect-location-has-credentials":
        lines.append(_firefox(FIREFOX_FAILED, url))
    elif fid == "preflight-redirect":
        lines.append(_firefox("CORSExternalRedirectNotAllowed", url))
        lines.append(_firefox("CORSPreflightDidNotSucceed", url, ctx.status))
    else:
        code = _FIREFOX_CODE[base]
        if base == "acao-multiple" and ctx.acao_lines < 2:
            code = "CORSAllowOriginNotMatchingOrigin"
        value: object = error.hint
        if code in ("CORSMissingAllowOrigin", "CORSPreflightDidNotSucceed"):
            value = ctx.status
        elif code == "CORSMissingAllowHeaderFromPreflight":
            value = error.hint.lower()
        lines.append(_firefox(code, url, value))
    if (ctx.preflight or ctx.redirect_to is not None) and lines[-1][0] != FIREFOX_FAILED:
        lines.append(_firefox(FIREFOX_FAILED, url))
    codes = [c for c, _ in lines if c != FIREFOX_FAILED]
    return (codes[0] if codes else FIREFOX_FAILED), [text for _, text in lines]


def _without_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i != -1 and i < end:
            end = i
    authority = rest[:end]
    if "@" not in authority:
        return url
    return f"{scheme}://{authority.rsplit('@', 1)[1]}{rest[end:]}"


def _userinfo_as_webkit_shows_it(url: str) -> str:
    """`http://user:@host/` as WebKit prints it: an empty password is dropped."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.partition("@")
    if sep and at and userinfo.endswith(":") and userinfo != ":":
        return f"{scheme}://{userinfo[:-1]}@{host}"
    return url


def webkit_lines(error: CorsError, ctx: Context) -> tuple[str, list[str]]:
    """WebKit's lines: the detail line, then '<API> cannot load <url> due to access control
    checks.'. Its `code` is the failure id (WebKit has none)."""
    fid = error.id
    cannot_load = WEBKIT["cannot-load"].format(
        api=WEBKIT_API.get(ctx.kind, "Fetch API"), url=ctx.url
    )
    if fid == "network-error":
        return fid, []  # not a CORS failure: WebKit's words for it are not modelled
    if _invalid_http(error):
        # a NUL byte: a failed preflight is reported; the actual request fails silently
        if fid == "invalid-http" and ctx.preflight:
            return fid, [WEBKIT["unparseable"], cannot_load]
        return fid, []
    base = _base(fid)
    # After a 304 revalidation WebKit names the stored response's status, which the proxy
    # never sees: a cached 200 (wpt-304-changes-acao; a stored response is a 200 but rarely).
    # A preflight answered 304 is no revalidation: its own status (wpt-pf-status-304).
    status = 200 if ctx.status == 304 and not ctx.preflight else ctx.status
    if base == "redirect-location-has-credentials":
        shown = _userinfo_as_webkit_shows_it(error.hint)
        detail = WEBKIT["redirect-credentials"].format(value=shown)
    elif base == "acao-multiple":
        if "," in error.hint or ctx.acao_lines > 1:
            detail = WEBKIT["more-than-one-origin"]
        else:
            detail = WEBKIT["origin-not-allowed"].format(origin=ctx.origin, status=status)
    else:
        value = error.hint
        if base == "preflight-acam-unparseable":
            value = ctx.acam or ""
        elif base == "preflight-acah-unparseable":
            value = ctx.acah or ""
        detail = WEBKIT[_WEBKIT_LINE[base]].format(origin=ctx.origin, status=status, value=value)
    if ctx.redirect_to is not None and not ctx.preflight:
        detail = WEBKIT["redirect-denied"].format(
            target=_without_userinfo(ctx.redirect_to), detail=detail
        )
    return fid, [detail, cannot_load]
