"""`python -m cors_addon check`: make a cross-origin call the way each browser engine would,
against a real server, and say what each engine decides.

Exit status: 0 every chosen engine allows every call, 1 an engine blocks a call, 2 a usage
error, an unreadable input or a network error (no response: not a CORS decision).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from ..events import dumps
from .call import CREDENTIALS_MODES
from .call import Call
from .call import CallError
from .call import make_call
from .client import DEFAULT_RATE
from .client import DEFAULT_TIMEOUT
from .client import Exchanger
from .client import HttpClient
from .credentials import CredentialsError
from .credentials import ServerCredentials
from .credentials import load_credentials
from .engines import ENGINES
from .engines import EngineError
from .engines import parse_engines
from .output import junit
from .output import single_report
from .output import table
from .run import BLOCKED
from .run import ERROR
from .run import EngineRun
from .run import run_call

PROG = "python -m cors_addon check"
DESCRIPTION = """\
Make a cross-origin call the way each browser engine would (the preflight with that
engine's Access-Control-Request-Headers, then the request where the preflight passes,
redirects followed as the engine follows them) against a real server, and print each
engine's verdict, its error and the fix. Engines whose requests are identical share them.

With --from, re-check every distinct cross-origin call of a recording (the proxy's event
log, a HAR or a mitmproxy flow file) against the same servers or --base."""
EPILOG = """\
exit status: 0 every engine allows every call, 1 one blocks, 2 usage or network error.

examples:
  %(prog)s https://api.example/items --origin https://app.example
  %(prog)s https://api.example/items/1 --origin https://app.example --method PUT \\
      -H 'Content-Type: application/json' -H 'X-Api-Key: k' --credentials include
  %(prog)s --from cors.jsonl --base http://localhost:8000 --junit check.xml"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", nargs="?", metavar="URL", help="the URL the page calls")
    p.add_argument("--origin", help="the page's origin, e.g. https://app.example")
    p.add_argument("--method", "-X", default="GET", help="the call's method (default GET)")
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header the page sets (repeat); Cookie stands for the browser's cookies",
    )
    p.add_argument(
        "--credentials",
        choices=CREDENTIALS_MODES,
        default="omit",
        help="fetch()'s credentials mode (default omit; include = withCredentials)",
    )
    p.add_argument(
        "--browsers",
        default=",".join(ENGINES),
        metavar="LIST",
        help=f"engines to check, comma-separated (default {','.join(ENGINES)})",
    )
    p.add_argument(
        "--json", action="store_true", help="print the events (event-log schema) instead"
    )
    p.add_argument("--junit", metavar="FILE", help="also write the verdicts as JUnit XML")
    p.add_argument(
        "--server-fix",
        action="store_true",
        help="print the server configurations that make the blocked calls pass",
    )
    rec = p.add_argument_group("recorded calls")
    rec.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="re-check the cross-origin calls of an event log (JSONL), HAR or flow file",
    )
    rec.add_argument(
        "--base",
        action="append",
        default=[],
        metavar="URL|FROM=TO",
        help="send the calls to URL instead (every server), or FROM's calls to TO (repeat)",
    )
    rec.add_argument(
        "--send-unsafe",
        action="store_true",
        help="also send actual requests other than GET and HEAD (default: only their preflight)",
    )
    rec.add_argument(
        "--with-credentials-from",
        metavar="FILE",
        help="TOML file with the cookies and Authorization values to send (see docs/check.md)",
    )
    net = p.add_argument_group("network")
    net.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"at most this many requests a second (default {DEFAULT_RATE:g}; 0: no limit)",
    )
    net.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for each response (default {DEFAULT_TIMEOUT:g})",
    )
    net.add_argument(
        "--insecure", action="store_true", help="accept any TLS certificate (test servers)"
    )
    return p


class UsageError(Exception):
    pass


