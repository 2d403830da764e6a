"""Captured exchanges through the Inspector, in the order and with the calls the live addon
makes for each flow, so pairing, the preflight cache model and orphans come out as the proxy
would have logged them. With a RuleSet, each flow is treated as the live proxy treats a live
one (answer, then rewrite), which is what a dry run of the rules needs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from collections.abc import Iterator

from mitmproxy import connection
from mitmproxy import http

from ..engine.warnings import warning
from ..events import Event
from ..pairing import DEFAULT_WINDOW
from ..pipeline import Changes
from ..pipeline import FlowState
from ..pipeline import Inspector
from ..rules import Rule
from ..rules import RuleSet
from ..wire import mitm_headers
from .exchange import Exchange

# A preflight failed: the browser never sends its actual request, but Chrome's HAR lists
# it (status 0). Such an entry within this many seconds of the failure is skipped.
UNSENT_SLACK = 10.0
_MAX_FAILED = 1024

# What the reader had to assume about an entry (Exchange.note), as the warning it gets.
_NOTES = {"unanswered": "capture-no-response", "status-missing": "capture-status-missing"}

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
        self.unsent = 0  # actual requests skipped: never sent, their preflight failed
        self._failed: OrderedDict[tuple[str, str, str, str], float] = OrderedDict()
        self._needs_flow = rules is not None and any(r.filter is not None for r in rules.rules)

    def run(self, exchanges: Iterable[Exchange]) -> Iterator[Emitted]:
        for ex in exchanges:
            yield from self.feed(ex)
        yield from self.finish()

    def feed(self, ex: Exchange) -> list[Emitted]:
        out: list[Emitted] = []
        if ex.status is None and self._never_sent(ex):
            self.unsent += 1
            return out
        inspector = self.inspector
        state = inspector.begin(ex.wire, client=ex.client, time=ex.time, host=ex.host, port=ex.port)
        if state is None:
            return out
        out.extend((event, None) for _, event in inspector.orphans(ex.time))
        rule = self._rule(ex, state)
        resp = ex.wire_response
        error = ex.error
        if rule is not None:
            answer = inspector.answer(state, rule)
            if answer is not None:
                resp, error = answer, None
        if resp is None and error is None:
            return out  # an incomplete flow: begun, never finished, as in the proxy
        changes: Changes | None = None
        upstream = None
        if resp is not None and rule is not None:
            resp, changes, upstream = inspector.rewrite(state, rule, resp)
        event = inspector.finish(
            state,
            ex.flow,
            resp,
            error_text=error if resp is None else None,
            ms=ex.ms,
            changes=changes,
            upstream=upstream,
        )
        if ex.note in _NOTES:
            note = warning(_NOTES[ex.note], error=ex.error)
            event["warnings"].append(note.to_json())
        if state.c.is_preflight and event["verdict"] == "blocked":
            self._remember_failure(state, ex.time)
        out.append((event, ex))
        return out

    def finish(self) -> list[Emitted]:
        """The end of the capture: every preflight still waiting is an orphan."""
        return [(event, None) for _, event in self.inspector.flush()]

    # -- helpers ---------------------------------------------------------------------------

    def _rule(self, ex: Exchange, state: FlowState) -> Rule | None:
        if self.rules is None or not state.c.cors:
            return None
        flow = _synthetic_flow(ex) if self._needs_flow else None
        return self.rules.match(state.facts(), flow)

    def _remember_failure(self, state: FlowState, time: float) -> None:
        key = state.key
        self._failed[key] = time
        self._failed.move_to_end(key)
        while len(self._failed) > _MAX_FAILED:
            self._failed.popitem(last=False)

    def _never_sent(self, ex: Exchange) -> bool:
        """An entry without a response whose preflight failed just before: the browser
        never sent it (Chrome's HAR lists it all the same)."""
        origin = ex.request.get("origin")
        if origin is None:
            return False
        failed = self._failed.get((ex.client, origin, ex.url, ex.method))
        return failed is not None and 0 <= ex.time - failed <= UNSENT_SLACK


def _synthetic_flow(ex: Exchange) -> http.HTTPFlow:
    """A mitmproxy flow with the exchange's wire facts, for rules with a `filter`."""
    client = connection.Client(
        peername=(ex.client or "127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=ex.time
    )
    server = connection.Server(address=(ex.host, ex.port))
    flow = http.HTTPFlow(client, server)
    flow.request = http.Request.make(ex.method, ex.url, b"", mitm_headers(ex.request))
    flow.request.timestamp_start = ex.time
    resp = ex.wire_response
    if resp is not None:
        flow.response = http.Response.make(resp.status, b"", mitm_headers(resp.headers))
    flow.live = False
    return flow
