"""What a rule is, what it is matched against, and what it changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from typing import NamedTuple

from mitmproxy import flowfilter
from mitmproxy.flow import Flow

from cors_addon.rules.globs import Glob
from cors_addon.rules.globs import HostGlob

Credentials = bool | Literal["auto"]
Names = Literal["reflect", "*"] | tuple[str, ...]
Expose = Literal["*", "all"] | tuple[str, ...]
Preflight = Literal["answer", "fix", "forward"]


class FlowFacts(NamedTuple):
    host: str  # lower-case, no port; IPv6 without brackets (as mitmproxy's request.host)
    port: int
    path: str  # without the query
    origin: str  # the Origin header
    method: str  # the actual method; for a preflight its Access-Control-Request-Method
    is_preflight: bool
    acrh: str | None  # a preflight's raw Access-Control-Request-Headers
    credentials: bool  # the request carries credentials (cookies, Authorization)


class Rewrite(NamedTuple):
    status: int | None  # the new status, None: unchanged
    set: tuple[tuple[str, str], ...]  # each replaces every field of that name
    removed: tuple[str, ...]  # lower-case names of removed fields


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    index: int  # position in the file, from 0
    line: int | None = None
    enabled: bool = True
    hosts: tuple[HostGlob, ...] = ()
    paths: tuple[Glob, ...] = ()
    origins: tuple[Glob, ...] = ()
    methods: frozenset[str] = frozenset()  # upper-case
    filter: flowfilter.TFilter | None = None
    allow_origin: str | None = None  # "reflect", "*" or one origin; None: add no CORS headers
    allow_credentials: Credentials = "auto"
    allow_methods: Names = "reflect"
    allow_headers: Names = "reflect"
    expose_headers: Expose = ()
    max_age: int | None = None
    allow_private_network: bool = False
    preflight: Preflight = "fix"
    preflight_status: int = 204
    strip: tuple[Glob, ...] = ()
    errors: bool = True

    def matches_host(self, host: str, port: int) -> bool:
        """`host` as in FlowFacts, but without IPv6 brackets or a trailing dot."""
        return not self.hosts or any(h.matches(host, port) for h in self.hosts)

    def matches_request(self, facts: FlowFacts, flow: Flow | None = None) -> bool:
        """Everything but the host: path, origin, method and filter."""
        if self.paths and not any(g.matches(facts.path) for g in self.paths):
            return False
        if self.origins and not any(g.matches(facts.origin) for g in self.origins):
            return False
        if self.methods and facts.method.upper() not in self.methods:
            return False
        if self.filter is not None:
            return flow is not None and bool(self.filter(flow))
        return True

    def matches(self, facts: FlowFacts, flow: Flow | None = None) -> bool:
        host = facts.host.strip("[]").rstrip(".")
        return self.matches_host(host, facts.port) and self.matches_request(facts, flow)
