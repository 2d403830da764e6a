"""The three browser engines, where they depart from the Fetch spec and from each other, as
data (cors-reference.md, appendix B; the facts recorded live with Chromium 156, Firefox ESR
153 and WebKitGTK 2.50, tests/browser/scenarios), and which engine a User-Agent names.

The engine behind Safari is called `webkit` everywhere; `safari` stays accepted as a name
for it (`cors_browser=safari`, `analyze --browser safari`, `check --browsers safari`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

_DOUBLE = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_INT = re.compile(r"[0-9]+\Z")
_SIGNED_INT = re.compile(r"[+-]?[0-9]+\Z")
_DIGITS = re.compile(r"[0-9]+\Z")

# Chromium safelists these extra names, each with its own value rule
# (services/network/public/cpp/cors/cors.cc, IsCorsSafelistedHeader). Firefox and WebKit
# preflight every one of them (observed for DPR, Device-Memory, Width, Viewport-Width,
# Downlink, RTT, Save-Data).
CHROMIUM_EXTRA_SAFELISTED: dict[str, Callable[[str], bool]] = {
    "intervention": lambda v: True,
    "device-memory": lambda v: _DOUBLE.match(v) is not None,
    "dpr": lambda v: _DOUBLE.match(v) is not None,
    "downlink": lambda v: _DOUBLE.match(v) is not None,
    "width": lambda v: _INT.match(v) is not None,
    "viewport-width": lambda v: _INT.match(v) is not None,
    "rtt": lambda v: _INT.match(v) is not None,
    "ect": lambda v: v in ("slow-2g", "2g", "3g", "4g"),
    "save-data": lambda v: v.lower() == "on",
}


def _to_int(text: str) -> int:
    """int() of a [+-]digits string of any length: Python refuses strings over 4300 digits,
    and any value over 30 digits is past every cap and every int64 anyway."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 30 else 10**30
    return -value if text.startswith("-") else value


@dataclass(frozen=True, slots=True)
class BrowserProfile:
    name: str  # chromium | firefox | webkit
    label: str  # as people name it: Chromium, Firefox, WebKit
    extra_safelisted: dict[str, Callable[[str], bool]]
    safelisted_total_rule: bool  # the 1024-byte sum over safelisted values
    range_unit_any_case: bool  # `Range: Bytes=0-1` is safelisted (WebKit)
    preflight_status_first: bool  # WebKit checks the preflight status before Allow-Origin
    max_age_cap: int  # not verified live (a test would wait past it)
    max_age_default: int
    max_age_digits_only: bool  # Firefox caches nothing for `1.5`, `+5`, `5s`
    cache_entries: int  # preflight cache size
    cache_wildcard_covers_authorization: bool  # WebKit caches `Allow-Headers: *` for it
    # How its requests differ on the wire (browser-engines.md, "Engine differences"):
    script_user_agent: str  # dropped | request | both: where a script's User-Agent goes
    tainted_preflight_origin: str  # null | page: Origin of a preflight after a tainting hop
    preflight_after_redirect: str  # needed | again | again-same-names, after a cross-origin
    # redirect of a preflighted request: only when its own rules say so (Chromium); always
    # (Firefox); always, announcing the first preflight's names too (WebKit)
    # Two different Location lines: Chromium and Firefox fail the response as invalid HTTP;
    # WebKit follows the values joined with ", " (eng-http-two-locations)
    joins_duplicate_location: bool

    def effective_max_age(self, value: str | None) -> int:
        """Seconds this browser caches a successful preflight with this Access-Control-Max-Age."""
        if value is None:
            return self.max_age_default
        v = value.strip()
        if self.max_age_digits_only:
            # Gecko: empty means the default; any non-digit (also "-1", "+5") is not cached.
            if not v:
                return self.max_age_default
            if not _DIGITS.match(v):
                return 0
            return min(_to_int(v), self.max_age_cap)
        if not _SIGNED_INT.match(v):
            return self.max_age_default
        seconds = _to_int(v)
        if self.name == "chromium" and not -(2**63) <= seconds < 2**63:
            return self.max_age_default  # base::StringToInt64 fails on overflow
        return max(0, min(seconds, self.max_age_cap))


