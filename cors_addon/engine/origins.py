"""Origins: serialization, comparison and address classes (loopback, local, public)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def split_url(url: str) -> tuple[str, str, int | None, str]:
    """Split an absolute URL into (scheme, host, port or None, path-and-query), lower-casing
    scheme and host. IPv6 hosts keep their brackets. Userinfo is dropped."""
    sep = url.find("://")
    if sep <= 0:
        return "", "", None, url
    scheme = url[:sep].lower()
    rest = url[sep + 3 :]
    end = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i != -1 and i < end:
            end = i
    authority, tail = rest[:end], rest[end:]
    at = authority.rfind("@")
    if at != -1:
        authority = authority[at + 1 :]
    port: int | None = None
    if authority.startswith("["):
        close = authority.find("]")
        host = authority[: close + 1] if close != -1 else authority
        port_text = (
            authority[close + 2 :]
            if close != -1 and authority[close + 1 : close + 2] == ":"
            else ""
        )
    else:
        host, _, port_text = authority.partition(":")
    if port_text:
        try:
            port = int(port_text)
        except ValueError:
            port = None
    return scheme, host.lower(), port, tail or "/"


def url_origin(url: str) -> str:
    """The serialized origin of an absolute URL: scheme://host[:port], default port omitted."""
    sep = url.find("://")
    end = url.find("/", sep + 3) if sep != -1 else -1
    return _origin_of_prefix(url if end == -1 else url[:end])


@lru_cache(maxsize=4096)
def _origin_of_prefix(url: str) -> str:
    scheme, host, port, _ = split_url(url)
    if not scheme or not host:
        return "null"
    if port is None or DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@lru_cache(maxsize=1024)
def normalize_origin(origin: str) -> str:
    """Canonical form of an Origin header value, for comparisons ("null" stays "null")."""
    value = origin.strip()
    if value == "null" or "://" not in value:
        return value
    return url_origin(value)


def same_origin(origin: str, url: str) -> bool:
    if origin == "null":
        return False
    return normalize_origin(origin) == url_origin(url)


def origin_host(origin: str) -> str:
    _, host, _, _ = split_url(origin)
    return host


@lru_cache(maxsize=1024)
def address_space(host: str) -> str:
    """Chromium's address space of a host name or IP literal: loopback, local or public.

    Host names other than localhost are public here: only an IP literal tells more.
    """
    h = host.strip("[]").lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return "loopback"
    if h.endswith(".local"):
        return "local"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return "public"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_private or ip.is_link_local:
        return "local"
    return "public"


def is_loopback_host(host: str) -> bool:
    return address_space(host) == "loopback"
