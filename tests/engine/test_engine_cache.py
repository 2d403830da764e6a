"""The preflight cache model: Access-Control-Max-Age per browser and PreflightCache hits and
misses (cors-reference.md section 3, appendix A; rows 76-81 of section 7)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from engine_builders import ACAH
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import ACMA
from engine_builders import API
from engine_builders import PAGE
from engine_builders import cases
from engine_builders import regression
from engine_builders import resp

from cors_addon.engine import CHROMIUM
from cors_addon.engine import FIREFOX
from cors_addon.engine import SAFARI
from cors_addon.engine import PreflightCache

# (id, Access-Control-Max-Age, Chromium, Firefox, Safari); None: not asserted.
MAX_AGE_CASES = [
    ("absent", None, 5, 5, 5),
    ("600", "600", 600, 600, 600),
    ("10", "10", 10, 10, 10),
    ("7200", "7200", 7200, 7200, 600),
    ("86400", "86400", 7200, 86400, 600),
    ("999999999", "999999999", 7200, 86400, 600),
    ("int64-max", "9223372036854775807", 7200, 86400, None),
    ("0", "0", 0, 0, 0),
    ("-1", "-1", 0, 0, 0),
    ("+5", "+5", 5, 0, None),
    ("5s", "5s", 5, 0, 5),
    ("abc", "abc", 5, 0, 5),
    ("1.5", "1.5", 5, 0, 5),
    ("whitespace", " 600 ", 600, 600, 600),
    regression(
        "chromium-int64-overflow",
        "99999999999999999999",
        5,
        86400,
        None,
        reason="a value past int64 makes Chromium's base::StringToInt64 fail, so"
        " ParseAccessControlMaxAge returns the 5 s default (cors-reference.md 3: 'unparseable"
        " value: 5 s (StringToInt64 fails)'; appendix A); the engine caps it at 7200",
    ),
    regression(
        "firefox-empty-value",
        "",
        5,
        5,
        5,
        reason="Firefox's AddResultToCache uses the 5 s default when the Access-Control-Max-Age"
        " value is empty (headerVal.IsEmpty()); the engine returns 0 (not cached) for an empty"
        " value (cors-reference.md 3: default 5 s; only a non-digit is 'not cached')",
    ),
]


@pytest.mark.parametrize(("value", "chromium", "firefox", "safari"), cases(MAX_AGE_CASES))
def test_effective_max_age(value, chromium, firefox, safari):
    for profile, expected in ((CHROMIUM, chromium), (FIREFOX, firefox), (SAFARI, safari)):
        if expected is not None:
            assert profile.effective_max_age(value) == expected, profile.name


KEY = ("client", PAGE, API)


@dataclass(frozen=True)
class Store:
    at: float
    acam: str | None = "PUT"
    acah: str | None = None
    max_age: str | None = "600"
    credentials: bool = False
    url: str = API


@dataclass(frozen=True)
class Look:
    at: float
    method: str = "PUT"
    headers: tuple[str, ...] = ()
    credentials: bool = False
    url: str = API


def _response(s: Store):
    fields = [(ACAO, PAGE)]
    if s.acam is not None:
        fields.append((ACAM, s.acam))
    if s.acah is not None:
        fields.append((ACAH, s.acah))
    if s.max_age is not None:
        fields.append((ACMA, s.max_age))
    return resp(204, *fields)


LONG_URL = API + "?q=" + "x" * (1024 - len(API) - 3)
SHORT_URL = LONG_URL[:-1]

# (id, profile, stores, lookup, hit)
CACHE_CASES = [
    ("row-76-hit-within-max-age", CHROMIUM, [Store(0)], Look(60), True),
    ("just-before-expiry", CHROMIUM, [Store(0)], Look(599.9), True),
    ("at-expiry", CHROMIUM, [Store(0)], Look(600), False),
    ("row-78-default-5s-hit", CHROMIUM, [Store(0, max_age=None)], Look(4), True),
    ("row-78-default-5s-miss", CHROMIUM, [Store(0, max_age=None)], Look(10), False),
    ("row-77-chromium-cap", CHROMIUM, [Store(0, max_age="86400")], Look(3 * 3600), False),
    ("row-77-firefox-cap", FIREFOX, [Store(0, max_age="86400")], Look(3 * 3600), True),
    ("row-77-safari-cap", SAFARI, [Store(0, max_age="86400")], Look(3 * 3600), False),
    ("safari-cap-hit", SAFARI, [Store(0, max_age="86400")], Look(599), True),
    ("row-79-chromium-negative", CHROMIUM, [Store(0, max_age="-1")], Look(0), False),
    ("row-79-firefox-negative", FIREFOX, [Store(0, max_age="-1")], Look(0), False),
    ("row-79-safari-negative", SAFARI, [Store(0, max_age="-1")], Look(0), False),
    ("zero", CHROMIUM, [Store(0, max_age="0")], Look(0), False),
    ("other-method", CHROMIUM, [Store(0)], Look(1, method="DELETE"), False),
    ("method-case", CHROMIUM, [Store(0, acam="put")], Look(1), False),
    ("several-methods", CHROMIUM, [Store(0, acam="PUT, DELETE")], Look(1, method="DELETE"), True),
    (
        "safelisted-method",
        CHROMIUM,
        [Store(0, acam=None, acah="x-foo")],
        Look(1, "POST", ("x-foo",)),
        True,
    ),
    (
        "chromium-head-implicit",
        CHROMIUM,
        [Store(0, acam=None, acah="x-foo")],
        Look(1, "HEAD", ("x-foo",)),
        True,
    ),
    (
        "firefox-head-not-implicit",
        FIREFOX,
        [Store(0, acam=None, acah="x-foo")],
        Look(1, "HEAD", ("x-foo",)),
        False,
    ),
    (
        "firefox-get-implicit",
        FIREFOX,
        [Store(0, acam=None, acah="x-foo")],
        Look(1, "GET", ("x-foo",)),
        True,
    ),
    ("header-listed", CHROMIUM, [Store(0, acah="X-Foo")], Look(1, headers=("x-foo",)), True),
    (
        "header-missing",
        CHROMIUM,
        [Store(0, acah="x-foo")],
        Look(1, headers=("x-bar", "x-foo")),
        False,
    ),
    ("method-star", CHROMIUM, [Store(0, acam="*")], Look(1, method="DELETE"), True),
    (
        "method-star-credentialed",
        CHROMIUM,
        [Store(0, acam="*", credentials=True)],
        Look(1, credentials=True),
        False,
    ),
    ("header-star", CHROMIUM, [Store(0, acah="*")], Look(1, headers=("x-a", "x-b")), True),
    (
        "header-star-credentialed",
        CHROMIUM,
        [Store(0, acah="*", credentials=True)],
        Look(1, headers=("x-a",), credentials=True),
        False,
    ),
    # Chromium allows Authorization under '*' live but never from its cache.
    (
        "star-not-authorization",
        CHROMIUM,
        [Store(0, acah="*")],
        Look(1, headers=("authorization",)),
        False,
    ),
    (
        "authorization-listed",
        CHROMIUM,
        [Store(0, acah="*, Authorization")],
        Look(1, headers=("authorization",)),
        True,
    ),
    ("row-80-omit-entry-include-request", CHROMIUM, [Store(0)], Look(1, credentials=True), False),
    (
        "include-entry-include-request",
        CHROMIUM,
        [Store(0, credentials=True)],
        Look(1, credentials=True),
        True,
    ),
    ("include-entry-omit-request", CHROMIUM, [Store(0, credentials=True)], Look(1), True),
    ("chromium-replaces", CHROMIUM, [Store(0), Store(1, acam="DELETE")], Look(2), False),
    (
        "chromium-latest-wins",
        CHROMIUM,
        [Store(0), Store(1, acam="DELETE")],
        Look(2, method="DELETE"),
        True,
    ),
    ("firefox-merges", FIREFOX, [Store(0), Store(1, acam="DELETE")], Look(2), True),
    (
        "firefox-merges-headers",
        FIREFOX,
        [Store(0, acah="x-a"), Store(1, acah="x-b")],
        Look(2, headers=("x-a", "x-b")),
        True,
    ),
    (
        "firefox-no-merge-after-expiry",
        FIREFOX,
        [Store(0, max_age="5"), Store(10, acam="DELETE")],
        Look(11),
        False,
    ),
    ("other-url", CHROMIUM, [Store(0)], Look(1, url=API + "?page=2"), False),
    (
        "chromium-url-1024-not-cached",
        CHROMIUM,
        [Store(0, url=LONG_URL)],
        Look(1, url=LONG_URL),
        False,
    ),
    ("chromium-url-1023-cached", CHROMIUM, [Store(0, url=SHORT_URL)], Look(1, url=SHORT_URL), True),
    ("firefox-url-1024-cached", FIREFOX, [Store(0, url=LONG_URL)], Look(1, url=LONG_URL), True),
    regression(
        "firefox-individual-expiry",
        FIREFOX,
        [Store(0, max_age="10"), Store(5, acam="DELETE", max_age="100")],
        Look(20),
        False,
        reason="Firefox merges methods and headers with individual expiry (cors-reference.md 3;"
        " nsPreflightCache TokenTime): PUT from a 10 s preflight expires at t=10 even after a"
        " later 100 s preflight for DELETE; the engine gives merged methods the new expiry",
    ),
    regression(
        "firefox-credentials-in-key",
        FIREFOX,
        [Store(0, credentials=True)],
        Look(1),
        False,
        reason="Firefox keys its preflight cache by (origin, URL, credentials, origin"
        " attributes) (cors-reference.md 3), so a credentialed entry never serves a request"
        " without credentials; the engine lets it",
    ),
    regression(
        "firefox-star-is-no-cache-wildcard",
        FIREFOX,
        [Store(0, acah="*")],
        Look(1, method="GET", headers=("x-foo",)),
        False,
        reason="Gecko's CORSCacheEntry::CheckRequest compares cached method and header tokens"
        " literally, so an 'Access-Control-Allow-Headers: *' entry never covers x-foo and"
        " Firefox preflights again (source only: nsCORSListenerProxy.cpp; cors-reference.md"
        " does not say); the engine applies '*' as a wildcard for every profile",
    ),
]


@pytest.mark.parametrize(("profile", "stores", "look", "hit"), cases(CACHE_CASES))
def test_cache_lookup(profile, stores, look, hit):
    cache = PreflightCache(profile)
    for i, s in enumerate(stores):
        cache.store(("client", PAGE, s.url), f"flow{i}", s.at, _response(s), s.credentials)
    entry = cache.lookup(
        ("client", PAGE, look.url), look.method, look.headers, look.credentials, look.at
    )
    assert (entry is not None) is hit


def test_store_returns_none_and_drops_the_entry_when_not_cacheable():
    cache = PreflightCache(CHROMIUM)
    assert cache.store(KEY, "f1", 0, _response(Store(0)), False) is not None
    assert len(cache) == 1
    assert cache.store(KEY, "f2", 1, _response(Store(1, max_age="0")), False) is None
    assert len(cache) == 0


def test_explicit_max_age_overrides_the_header():
    cache = PreflightCache(CHROMIUM)
    entry = cache.store(KEY, "f1", 0, _response(Store(0)), False, max_age=30)
    assert entry.max_age == 30 and entry.expires_at() == 30
    assert cache.lookup(KEY, "PUT", (), False, 31) is None


def test_expired_entry_is_removed_on_lookup():
    cache = PreflightCache(CHROMIUM)
    cache.store(KEY, "f1", 0, _response(Store(0, max_age="5")), False)
    assert cache.lookup(KEY, "PUT", (), False, 6) is None
    assert len(cache) == 0


def test_forget_after_a_failed_preflight():
    cache = PreflightCache(CHROMIUM)
    cache.store(KEY, "f1", 0, _response(Store(0)), False)
    cache.forget(KEY)
    assert cache.lookup(KEY, "PUT", (), False, 1) is None
    cache.forget(KEY)  # forgetting twice is harmless


def test_mark_credentials_upgrades_only_the_matching_flow():
    cache = PreflightCache(CHROMIUM)
    cache.store(KEY, "f1", 0, _response(Store(0)), False)
    cache.mark_credentials(KEY, "other")
    assert cache.lookup(KEY, "PUT", (), True, 1) is None
    cache.mark_credentials(KEY, "f1")
    assert cache.lookup(KEY, "PUT", (), True, 1) is not None


def test_bounded_size_evicts_the_oldest():
    cache = PreflightCache(CHROMIUM, max_entries=3)
    keys = [("client", PAGE, f"{API}?n={n}") for n in range(5)]
    for n, key in enumerate(keys):
        cache.store(key, f"f{n}", n, _response(Store(n)), False)
    assert len(cache) == 3
    assert [cache.lookup(k, "PUT", (), False, 10) is not None for k in keys] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_restoring_a_key_refreshes_its_age_in_the_bound():
    cache = PreflightCache(CHROMIUM, max_entries=2)
    a, b, c = (("client", PAGE, f"{API}?n={n}") for n in range(3))
    cache.store(a, "f1", 0, _response(Store(0)), False)
    cache.store(b, "f2", 1, _response(Store(1)), False)
    cache.store(a, "f3", 2, _response(Store(2)), False)
    cache.store(c, "f4", 3, _response(Store(3)), False)
    assert cache.lookup(a, "PUT", (), False, 4) is not None
    assert cache.lookup(b, "PUT", (), False, 4) is None


def test_cache_keys_are_per_client_and_origin():
    cache = PreflightCache(CHROMIUM)
    cache.store(KEY, "f1", 0, _response(Store(0)), False)
    assert cache.lookup(("other", PAGE, API), "PUT", (), False, 1) is None
    assert cache.lookup(("client", "null", API), "PUT", (), False, 1) is None


def test_firefox_cache_size_is_100():
    assert PreflightCache(FIREFOX).max_entries == 100
