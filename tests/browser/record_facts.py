"""Record what each engine does for every catalogue scenario (e.g. after a browser upgrade).

    .venv/bin/python tests/browser/record_facts.py [--engine chromium|firefox|webkit ...]
        [--md FILE] [--write] [id ...]

Runs the scenarios (all, or the ids given) through plain mitmdump in each engine asked for
(default: all three), prints each observation as `E(...)` and marks those that differ from the
catalogue. --md writes a Markdown fact report (per engine: a table, where it differs from
Chromium, every console sentence); --write puts the observations into scenarios/*.py: Chromium's
as the positional `E(...)`, Firefox's and WebKit's as `firefox=` / `webkit=` (`SAME` when equal to
Chromium's). Review the diff: it is the catalogue of record.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenarios as catalogue
from ground_truth import run_scenario
from harness.chromium import find_chromium
from harness.env import BaseEnv
from harness.firefox import find_firefox
from harness.firefox_env import FirefoxEnv
from harness.session import BrowserEnv
from harness.webkit import find_minibrowser
from harness.webkit_env import WebKitEnv
from scenarios import ENGINES
from scenarios import FAILED
from scenarios import FF_FAILED
from scenarios import NET
from scenarios import SAME
from scenarios import SCENARIOS
from scenarios import WK_FAILED
from scenarios import XHR_FAILED
from scenarios import Expect
from scenarios import Same
from scenarios import Scenario

CONSTANTS = {
    FAILED: "FAILED",
    FF_FAILED: "FF_FAILED",
    WK_FAILED: "WK_FAILED",
    XHR_FAILED: "XHR_FAILED",
    NET: "NET",
}

ENV_FOR: dict[str, tuple[Callable[[], BaseEnv], Callable[[], str | None]]] = {
    "chromium": (BrowserEnv, find_chromium),
    "firefox": (FirefoxEnv, find_firefox),
    "webkit": (WebKitEnv, find_minibrowser),
}


def _lit(v: object) -> str:
    if isinstance(v, str):
        if v in CONSTANTS:
            return CONSTANTS[v]
        if '"' not in v and "\\" not in v and v.isprintable():
            return f'"{v}"'
        return repr(v)
    if isinstance(v, tuple):
        inner = ", ".join(_lit(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    return repr(v)


def expect_literal(e: Expect | Same) -> str:
    """`E(...)` source (one line) for an observation, omitting fields at their defaults."""
    if isinstance(e, Same):
        return "SAME"
    defaults = Expect(js="", seen=())
    fields = [f"js={_lit(e.js)}", f"seen={_lit(e.seen)}"]
    for name in ("preflight", "acrh", "blocked", "issues", "console", "deprecations"):
        val = getattr(e, name)
        if val != getattr(defaults, name):
            fields.append(f"{name}={_lit(val)}")
    return "E(" + ", ".join(fields) + ")"


def write_observations(path: Path, new: dict[str, dict[str, Expect | Same]]) -> int:
    """Set, per scenario id in `new`, the positional expectation (`chromium`) and the `firefox=`
    / `webkit=` keywords of its S(...) call in one module file. Returns the number of edits."""
    src = path.read_bytes()
    line_starts = [0]
    for line in src.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return line_starts[lineno - 1] + col

    edits: list[tuple[int, int, bytes]] = []
    for node in ast.walk(ast.parse(src)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "S"
            and len(node.args) >= 5
        ):
            continue
        sid = node.args[0]
        if not (isinstance(sid, ast.Constant) and sid.value in new):
            continue
        items = sorted(new[sid.value].items(), key=lambda kv: ENGINES.index(kv[0]))
        for engine, value in reversed(items):
            text = expect_literal(value).encode()
            if engine == "chromium":
                arg = node.args[4]
                start = offset(arg.lineno, arg.col_offset)
                end = offset(arg.end_lineno or arg.lineno, arg.end_col_offset or 0)
                edits.append((start, end, text))
                continue
            kw = next((k for k in node.keywords if k.arg == engine), None)
            if kw is not None:
                start = offset(kw.value.lineno, kw.value.col_offset)
                end = offset(kw.value.end_lineno or 0, kw.value.end_col_offset or 0)
                edits.append((start, end, text))
            else:
                last = (node.args + [k.value for k in node.keywords])[-1]
                at = offset(last.end_lineno or 0, last.end_col_offset or 0)
                edits.append((at, at, b", " + engine.encode() + b"=" + text))
    # Insertions at one offset (a new `firefox=` and `webkit=`) are applied in reverse, so the
    # one listed first ends up first.
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        src = src[:start] + text + src[end:]
    path.write_bytes(src)
    # The literals are single lines: let ruff lay them out like the rest of the file.
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "-q", str(path)], check=False)
    return len(edits)


def plan_writes(
    observed: dict[str, dict[str, Expect]],
) -> dict[str, dict[str, Expect | Same]]:
    """What to write per scenario: changed observations, `SAME` where an engine equals Chromium,
    and an engine that was `SAME` spelled out when Chromium's own observation changes under it."""
    by_id = {s.id: s for s in SCENARIOS}
    out: dict[str, dict[str, Expect | Same]] = {}
    ids = {sid for obs in observed.values() for sid in obs}
    for sid in ids:
        sc = by_id[sid]
        chromium_new = observed.get("chromium", {}).get(sid)
        chromium = chromium_new or sc.expect
        plan: dict[str, Expect | Same] = {}
        if chromium_new is not None and chromium_new != sc.expect:
            plan["chromium"] = chromium_new
        for engine in ("firefox", "webkit"):
            declared = getattr(sc, engine)
            obs = observed.get(engine, {}).get(sid)
            if obs is None:
                # not re-recorded: keep its facts when Chromium's change under a SAME
                if isinstance(declared, Same) and "chromium" in plan and sc.expect is not None:
                    plan[engine] = sc.expect
                continue
            value: Expect | Same = SAME if obs == chromium else obs
            if value != declared and not (isinstance(value, Same) and isinstance(declared, Same)):
                plan[engine] = value
        if plan:
            out[sid] = plan
    return out


