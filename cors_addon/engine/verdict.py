"""The verdict: what the browser decides about one request/response pair, with the warnings
a developer needs next to it."""

from __future__ import annotations

from .browsers import CHROMIUM
from .browsers import PROFILES
from .browsers import BrowserProfile
from .catalogue import render_error
from .checks import authorization_covered_by_wildcard
from .checks import cors_check
from .checks import invalid_http
from .checks import is_redirect
from .checks import parse_token_list
from .checks import preflight_check
from .checks import redirect_location_check
from .memo import Memo
from .model import Classification
from .model import CorsError
from .model import CorsWarning
from .model import Failure
from .model import Verdict
from .model import WireRequest
from .model import WireResponse
from .warnings import warning

NOT_CORS = Verdict("not-cors")

# Response headers any page can read (CORS-safelisted response header names).
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
# Headers nobody reads from script; not worth a "cannot read" warning.
_PLUMBING_HEADERS = frozenset(
    {
        "date",
        "server",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "vary",
        "content-encoding",
        "set-cookie",
        "set-cookie2",
        "alt-svc",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
        "x-powered-by",
        "content-security-policy",
        "content-security-policy-report-only",
        "referrer-policy",
        "permissions-policy",
        "timing-allow-origin",
        "report-to",
        "reporting-endpoints",
        "nel",
        "accept-ranges",
        "age",
        "via",
        "x-cache",
        "cf-ray",
        "cf-cache-status",
        "proxy-connection",
        "expect-ct",
        "origin-agent-cluster",
        "server-timing",
    }
)


# Response headers a `headers-not-exposed` warning never names.
NOT_WORTH_A_WARNING = SAFELISTED_RESPONSE_HEADERS | _PLUMBING_HEADERS


def _unreadable_headers(resp: WireResponse, credentials: bool) -> list[str]:
    exposed_raw = resp.headers.get("access-control-expose-headers")
    exposed = {n.lower() for n in (parse_token_list(exposed_raw) or ())}
    if "*" in exposed and not credentials:
        return []
    hidden = []
    for name in resp.headers.names():
        if name in NOT_WORTH_A_WARNING or name in exposed:
            continue
        if name.startswith(("access-control-", "cross-origin-")):
            continue
        hidden.append(name)
    return hidden


def _info_warnings(resp: WireResponse, credentials: bool, warnings: list[CorsWarning]) -> None:
    """Warnings about a response the page may read."""
    h = resp.headers
    hidden = _unreadable_headers(resp, credentials)
    if hidden:
        names = ", ".join(hidden)
        warnings.append(warning("headers-not-exposed", names=names))
    acao = (h.get("access-control-allow-origin") or "").strip()
    if acao and acao != "*":
        vary = (h.get("vary") or "").lower()
        cache_control = (h.get("cache-control") or "").lower()
        if "origin" not in vary and "*" not in vary and "no-store" not in cache_control:
            warnings.append(warning("vary-origin-missing", acao=acao))
    if credentials:
        exposed = parse_token_list(h.get("access-control-expose-headers")) or ()
        if "*" in exposed:
            warnings.append(warning("expose-headers-wildcard-with-credentials"))


def _status_hidden(resp: WireResponse, warnings: list[CorsWarning], preflight: bool) -> None:
    if resp.status >= 400:
        what = "the preflight" if preflight else "the request"
        warnings.append(warning("status-hidden", what=what, status=resp.status))


def _mode_warning(c: Classification, warnings: list[CorsWarning]) -> None:
    if c.mode_inferred and not c.is_preflight:
        warnings.append(warning("mode-inferred"))


def _network_error(
    req: WireRequest,
    c: Classification,
    error_text: str | None,
    redirected_from: str | None,
    initiator: str | None = None,
) -> Verdict:
    failure = Failure("network-error", error_text or "no response")
    return _failed("blocked", failure, req, c, redirected_from, initiator)


def _invalid_http(
    failure: Failure,
    req: WireRequest,
    c: Classification,
    redirected_from: str | None,
    initiator: str | None,
) -> Verdict:
    return _failed("invalid-http", failure, req, c, redirected_from, initiator)


