"""``python -m cockpit``: the same program as the ``cockpit`` command (cockpit/cli.py)."""

import sys

from cockpit.cli import main

if __name__ == "__main__":
    sys.exit(main())
