"""mitmproxy flows to engine wire facts and back: the only place that converts between
mitmproxy's HTTP types and the engine's."""

from __future__ import annotations

import codecs

from mitmproxy import http
from mitmproxy.proxy.mode_specs import ReverseMode

from .engine import Headers
from .engine import WireRequest
from .engine import WireResponse
from .engine.decision_fields import request_decision_fields
from .engine.decision_fields import response_decision_fields
from .engine.memo import Memo
from .pipeline import Seen
from .rules import Rewrite
from .rules import apply_rewrite


def browser_url(flow: http.HTTPFlow, keep_host_header: bool = False) -> str:
    """The URL as the browser requested it. In reverse mode that is the proxy's own address
    (mitmproxy rewrites Host to the upstream unless keep_host_header is set)."""
    req = flow.request
    if isinstance(flow.client_conn.proxy_mode, ReverseMode):
        scheme = "https" if flow.client_conn.tls_established else "http"
        authority = req.host_header if keep_host_header else None
        if not authority:
            sockname = flow.client_conn.sockname
            host = sockname[0] if sockname else req.host
            port = sockname[1] if sockname else req.port
            host = f"[{host}]" if ":" in host else host
            default = 443 if scheme == "https" else 80
            authority = host if port == default else f"{host}:{port}"
        return f"{scheme}://{authority}{req.path}"
    return req.url


_decoded = Memo()


def decoded(fields: tuple[tuple[bytes, bytes], ...]) -> Headers:
    """mitmproxy's raw header fields as engine Headers, decoded once per distinct field set
    (browsers send the same ones over and over; the engine's memo tables then find the same
    strings, whose hashes Python keeps)."""
    headers = _decoded.get(fields)
    if headers is None:
        headers = _decoded.put(fields, Headers.from_bytes(fields))
    return headers


def request_headers(req: http.Request, whole: bool = True) -> Headers:
    """The request's fields as engine Headers: all of them, or (not `whole`) as the
    decisions see them (engine.decision_fields: the values no decision reads left out)."""
    fields = req.headers.fields
    return decoded(fields if whole else request_decision_fields(fields))


def wire_request(
    flow: http.HTTPFlow, keep_host_header: bool = False, headers: Headers | None = None
) -> WireRequest:
    """The request as sent (`headers`: its fields decoded already). The method keeps its
    case: `Request.method` upper-cases it, but a browser sends fetch(method: 'patch') as
    'patch' and its preflight announces 'patch'."""
    req = flow.request
    method = req.data.method.decode("utf-8", "surrogateescape")
    if headers is None:
        headers = request_headers(req)
    return WireRequest(method, browser_url(flow, keep_host_header), headers)


def seen(
    flow: http.HTTPFlow, keep_host_header: bool = False, headers: Headers | None = None
) -> Seen:
    """The request side of a mitmproxy flow, for the per-flow sequence (pipeline)."""
    req = flow.request
    return Seen(
        wire_request(flow, keep_host_header, headers),
        req.timestamp_start,
        client_id(flow),
        req.host.lower(),
        req.port,
    )


def wire_response(resp: http.Response, whole: bool = True) -> WireResponse:
    """The response with all of its fields, or (not `whole`) as the decisions see it."""
    fields = resp.headers.fields
    if not whole:
        fields = response_decision_fields(fields)
    return WireResponse(resp.status_code, decoded(fields))


_REPLACEMENT = "\ufffd".encode()


def _header_surrogates(e: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler for header text: a surrogate U+DC80..U+DCFF is the byte that
    Headers.from_bytes could not decode (surrogateescape) and goes back as that byte; any
    other lone surrogate (text from a HAR's JSON may hold one) becomes U+FFFD."""
    assert isinstance(e, UnicodeEncodeError)
    out = b"".join(
        bytes((ord(c) - 0xDC00,)) if 0xDC80 <= ord(c) <= 0xDCFF else _REPLACEMENT
        for c in e.object[e.start : e.end]
    )
    return out, e.end


codecs.register_error("cors_addon.header", _header_surrogates)


def header_bytes(text: str) -> bytes:
    """Header text (a name or a value) as the bytes it stands for."""
    return text.encode("utf-8", "cors_addon.header")


def mitm_headers(headers: Headers) -> http.Headers:
    """Engine headers as mitmproxy's, which hold bytes: the one encoder of header text."""
    return http.Headers([(header_bytes(n), header_bytes(v)) for n, v in headers.fields])


RawFields = tuple[tuple[bytes, bytes], ...]
# A rewrite encoded: its set fields by lower-case name, and every name it replaces or removes.
_Encoded = tuple[dict[bytes, tuple[bytes, bytes]], frozenset[bytes]]
_encoded_rewrites: dict[int, tuple[Rewrite, _Encoded]] = {}  # id -> (the rewrite, encoded)


def _encoded(rewrite: Rewrite) -> _Encoded:
    """The rewrite encoded, once per rewrite (memoized decisions hand out the same one)."""
    hit = _encoded_rewrites.get(id(rewrite))
    if hit is not None and hit[0] is rewrite:
        return hit[1]
    pending = {header_bytes(n.lower()): (header_bytes(n), header_bytes(v)) for n, v in rewrite.set}
    encoded = pending, frozenset({*pending, *(header_bytes(n) for n in rewrite.removed)})
    if len(_encoded_rewrites) >= 1024:
        _encoded_rewrites.clear()
    _encoded_rewrites[id(rewrite)] = (rewrite, encoded)  # holds it: its id is not reused
    return encoded


def rewritten_fields(fields: RawFields, rewrite: Rewrite) -> RawFields:
    """mitmproxy's raw fields after a rule's rewrite: what `mitm_headers(apply_rewrite(...))`
    makes of their decoded text, without decoding the fields the rewrite leaves alone (a
    response's date and ids are its own: decoding them would be new work every time). An
    ASCII name lower-cases alike as bytes and as text; any other name takes that way."""
    pending_names, replaced = _encoded(rewrite)
    pending = dict(pending_names)
    out = []
    for name, value in fields:
        if not name.isascii():
            break
        n = name.lower()
        if n in pending:
            out.append(pending.pop(n))
        elif n not in replaced:
            out.append((name, value))
    else:
        out.extend(pending.values())
        return tuple(out)
    return mitm_headers(Headers(apply_rewrite(decoded(fields).fields, rewrite))).fields


def client_id(flow: http.HTTPFlow) -> str:
    """Which browser a flow came from, as far as the proxy can tell (its address)."""
    peer = flow.client_conn.peername
    return peer[0] if peer else ""
