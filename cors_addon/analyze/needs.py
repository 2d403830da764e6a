"""What a server must allow, learnt from the CORS flows of a capture: the least privilege
from which server configurations (serverfix) and proxy rules (suggest) are written.

Per target server (scheme://host:port), a `Policy` gathers from every CORS flow to it:
the exact page origins, the methods (those announced by preflights apart), the request
headers the preflights announced, whether credentials were used (and where), and the
response headers the page cannot read now. Flows that already pass count too: a new CORS
configuration replaces the old one and must keep them passing.

Per (server, page origin, credentialed or not), a second Policy gathers only the blocked
flows: what a proxy rule must grant so that those, and nothing else, pass; credentialed
flows get their own grant, so that credentials are allowed only where they are used.
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
    """The flow carried credentials, or failed in a way only a credentialed one can."""
    error = event["error"]
    return event["credentials"] == "include" or (
        error is not None and error["code"] in CREDENTIAL_ERRORS
    )


def grant_key(event: Event) -> tuple[str, str, bool]:
    return url_origin(event["url"]), event["origin"], is_credentialed(event)


def _server(url: str) -> tuple[str, str, int]:
    scheme, host, port, _ = split_url(url)
    return (
        url_origin(url),
        host.strip("[]"),
        port if port is not None else DEFAULT_PORTS.get(scheme, 0),
    )


class Needs:
    """Feed it the (event, exchange) pairs of a replay without rules."""

    def __init__(self) -> None:
        self.servers: dict[str, Policy] = {}
        self.grants: dict[tuple[str, str, bool], Policy] = {}  # blocked flows only

    def add(self, event: Event, ex: Exchange | None) -> None:
        if event["verdict"] == "not-cors":
            return
        error = event["error"]
        if error is not None and error["code"] == "NetworkError":
            return  # no CORS decision: the server did not answer
        blocked = event["verdict"] == "blocked"
        server, host, port = _server(event["url"])
        policy = self.servers.get(server)
        if policy is None:
            if len(self.servers) >= MAX_ITEMS:
                return
            policy = self.servers[server] = Policy(server, host, port)
        policy.add(event, ex, blocked)
        if blocked:
            key = grant_key(event)
            grant = self.grants.get(key)
            if grant is None:
                if len(self.grants) >= MAX_ITEMS:
                    return
                grant = self.grants[key] = Policy(server, host, port)
            grant.add(event, ex, blocked)

    def failing_servers(self) -> list[Policy]:
        """The servers with at least one blocked flow, most blocked first."""
        return sorted(
            (p for p in self.servers.values() if p.blocked),
            key=lambda p: (-p.blocked, p.server),
        )

    def failing_grants(self) -> list[Policy]:
        """Credentialed grants first: a rule for credentialed flows must come before the
        one for the same origin without."""
        return sorted(
            self.grants.values(), key=lambda p: (p.server, min(p.origins), not p.credentials)
        )
