"""What each engine puts on the wire for a call: the preflight when it needs one, then the
actual request, and how a redirect changes the next hop (method rewrite, Authorization
removed, Origin tainted to "null").

Every engine gets the same User-Agent, Accept-Encoding and Accept-Language (check's own),
so that engines whose CORS behaviour agrees send identical requests and share them; what
CORS depends on (Origin, Access-Control-Request-*, credentials, Sec-Fetch-*) is per engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from typing import NamedTuple
from urllib.parse import urljoin

from .. import __version__
from ..engine import Preflight
from ..engine import Reason
from ..engine import address_space
from ..engine import url_origin
from ..engine.origins import split_url
from . import engines
from .call import Call
from .client import Outgoing

USER_AGENT = f"cors_addon-check/{__version__}"
ACCEPT_ENCODING = "gzip, deflate, br"
ACCEPT_LANGUAGE = "en-US,en;q=0.9"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset(
    {"content-type", "content-encoding", "content-language", "content-location"}
)


@dataclass(frozen=True, slots=True)
class Sending:
    """How an engine's requests differ where its CORS profile does not say, as observed
    with Chromium 156, Firefox 153 and WebKitGTK 2.50 (browser-engines.md, "Engine
    differences observed")."""

    script_user_agent: str  # dropped | request | both: where a script's User-Agent goes
    tainted_preflight_origin: str  # null | page: Origin of a preflight after a tainting redirect
    preflight_after_redirect: str  # needed | again | again-same-names, after a cross-origin hop


SENDING = {
    "chromium": Sending("dropped", "null", "needed"),
    "firefox": Sending("request", "page", "again"),
    "webkit": Sending("both", "null", "again-same-names"),
}


@dataclass(frozen=True, slots=True)
class Hop:
    """Where an engine's fetch of a call stands on its redirect chain."""

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]  # author headers on this hop
    tainted: bool = False  # Origin serializes as "null"
    first_url: str | None = None  # the chain's first URL once redirected
    preflighted: tuple[str, ...] | None = None  # names an earlier hop's preflight announced
    cross_site: bool = False  # some URL of the chain was cross-site
    hops: int = 0


class Plan(NamedTuple):
    announced: Preflight  # the engine's preflight decision (needed False: none)
    preflight: Outgoing | None
    request: Outgoing


def start(call: Call) -> Hop:
    return Hop(call.url, call.method, call.headers, cross_site=_cross_site(call.origin, call.url))


def _script_user_agent(fields: tuple[tuple[str, str], ...]) -> str | None:
    for name, value in fields:
        if name.lower() == "user-agent":
            return value
    return None


def _site(url: str) -> tuple[str, str]:
    """(scheme, registrable domain), approximated without the public suffix list: the
    last two labels of a name (wrong for names under suffixes like co.uk), an IP as is."""
    scheme, host, _, _ = split_url(url)
    host = host.strip("[]")
    labels = host.split(".")
    if ":" in host or host.replace(".", "").isdigit() or len(labels) <= 2:
        return scheme, host
    return scheme, ".".join(labels[-2:])


def _cross_site(origin: str, url: str) -> bool:
    return origin == "null" or _site(origin) != _site(url)


def _trustworthy(url: str) -> bool:
    """Fetch Metadata goes only to potentially trustworthy URLs: https, localhost, loopback."""
    scheme, host, _, _ = split_url(url)
    return scheme == "https" or address_space(host) == "loopback"


def _common(call: Call, hop: Hop, origin: str, user_agent: str) -> list[tuple[str, str]]:
    """What every CORS request of a fetch() carries after its author headers."""
    fields = [("Origin", origin), ("User-Agent", user_agent)]
    if _trustworthy(hop.url):
        fields += [
            ("Sec-Fetch-Mode", "cors"),
            ("Sec-Fetch-Site", "cross-site" if hop.cross_site else "same-site"),
            ("Sec-Fetch-Dest", "empty"),
        ]
    # strict-origin-when-cross-origin: the page's origin, nothing on https -> http
    downgrade = call.origin.startswith("https:") and hop.url.startswith("http:")
    if call.origin != "null" and not downgrade:
        fields.append(("Referer", call.origin + "/"))
    fields += [("Accept-Encoding", ACCEPT_ENCODING), ("Accept-Language", ACCEPT_LANGUAGE)]
    return fields


