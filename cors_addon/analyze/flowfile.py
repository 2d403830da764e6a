"""mitmproxy flow files to Exchanges, with the same wire facts the live addon takes from a
flow (cors_addon.wire), so a flow file replays exactly as the proxy saw it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from mitmproxy import http
from mitmproxy import io as mio

from ..wire import client_id
from ..wire import wire_request
from ..wire import wire_response
from .exchange import Exchange


def exchanges(f: IO[bytes]) -> Iterator[Exchange]:
    """The HTTP flows of a flow file, in file order. Raises mitmproxy's FlowReadException."""
    for flow in mio.FlowReader(f).stream():
        if isinstance(flow, http.HTTPFlow):
            yield exchange(flow)


def exchange(flow: http.HTTPFlow) -> Exchange:
    req = flow.request
    wire = wire_request(flow)
    resp = wire_response(flow.response) if flow.response is not None else None
    ms = None
    if flow.response is not None and flow.response.timestamp_start and req.timestamp_start:
        ms = (flow.response.timestamp_start - req.timestamp_start) * 1000
    return Exchange(
        flow=flow.id,
        time=req.timestamp_start,
        method=wire.method,
        url=wire.url,
        request=wire.headers,
        status=resp.status if resp is not None else None,
        response=resp.headers if resp is not None else None,
        error=flow.error.msg if flow.error is not None else None,
        ms=ms,
        client=client_id(flow),
        host=req.host.lower(),
        port=req.port,
    )
