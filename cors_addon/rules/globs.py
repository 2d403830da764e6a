"""Globs of match.hosts, match.paths, match.origins and strip: `*` is the only wildcard."""

from __future__ import annotations

import re
import string
from typing import NamedTuple

from cors_addon.engine.origins import DEFAULT_PORTS
from cors_addon.engine.origins import is_loopback_host
from cors_addon.rules.errors import Invalid

TCHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_HOST_CHARS = frozenset(string.ascii_lowercase + string.digits + ".-_*")
_IPV6_CHARS = frozenset(string.hexdigits.lower() + ":.*")
_SCHEME = re.compile(r"[a-z*][a-z0-9+.\-*]*")


class Glob(NamedTuple):
    text: str
    regex: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.regex.fullmatch(value) is not None


class HostGlob(NamedTuple):
    text: str
    host: str  # lower-case, IPv6 without brackets
    port: int | None  # None: any port
    regex: re.Pattern[str] | None  # None: `host` is exact

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        return host == self.host if self.regex is None else self.regex.fullmatch(host) is not None


def _glob_re(glob: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")), flags)


_PORT = re.compile(r"[0-9]{1,5}")
_PORT_HINT = "A port is a number from 1 to 65535, or * for any port"


def _port_number(text: str) -> int | None:
    """A port of 1 to 65535 in ASCII digits (int() would take "\u0661" and refuse 5000
    digits), else None."""
    if not _PORT.fullmatch(text):
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def _plain(value: str, what: str) -> str:
    if not value:
        raise Invalid(f"empty {what}")
    if value != value.strip() or any(c.isspace() for c in value):
        raise Invalid(f'{what} "{value}" contains whitespace')
    return value


def _split_port(authority: str, what: str) -> tuple[str, str | None]:
    """Split host[:port]; an IPv6 host keeps its brackets. Port is None when absent."""
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            raise Invalid(f'{what} "{authority}" has "[" without "]"')
        rest = authority[close + 1 :]
        if rest and not rest.startswith(":"):
            raise Invalid(f'{what} "{authority}" has text after "]" that is not ":port"')
        return authority[: close + 1], rest[1:] if rest else None
    if authority.count(":") > 1:
        raise Invalid(
            f'{what} "{authority}" looks like an IPv6 address without brackets',
            f'Write "[{authority}]", or "[{authority}]:8080" with a port',
        )
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def _check_host(host: str, what: str, text: str) -> str:
    """Validate the host part of a glob; return it lower-case, without IPv6 brackets."""
    if host.startswith("["):
        inner = host[1:-1].lower()
        if ":" not in inner or not set(inner) <= _IPV6_CHARS:
            raise Invalid(f'{what} "{text}" has an invalid IPv6 address "{host}"')
        return inner
    if not host:
        raise Invalid(f'{what} "{text}" has an empty host', 'Use "*" to match any host')
    bad = sorted(set(host.lower()) - _HOST_CHARS)
    if bad:
        raise Invalid(f'{what} "{text}" has an invalid character "{bad[0]}" in its host')
    return host.lower()


def host_glob(text: str) -> HostGlob:
    _plain(text, "host glob")
    if "://" in text:
        host = text.split("://", 1)[1].split("/", 1)[0]
        raise Invalid(f'host glob "{text}" is a URL; hosts are host[:port] only', f'Write "{host}"')
    if "/" in text:
        raise Invalid(
            f'host glob "{text}" contains a path; hosts are host[:port] only',
            "Put the path in match.paths",
        )
    host, port_text = _split_port(text, "host glob")
    host = _check_host(host, "host glob", text)
    port: int | None = None
    if port_text is not None and port_text != "*":
        port = _port_number(port_text)
        if port is None:
            raise Invalid(f'host glob "{text}" has an invalid port "{port_text}"', _PORT_HINT)
    regex = _glob_re(host) if "*" in host else None
    return HostGlob(text, host, port, regex)


def is_loopback(glob: HostGlob) -> bool:
    """Whether the glob names only loopback: localhost, 127.x.x.x or [::1]."""
    return glob.regex is None and is_loopback_host(glob.host)


def path_glob(text: str) -> Glob:
    _plain(text, "path glob")
    if "://" in text:
        raise Invalid(
            f'path glob "{text}" is a URL; paths are matched without scheme and host',
            "Put the host in match.hosts and the path (such as /v1/*) in match.paths",
        )
    if "?" in text or "#" in text:
        raise Invalid(
            f'path glob "{text}" contains "?" or "#"; paths are matched without the query',
            "Remove the query; * matches any text",
        )
    if not text.startswith(("/", "*")):
        raise Invalid(f'path glob "{text}" does not start with "/"', f'Write "/{text}"')
    return Glob(text, _glob_re(text))


def _origin_parts(text: str, what: str) -> tuple[str, str, str | None]:
    """Split scheme://host[:port] (lower-case); reject a missing scheme, a path, a default port."""
    if "://" not in text:
        raise Invalid(
            f'{what} "{text}" has no scheme', f'Write "http://{text}" or "https://{text}"'
        )
    scheme, rest = text.lower().split("://", 1)
    if not _SCHEME.fullmatch(scheme):
        raise Invalid(f'{what} "{text}" has an invalid scheme "{scheme}"')
    if rest.endswith("/") and rest.count("/") == 1:
        raise Invalid(
            f'{what} "{text}" ends with "/"; an Origin header never does', f'Write "{text[:-1]}"'
        )
    if any(c in rest for c in "/?#"):
        raise Invalid(
            f'{what} "{text}" contains a path; an origin is scheme://host[:port]',
            "Put the path of the API in match.paths",
        )
    host, port = _split_port(rest, what)
    _check_host(host, what, text)
    if port is not None and (not port or not set(port) <= set(string.digits + "*")):
        raise Invalid(f'{what} "{text}" has an invalid port "{port}"')
    number = _port_number(port) if port is not None and "*" not in port else None
    if port is not None and "*" not in port and number is None:
        raise Invalid(f'{what} "{text}" has an invalid port "{port}"', _PORT_HINT)
    if number is not None and DEFAULT_PORTS.get(scheme) == number:
        raise Invalid(
            f'{what} "{text}" has the default port {port}, which an Origin header omits',
            f'Write "{scheme}://{host}"',
        )
    return scheme, host, port


def origin_glob(text: str) -> Glob:
    """A page-origin glob: scheme://host[:port], "null" or "*". `:*` also matches no port."""
    _plain(text, "origin glob")
    if text.lower() == "null" or text == "*":
        return Glob(text, _glob_re(text.lower()))
    scheme, host, port = _origin_parts(text, "origin glob")
    pattern = f"{_glob_re(scheme).pattern}://{_glob_re(host).pattern}"
    if port == "*":
        pattern += r"(?::[0-9]+)?"
    elif port is not None:
        pattern += ":" + _glob_re(port).pattern
    return Glob(text, re.compile(pattern, re.IGNORECASE))


def is_any_origin(glob: Glob) -> bool:
    """Whether an origin glob leaves the host open ("*", "https://*", "http://*:*")."""
    if glob.text == "*":
        return True
    return "://" in glob.text and _split_port(glob.text.split("://", 1)[1], "")[0] == "*"


def header_glob(text: str) -> Glob:
    """A response header name glob for `strip` (case-insensitive)."""
    _plain(text, "header name glob")
    bad = sorted(set(text) - TCHARS)
    if bad:
        raise Invalid(f'header name glob "{text}" has an invalid character "{bad[0]}"')
    return Glob(text, _glob_re(text.lower(), re.IGNORECASE))


def exact_origin(text: str) -> str:
    """One serialized origin for allow_origin, exactly as browsers compare it."""
    _plain(text, "origin")
    if text == "null":
        return text
    if "*" in text:
        raise Invalid(
            f'"{text}" is a glob, but allow_origin is one exact origin',
            'Use allow_origin = "reflect" with match.origins to allow several origins',
        )
    _origin_parts(text, "origin")
    if text != text.lower():
        raise Invalid(
            f'origin "{text}" is not lower-case; browsers compare it byte for byte',
            f'Write "{text.lower()}"',
        )
    return text
