"""Shared fixtures (pytest injects them by name; nothing imports this file). Qt runs offscreen on
three virtual screens (the offscreen platform's screen config), so wall tests see a
multi-screen PC; tests that need no Qt never import it. Helpers and constants the tests import
are in tests/support/."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from support import DEMO_SNAPSHOT, NOW, ROOT, SCREENS


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

# Property tests explore new examples on every developer run; CI (HYPOTHESIS_PROFILE=ci, set by
# .ci/run) draws the same examples every time, so a change lands or fails on its own merits.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))



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


# The feed tests' fixtures (tests/feeds/, and the feed faults in tests/faults/).

@pytest.fixture
def clock():
    """Real time, shifted back to the last step boundary: it moves only when the test moves it."""
    from support.feedkit import Clock

    return Clock()


@pytest.fixture
def sim(clock):
    """The simulator on loopback (30 minutes of history: 6 steps x 12 districts x 14 metrics)."""
    from support.feedkit import shared_world

    from cockpit.demo.simulator import SimServer, Simulator

    server = SimServer(Simulator(shared_world(clock, 30 * 60))).start()
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path: Path):
    """An empty cache (modules that need another kind of store define their own)."""
    from cockpit.data.store import Store

    with Store(tmp_path / "cache.duckdb") as s:
        yield s


@pytest.fixture
def scripted():
    """Starts HTTP servers on loopback answering as the test scripts them; stops them after."""
    from support.feedkit import ScriptedServer

    servers = []

    def start(script):
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()
