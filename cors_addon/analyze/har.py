"""HAR entries to Exchanges, for the layouts Chrome (DevTools' "Export HAR", or a HAR built
from the DevTools protocol), Firefox and mitmproxy write.

What differs between them, and what is done about it:

- Chrome lists HTTP/2 pseudo-headers (`:authority`, `:method`, ...) among the request
  headers: they are dropped. Header names come in any case; lookups are case-insensitive.
- Chrome's `startedDateTime` is when the page issued the request, before it waited for
  its preflight or a connection (`timings.blocked`); browsers' entries are placed at
  start + blocked + dns + connect, when the request went on the wire, as a proxy sees it.
  mitmproxy's `startedDateTime` already is that moment.
- Chrome writes status 0 with no headers for a request that got no response, including the
  actual request of a failed preflight, which the browser never sent. That one is marked
  `unsent` (the Inspector skips it when its preflight failed); any other becomes a failed
  flow, with the `_error` text (net::ERR_FAILED, ...).
- Sanitized Chrome exports drop the Cookie header but may keep `request.cookies`: a Cookie
  header is rebuilt from it, since cookies are what shows a credentialed request.
- Dates come with `Z`, with an offset (Firefox writes local time), with 0 to 9 fractional
  digits, or without a zone (taken as UTC).
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from typing import Any

from ..engine import CorsWarning
from ..engine import Headers
from ..engine.origins import DEFAULT_PORTS
from ..engine.origins import split_url
from ..engine.warnings import warning
from ..pipeline import Recorded
from .exchange import Exchange

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_SCHEMES = ("http://", "https://", "ws://", "wss://")


class HarEntryError(ValueError):
    pass


def parse_time(text: str) -> float:
    """Epoch seconds of a HAR date."""
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    value = _FRACTION.sub(lambda m: m.group(1), value, count=1)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HarEntryError(f"startedDateTime {text!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _headers(items: Any) -> list[tuple[str, str]]:
    out = []
    for item in items or ():
        if isinstance(item, dict):
            name, value = item.get("name"), item.get("value")
        elif isinstance(item, list | tuple) and len(item) == 2:
            name, value = item
        else:
            continue
        if not isinstance(name, str) or name.startswith(":"):
            continue
        out.append((name, value if isinstance(value, str) else str(value)))
    return out


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0


class HarEntries:
    """Turns the entries of one HAR file into Exchanges; `creator` decides the timing rule."""

    def __init__(self, name: str, creator: str = "") -> None:
        self.name = name
        self.creator = creator
        self.count = 0

    @property
    def wire_start(self) -> bool:
        """Does startedDateTime already say when the request went on the wire?"""
        return self.creator.lower() == "mitmproxy"

    def exchange(self, entry: Any) -> Exchange | None:
        """The Exchange of one entry; None for what is no HTTP request (data: URLs, ...)."""
        self.count += 1
        if not isinstance(entry, dict):
            raise HarEntryError("an entry is not an object")
        req = entry.get("request")
        resp = entry.get("response") or {}
        if not isinstance(req, dict) or not isinstance(resp, dict):
            raise HarEntryError("an entry has no request object")
        url = req.get("url")
        method = req.get("method")
        if not isinstance(url, str) or not isinstance(method, str):
            raise HarEntryError("a request has no url or method")
        if not url.lower().startswith(_SCHEMES):
            return None
        started = entry.get("startedDateTime")
        if not isinstance(started, str):
            raise HarEntryError("an entry has no startedDateTime")
        time = parse_time(started)
        timings = entry.get("timings") if isinstance(entry.get("timings"), dict) else {}
        if not self.wire_start:
            time += sum(_ms(timings.get(k)) for k in ("blocked", "dns", "connect")) / 1000

        fields = _headers(req.get("headers"))
        cookies = req.get("cookies")
        if cookies and not any(n.lower() == "cookie" for n, _ in fields):
            pairs = [
                f"{c.get('name')}={c.get('value', '')}"
                for c in cookies
                if isinstance(c, dict) and c.get("name")
            ]
            if pairs:
                fields.append(("Cookie", "; ".join(pairs)))

        status = resp.get("status")
        status = status if isinstance(status, int) else 0
        resp_fields = _headers(resp.get("headers"))
        error = resp.get("_error") if isinstance(resp.get("_error"), str) else None
        notes: tuple[CorsWarning, ...] = ()
        if status <= 0 and not resp_fields:
            status_out: int | None = None
            response: Headers | None = None
            error = error or "no response recorded (status 0)"
            notes = (warning("capture-no-response", error=error),)
        else:
            if status <= 0:
                status, notes = 200, (warning("capture-status-missing"),)
            status_out, response = status, Headers(resp_fields)
        ms = None
        if status_out is not None and timings:
            ms = (_ms(timings.get("send")) + _ms(timings.get("wait"))) or None

        scheme, host, port, _ = split_url(url)
        return Exchange(
            flow=f"{self.name}#{self.count}",
            time=time,
            method=method,
            url=url.split("#", 1)[0],
            request=Headers(fields),
            status=status_out,
            response=response,
            error=error,
            ms=ms,
            client="",
            host=host.strip("[]"),
            port=port if port is not None else DEFAULT_PORTS.get(scheme, 0),
            recorded=Recorded(notes=notes) if notes else None,
        )
