"""What `check` prints: per engine for one call, a call x engine table for recorded calls,
and JUnit XML. Everything reads EngineRuns (and their Judged steps), nothing else."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ..engine import Reason
from ..engine import describe_reasons
from .client import Exchange
from .engines import Judged
from .run import ALLOWED
from .run import BLOCKED
from .run import ERROR
from .run import NOT_SENT
from .run import EngineRun

_CELL = {ALLOWED: "allowed", BLOCKED: "BLOCKED", NOT_SENT: "not sent", ERROR: "ERROR"}


def _engines(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _because(judged: Judged) -> str:
    reasons = judged.event["preflight"]["reasons"]
    return describe_reasons(tuple(Reason(r["code"], r["detail"]) for r in reasons))


def exchange_lines(
    exchanges: Sequence[Exchange], chosen: Sequence[str], runs: Sequence[EngineRun] = ()
) -> list[str]:
    """The requests sent, each once, with the engines that sent it (and, for a preflight,
    why they sent it)."""
    first = {}
    for run in runs:
        for step in run.steps:
            first.setdefault(step.exchange.id, step)
    lines = []
    for ex in exchanges:
        out = ex.request
        who = "all engines" if len(chosen) > 1 and set(ex.engines) == set(chosen) else None
        who = who or _engines(ex.engines)
        answer = f"{ex.response.status}" if ex.response is not None else f"no response: {ex.error}"
        lines.append(f"  #{ex.id} {out.method} {out.url}  ({who}) -> {answer}")
        for name in ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"):
            value = out.get(name)
            if value is not None:
                lines.append(f"       {name}: {value}")
        step = first.get(ex.id)
        if step is not None and step.kind == "preflight":
            lines.append(f"       preflighted because: {_because(step.judged)}")
    return lines


def engine_block(run: EngineRun) -> list[str]:
    """One engine's verdict on a call: the verdict, the error in its words and the fix."""
    final = run.final
    head = f"{run.engine:<9} {_CELL[run.outcome]}"
    if run.outcome == BLOCKED and final is not None:
        at = " at the preflight" if run.steps[-1].kind == "preflight" else ""
        head += f"{at}: {final.code}"
    lines = [head]
    if run.outcome == BLOCKED and final is not None:
        for sentence in final.sentences:
            lines.append(f"  console: {sentence}")
        if not final.sentences and final.detail:
            lines.append(f"  why:     {final.detail}")
        if final.fix:
            lines.append(f"  fix:     {final.fix}")
    elif run.note:
        lines.append(f"  {run.note}")
    warnings = sorted({w for s in run.steps for w in s.judged.warnings})
    if warnings:
        lines.append(f"  warnings: {', '.join(warnings)}")
    return lines


def single_report(
    runs: Sequence[EngineRun], exchanges: Sequence[Exchange], chosen: Sequence[str]
) -> str:
    call = runs[0].call
    lines = [f"check {call.label()}", "", "Sent:"]
    lines += exchange_lines(exchanges, chosen, runs)
    lines.append("")
    for run in runs:
        lines += engine_block(run)
    lines += [f"note: {n}" for n in call.notes]
    return "\n".join(lines)


def table(results: Sequence[Sequence[EngineRun]], chosen: Sequence[str]) -> str:
    """Calls x engines, then the details of every call that did not pass everywhere."""
    labels = [runs[0].call.label() for runs in results]
    width = max([len("call"), *(len(x) for x in labels)])
    cols = [max(len(e), 9) for e in chosen]
    head = "call".ljust(width) + "".join(f"  {e:<{w}}" for e, w in zip(chosen, cols, strict=True))
    lines = [head, "-" * len(head)]
    for label, runs in zip(labels, results, strict=True):
        cells = "".join(f"  {_CELL[r.outcome]:<{w}}" for r, w in zip(runs, cols, strict=True))
        lines.append(label.ljust(width) + cells)
    details = []
    for runs in results:
        if all(r.outcome == ALLOWED for r in runs):
            continue
        details.append("")
        details.append(runs[0].call.label())
        for run in runs:
            details += ["  " + line for line in engine_block(run)]
        details += [f"  note: {n}" for n in runs[0].call.notes]
    return "\n".join(lines + details)


def junit(results: Sequence[Sequence[EngineRun]], name: str = "cors_addon check") -> str:
    """One test case per call and engine: blocked is a failure, no response an error, an
    unsafe request not sent a skip."""
    cases = [run for runs in results for run in runs]
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(cases)),
        failures=str(sum(r.outcome == BLOCKED for r in cases)),
        errors=str(sum(r.outcome == ERROR for r in cases)),
        skipped=str(sum(r.outcome == NOT_SENT for r in cases)),
    )
    for run in cases:
        ms = sum(s.exchange.ms or 0.0 for s in run.steps)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=run.call.label(),
            name=run.engine,
            time=f"{ms / 1000:.3f}",
        )
        final = run.final
        if run.outcome == BLOCKED and final is not None:
            failure = ET.SubElement(case, "failure", message=final.code or "blocked", type="cors")
            failure.text = "\n".join([*final.sentences, final.detail or "", f"fix: {final.fix}"])
        elif run.outcome == ERROR:
            ET.SubElement(case, "error", message=run.note or "no response", type="network")
        elif run.outcome == NOT_SENT:
            ET.SubElement(case, "skipped", message=run.note or "not sent")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
