"""What the proxy says at start-up: one line that shows the addon is loaded and what it will
do, and an error for a misspelt cors_* option (mitmproxy would ignore it silently)."""

from __future__ import annotations

import logging
from typing import Any

from mitmproxy import ctx

from . import __version__
from .typos import unknown_options

logger = logging.getLogger(__name__)

WHO = {
    "auto": "the browser its User-Agent names",
    "chromium": "Chromium",
    "firefox": "Firefox",
    "webkit": "WebKit (Safari)",
    "safari": "WebKit (Safari)",
}


def loaded_line(options: Any) -> str:
    o = options
    who = WHO.get(o.cors_browser, o.cors_browser)
    scope = f" matching {o.cors_filter!r}" if o.cors_filter else ""
    rules = f"rules from {o.cors_rules}" if o.cors_rules else "no rules file, so nothing is changed"
    log = f"; event log {o.cors_log}" if o.cors_log else ""
    return (
        f"cors_addon {__version__}: diagnosing every request with an Origin{scope} as {who}"
        f" would; {rules}{log}."
    )


class Startup:
    """For `-s mitmproxy_script.py` in any mitmproxy tool (`python -m cors_addon` checks before
    the proxy starts, in cli.py). An error logged while starting makes mitmproxy exit."""

    def running(self) -> None:
        errors, warnings = unknown_options(ctx.options.deferred, ctx.options.keys())
        for warning in warnings:
            logger.warning(warning)
        for error in errors:
            logger.error(error)
        if not errors:
            logger.info(loaded_line(ctx.options))
