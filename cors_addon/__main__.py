import sys

from .cli import main

# argparse names the program after argv[0]; as a module that is ".../__main__.py".
sys.argv[0] = "python -m cors_addon"
sys.exit(main())
