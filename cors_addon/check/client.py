"""The HTTP client of `check`: one request per connection, exactly the header fields given
(plus Host and Content-Length), no redirect following, no decoding; at most `rate`
requests a second. `Exchanger` sends each distinct request once: engines whose requests are
identical share the exchange.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import NamedTuple

from ..engine import Headers
from ..engine import WireRequest
from ..engine import WireResponse
from ..engine.origins import split_url

Fields = tuple[tuple[str, str], ...]
DEFAULT_TIMEOUT = 10.0
DEFAULT_RATE = 5.0  # requests per second
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Outgoing(NamedTuple):
    """One request as it goes on the wire (Host and Content-Length are added when sent)."""

    method: str
    url: str
    fields: Fields

    @property
    def wire(self) -> WireRequest:
        return WireRequest(self.method, self.url, Headers(self.fields))

    def get(self, name: str) -> str | None:
        return Headers(self.fields).get(name.lower())


class NetworkError(Exception):
    """No response: the message says why, in a few words."""


class RateLimiter:
    """At most `rate` request starts per second: consecutive starts at least 1/rate
    seconds apart (no limit when rate <= 0)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")

    def wait(self) -> None:
        """Return when the next request may start: `interval` after the previous start
        (measured after sleeping: a late wake-up never lets two requests start closer)."""
        now = self.clock()
        while now < self._next:
            self.sleep(self._next - now)
            now = self.clock()
        self._next = now + self.interval


class HttpClient:
    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        rate: float = DEFAULT_RATE,
        insecure: bool = False,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.timeout = timeout
        self.limiter = limiter or RateLimiter(rate)
        self.sent = 0
        if insecure:
            self.tls = ssl._create_unverified_context()  # --insecure asks for it
        else:
            self.tls = ssl.create_default_context()

    def fetch(self, out: Outgoing) -> tuple[WireResponse, float]:
        """Send one request; the response's status and header fields, and the milliseconds
        to its headers. Raises NetworkError."""
        scheme, host, port, target = split_url(out.url)
        host = host.strip("[]")
        port = port or (443 if scheme == "https" else 80)
        authority = out.url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        authority = authority.rsplit("@", 1)[-1]
        self.limiter.wait()
        self.sent += 1
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        start = time.monotonic()
        try:
            conn.putrequest(out.method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", authority)
            for name, value in out.fields:
                conn.putheader(name, value.encode("utf-8", "surrogateescape"))
            if out.method.upper() in BODY_METHODS:
                conn.putheader("Content-Length", "0")
            conn.endheaders()
            resp = conn.getresponse()
            ms = (time.monotonic() - start) * 1000
            fields = [(n, v) for n, v in resp.getheaders()]
            return WireResponse(resp.status, Headers(fields)), ms
        except (OSError, http.client.HTTPException) as e:
            raise NetworkError(_describe(e, self.timeout)) from None
        except ValueError as e:  # http.client refuses a field it cannot send
            raise NetworkError(f"cannot send this request: {e}") from None
        finally:
            conn.close()


def _describe(e: BaseException, timeout: float) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, socket.gaierror):
        return "cannot resolve the host name"
    if isinstance(e, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({e.verify_message}); --insecure skips the check"
    if isinstance(e, ssl.SSLError):
        return f"TLS error: {e.reason or e}"
    if isinstance(e, http.client.RemoteDisconnected):
        return "the server closed the connection without a response"
    if isinstance(e, http.client.HTTPException):
        return f"not an HTTP/1.x response ({type(e).__name__})"
    if isinstance(e, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__


@dataclass(slots=True)
class Exchange:
    """One request on the network and its answer, with the engines that sent it."""

    id: int
    request: Outgoing
    time: float
    response: WireResponse | None = None
    error: str | None = None
    ms: float | None = None
    engines: list[str] = field(default_factory=list)


class Exchanger:
    """Sends each distinct request once and hands the same answer to every engine that
    sends the same request."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.exchanges: list[Exchange] = []
        self._by_request: dict[Outgoing, Exchange] = {}

    def send(self, out: Outgoing, engine: str) -> Exchange:
        ex = self._by_request.get(out)
        if ex is None:
            ex = Exchange(len(self.exchanges) + 1, out, time.time())
            try:
                ex.response, ex.ms = self.client.fetch(out)
            except NetworkError as e:
                ex.error = str(e)
            self.exchanges.append(ex)
            self._by_request[out] = ex
        if engine not in ex.engines:
            ex.engines.append(engine)
        return ex
