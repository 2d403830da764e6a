"""`python -m cors_addon analyze FILE...`: explain the CORS traffic of HAR and flow files.

Exit status: 0 when nothing was blocked, 1 when something was, 2 when an input (or the
rules file of --dry-run) cannot be read.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ..engine import BROWSER_CHOICES
from ..events import Event
from ..events import dumps
from ..htmlreport import HtmlReport
from ..rules import RulesError
from ..rules import RuleSet
from ..rules import load_rules
from . import reader
from .dryrun import DryRun
from .needs import Needs
from .progress import ProgressBar
from .replay import Emitted
from .replay import Replay
from .report import TerminalReport
from .report import count
from .serverfix import server_fixes
from .sources import REORDER_WINDOW
from .sources import Capture
from .sources import CaptureError
from .suggest import Suggestion

PROG = "python -m cors_addon analyze"
DESCRIPTION = """\
Explain the CORS traffic of HAR files (as Chrome, Firefox or mitmproxy export them) and
mitmproxy flow files, with the same engine and pairing as the live proxy: why each request
was preflighted, why the browser blocked it (its console text) and how to fix it."""
EPILOG = """\
exit status: 0 nothing blocked, 1 something blocked, 2 an input cannot be read.

examples:
  %(prog)s page.har                        the report, blocked first
  %(prog)s page.har --server-fix           plus the server configuration that fixes it
  %(prog)s page.har --suggest-rules r.toml rules that unblock it now, through the proxy
  %(prog)s page.har --dry-run rules.toml   how each rule would change each verdict
  %(prog)s flows.mitm --json > cors.jsonl  events, as the live proxy logs them
  %(prog)s page.har --html report.html     a report to look at"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="HAR (.har, .har.gz, .zhar) or flow file"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the events, one JSON object per line, in the live log's schema",
    )
    p.add_argument("--html", metavar="OUT", help="write the HTML report to OUT")
    p.add_argument(
        "--browser",
        choices=BROWSER_CHOICES,
        default="auto",
        help="whose CORS rules decide (default: auto, from each request's User-Agent)",
    )
    p.add_argument(
        "--suggest-rules",
        metavar="OUT.toml",
        help="write rules that unblock the blocked flows, proven on the capture by a dry run",
    )
    p.add_argument(
        "--dry-run",
        metavar="RULES.toml",
        help="show how each rule of RULES.toml changes each flow's verdict, and check that none"
        " makes an allowed flow worse (sends nothing)",
    )
    p.add_argument(
        "--server-fix",
        action="store_true",
        help="print the server configuration that makes the blocked flows pass",
    )
    return p


def _labels(paths: list[str]) -> list[str]:
    """Short names for flow ids: the file name, or the path when two files share a name."""
    names = [os.path.basename(p) for p in paths]
    return [p if names.count(n) > 1 else n for p, n in zip(paths, names, strict=True)]


