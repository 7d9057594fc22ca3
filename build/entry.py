"""The executable's entry point: the same as ``python -m tmdesk``."""

import sys

from tmdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
