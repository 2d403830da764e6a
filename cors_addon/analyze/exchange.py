"""One captured request and its response, as the analyzer needs it: what any capture format
(HAR, mitmproxy flow file) reduces to before it goes through the Inspector."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Headers
from ..engine import WireRequest
from ..engine import WireResponse
from ..engine.origins import DEFAULT_PORTS
from ..engine.origins import split_url
from ..pipeline import Recorded

# Chrome's error for a request it stopped itself (a CORS failure, or after its preflight).
BLOCKED_BY_THE_BROWSER = "net::ERR_FAILED"


@dataclass(slots=True)
class Exchange:
    flow: str  # the flow id of the event: mitmproxy's, or FILE#N for a HAR entry
    time: float  # when the request went on the wire (epoch seconds)
    method: str
    url: str  # as the browser requested it
    request: Headers
    status: int | None  # None: no response (a network error, or nothing recorded)
    response: Headers | None
    error: str | None = None  # why there is no response
    ms: float | None = None  # request start to response headers
    client: str = ""  # which browser, as far as the capture tells
    host: str = ""  # lower-case, IPv6 without brackets; "": from the URL (target())
    port: int = 0
    recorded: Recorded | None = None  # what the capture recorded beyond the wire
    # What links.py pairs by (HAR entries of a browser's own capture):
    started: float | None = None  # when the page issued it (the capture's order)
    page: str | None = None  # the page (pageref) it belongs to
    preflight: bool = False  # a CORS preflight, by the capture's record or its headers
    link_url: str | None = None  # a preflight's: the URL of the request it was sent for
    link_id: str | None = None  # a preflight's: the browser's id of that request

    def target(self) -> tuple[str, int]:
        """(host, port) the request went to: as recorded, or else from its URL."""
        if self.host:
            return self.host, self.port
        scheme, host, port, _ = split_url(self.url)
        return host.strip("[]"), port if port is not None else DEFAULT_PORTS.get(scheme, 0)

    @property
    def wire(self) -> WireRequest:
        return WireRequest(self.method, self.url, self.request)

    @property
    def wire_response(self) -> WireResponse | None:
        if self.status is None or self.response is None:
            return None
        return WireResponse(self.status, self.response)
