"""The browser's preflight cache, modelled so that a missing preflight can be explained.

cors-reference.md section 3:
- Chromium and Safari keep one result per (origin, URL) and replace it with each new
  preflight; an entry stored without credentials cannot serve a credentialed request.
- Firefox keys entries by credentials too, merges methods and headers with an expiry each,
  compares cached tokens literally ('*' is no wildcard there), and keeps 100 entries (LRU).
- In Chromium's and Firefox's cache '*' never covers Authorization; WebKit's covers it (a
  request with Authorization and `Access-Control-Allow-Headers: *` was preflighted once for
  two requests, cache-authorization-acah-star).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .browsers import CHROMIUM
from .browsers import BrowserProfile
from .checks import parse_token_list
from .classify import SAFELISTED_METHODS
from .model import WireResponse

CacheKey = tuple[str, str, str]  # (client, origin, url)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    flow: str  # the latest preflight stored for this key
    stored_at: float
    max_age: int
    credentials: bool
    methods: dict[str, float]  # token -> when it expires
    headers: dict[str, float]  # lower-case name -> when it expires
    firefox: bool = False
    wildcard_authorization: bool = False  # WebKit: '*' covers Authorization here too

    def expires_at(self) -> float:
        return self.stored_at + self.max_age

    def covers(self, method: str, headers: tuple[str, ...], credentials: bool, now: float) -> bool:
        if credentials and not self.credentials:
            return False
        methods, allowed = self.methods, self.headers
        wildcards = not self.firefox and not credentials
        implicit = ("GET", "POST") if self.firefox else SAFELISTED_METHODS
        if not (
            methods.get(method, 0) > now
            or method.upper() in implicit
            or (wildcards and methods.get("*", 0) > now)
        ):
            return False
        for name in headers:
            if allowed.get(name, 0) > now:
                continue
            if (
                wildcards
                and (name != "authorization" or self.wildcard_authorization)
                and allowed.get("*", 0) > now
            ):
                continue
            return False
        return True


class PreflightCache:
    """Bounded model of one browser's preflight cache."""

    def __init__(self, profile: BrowserProfile = CHROMIUM, max_entries: int | None = None) -> None:
        self.profile = profile
        self.firefox = profile.name == "firefox"
        self.max_entries = max_entries if max_entries is not None else profile.cache_entries
        self._entries: OrderedDict[tuple[str, str, str, bool], CacheEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _key(self, key: CacheKey, credentials: bool) -> tuple[str, str, str, bool]:
        # Only Firefox keeps credentialed and non-credentialed entries apart.
        return (*key, credentials and self.firefox)

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
        full_key = self._key(key, credentials)
        if max_age <= 0 or (self.profile.name == "chromium" and len(key[2]) >= 1024):
            self._entries.pop(full_key, None)
            return None
        expiry = now + max_age
        h = resp.headers
        methods = dict.fromkeys(
            parse_token_list(h.get("access-control-allow-methods")) or (), expiry
        )
        names = parse_token_list(h.get("access-control-allow-headers")) or ()
        headers = dict.fromkeys((n.lower() for n in names), expiry)
        old = self._entries.get(full_key)
        if self.firefox and old is not None:
            methods = {**{m: t for m, t in old.methods.items() if t > now}, **methods}
            headers = {**{n: t for n, t in old.headers.items() if t > now}, **headers}
        entry = CacheEntry(
            flow,
            now,
            max_age,
            credentials,
            methods,
            headers,
            self.firefox,
            self.profile.cache_wildcard_covers_authorization,
        )
        self._entries[full_key] = entry
        self._entries.move_to_end(full_key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def mark_credentials(self, key: CacheKey, flow: str) -> None:
        """The actual request of this preflight carried credentials."""
        full_key = self._key(key, False)
        entry = self._entries.get(full_key)
        if entry is None or entry.flow != flow or entry.credentials:
            return
        upgraded = CacheEntry(
            entry.flow,
            entry.stored_at,
            entry.max_age,
            True,
            entry.methods,
            entry.headers,
            entry.firefox,
            entry.wildcard_authorization,
        )
        if self.firefox:
            del self._entries[full_key]
        self._entries[self._key(key, True)] = upgraded

    def forget(self, key: CacheKey) -> None:
        """A failed preflight clears the entries for its origin and URL."""
        self._entries.pop(self._key(key, False), None)
        self._entries.pop(self._key(key, True), None)

    def lookup(
        self, key: CacheKey, method: str, headers: tuple[str, ...], credentials: bool, now: float
    ) -> CacheEntry | None:
        full_key = self._key(key, credentials)
        entry = self._entries.get(full_key)
        if entry is None:
            return None
        if entry.expires_at() <= now and not self.firefox:
            del self._entries[full_key]
            return None
        if self.firefox:
            self._entries.move_to_end(full_key)  # least recently used goes first
        if entry.covers(method, headers, credentials, now):
            return entry
        return None
