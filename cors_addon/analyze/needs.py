"""What a server must allow, learnt from the CORS flows of a capture: the least privilege
from which server configurations (serverfix) and proxy rules (suggest) are written.

Per target server (scheme://host:port), a `Policy` gathers from every CORS flow to it:
the exact page origins, the methods (those announced by preflights apart), the request
headers the preflights announced, whether credentials were used (and where), and the
response headers the page cannot read now. Flows that already pass count too: a new CORS
configuration replaces the old one and must keep them passing.

Per endpoint (host:port, page origin, path, method: what a proxy rule matches on), an
`EndpointNeeds` gathers every CORS flow, blocked or not: suggested rules are made of the
endpoints with blocked flows a header rule can fix, and must reach no other endpoint. What
the flows prove is kept: credentials (a flow carried them, its error only happens with
them, or its preflight passed only without them and no request followed), and the methods
and headers its preflights announced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from ..engine import Headers
from ..engine import WireResponse
from ..engine.origins import DEFAULT_PORTS
from ..engine.origins import split_url
from ..engine.origins import url_origin
from ..engine.verdict import _unreadable_headers
from ..events import Event
from .exchange import Exchange

MAX_ITEMS = 256  # per set, so that a capture of any size keeps the policy small
MAX_ENDPOINTS = 50_000  # (host:port, origin, path, method) kept for the rules' reach

# Errors that only a credentialed request gets.
CREDENTIAL_ERRORS = frozenset(
    {
        "WildcardOriginNotAllowed",
        "InvalidAllowCredentials",
        "PreflightWildcardOriginNotAllowed",
        "PreflightInvalidAllowCredentials",
    }
)


class Bounded(set[str]):
    """A set that stops growing at MAX_ITEMS and remembers that it did."""

    overflow = False

    def add(self, item: str) -> None:
        if item in self:
            return
        if len(self) >= MAX_ITEMS:
            self.overflow = True
            return
        super().add(item)

    def update_from(self, items: Iterable[str]) -> None:
        for item in items:
            self.add(item)


@dataclass(slots=True)
class Policy:
    server: str  # scheme://host[:port]
    host: str
    port: int
    origins: Bounded = field(default_factory=Bounded)
    methods: Bounded = field(default_factory=Bounded)  # every method of a CORS flow
    preflight_methods: Bounded = field(default_factory=Bounded)  # what preflights announced
    headers: Bounded = field(default_factory=Bounded)  # lower-case
    expose: Bounded = field(default_factory=Bounded)  # lower-case
    paths: Bounded = field(default_factory=Bounded)
    endpoints: Bounded = field(default_factory=Bounded)  # "METHOD /path"
    credential_endpoints: Bounded = field(default_factory=Bounded)
    credentials: bool = False
    flows: int = 0
    blocked: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def authority(self) -> str:
        """host:port as rules match it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def add(self, event: Event, ex: Exchange | None, blocked: bool) -> None:
        kind = event["type"]
        p = event["preflight"]
        _, _, _, path = split_url(event["url"])
        path = path.split("?", 1)[0]
        method = p["method"] if kind != "request" else event["method"]
        self.flows += 1
        self.origins.add(event["origin"])
        self.paths.add(path)
        self.endpoints.add(f"{method} {path}")
        self.methods.add(method)
        if p["needed"]:
            self.preflight_methods.add(p["method"])
            self.headers.update_from(p["headers"])
        error = event["error"]
        credentialed = is_credentialed(event)
        if credentialed:
            self.credentials = True
            self.credential_endpoints.add(f"{method} {path}")
        if blocked:
            self.blocked += 1
            if error is not None:
                self.errors[error["code"]] += 1
        if kind == "request" and ex is not None and ex.response is not None:
            # What the page cannot read without Access-Control-Expose-Headers, including
            # what the server exposes today: the new configuration replaces the old one.
            fields = [
                (n, v)
                for n, v in ex.response.fields
                if n.lower() != "access-control-expose-headers"
            ]
            resp = WireResponse(ex.status or 0, Headers(fields))
            self.expose.update_from(_unreadable_headers(resp, True))


def is_credentialed(event: Event) -> bool:
    """The flow carried credentials, or failed in a way only a credentialed one can: an
    error only credentials cause, or a preflight that passed only without credentials and
    that no request followed (a blocked orphan: its error is the credentialed one)."""
    error = event["error"]
    if event["credentials"] == "include":
        return True
    if error is None:
        return False
    return error["code"] in CREDENTIAL_ERRORS or event["type"] == "orphan"


# Blocked flows no header a rule can add fixes, and why (the reason is the report's hint).
UNFIXABLE = {
    "RedirectContainsCredentials": (
        "the redirect goes to a URL with credentials (user:password@), which the browser"
        " refuses whatever the headers say: fix the Location"
    ),
    "NetworkError": "the server did not answer: there is no CORS decision to change",
}

Endpoint = tuple[str, str, str, str]  # host:port, page origin, path, METHOD (as rules match)


