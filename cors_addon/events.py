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
from typing import Any

from .engine import Classification
from .engine import CorsError
from .engine import CorsWarning
from .engine import Verdict
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
    primary engine's (`browser`)."""
    p = c.preflight
    warnings = verdict.warnings + extra_warnings if extra_warnings else verdict.warnings
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
            "reasons": [{"code": r.code, "detail": r.detail} for r in p.reasons],
            "method": p.method,
            "headers": list(p.headers),
            "flow": paired_flow,
            "cache": cache,
            "max_age": max_age,
        },
        "verdict": verdict.verdict,
        "error": verdict.error.to_json() if verdict.error is not None else None,
        "warnings": [w.to_json() for w in warnings],
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


# json.dumps would build an encoder per call; events are trees, no need to look for cycles.
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def dumps(event: Event) -> str:
    """One JSONL line (without the newline)."""
    return _ENCODER.encode(event)
