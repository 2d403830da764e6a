"""`python -m cors_addon`.

A Ctrl-C before a command has set up its own handling ends it quietly with the shell's status
for SIGINT (130), not with a traceback. During the imports it is held until they are done: an
import interrupted half-way leaves objects whose cleanup prints tracebacks of its own. Run by a
Python without mitmproxy (the checkout's directory makes the package importable anyway), it
says how to get the right one.
"""

import signal
import sys

held: list[int] = []


def _hold(signum: int, frame: object) -> None:
    held.append(signum)


try:
    # argparse names the program after argv[0]; as a module that is ".../__main__.py".
    sys.argv[0] = "python -m cors_addon"
    previous = signal.signal(signal.SIGINT, _hold)
    try:
        if sys.argv[1:2] == ["analyze"]:
            # The offline analyzer needs no proxy: mitmproxy's master and tools stay unloaded.
            from .analyze.cli import main as analyze

            def main() -> int:
                return analyze(sys.argv[2:])
        else:
            from .cli import main
    except ModuleNotFoundError as e:
        if e.name != "mitmproxy":
            raise
        print(
            f"python -m cors_addon: mitmproxy is not installed for this Python"
            f" ({sys.executable}). Activate the virtualenv that has cors_addon"
            " (. .venv/bin/activate), or install it: pip install -e . (in the checkout),"
            " or run ./scripts/start, which does both.",
            file=sys.stderr,
        )
        sys.exit(1)
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt
    code = main()
except KeyboardInterrupt:
    code = 130
sys.exit(code)
