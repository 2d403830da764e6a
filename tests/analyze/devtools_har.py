"""A HAR from DevTools protocol events, built the way Chrome DevTools' "Save all as HAR"
builds it, so that the analyzer's fixtures have Chrome's real layout.

The reference is DevTools' own code (ChromeDevTools/devtools-frontend):
- core/sdk/NetworkManager.ts and NetworkRequest.ts: how Network.* events become a
  NetworkRequest (issueTime and wallTime from requestWillBeSent; the headers, cookies and
  status code of the ExtraInfo events replace the provisional ones; `timing` sets startTime
  and responseReceivedTime; the endTime setter; a redirect ends one NetworkRequest and starts
  the next under the same requestId);
- models/har/Log.ts: the entry of a NetworkRequest (`_initiator` with type, url, requestId,
  lineNumber and stack; `_priority`; `_resourceType`; `_connectionId`; `connection`, the
  remote port; `pageref`; buildTimings, whose `blocked` is negative when Chromium reports a
  request's start before its issue, as it does for preflights);
- models/har/Writer.ts: entries sorted by issueTime.

    har = build_har(events, pages)   # events: [(method, params), ...] of one page session
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

Params = dict[str, Any]

# Protocol resource types to DevTools' ResourceType names (common/ResourceType.ts).
RESOURCE_TYPES = {
    "Document": "document",
    "Stylesheet": "stylesheet",
    "Image": "image",
    "Media": "media",
    "Font": "font",
    "Script": "script",
    "TextTrack": "texttrack",
    "XHR": "xhr",
    "Fetch": "fetch",
    "Prefetch": "prefetch",
    "EventSource": "eventsource",
    "WebSocket": "websocket",
    "Manifest": "manifest",
    "SignedExchange": "signed-exchange",
    "Ping": "ping",
    "CSPViolationReport": "csp-violation-report",
    "Preflight": "preflight",
    "Other": "other",
}


def _iso(epoch: float) -> str:
    """JavaScript's Date.toJSON(): milliseconds, Z."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(seconds: float) -> float:
    return -1 if seconds == -1 else seconds * 1000


def _name_values(headers: dict[str, str]) -> list[dict[str, str]]:
    """The protocol joins repeated header lines with newlines; DevTools splits them."""
    return [
        {"name": name, "value": line}
        for name, value in headers.items()
        for line in str(value).split("\n")
    ]


def _parameters(query: str) -> list[dict[str, str]]:
    """NetworkRequest.parseParameters: split on & and the first =, nothing decoded."""
    out = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        out.append({"name": name, "value": value if eq else ""})
    return out


