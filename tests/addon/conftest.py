from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pytest
from addon_builders import exchange
from mitmproxy import http
from mitmproxy.test import taddons

from cors_addon.addon import CorsAddon

Event = dict[str, Any]


@dataclass
class Cors:
    """The addon in a mitmproxy test context, with every event it emitted (each one
    already validated against the schema)."""

    addon: CorsAddon
    tctx: taddons.context
    events: list[Event] = field(default_factory=list)

    def configure(self, **options: Any) -> None:
        self.tctx.configure(self.addon, **options)

    def run(
        self, f: http.HTTPFlow, server: http.Response | None = None, *, error: str | None = None
    ) -> bool:
        """Send a flow through the hooks; True when the server was contacted."""
        return exchange(self.addon, f, server, error=error)

    def of(self, f: http.HTTPFlow) -> list[Event]:
        return [e for e in self.events if e["flow"] == f.id]

    def orphans(self) -> list[Event]:
        return [e for e in self.events if e["type"] == "orphan"]


@pytest.fixture
async def cors(
    validate_event: Callable[[Event], Event], caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Cors]:
    """A CorsAddon registered in taddons.context (inside the running loop, so mitmproxy 11
    leaks no event loop). Fails the test if a hook swallowed an internal error."""
    caplog.set_level(logging.INFO)
    addon = CorsAddon()
    state = None
    emit = addon._emit

    def checked_emit(event: Event, flow: http.HTTPFlow | None) -> None:
        assert state is not None
        state.events.append(validate_event(event))
        emit(event, flow)

    addon._emit = checked_emit  # type: ignore[method-assign]
    with taddons.context(addon) as tctx:
        state = Cors(addon, tctx)
        tctx.configure(addon)
        yield state
        addon.done()
    assert addon.internal_errors == 0, caplog.text
    assert "internal error" not in caplog.text
