"""Captured exchanges through the per-flow sequence (pipeline.Inspector.run), the same steps
in the same order the live addon runs for each flow, so pairing, the preflight-cache model
and orphans come out as the proxy would have logged them. With a RuleSet, each flow is
treated as the live proxy treats a live one (answer, then rewrite), which is what a dry run
of the rules needs.

The adapter's own part: an actual request that the capture lists but the browser never sent
(its preflight failed, or passed only without the credentials it carried: Chrome lists it
with status 0 and net::ERR_FAILED) is skipped, as it never reached any proxy; its preflight,
if it passed, is an orphan at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator

from mitmproxy import connection
from mitmproxy import http

from ..events import Event
from ..pairing import DEFAULT_WINDOW
from ..pipeline import FlowState
from ..pipeline import Inspector
from ..pipeline import Matcher
from ..pipeline import Seen
from ..rules import Rule
from ..rules import RuleSet
from ..wire import mitm_headers
from .exchange import BLOCKED_BY_THE_BROWSER
from .exchange import Exchange

Emitted = tuple[Event, Exchange | None]  # the event, and the exchange it is about (not orphans)


class Replay:
    """Feed exchanges in wire order; each call returns the events the proxy would log."""

    def __init__(
        self,
        browser: str = "auto",
        rules: RuleSet | None = None,
        window: float = DEFAULT_WINDOW,
    ) -> None:
        self.inspector = Inspector(browser, window)
        self.rules = rules
        self.unsent = 0  # actual requests skipped: listed, but never sent by the browser
        self._needs_flow = rules is not None and any(r.filter is not None for r in rules.rules)

    def run(self, exchanges: Iterable[Exchange]) -> Iterator[Emitted]:
        for ex in exchanges:
            yield from self.feed(ex)
        yield from self.finish()

    def feed(self, ex: Exchange) -> list[Emitted]:
        if "origin" not in ex.request:
            return []  # nothing to inspect, as in the proxy (which checks this first too)
        inspector = self.inspector
        recorded = ex.recorded
        if ex.status is None and recorded is not None and recorded.preflight is not None:
            pending = inspector.pairing.waiting(recorded.preflight)
            if pending is not None and (not pending.allowed or ex.error == BLOCKED_BY_THE_BROWSER):
                self.unsent += 1
                orphan = inspector.unsent(recorded.preflight, ex.error)
                return [(orphan[1], None)] if orphan is not None else []
        host, port = ex.target() if self.rules is not None else (ex.host, ex.port)
        seen = Seen(ex.wire, ex.time, ex.client, host, port, recorded)
        orphans, done = inspector.run(
            seen,
            ex.flow,
            ex.wire_response,
            match=self._matcher(ex),
            error_text=ex.error,
            ms=ex.ms,
        )
        out: list[Emitted] = [(event, None) for _, event in orphans]
        if done is not None:
            out.append((done.event, ex))
        return out

    def finish(self) -> list[Emitted]:
        """The end of the capture: every preflight still waiting is an orphan."""
        return [(event, None) for _, event in self.inspector.flush()]

    def _matcher(self, ex: Exchange) -> Matcher | None:
        rules = self.rules
        if rules is None:
            return None
        flow = _synthetic_flow(ex) if self._needs_flow else None

        def match(state: FlowState) -> Rule | None:
            return rules.match(state.facts(), flow)

        return match


def _synthetic_flow(ex: Exchange) -> http.HTTPFlow:
    """A mitmproxy flow with the exchange's wire facts, for rules with a `filter`."""
    client = connection.Client(
        peername=(ex.client or "127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=ex.time
    )
    server = connection.Server(address=ex.target())
    flow = http.HTTPFlow(client, server)
    flow.request = http.Request.make(ex.method, ex.url, b"", mitm_headers(ex.request))
    flow.request.timestamp_start = ex.time
    resp = ex.wire_response
    if resp is not None:
        flow.response = http.Response.make(resp.status, b"", mitm_headers(resp.headers))
    flow.live = False
    return flow
