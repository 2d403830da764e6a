"""Where browsers depart from the Fetch spec, as data (cors-reference.md, appendix B)."""

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
# (services/network/public/cpp/cors/cors.cc, IsCorsSafelistedHeader).
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
    name: str
    extra_safelisted: dict[str, Callable[[str], bool]]
    user_agent_forbidden: bool  # script-set User-Agent is dropped, never preflighted
    safelisted_total_rule: bool  # the 1024-byte sum over safelisted values
    preflight_status_first: bool  # Safari checks the preflight status before Allow-Origin
    max_age_cap: int
    max_age_default: int
    cache_entries: int  # preflight cache size

    def effective_max_age(self, value: str | None) -> int:
        """Seconds this browser caches a successful preflight with this Access-Control-Max-Age."""
        if value is None:
            return self.max_age_default
        v = value.strip()
        if self.name == "firefox":
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
    extra_safelisted=CHROMIUM_EXTRA_SAFELISTED,
    user_agent_forbidden=True,
    safelisted_total_rule=True,
    preflight_status_first=False,
    max_age_cap=7200,
    max_age_default=5,
    cache_entries=1024,
)
FIREFOX = BrowserProfile(
    name="firefox",
    extra_safelisted={},
    user_agent_forbidden=False,
    safelisted_total_rule=False,
    preflight_status_first=False,
    max_age_cap=86400,
    max_age_default=5,
    cache_entries=100,
)
SAFARI = BrowserProfile(
    name="safari",
    extra_safelisted={},
    user_agent_forbidden=False,
    safelisted_total_rule=False,
    preflight_status_first=True,
    max_age_cap=600,
    max_age_default=5,
    cache_entries=1024,
)

PROFILES: dict[str, BrowserProfile] = {p.name: p for p in (CHROMIUM, FIREFOX, SAFARI)}
BROWSER_CHOICES = ("auto", *PROFILES)


@lru_cache(maxsize=256)
def detect(user_agent: str | None) -> BrowserProfile:
    """The profile for a User-Agent string; Chromium when it says nothing clear."""
    if not user_agent:
        return CHROMIUM
    if "Firefox/" in user_agent and "Seamonkey/" not in user_agent:
        return FIREFOX
    if "Chrome/" in user_agent or "Chromium/" in user_agent or "Edg/" in user_agent:
        return CHROMIUM
    if "Safari/" in user_agent and "Version/" in user_agent:
        return SAFARI
    return CHROMIUM


def profile_for(choice: str, user_agent: str | None) -> BrowserProfile:
    """`choice` is an option value: auto, chromium, firefox or safari."""
    if choice == "auto":
        return detect(user_agent)
    return PROFILES[choice]
