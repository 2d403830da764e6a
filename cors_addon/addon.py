"""The mitmproxy addon: classify every flow, judge it as the browser will, apply rules,
and turn the verdict into one event for the terminal, the flow and the JSONL log.

Hooks never raise on traffic: an internal error is logged and the flow goes on untouched.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import time
import weakref
from collections import Counter
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import Optional

from mitmproxy import command
from mitmproxy import ctx
from mitmproxy import exceptions
from mitmproxy import flow as mflow
from mitmproxy import flowfilter
from mitmproxy import hooks
from mitmproxy import http
from mitmproxy import types
from mitmproxy.net.http import status_codes
from mitmproxy.proxy.mode_specs import ProxyMode

from . import hooktiming
from . import render
from .bypass import BypassDetector
from .engine import BROWSER_CHOICES
from .engine import FAILED_VERDICTS
from .engine import WireResponse
from .eventlog import EventLog
from .events import Event
from .events import encode_line
from .pairing import Pending
from .pipeline import FlowState
from .pipeline import Inspector
from .pipeline import Matcher
from .pipeline import Seen
from .recent import RecentEvents
from .rules import Rewrite
from .rules import Rule
from .rules import RulesError
from .rules import RuleSet
from .rules import rewrite_response
from .rules.reload import RulesFile
from .summary import Summary
from .wire import mitm_headers
from .wire import request_headers
from .wire import rewritten_fields
from .wire import seen
from .wire import wire_response

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25
BATCH_MAX = 512  # flows waiting for a batched analysis: more are analysed at once
_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO}
MAX_INFLIGHT = 20_000


# mitmdump's filter options: any of them may test a flow's comment, marker or metadata.
_FILTERS = ("save_stream_filter", "dumper_filter", "view_filter", "intercept", "cors_filter")
# Options through which plain mitmdump reads comments or markers: a flow file (-w) saves
# them, and any filter may test them (~comment, ~marker, ~marked).
_ANNOTATION_READERS = frozenset({"save_stream_file", *_FILTERS})


def _a_filter_tests(options: Any, *tests: str) -> bool:
    """Whether one of mitmdump's filter options uses one of these filter expressions."""
    for name in _FILTERS:
        spec = getattr(options, name, None)
        if isinstance(spec, str) and any(test in spec for test in tests):
            return True
    return False


def _annotations_read(master: Any) -> bool:
    """Whether anything reads flows' comments and markers: mitmweb and the console show
    them (their flow view), -w saves them, filters test them. Plain `mitmdump` has none of
    these, and then the addon does not render them (the event is in flow.metadata["cors"]
    and the log either way)."""
    if master is None or master.addons.get("dumper") is None:
        return True  # not mitmdump: mitmweb, the console, or a host we do not know
    if getattr(master, "view", None) is not None or master.addons.get("view") is not None:
        return True
    options = master.options
    return bool(getattr(options, "save_stream_file", None)) or _a_filter_tests(
        options, "~comment", "~mark"
    )


# Options of mitmproxy's own addons that change a request before its response comes (or
# answer it): batched, the addon reads the request at its response, so none may be set.
_REQUEST_CHANGERS = (
    "modify_headers",
    "modify_body",
    "map_remote",
    "map_local",
    "stickycookie",
    "stickyauth",
    "anticache",
    "anticomp",
    "server_replay",
    "block_list",
    "upstream_auth",
)
_OWN_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mitmproxy_script.py")


def _nothing_reads_as_flows_pass(options: Any) -> bool:
    """Whether nothing but the addon's own outputs could read a flow's CORS results while the
    flow passes (no other script, which may read flow.metadata["cors"] in its own hooks; no
    filter testing `~meta`), and nothing changes a request between its headers and its
    response. The addon's own readers (terminal lines, comments, rules) are the caller's."""
    for path in getattr(options, "scripts", None) or ():
        try:
            if not os.path.samefile(os.path.expanduser(path), _OWN_SCRIPT):
                return False
        except OSError:
            return False
    if _a_filter_tests(options, "~meta"):
        return False
    return not any(getattr(options, name, None) for name in _REQUEST_CHANGERS)


