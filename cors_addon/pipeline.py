"""The whole per-flow decision, independent of mitmproxy, shared by the live addon and the
offline analyzer: classify the request, pair it with its preflight, judge the response
(before and after a rule), and build the event.

    state = inspector.begin(wire, client=..., time=..., host=..., port=...)
    ... (a rule may rewrite the response) ...
    event = inspector.finish(state, flow_id, response)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .engine import BrowserProfile
from .engine import Classification
from .engine import CorsWarning
from .engine import Headers
from .engine import Preflight
from .engine import Reason
from .engine import Verdict
from .engine import WireRequest
from .engine import WireResponse
from .engine import classify
from .engine import is_redirect
from .engine import judge
from .engine import location_url
from .engine import profile_for
from .engine.warnings import warning
from .events import Event
from .events import build_event
from .events import orphan_event
from .pairing import DEFAULT_WINDOW
from .pairing import Pairing
from .pairing import Pending
from .rules import FlowFacts
from .rules import Rule
from .rules import answer_preflight
from .rules import apply_rewrite
from .rules import rewrite_response

Changes = dict[str, Any]


@dataclass(slots=True)
class FlowState:
    """What the request side learnt, for the response side of the same flow."""

    wire: WireRequest
    c: Classification
    profile: BrowserProfile
    client: str
    time: float
    host: str
    port: int
    paired: Pending | None
    redirected_from: str | None
    initiator: str | None = None  # the Origin of a redirect chain's first request
    predicted: Preflight | None = None  # the prediction, when the paired preflight overrode it
    rule: Rule | None = None
    answered: bool = False
    _facts: FlowFacts | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.client, self.c.origin or "null", self.wire.url, self.c.preflight.method)

    def facts(self) -> FlowFacts:
        """What the rules match on (computed once: matching and rewriting both need it)."""
        if self._facts is None:
            self._facts = self._make_facts()
        return self._facts

    def _make_facts(self) -> FlowFacts:
        c = self.c
        path = self.wire.url.split("://", 1)[-1]
        slash = path.find("/")
        path = path[slash:].split("?", 1)[0] if slash != -1 else "/"
        return FlowFacts(
            host=self.host,
            port=self.port,
            path=path,
            origin=c.origin or "null",
            method=c.preflight.method,
            is_preflight=c.is_preflight,
            acrh=self.wire.headers.get("access-control-request-headers"),
            credentials=c.credentials == "include",
        )


_FORCED = (
    "the browser preflighted it though no method or header needs one: an XMLHttpRequest"
    " upload listener or a streamed body"
)


def _as_preflighted(
    c: Classification, announced: tuple[str, ...]
) -> tuple[Classification, Preflight | None]:
    """A request the browser did preflight needed that preflight, whatever the rules
    predict: its event takes the names the preflight announced (an XHR upload listener
    forces one; `Range: Bytes=0-1` is preflighted yet sent as `bytes=0-1`). Returns the
    classification and the overridden prediction (None when it already agreed)."""
    p = c.preflight
    if p.needed and set(p.headers) == set(announced):
        return c, None
    reasons = [r for r in p.reasons if r.code != "header-not-safelisted" or r.detail in announced]
    reasons.extend(
        Reason("header-not-safelisted", name) for name in announced if name not in p.headers
    )
    if not reasons:
        reasons.append(Reason("forced-preflight", _FORCED))
    preflighted = p._replace(needed=True, reasons=tuple(reasons), headers=announced)
    return c._replace(preflight=preflighted), p


class Inspector:
    def __init__(self, browser: str = "auto", window: float = DEFAULT_WINDOW) -> None:
        self.browser = browser
        self.pairing = Pairing(window=window)

    # -- request side --------------------------------------------------------------------

    def begin(
        self, wire: WireRequest, *, client: str, time: float, host: str, port: int
    ) -> FlowState | None:
        """Classify a request that carries an Origin header (None for any other)."""
        headers = wire.headers
        if "origin" not in headers:
            return None
        profile = profile_for(self.browser, headers.get("user-agent"))
        c = classify(wire, profile)
        pairing = self.pairing
        paired = None
        predicted = None
        if c.is_preflight:
            hop = pairing.redirected_from(client, wire.url)
        else:
            hop = pairing.redirect_hop(client, wire.url)
            if c.cors:
                paired = pairing.claim((client, c.origin or "null", wire.url, wire.method), time)
                if paired is not None:
                    if "authorization" in headers:
                        c = classify(wire, profile, paired.announced)
                    c, predicted = _as_preflighted(c, paired.announced)
        return FlowState(
            wire,
            c,
            profile,
            client,
            time,
            host,
            port,
            paired,
            hop.first if hop is not None else None,
            hop.origin if hop is not None else None,
            predicted,
        )

    def answer(self, state: FlowState, rule: Rule) -> WireResponse | None:
        """The proxy's own response to a real preflight, when the rule says to answer it."""
        if not state.c.is_preflight or rule.preflight != "answer":
            return None
        status, headers = answer_preflight(rule, state.facts())
        state.rule = rule
        state.answered = True
        return WireResponse(status, Headers(headers))

    # -- response side -------------------------------------------------------------------

    def judge(
        self, state: FlowState, resp: WireResponse | None, error_text: str | None = None
    ) -> Verdict:
        return judge(
            state.wire,
            state.c,
            resp,
            state.profile,
            redirected_from=state.redirected_from,
            error_text=error_text,
            initiator=state.initiator,
        )

    def rewrite(
        self, state: FlowState, rule: Rule, resp: WireResponse
    ) -> tuple[WireResponse, Changes | None, Verdict | None]:
        """Apply a rule to the server's response: the response the browser gets, the
        changes (None when the rule changed nothing), and the verdict the server's own
        response would have had."""
        state.rule = rule
        if state.answered:
            added = {name.lower(): value for name, value in resp.headers.fields}
            return resp, {"answered": True, "added": added, "removed": [], "status": None}, None
        rewrite = rewrite_response(rule, state.facts(), resp.status, list(resp.headers.fields))
        if rewrite is None:
            return resp, None, None
        status = rewrite.status if rewrite.status is not None else resp.status
        new = WireResponse(status, Headers(apply_rewrite(resp.headers.fields, rewrite)))
        set_names = {name.lower() for name, _ in rewrite.set}
        changes = {
            "answered": False,
            "added": {name.lower(): value for name, value in rewrite.set},
            "removed": sorted(set(rewrite.removed) - set_names),
            "status": [resp.status, status] if status != resp.status else None,
        }
        return new, changes, self.judge(state, resp)

    def finish(
        self,
        state: FlowState,
        flow_id: str,
        resp: WireResponse | None,
        *,
        error_text: str | None = None,
        ms: float | None = None,
        changes: Changes | None = None,
        upstream: Verdict | None = None,
    ) -> Event:
        """Judge what the browser receives, update pairing and the cache model, and build
        the event."""
        c = state.c
        verdict = self.judge(state, resp, error_text)
        pairing = self.pairing
        key = state.key
        extra: tuple[CorsWarning, ...] = ()
        cache = None
        max_age = None
        if c.is_preflight:
            if verdict.verdict == "allowed" and resp is not None:
                entry = pairing.store_in_cache(state.profile, key, flow_id, state.time, resp)
                max_age = entry.max_age if entry is not None else 0
            else:
                pairing.forget_cached(state.profile, key)
        elif c.cors:
            extra, cache = self._pairing_notes(state)
        if resp is not None and c.cors and verdict.verdict == "allowed" and is_redirect(resp):
            target = location_url(resp, state.wire.url)
            if target:
                pairing.add_redirect(
                    state.client,
                    state.wire.url,
                    target,
                    state.initiator if state.redirected_from else c.origin,
                )
        event = build_event(
            type="preflight" if c.is_preflight else "request",
            flow=flow_id,
            time=state.time,
            method=state.wire.method,
            url=state.wire.url,
            c=c,
            status=resp.status if resp is not None else None,
            verdict=verdict,
            browser=state.profile.name,
            paired_flow=state.paired.flow if state.paired is not None else None,
            cache=cache,
            max_age=max_age,
            extra_warnings=extra,
            rule=state.rule.name if state.rule is not None and changes is not None else None,
            changes=changes,
            upstream=upstream,
            ms=ms,
            redirected_from=state.redirected_from,
        )
        if c.is_preflight:
            # The actual request follows the preflight's answer, not its start: the orphan
            # window opens when the response arrived.
            answered_at = state.time + ms / 1000 if ms is not None and ms > 0 else state.time
            pairing.add_preflight(
                key,
                flow_id,
                answered_at,
                c.preflight.headers,
                event,
                verdict.verdict == "allowed",
                verdict.error_with_credentials,
            )
        return event

    def _pairing_notes(
        self, state: FlowState
    ) -> tuple[tuple[CorsWarning, ...], dict[str, Any] | None]:
        """What pairing says about an actual request: its preflight, a cache hit, or an
        anomaly."""
        c = state.c
        p = state.predicted or c.preflight
        paired = state.paired
        pairing = self.pairing
        credentials = c.credentials == "include"
        notes: list[CorsWarning] = []
        cache = None
        if paired is not None:
            if credentials:
                pairing.mark_credentials(state.profile, state.key, paired.flow)
            if not p.needed:
                notes.append(warning("unexpected-preflight"))
            elif set(paired.announced) != set(p.headers):
                notes.append(
                    warning(
                        "acrh-mismatch",
                        announced=",".join(paired.announced),
                        predicted=",".join(p.headers),
                    )
                )
            if not paired.allowed:
                notes.append(warning("verdict-contradicted", flow=paired.flow))
        elif p.needed:
            entry = pairing.cached(state.profile, state.key, p.headers, credentials, state.time)
            if entry is not None:
                cache = {
                    "flow": entry.flow,
                    "max_age": entry.max_age,
                    "age": round(state.time - entry.stored_at, 3),
                }
            else:
                notes.append(warning("missing-preflight"))
        return tuple(notes), cache

    # -- orphans -------------------------------------------------------------------------

    def orphans(self, now: float | None = None) -> list[tuple[Pending, Event]]:
        """Preflights no actual request followed within the window, with their events."""
        return [
            (p, orphan_event(p.event, p.error_with_credentials, self.pairing.window))
            for p in self.pairing.expire(now)
        ]

    def flush(self) -> list[tuple[Pending, Event]]:
        return [
            (p, orphan_event(p.event, p.error_with_credentials, self.pairing.window))
            for p in self.pairing.flush()
        ]
