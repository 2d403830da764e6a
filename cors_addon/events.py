"""The event: one schema (schema/event-v1.schema.json) from which every output renders.

Events are plain dicts of JSON types, so they can go into flow.metadata, JSONL lines and
reports unchanged.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from datetime import datetime
from importlib import resources
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from .engine import Classification
from .engine import CorsError
from .engine import CorsWarning
from .engine import Verdict
from .engine.memo import Memo
from .engine.warnings import warning

SCHEMA_VERSION = 1
Event = dict[str, Any]


def schema() -> dict[str, Any]:
    """The JSON Schema every event validates against."""
    text = resources.files("cors_addon").joinpath("schema/event-v1.schema.json").read_text()
    return json.loads(text)


_second: list[Any] = [None, ""]  # the last whole second formatted, and its text


def iso_time(timestamp: float) -> str:
    """`datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")`, with
    the date and time of day formatted once per second (events come many per second)."""
    # Split as datetime does: microseconds rounded half-even, carried into the seconds.
    frac, whole = math.modf(timestamp)
    micros = round(frac * 1e6)
    if micros >= 1_000_000:
        micros -= 1_000_000
        whole += 1.0
    elif micros < 0:
        micros += 1_000_000
        whole -= 1.0
    second = int(whole)
    if second != _second[0]:
        _second[1] = datetime.fromtimestamp(second, UTC).isoformat()[:19]
        _second[0] = second
    return f"{_second[1]}.{micros // 1000:03d}+00:00"


# json.dumps would build an encoder per call; events are trees, no need to look for cycles.
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)
_encode = _ENCODER.encode
_string = encode_basestring_ascii  # what the encoder writes for a str (ensure_ascii)

# Parts of events that many events share (a memoized decision's engine views, reasons,
# error), with their JSON: id -> (the object, its text). The entry holds the object, so its
# id cannot be reused while it is here. Shared parts are never changed after they are made.
_shared: dict[int, tuple[Any, str]] = {}
SHARED_LIMIT = 2048
_keys: dict[str, str] = {}  # a key -> '"key":'
_MAX = float("inf")


def shared(value: Any) -> Any:
    """Mark a JSON value (a dict or list) as shared by many events: its text is computed
    once, here, and reused for every event that holds this same object."""
    if len(_shared) >= SHARED_LIMIT:
        _shared.clear()
    _shared[id(value)] = (value, _encode(value))
    return value


def build_event(
    *,
    type: str,
    flow: str,
    time: float,
    method: str,
    url: str,
    c: Classification,
    status: int | None,
    verdict: Verdict,
    browser: str,
    paired_flow: str | None = None,
    cache: dict[str, Any] | None = None,
    max_age: int | None = None,
    extra_warnings: tuple[CorsWarning, ...] = (),
    rule: str | None = None,
    changes: dict[str, Any] | None = None,
    upstream: Verdict | None = None,
    ms: float | None = None,
    redirected_from: str | None = None,
    engines: dict[str, Any] | None = None,
) -> Event:
    """`engines`: each engine's view (engine/views.py); the top-level fields are the
    primary engine's (`browser`). The parts that come from memoized decisions (the
    preflight's reasons and headers, the error, the warnings) are built once per decision
    and shared by the events that repeat it (see `shared`)."""
    p = c.preflight
    reasons, headers = _part(p, _preflight_parts)
    (warnings,) = _part(verdict.warnings, _warnings_part)
    if extra_warnings:
        warnings = [*warnings, *(w.to_json() for w in extra_warnings)]
    error = verdict.error
    return {
        "v": SCHEMA_VERSION,
        "time": iso_time(time),
        "flow": flow,
        "type": type,
        "method": method,
        "url": url,
        "origin": c.origin if c.origin is not None else "null",
        "mode": c.mode,
        "credentials": c.credentials,
        "status": status,
        "preflight": {
            "needed": p.needed,
            "reasons": reasons,
            "method": p.method,
            "headers": headers,
            "flow": paired_flow,
            "cache": cache,
            "max_age": max_age,
        },
        "verdict": verdict.verdict,
        "error": _part(error, _error_part)[0] if error is not None else None,
        "warnings": warnings,
        "rule": rule,
        "changes": changes,
        "upstream": (
            {
                "verdict": upstream.verdict,
                "error": upstream.error.to_json() if upstream.error is not None else None,
            }
            if upstream is not None
            else None
        ),
        "browser": browser,
        "ms": None if ms is None else round(ms, 3),
        "redirected_from": redirected_from,
        "engines": engines,
    }


# A decision's object (a Preflight, an error, a warnings tuple: memoized decisions hand out
# the same object again and again) -> (the object, the JSON parts made from it), by the
# object's id; the parts are shared by every event that holds the object.
_parts = Memo(SHARED_LIMIT)


def _part(obj: Any, make: Any) -> Any:
    """`make(obj)`: a tuple of JSON parts, kept (and their text registered as shared) from
    the second event that holds the same object on (Memo's admission); an object only one
    event holds (a decision no memo table kept) costs no entry. The entry holds the object,
    so its id is not reused while the entry is there."""
    key = id(obj)
    hit = _parts.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    value = make(obj)
    if _parts.keeps(key):
        for part in value:
            shared(part)
        _parts.store(key, (obj, value))
    return value


def _preflight_parts(p: Any) -> tuple[list[dict[str, str]], list[str]]:
    return [{"code": r.code, "detail": r.detail} for r in p.reasons], list(p.headers)


def _warnings_part(warnings: tuple[CorsWarning, ...]) -> tuple[list[dict[str, str]]]:
    return ([w.to_json() for w in warnings],)


def _error_part(error: CorsError) -> tuple[dict[str, Any]]:
    return (error.to_json(),)


def orphan_event(
    preflight_event: Event,
    error: CorsError | None,
    window: float,
    unsent: str | None = None,
    engines: dict[str, Any] | None = None,
) -> Event:
    """The event for a preflight that no actual request followed (within `window`, or, as a
    capture shows, that the browser never sent: `unsent` is the capture's error for it).
    `engines`: each engine's view when `error` blocks it (else: unknown where allowed)."""
    event = dict(preflight_event)
    event["type"] = "orphan"
    event["preflight"] = dict(preflight_event["preflight"])
    if error is not None:
        event["verdict"] = "blocked"
        event["error"] = error.to_json()
        if engines is not None:
            event["engines"] = engines
    else:
        event["verdict"] = "unknown"
        event["error"] = None
        views = preflight_event.get("engines")
        if views is not None:
            event["engines"] = {
                name: {**v, "verdict": "unknown"} if v["verdict"] == "allowed" else v
                for name, v in views.items()
            }
    if unsent is None:
        variant = "credentials" if error is not None else None
    else:
        variant = "capture-credentials" if error is not None else "capture"
    note = warning("orphan-preflight", variant, window=window, error=unsent)
    event["warnings"] = [*preflight_event["warnings"], note.to_json()]
    return event


def _dict_text(d: dict[str, Any], nested: bool = True) -> str:
    """`_encode(d)`, with the text of shared values reused (and the same for the values of
    a nested dict, one level down)."""
    parts = []
    for key, value in d.items():
        prefix = _keys.get(key)
        if prefix is None:
            if type(key) is not str:
                return _encode(d)
            prefix = _keys[key] = _string(key) + ":"
        kind = type(value)
        if value is None:
            text = "null"
        elif kind is str:
            text = _string(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is int:
            text = int.__repr__(value)
        elif kind is float and -_MAX < value < _MAX:  # finite (NaN compares false)
            text = float.__repr__(value)
        else:
            hit = _shared.get(id(value))
            if hit is not None and hit[0] is value:
                text = hit[1]
            elif nested and kind is dict:
                text = _dict_text(value, False)
            else:
                text = _encode(value)
        parts.append(prefix + text)
    return "{" + ",".join(parts) + "}"


def dumps(event: Event) -> str:
    """One JSONL line (without the newline): what json.dumps(event, separators=(",", ":"))
    writes, with the parts events share encoded once."""
    if type(event) is not dict:
        return _encode(event)
    return _dict_text(event)


def encode_line(event: Event) -> bytes:
    """The event's JSONL line, newline included, as written to the log (ASCII: every
    non-ASCII character, a lone surrogate too, is escaped)."""
    return (_dict_text(event) + "\n").encode("ascii")
