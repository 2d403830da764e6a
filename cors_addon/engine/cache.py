"""The browser's preflight cache, modelled so that a missing preflight can be explained.

cors-reference.md section 3: Chromium keeps one result per (origin, URL) and replaces it;
Firefox merges methods and headers; every browser caps Access-Control-Max-Age.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .browsers import CHROMIUM
from .browsers import BrowserProfile
from .checks import parse_token_list
from .classify import SAFELISTED_METHODS
from .model import WireResponse


@dataclass(frozen=True, slots=True)
class CacheEntry:
    flow: str
    stored_at: float
    max_age: int
    credentials: bool
    methods: frozenset[str]
    headers: frozenset[str]

    def expires_at(self) -> float:
        return self.stored_at + self.max_age

    def covers(
        self, method: str, headers: tuple[str, ...], credentials: bool, firefox: bool
    ) -> bool:
        if credentials and not self.credentials:
            return False
        implicit = ("GET", "POST") if firefox else SAFELISTED_METHODS
        method_ok = (
            method in self.methods
            or method.upper() in implicit
            or ("*" in self.methods and not credentials)
        )
        if not method_ok:
            return False
        wildcard = "*" in self.headers and not credentials
        for name in headers:
            if name in self.headers:
                continue
            # The cache applies the strict rule even in Chromium: '*' never covers Authorization.
            if wildcard and name != "authorization":
                continue
            return False
        return True


CacheKey = tuple[str, str, str]  # (client, origin, url)


class PreflightCache:
    """Bounded model of one browser's preflight cache (oldest entries evicted first)."""

    def __init__(self, profile: BrowserProfile = CHROMIUM, max_entries: int = 1024) -> None:
        self.profile = profile
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CacheEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def store(
        self,
        key: CacheKey,
        flow: str,
        now: float,
        resp: WireResponse,
        credentials: bool,
        max_age: int | None = None,
    ) -> CacheEntry | None:
        """Record a successful preflight. Returns the entry, or None when the browser would
        not cache it (max-age 0, or a URL of 1024 characters or more in Chromium)."""
        if max_age is None:
            max_age = self.profile.effective_max_age(resp.headers.get("access-control-max-age"))
        if max_age <= 0 or (self.profile.name == "chromium" and len(key[2]) >= 1024):
            self._entries.pop(key, None)
            return None
        methods = frozenset(
            parse_token_list(resp.headers.get("access-control-allow-methods")) or ()
        )
        headers = frozenset(
            n.lower()
            for n in parse_token_list(resp.headers.get("access-control-allow-headers")) or ()
        )
        old = self._entries.get(key)
        if self.profile.name == "firefox" and old is not None and old.expires_at() > now:
            methods |= old.methods
            headers |= old.headers
        entry = CacheEntry(flow, now, max_age, credentials, methods, headers)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def mark_credentials(self, key: CacheKey, flow: str) -> None:
        """The actual request of this preflight carried credentials."""
        entry = self._entries.get(key)
        if entry is not None and entry.flow == flow and not entry.credentials:
            self._entries[key] = CacheEntry(
                entry.flow, entry.stored_at, entry.max_age, True, entry.methods, entry.headers
            )

    def forget(self, key: CacheKey) -> None:
        """A failed preflight clears the entry for its origin and URL."""
        self._entries.pop(key, None)

    def lookup(
        self, key: CacheKey, method: str, headers: tuple[str, ...], credentials: bool, now: float
    ) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at() <= now:
            del self._entries[key]
            return None
        if entry.covers(method, headers, credentials, self.profile.name == "firefox"):
            return entry
        return None
