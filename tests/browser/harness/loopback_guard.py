"""mitmproxy script for the browser tests: answer every non-loopback host locally.

Chromium calls Google hosts at start-up even with --disable-background-networking. Those requests
reach the proxy; this addon answers them with 403 in `http_connect`/`requestheaders`, i.e. before
mitmproxy resolves a name or opens an upstream connection, so nothing leaves the machine and
nothing waits on DNS. Load it with `-s <this file>` next to whatever else the proxy runs.
"""

from __future__ import annotations

import ipaddress
import logging

from mitmproxy import http

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackGuard:
    def _guard(self, flow: http.HTTPFlow) -> None:
        if not is_loopback(flow.request.host):
            log.info("loopback_guard: refused %s %s", flow.request.method, flow.request.pretty_url)
            flow.response = http.Response.make(
                403, b"blocked by the test loopback guard", {"Content-Type": "text/plain"}
            )

    def http_connect(self, flow: http.HTTPFlow) -> None:
        self._guard(flow)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response is None:
            self._guard(flow)


addons = [LoopbackGuard()]