def _failed(
    verdict: str,
    failure: Failure,
    req: WireRequest,
    c: Classification,
    redirected_from: str | None,
    initiator: str | None,
) -> Verdict:
    """A failure before (or instead of) the CORS checks: the request's own words for it."""
    error = render_error(
        failure,
        url=req.url,
        origin=c.origin or "null",
        kind=c.kind,
        method=req.method,
        redirected_from=redirected_from,
        initiator=initiator,
    )
    return Verdict(verdict, error)


def judge_request(
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
    profile: BrowserProfile = CHROMIUM,
    *,
    redirected_from: str | None = None,
    error_text: str | None = None,
    initiator: str | None = None,
) -> Verdict:
    """May the page read this actual (non-preflight) response? For a redirect: does the
    browser follow it?"""
    if not c.cors or c.origin is None:
        return NOT_CORS
    if resp is None:
        return _network_error(req, c, error_text, redirected_from, initiator)
    bad = invalid_http(resp.headers, profile)
    if bad is not None:
        return _invalid_http(bad, req, c, redirected_from, initiator)
    warnings: list[CorsWarning] = []
    _mode_warning(c, warnings)
    h = req.headers
    credentials = c.credentials == "include"
    revalidated = resp.status == 304 and ("if-none-match" in h or "if-modified-since" in h)
    if revalidated and "access-control-allow-origin" not in resp.headers:
        # The browser checks its stored response updated by the 304; the stored headers are
        # not on this exchange (the 304 changes no CORS header, so the stored verdict stands).
        warnings.append(warning("revalidation-304"))
        return Verdict("allowed", None, tuple(warnings))

    def render(failure: Failure) -> CorsError:
        return render_error(
            failure,
            url=req.url,
            origin=c.origin or "null",
            kind=c.kind,
            method=req.method,
            redirected_from=redirected_from,
            initiator=initiator,
            acao_lines=resp.headers.count("access-control-allow-origin"),
        )

    failure = cors_check(c.origin, resp.headers, credentials)
    if revalidated:
        # A 304 that carries Allow-Origin replaces the stored one (all three engines judge the
        # merged response, WPT cors/304.htm). Allow-Credentials may be only in the stored
        # response the proxy did not see: its absence here proves nothing.
        warnings.append(warning("revalidation-304"))
        if (
            failure is not None
            and failure.id == "acac-not-true"
            and "access-control-allow-credentials" not in resp.headers
        ):
            failure = None
    if failure is None and is_redirect(resp):
        failure = redirect_location_check(resp)
    if failure is not None:
        _status_hidden(resp, warnings, preflight=False)
        return Verdict("blocked", render(failure), tuple(warnings))

    alternative = None
    if not credentials:
        alt_failure = cors_check(c.origin, resp.headers, True)
        if alt_failure is not None:
            alternative = render(alt_failure)
            warnings.append(warning("credentials-would-block", message=alternative.message))
    if not is_redirect(resp):
        _info_warnings(resp, credentials, warnings)
    return Verdict("allowed", None, tuple(warnings), alternative)


