"""The per-flow sequence, the one the live addon (and its `-r` replays) and `analyze` all run,
independent of mitmproxy:

    expire orphans -> begin -> match a rule -> answer -> rewrite -> finish

Inspector keeps what spans flows (pairing, the preflight-cache model, redirect chains) and
runs the steps. Thin adapters turn what they hold into a Seen (the addon: a mitmproxy flow,
in wire.py; the analyzer: a capture entry, in analyze/replay.py) and call

    started = inspector.start(seen)                       # expire orphans, begin
    answer = inspector.before_send(state, match)          # match a rule, answer a preflight
    done = inspector.complete(state, flow_id, resp, match=match, ...)  # rewrite, finish

at the moments a proxy can (a rule may need the request body, or the response), or, for a
capture entry whose response is already known, `inspector.run(...)`: the same three calls in
the same order. The verdict is decided in one place (Inspector.verdict) and the event built
in one place (Inspector.finish, with events.build_event).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import NamedTuple

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
from .engine.browsers import PROFILES
from .engine.browsers import detect_engine
from .engine.browsers import engine_name
from .engine.memo import Memo
from .engine.views import blocked_views
from .engine.views import disagreement
from .engine.views import engine_views
from .engine.warnings import warning
from .events import Event
from .events import build_event
from .events import orphan_event
from .events import shared
from .pairing import DEFAULT_WINDOW
from .pairing import Pairing
from .pairing import Pending
from .rules import FlowFacts
from .rules import Rewrite
from .rules import Rule
from .rules import answer_preflight
from .rules import apply_rewrite
from .rules import rewrite_response
from .rules import worse_than_the_server

Changes = dict[str, Any]
Orphan = tuple[Pending, Event]  # a preflight no request followed, and its orphan event
Matcher = Callable[["FlowState"], "Rule | None"]  # the first rule for a flow, if any


@dataclass(slots=True)
class Recorded:
    """What a capture recorded about a request beyond its wire facts (None live).

    `linked`: the capture says which preflight this actual request followed: `preflight`
    (its flow id), or none at all; pairing then follows the capture, never the clock.
    `followed`: a preflight whose actual request the capture shows was sent.
    `kind`: the API that made it (the capture's resource type), for the console sentence.
    `inferred_origin`: (origin, where it came from) when the capture had only provisional
    headers and the adapter added the Origin the browser sent.
    `failed`: the browser's own error for a request it got a response to (net::ERR_FAILED:
    it blocked it); `received`: the capture records that the page got the response.
    `credentials_hidden`: the capture cannot show credentials (no Cookie or Authorization:
    a sanitized export, or provisional headers). `notes`: what the reader had to assume.
    """

    linked: bool = False
    preflight: str | None = None
    followed: bool = False
    kind: str | None = None
    inferred_origin: tuple[str, str] | None = None
    failed: str | None = None
    received: bool = False
    credentials_hidden: bool = False
    notes: tuple[CorsWarning, ...] = ()


@dataclass(slots=True)
class Seen:
    """The request side of one flow, as an adapter hands it to the sequence."""

    wire: WireRequest
    time: float  # when the request went on the wire (epoch seconds)
    client: str = ""
    host: str = ""
    port: int = 0
    recorded: Recorded | None = None


class Started(NamedTuple):
    orphans: list[Orphan]  # preflights whose window passed before this flow began
    state: FlowState | None  # None: no Origin header, nothing to inspect


class Done(NamedTuple):
    event: Event
    sent: WireResponse | None  # what the browser gets (after a rule's rewrite)
    # A rule's changes to the server's response (None: none, or the proxy answered): the
    # adapter applies them to the response it holds (whose fields may be more than `sent`'s).
    rewrite: Rewrite | None


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
    recorded: Recorded | None = None
    rule: Rule | None = None
    answered: bool = False
    script_ua: bool = False  # the page set the User-Agent (Firefox and WebKit send it)
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
    """The per-flow sequence and the state that spans flows. One per clock: the live
    addon keeps one for live flows and one for flows read from a file."""

    def __init__(self, browser: str = "auto", window: float = DEFAULT_WINDOW) -> None:
        self._browser = engine_name(browser)
        self.pairing = Pairing(window=window)
        # client -> the engine its last User-Agent named (for a page-set User-Agent)
        self._client_engine: dict[str, BrowserProfile] = {}

    @property
    def browser(self) -> str:
        """cors_browser: auto or an engine's name (an alias given becomes the name)."""
        return self._browser

    @browser.setter
    def browser(self, choice: str) -> None:
        self._browser = engine_name(choice)

    def _profile(self, client: str, user_agent: str | None) -> BrowserProfile:
        """The engine for a request: cors_browser, else its User-Agent's, else (a value a
        page set, or none) the one this client's earlier requests named."""
        if self._browser != "auto":
            return PROFILES[self._browser]
        named = detect_engine(user_agent)
        engines = self._client_engine
        if named is None:
            return engines.get(client) or profile_for("auto", None)
        if engines.get(client) is not named:
            if len(engines) >= 4096:
                engines.clear()
            engines[client] = named
        return named

    def ahead(self, seen: Seen) -> FlowState | None:
        """A flow's state as its rule sees it, before the flow's turn in the sequence (the
        live addon's batched analysis applies a rule as the flow passes and runs the
        sequence later). What a rule reads (FlowState.facts: host, port, path, origin,
        method, preflight-ness, announced headers, credentials) depends neither on pairing
        nor on the engine, so this is begin without either; nothing that spans flows is
        read or changed. None for a request without an Origin header."""
        wire = seen.wire
        if "origin" not in wire.headers:
            return None
        profile = profile_for("auto", None)
        return FlowState(
            wire,
            classify(wire, profile),
            profile,
            seen.client,
            seen.time,
            seen.host,
            seen.port,
            None,
            None,
        )

    # -- the sequence, in the order a proxy can run it -----------------------------------

    def start(self, seen: Seen) -> Started:
        """Steps 1 and 2: expire the preflights whose window passed before this flow (on
        the flows' own clock), then begin it."""
        return Started(self.orphans(seen.time), self.begin_seen(seen))

    def before_send(self, state: FlowState, match: Matcher | None) -> WireResponse | None:
        """Steps 3 and 4, before the request goes upstream: a preflight's rule, and the
        proxy's own answer when that rule says to answer it."""
        if not state.c.is_preflight:
            return None
        rule = self.match(state, match)
        return self.answer(state, rule) if rule is not None else None

    def complete(
        self,
        state: FlowState,
        flow_id: str,
        resp: WireResponse | None,
        *,
        match: Matcher | None = None,
        error_text: str | None = None,
        ms: float | None = None,
    ) -> Done:
        """Steps 3, 5 and 6, once the response (or the failure) is known: the rule (if
        none matched before the request went out), its rewrite, and the event."""
        changes = upstream = rewrite = None
        sent = resp
        if resp is not None:
            rule = self.match(state, match)
            if rule is not None:
                sent, changes, upstream, rewrite = self.rewrite(state, rule, resp)
        event = self.finish(
            state,
            flow_id,
            sent,
            error_text=error_text if sent is None else None,
            ms=ms,
            changes=changes,
            upstream=upstream,
        )
        return Done(event, sent, rewrite)

    def run(
        self,
        seen: Seen,
        flow_id: str,
        resp: WireResponse | None,
        *,
        match: Matcher | None = None,
        error_text: str | None = None,
        ms: float | None = None,
    ) -> tuple[list[Orphan], Done | None]:
        """The whole sequence for a flow whose response is already known (a capture): the
        orphans expired before it, and its outcome (None when it is no CORS flow, or was
        begun but never finished: no response and no error)."""
        orphans, state = self.start(seen)
        if state is None:
            return orphans, None
        answer = self.before_send(state, match)
        if answer is not None:
            resp, error_text = answer, None
        if resp is None and error_text is None:
            return orphans, None
        return orphans, self.complete(
            state, flow_id, resp, match=match, error_text=error_text, ms=ms
        )

    # -- the steps -------------------------------------------------------------------------

    def begin(
        self,
        wire: WireRequest,
        *,
        client: str,
        time: float,
        host: str,
        port: int,
        recorded: Recorded | None = None,
    ) -> FlowState | None:
        """Classify a request that carries an Origin header (None for any other) and pair
        an actual request with its preflight: the one the capture recorded, or else the
        oldest one waiting for the same client, origin, URL and method."""
        headers = wire.headers
        if "origin" not in headers:
            return None
        if recorded is not None and recorded.inferred_origin is not None:
            wire, recorded = self._after_redirect(wire, client, recorded)
            headers = wire.headers
        user_agent = headers.get("user-agent")
        profile = self._profile(client, user_agent)
        c = classify(wire, profile)
        if recorded is not None and recorded.kind is not None and c.kind == "fetch":
            c = c._replace(kind=recorded.kind)
        pairing = self.pairing
        paired = None
        predicted = None
        script_ua = False
        if c.is_preflight:
            hop = pairing.redirected_from(client, wire.url)
        else:
            hop = pairing.redirect_hop(client, wire.url)
            if c.cors:
                if recorded is not None and recorded.linked:
                    paired = pairing.claim_flow(recorded.preflight) if recorded.preflight else None
                else:
                    key = (client, c.origin or "null", wire.url, wire.method)
                    paired = pairing.claim(key, time)
                if paired is not None:
                    script_ua = "user-agent" in paired.announced or (
                        paired.user_agent is not None
                        and user_agent is not None
                        and user_agent != paired.user_agent
                    )
                    if (
                        script_ua
                        and self.browser == "auto"
                        and paired.profile is not None
                        and paired.profile is not profile
                    ):
                        # the page set the User-Agent: the preflight names the browser
                        profile = paired.profile
                        c = classify(wire, profile)
                        if recorded is not None and recorded.kind is not None:
                            c = c._replace(kind=recorded.kind)
                    if "authorization" in headers:
                        c = classify(wire, profile, paired.announced)
                        if recorded is not None and recorded.kind is not None:
                            c = c._replace(kind=recorded.kind)
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
            recorded,
            script_ua=script_ua,
        )

    def _after_redirect(
        self, wire: WireRequest, client: str, recorded: Recorded
    ) -> tuple[WireRequest, Recorded]:
        """An inferred Origin after a redirect to another origin is 'null', as the browser
        sent it (a tainted origin)."""
        hop = self.pairing.redirected_from(client, wire.url)
        if hop is None or not hop.tainted:
            return wire, recorded
        fields = [(n, "null" if n.lower() == "origin" else v) for n, v in wire.headers.fields]
        source = "a redirect to another origin (the browser then sends Origin: null)"
        return (
            wire._replace(headers=Headers(fields)),
            dataclasses.replace(recorded, inferred_origin=("null", source)),
        )

    def begin_seen(self, seen: Seen) -> FlowState | None:
        return self.begin(
            seen.wire,
            client=seen.client,
            time=seen.time,
            host=seen.host,
            port=seen.port,
            recorded=seen.recorded,
        )

    def match(self, state: FlowState, match: Matcher | None) -> Rule | None:
        """The flow's rule: the one matched already, else the matcher's. Rules never touch
        a request CORS does not apply to (navigations, same-origin, no-cors)."""
        if state.rule is None and match is not None and state.c.cors:
            state.rule = match(state)
        return state.rule

    def answer(self, state: FlowState, rule: Rule) -> WireResponse | None:
        """The proxy's own response to a real preflight, when the rule says to answer it."""
        if not state.c.is_preflight or rule.preflight != "answer":
            return None
        answer = answer_preflight(rule, state.facts())
        if answer is None:
            return None  # the rule does not allow all it asks: the server answers
        status, headers = answer
        state.rule = rule
        state.answered = True
        return WireResponse(status, Headers(headers))

    def verdict(
        self,
        state: FlowState,
        resp: WireResponse | None,
        error_text: str | None = None,
        *,
        captured: bool = True,
    ) -> tuple[Verdict, tuple[CorsWarning, ...]]:
        """What the browser decides about this response: the one place a verdict is made
        (for the browser's rules that cors_browser or the User-Agent chose), with the
        warnings the capture's own record adds (only about the response it recorded, not
        one a rule rewrote: `captured`)."""
        verdict = judge(
            state.wire,
            state.c,
            resp,
            state.profile,
            redirected_from=state.redirected_from,
            error_text=error_text,
            initiator=state.initiator,
        )
        recorded = state.recorded
        if recorded is None or resp is None or state.c.is_preflight or not captured:
            return verdict, ()
        return _with_capture_evidence(verdict, recorded)

    def rewrite(
        self, state: FlowState, rule: Rule, resp: WireResponse
    ) -> tuple[WireResponse, Changes | None, Verdict | None, Rewrite | None]:
        """Apply a rule to the server's response: the response the browser gets, the
        changes for the event (None when the rule changed nothing), the verdict the server's
        own response would have had, and the rule's changes to the response (None when the
        proxy answered it)."""
        state.rule = rule
        if state.answered:
            added = {name.lower(): value for name, value in resp.headers.fields}
            changes = {"answered": True, "added": added, "removed": [], "status": None}
            return resp, changes, None, None
        rewrite = rewrite_response(rule, state.facts(), resp.status, resp.headers.fields)
        if rewrite is None:
            return resp, None, None, None
        status = rewrite.status if rewrite.status is not None else resp.status
        new = WireResponse(status, Headers(apply_rewrite(resp.headers.fields, rewrite)))
        set_names = {name.lower() for name, _ in rewrite.set}
        changes = {
            "answered": False,
            "added": {name.lower(): value for name, value in rewrite.set},
            "removed": sorted(set(rewrite.removed) - set_names),
            "status": [resp.status, status] if status != resp.status else None,
        }
        return new, changes, self.verdict(state, resp)[0], rewrite

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
        the event: the one place an event of a flow is built."""
        c = state.c
        verdict, extra = self.verdict(state, resp, error_text, captured=changes is None)
        pairing = self.pairing
        key = state.key
        cache = None
        max_age = None
        if c.is_preflight:
            if verdict.verdict == "allowed" and resp is not None:
                entry = pairing.store_in_cache(state.profile, key, flow_id, state.time, resp)
                max_age = entry.max_age if entry is not None else 0
            else:
                pairing.forget_cached(state.profile, key)
        elif c.cors:
            notes, cache = self._pairing_notes(state)
            extra += notes
        if upstream is not None and state.rule is not None:
            removed = changes["removed"] if changes is not None else []
            extra += worse_than_the_server(state.rule, upstream, verdict, removed)
        recorded = state.recorded
        if recorded is not None:
            if recorded.inferred_origin is not None:
                extra += (_provisional(state, verdict),)
            extra += recorded.notes
        engines, disagree = _engines(state, resp, verdict, error_text)
        if disagree is not None:
            extra += (disagree,)
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
            engines=engines,
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
                promised=recorded is not None and recorded.followed,
                user_agent=state.wire.headers.get("user-agent"),
                profile=state.profile,
                engines_with_credentials=_credentialed(state, resp, verdict, engines),
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
            announced, predicted = set(paired.announced), set(p.headers)
            recorded = state.recorded
            if recorded is not None and recorded.credentials_hidden:
                # The capture removed Authorization (a sanitized export): the preflight
                # announced it, the request cannot show it.
                announced.discard("authorization")
                predicted.discard("authorization")
            if not p.needed and announced == set(paired.announced):
                notes.append(warning("unexpected-preflight"))
            elif announced != predicted:
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

    def orphans(self, now: float | None = None) -> list[Orphan]:
        """Step 1: the preflights no actual request followed within the window, with their
        events."""
        return [self._orphan(p) for p in self.pairing.expire(now)]

    def flush(self) -> list[Orphan]:
        """Every preflight still waiting (at the end of a capture, or of the proxy)."""
        return [self._orphan(p) for p in self.pairing.flush()]

    def unsent(self, preflight_flow: str, error: str | None) -> Orphan | None:
        """The capture shows that the browser never sent the actual request of this
        preflight: the orphan now (None when the preflight was blocked, so no request was
        expected, or is no longer waiting)."""
        pending = self.pairing.abandon(preflight_flow)
        if pending is None:
            return None
        return pending, orphan_event(
            pending.event,
            pending.error_with_credentials,
            self.pairing.window,
            unsent=error,
            engines=_orphan_engines(pending),
        )

    def _orphan(self, pending: Pending) -> Orphan:
        window = self.pairing.window
        return pending, orphan_event(
            pending.event,
            pending.error_with_credentials,
            window,
            engines=_orphan_engines(pending),
        )


_views = Memo(1024)  # views that name no URL (no error, no redirect): any URL of the origin


def _engines(
    state: FlowState, resp: WireResponse | None, verdict: Verdict, error_text: str | None
) -> tuple[dict[str, Any], CorsWarning | None]:
    """Every engine's view and the engines-disagree warning, once per distinct decision
    whose views name no URL (those views are shared by the events that repeat them: never
    change them); a view with an error quotes the URL and is made for its flow."""
    wire = state.wire
    key = (
        wire.method,
        wire.headers.fields,
        state.c,
        None if resp is None else (resp.status, resp.headers.fields),
        state.profile.name,
        verdict,
        state.predicted,
        state.script_ua,
        state.redirected_from,
        error_text,
        state.initiator,
    )
    hit = _views.get(key)
    if hit is not None:
        return hit
    views = engine_views(
        wire,
        state.c,
        resp,
        state.profile,
        verdict,
        predicted=state.predicted,
        script_ua=state.script_ua,
        redirected_from=state.redirected_from,
        error_text=error_text,
        initiator=state.initiator,
    )
    if (
        (resp is None or not is_redirect(resp))
        and all(v["error"] is None for v in views.values())
        and _views.keeps(key)
    ):
        return _views.store(key, (shared(views), disagreement(views)))
    return views, disagreement(views)  # its sentences name this URL, or it is new


def _credentialed(
    state: FlowState, resp: WireResponse | None, verdict: Verdict, engines: dict[str, Any]
) -> Callable[[], dict[str, Any]] | None:
    """Each engine's view of a preflight if its request carried credentials (computed only
    for an orphan)."""
    error = verdict.error_with_credentials
    if error is None:
        return None
    return lambda: blocked_views(engines, error, state.wire, state.c, resp)


def _orphan_engines(pending: Pending) -> dict[str, Any] | None:
    if pending.error_with_credentials is None or pending.engines_with_credentials is None:
        return None
    return pending.engines_with_credentials()


def _with_capture_evidence(
    verdict: Verdict, recorded: Recorded
) -> tuple[Verdict, tuple[CorsWarning, ...]]:
    """A request whose credentials the capture cannot show is judged without them; when
    that verdict depends on credentials, the browser's own record of the request decides,
    and a warning says so."""
    if recorded.inferred_origin is not None and recorded.received and verdict.verdict == "blocked":
        # The browser let the page have a response that a CORS check would have blocked:
        # the request was not CORS-checked (a no-cors fetch, whose headers were provisional).
        return Verdict("not-cors"), ()
    alternative = verdict.error_with_credentials
    if not recorded.credentials_hidden or verdict.verdict != "allowed" or alternative is None:
        return verdict, ()
    if recorded.failed:
        note = warning(
            "credentials-unknown", "failed", error=recorded.failed, message=alternative.message
        )
        kept = tuple(w for w in verdict.warnings if w.code != "credentials-would-block")
        return Verdict("blocked", alternative, kept, alternative), (note,)
    if recorded.received:
        return verdict, ()  # the browser let the page have it: credentials-would-block says why
    return verdict, (warning("credentials-unknown"),)


def _provisional(state: FlowState, verdict: Verdict) -> CorsWarning:
    assert state.recorded is not None and state.recorded.inferred_origin is not None
    origin, source = state.recorded.inferred_origin
    kind = "XMLHttpRequest" if state.c.kind == "XMLHttpRequest" else "fetch()"
    variant = "no-cors" if verdict.verdict == "not-cors" and state.c.cors else None
    return warning("provisional-headers", variant, origin=origin, source=source, kind=kind)