@dataclass
class Request:
    """One NetworkRequest: a request, or one hop of a redirect chain."""

    request_id: str
    sent: Params  # its requestWillBeSent
    page: str | None
    issue_time: float
    wall_time: float
    start_time: float
    headers: list[dict[str, str]]
    resource_type: str
    cookies: list[dict[str, Any]] = field(default_factory=list)
    response: Params | None = None
    status: int = 0
    status_text: str = ""
    response_headers: list[dict[str, str]] = field(default_factory=list)
    response_headers_text: str = ""
    request_headers_text: str = ""
    mime_type: str = ""
    timing: Params | None = None
    response_received_time: float = -1
    end_time: float = -1
    transfer_size: int = 0
    resource_size: int = 0
    error: str | None = None
    cors_error: Params | None = None
    finished: bool = False
    remote_address: str = ""
    connection_id: str = "0"
    protocol: str = ""
    redirect_source: Request | None = None
    extra_applied: bool = False

    def set_timing(self, timing: Params) -> None:
        """The `timing` setter: startTime and responseReceivedTime from the timing data."""
        self.start_time = timing["requestTime"]
        headers_received = timing["requestTime"] + timing["receiveHeadersEnd"] / 1000.0
        if self.response_received_time < 0 or self.response_received_time > headers_received:
            self.response_received_time = headers_received
        if self.start_time > self.response_received_time:
            self.response_received_time = self.start_time
        self.timing = timing

    def set_end_time(self, x: float) -> None:
        """The `endTime` setter."""
        if self.timing and self.timing.get("requestTime"):
            self.end_time = max(x, self.response_received_time)
        else:
            self.end_time = x
            if self.response_received_time > x:
                self.response_received_time = x

    def take_response(self, response: Params, time: float | None, resource_type: str) -> None:
        """NetworkManager.responseReceived / updateNetworkRequestWithResponse."""
        if time is not None:
            self.response_received_time = time
        self.resource_type = RESOURCE_TYPES.get(resource_type, self.resource_type)
        self.response = response
        if not self.response_headers:  # the ExtraInfo headers win when they came first
            self.response_headers = _name_values(response.get("headers") or {})
        if not self.status:
            self.status = response.get("status", 0)
        self.status_text = response.get("statusText", "")
        self.mime_type = response.get("mimeType", "")
        self.protocol = response.get("protocol", "")
        ip = response.get("remoteIPAddress")
        if ip:
            self.remote_address = f"{ip}:{response.get('remotePort', 0)}"
        self.connection_id = str(response.get("connectionId", "0"))
        if response.get("timing"):
            self.set_timing(response["timing"])

    def take_extra_response(self, p: Params) -> None:
        """NetworkRequest.addExtraResponseInfo."""
        self.response_headers = _name_values(p.get("headers") or {})
        text = p.get("headersText")
        if text:
            self.response_headers_text = text
            if not self.request_headers_text:
                url = self.sent["request"]["url"]
                path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "/" in url else "/"
                lines = f"{self.sent['request']['method']} {path.split('#', 1)[0]} HTTP/1.1\r\n"
                for h in self.headers:
                    lines += f"{h['name']}: {h['value']}\r\n"
                self.request_headers_text = lines
            first = text.split("\r\n", 1)[0]
            self.status_text = first.split(" ", 2)[2] if first.count(" ") >= 2 else ""
        if p.get("statusCode"):
            self.status = p["statusCode"]

    def take_extra_request(self, p: Params) -> None:
        """NetworkRequest.addExtraRequestInfo."""
        self.headers = _name_values(p.get("headers") or {})
        self.cookies = [
            c["cookie"] for c in p.get("associatedCookies", ()) if not c.get("blockedReasons")
        ]
        timing = p.get("connectTiming")
        if timing and timing.get("requestTime"):
            self.start_time = timing["requestTime"]

    # -- Log.ts ---------------------------------------------------------------------------

    def timings(self) -> dict[str, float]:
        timing = self.timing
        issue = self.issue_time
        start = self.start_time
        result: dict[str, float] = {
            "blocked": -1,
            "dns": -1,
            "ssl": -1,
            "connect": -1,
            "send": 0,
            "wait": 0,
            "receive": 0,
            "_blocked_queueing": -1,
        }
        queued = start - issue if issue < start else -1
        result["blocked"] = _ms(queued)
        result["_blocked_queueing"] = _ms(queued)
        highest = 0.0
        if timing:
            starts = [t for t in (timing["dnsStart"], timing["connectStart"], timing["sendStart"])]
            non_negative = [t for t in starts if t >= 0]
            blocked_start = min(non_negative) if non_negative else float("inf")
            if blocked_start != float("inf"):
                result["blocked"] += blocked_start
            if timing.get("proxyEnd", -1) != -1:
                result["_blocked_proxy"] = timing["proxyEnd"] - timing["proxyStart"]
                if result["_blocked_proxy"] > result["blocked"]:
                    result["blocked"] = result["_blocked_proxy"]
            dns_start = blocked_start if timing["dnsEnd"] >= 0 else 0
            dns_end = timing["dnsEnd"] if timing["dnsEnd"] >= 0 else -1
            result["dns"] = dns_end - dns_start
            ssl_start = timing["sslStart"] if timing["sslEnd"] > 0 else 0
            ssl_end = timing["sslEnd"] if timing["sslEnd"] > 0 else -1
            result["ssl"] = ssl_end - ssl_start
            connect_from = [t for t in (dns_end, blocked_start) if t >= 0]
            connect_start = (
                (min(connect_from) if connect_from else float("inf"))
                if timing["connectEnd"] >= 0
                else 0
            )
            connect_end = timing["connectEnd"] if timing["connectEnd"] >= 0 else -1
            result["connect"] = connect_end - connect_start
            send_start = max(connect_end, dns_end, blocked_start) if timing["sendEnd"] >= 0 else 0
            send_end = timing["sendEnd"] if timing["sendEnd"] >= 0 else 0
            result["send"] = max(send_end - send_start, 0)
            highest = max(send_end, connect_end, ssl_end, dns_end, blocked_start, 0)
            for key, name in (
                ("workerStart", "_workerStart"),
                ("workerReady", "_workerReady"),
                ("workerFetchStart", "_workerFetchStart"),
                ("workerRespondWithSettled", "_workerRespondWithSettled"),
            ):
                if key in timing:
                    result[name] = timing[key]
        elif self.response_received_time == -1:
            result["blocked"] = _ms(self.end_time - issue)
            return result
        request_time = timing["requestTime"] if timing else start
        wait_end = _ms(self.response_received_time - request_time)
        result["wait"] = wait_end - highest
        receive_end = _ms(self.end_time - request_time)
        result["receive"] = max(receive_end - wait_end, 0)
        return result

    def entry(self) -> dict[str, Any]:
        sent = self.sent
        req = sent["request"]
        timings = self.timings()
        time = sum(
            max(timings[k], 0) for k in ("blocked", "dns", "connect", "send", "wait", "receive")
        )
        initiator = sent.get("initiator") or {}
        exported: dict[str, Any] = {"type": initiator.get("type", "other")}
        for key in ("url", "requestId", "lineNumber", "stack"):
            if key in initiator:
                exported[key] = initiator[key]
        address, _, port = self.remote_address.rpartition(":")
        url = req["url"].split("#", 1)[0]
        query = url.split("?", 1)[1] if "?" in url else ""
        request: dict[str, Any] = {
            "method": req["method"],
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": self.headers,
            "queryString": _parameters(query) if query else [],
            "cookies": [_cookie(c) for c in self.cookies],
            "headersSize": len(self.request_headers_text) if self.request_headers_text else -1,
            "bodySize": len(req["postData"].encode()) if req.get("postData") else 0,
        }
        if req.get("postData"):
            content_type = next(
                (h["value"] for h in self.headers if h["name"].lower() == "content-type"), ""
            )
            post: dict[str, Any] = {"mimeType": content_type, "text": req["postData"]}
            if content_type.startswith("application/x-www-form-urlencoded"):
                post["params"] = _parameters(req["postData"])
            request["postData"] = post
        location = next(
            (h["value"] for h in self.response_headers if h["name"].lower() == "location"), ""
        )
        headers_text = self.response_headers_text
        response = {
            "status": self.status,
            "statusText": self.status_text,
            "httpVersion": headers_text.split(" ", 1)[0] if headers_text else "",
            "headers": self.response_headers,
            "cookies": _set_cookies(self.response_headers),
            "content": {"size": self.resource_size, "mimeType": self.mime_type or "x-unknown"},
            "redirectURL": location,
            "headersSize": len(headers_text) if headers_text else -1,
            "bodySize": self.transfer_size - len(headers_text) if headers_text else -1,
            "_transferSize": self.transfer_size,
            "_error": self.error,
            "_fetchedViaServiceWorker": False,
        }
        entry: dict[str, Any] = {
            "_initiator": exported,
            "_priority": req.get("initialPriority", "High"),
            "_resourceType": self.resource_type,
            "cache": {},
            "connection": port or None,
            "pageref": self.page,
            "request": request,
            "response": response,
            "serverIPAddress": address,
            "startedDateTime": _iso(self.wall_time),
            "time": time,
            "timings": timings,
        }
        if self.connection_id != "0":
            entry = {"_connectionId": self.connection_id, **entry}
        if entry["connection"] is None:
            del entry["connection"]
        if self.page is None:
            del entry["pageref"]
        return entry