def module_file_of(sid: str) -> Path:
    for mod in catalogue.MODULES:
        if any(s.id == sid for s in mod.SCENARIOS):
            return Path(mod.__file__ or "")
    raise KeyError(sid)


# -- the Markdown report -------------------------------------------------------------------------


def _cell(s: object) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def differences(chromium: Expect, other: Expect) -> list[str]:
    """Which facts differ, in words (the console and js texts always differ in wording)."""
    out = []
    for name in ("preflight", "acrh", "blocked", "seen"):
        a, b = getattr(chromium, name), getattr(other, name)
        if a != b:
            out.append(f"{name}: chromium {a!r} / this {b!r}")
    return out


def markdown(
    engine: str, version: str, rows: list[tuple[Scenario, Expect, float]], total: float
) -> str:
    out = [
        f"## {engine}: {version}",
        "",
        f"{len(rows)} scenarios, {total:.1f} s in total (browser start included).",
        "",
        "| id | wpt | preflight | ACRH | blocked | error | JS | seen |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sc, e, _ in rows:
        err = ", ".join(f"{c} {p!r}" if p else c for c, p in e.issues)
        if engine == "webkit" and e.blocked:
            err = e.console[0] if e.console else ""
        cells = (
            sc.id,
            sc.wpt or "",
            "yes" if e.preflight else "no",
            e.acrh or "",
            "yes" if e.blocked else "no",
            err,
            e.js,
            "; ".join(e.seen),
        )
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if engine != "chromium":
        out += [
            "",
            f"### {engine}: where the facts differ from Chromium's (same run's catalogue)",
            "",
        ]
        for sc, e, _ in rows:
            if sc.expect is None:
                continue
            diff = differences(sc.expect, e)
            if diff:
                out.append(f"- **{sc.id}** ({sc.desc}): " + "; ".join(diff))
    out += ["", f"### {engine}: console errors (exact, in order)", ""]
    for sc, e, _ in rows:
        if e.console:
            out.append(f"- **{sc.id}**")
            out.extend(f"  - `{t}`" for t in e.console)
    return "\n".join(out) + "\n"


def _outcome(e: Expect) -> str:
    """The script's outcome per attempt, engine wording aside: a status, or 'failed'."""
    parts = []
    for one in e.js.split(" | "):
        parts.append(one if one[:1].isdigit() else "failed")
    return " | ".join(parts)


def engine_differences_md() -> str:
    """From the declared catalogue (no browser): per engine, every scenario whose facts differ
    from Chromium's beyond wording, and every distinct console sentence."""
    out = ["# Where Firefox and WebKit differ from Chromium (declared catalogue)", ""]
    for engine in ("firefox", "webkit"):
        rows = []
        for sc in SCENARIOS:
            c, o = sc.expect, sc.expect_for(engine)
            if c is None or o is None or isinstance(getattr(sc, engine), Same):
                continue
            diff = differences(c, o)
            if _outcome(c) != _outcome(o):
                diff.append(f"script: chromium {_outcome(c)} / this {_outcome(o)}")
            if diff:
                rows.append(f"- **{sc.id}** ({sc.desc}): " + "; ".join(diff))
        out += [f"## {engine}: {len(rows)} scenarios differ", "", *rows, ""]
    for engine in ENGINES:
        seen: dict[str, str] = {}
        for sc in SCENARIOS:
            e = sc.expect_for(engine)
            for text in e.console if e else ():
                seen.setdefault(text, sc.id)
        out += [f"## {engine}: {len(seen)} distinct console lines (first scenario)", ""]
        out += [f"- `{t}` ({sid})" for t, sid in seen.items()]
        out.append("")
    return "\n".join(out)


# -- main ----------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--engine", action="append", choices=ENGINES, help="default: all three")
    ap.add_argument("--md", help="write a Markdown fact report here")
    ap.add_argument("--write", action="store_true", help="put the observations into scenarios/")
    ap.add_argument(
        "--differences",
        metavar="FILE",
        help="write where Firefox and WebKit differ from Chromium (declared facts; no browser)",
    )
    args = ap.parse_args()
    if args.differences:
        Path(args.differences).write_text(engine_differences_md())
        return 0
    engines = args.engine or list(ENGINES)
    todo = [s for s in SCENARIOS if not args.ids or s.id in args.ids]
    observed: dict[str, dict[str, Expect]] = {}
    report = ["# What each engine did, scenario by scenario (through plain mitmdump)", ""]
    for engine in engines:
        make_env, find = ENV_FOR[engine]
        if not find():
            print(f"no {engine} browser", file=sys.stderr)
            return 2
        rows: list[tuple[Scenario, Expect, float]] = []
        t0 = time.monotonic()
        with make_env() as env:
            print(f"# {engine}: {env.browser_version} ({env.user_agent})")
            for sc in todo:
                t = time.monotonic()
                try:
                    obs, _ = run_scenario(env, sc)
                except Exception as exc:  # report and go on: one stuck case is not the run
                    print(f"# {sc.id}: FAILED TO RUN: {exc!r}")
                    continue
                dt = time.monotonic() - t
                rows.append((sc, obs, dt))
                declared = sc.expect_for(engine)
                mark = "" if declared == obs else ("  # NEW" if declared is None else "  # CHANGED")
                print(f"# {engine} {sc.id} ({dt:.2f}s){mark}\n    {expect_literal(obs)},")
            version = env.browser_version
        total = time.monotonic() - t0
        print(f"# {engine}: {len(rows)} scenarios in {total:.1f} s")
        observed[engine] = {sc.id: e for sc, e, _ in rows}
        report.append(markdown(engine, version, rows, total))
    if args.md:
        Path(args.md).write_text("\n".join(report))
    if args.write:
        plan = plan_writes(observed)
        by_file: dict[Path, dict[str, dict[str, Expect | Same]]] = {}
        for sid, p in plan.items():
            by_file.setdefault(module_file_of(sid), {})[sid] = p
        n = sum(write_observations(path, p) for path, p in by_file.items())
        print(f"# rewrote {n} observations in scenarios/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
