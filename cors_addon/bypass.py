"""Spot a browser that sends its localhost traffic around the proxy.

Chromium and Firefox bypass proxies for loopback by default. If pages on localhost show up
(as the Origin or Referer of requests to other hosts) but no request to a loopback host ever
does, the developer's API calls are invisible to us: say so once, DELAY_SECONDS (5 s) after
the first such page shows up. The environment variable CORS_ADDON_BYPASS_DELAY (seconds, e.g.
"0.5") overrides the delay, for tests; an invalid value is ignored.
"""

from __future__ import annotations

import math
import os

from .engine.origins import is_loopback_host
from .engine.origins import origin_host

DELAY_SECONDS = 5.0
DELAY_ENV = "CORS_ADDON_BYPASS_DELAY"


def default_delay() -> float:
    """DELAY_SECONDS, or the value of CORS_ADDON_BYPASS_DELAY when it is a number >= 0."""
    try:
        value = float(os.environ.get(DELAY_ENV, ""))
    except ValueError:
        return DELAY_SECONDS
    return value if math.isfinite(value) and value >= 0 else DELAY_SECONDS


class BypassDetector:
    def __init__(self, delay: float | None = None) -> None:
        self.delay = default_delay() if delay is None else delay
        self.local_page: str | None = None
        self.first_seen = 0.0
        self.loopback_seen = False
        self.warned = False

    @property
    def settled(self) -> bool:
        """Nothing left to observe: warned already, or loopback traffic does reach us."""
        return self.warned or self.loopback_seen

    def observe(
        self, target_host: str, origin: str | None, referer: str | None, now: float
    ) -> None:
        if self.warned or self.loopback_seen:
            return
        if is_loopback_host(target_host):
            self.loopback_seen = True
            return
        if self.local_page is not None:
            return
        page = origin if origin and origin != "null" else referer
        if page and "://" in page and is_loopback_host(origin_host(page)):
            self.local_page = page.split("/", 3)[:3] and "/".join(page.split("/", 3)[:3])
            self.first_seen = now

    def check(self, now: float) -> str | None:
        """The warning, once, when it is due."""
        if (
            self.warned
            or self.loopback_seen
            or self.local_page is None
            or now - self.first_seen < self.delay
        ):
            return None
        self.warned = True
        return (
            f"requests from the page {self.local_page} reach the proxy, but none of its"
            " requests to localhost do: the browser sends loopback traffic around the proxy."
            " Start it with `python -m cors_addon browser`, or add"
            " --proxy-bypass-list='<-loopback>' (Chromium) /"
            " network.proxy.allow_hijacking_localhost=true (Firefox)."
        )