def _validate(args: argparse.Namespace) -> None:
    if args.source and args.url:
        raise UsageError("give a URL or --from FILE, not both")
    if not args.source and not args.url:
        raise UsageError("give the URL to check (with --origin), or --from FILE")
    if args.url and not args.origin:
        raise UsageError("--origin is required: the origin of the page that makes the call")
    if args.source:
        for flag, given in (
            ("--origin", args.origin),
            ("-H", args.header),
            ("--method", args.method != "GET"),
            ("--credentials", args.credentials != "omit"),
        ):
            if given:
                raise UsageError(f"{flag} describes one call; --from takes calls from FILE")
    elif args.base or args.send_unsafe:
        raise UsageError("--base and --send-unsafe go with --from FILE")
    if args.rate < 0:
        raise UsageError(f"--rate {args.rate:g}: must be 0 (no limit) or more")
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: must be more than 0")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = sys.stderr
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        _validate(args)
        chosen = parse_engines(args.browsers)
        credentials: dict[str, ServerCredentials] = {}
        if args.with_credentials_from:
            credentials = load_credentials(args.with_credentials_from)
        if args.source:
            from .recorded import Base
            from .recorded import RecordingError
            from .recorded import load_calls
            from .recorded import prepare

            try:
                bases = [Base.parse(b) for b in args.base]
                recorded, notes = load_calls(args.source)
            except RecordingError as e:
                raise UsageError(str(e)) from None
            calls = prepare(recorded, bases, credentials)
        else:
            call = make_call(args.url, args.origin, args.method, args.header, args.credentials)
            calls = [_with_credentials(call, credentials)]
            notes = []
    except (UsageError, CallError, EngineError, CredentialsError) as e:
        err.write(f"{PROG}: error: {e}\n")
        return 2

    exchanger = Exchanger(HttpClient(args.timeout, args.rate, args.insecure))
    results: list[list[EngineRun]] = []
    try:
        for n, call in enumerate(calls, 1):
            runs = run_call(
                call,
                chosen,
                exchanger,
                send_unsafe=not args.source or args.send_unsafe,
                flow_prefix=f"check.{n}",
            )
            results.append(runs)
            if args.json:
                for run in runs:
                    for event in run.events():
                        out.write(dumps(event) + "\n")
                out.flush()
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130

    side = err if args.json else out
    if args.source:
        _report_recorded(args.source, results, chosen, notes, exchanger, side)
    elif results and not args.json:
        side.write(single_report(results[0], exchanger.exchanges, chosen) + "\n")
    if args.server_fix:
        from .fixes import server_fix_text

        side.write("\n" + server_fix_text(exchanger.exchanges) + "\n")
    if args.junit:
        try:
            with open(args.junit, "w", encoding="utf-8") as f:
                f.write(junit(results))
        except OSError as e:
            err.write(f"{PROG}: error: cannot write {args.junit}: {e.strerror or e}\n")
            return 2

    runs = [r for rs in results for r in rs]
    errors = sorted({f"{r.call.server}: {r.note}" for r in runs if r.outcome == ERROR})
    for text in errors:
        err.write(f"{PROG}: network error: {text}\n")
    if errors:
        return 2
    return 1 if any(r.outcome == BLOCKED for r in runs) else 0


def _with_credentials(call: Call, credentials: dict[str, ServerCredentials]) -> Call:
    """`check URL` with --with-credentials-from: its cookie when the call includes
    credentials and -H Cookie gave none."""
    creds = credentials.get(call.server)
    if creds is None or creds.cookie is None or not call.credentialed or call.cookie:
        return call
    return replace(call, cookie=creds.cookie)


def _report_recorded(
    source: str,
    results: list[list[EngineRun]],
    chosen: tuple[str, ...],
    notes: list[str],
    exchanger: Exchanger,
    side: TextIO,
) -> None:
    if not results:
        side.write(f"{source}: no cross-origin call to check\n")
        return
    shared = sum(1 for ex in exchanger.exchanges if len(ex.engines) > 1)
    side.write(table(results, chosen) + "\n")
    facts = [
        f"{len(results)} calls from {source}",
        f"{len(exchanger.exchanges)} requests sent ({shared} shared by several engines)",
    ]
    side.write("\n" + "; ".join(facts) + "\n")
    for note in notes:
        side.write(f"note: {note}\n")
