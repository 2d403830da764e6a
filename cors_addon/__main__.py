import sys

# argparse names the program after argv[0]; as a module that is ".../__main__.py".
sys.argv[0] = "python -m cors_addon"
if sys.argv[1:2] == ["analyze"]:
    # The offline analyzer needs no proxy: mitmproxy's master and tools stay unloaded.
    from .analyze.cli import main as analyze

    sys.exit(analyze(sys.argv[2:]))

from .cli import main  # noqa: E402

sys.exit(main())
