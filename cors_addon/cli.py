"""`python -m cors_addon`: mitmdump (or mitmweb) with the CORS addon loaded before the
dumper and the flow writers, on safe defaults. Every mitmdump option passes through.

    python -m cors_addon [mitmdump options]       the proxy, one line per CORS event
    python -m cors_addon web [mitmweb options]    the same in mitmweb's UI
    python -m cors_addon analyze FILE...          explain a HAR or flow file
    python -m cors_addon check URL --origin O     test an API's CORS as each browser would
    python -m cors_addon browser [...]            start a browser wired to the proxy
    python -m cors_addon demo                     a broken frontend/API pair to explore
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from mitmproxy import master
from mitmproxy.tools import cmdline
from mitmproxy.tools.dump import DumpMaster
from mitmproxy.tools.main import run

from .addon import CorsAddon
from .startup import loaded_line
from .typos import command_typo
from .typos import unknown_options

SUBCOMMANDS = ("web", "analyze", "check", "browser", "demo")
DEFAULT_RULES = "rules.toml"
PROG = "python -m cors_addon"
# mitmweb's default flow list, plus the addon's comment (its first line is the verdict)
WEB_COLUMNS = ("tls", "icon", "path", "method", "status", "size", "time", "comment")

logger = logging.getLogger(__name__)


def install(m: master.Master, addon: CorsAddon | None = None) -> CorsAddon:
    """Add the addon to a master, just before the flow writers and the dumper, so that
    what they save and print already carries its changes and annotations."""
    addon = addon or CorsAddon()
    m.addons.add(addon)
    chain = m.addons.chain
    chain.remove(addon)
    before = m.addons.get("save")
    chain.insert(chain.index(before) if before in chain else len(chain), addon)
    return addon


QUIET_CONNECTIONS = True


def quiet_connections() -> None:
    """Hide the "client connect" / "server disconnect" chatter (it would drown the CORS lines),
    unless -v asked for it."""
    if QUIET_CONNECTIONS:
        logging.getLogger("mitmproxy.proxy.server").setLevel(logging.WARNING)


def check_options(m: master.Master) -> None:
    """Stop on a misspelt cors_* option, warn about other unknown ones. Runs once every option
    is set and every -s script loaded: what is still deferred then, no addon knows."""
    errors, warnings = unknown_options(m.options.deferred, m.options.keys())
    if errors:
        for error in errors:
            print(f"{PROG}: {error}", file=sys.stderr)
        sys.exit(1)
    for warning in warnings:
        logger.warning(warning)


def freeze_start_up_objects() -> None:
    """Take what start-up left alive (mitmproxy's modules, options and addons: some 90,000
    objects, which live as long as the process) out of the garbage collector's view. Else
    every full collection scans them all again: under load that was 20 µs per request, 5
    after (docs/benchmarks.md). Only in the processes this launcher starts, never in a
    mitmproxy that loads the addon as a script."""
    gc.collect()
    gc.freeze()


def before_running(m: master.Master) -> None:
    """What both launchers do once every option is set, before their master runs."""
    check_options(m)
    logger.info(loaded_line(m.options))
    freeze_start_up_objects()


class CorsDumpMaster(DumpMaster):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install(self)
        quiet_connections()

    async def run(self) -> None:
        before_running(self)
        await super().run()


def _sets(argv: Sequence[str], option: str) -> bool:
    """Does the command line set this option (as a flag's --set form)?"""
    for i, arg in enumerate(argv):
        value = arg[len("--set=") :] if arg.startswith("--set=") else None
        if value is None and arg == "--set" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None and value.split("=", 1)[0] == option:
            return True
    return False


def _has_flag(argv: Sequence[str], *flags: str) -> bool:
    return any(a in flags or any(a.startswith(f + "=") for f in flags) for a in argv)


def default_args(argv: Sequence[str], web: bool = False) -> list[str]:
    """Our defaults, placed before the user's arguments so that theirs win."""
    extra: list[str] = []
    if not _has_flag(argv, "--listen-host") and not _sets(argv, "listen_host"):
        extra += ["--listen-host", "127.0.0.1"]
    if not web and not _has_flag(argv, "--flow-detail") and not _sets(argv, "flow_detail"):
        extra += ["--flow-detail", "0"]
    if web and not _sets(argv, "web_columns"):
        # a list option: one --set per column (a comma-separated value is one unknown column)
        for column in WEB_COLUMNS:
            extra += ["--set", f"web_columns={column}"]
    if not _sets(argv, "cors_rules") and os.path.isfile(DEFAULT_RULES):
        extra += ["--set", f"cors_rules={DEFAULT_RULES}"]
    return extra


def _mitmdump_filter_options(args: Any) -> dict[str, str]:
    if args.filter_args:
        v = " ".join(args.filter_args)
        return dict(save_stream_filter=v, readfile_filter=v, dumper_filter=v)
    return {}


def _verbose(argv: Sequence[str]) -> bool:
    return _has_flag(argv, "-v", "--verbose") or _sets(argv, "termlog_verbosity")


def _run(master_cls: Any, make_parser: Any, argv: list[str], extra: Any = None) -> None:
    """mitmproxy's run(), except that --help exits 0: mitmproxy turns argparse's exit after
    the help (0) into 1, like any error on the command line."""
    try:
        run(master_cls, make_parser, argv, extra)
    except SystemExit as e:
        shown_help = isinstance(e.__context__, SystemExit) and e.__context__.code == 0
        if e.code == 1 and shown_help:
            raise SystemExit(0) from None
        raise


def run_proxy(argv: Sequence[str]) -> None:
    global QUIET_CONNECTIONS
    QUIET_CONNECTIONS = not _verbose(argv)
    _run(CorsDumpMaster, cmdline.mitmdump, [*default_args(argv), *argv], _mitmdump_filter_options)


def run_web(argv: Sequence[str]) -> None:
    from mitmproxy.tools.web.master import WebMaster

    class CorsWebMaster(WebMaster):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            install(self)
            quiet_connections()

        async def run(self) -> None:
            before_running(self)
            await super().run()

        async def running(self) -> None:
            try:
                await super().running()
            except OSError as e:
                if "Web server failed to listen" not in str(e):
                    raise
                cause = e.__cause__
                reason = cause.strerror if isinstance(cause, OSError) else None
                host = self.options.web_host or "*"
                print(
                    f"{PROG} web: cannot serve the web UI on {host}:{self.options.web_port}"
                    f" ({reason or e}): is another mitmweb running? Pick another port with"
                    " --web-port.",
                    file=sys.stderr,
                )
                sys.exit(1)

    global QUIET_CONNECTIONS
    QUIET_CONNECTIONS = not _verbose(argv)
    _run(CorsWebMaster, cmdline.mitmweb, [*default_args(argv, web=True), *argv])


USAGE = __doc__ or ""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # before a command set up its own Ctrl-C handling
        return 130


def _main(args: list[str]) -> int:
    if args and args[0] in ("-h", "--help"):
        print(USAGE.strip() + "\n\nmitmdump options:\n")
    if args and args[0] in SUBCOMMANDS:
        sub, rest = args[0], args[1:]
        if sub == "web":
            run_web(rest)
            return 0
        if sub == "analyze":
            from .analyze.cli import main as analyze_main

            return analyze_main(rest)
        if sub == "check":
            from .check.cli import main as check_main

            return check_main(rest)
        if sub == "browser":
            from .launcher import main as browser_main

            return browser_main(rest)
        from .demo import main as demo_main

        return demo_main(rest)
    typo = command_typo(args, SUBCOMMANDS, PROG)
    if typo is not None:
        print(f"{PROG}: {typo}", file=sys.stderr)
        return 2
    run_proxy(args)
    return 0
