"""Pairing preflights with their actual requests, the preflight-cache model, and redirect
chains. Pure Python and bounded: memory does not grow with the number of flows.

Time is the flows' own (request start), so captured traffic pairs exactly as live traffic.
A capture that records which preflight an actual request followed pairs by that record
instead (claim_flow), whatever the clock says.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import NamedTuple

from .engine import CHROMIUM
from .engine import BrowserProfile
from .engine import CacheEntry
from .engine import CorsError
from .engine import PreflightCache
from .engine import WireResponse
from .engine import url_origin

DEFAULT_WINDOW = 2.0  # seconds an actual request may take to follow its preflight

PairKey = tuple[str, str, str, str]  # (client, origin, url, method)


@dataclass(slots=True)
class Pending:
    """A preflight waiting for its actual request."""

    flow: str
    key: PairKey
    time: float
    announced: tuple[str, ...]
    allowed: bool
    event: dict[str, Any]
    error_with_credentials: CorsError | None
    done: bool = field(default=False)
    promised: bool = False  # a capture lists its actual request: it never expires
    user_agent: str | None = None  # the preflight's (the browser's own)
    profile: BrowserProfile | None = None  # the engine that judged it
    # each engine's view if the actual request carried credentials (for a blocked orphan)
    engines_with_credentials: Callable[[], dict[str, Any]] | None = None


class Hop(NamedTuple):
    """Where a redirected request's chain began: its first URL and that request's Origin;
    `tainted`: a redirect to another origin made the browser send `Origin: null` (Fetch's
    tainted origin: the URL left was of neither the page's origin nor the new URL's)."""

    first: str
    origin: str | None
    tainted: bool = False


class Pairing:
    """Links each actual request to its preflight, spots preflights that no request
    followed (orphans), and remembers redirect chains."""

    def __init__(
        self,
        window: float = DEFAULT_WINDOW,
        max_pending: int = 4096,
        max_redirects: int = 1024,
        cache_entries: int = 1024,
    ) -> None:
        self.window = window
        self.max_pending = max_pending
        self.max_redirects = max_redirects
        self.cache_entries = cache_entries
        self._by_key: dict[PairKey, deque[Pending]] = {}
        self._queue: deque[Pending] = deque()
        self._by_flow: dict[str, Pending] = {}  # what captures link to (bounded like _queue)
        self._redirects: OrderedDict[tuple[str, str], Hop] = OrderedDict()
        self._caches: dict[str, PreflightCache] = {}
        self.clock = 0.0  # the latest flow time seen

    # -- preflights ------------------------------------------------------------------

    def cache(self, profile: BrowserProfile = CHROMIUM) -> PreflightCache:
        cache = self._caches.get(profile.name)
        if cache is None:
            cache = self._caches[profile.name] = PreflightCache(profile, self.cache_entries)
        return cache

    def add_preflight(
        self,
        key: PairKey,
        flow: str,
        time: float,
        announced: tuple[str, ...],
        event: dict[str, Any],
        allowed: bool,
        error_with_credentials: CorsError | None = None,
        *,
        promised: bool = False,
        user_agent: str | None = None,
        profile: BrowserProfile | None = None,
        engines_with_credentials: Callable[[], dict[str, Any]] | None = None,
    ) -> Pending:
        self.clock = max(self.clock, time)
        pending = Pending(
            flow,
            key,
            time,
            announced,
            allowed,
            event,
            error_with_credentials,
            promised=promised,
            user_agent=user_agent,
            profile=profile,
            engines_with_credentials=engines_with_credentials,
        )
        self._by_key.setdefault(key, deque()).append(pending)
        self._queue.append(pending)
        self._by_flow[flow] = pending
        while len(self._queue) > self.max_pending:
            self._drop(self._queue.popleft())
        while len(self._by_flow) > self.max_pending:  # promised ones out of the queue
            self._drop(next(iter(self._by_flow.values())))
        return pending

    def store_in_cache(
        self, profile: BrowserProfile, key: PairKey, flow: str, time: float, resp: WireResponse
    ) -> CacheEntry | None:
        client, origin, url, _ = key
        return self.cache(profile).store((client, origin, url), flow, time, resp, False)

    def forget_cached(self, profile: BrowserProfile, key: PairKey) -> None:
        client, origin, url, _ = key
        self.cache(profile).forget((client, origin, url))

    def _drop(self, pending: Pending) -> None:
        pending.done = True
        if self._by_flow.get(pending.flow) is pending:
            del self._by_flow[pending.flow]
        queue = self._by_key.get(pending.key)
        if queue is not None:
            with contextlib.suppress(ValueError):
                queue.remove(pending)
            if not queue:
                del self._by_key[pending.key]

    # -- actual requests ---------------------------------------------------------------

    def claim(self, key: PairKey, time: float) -> Pending | None:
        """The actual request for `key` arrived: return (and consume) its preflight."""
        self.clock = max(self.clock, time)
        queue = self._by_key.get(key)
        while queue:
            pending = queue.popleft()
            if pending.done:
                continue
            if not queue:
                del self._by_key[key]
            pending.done = True
            if self._by_flow.get(pending.flow) is pending:
                del self._by_flow[pending.flow]
            return pending
        if queue is not None and not queue:
            self._by_key.pop(key, None)
        return None

    def claim_flow(self, flow: str) -> Pending | None:
        """The actual request the capture links to preflight `flow` arrived: return (and
        consume) that preflight, if it is still waiting."""
        pending = self._by_flow.get(flow)
        if pending is None or pending.done:
            return None
        self._drop(pending)
        return pending

    def waiting(self, flow: str) -> Pending | None:
        """Preflight `flow`, if it is still waiting for its actual request."""
        pending = self._by_flow.get(flow)
        return pending if pending is not None and not pending.done else None

    def abandon(self, flow: str) -> Pending | None:
        """The capture shows the actual request of preflight `flow` was never sent: stop
        waiting for it. Returned when it is an orphan (a preflight judged allowed)."""
        pending = self._by_flow.get(flow)
        if pending is None or pending.done:
            return None
        self._drop(pending)
        return pending if pending.allowed else None

    def cached(
        self,
        profile: BrowserProfile,
        key: PairKey,
        headers: tuple[str, ...],
        credentials: bool,
        time: float,
    ) -> CacheEntry | None:
        """The cache entry that let this request skip its preflight, if any."""
        client, origin, url, method = key
        return self.cache(profile).lookup((client, origin, url), method, headers, credentials, time)

    def mark_credentials(self, profile: BrowserProfile, key: PairKey, flow: str) -> None:
        client, origin, url, _ = key
        self.cache(profile).mark_credentials((client, origin, url), flow)

    def expire(self, now: float | None = None) -> list[Pending]:
        """Preflights whose window has passed with no actual request. Only those the
        engine judged allowed are returned: a blocked one was expected to have none."""
        if now is None:
            now = self.clock
        orphans: list[Pending] = []
        queue = self._queue
        while queue and (queue[0].done or queue[0].time + self.window < now):
            pending = queue.popleft()
            if pending.done:
                continue
            if pending.promised and now != float("inf"):
                continue  # leaves the queue, stays claimable by its flow id
            self._drop(pending)
            if pending.allowed:
                orphans.append(pending)
        return orphans

    def flush(self) -> list[Pending]:
        """Every preflight still waiting (at the end of a capture)."""
        orphans = self.expire(float("inf"))
        for pending in list(self._by_flow.values()):  # promised ones that left the queue
            if not pending.done:
                self._drop(pending)
                if pending.allowed:
                    orphans.append(pending)
        return orphans

    def pending_count(self) -> int:
        return sum(1 for p in self._queue if not p.done)

    # -- redirects ---------------------------------------------------------------------

    def add_redirect(
        self, client: str, from_url: str, to_url: str, origin: str | None = None
    ) -> None:
        """A CORS response redirected from_url to to_url; remember the chain's first URL and
        the Origin its first request carried (`origin`, for a hop that is not the first)."""
        prev = self._redirects.get((client, from_url))
        hop = prev if prev is not None else Hop(from_url, origin)
        if hop.origin is None and origin is not None:
            hop = hop._replace(origin=origin)
        left = url_origin(from_url)
        if not hop.tainted and url_origin(to_url) != left and hop.origin != left:
            hop = hop._replace(tainted=True)
        self._redirects[(client, to_url)] = hop
        self._redirects.move_to_end((client, to_url))
        while len(self._redirects) > self.max_redirects:
            self._redirects.popitem(last=False)

    def redirected_from(self, client: str, url: str) -> Hop | None:
        return self._redirects.get((client, url))

    def redirect_hop(self, client: str, url: str) -> Hop | None:
        """Consume the redirect record of a request (a later request to the same URL is a
        new chain)."""
        return self._redirects.pop((client, url), None)