# What a flow's rule did as the flow passed (batched with rules): the state it was matched on,
# and the server's response before the rule rewrote it (None: not rewritten).
Passed = tuple[FlowState, WireResponse | None]


def _has_origin(fields: tuple[tuple[bytes, bytes], ...]) -> bool:
    """Whether raw request fields hold an Origin field (read before any decoding: most
    requests without one are no CORS request at all)."""
    for name, _ in fields:  # noqa: SIM110 - a plain loop: no generator on every request
        if len(name) == 6 and name.lower() == b"origin":
            return True
    return False


def _remember(table: OrderedDict[str, Any], key: str, value: Any) -> None:
    """Keep a flow's entry until its flow is done with it (at most MAX_INFLIGHT flows: one
    whose hooks never come to an end is forgotten in time)."""
    table[key] = value
    if len(table) > MAX_INFLIGHT:
        table.popitem(last=False)


def guarded(hook: Callable[..., None]) -> Callable[..., None]:
    """Never let an internal error escape a hook: log it, leave the flow alone."""

    @functools.wraps(hook)
    def wrapper(self: CorsAddon, *args: Any) -> None:
        try:
            hook(self, *args)
        except Exception as e:
            self._internal_error(hook.__name__.lstrip("_"), e)  # the hook mitmproxy calls

    return wrapper


