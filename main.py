"""Start the cockpit: ``python main.py`` with no arguments runs the offline demo wall."""

import sys

from cockpit.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["demo"]))
