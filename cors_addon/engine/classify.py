"""Request classification: is it a preflight, which mode, cross-origin or not, with
credentials or not, and (the question this project exists for) would a browser preflight
it, and why.

Every rule here is in cors-reference.md section 1 and 6.3; where Chromium and the spec
differ, the browser profile decides.
"""

from __future__ import annotations

import re

from .browsers import CHROMIUM
from .browsers import PROFILES
from .browsers import BrowserProfile
from .memo import Memo
from .model import Classification
from .model import Headers
from .model import Preflight
from .model import Reason
from .model import WireRequest
from .origins import normalize_origin
from .origins import url_origin

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
MODES = frozenset({"cors", "no-cors", "navigate", "same-origin", "websocket", "webtransport"})
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

# Forbidden request headers (Fetch) plus what the browser or network stack adds below the
# CORS layer. None of these is ever a preflight reason.
_NEVER_AUTHOR = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        # Chromium keeps User-Agent forbidden; Firefox lets scripts set it, but the proxy
        # cannot tell a script's value from the browser's own, so it never counts.
        "user-agent",
        "priority",
        "upgrade-insecure-requests",
        "x-client-data",
        # Conditional headers come from cache revalidation, which Chromium ignores.
        "if-none-match",
        "if-modified-since",
    }
)
_CACHE_MODE_VALUES = frozenset({"no-cache", "max-age=0"})