class Analysis:
    """Everything one run collects while the events stream by."""

    def __init__(self, args: argparse.Namespace, rules: RuleSet | None) -> None:
        self.args = args
        self.rules = rules
        self.report = TerminalReport()
        self.needs = Needs()
        # --json prints the events: the report is not shown (its counts are kept), and what
        # the servers need is only for the options that say it
        self.want_report = not args.json
        self.want_needs = not args.json or args.server_fix or bool(args.suggest_rules)
        self.cors_events = 0
        self.blocked = 0
        self.html = HtmlReport("CORS report", ", ".join(args.files)) if args.html else None
        self.dry = DryRun(rules, args.browser) if rules is not None else None
        self.notes: list[str] = []
        self.out = sys.stdout
        self._lines: list[str] = []
        self._suggestion: Suggestion | None = None

    def capture(self, capture: Capture) -> None:
        bar = ProgressBar(
            capture.label, os.path.getsize(capture.path) if os.path.isfile(capture.path) else 0
        )
        replay = Replay(self.args.browser)
        if self.dry is not None:
            self.dry.new_capture()
        try:
            for ex in reader.exchanges(capture, bar):
                if self.dry is not None:
                    base, ruled = self.dry.feed(ex)
                    self._take(base, ruled)
                else:
                    emitted = replay.feed(ex)
                    self._take(emitted, emitted)
        finally:
            bar.close()
            if self.dry is not None:
                self._take(*self.dry.finish())
                unsent = self.dry.base.unsent
            else:
                flushed = replay.finish()
                self._take(flushed, flushed)
                unsent = replay.unsent
            self.flush()
        facts = [f"{capture.kind}, {count(capture.count, 'entry', 'entries')}"]
        if unsent:
            facts.append(
                f"{count(unsent, 'actual request')} that the browser never sent (stopped at or"
                " after its preflight) skipped"
            )
        self.notes.append(f"{capture.path}: {'; '.join(facts)}")
        if capture.late:
            self.notes.append(
                f"{capture.path}: {count(capture.late, 'entry', 'entries')} further out of order"
                f" than the reorder window ({REORDER_WINDOW} entries): their pairing may be off"
            )

    def _take(self, base: list[Emitted], shown: list[Emitted]) -> None:
        """`base`: events of the capture as it is; `shown`: what --json prints (the same,
        or with the rules of --dry-run applied)."""
        report = self.report if self.want_report else None
        needs, html = self.needs if self.want_needs else None, self.html
        for event, ex in base:
            verdict = event["verdict"]
            if verdict != "not-cors":
                self.cors_events += 1
                self.blocked += verdict == "blocked"
            if report is not None:
                report.add(event)
            if needs is not None:
                needs.add(event, ex)
            if html is not None:
                html.add(event)
        if self.args.json:
            for event, _ in shown:
                self._print_event(event)

    def _print_event(self, event: Event) -> None:
        lines = self._lines
        lines.append(dumps(event))
        if len(lines) >= 256:
            self.flush()

    def flush(self) -> None:
        """Write the events printed so far (they are written 256 at a time)."""
        if self._lines:
            self.out.write("\n".join(self._lines) + "\n")
            self._lines.clear()

    # -- outputs ---------------------------------------------------------------------------

    def suggestion(self) -> Suggestion:
        """The suggested rules, proven by a dry run over the captures (made once)."""
        if self._suggestion is None:
            self._suggestion = Suggestion(self.needs, self.args.files)
            if self._suggestion.rules:
                self._suggestion.prove(self.args.browser)
        return self._suggestion

    def text(self, color: bool) -> str:
        if not self.blocked:
            return "\n\n".join(p for p in ("\n".join(self.notes), self.report.render(color)) if p)
        suggestion = self.suggestion()
        parts = ["\n".join(self.notes), self.report.render(color, suggestion.hint)]
        if self.blocked:
            rules = suggestion.text()
            parts.append(
                "Unblock now through the proxy with these rules (python -m cors_addon"
                " --set cors_rules=FILE):\n\n" + rules.strip()
            )
            if not self.args.server_fix:
                parts.append("The server configuration that fixes them for good: --server-fix.")
        return "\n\n".join(p for p in parts if p)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    # A batch run that makes (almost) no reference cycles: what is loaded now is never
    # garbage, and the collector's passes over it took 13% of a large capture's time.
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    try:
        return _run(args)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _run(args: argparse.Namespace) -> int:
    err: TextIO = sys.stderr
    for option, out in (("--html", args.html), ("--suggest-rules", args.suggest_rules)):
        problem = _unwritable(out) if out else None
        if problem:  # found now, not after reading a large capture
            err.write(f"{PROG}: {option}: cannot write {out}: {problem}\n")
            return 2
    rules = None
    if args.dry_run:
        try:
            rules = load_rules(args.dry_run)
        except RulesError as e:
            err.write(f"{PROG}: --dry-run: {e}\n")
            return 2
    run = Analysis(args, rules)
    unreadable = 0
    for path, label in zip(args.files, _labels(args.files), strict=True):
        try:
            run.capture(Capture(path, label))
        except CaptureError as e:
            err.write(f"{PROG}: {e}\n")
            err.flush()
            unreadable += 1
        except KeyboardInterrupt:
            err.write(f"{PROG}: interrupted\n")
            return 130
    if unreadable == len(args.files) and not run.cors_events:
        return 2  # nothing was read: no report to give

    side = err if args.json else sys.stdout
    if not args.json:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        sys.stdout.write(run.text(color) + "\n")
    elif run.notes:
        err.write("\n".join(run.notes) + "\n")
    if args.server_fix:
        side.write("\n" + server_fixes(run.needs) + "\n")
    if run.dry is not None:
        side.write("\n" + run.dry.render(args.dry_run) + "\n")
    if args.suggest_rules:
        text = run.suggestion().text()
        if not _write(args.suggest_rules, text, err):
            return 2
        side.write(f"\nSuggested rules written to {args.suggest_rules}\n")
    if run.html is not None:
        if not _write(args.html, run.html.render(), err):
            return 2
        side.write(f"HTML report written to {args.html}\n")
    if unreadable:
        return 2
    return 1 if run.blocked else 0


def _unwritable(path: str) -> str | None:
    """Why `path` cannot be written, or None (a file made only to find out is removed)."""
    if os.path.isdir(path):
        return "it is a directory"
    existed = os.path.lexists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        return e.strerror or str(e)
    if not existed:
        os.unlink(path)
    return None


def _write(path: str, text: str, err: TextIO) -> bool:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        err.write(f"{PROG}: cannot write {path}: {e.strerror or e}\n")
        return False
    return True
