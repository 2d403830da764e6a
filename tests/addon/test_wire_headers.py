"""One encoder from engine header text back to mitmproxy's bytes (wire.mitm_headers), used
by the addon's answers and rewrites and by the analyzer's synthetic flows: undecodable bytes
go back as they came, any other lone surrogate becomes U+FFFD, the same way everywhere."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http

from cors_addon.addon import CorsAddon
from cors_addon.analyze.exchange import Exchange
from cors_addon.analyze.replay import _synthetic_flow
from cors_addon.engine import Headers
from cors_addon.rules import Rewrite
from cors_addon.rules import apply_rewrite
from cors_addon.wire import header_bytes
from cors_addon.wire import mitm_headers
from cors_addon.wire import rewritten_fields

raw = st.binary(max_size=40)


@given(st.lists(st.tuples(raw.filter(bool), raw), max_size=6))
def test_bytes_read_from_the_wire_go_back_unchanged(fields: list[tuple[bytes, bytes]]) -> None:
    engine = Headers.from_bytes(fields)
    assert mitm_headers(engine).fields == tuple(fields)


def test_lone_surrogates() -> None:
    assert header_bytes("a\udcffb") == b"a\xffb"  # a byte that was not UTF-8
    assert header_bytes("\udc80") == b"\x80"
    assert header_bytes("x\ud800y") == b"x\xef\xbf\xbdy"  # JSON text "\ud800": U+FFFD
    assert header_bytes("\udfff\udc7f") == "\ufffd\ufffd".encode()
    assert header_bytes("é") == "é".encode()


def test_addon_and_analyzer_encode_alike() -> None:
    """The analyzer's synthetic flow (for rules with a filter) and the addon's write-back of
    a rule's rewrite give the same bytes for the same text."""
    fields = (("X-\ud800", "v\udcfe\ud83d"), ("Origin", "http://a.test"))
    ex = Exchange(
        flow="f",
        time=0.0,
        method="GET",
        url="http://b.test/",
        request=Headers(fields),
        status=200,
        response=Headers(fields),
        host="b.test",
        port=80,
    )
    flow = _synthetic_flow(ex)
    out = http.Response.make(200)
    # a rewrite that drops the response's one field and sets these
    CorsAddon._write_back(out, Rewrite(None, fields, ("content-length",)))
    mine = out.headers.fields
    assert flow.request.headers.fields[:2] == flow.response.headers.fields[:2] == mine
    assert out.headers.fields[0] == (b"X-\xef\xbf\xbd", b"v\xfe\xef\xbf\xbd")


# Names a rewrite and a response may share, in any case, some not ASCII (the Kelvin sign
# lower-cases to an ASCII "k" as text, not as bytes), with values of any bytes.
_names = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "Vary",
        "VARY",
        "X-Request-Id",
        "X-\u212aey",
        "x-key",
        "Content-Length",
        "\u00c9tag",
    ]
)
_text = st.text(max_size=12)


@given(
    st.lists(st.tuples(_names.map(header_bytes), raw), max_size=8),
    st.lists(st.tuples(_names, _text), max_size=4),
    st.lists(_names.map(str.lower), max_size=3),
    st.sampled_from([None, 204]),
)
def test_a_rewrite_on_raw_fields_writes_what_the_decoded_one_would(
    fields: list[tuple[bytes, bytes]],
    set_fields: list[tuple[str, str]],
    removed: list[str],
    status: int | None,
) -> None:
    """The addon applies a rule's rewrite to the raw fields (wire.rewritten_fields): the same
    bytes as decoding every field, rewriting the text and encoding it back."""
    rewrite = Rewrite(status, tuple(set_fields), tuple(removed))
    want = mitm_headers(Headers(apply_rewrite(Headers.from_bytes(fields).fields, rewrite)))
    assert rewritten_fields(tuple(fields), rewrite) == want.fields
    out, old_way = http.Response.make(200, b"body"), http.Response.make(200, b"body")
    out.headers, old_way.headers = http.Headers(fields), http.Headers(fields)
    assert CorsAddon._write_back(out, rewrite) is (status == 204)
    if status == 204:
        old_way.content = b""  # as _write_back does first (mitmproxy adjusts Content-Length)
    old_fields = Headers.from_bytes(old_way.headers.fields).fields
    assert out.headers.fields == mitm_headers(Headers(apply_rewrite(old_fields, rewrite))).fields