class CorsAddon:
    name = "cors"

    def __init__(self) -> None:
        self.filter: flowfilter.TFilter | None = None
        self.log: EventLog | None = None
        self.rules_file: RulesFile | None = None
        self.rule_hits: Counter[str] = Counter()
        self.live = Inspector()
        self.replay = Inspector()
        self.keep_host_header = False
        self.summary = Summary()
        self.recent = RecentEvents()  # the last MAX_EVENTS events, for cors.report
        self.bypass = BypassDetector()
        self.color = False
        self.line_level = logging.INFO  # terminal lines below this level are not even built
        # Set flows' comments and markers (False only where nothing reads them: mitmdump
        # without -w and without a filter on comments or markers).
        self.annotate = True
        self._master: Any = None
        self.internal_errors = 0
        self._inflight: OrderedDict[str, FlowState] = OrderedDict()
        # Batched with rules (see _update_batched): what each flow's rule did as the flow
        # passed, for its turn in the batch: the state the rule was matched on, and the
        # server's response before the rule rewrote it (None: not rewritten here).
        self._passed: OrderedDict[str, Passed] = OrderedDict()
        # Flows whose status a rule changed: their body goes (see _response).
        self._emptied: OrderedDict[str, None] = OrderedDict()
        self._preflight_flows: weakref.WeakValueDictionary[str, http.HTTPFlow] = (
            weakref.WeakValueDictionary()
        )
        self._ticker: asyncio.Task[None] | None = None
        # Batched analysis (see _update_batched): the flows that wait for the next tick.
        self.batched = False
        # (flow, whether it was live when queued: mitmproxy marks a flow not live once it
        # is done, and the batch runs later)
        self._batch: list[tuple[http.HTTPFlow, bool]] = []
        hooktiming.install(self)  # bench only: a no-op unless CORS_ADDON_HOOK_TIMING is set
        self.requestheaders = self._requestheaders  # not while batched (_update_batched)

    # -- options -----------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "cors_log",
            str,
            "",
            "Path of the JSONL event log: one line per CORS request, preflight and orphaned"
            " preflight. Empty: no log.",
        )
        loader.add_option(
            "cors_rules",
            str,
            "",
            "Path of the TOML rules file that injects, strips or answers CORS. Empty: no"
            " rules, nothing is changed. Reloaded when the file changes.",
        )
        loader.add_option(
            "cors_browser",
            str,
            "auto",
            "Whose rules decide the verdict: auto (from each request's User-Agent),"
            " chromium, firefox or webkit (safari: the same). Every event also carries all"
            " three engines' views.",
            choices=list(BROWSER_CHOICES),
        )
        loader.add_option(
            "cors_filter",
            Optional[str],  # noqa: UP045 - mitmproxy's --set only parses this spelling on 11
            None,
            "A mitmproxy filter expression: only matching flows are inspected.",
        )

    def configure(self, updated: set[str]) -> None:
        self._run_batch()  # what waits is analysed under the options it passed under
        try:
            self._configure(updated)
        finally:
            self._update_batched()

    def _configure(self, updated: set[str]) -> None:
        if self._master is not None and updated & _ANNOTATION_READERS:
            self.annotate = _annotations_read(self._master)
        if "termlog_verbosity" in updated:
            verbosity = getattr(ctx.options, "termlog_verbosity", "info")
            self.line_level = _LEVELS.get(verbosity, logging.INFO)
        if "keep_host_header" in updated:
            self.keep_host_header = bool(ctx.options.keep_host_header)
        if "cors_browser" in updated:
            if ctx.options.cors_browser not in BROWSER_CHOICES:
                raise exceptions.OptionsError(
                    f"Invalid cors_browser {ctx.options.cors_browser!r}: choose one of"
                    f" {', '.join(BROWSER_CHOICES)}."
                )
            self.live.browser = self.replay.browser = ctx.options.cors_browser
        if "cors_filter" in updated:
            spec = ctx.options.cors_filter
            if spec:
                try:
                    self.filter = flowfilter.parse(spec)
                except ValueError as e:
                    raise exceptions.OptionsError(f"Invalid cors_filter {spec!r}: {e}") from e
            else:
                self.filter = None
        if "cors_log" in updated:
            path = ctx.options.cors_log
            if path and os.path.isdir(os.path.expanduser(path)):
                raise exceptions.OptionsError(
                    f"Invalid cors_log {path!r}: it is a directory; give a file path."
                )
            if self.log is not None:
                self.log.close()
            self.log = EventLog(path) if path else None
        if "cors_rules" in updated:
            path = ctx.options.cors_rules
            if path:
                try:
                    self.rules_file = RulesFile(path)
                except RulesError as e:
                    raise exceptions.OptionsError(f"Invalid cors_rules: {e}") from e
            else:
                self.rules_file = None
            self._rule_hooks(self.rules_file is not None)

    def _update_batched(self) -> None:
        """Batched analysis, when nothing reads a flow's CORS results while the flow passes:
        plain mitmdump (no flow view), quiet (no terminal lines: -q), no flow file and no
        filter on comments, markers or metadata, no other script and no option that changes
        requests (they change flows as they pass). The response hook (or error) then only
        queues the flow; the flows are analysed together at the next tick (every
        TICK_SECONDS, or at BATCH_MAX flows), each one's whole sequence in the order the
        responses came: the same events and log lines, a fraction of a second later, for
        less CPU (docs/benchmarks.md). With rules (and no cors_filter, which would choose
        the flows twice) a flow's rule still answers or rewrites it as it passes
        (_request, _rewrite_ahead); the batch makes its event from what was done."""
        batched = (
            self._master is not None
            and not self.annotate
            and self.line_level > logging.WARNING
            and (self.rules_file is None or self.filter is None)
            and _nothing_reads_as_flows_pass(self._master.options)
        )
        if not batched:
            self._run_batch()
            self.requestheaders = self._requestheaders
        else:
            # Nothing to do before the response: mitmproxy then does not dispatch the hook
            # (no option that changes requests is set, see _nothing_reads_as_flows_pass).
            self.__dict__.pop("requestheaders", None)
        self.batched = batched

    def _rule_hooks(self, on: bool) -> None:
        for hook, method in (("request", self._request), ("response", self._response)):
            if on:
                setattr(self, hook, method)
            else:
                self.__dict__.pop(hook, None)

    @property
    def rules(self) -> RuleSet | None:
        """The active rules (None without a rules file)."""
        return self.rules_file.rules if self.rules_file is not None else None

    def running(self) -> None:
        master = getattr(ctx, "master", None)
        self.color = (
            sys.stdout.isatty()
            and "NO_COLOR" not in os.environ
            and master is not None
            and master.addons.get("dumper") is not None
        )
        self._master = master
        self.annotate = _annotations_read(master)
        self._update_batched()
        self._warn_if_exposed()
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    def _warn_if_exposed(self) -> None:
        exposed = False
        for spec in ctx.options.mode:
            try:
                mode = ProxyMode.parse(spec)
            except ValueError:
                continue
            if mode.listen_port() is None:  # local capture mode: no listening socket
                continue
            # the spec's own host, else the global listen_host ("" means every interface)
            host = mode.listen_host(ctx.options.listen_host).strip("[]").lower()
            if host != "localhost" and not host.startswith("127.") and host != "::1":
                exposed = True
        if exposed:
            logger.warning(
                "cors: the proxy listens beyond this machine's loopback: anyone who can reach"
                " it can use it, and rules that reflect origins apply to their traffic too."
            )

    def done(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        try:
            self._run_batch()
            for pending, event in [*self.replay.flush(), *self.live.orphans(time.time())]:
                self._emit_orphan(pending, event)
        finally:
            if self.log is not None:
                self.log.close()  # writes every line still waiting

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self.tick(time.time())

    def tick(self, now: float) -> None:
        """Periodic work: orphaned preflights, the log's waiting lines, hot reload of the rules
        file, bypass hint."""
        try:
            try:
                self._run_batch()  # before the orphans: a request that waits may claim one
                for pending, event in self.live.orphans(now):
                    self._emit_orphan(pending, event)
            finally:
                if self.log is not None:
                    self.log.flush()  # the lines of the last tick, these orphans included
            if self.rules_file is not None:
                self.rules_file.check()
            hint = self.bypass.check(now)
            if hint:
                logger.warning(f"cors: {hint}")
        except Exception as e:
            logger.warning(f"cors_addon: internal error in tick ({e})", exc_info=True)

    # -- hooks ---------------------------------------------------------------------------

    @guarded
    def _requestheaders(self, flow: http.HTTPFlow) -> None:
        """The `requestheaders` hook (installed on the instance, except while batched)."""
        self._begin(flow)

    # request and response only matter when rules are loaded: `configure` installs them on
    # the instance then (mitmproxy looks each hook up by name on every flow, so without rules
    # the proxy does not dispatch them at all).

    @guarded
    def _request(self, flow: http.HTTPFlow) -> None:
        """The `request` hook: answer a preflight when its rule says so."""
        if self.rules is None or flow.response or flow.error or not flow.live:
            return
        state = self._inflight.get(flow.id)
        if state is None:
            if not self.batched or flow.request.method != "OPTIONS":
                return  # only a preflight is answered; batched, nothing else is done yet
            state = self._ahead(flow)
            if state is None:
                return
        answer = self.live.before_send(state, self._matcher(flow))
        if answer is not None:
            flow.response = http.Response.make(answer.status, b"", mitm_headers(answer.headers))

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if self.batched:
            if self.rules_file is not None:
                self._rewrite_ahead(flow)  # guarded
            self._queue(flow)  # never raises: the batch guards each flow
        else:
            self._responseheaders(flow)

    @guarded
    def _responseheaders(self, flow: http.HTTPFlow) -> None:
        self._conclude(flow)

    @guarded
    def _response(self, flow: http.HTTPFlow) -> None:
        """The `response` hook. A rule that changed the status (a failing preflight fixed
        to 204) also drops the server's body: the 405's bytes after a 204's headers would be
        read by the browser as the start of the next response on the connection."""
        if self._emptied.pop(flow.id, False) is False or flow.response is None:
            return
        resp = flow.response
        if resp.stream:
            return  # already on its way (stream_large_bodies)
        resp.raw_content = b""
        for name in ("content-length", "transfer-encoding", "content-encoding"):
            resp.headers.pop(name, None)
        if resp.status_code not in (204, 304):
            resp.headers["content-length"] = "0"

    @guarded
    def error(self, flow: http.HTTPFlow) -> None:
        self._emptied.pop(flow.id, None)
        if flow.response is not None:
            # The body failed after responseheaders decided the event. Classifying the
            # request again would claim (and so steal) another pending preflight.
            self._inflight.pop(flow.id, None)
            return
        if self.batched:
            self._queue(flow)
        else:
            self._conclude(flow)

    # -- the per-flow pipeline ----------------------------------------------------------

    def _inspector(self, live: bool) -> Inspector:
        return self.live if live else self.replay

    def _conclude(self, flow: http.HTTPFlow, live: bool | None = None) -> None:
        """The flow's response headers came, or its failure: the rest of its sequence.
        `live`: whether the flow was live then (default: whether it is now)."""
        live = flow.live if live is None else live
        passed = self._passed.pop(flow.id, None)
        state = self._inflight.pop(flow.id, None) or self._begin(
            flow, track=False, ahead=passed[0] if passed is not None else None, live=live
        )
        if state is not None and (flow.response is not None or flow.error is not None):
            self._finish(flow, state, passed, live)

    def _begin(
        self,
        flow: http.HTTPFlow,
        track: bool = True,
        ahead: FlowState | None = None,
        live: bool | None = None,
    ) -> FlowState | None:
        """Steps 1 and 2 of the sequence: orphans on the flow's own clock, then begin.
        `ahead`: the state a rule was matched on as the flow passed (its request as read
        then)."""
        req = flow.request
        # The fields as the decisions see them (the values no decision reads left out):
        # exchanges that differ only in those meet the same memoized decisions.
        headers = ahead.wire.headers if ahead is not None else request_headers(req, whole=False)
        origin = headers.get("origin")
        if not self.bypass.settled:
            self.bypass.observe(req.host, origin, headers.get("referer"), time.time())
        if origin is None or (self.filter is not None and not self.filter(flow)):
            return None
        if ahead is not None:
            request = Seen(ahead.wire, ahead.time, ahead.client, ahead.host, ahead.port)
        else:
            request = seen(flow, self.keep_host_header, headers)
        orphans, state = self._inspector(flow.live if live is None else live).start(request)
        for pending, event in orphans:
            self._emit_orphan(pending, event)
        if state is None:
            return None
        if track:
            _remember(self._inflight, flow.id, state)
        return state

    def _matcher(self, flow: http.HTTPFlow, live: bool | None = None) -> Matcher | None:
        """The rules' matcher for a flow. Rules never touch flows read from a file."""
        rules = self.rules
        if rules is None or not (flow.live if live is None else live):
            return None

        def match(state: FlowState) -> Rule | None:
            rule = rules.match(state.facts(), flow)
            if rule is not None:
                self.rule_hits[rule.name] += 1
            return rule

        return match

    def _finish(
        self, flow: http.HTTPFlow, state: FlowState, passed: Passed | None, live: bool
    ) -> None:
        """Steps 3, 5 and 6: the rule, its rewrite (written back into the flow), the event.
        A flow whose rule acted as it passed (`passed`, batched with rules: _request,
        _rewrite_ahead) keeps that rule, and its event describes the server's response as it
        came."""
        inspector = self._inspector(live)
        match = self._matcher(flow, live)
        resp = None
        rewritten = False
        if passed is not None:
            ahead, before = passed
            rule = ahead.rule
            match = None if rule is None else lambda _state: rule
            if ahead.answered and rule is not None:
                inspector.answer(state, rule)
            if before is not None and flow.response is not None:
                resp, rewritten = before, True
        if resp is None and flow.response is not None:
            # the proxy's own answer to a preflight is in the event whole (changes.added)
            resp = wire_response(flow.response, whole=state.answered)
        ms = None
        start = flow.request.timestamp_start
        if flow.response is not None and flow.response.timestamp_start and start:
            ms = (flow.response.timestamp_start - start) * 1000
        done = inspector.complete(
            state,
            flow.id,
            resp,
            match=match,
            error_text=flow.error.msg if flow.error is not None else None,
            ms=ms,
        )
        if done.rewrite is not None and flow.response is not None and not rewritten:
            self._rewrite_flow(flow, done.rewrite)
        if state.c.is_preflight:
            self._preflight_flows[flow.id] = flow
        self._emit(done.event, flow)

    def _rewrite_flow(self, flow: http.HTTPFlow, rewrite: Rewrite) -> None:
        """Apply a rule's changes to the flow's response; a changed status's body goes at
        the response hook."""
        assert flow.response is not None
        if self._write_back(flow.response, rewrite):
            _remember(self._emptied, flow.id, None)

    @staticmethod
    def _write_back(out: http.Response, rewrite: Rewrite) -> bool:
        """Apply a rule's changes to the mitmproxy response: to all of its fields (the
        sequence decided on the decision fields, see _begin). Whether the status changed."""
        status = rewrite.status
        changed = status is not None and status != out.status_code
        if status is not None and changed:
            out.status_code = status
            out.reason = status_codes.RESPONSES.get(status, "")
            out.content = b""
        out.headers = http.Headers(rewritten_fields(out.headers.fields, rewrite))
        return changed

    # -- rules as flows pass, batched (see _update_batched) ------------------------------

    def _ahead(self, flow: http.HTTPFlow) -> FlowState | None:
        """A flow's state for its rule, before the flow's turn in the batch
        (Inspector.ahead), kept for that turn."""
        if not _has_origin(flow.request.headers.fields):
            return None
        headers = request_headers(flow.request, whole=False)
        state = self.live.ahead(seen(flow, self.keep_host_header, headers))
        if state is not None:
            _remember(self._passed, flow.id, (state, None))
        return state

    @guarded
    def _rewrite_ahead(self, flow: http.HTTPFlow) -> None:
        """Batched with rules, at the response's headers: the flow's rule rewrites the
        response now (the browser gets it changed); the batch makes the event from the
        server's response kept here."""
        if self.rules is None or not flow.live or flow.response is None:
            return
        passed = self._passed.get(flow.id)
        state = passed[0] if passed is not None else self._ahead(flow)
        if state is None:
            return
        rule = self.live.match(state, self._matcher(flow))
        if rule is None or state.answered:
            _remember(self._passed, flow.id, (state, None))  # the batch matches no rule again
            return
        before = wire_response(flow.response, whole=False)
        _remember(self._passed, flow.id, (state, before))
        rewrite = rewrite_response(rule, state.facts(), before.status, before.headers.fields)
        if rewrite is not None:
            self._rewrite_flow(flow, rewrite)

    # -- batched analysis (see _update_batched) ------------------------------------------

    def _queue(self, flow: http.HTTPFlow) -> None:
        """A flow's response headers (or its failure) came: it waits for the batch. Nothing
        else is done here: the batch does all of it, with its code and data in the CPU's
        caches (that, not less work, halves the cost: docs/benchmarks.md)."""
        self._batch.append((flow, flow.live))
        if len(self._batch) >= BATCH_MAX:
            self._run_batch()

    def _run_batch(self) -> None:
        """Analyse the flows that wait, in the order their responses (or failures) came: each
        one's whole sequence, as its hooks would have run it."""
        batch = self._batch
        if not batch:
            return
        self._batch = []
        for flow, live in batch:
            try:
                self._conclude(flow, live)
            except Exception as e:
                self._internal_error("the batched analysis", e)

    def _internal_error(self, where: str, e: Exception) -> None:
        self.internal_errors += 1
        logger.warning(
            f"cors_addon: internal error in {where} ({type(e).__name__}: {e});"
            " the flow is passed on unchanged.",
            exc_info=self.internal_errors <= 5,
        )

    # -- outputs -----------------------------------------------------------------------

    def _emit(self, event: Event, flow: http.HTTPFlow | None) -> None:
        if flow is not None:
            flow.metadata["cors"] = event
            if self.annotate:
                flow.comment = render.comment(event)
                marker = render.mark(event)
                if marker:
                    flow.marked = marker
        self.summary.add(event)
        cors = event["verdict"] != "not-cors"
        if cors or self.log is not None:
            line = encode_line(event)  # once, for the log and the recent events
            if self.log is not None:
                self.log.write_line(line)
            if cors:
                self.recent.add(event, line)
        if cors:
            failed = event["verdict"] in FAILED_VERDICTS
            level = logging.WARNING if failed else logging.INFO
            if level >= self.line_level:
                logger.log(level, render.terminal_line(event, self.color))

    def _emit_orphan(self, pending: Pending, event: Event) -> None:
        flow = self._preflight_flows.get(pending.flow)
        if flow is not None:
            flow.metadata["cors_orphan"] = event
            # The orphan's verdict is the preflight's final outcome: the comment states it
            # (the event keeps the preflight's own warnings, and says why it is an orphan).
            if self.annotate:
                flow.comment = render.comment(event)
                if event["verdict"] == "blocked":
                    flow.marked = render.MARK_BLOCKED
            master = getattr(ctx, "master", None)
            if master is not None:
                master.addons.trigger(hooks.UpdateHook([flow]))
        self._emit(event, None)

    # -- commands ------------------------------------------------------------------------

    @command.command("cors.explain")
    def explain(self, flows: Sequence[mflow.Flow]) -> str:
        """Explain, for each flow, why it was preflighted and what the browser decides."""
        self._run_batch()
        parts = []
        for f in flows:
            event = f.metadata.get("cors")
            if event is None:
                parts.append(f"{f.id}: no CORS event (no Origin header, or filtered out)")
                continue
            text = render.explanation(event)
            orphan = f.metadata.get("cors_orphan")
            if orphan is not None:
                text += "\n" + render.comment(orphan)
            parts.append(text)
        return "\n\n".join(parts)

    @command.command("cors.summary")
    def summarize(self) -> str:
        """Per page origin and target host: requests, preflights, blocks by error code, and
        the time spent in preflights."""
        self._run_batch()
        return self.summary.render()

    @command.command("cors.report")
    def report(self, path: types.Path) -> str:
        """Write the HTML report of the CORS traffic seen so far (the most recent events,
        at most recent.MAX_EVENTS) to path: one self-contained file, as analyze --html."""
        self._run_batch()
        try:
            written = self.recent.write_html(path)
        except OSError as e:
            raise exceptions.CommandError(
                f"cors.report: cannot write {path}: {e.strerror or e}"
            ) from e
        return f"CORS report of {self.recent.kept} events written to {written}"

    @command.command("cors.reload")
    def reload(self) -> None:
        """Reload the rules file now."""
        if self.rules_file is None:
            raise exceptions.CommandError("No rules file is loaded (set cors_rules).")
        error = self.rules_file.reload()
        if error is not None:
            raise exceptions.CommandError(
                f"Rules NOT reloaded, the previous rules stay active: {error}"
            )

    @command.command("cors.rules")
    def list_rules(self) -> str:
        """The active rules, in order, with how many flows each one matched."""
        if self.rules is None:
            return "No rules loaded."
        lines = [f"Rules from {self.rules.path}:"]
        for rule in self.rules.rules:
            state = "on " if rule.enabled else "off"
            lines.append(f"  [{state}] {rule.name}: {self.rule_hits[rule.name]} flows")
        return "\n".join(lines)