def _cookie(c: Params) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": c["name"],
        "value": c["value"],
        "path": c.get("path", ""),
        "domain": c.get("domain", ""),
        "expires": _iso(c["expires"]) if c.get("expires", -1) > 0 else None,
        "httpOnly": bool(c.get("httpOnly")),
        "secure": bool(c.get("secure")),
    }
    if c.get("sameSite"):
        out["sameSite"] = c["sameSite"]
    return out


def _set_cookies(headers: list[dict[str, str]]) -> list[dict[str, Any]]:
    """response.cookies: the Set-Cookie lines, parsed (CookieParser)."""
    out = []
    for h in headers:
        if h["name"].lower() != "set-cookie":
            continue
        first, *attributes = h["value"].split(";")
        name, _, value = first.strip().partition("=")
        attrs = {}
        for a in attributes:
            key, _, val = a.strip().partition("=")
            attrs[key.lower()] = val
        cookie: dict[str, Any] = {
            "name": name,
            "value": value,
            "path": attrs.get("path", ""),
            "domain": attrs.get("domain", ""),
            "expires": None,
            "httpOnly": "httponly" in attrs,
            "secure": "secure" in attrs,
        }
        if "samesite" in attrs:
            cookie["sameSite"] = attrs["samesite"]
        out.append(cookie)
    return out


@dataclass
class Page:
    id: str
    url: str
    wall_time: float
    start: float
    content_load: float = -1
    load: float = -1

    def har(self) -> dict[str, Any]:
        def since(t: float) -> float:
            return -1 if t == -1 else (t - self.start) * 1000

        return {
            "startedDateTime": _iso(self.wall_time),
            "id": self.id,
            "title": self.url,
            "pageTimings": {"onContentLoad": since(self.content_load), "onLoad": since(self.load)},
        }