def authority(host: str, port: int) -> str:
    """host:port as rules match it (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _server(url: str) -> tuple[str, str, int]:
    scheme, host, port, _ = split_url(url)
    return (
        url_origin(url),
        host.strip("[]"),
        port if port is not None else DEFAULT_PORTS.get(scheme, 0),
    )


def url_path(url: str) -> str:
    """The path of a URL without its query, as rules match it."""
    return split_url(url)[3].split("?", 1)[0]


def _path_and_method(event: Event) -> tuple[str, str]:
    method = event["preflight"]["method"] if event["type"] != "request" else event["method"]
    return url_path(event["url"]), method


def endpoint_key(event: Event) -> Endpoint:
    """The endpoint of a flow, as a rule matches it (methods case-insensitively)."""
    _, host, port = _server(event["url"])
    path, method = _path_and_method(event)
    return authority(host, port), event["origin"], path, method.upper()


@dataclass(slots=True)
class EndpointNeeds:
    """The blocked flows of one endpoint: what a rule for it must grant."""

    host: str
    port: int
    origin: str
    path: str
    blocked: int = 0
    fixable: int = 0  # blocked flows a header rule can fix
    credentials: bool = False  # proven by a flow (is_credentialed)
    methods: Bounded = field(default_factory=Bounded)  # as sent (a method's case matters)
    preflight_methods: Bounded = field(default_factory=Bounded)  # what preflights announced
    headers: Bounded = field(default_factory=Bounded)  # lower-case, announced by preflights
    expose: Bounded = field(default_factory=Bounded)  # lower-case
    errors: Counter[str] = field(default_factory=Counter)  # of the blocked flows
    blocked_flows: list[str] = field(default_factory=list)  # the first few

    @property
    def authority(self) -> str:
        return authority(self.host, self.port)

    def add(self, event: Event, ex: Exchange | None) -> None:
        p = event["preflight"]
        _, method = _path_and_method(event)
        self.methods.add(method)
        self.blocked += 1
        error = event["error"]
        code = error["code"] if error is not None else ""
        self.errors[code] += 1
        if len(self.blocked_flows) < 5:
            self.blocked_flows.append(event["flow"])
        if code in UNFIXABLE:
            return
        self.fixable += 1
        if is_credentialed(event):
            self.credentials = True
        if p["needed"]:
            self.preflight_methods.add(p["method"])
            self.headers.update_from(p["headers"])
        if event["type"] == "request" and ex is not None and ex.response is not None:
            fields = [
                (n, v)
                for n, v in ex.response.fields
                if n.lower() != "access-control-expose-headers"
            ]
            resp = WireResponse(ex.status or 0, Headers(fields))
            self.expose.update_from(_unreadable_headers(resp, True))


class Needs:
    """Feed it the (event, exchange) pairs of a replay without rules."""

    def __init__(self) -> None:
        self.servers: dict[str, Policy] = {}
        self.endpoints: dict[Endpoint, EndpointNeeds] = {}  # those with blocked flows
        # Every endpoint of a CORS flow: (host:port, origin) -> METHOD -> paths (nested, so
        # that a large capture keeps little more than its paths).
        self.reach: dict[tuple[str, str], dict[str, set[str]]] = {}
        self.reached = 0
        self.overflow = False  # more endpoints than MAX_ENDPOINTS: `reach` is incomplete

    def add(self, event: Event, ex: Exchange | None) -> None:
        if event["verdict"] == "not-cors":
            return
        error = event["error"]
        if error is not None and error["code"] in ("NetworkError", "InvalidHttpResponse"):
            return  # no CORS decision: no answer, or one the browser rejects as invalid HTTP
        blocked = event["verdict"] == "blocked"
        server, host, port = _server(event["url"])
        policy = self.servers.get(server)
        if policy is None:
            if len(self.servers) >= MAX_ITEMS:
                return
            policy = self.servers[server] = Policy(server, host, port)
        policy.add(event, ex, blocked)
        key = endpoint_key(event)
        by_method = self.reach.get(key[:2])
        if by_method is None:
            by_method = self.reach[key[:2]] = {}
        paths = by_method.get(key[3])
        if paths is None:
            paths = by_method[key[3]] = set()
        if key[2] not in paths:
            if self.reached >= MAX_ENDPOINTS:
                self.overflow = True
                return
            paths.add(key[2])
            self.reached += 1
        if blocked:
            point = self.endpoints.get(key)
            if point is None:
                point = self.endpoints[key] = EndpointNeeds(host, port, event["origin"], key[2])
            point.add(event, ex)

    def failing_servers(self) -> list[Policy]:
        """The servers with at least one blocked flow, most blocked first."""
        return sorted(
            (p for p in self.servers.values() if p.blocked),
            key=lambda p: (-p.blocked, p.server),
        )

    @property
    def blocked(self) -> int:
        """Blocked flows a header rule can fix."""
        return sum(e.fixable for e in self.endpoints.values())
