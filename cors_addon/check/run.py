"""One call through each chosen engine: the preflight if the engine sends one, the actual
request where the preflight passes, redirects followed as the engine follows them (each
redirect response CORS-checked, Origin tainted to "null" after a cross-origin hop, a
preflight's redirect refused), each step judged by that engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from ..engine import is_redirect
from . import engines
from . import sends
from .call import Call
from .client import Exchange
from .client import Exchanger
from .engines import Judged

MAX_REDIRECTS = 20

# How a call ended for one engine.
ALLOWED = "allowed"
BLOCKED = "blocked"
NOT_SENT = "not-sent"  # an unsafe actual request check did not send (no --send-unsafe)
ERROR = "error"  # no response: not a CORS decision


@dataclass(slots=True)
class Step:
    kind: str  # preflight | request
    exchange: Exchange
    judged: Judged


@dataclass(slots=True)
class EngineRun:
    engine: str
    call: Call
    steps: list[Step] = field(default_factory=list)
    outcome: str = ALLOWED
    note: str | None = None  # why the outcome is not-sent or error

    @property
    def final(self) -> Judged | None:
        return self.steps[-1].judged if self.steps else None

    def events(self) -> list[dict]:
        return [s.judged.event for s in self.steps]


def run_call(
    call: Call,
    chosen: tuple[str, ...],
    exchanger: Exchanger,
    *,
    send_unsafe: bool = True,
    flow_prefix: str = "check",
) -> list[EngineRun]:
    return [
        run_engine(engine, call, exchanger, send_unsafe=send_unsafe, flow_prefix=flow_prefix)
        for engine in chosen
    ]


def run_engine(
    engine: str,
    call: Call,
    exchanger: Exchanger,
    *,
    send_unsafe: bool = True,
    flow_prefix: str = "check",
) -> EngineRun:
    run = EngineRun(engine, call)
    hop = sends.start(call)
    credentials = call.credentialed

    def step(kind: str, ex: Exchange, **kw: object) -> Judged:
        out = ex.request
        judged = engines.judge(
            engine,
            wire=out.wire,
            credentials=credentials,
            resp=ex.response,
            error_text=ex.error,
            flow=f"{flow_prefix}.{engine}.{len(run.steps) + 1}",
            time=ex.time,
            ms=ex.ms,
            redirected_from=hop.first_url,
            initiator=call.origin if hop.first_url else None,
            **kw,  # type: ignore[arg-type]
        )
        run.steps.append(Step(kind, ex, judged))
        return judged

    while True:
        p = sends.plan(engine, call, hop)
        paired = None
        if p.preflight is not None:
            ex = exchanger.send(p.preflight, engine)
            judged = step("preflight", ex, announced=p.announced)
            if judged.network_error is not None:
                return _ended(run, ERROR, f"preflight: {judged.network_error}")
            if judged.verdict != "allowed":
                return _ended(run, BLOCKED)
            paired = judged.event["flow"]
        if not send_unsafe and not call.safe:
            why = f"{hop.method} not sent (unsafe method): pass --send-unsafe to send it"
            if p.preflight is not None:
                why = "the preflight passes; " + why
            return _ended(run, NOT_SENT, why)
        ex = exchanger.send(p.request, engine)
        judged = step("request", ex, announced=p.announced, paired_flow=paired)
        if judged.network_error is not None:
            return _ended(run, ERROR, judged.network_error)
        if judged.verdict != "allowed":
            return _ended(run, BLOCKED)
        resp = ex.response
        assert resp is not None
        if not is_redirect(resp) or resp.status not in sends.REDIRECT_STATUSES:
            return _ended(run, ALLOWED)
        target = sends.location(hop.url, resp.headers.get("location") or "")
        if target is None:
            return _ended(run, ERROR, "redirected to a URL that is not http or https")
        if hop.hops >= MAX_REDIRECTS:
            return _ended(run, ERROR, f"more than {MAX_REDIRECTS} redirects")
        announced = p.announced.headers if p.preflight is not None else None
        hop = sends.follow(call, hop, resp.status, target, announced)


def _ended(run: EngineRun, outcome: str, note: str | None = None) -> EngineRun:
    run.outcome = outcome
    run.note = note
    return run
