"""A call: what a page does (fetch/XHR in cors mode), before any browser turns it into
requests. `check URL` builds one from its options; `check --from` from a recorded event,
HAR entry or flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from ..engine import url_origin
from ..engine.origins import split_url

CREDENTIALS_MODES = ("omit", "same-origin", "include")
SAFE_METHODS = frozenset({"GET", "HEAD"})

# Fetch's forbidden request header names (a page cannot set them) and prefixes.
FORBIDDEN = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
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
    }
)
FORBIDDEN_PREFIXES = ("sec-", "proxy-")
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# What browsers add below the CORS layer: in a recording these are the browser's, not the
# page's (cors-reference.md 1.4); Cookie and Authorization values are credentials.
BROWSER_ADDED = frozenset(
    {
        "user-agent",
        "priority",
        "upgrade-insecure-requests",
        "x-client-data",
        "if-none-match",
        "if-modified-since",
        "accept-language",
    }
)
_CACHE_MODE = {"cache-control": ("no-cache", "max-age=0"), "pragma": ("no-cache",)}

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(r"[\x00\r\n]")
# fetch() and XHR upper-case these methods (case-insensitively); any other keeps its case.
_NORMALIZED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT")

Fields = tuple[tuple[str, str], ...]


class CallError(ValueError):
    """A call that no page could make; the message names the problem."""


@dataclass(frozen=True, slots=True)
class Call:
    """One cross-origin call a page makes.

    `headers` are the author headers (what the script sets), in order. `cookie` stands for
    the browser's cookie jar: sent on actual requests when credentials are `include`.
    """

    url: str
    origin: str
    method: str = "GET"
    headers: Fields = ()
    credentials: str = "omit"
    cookie: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def server(self) -> str:
        return url_origin(self.url)

    @property
    def credentialed(self) -> bool:
        return self.credentials == "include"

    @property
    def safe(self) -> bool:
        return self.method.upper() in SAFE_METHODS

    def label(self) -> str:
        path = split_url(self.url)[3]
        creds = ", credentials" if self.credentialed else ""
        return f"{self.method} {self.server}{path} from {self.origin}{creds}"

    def key(self) -> tuple[object, ...]:
        """Two calls with the same key make the same requests."""
        return (self.method, self.url, self.origin, self.credentials, self.headers, self.cookie)


def normalize_method(method: str) -> str:
    """As fetch() normalizes it: the six standard methods upper-cased, others as given."""
    if not _TOKEN.match(method):
        raise CallError(f"method {method!r} is not an HTTP token")
    upper = method.upper()
    if upper in FORBIDDEN_METHODS:
        raise CallError(f"method {method} is forbidden: fetch() and XHR refuse to send it")
    return upper if upper in _NORMALIZED_METHODS else method


def check_url(url: str, what: str = "URL") -> str:
    """An absolute http(s) URL without a fragment (which never reaches the server)."""
    scheme, host, port, _ = split_url(url)
    if scheme not in ("http", "https") or not host:
        raise CallError(f"{what} {url!r} is not an absolute http:// or https:// URL")
    if port is None and re.match(r"[a-z]+://[^/?#]*:[^/?#]*", url, re.IGNORECASE):
        raise CallError(f"{what} {url!r} has an invalid port")
    return url.split("#", 1)[0]


def check_origin(origin: str) -> str:
    """A serialized origin (scheme://host[:port]) or "null"."""
    if origin == "null":
        return origin
    try:
        check_url(origin, "--origin")
    except CallError:
        raise CallError(
            f"--origin {origin!r} is not an origin: give scheme://host[:port], e.g."
            " https://app.example"
        ) from None
    serialized = url_origin(origin)
    if origin.rstrip("/") != serialized:
        raise CallError(
            f"--origin {origin!r} is not a serialized origin: browsers send {serialized!r}"
            " (no path, no trailing slash, no default port, lower case)"
        )
    return serialized


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' as given to -H."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise CallError(f"-H {text!r}: expected 'Name: value'")
    if not _TOKEN.match(name):
        raise CallError(f"-H {text!r}: {name!r} is not a valid header name")
    value = value.strip(" \t")
    if _BAD_VALUE.search(value):
        raise CallError(f"-H {name}: the value contains a line break or NUL")
    return name, value


def is_forbidden(name: str) -> bool:
    lname = name.lower()
    return lname in FORBIDDEN or lname.startswith(FORBIDDEN_PREFIXES)


def make_call(
    url: str,
    origin: str,
    method: str = "GET",
    headers: list[str] | tuple[str, ...] = (),
    credentials: str = "omit",
) -> Call:
    """The call of `check URL`, validated: every problem raises CallError."""
    url = check_url(url)
    origin = check_origin(origin)
    if origin != "null" and url_origin(url) == origin:
        raise CallError(
            f"{url} is on the page's own origin {origin}: a same-origin request is never"
            " CORS-checked (give --origin the page's origin)"
        )
    if credentials not in CREDENTIALS_MODES:
        raise CallError(f"--credentials {credentials!r}: choose omit, same-origin or include")
    fields: list[tuple[str, str]] = []
    cookie = None
    for text in headers:
        name, value = parse_header(text)
        lname = name.lower()
        if lname == "cookie":
            if credentials != "include":
                raise CallError(
                    "-H Cookie: a browser sends cookies on a cross-origin call only with"
                    " --credentials include"
                )
            cookie = value if cookie is None else f"{cookie}; {value}"
            continue
        if is_forbidden(name):
            hint = " (use --origin)" if lname == "origin" else ""
            raise CallError(
                f"-H {name}: a page cannot set this header (a forbidden request header: the"
                f" browser sets it itself){hint}"
            )
        fields.append((name, value))
    return Call(url, origin, normalize_method(method), tuple(fields), credentials, cookie)


def author_fields(fields: Fields) -> Fields:
    """The headers of a recorded request that the page set: forbidden ones and what the
    browser adds below the CORS layer dropped (Authorization kept: it is the page's)."""
    out = []
    for name, value in fields:
        lname = name.lower()
        if lname.startswith(":") or is_forbidden(name) or lname in BROWSER_ADDED:
            continue
        if lname in _CACHE_MODE and value.strip().lower() in _CACHE_MODE[lname]:
            continue
        out.append((name, value))
    return tuple(out)
