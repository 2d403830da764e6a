"""`python -m cors_addon`. A Ctrl-C before a command has set up its own handling (during the
imports, say) ends it quietly with the shell's status for SIGINT, not with a traceback. Run by a
Python without mitmproxy (the checkout's directory makes the package importable anyway), it
says how to get the right one."""

import sys

try:
    # argparse names the program after argv[0]; as a module that is ".../__main__.py".
    sys.argv[0] = "python -m cors_addon"
    try:
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
    code = main()
except KeyboardInterrupt:
    code = 130
sys.exit(code)
