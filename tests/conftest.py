"""Shared fixtures. Qt runs offscreen on three virtual screens (the offscreen platform's screen
config), so wall tests see a multi-screen PC; tests that need no Qt never import it."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENS = [
    {"name": "WALL-1", "x": 0, "y": 0, "width": 1920, "height": 1080},
    {"name": "WALL-2", "x": 1920, "y": 0, "width": 1920, "height": 1080},
    {"name": "WALL-3", "x": 3840, "y": 0, "width": 1280, "height": 720},
]


def _offscreen_config() -> str:
    path = Path(os.environ.get("PYTEST_SCREEN_CONFIG_DIR", "/tmp")) / f"cockpit-screens-{os.getpid()}.json"
    screens = [{**s, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1} for s in SCREENS]
    path.write_text(json.dumps({"synchronizeWindowSizes": True, "windowFrameMargins": False,
                                "screens": screens}))
    atexit.register(path.unlink, missing_ok=True)  # walls started by tests have ended by then
    return str(path)


# Must be set before anything creates the QApplication (pytest-qt does it lazily).
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_offscreen_config()}"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
# The user's folders (logs, remembered layouts, default caches, tile cache) point into one
# throw-away folder per run, so tests and the walls they start never write into the home of
# whoever runs them, nor read what a real wall left there.
_USER_DIRS = tempfile.mkdtemp(prefix="cockpit-test-home-")
atexit.register(shutil.rmtree, _USER_DIRS, ignore_errors=True)
for _var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
    os.environ[_var] = os.path.join(_USER_DIRS, _var.lower())
sys.path.insert(0, str(ROOT))

DEMO_SNAPSHOT = ROOT / "assets" / "demo" / "snapshot"
#: The moment the demo data is replayed to in tests: fixed, so figures are repeatable.
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def qapp_args():
    """pytest-qt creates the QApplication with these; QtWebEngine's set-up must come first."""
    from widgets.map_view import prepare

    prepare()
    return [sys.argv[0]]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """A cache holding the demo snapshot replayed so that its last moment is NOW."""
    from cockpit.data.replay import SnapshotReplay
    from cockpit.data.store import Store

    store = Store(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    replay = SnapshotReplay(DEMO_SNAPSHOT)
    replay.backfill(store, NOW)
    store.record_health("demo", attempt=NOW, success=True, error=None, rows=0, latency_ms=1.0)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """A test that leaves a thread running fails (napari's rule): walls run for weeks."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.daemon]
    for t in leftover:
        t.join(timeout=5)
    leftover = [t.name for t in leftover if t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"
