"""What the tests share, imported by name (``from support import NOW``; ``from support.walls
import WallProcess``): tests/ is on sys.path (``pythonpath`` in pyproject.toml). Fixtures are
not here but in the conftest.py files, where pytest finds them; no test module imports another.

- ``support.waiting``: ``eventually()``, a wait on a condition instead of a sleep
- ``support.walls``: ``cockpit run`` in a child process, site configs, the multi-PC broker
- ``support.supervised``: ``cockpit run --supervise`` in a child process
- ``support.feedkit``: the feed tests' clock, shared simulated city, scripted HTTP servers
- ``support.mqtt``: an anonymous Mosquitto for the MQTT feed tests
- ``support.panels``: panels built from the bundled layouts, as the wall builds them
- ``support.mapview``: scripts run in the map's page
- ``support.cachefiles``, ``support.diskfull``: real caches, real damage, a really full disk
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

#: The repository's root.
ROOT = Path(__file__).resolve().parents[2]
#: Test data kept in the repository (bad layouts, an old schema, a self-signed certificate).
FIXTURES = ROOT / "tests" / "fixtures"
DEMO_SNAPSHOT = ROOT / "assets" / "demo" / "snapshot"
#: The moment the demo data is replayed to in tests: fixed, so figures are repeatable.
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
#: The offscreen platform's three virtual screens (tests/conftest.py configures them).
SCREENS = [
    {"name": "WALL-1", "x": 0, "y": 0, "width": 1920, "height": 1080},
    {"name": "WALL-2", "x": 1920, "y": 0, "width": 1920, "height": 1080},
    {"name": "WALL-3", "x": 3840, "y": 0, "width": 1280, "height": 720},
]
