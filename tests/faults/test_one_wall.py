"""One wall per cache file: a second wall says "already running (PID n)" and exits non-zero;
walls started with --read-only show the cache (a copy of it, when a wall is writing it), run no
feeds and write nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import duckdb
import pytest
from support import ROOT
from support.cachefiles import build_cache
from support.walls import WallProcess, site_config

from cockpit.data.store import wal_path
from cockpit.model import incidents


def site(tmp_path):
    return site_config(tmp_path, layouts=["overview"], interval=1)


def cockpit(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_second_wall_on_the_cache_says_already_running_with_the_first_walls_pid(tmp_path):
    cache, config = tmp_path / "wall.duckdb", site(tmp_path)
    first = WallProcess(config, cache)
    try:
        first.wait_for("first frame painted", 60)
        second = cockpit("run", "--config", str(config), "--cache", str(cache), "--exit-after", "2")
        assert second.returncode == 1
        assert f"already running (PID {first.proc.pid})" in second.stderr
        # DuckDB lets no other process open the file: a read-only wall shows a copy of it
        viewer = cockpit("run", "--read-only", "--config", str(config), "--cache", str(cache),
                         "--exit-after", "4")
        assert viewer.returncode == 0, viewer.stderr
        assert f"written by another cockpit (PID {first.proc.pid}); showing a copy" in viewer.stderr
        assert "first data painted" in viewer.stderr
        assert first.proc.poll() is None  # the first wall never noticed
    finally:
        first.stop()


@pytest.mark.slow
def test_two_read_only_walls_share_a_cache_and_write_nothing(tmp_path):
    cache, config = tmp_path / "wall.duckdb", site(tmp_path)
    rows = build_cache(cache)
    before = digest(cache)
    walls = [subprocess.Popen([sys.executable, "-m", "cockpit.cli", "run", "--read-only",
                               "--config", str(config), "--cache", str(cache), "--exit-after", "8"],
                              cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
             for _ in range(2)]
    outs = [w.communicate(timeout=110)[1] for w in walls]
    for wall, err in zip(walls, outs, strict=True):
        assert wall.returncode == 0, err
        assert "first data painted" in err and "read-only wall" in err
    assert digest(cache) == before  # not a byte written
    assert not wal_path(cache).exists()
    con = duckdb.connect(str(cache), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM observations").fetchall() == [(rows,)]
    finally:
        con.close()


def test_a_read_only_wall_says_so_and_acknowledging_does_not_fail(qtbot, tmp_path):
    """In this process: the header says 只读; the A key's acknowledgement is refused with a
    notice, and nothing is written."""
    from PySide6.QtWidgets import QApplication

    from cockpit.model.layout import load_layouts
    from cockpit.shell.app import READ_ONLY_NOTICE, open_store
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    cache = tmp_path / "wall.duckdb"
    build_cache(cache)
    with duckdb.connect(str(cache)) as con:
        open_alerts = con.execute("SELECT count(*) FROM alerts WHERE state = 'open'").fetchall()
    store = open_store(cache, read_only=True)
    layouts, _ = load_layouts(ROOT / "layouts")
    shell = WallShell(layouts[:1], [s.geometry() for s in QApplication.screens()], windowed=True)
    pump = DataPump(store, shell)
    pump.standing_notice = READ_ONLY_NOTICE
    try:
        pump.acknowledge(["a-1", "a-2"])
        header = shell.slots[0].headers()[0]
        assert header.notice.startswith("只读模式") and "告警确认未记录" in header.notice
        assert READ_ONLY_NOTICE in header.notice
        with pytest.raises(Exception, match="read-only"):
            store.record_health("demo", attempt=None, success=True, error=None, rows=0,
                                latency_ms=0)
        assert store.reader().execute(
            "SELECT count(*) FROM alerts WHERE state = 'open'").fetchall() == open_alerts
    finally:
        pump.stop()
        shell.close()
        store.close()
        incidents.reset()
