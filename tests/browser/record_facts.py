"""Re-record what Chromium does for every catalogue scenario (e.g. after a Chromium upgrade).

    /tmp/venv311/bin/python tests/browser/record_facts.py [--md FILE] [--write] [id ...]

Prints, per scenario, the observed `Expect(...)` and marks the ones that differ from the declared
expectation; --md writes a Markdown fact table; --write puts the observations into scenarios.py
(review the diff: it is the catalogue of record).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ground_truth import run_scenario
from harness.chromium import find_chromium
from harness.session import BrowserEnv
from scenarios import FAILED
from scenarios import NET
from scenarios import SCENARIOS
from scenarios import XHR_FAILED
from scenarios import Expect
from scenarios import Scenario

CONSTANTS = {FAILED: "FAILED", XHR_FAILED: "XHR_FAILED", NET: "NET"}


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


def expect_literal(e: Expect) -> str:
    """`E(...)` source (one line) for an observation, omitting fields at their defaults."""
    defaults = Expect(js="", seen=())
    fields = [f"js={_lit(e.js)}", f"seen={_lit(e.seen)}"]
    for name in ("preflight", "acrh", "blocked", "issues", "console", "deprecations"):
        val = getattr(e, name)
        if val != getattr(defaults, name):
            fields.append(f"{name}={_lit(val)}")
    return "E(" + ", ".join(fields) + ")"


def write_expectations(path: Path, observed: dict[str, Expect]) -> int:
    """Replace the `expect` argument of each S(...) in scenarios.py whose id was observed."""
    src = path.read_bytes()
    line_starts = [0]
    for line in src.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    edits = []
    for node in ast.walk(ast.parse(src)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "S"
            and len(node.args) >= 5
        ):
            continue
        sid = node.args[0]
        if not (isinstance(sid, ast.Constant) and sid.value in observed):
            continue
        arg = node.args[4]
        start = line_starts[arg.lineno - 1] + arg.col_offset
        end = line_starts[arg.end_lineno - 1] + arg.end_col_offset
        edits.append((start, end, expect_literal(observed[sid.value]).encode()))
    for start, end, text in sorted(edits, reverse=True):
        src = src[:start] + text + src[end:]
    path.write_bytes(src)
    # The literals are single lines: let ruff lay them out like the rest of the file.
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "-q", str(path)], check=False)
    return len(edits)


def _cell(s: object) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[tuple[Scenario, Expect, float]], total: float) -> str:
    out = [
        "# What Chromium 156 did, scenario by scenario (through plain mitmdump)",
        "",
        "Recorded by tests/browser/record_facts.py. Placeholders: {O} page origin, {A} page "
        "server 127.0.0.1, {A2} page server 127.0.0.2, {B} API 127.0.0.1, {X} API 127.0.0.2, "
        "{BS} HTTPS API, {C} = /c/<scenario id>. 'seen' = what the servers received.",
        "",
        f"{len(rows)} scenarios, {total:.1f} s in total (browser start included).",
        "",
        "| id | scenario | preflight | ACRH | blocked | corsError | failedParameter | JS | seen |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sc, e, _ in rows:
        out.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    sc.id,
                    sc.desc,
                    "yes" if e.preflight else "no",
                    e.acrh or "",
                    "yes" if e.blocked else "no",
                    ", ".join(i[0] for i in e.issues),
                    ", ".join(repr(i[1]) for i in e.issues),
                    e.js,
                    "; ".join(e.seen),
                )
            )
            + " |"
        )
    out += ["", "## One console sentence per corsError (first scenario that raised it)", ""]
    by_error: dict[str, tuple[str, str]] = {}
    for sc, e, _ in rows:
        for (name, _param), text in zip(e.issues, [t for t in e.console if t != NET], strict=False):
            by_error.setdefault(name, (sc.id, text))
    out += [f"- `{name}` ({sid}): `{text}`" for name, (sid, text) in sorted(by_error.items())]
    out += ["", "## Console errors (exact)", ""]
    for sc, e, _ in rows:
        if e.console or e.deprecations:
            out.append(f"- **{sc.id}**")
            out.extend(f"  - `{t}`" for t in e.console)
            out.extend(f"  - Audits deprecation issue: `{d}`" for d in e.deprecations)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--md", help="write a Markdown fact table here")
    ap.add_argument(
        "--write",
        action="store_true",
        help="rewrite the expectations in scenarios.py with what was observed",
    )
    args = ap.parse_args()
    if not find_chromium():
        print("no Chromium", file=sys.stderr)
        return 2
    todo = [s for s in SCENARIOS if not args.ids or s.id in args.ids]
    rows: list[tuple[Scenario, Expect, float]] = []
    t0 = time.monotonic()
    with BrowserEnv() as env:
        for sc in todo:
            t = time.monotonic()
            observed, _ = run_scenario(env, sc)
            dt = time.monotonic() - t
            rows.append((sc, observed, dt))
            mark = (
                "" if sc.expect == observed else ("  # NEW" if sc.expect is None else "  # CHANGED")
            )
            print(f"# {sc.id} ({dt:.2f}s){mark}\n    expect={expect_literal(observed)},")
    total = time.monotonic() - t0
    print(f"# {len(rows)} scenarios in {total:.1f} s")
    if args.md:
        Path(args.md).write_text(markdown(rows, total))
    if args.write:
        changed = {sc.id: e for sc, e, _ in rows if sc.expect != e}
        n = write_expectations(Path(__file__).with_name("scenarios.py"), changed)
        print(f"# rewrote {n} expectations in scenarios.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
