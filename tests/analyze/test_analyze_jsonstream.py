"""The streaming JSON reader: values split across any chunk boundary decode the same as
json.loads, errors are reported where they are, and nothing is read twice or kept."""

from __future__ import annotations

import io
import json

import pytest

from cors_addon.analyze.jsonstream import JsonStream
from cors_addon.analyze.jsonstream import JsonStreamError

DOC = {
    "log": {
        "version": "1.2",
        "creator": {"name": "x", "n": 12345, "f": -1.5e3, "t": True, "z": None},
        "pages": [{"id": "p\u00e9", "s": 'a \\" \u2603 \U0001f600 \n'}],
        "entries": [
            {"i": i, "s": "\u00fc" * i + '"\\', "nested": {"a": [1, [2, [3]]]}, "n": 10**i}
            for i in range(12)
        ],
    }
}


def walk(stream: JsonStream) -> tuple[list[object], dict[str, object]]:
    entries: list[object] = []
    other: dict[str, object] = {}
    for key in stream.members():
        assert key == "log"
        for name in stream.members():
            if name == "entries":
                entries.extend(stream.items())
            else:
                other[name] = stream.value()
    assert stream.peek() == ""
    return entries, other


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 1])
def test_any_chunk_size_decodes_like_json_loads(chunk: int, indent: int | None) -> None:
    data = ("\ufeff" + json.dumps(DOC, indent=indent, ensure_ascii=False)).encode()
    entries, other = walk(JsonStream(io.BytesIO(data), chunk=chunk))
    assert entries == DOC["log"]["entries"]
    assert other == {k: v for k, v in DOC["log"].items() if k != "entries"}


def test_empty_containers_and_whitespace() -> None:
    stream = JsonStream(io.BytesIO(b' \n{ "log" : { "entries" : [ ] } } \n'), chunk=2)
    assert walk(stream) == ([], {})


def test_numbers_cut_at_a_chunk_boundary_are_read_whole() -> None:
    stream = JsonStream(io.BytesIO(b"[1234567890123, 5, true, null]"), chunk=4)
    assert list(stream.items()) == [1234567890123, 5, True, None]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"log": {"entries": [{"a": 1,}]}}', "Expecting property name"),
        (b'{"log": {"entries": [{"a": 1} {"b": 2}]}}', "expected ',' or ']'"),
        (b'{"log": {"entries": [{"a": 1}', "expected ',' or ']', found the end"),
        (b'{"log": {"entries": [{"a": "unterminated', "Unterminated string"),
        (b'{"log": {"entries": [1, 2', "found the end of the file"),
        (b"[1, 2]", "expected '{', found '['"),
        (b"{log: 1}", "expected a property name"),
    ],
)
def test_errors_say_what_and_where(text: bytes, message: str) -> None:
    stream = JsonStream(io.BytesIO(text), chunk=3)
    with pytest.raises(JsonStreamError) as e:
        walk(stream)
    assert message in str(e.value)
    assert 0 <= e.value.offset <= len(text)


def test_a_syntax_error_early_in_a_large_file_does_not_read_the_rest() -> None:
    head = b'{"log": {"entries": [{"a": 1,, "b": 2}, '
    data = io.BytesIO(head + b'{"pad": "' + b"x" * (8 << 20) + b'"}]}}')
    stream = JsonStream(data, chunk=1024)
    with pytest.raises(JsonStreamError, match="Expecting property name"):
        walk(stream)
    assert data.tell() < 64 << 10


def test_invalid_utf8_is_an_error() -> None:
    stream = JsonStream(io.BytesIO(b'{"log": {"entries": ["\xff\xfe"]}}'))
    with pytest.raises(JsonStreamError, match="not UTF-8"):
        walk(stream)


def test_buffer_slides_instead_of_growing() -> None:
    """After many entries, the text kept is about one chunk, not the whole document."""
    entries = [{"i": i, "pad": "y" * 200} for i in range(5000)]
    data = json.dumps({"log": {"entries": entries}}).encode()
    stream = JsonStream(io.BytesIO(data), chunk=4096)
    seen = 0
    for key in stream.members():
        for name in stream.members():
            assert (key, name) == ("log", "entries")
            for entry in stream.items():
                seen += 1
                assert len(stream._buf) < 3 * 4096 + 512
                assert entry["i"] == seen - 1
    assert seen == 5000
