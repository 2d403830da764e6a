"""The CORS check and the preflight check, in the order Chromium runs them.

Each returns the first Failure (our stable id plus the value it is about) or None.
cors-reference.md section 2.1 (CheckAccess) and 2.2 (CheckPreflightAccess).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .browsers import CHROMIUM
from .browsers import BrowserProfile
from .classify import SAFELISTED_METHODS
from .model import Failure
from .model import Headers
from .model import WireResponse
from .origins import split_url

# Fetch's redirect statuses. 300 is not one (nor 304/306): a preflight answered 300 with a
# Location fails on its status in all three engines, and no engine follows an actual 300.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_TRIM = " \t\r\n\v\f"
# The URL standard's forbidden host code points (a special-scheme host must not hold them,
# also not percent-encoded); '%' itself is allowed as the start of an escape.
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")


def is_redirect(resp: WireResponse) -> bool:
    return resp.status in REDIRECT_STATUSES and "location" in resp.headers


def _is_valid_url(value: str) -> bool:
    """Roughly GURL(value).is_valid(): a scheme, and for the special schemes a host without
    forbidden code points (percent-decoded) and a port of at most 5 digits' value 65535.

    Chromium 156: `{origin}%23` and `{origin}:80` (a second port) are invalid
    (InvalidAllowOriginValue); `{origin}#`, `{origin}?`, `{origin}/p` are valid (mismatch).
    """
    m = _SCHEME.match(value)
    if m is None:
        return False
    scheme = value[: m.end() - 1].lower()
    rest = value[m.end() :]
    if scheme not in _SPECIAL_SCHEMES:
        return True
    authority = re.split(r"[/\\?#]", rest.lstrip("/\\"), maxsplit=1)[0]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            return False
        host, port = authority[: close + 1], authority[close + 1 :]
        if port and not port.startswith(":"):
            return False
        port = port[1:]
    else:
        host, _, port = authority.partition(":")
        if any(ch in _FORBIDDEN_HOST for ch in unquote(host)):
            return False
    digits = port.lstrip("0")  # int() refuses strings of over 4,300 digits
    if port and not (
        port.isascii() and port.isdigit() and len(digits) <= 5 and int(digits or "0") <= 65535
    ):
        return False
    return bool(host) or scheme == "file"


def invalid_http(headers: Headers, profile: BrowserProfile = CHROMIUM) -> Failure | None:
    """A response the browser's HTTP parser rejects before any CORS check.

    - A NUL byte in a header field: Chromium 156 net::ERR_INVALID_HTTP_RESPONSE, Firefox fails it
      (CORSDidNotSucceed, no status), WebKit too ("Could not parse HTTP response" for a
      preflight). WPT cors/origin.htm sends such Allow-Origin values; mitmproxy forwards them.
    - Two Location (or Content-Disposition) lines with different values: Chromium
      net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION, Firefox fails it too; WebKit follows the
      combined value instead (then fails on its CORS check).
    Other control bytes (\x01, \x7f, a lone CR) pass in all three.
    """
    for name, value in headers.fields:
        if "\x00" in name or "\x00" in value:
            return Failure("invalid-http", f"a NUL byte in the {name.lower()} header")
    if profile.joins_duplicate_location:
        return None
    for name, failure_id in _NO_DUPLICATES:
        values = headers.get_all(name)
        if len(values) > 1 and len(set(values)) > 1:
            return Failure(failure_id, f"{len(values)} different {name} header lines")
    return None


_NO_DUPLICATES = (
    ("location", "invalid-http-multiple-location"),
    ("content-disposition", "invalid-http-multiple-content-disposition"),
)


def cors_check(origin: str, headers: Headers, credentials: bool) -> Failure | None:
    """The CORS check of an actual or redirect response (Chromium CheckAccess)."""
    acao = headers.get("access-control-allow-origin")
    if acao is not None:
        acao = acao.strip(_TRIM)
    if acao == "*":
        if credentials:
            return Failure("acao-wildcard-with-credentials", "*")
    elif acao is None:
        return Failure("acao-missing")
    elif acao != origin:
        if " " in acao or "," in acao:
            return Failure("acao-multiple", acao)
        if acao == "null":
            return Failure("acao-mismatch", acao)
        if not _is_valid_url(acao):
            return Failure("acao-invalid", acao)
        return Failure("acao-mismatch", acao)
    if credentials:
        acac = headers.get("access-control-allow-credentials")
        if acac is None or acac.strip(_TRIM) != "true":
            return Failure("acac-not-true", "" if acac is None else acac.strip(_TRIM))
    return None


def redirect_location_check(resp: WireResponse) -> Failure | None:
    """A CORS request must not be redirected to a URL with a username or password."""
    location = (resp.headers.get("location") or "").strip()
    if location.startswith("//"):
        rest = location[2:]
    else:
        scheme_end = location.find("://")
        if scheme_end == -1:
            return None
        rest = location[scheme_end + 3 :]
    end = len(rest)
    for ch in "/?#\\":
        i = rest.find(ch)
        if i != -1 and i < end:
            end = i
    authority = rest[:end]
    if "@" not in authority:
        return None
    # Empty userinfo ('@host', ':@host') is no username and no password: the URL parser drops
    # it and all three engines follow (WPT cors-redirect-credentials).
    userinfo = authority.rsplit("@", 1)[0]
    if userinfo.replace(":", "", 1) == "":
        return None
    return Failure("redirect-location-has-credentials", location)


def parse_token_list(value: str | None) -> tuple[str, ...] | None:
    """Items of an Access-Control-Allow-Methods/-Headers value; None when one item is not
    a token (which fails the preflight). Empty items are skipped, as browsers do."""
    if value is None:
        return ()
    items = []
    for part in value.split(","):
        item = part.strip(_TRIM)
        if not item:
            continue
        if not _TOKEN.match(item):
            return None
        items.append(item)
    return tuple(items)


def _first_bad_item(value: str) -> str:
    for part in value.split(","):
        item = part.strip(_TRIM)
        if item and not _TOKEN.match(item):
            return item
    return value


def preflight_check(
    origin: str,
    method: str,
    announced_headers: tuple[str, ...],
    resp: WireResponse,
    credentials: bool,
    profile: BrowserProfile = CHROMIUM,
) -> Failure | None:
    """The preflight check, for the actual request's method, announced header names and
    credentials mode."""
    h = resp.headers
    ok_status = 200 <= resp.status <= 299
    if profile.preflight_status_first:
        if is_redirect(resp):
            return Failure("preflight-redirect", str(resp.status))
        if not ok_status:
            return Failure("preflight-status-not-ok", str(resp.status))
    if is_redirect(resp):
        return Failure("preflight-redirect", str(resp.status))
    failure = cors_check(origin, h, credentials)
    if failure is not None:
        return Failure("preflight-" + failure.id, failure.hint)
    if not ok_status:
        return Failure("preflight-status-not-ok", str(resp.status))

    acam_raw = h.get("access-control-allow-methods")
    methods = parse_token_list(acam_raw)
    if methods is None:
        return Failure("preflight-acam-unparseable", _first_bad_item(acam_raw or ""))
    acah_raw = h.get("access-control-allow-headers")
    allowed_headers = parse_token_list(acah_raw)
    if allowed_headers is None:
        return Failure("preflight-acah-unparseable", _first_bad_item(acah_raw or ""))

    if (
        method not in methods
        and method.upper() not in SAFELISTED_METHODS
        and not ("*" in methods and not credentials)
    ):
        return Failure("preflight-method-not-allowed", method)

    allowed = {name.lower() for name in allowed_headers}
    wildcard = "*" in allowed and not credentials
    for name in announced_headers:
        if name in allowed or wildcard:
            continue
        return Failure("preflight-header-not-allowed", name)
    return None


def authorization_covered_by_wildcard(
    announced_headers: tuple[str, ...], resp: WireResponse, credentials: bool
) -> bool:
    """Authorization passed only because of `Access-Control-Allow-Headers: *` (against the
    spec; Chromium, Firefox and Safari allow it by default)."""
    if credentials or "authorization" not in announced_headers:
        return False
    items = parse_token_list(resp.headers.get("access-control-allow-headers")) or ()
    lowered = {i.lower() for i in items}
    return "*" in lowered and "authorization" not in lowered


def location_url(resp: WireResponse, base_url: str) -> str | None:
    """The absolute URL a redirect response points to."""
    location = resp.headers.get("location")
    if location is None:
        return None
    location = location.strip()
    if "://" in location:
        return location
    scheme, host, port, path = split_url(base_url)
    authority = host if port is None else f"{host}:{port}"
    if location.startswith("//"):
        return f"{scheme}:{location}"
    if location.startswith("/"):
        return f"{scheme}://{authority}{location}"
    directory = path.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{scheme}://{authority}{directory}/{location}"