class HarBuilder:
    """Feed (method, params) of the Network and Page domains in arrival order, across any
    number of page loads; `har()` gives the log."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.active: dict[str, Request] = {}
        self.extra_request: dict[str, list[Params]] = {}
        self.extra_response: dict[str, list[Params]] = {}
        self.pages: list[Page] = []

    @property
    def page(self) -> Page | None:
        return self.pages[-1] if self.pages else None

    def feed(self, method: str, p: Params) -> None:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is not None:
            handler(p)

    def _Network_requestWillBeSent(self, p: Params) -> None:
        rid = p["requestId"]
        prev = self.active.get(rid)
        if prev is not None and p.get("redirectResponse"):
            prev.take_response(p["redirectResponse"], None, "")
            self._extra(prev)
            prev.set_end_time(p["timestamp"])
            prev.finished = True
        if p.get("type") == "Document" and rid == p.get("loaderId") and prev is None:
            self.pages.append(
                Page(
                    f"page_{len(self.pages) + 1}",
                    p["request"]["url"],
                    p["wallTime"],
                    p["timestamp"],
                )
            )
        initiator = p.get("initiator") or {}
        kind = "preflight" if initiator.get("type") == "preflight" else None
        req = Request(
            request_id=rid,
            sent=p,
            page=self.page.id if self.page is not None else None,
            issue_time=p["timestamp"],
            wall_time=p["wallTime"],
            start_time=p["timestamp"],
            headers=_name_values(p["request"].get("headers") or {}),
            resource_type=kind or RESOURCE_TYPES.get(p.get("type", "Other"), "other"),
            redirect_source=prev if p.get("redirectResponse") else None,
        )
        self.active[rid] = req
        self.requests.append(req)
        self._extra(req)

    def _extra(self, req: Request) -> None:
        """Apply the ExtraInfo events that arrived for this hop (they come in hop order)."""
        if req.extra_applied:
            return
        pending = self.extra_request.get(req.request_id)
        if pending:
            req.take_extra_request(pending.pop(0))
            req.extra_applied = True

    def _Network_requestWillBeSentExtraInfo(self, p: Params) -> None:
        rid = p["requestId"]
        self.extra_request.setdefault(rid, []).append(p)
        req = self.active.get(rid)
        if req is not None:
            self._extra(req)

    def _Network_responseReceivedExtraInfo(self, p: Params) -> None:
        rid = p["requestId"]
        req = self.active.get(rid)
        if req is not None and not req.response_headers_text:
            req.take_extra_response(p)
        else:
            self.extra_response.setdefault(rid, []).append(p)

    def _Network_responseReceived(self, p: Params) -> None:
        req = self.active.get(p["requestId"])
        if req is None:
            return
        pending = self.extra_response.get(req.request_id)
        if pending and not req.response_headers_text:
            req.take_extra_response(pending.pop(0))
        req.take_response(p["response"], p["timestamp"], p.get("type", ""))

    def _Network_dataReceived(self, p: Params) -> None:
        req = self.active.get(p["requestId"])
        if req is not None:
            req.resource_size += p.get("dataLength", 0)

    def _Network_loadingFinished(self, p: Params) -> None:
        req = self.active.get(p["requestId"])
        if req is not None:
            req.set_end_time(p["timestamp"])
            req.transfer_size = int(p.get("encodedDataLength", 0))
            req.finished = True

    def _Network_loadingFailed(self, p: Params) -> None:
        req = self.active.get(p["requestId"])
        if req is None:
            return
        pending = self.extra_response.get(req.request_id)
        if pending and not req.response_headers_text:
            req.take_extra_response(pending.pop(0))
        req.set_end_time(p["timestamp"])
        req.error = p.get("errorText")
        req.cors_error = p.get("corsErrorStatus")
        if p.get("type"):
            req.resource_type = (
                req.resource_type
                if req.resource_type == "preflight"
                else RESOURCE_TYPES.get(p["type"], req.resource_type)
            )
        req.finished = True

    def _Page_domContentEventFired(self, p: Params) -> None:
        if self.page is not None:
            self.page.content_load = p["timestamp"]

    def _Page_loadEventFired(self, p: Params) -> None:
        if self.page is not None:
            self.page.load = p["timestamp"]

    def ordered(self) -> list[Request]:
        """Writer.ts: by issueTime."""
        return sorted(self.requests, key=lambda r: r.issue_time)

    def har(self, version: str = "537.36") -> dict[str, Any]:
        for page in self.pages:  # PageLoad's startTime: its main request's
            main = next((r for r in self.requests if r.page == page.id), None)
            if main is not None:
                page.start = main.start_time
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "WebInspector", "version": version},
                "pages": [page.har() for page in self.pages],
                "entries": [r.entry() for r in self.ordered()],
            }
        }


def build_har(events: list[tuple[str, Params]], version: str = "537.36") -> dict[str, Any]:
    builder = HarBuilder()
    for method, params in events:
        builder.feed(method, params)
    return builder.har(version)