def plan(engine: str, call: Call, hop: Hop) -> Plan:
    """The preflight (if this engine sends one) and the actual request of this hop."""
    sending = SENDING[engine]
    script_ua = _script_user_agent(hop.headers)
    author = tuple((n, v) for n, v in hop.headers if n.lower() != "user-agent")
    keeps_ua = script_ua is not None and sending.script_user_agent != "dropped"
    announced = engines.announce(engine, hop.method, author, keeps_ua)
    if hop.preflighted is not None:
        announced = _again(sending, announced, hop.preflighted)

    origin = "null" if hop.tainted else call.origin
    request_ua = script_ua if script_ua is not None and keeps_ua else USER_AGENT
    preflight = None
    if announced.needed:
        preflight_origin = origin
        if hop.tainted and sending.tainted_preflight_origin == "page":
            preflight_origin = call.origin
        both = sending.script_user_agent == "both"
        preflight_ua = script_ua if script_ua is not None and both else USER_AGENT
        fields = [("Accept", "*/*"), ("Access-Control-Request-Method", hop.method)]
        if announced.headers:
            fields.append(("Access-Control-Request-Headers", ",".join(announced.headers)))
        fields += _common(call, hop, preflight_origin, preflight_ua)
        preflight = Outgoing("OPTIONS", hop.url, tuple(fields))

    fields = list(author)
    if not any(n.lower() == "accept" for n, _ in author):
        fields.insert(0, ("Accept", "*/*"))
    fields += _common(call, hop, origin, request_ua)
    if call.credentialed and call.cookie:
        fields.append(("Cookie", call.cookie))
    return Plan(announced, preflight, Outgoing(hop.method, hop.url, tuple(fields)))


def _again(sending: Sending, announced: Preflight, earlier: tuple[str, ...]) -> Preflight:
    """Firefox and WebKit preflight again after a cross-origin redirect of a preflighted
    request, even when the rewritten request needs none; WebKit announces the names of
    the first preflight (a 303 turned a POST with Content-Type into a GET: it still lists
    content-type)."""
    if sending.preflight_after_redirect == "needed":
        return announced
    names = announced.headers
    if sending.preflight_after_redirect == "again-same-names":
        names = tuple(sorted({*names, *earlier}))
    reasons = announced.reasons
    if not reasons:
        reasons = (Reason("forced-preflight", "preflighted again after a redirect"),)
    return announced._replace(needed=True, reasons=reasons, headers=names)


def location(url: str, value: str) -> str | None:
    """The absolute URL of a Location value relative to `url` (None: not http or https)."""
    target = urljoin(url, value.strip())
    scheme = split_url(target)[0]
    return target.split("#", 1)[0] if scheme in ("http", "https") else None


def follow(
    call: Call, hop: Hop, status: int, target: str, announced: tuple[str, ...] | None
) -> Hop:
    """The next hop after a redirect response of `status` to `target` (Fetch's HTTP
    redirect fetch: method rewrite, Authorization removal, origin tainting). `announced`:
    the names this hop's preflight announced (None: it had none)."""
    method, headers = hop.method, hop.headers
    if (status in (301, 302) and method == "POST") or (
        status == 303 and method not in ("GET", "HEAD")
    ):
        method = "GET"
        headers = tuple((n, v) for n, v in headers if n.lower() not in _BODY_HEADERS)
    here, there = url_origin(hop.url), url_origin(target)
    tainted = hop.tainted
    if here != there:
        headers = tuple((n, v) for n, v in headers if n.lower() != "authorization")
        if call.origin != here:
            tainted = True
    return replace(
        hop,
        url=target,
        method=method,
        headers=headers,
        tainted=tainted,
        first_url=hop.first_url or hop.url,
        preflighted=announced if here != there else None,
        cross_site=hop.cross_site or _cross_site(call.origin, target),
        hops=hop.hops + 1,
    )
