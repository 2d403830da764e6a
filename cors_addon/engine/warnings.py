"""The warnings catalogue: every warning code an event can carry, what it means (the line
the docs' warnings table shows) and its message, with {placeholders} for the real values.

Beside the error catalogue (catalogue.py); every warning the engine, the pipeline, the
event builder and the capture readers attach comes from here:

    warning("status-hidden", what="the request", status=500)
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from .model import CorsWarning


@dataclass(frozen=True, slots=True)
class WarningSpec:
    code: str
    meaning: str  # one line, as the docs' table of warnings shows it
    text: str  # the message; {name} placeholders are filled by warning()
    variants: dict[str, str] = field(default_factory=dict)  # other messages of the code


_CREDENTIALS_MODES = "(fetch credentials: 'include', XHR withCredentials)"
_SPECS = (
    # -- what the browser decides (engine/verdict.py) ------------------------------------------
    WarningSpec(
        "credentials-would-block",
        "passes only because the request carries no credentials",
        "Allowed because the request shows no credentials. Sent with credentials"
        f" {_CREDENTIALS_MODES} it would be blocked: {{message}}",
        {
            "preflight": "Passes for a request without credentials. If the page sends it with"
            f" credentials {_CREDENTIALS_MODES}, the browser stops here: {{message}}"
        },
    ),
    WarningSpec(
        "status-hidden",
        "a CORS error hides the server's 4xx/5xx from the page",
        "The server answered {what} with {status}; the page never sees that status, only a"
        " CORS network error (fetch: 'TypeError: Failed to fetch', XHR: status 0).",
    ),
    WarningSpec(
        "headers-not-exposed",
        "response headers the page cannot read without `Access-Control-Expose-Headers`",
        "The page cannot read {names}: list them in Access-Control-Expose-Headers.",
    ),
    WarningSpec(
        "vary-origin-missing",
        "Allow-Origin echoes one origin but the response lacks `Vary: Origin`",
        "Access-Control-Allow-Origin names one origin ({acao}) but the response has no"
        " 'Vary: Origin': a shared or browser cache may hand it to another origin, which then"
        " fails CORS.",
    ),
    WarningSpec(
        "authorization-covered-by-wildcard",
        "Authorization allowed only by `Allow-Headers: *` (Chromium allows it, the spec does"
        " not, and Chromium re-preflights every time)",
        "Authorization passes only through 'Access-Control-Allow-Headers: *'. The Fetch spec"
        " says '*' never covers Authorization. Chromium allows it (DevTools shows a deprecation"
        " issue) but never caches this preflight, so every request is preflighted again;"
        " Firefox allows it with a warning; Safari allows it. List 'authorization' explicitly.",
    ),
    WarningSpec(
        "expose-headers-wildcard-with-credentials",
        "`*` is a literal name for credentialed requests",
        "Access-Control-Expose-Headers '*' is a literal name for a credentialed request: list"
        " the header names.",
    ),
    WarningSpec(
        "safari-reports-status",
        "Safari would report the preflight's status instead",
        "The preflight also failed with status {status}; Safari checks the status first and"
        " reports 'Preflight response is not successful.'",
    ),
    WarningSpec(
        "legacy-pna-preflight",
        "a Private Network Access preflight from an older Chrome",
        "Access-Control-Request-Private-Network: an older Chrome (104-141) sent a Private"
        " Network Access preflight. It needed 'Access-Control-Allow-Private-Network: true';"
        " current Chrome asks the user for Local Network Access permission instead.",
    ),
    WarningSpec(
        "legacy-pna-preflight-failed",
        "that preflight failed, but Chrome 104-141 only warned and sent the request",
        "This Private Network Access preflight failed ({code}: {message}) but Chrome 104-141"
        " only warned about it: the request went ahead.",
    ),
    WarningSpec(
        "revalidation-304",
        "a 304 revalidation is checked with the stored response's headers",
        "A 304 answer to a cache revalidation updates the browser's stored response, and the"
        " browser CORS-checks that merged response: a CORS header in the 304 replaces the stored"
        " one. The proxy sees only the 304, so only the CORS headers it carries were checked.",
    ),
    WarningSpec(
        "mode-inferred",
        "no `Sec-Fetch-Mode` (plain-http target): cors mode was assumed",
        "No Sec-Fetch-Mode header (browsers send it only to https and localhost): assumed a"
        " fetch()/XHR in cors mode. A form post or a no-cors request is not CORS-checked.",
    ),
    # -- pairing (pipeline.py) ------------------------------------------------------------------
    WarningSpec(
        "missing-preflight",
        "needs a preflight, none seen, no cached one covers it",
        "This request needs a preflight but none was seen and no cached preflight covers it:"
        " the proxy missed it (another connection, HTTP/3), an extension added a header, or"
        " the browser's rules differ (check cors_browser).",
    ),
    WarningSpec(
        "unexpected-preflight",
        "a preflight for a request that needs none (upload listener, streamed body)",
        "The browser preflighted a request that needs none by the method and header rules as"
        " sent: an XMLHttpRequest upload listener or a streamed body forces one, the browser's"
        " network stack rewrote a header after the check (Range: Bytes=0-1 is sent as"
        " bytes=0-1), or a header the proxy takes for the browser's was set by the page.",
    ),
    WarningSpec(
        "acrh-mismatch",
        "the preflight announced other headers than the request predicts",
        "The preflight announced Access-Control-Request-Headers '{announced}' but the"
        " request's headers predict '{predicted}'.",
    ),
    WarningSpec(
        "verdict-contradicted",
        "the browser sent a request after a preflight we judged blocked (wrong `cors_browser`?)",
        "The preflight (flow {flow}) was judged blocked, yet the browser sent this request: it"
        " judged the preflight differently (check cors_browser).",
    ),
    WarningSpec(
        "orphan-preflight",
        "on an `orphan` event: no actual request followed the preflight",
        "No actual request followed this preflight within {window:g} s. The preflight passed,"
        " so no CORS rule stopped it: the page probably aborted the request, or it reached the"
        " server by a path that bypasses the proxy.",
        {
            "credentials": "No actual request followed this preflight within {window:g} s. The"
            " preflight passed only for a request without credentials, so the browser most"
            " likely refused to send the actual request because it carries credentials.",
            "capture": "The capture lists the actual request of this preflight, but the browser"
            " never sent it ({error}). The preflight passed, so no CORS rule stopped it: the"
            " page probably aborted the request.",
            "capture-credentials": "The capture lists the actual request of this preflight, but"
            " the browser never sent it ({error}). The preflight passed only for a request"
            " without credentials, so the browser refused to send the actual request because"
            " it carries credentials.",
        },
    ),
    WarningSpec(
        "engines-disagree",
        "the engines decide differently: it works in one browser and fails in another",
        "{sides}: {detail}",
        {"unsent": "{sides}; {unsent} would send no preflight here: {detail}"},
    ),
    # -- what a rule did (pipeline.py) --------------------------------------------------------
    WarningSpec(
        "rule-made-it-worse",
        "a rule made the verdict worse than the server's own response (only `strip` should)",
        "Rule '{rule}' made this response worse than the server's own: the server's is"
        " {server}, the rewritten one is {sent}. A rule only adds grants unless it strips, so"
        " this is a bug: please report it with this flow.",
        {
            "strip": "Rule '{rule}' made this response worse than the server's own: the"
            " server's is {server}, the rewritten one is {sent}. Its strip removed {removed}."
        },
    ),
    # -- what a capture could not record (analyze) ---------------------------------------------
    WarningSpec(
        "capture-no-response",
        "the capture holds no response (status 0): the exact reason is unknown",
        "The capture holds no response for this request (status 0, {error}). Browsers record a"
        " CORS failure this way when they keep no response headers, so the exact reason is"
        " unknown: capture through the proxy, or with a browser that keeps the headers"
        " (current Chrome does), to see it.",
    ),
    WarningSpec(
        "capture-status-missing",
        "the capture has the response's headers but status 0: judged as a 200",
        "The capture has the response's headers but status 0; it was judged as a 200.",
    ),
    WarningSpec(
        "provisional-headers",
        "the capture has DevTools' provisional request headers (no `Origin`, `Cookie` or"
        " `Sec-Fetch-*`): the origin was inferred from the page",
        "The capture has only the provisional headers DevTools showed for this request"
        " ('Provisional headers are shown'): no Origin, Cookie or Sec-Fetch-* headers. It was"
        " judged as a {kind} in cors mode from origin {origin}, inferred from {source};"
        " whether it carried credentials is unknown.",
        {
            "no-cors": "The capture has only the provisional headers DevTools showed for this"
            " request ('Provisional headers are shown'): no Origin, Cookie or Sec-Fetch-*"
            " headers. Taken for a {kind} from origin {origin} (inferred from {source}), a CORS"
            " check would block it, yet the browser gave the page the response: it was not"
            " CORS-checked (a no-cors request)."
        },
    ),
    WarningSpec(
        "credentials-unknown",
        "the capture shows no `Cookie` or `Authorization` (a sanitized export removes them)"
        " and the verdict depends on credentials",
        "The capture shows no Cookie or Authorization header for this request (a sanitized"
        " export removes them), so whether it carried credentials is unknown, and with"
        " credentials it would be blocked. The capture does not record whether the browser"
        " blocked it: judged as without credentials.",
        {
            "failed": "The capture shows no Cookie or Authorization header for this request (a"
            " sanitized export removes them), so whether it carried credentials is unknown."
            " The capture records that the browser failed it ({error}), and with these response"
            " headers only a request with credentials fails: {message}",
        },
    ),
)

WARNINGS: dict[str, WarningSpec] = {spec.code: spec for spec in _SPECS}


def warning(code: str, variant: str | None = None, /, **values: object) -> CorsWarning:
    """The warning `code` with its message (or the message `variant`) filled in."""
    spec = WARNINGS[code]
    text = spec.text if variant is None else spec.variants[variant]
    return CorsWarning(code, text.format(**values) if values else text)
