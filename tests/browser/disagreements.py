"""Where the addon's events and Chromium disagree, by scenario id, with the reason: each one is
a strict xfail in test_addon_vs_chromium.py (a fix turns it into a failing XPASS: remove the entry
then) and counts as a disagreement in the conformance table (conformance.py)."""

from __future__ import annotations

DISAGREEMENTS: dict[str, str] = {
    "cred-wildcard-no-cookie": (
        "fetch(credentials: 'include') with no cookie to send, answered ACAO *: Chromium blocks"
        " (WildcardOriginNotAllowed). Nothing on the wire shows the credentials mode, so the"
        " event says allowed with a 'credentials-would-block' warning. A wire limit rather than"
        " a bug: it stays a documented disagreement."
    ),
}

# Found by the scenarios drawn from web-platform-tests (issue 18); evidence in each scenario's
# recorded Chromium facts (tests/browser/scenarios/wpt_*.py).
_NO_COOKIE = (
    "credentials 'include' (or withCredentials) with no cookie to send: Chromium (and Firefox"
    " and WebKit alike) judges the Allow-Origin/Allow-Credentials pair as credentialed and"
    " blocks; nothing on the wire shows the credentials mode, so the event gives the verdict"
    " without credentials (allowed) and its credentials-would-block warning names the error."
    " A wire limit: most requests without a cookie are not credentialed."
)
_REDIRECTED_FROM_PAGE_ORIGIN = (
    "after a redirect from the page's own origin, Chromium's sentence names the first hop"
    " ('(redirected from <url>)'); the event's sentence has no such part."
)
DISAGREEMENTS.update(
    {
        "wpt-cred-include-no-cookie-no-acac": _NO_COOKIE,
        "wpt-xhr-acac-TRUE": _NO_COOKIE,
        "wpt-xhr-acac-quoted": _NO_COOKIE,
        "wpt-xhr-acac-false": _NO_COOKIE,
        "wpt-xhr-acac-1": _NO_COOKIE,
        "wpt-xhr-acac-comma-true": _NO_COOKIE,
        "wpt-xhr-acac-true-comma": _NO_COOKIE,
        "wpt-xhr-star-no-cookie": _NO_COOKIE,
        "wpt-redir-local-to-remote-null": _REDIRECTED_FROM_PAGE_ORIGIN,
        "wpt-xhr-same-origin-redirect-then-preflight-ko": _REDIRECTED_FROM_PAGE_ORIGIN,
        "wpt-redirect-origin-same-to-other-post": (
            "a same-origin POST carries Origin; its event rightly says not-cors, but this"
            " comparison treats every Origin-carrying request as a CORS request (a limit of this"
            " test, not of the addon)."
        ),
        "wpt-redirect-invalid-location": (
            "Chromium reports CorsDisabledScheme for the redirect target 'invalidurl:', which no"
            " server saw; the comparison cannot pair an issue without a request (a limit of this"
            " test)."
        ),
    }
)

ORPHAN_DISAGREEMENTS: dict[str, str] = {}