def judge_preflight(
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
    profile: BrowserProfile = CHROMIUM,
    *,
    credentials: bool = False,
    redirected_from: str | None = None,
    error_text: str | None = None,
    initiator: str | None = None,
) -> Verdict:
    """Does the browser go on to send the actual request after this preflight?

    A preflight never shows the actual request's credentials mode: the verdict is for
    `credentials` (default: without), and a warning says what credentials would change.
    """
    origin = c.origin or "null"
    if resp is None:
        return _network_error(req, c, error_text, redirected_from, initiator)
    bad = invalid_http(resp.headers, profile)
    if bad is not None:
        return _invalid_http(bad, req, c, redirected_from, initiator)
    method = c.preflight.method
    announced = c.preflight.headers

    def render(failure: Failure) -> CorsError:
        return render_error(
            failure,
            url=req.url,
            origin=origin,
            kind=c.kind,
            method=method,
            redirected_from=redirected_from,
            initiator=initiator,
            acao_lines=resp.headers.count("access-control-allow-origin"),
        )

    warnings: list[CorsWarning] = []
    pna = "access-control-request-private-network" in req.headers
    if pna:
        warnings.append(warning("legacy-pna-preflight"))
    failure = preflight_check(origin, method, announced, resp, credentials, profile)
    if (
        failure is not None
        and pna
        and all(r.code == "forced-preflight" for r in c.preflight.reasons)
    ):
        # A preflight sent only for Private Network Access: Chrome only warned when it failed.
        error = render(failure)
        warnings.append(
            warning("legacy-pna-preflight-failed", code=error.code, message=error.message)
        )
        return Verdict("allowed", None, tuple(warnings))
    if failure is not None:
        if (
            failure.id.startswith("preflight-acao")
            and not 200 <= resp.status <= 299
            and profile.name == "chromium"
            and not is_redirect(resp)
        ):
            warnings.append(warning("safari-reports-status", status=resp.status))
        if failure.id != "preflight-status-not-ok":
            _status_hidden(resp, warnings, preflight=True)
        return Verdict("blocked", render(failure), tuple(warnings))

    alternative = None
    if not credentials:
        alt_failure = preflight_check(origin, method, announced, resp, True, profile)
        if alt_failure is not None:
            alternative = render(alt_failure)
            warnings.append(
                warning("credentials-would-block", "preflight", message=alternative.message)
            )
    if authorization_covered_by_wildcard(announced, resp, credentials):
        warnings.append(warning("authorization-covered-by-wildcard"))
    return Verdict("allowed", None, tuple(warnings), alternative)


_judged = Memo()  # verdicts whose words name the URL (an error, a redirect), by URL too
_judged_anywhere = Memo()  # verdicts the same for every URL of the target origin

# Warnings that quote a rendered error (whose sentence names the URL).
_QUOTING = frozenset({"credentials-would-block", "legacy-pna-preflight-failed"})


def same_for_any_url(verdict: Verdict, url: str, resp: WireResponse | None) -> bool:
    """Whether a verdict holds for every URL of its target origin: the URL reaches a verdict
    only through the browser's sentences (an error, a warning quoting one) and a redirect's
    Location; the origin is in the classification."""
    if verdict.error is not None or verdict.error_with_credentials is not None:
        return False
    if resp is not None and is_redirect(resp):
        return False
    return not any(w.code in _QUOTING or url in w.message for w in verdict.warnings)


def judge(
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
    profile: BrowserProfile = CHROMIUM,
    *,
    redirected_from: str | None = None,
    error_text: str | None = None,
    initiator: str | None = None,
) -> Verdict:
    """The browser's decision about a response (memoized: a pure function of the request
    line and fields, its classification, the response's status and fields, the browser and
    the redirect chain; a verdict that does not name the URL is kept for any URL of the
    target origin, so requests that differ only in their path or query share it)."""
    if PROFILES.get(profile.name) is not profile:
        return _judge(req, c, resp, profile, redirected_from, error_text, initiator)
    key = (
        req.method,
        req.headers.fields,
        c,
        None if resp is None else (resp.status, resp.headers.fields),
        profile.name,
        redirected_from,
        error_text,
        initiator,
    )
    verdict = _judged_anywhere.get(key)
    if verdict is not None:
        return verdict
    url_key = (key, req.url)
    verdict = _judged.get(url_key)
    if verdict is None:
        verdict = _judge(req, c, resp, profile, redirected_from, error_text, initiator)
        if same_for_any_url(verdict, req.url, resp):
            _judged_anywhere.put(key, verdict)
        else:
            _judged.put(url_key, verdict)
    return verdict


def _judge(
    req: WireRequest,
    c: Classification,
    resp: WireResponse | None,
    profile: BrowserProfile,
    redirected_from: str | None,
    error_text: str | None,
    initiator: str | None,
) -> Verdict:
    judge_one = judge_preflight if c.is_preflight else judge_request
    return judge_one(
        req,
        c,
        resp,
        profile,
        redirected_from=redirected_from,
        error_text=error_text,
        initiator=initiator,
    )
