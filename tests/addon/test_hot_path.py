"""The hot path's shortcuts give exactly what the code they replace gave."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tutils

from cors_addon import events
from cors_addon.events import dumps
from cors_addon.events import encode_line
from cors_addon.events import iso_time
from cors_addon.events import shared
from cors_addon.wire import decoded


def _reference(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


EDGES = [
    0.0,
    1.0,
    0.0000005,  # half a microsecond: rounds half-even
    0.0000015,
    0.9999994,
    0.9999995,  # rounds up into the next second
    1_700_000_000.0005,
    1_700_000_000.9994999,
    1_700_000_000.9999996,
    1_767_225_599.9999999,  # a year's last instant
    -0.5,
    -1.0000005,
    253_402_300_799.999,  # 9999-12-31T23:59:59.999
]


@pytest.mark.parametrize("timestamp", EDGES)
def test_iso_time_is_datetimes_isoformat(timestamp: float) -> None:
    assert iso_time(timestamp) == _reference(timestamp)


def test_iso_time_on_many_times_in_any_order() -> None:
    rng = random.Random(6)
    times = []
    for _ in range(20_000):
        t = rng.uniform(0, 2e9)
        times += [t, math.floor(t) + rng.choice([0.9999995, 0.0005, 0.4995, 0.9995])]
        times.append(math.nextafter(t, math.inf))
    rng.shuffle(times)  # the per-second cache must not leak between seconds
    assert [iso_time(t) for t in times] == [_reference(t) for t in times]


def test_dumps_is_json_dumps_compact() -> None:
    event = {"a": [1, 2.5, None, True], "b": {"c": "é\udc80"}, "d": "x\ny"}
    assert dumps(event) == json.dumps(event, separators=(",", ":"))


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), _json, max_size=8), st.data())
def test_dumps_with_shared_parts_is_json_dumps(event: dict, data: st.DataObject) -> None:
    """Whatever parts are shared (their text kept once), the line is what json writes."""
    for value in event.values():
        if isinstance(value, dict | list) and data.draw(st.booleans()):
            shared(value)
    expected = json.dumps(event, separators=(",", ":"))
    assert dumps(event) == expected
    assert encode_line(event) == (expected + "\n").encode("ascii")


def test_a_shared_part_is_encoded_once_and_reused() -> None:
    views = shared({"chromium": {"verdict": "allowed", "error": None}})
    calls = []
    real = events._encode

    def counting(value: object) -> str:
        calls.append(value)
        return real(value)

    events._encode = counting
    try:
        line = dumps({"engines": views, "preflight": {"headers": ["x"], "flow": None}})
    finally:
        events._encode = real
    assert json.loads(line)["engines"] == views
    assert views not in calls  # its text came from the registry
    assert ["x"] in calls  # a part no decision shares is encoded each time


@pytest.mark.parametrize(
    "fields",
    [
        [],
        [(b"Origin", b"http://a.test")],
        [(b"ORIGIN", b"http://a.test"), (b"origin", b"http://b.test")],
        [(b"Origin", b"\xff\xfe"), (b"X-Origin", b"no")],
        [(b"Referer", b"http://a.test/p"), (b"Originator", b"no")],
    ],
)
def test_decoded_headers_read_as_mitmproxys_get(fields: list[tuple[bytes, bytes]]) -> None:
    """The addon reads Origin and Referer from the decoded (memoized) fields: the same
    value mitmproxy's own get gives, duplicates joined, undecodable bytes kept."""
    req = tutils.treq()
    req.headers = http.Headers(fields)
    for name in ("origin", "referer"):
        assert decoded(req.headers.fields).get(name) == req.headers.get(name)
