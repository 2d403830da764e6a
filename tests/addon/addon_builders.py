"""Browser-shaped flows and server responses, and a driver that runs a flow through the
addon's hooks in the order the proxy does (requestheaders, request, then the server's
response or an error)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy.test import tflow

T0 = 1_700_000_000.0  # flows carry their own times: pairing and orphans use them
APP = "http://app.test"
API = "http://api.test/v1/items"
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)

Fields = Iterable[tuple[str, str]] | Mapping[str, str]


def headers(fields: Fields = ()) -> http.Headers:
    items = fields.items() if isinstance(fields, Mapping) else fields
    return http.Headers([(n.encode(), v.encode("utf-8", "surrogateescape")) for n, v in items])


def sec_fetch(mode: str = "cors", site: str = "cross-site", dest: str = "empty") -> list:
    return [("Sec-Fetch-Mode", mode), ("Sec-Fetch-Site", site), ("Sec-Fetch-Dest", dest)]


def make_flow(
    method: str,
    url: str,
    fields: Fields = (),
    *,
    t: float = T0,
    content: bytes = b"",
    live: bool = True,
) -> http.HTTPFlow:
    req = http.Request.make(method, url, content, headers(fields))
    req.timestamp_start = req.timestamp_end = t
    return tflow.tflow(req=req, live=live)


def preflight(
    url: str = API,
    origin: str = APP,
    method: str = "PUT",
    acrh: str | None = "x-api-key",
    *,
    t: float = T0,
    extra: Fields = (),
    live: bool = True,
) -> http.HTTPFlow:
    """A Chromium preflight: OPTIONS with Origin, Access-Control-Request-Method/-Headers."""
    fields = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if acrh is not None:
        fields.append(("Access-Control-Request-Headers", acrh))
    fields += [("User-Agent", CHROME_UA), *sec_fetch(), *_items(extra)]
    return make_flow("OPTIONS", url, fields, t=t, live=live)


def fetch(
    method: str = "PUT",
    url: str = API,
    origin: str | None = APP,
    extra: Fields = (("X-Api-Key", "k"),),
    *,
    t: float = T0 + 0.05,
    mode: str = "cors",
    site: str = "cross-site",
    dest: str = "empty",
    cookie: str | None = None,
    content: bytes = b"",
    live: bool = True,
) -> http.HTTPFlow:
    """A fetch()/XHR (or, with mode/dest, any other kind of browser request)."""
    fields: list[tuple[str, str]] = []
    if origin is not None:
        fields.append(("Origin", origin))
    fields += [("User-Agent", CHROME_UA), *sec_fetch(mode, site, dest), *_items(extra)]
    if cookie is not None:
        fields.append(("Cookie", cookie))
    return make_flow(method, url, fields, t=t, content=content, live=live)


def response(
    status: int = 200, fields: Fields = (), content: bytes = b"", *, t: float | None = None
) -> http.Response:
    resp = http.Response.make(status, content, headers(fields))
    # without a time, exchange() puts it just after the request
    resp.timestamp_start = resp.timestamp_end = t or 0.0
    return resp


def grant(
    origin: str = APP,
    methods: str | None = "PUT",
    allow_headers: str | None = "x-api-key",
    *,
    max_age: int | None = None,
    credentials: bool = False,
) -> list[tuple[str, str]]:
    """The CORS headers of a passing preflight response."""
    fields = [("Access-Control-Allow-Origin", origin)]
    if methods is not None:
        fields.append(("Access-Control-Allow-Methods", methods))
    if allow_headers is not None:
        fields.append(("Access-Control-Allow-Headers", allow_headers))
    if max_age is not None:
        fields.append(("Access-Control-Max-Age", str(max_age)))
    if credentials:
        fields.append(("Access-Control-Allow-Credentials", "true"))
    return fields


def exchange(
    addon: object,
    f: http.HTTPFlow,
    server: http.Response | None = None,
    *,
    error: str | None = None,
    after: float = 0.01,
) -> bool:
    """Run `f` through the addon as the proxy would. `server` is what the server answers
    (if the addon did not answer first), `error` makes the flow fail instead. Returns
    whether the server was contacted."""
    if hasattr(addon, "requestheaders"):  # as mitmproxy: none while the addon batches
        addon.requestheaders(f)  # type: ignore[attr-defined]
    if hasattr(addon, "request"):  # as mitmproxy: the hook only with rules
        addon.request(f)  # type: ignore[attr-defined]
    contacted = False
    if f.response is None and f.error is None:
        contacted = True
        if error is not None:
            f.error = mflow.Error(error)
            addon.error(f)  # type: ignore[attr-defined]
            return contacted
        f.response = server if server is not None else response(200)
        if not f.response.timestamp_start:
            t = f.request.timestamp_start + after
            f.response.timestamp_start = f.response.timestamp_end = t
    addon.responseheaders(f)  # type: ignore[attr-defined]
    if hasattr(addon, "response"):  # as mitmproxy: the hook only with rules
        addon.response(f)  # type: ignore[attr-defined]
    return contacted


def _items(fields: Fields) -> list[tuple[str, str]]:
    return list(fields.items() if isinstance(fields, Mapping) else fields)


class FakeMaster:
    """Just what the addon looks at to decide whether comments, markers and results are
    read while flows pass: the addons by name, the options, a flow view."""

    def __init__(self, addons: dict[str, object], view: bool = False, **options: object) -> None:
        self.addons = addons
        self.options = type("Options", (), options)()
        if view:
            self.view = object()


def as_quiet_mitmdump(addon: Any) -> None:
    """Make the addon believe it runs in plain `mitmdump -q`: nothing reads flows as they
    pass (the next configure then turns batched analysis on)."""
    addon._master = FakeMaster({"dumper": object()})
    addon.annotate = False
    addon.line_level = logging.ERROR
