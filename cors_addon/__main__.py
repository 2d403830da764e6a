"""`python -m cors_addon`. A Ctrl-C before a command has set up its own handling (during the
imports, say) ends it quietly with the shell's status for SIGINT, not with a traceback."""

import sys

try:
    # argparse names the program after argv[0]; as a module that is ".../__main__.py".
    sys.argv[0] = "python -m cors_addon"
    from .cli import main

    code = main()
except KeyboardInterrupt:
    code = 130
sys.exit(code)
