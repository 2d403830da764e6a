"""HAR entries to Exchanges, for the layouts Chrome (DevTools' "Save all as HAR", or a HAR
built from the DevTools protocol), Firefox, Safari and mitmproxy write.

What differs between them, and what is done about it:

- Chrome lists HTTP/2 pseudo-headers (`:authority`, `:method`, ...) among the request
  headers: they are dropped. Header names come in any case; lookups are case-insensitive.
- Chrome's `startedDateTime` is when the page issued the request, before it waited for its
  preflight or a connection (`timings.blocked`); its event is placed at start + blocked +
  dns + connect (those that are known), when it went on the wire, as a proxy sees it.
  mitmproxy's `startedDateTime` already is that moment. Timings never decide pairing
  (links.py pairs by what the capture records).
- Chrome records the API that made a request (`_resourceType`: fetch, xhr, preflight) and,
  for a preflight, the request it was sent for (`_initiator`): kept for links.py and for
  the console sentence ("Access to XMLHttpRequest at").
- Chrome writes status 0 with no headers for a request that got no response, including the
  actual request of a failed preflight, which the browser never sent (replay.py skips it);
  any other becomes a failed flow, with the `_error` text (net::ERR_FAILED, ...). For a
  request it did get a response to, `_error` records whether the browser failed it.
- When DevTools missed the network stack's report it writes provisional request headers
  (no Origin, Cookie or Sec-Fetch-*). A fetch or XHR to another origin without an Origin is
  still a CORS request: the Origin is inferred from its page (pageref), its Referer or its
  initiator, added (with Sec-Fetch-Mode: cors), and a warning says so.
- Sanitized exports drop Cookie and Authorization (and, since DevTools 2023, the
  request.cookies too): credentials are unknown, never assumed absent. Where request.cookies
  remain, a Cookie header is rebuilt from them.
- Dates come with `Z`, with an offset (Firefox writes local time), with 0 to 9 fractional
  digits, or without a zone (taken as UTC).
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from ..engine import CorsWarning
from ..engine import Headers
from ..engine.origins import url_origin
from ..engine.warnings import warning
from ..pipeline import Recorded
from .exchange import Exchange

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_SCHEMES = ("http://", "https://", "ws://", "wss://")
_KINDS = {"fetch": "fetch", "xhr": "XMLHttpRequest"}
_SAFE_METHODS = ("GET", "HEAD")
_REDIRECTS_KEPT = 1024  # redirect targets awaiting their request (a bounded memory)


class HarEntryError(ValueError):
    pass


_SECONDS: dict[str, float] = {}  # "YYYY-MM-DDTHH:MM:SS" -> epoch seconds (UTC)


def parse_time(text: str) -> float:
    """Epoch seconds of a HAR date."""
    # The usual form, 2026-03-01T12:00:00.123Z: the whole seconds parsed once per second.
    if len(text) > 20 and text[19] == "." and text[-1] == "Z" and text[20:-1].isdigit():
        base = _SECONDS.get(text[:19])
        if base is None:
            if len(_SECONDS) > 4096:
                _SECONDS.clear()
            base = _SECONDS[text[:19]] = parse_time(text[:19] + "Z")
        return base + int(text[20:-1]) / 10 ** (len(text) - 21)
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
    """(name, value) pairs of a HAR header list, pseudo-headers left out."""
    if type(items) is list:
        out = [
            (n, v)
            for h in items
            if type(h) is dict
            and type(n := h.get("name")) is str
            and type(v := h.get("value")) is str
            and n[:1] != ":"
        ]
        if len(out) == len(items):
            return out
    return _odd_headers(items)


def _odd_headers(items: Any) -> list[tuple[str, str]]:
    """_headers for lists holding more than {name, value} strings: [name, value] pairs,
    values of other JSON types (as text), anything else left out."""
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
    return value if (type(value) is float or type(value) is int) and value > 0 else 0.0


def _has(fields: list[tuple[str, str]], name: str) -> bool:
    return any(n.lower() == name for n, _ in fields)


def _get(fields: list[tuple[str, str]], name: str) -> str | None:
    return next((v for n, v in fields if n.lower() == name), None)


def _provisional(fields: list[tuple[str, str]]) -> bool:
    """Provisional headers: none of those the browser's network stack adds to every request
    (Accept-Encoding, Sec-Fetch-Mode) is there."""
    return not _has(fields, "accept-encoding") and not _has(fields, "sec-fetch-mode")


def _initiator_url(initiator: Any) -> str | None:
    if not isinstance(initiator, dict):
        return None
    url = initiator.get("url")
    if isinstance(url, str) and url:
        return url
    stack = initiator.get("stack")
    while isinstance(stack, dict):
        for frame in stack.get("callFrames") or ():
            if isinstance(frame, dict) and isinstance(frame.get("url"), str) and frame["url"]:
                return str(frame["url"])
        stack = stack.get("parent")
    return None


class HarEntries:
    """Turns the entries of one HAR file into Exchanges; `creator` decides the timing rule,
    `pages` (id -> URL, from log.pages) where a page's requests came from."""

    def __init__(self, name: str, creator: str = "") -> None:
        self.name = name
        self.creator = creator
        self.pages: dict[str, str] = {}
        self.count = 0
        # redirect target URL -> (the Origin its request carries, the URL that redirected)
        self.redirected: dict[str, tuple[str, str]] = {}

    @property
    def wire_start(self) -> bool:
        """Does startedDateTime already say when the request went on the wire?"""
        return self.creator.lower() == "mitmproxy"

    def add_pages(self, pages: Any) -> None:
        for page in pages if isinstance(pages, list) else ():
            if isinstance(page, dict) and isinstance(page.get("id"), str):
                title = page.get("title")
                if isinstance(title, str) and title.lower().startswith(_SCHEMES):
                    self.pages[page["id"]] = title

    def exchange(self, entry: Any) -> Exchange | None:
        """The Exchange of one entry; None for what is no HTTP request (data: URLs, ...) or
        carries no Origin header (the live proxy inspects no such request either)."""
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
        fields = _headers(req.get("headers"))
        names = [n.lower() for n, _ in fields]
        resource_type = entry.get("_resourceType")
        resource_type = resource_type if isinstance(resource_type, str) else None
        if "origin" not in names and (resource_type not in _KINDS or not _provisional(fields)):
            return None  # no Origin: nothing for the sequence, as in the proxy
        start = parse_time(started)
        time = start
        timings = entry.get("timings")
        if type(timings) is not dict:
            timings = {}
        elif not self.wire_start:
            time += (
                _ms(timings.get("blocked")) + _ms(timings.get("dns")) + _ms(timings.get("connect"))
            ) / 1000
        if "#" in url:
            url = url.split("#", 1)[0]
        cookies = req.get("cookies")
        if cookies and "cookie" not in names:
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

        initiator = entry.get("_initiator")
        page = entry.get("pageref") if isinstance(entry.get("pageref"), str) else None
        preflight = resource_type == "preflight" or (
            isinstance(initiator, dict) and initiator.get("type") == "preflight"
        )
        inferred = None
        hop = self.redirected.pop(url, None)
        if (
            resource_type in _KINDS
            and not preflight
            and "origin" not in names
            and _provisional(fields)
        ):
            inferred = self._infer_origin(url, method, page, fields, initiator, hop)
            if inferred is not None:
                fields.append(("Origin", inferred[0]))
                if not _has(fields, "sec-fetch-mode"):
                    fields.append(("Sec-Fetch-Mode", "cors"))
        if status_out is not None and 300 <= status_out < 400 and not preflight:
            self._note_redirect(url, resp.get("redirectURL"), resp_fields, fields)
        recorded = None
        browser_record = "_error" in resp  # Chrome: null when the page got the response
        hidden = (
            resource_type is not None
            and not preflight
            and not _has(fields, "cookie")
            and not _has(fields, "authorization")
        )
        if notes or resource_type is not None or inferred is not None:
            recorded = Recorded(
                kind=_KINDS.get(resource_type or ""),
                inferred_origin=inferred,
                failed=error if browser_record and status_out is not None else None,
                received=browser_record and error is None and status_out is not None,
                credentials_hidden=hidden,
                notes=notes,
            )

        ex = Exchange(
            f"{self.name}#{self.count}",
            time,
            method,
            url,
            Headers(fields),
            status_out,
            response,
            error,
            ms,
            recorded=recorded,
            started=start,
            page=page,
            preflight=preflight,
        )
        if preflight and isinstance(initiator, dict):
            target = initiator.get("url")
            ex.link_url = target.split("#", 1)[0] if isinstance(target, str) else None
            request_id = initiator.get("requestId")
            ex.link_id = request_id if isinstance(request_id, str) else None
        return ex

    def _note_redirect(
        self,
        url: str,
        redirect_url: Any,
        resp_fields: list[tuple[str, str]],
        fields: list[tuple[str, str]],
    ) -> None:
        """Remember the Origin the next hop of a redirect carries: the request's own, or
        'null' once a redirect left the current URL's origin while that was not the
        request's origin (a tainted origin; Fetch, "HTTP-redirect fetch")."""
        origin = _get(fields, "origin")
        location = redirect_url or _get(resp_fields, "location")
        if not origin or not isinstance(location, str) or not location:
            return
        target = urljoin(url, location).split("#", 1)[0]
        here = url_origin(url)
        if origin != "null" and url_origin(target) != here and origin != here:
            origin = "null"
        if len(self.redirected) >= _REDIRECTS_KEPT:
            self.redirected.pop(next(iter(self.redirected)))
        self.redirected[target] = (origin, url)

    def _infer_origin(
        self,
        url: str,
        method: str,
        page: str | None,
        fields: list[tuple[str, str]],
        initiator: Any,
        hop: tuple[str, str] | None = None,
    ) -> tuple[str, str] | None:
        """The Origin the browser sent with a fetch/XHR whose capture has only provisional
        headers: after a redirect, the one its first request carried ('null' once tainted);
        else the origin of its page, else of its Referer, else of its initiator; None when it
        sent none (a same-origin GET or HEAD) or nothing tells."""
        if hop is not None:
            origin, source = hop
            same = origin == url_origin(url) == url_origin(source)
            if same and method.upper() in _SAFE_METHODS:
                return None
            return origin, f"its redirect from {source}"
        candidates = (
            (self.pages.get(page or ""), "its page"),
            (_get(fields, "referer"), "its Referer"),
            (_initiator_url(initiator), "its initiator"),
        )
        for candidate, source in candidates:
            if candidate and candidate.lower().startswith(_SCHEMES):
                origin = url_origin(candidate)
                if origin == "null":
                    continue
                if origin == url_origin(url) and method.upper() in _SAFE_METHODS:
                    return None  # same-origin GET/HEAD: no Origin header at all
                return origin, f"{source} ({candidate})"
        return None