CHROMIUM = BrowserProfile(
    name="chromium",
    label="Chromium",
    extra_safelisted=CHROMIUM_EXTRA_SAFELISTED,
    safelisted_total_rule=True,
    range_unit_any_case=False,
    preflight_status_first=False,
    max_age_cap=7200,
    max_age_default=5,
    max_age_digits_only=False,
    cache_entries=1024,
    cache_wildcard_covers_authorization=False,
    script_user_agent="dropped",
    tainted_preflight_origin="null",
    preflight_after_redirect="needed",
    joins_duplicate_location=False,
)
FIREFOX = BrowserProfile(
    name="firefox",
    label="Firefox",
    extra_safelisted={},
    safelisted_total_rule=False,
    range_unit_any_case=False,
    preflight_status_first=False,
    max_age_cap=86400,
    max_age_default=5,
    max_age_digits_only=True,
    cache_entries=100,
    cache_wildcard_covers_authorization=False,
    script_user_agent="request",
    tainted_preflight_origin="page",
    preflight_after_redirect="again",
    joins_duplicate_location=False,
)
WEBKIT = BrowserProfile(
    name="webkit",
    label="WebKit",
    extra_safelisted={},
    safelisted_total_rule=False,
    range_unit_any_case=True,
    preflight_status_first=True,
    max_age_cap=600,
    max_age_default=5,
    max_age_digits_only=False,
    cache_entries=1024,
    cache_wildcard_covers_authorization=True,
    script_user_agent="both",
    tainted_preflight_origin="null",
    preflight_after_redirect="again-same-names",
    joins_duplicate_location=True,
)
SAFARI = WEBKIT  # the old name of the profile

ENGINES: tuple[BrowserProfile, ...] = (CHROMIUM, FIREFOX, WEBKIT)
PROFILES: dict[str, BrowserProfile] = {p.name: p for p in ENGINES}
ALIASES = {"safari": "webkit"}
BROWSER_CHOICES = ("auto", *PROFILES, *ALIASES)


def engine_name(choice: str) -> str:
    """An option value (or an alias) as the engine's name: `safari` -> `webkit`."""
    return ALIASES.get(choice, choice)


# Tokens a User-Agent carries, in the order they are tried (the first that matches decides).
# Every browser on iOS and iPadOS runs WebKit, whatever its brand (CriOS, FxiOS, EdgiOS,
# ...); Edge, Opera, Samsung Internet, Brave (a plain Chrome UA) and Android WebViews are
# Chromium; Firefox (also for Android) is Gecko; Safari, WebKitGTK (MiniBrowser, Epiphany)
# and apps' WKWebViews are WebKit.
_IOS = re.compile(r"\((?:iPhone|iPad|iPod)[;)]|\b(?:CriOS|FxiOS|EdgiOS|OPiOS|GSA)/")
_CHROMIUM = re.compile(r"\b(?:Chrome|Chromium|HeadlessChrome|Edg|OPR|SamsungBrowser|YaBrowser)/")
_FIREFOX = re.compile(r"\b(?:Firefox|FxiOS)/|\brv:[0-9.]+\) Gecko/")
_WEBKIT = re.compile(r"\bAppleWebKit/")


@lru_cache(maxsize=256)
def detect_engine(user_agent: str | None) -> BrowserProfile | None:
    """The engine a User-Agent names; None when it names none clearly (curl, an app, a
    value a page's script set)."""
    if not user_agent:
        return None
    if _IOS.search(user_agent):
        return WEBKIT
    if _CHROMIUM.search(user_agent):
        return CHROMIUM
    if _FIREFOX.search(user_agent):
        return FIREFOX
    if _WEBKIT.search(user_agent):
        return WEBKIT
    return None


def detect(user_agent: str | None) -> BrowserProfile:
    """The profile for a User-Agent string; Chromium when it names no engine clearly."""
    return detect_engine(user_agent) or CHROMIUM


def profile_for(choice: str, user_agent: str | None) -> BrowserProfile:
    """`choice` is an option value: auto, chromium, firefox, webkit (or safari)."""
    if choice == "auto":
        return detect(user_agent)
    return PROFILES[engine_name(choice)]