_UNSAFE_BYTE = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE_BAD = re.compile(r"[^0-9A-Za-z *,\-.;=]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_SIMPLE_RANGE = re.compile(r"bytes=([0-9]+)-([0-9]*)\Z")
_SIMPLE_RANGE_ANY_CASE = re.compile(r"bytes=([0-9]+)-([0-9]*)\Z", re.IGNORECASE)
_HTTP_WS = " \t"

VALUE_LIMIT = 128
TOTAL_LIMIT = 1024

_KIND_BY_DEST = {
    "script": "script",
    "image": "image",
    "font": "font",
    "style": "stylesheet",
    "audio": "audio",
    "video": "video",
    "track": "track",
    "worker": "worker",
    "sharedworker": "worker",
    "manifest": "manifest",
    "iframe": "iframe",
}


def _byte_len(value: str) -> int:
    if value.isascii():
        return len(value)
    return len(value.encode("utf-8", "surrogateescape"))


def mime_essence(value: str) -> str | None:
    """The lower-cased type/subtype of a Content-Type value as Chromium extracts it
    (net::ExtractMimeTypeFromMediaType: the part before ";" must be token "/" token, trimmed
    only at its two ends), or None when it does not parse."""
    essence = value.split(";", 1)[0]
    parts = essence.split("/")
    if len(parts) != 2:
        return None
    top, sub = parts[0].lstrip(_HTTP_WS), parts[1].rstrip(_HTTP_WS)
    if not _TOKEN.match(top) or not _TOKEN.match(sub):
        return None
    return f"{top}/{sub}".lower()


def safelist_reason(lname: str, value: str, profile: BrowserProfile) -> Reason | None:
    """Why an author header is not CORS-safelisted, or None when it is."""
    check_extra = profile.extra_safelisted.get(lname)
    if lname not in ("accept", "accept-language", "content-language", "content-type", "range"):
        if check_extra is None:
            return Reason("header-not-safelisted", lname)
        if _byte_len(value) > VALUE_LIMIT:
            return Reason("header-value-too-long", lname)
        return None if check_extra(value) else Reason("header-not-safelisted", lname)
    if _byte_len(value) > VALUE_LIMIT:
        return Reason("header-value-too-long", lname)
    if lname == "accept":
        if _UNSAFE_BYTE.search(value):
            return Reason("header-value-unsafe-byte", lname)
        return None
    if lname == "content-type":
        if _UNSAFE_BYTE.search(value):
            return Reason("header-value-unsafe-byte", lname)
        essence = mime_essence(value)
        if essence is None:
            return Reason("content-type-unparseable", value)
        if essence not in SAFELISTED_CONTENT_TYPES:
            return Reason("content-type-not-safelisted", essence)
        return None
    if lname == "range":
        m = (_SIMPLE_RANGE_ANY_CASE if profile.range_unit_any_case else _SIMPLE_RANGE).match(value)
        if m is None or (m.group(2) and int(m.group(1)) > int(m.group(2))):
            return Reason("range-not-simple", value)
        return None
    # accept-language, content-language
    if _LANGUAGE_BAD.search(value):
        return Reason("header-value-bad-chars", lname)
    return None


_SKIP = object()  # not an author header: never a reason, never counted
_safelist_cache: dict[tuple[str, str, str], object] = {}
_CACHE_LIMIT = 8192


def _author_verdict(lname: str, value: str, profile: BrowserProfile) -> object:
    """_SKIP for headers the browser adds itself, else safelist_reason (cached: the same
    names and values come back on every request)."""
    key = (lname, value, profile.name)
    verdict = _safelist_cache.get(key)
    if verdict is not None:
        return verdict
    if lname in _NEVER_AUTHOR or lname.startswith(("sec-", "proxy-", ":")):
        verdict = _SKIP
    elif (lname == "cache-control" or lname == "pragma") and value.lower() in _CACHE_MODE_VALUES:
        # DevTools "Disable cache", reloads and fetch cache modes add these below CORS.
        verdict = _SKIP
    else:
        verdict = safelist_reason(lname, value, profile) or _SAFE
    if len(_safelist_cache) >= _CACHE_LIMIT:
        _safelist_cache.clear()
    _safelist_cache[key] = verdict
    return verdict


_SAFE = Reason("", "")  # sentinel: a safelisted author header


def preflight_reasons(
    method: str,
    headers: Headers,
    profile: BrowserProfile = CHROMIUM,
    browser_added_auth: bool = False,
) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
    """Every reason a browser would preflight this cross-origin cors-mode request, and the
    Access-Control-Request-Headers it would send (lower-case, sorted).

    Duplicate fields count as one header with the values joined by ", ", as browsers
    combine them. `browser_added_auth`: the Authorization header came from the browser's
    HTTP authentication cache (not announced by the preflight), so it is no reason.
    """
    reasons: list[Reason] = []
    if method not in SAFELISTED_METHODS and method.upper() not in SAFELISTED_METHODS:
        reasons.append(Reason("method-not-safelisted", method))
    unsafe: list[str] = []
    safelisted_names: list[str] = []
    safelisted_total = 0
    for lname, values in headers.items():
        raw = values[0] if len(values) == 1 else ", ".join(values)
        value = raw.strip(_HTTP_WS)
        if browser_added_auth and lname == "authorization":
            continue
        verdict = _author_verdict(lname, value, profile)
        if verdict is _SKIP:
            continue
        if verdict is _SAFE:
            safelisted_names.append(lname)
            safelisted_total += _byte_len(value)
        else:
            unsafe.append(lname)
            reasons.append(verdict)  # type: ignore[arg-type]
    if profile.safelisted_total_rule and safelisted_total > TOTAL_LIMIT:
        reasons.append(Reason("safelisted-total-too-long", f"{safelisted_total} bytes"))
        unsafe.extend(safelisted_names)
    return tuple(reasons), tuple(sorted(unsafe))


def parse_header_list(value: str | None) -> tuple[str, ...]:
    """Names in an Access-Control-Request-Headers value: lower-case, sorted, no duplicates."""
    if not value:
        return ()
    return tuple(sorted({n.strip().lower() for n in value.split(",") if n.strip()}))


def _infer_mode(req: WireRequest, origin: str | None, is_preflight: bool) -> str:
    h = req.headers
    upgrade = h.get("upgrade")
    if upgrade is not None and upgrade.lower() == "websocket":
        return "websocket"
    if is_preflight:
        return "cors"
    method = req.method.upper()
    if origin is not None and method in ("GET", "HEAD"):
        return "cors"
    accept = h.get("accept") or ""
    if "upgrade-insecure-requests" in h and "text/html" in accept:
        return "navigate"
    if origin is not None and method not in SAFELISTED_METHODS:
        return "cors"
    return "unknown"


def _kind(headers: Headers) -> str:
    """What Chromium's console calls the initiator, as far as the wire shows it: the
    Sec-Fetch-Dest of an element; an XHR by its X-Requested-With: XMLHttpRequest, or, on its
    preflight, by that header's name in Access-Control-Request-Headers; else fetch."""
    dest = headers.get("sec-fetch-dest")
    if dest is not None and dest != "empty":
        return _KIND_BY_DEST.get(dest, "fetch")
    xrw = headers.get("x-requested-with")
    if xrw is not None and xrw.lower() == "xmlhttprequest":
        return "XMLHttpRequest"
    if "x-requested-with" in parse_header_list(headers.get("access-control-request-headers")):
        return "XMLHttpRequest"
    return "fetch"


_classified = Memo()


def classify(
    req: WireRequest,
    profile: BrowserProfile = CHROMIUM,
    announced_headers: tuple[str, ...] | None = None,
) -> Classification:
    """Classify a request from what is on the wire (memoized: a pure function of the
    method, the URL's origin, the header fields, the browser and the announced headers).

    `announced_headers`: the Access-Control-Request-Headers of the preflight paired with
    this actual request (None when there was none); it tells a script-set Authorization
    from one the browser added from its HTTP-auth cache.
    """
    if PROFILES.get(profile.name) is not profile:
        return _classify(req, profile, announced_headers)
    key = (req.method, url_origin(req.url), req.headers.fields, profile.name, announced_headers)
    c = _classified.get(key)
    if c is None:
        c = _classified.put(key, _classify(req, profile, announced_headers))
    return c


def _classify(
    req: WireRequest,
    profile: BrowserProfile,
    announced_headers: tuple[str, ...] | None,
) -> Classification:
    """Classify a request from what is on the wire.

    `announced_headers`: the Access-Control-Request-Headers of the preflight paired with
    this actual request (None when there was none); it tells a script-set Authorization
    from one the browser added from its HTTP-auth cache.
    """
    h = req.headers
    origin = h.get("origin")
    if origin is not None and h.count("origin") > 1:
        origin = h.get_all("origin")[0]
    is_preflight = (
        origin is not None and req.method == "OPTIONS" and "access-control-request-method" in h
    )
    target = url_origin(req.url)

    sec_mode = h.get("sec-fetch-mode")
    if sec_mode is not None:
        mode = sec_mode.strip().lower()
        if mode not in MODES:
            mode = "unknown"
        inferred = False
    else:
        mode = _infer_mode(req, origin, is_preflight)
        inferred = True

    if origin is not None:
        cross_origin = origin == "null" or normalize_origin(origin) != target
    else:
        site = h.get("sec-fetch-site")
        cross_origin = site is not None and site not in ("same-origin", "none")

    credentials = "unknown"
    evidence: str | None = None
    browser_added_auth = False
    if not is_preflight:
        if "cookie" in h:
            credentials, evidence = "include", "cookie"
        elif "sec-fetch-storage-access" in h:
            credentials, evidence = "include", "sec-fetch-storage-access"
        elif (
            "authorization" in h
            and announced_headers is not None
            and "authorization" not in announced_headers
        ):
            credentials, evidence = "include", "authorization"
            browser_added_auth = True

    if is_preflight:
        cors = True
        acrm = (h.get("access-control-request-method") or "").strip()
        announced = parse_header_list(h.get("access-control-request-headers"))
        reasons: list[Reason] = []
        if acrm.upper() not in SAFELISTED_METHODS:
            reasons.append(Reason("method-not-safelisted", acrm))
        reasons.extend(Reason("header-not-safelisted", n) for n in announced)
        if not reasons:
            if "access-control-request-private-network" in h:
                detail = "Private Network Access preflight (Access-Control-Request-Private-Network)"
            else:
                detail = (
                    "no unsafe method or header: an XMLHttpRequest upload listener"
                    " or a streamed body"
                )
            reasons.append(Reason("forced-preflight", detail))
        preflight = Preflight(True, tuple(reasons), acrm, announced)
    else:
        cors = cross_origin and (mode == "cors" or (mode == "unknown" and origin is not None))
        if cors:
            why, names = preflight_reasons(req.method, h, profile, browser_added_auth)
            preflight = Preflight(bool(why), why, req.method, names)
        else:
            preflight = Preflight(False, (), req.method, ())

    return Classification(
        is_preflight=is_preflight,
        origin=origin,
        url_origin=target,
        mode=mode,
        mode_inferred=inferred,
        cross_origin=cross_origin,
        credentials=credentials,
        credentials_evidence=evidence,
        cors=cors,
        preflight=preflight,
        kind=_kind(h),
    )


def not_cors_reason(c: Classification) -> str:
    """Why CORS does not apply to a classified request, in a few words."""
    if not c.cross_origin:
        return "same-origin request"
    if c.mode == "no-cors":
        return (
            "no-cors request (an element or a no-cors fetch): the response is opaque,"
            " never CORS-checked"
        )
    if c.mode == "navigate":
        return "navigation"
    if c.mode in ("websocket", "webtransport"):
        name = "WebSocket" if c.mode == "websocket" else "WebTransport"
        return f"{name} handshake: CORS does not apply, the server checks Origin itself"
    if c.mode == "same-origin":
        return "same-origin mode request"
    return "not a CORS request"
