"""Disk full during an insert: the error reaches the wall (an incident, since feed_health
cannot be written either), earlier data stays intact and readable, and ingest resumes by
itself once space returns. DuckDB 2.0 here: a failed WAL write fails the commit and leaves the
connection usable; a failed checkpoint invalidates the whole database ("must be restarted"),
so the store reopens it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import duckdb
import pytest
from support import DEMO_SNAPSHOT, ROOT
from support.diskfull import Filler, disk_full_now, rows, small_disk, story
from support.waiting import eventually
from support.walls import WallProcess, site_config

from cockpit.data.store import Store
from cockpit.model import incidents


@pytest.fixture(autouse=True)
def fresh_incidents():
    incidents.reset()
    yield
    incidents.reset()


@pytest.mark.parametrize("at", ["commit", "checkpoint"])
def test_a_full_disk_fails_the_write_keeps_the_data_and_writing_resumes(tmp_path, at):
    with small_disk(tmp_path / "disk", "24m") as mounted:
        if not mounted:  # no mount here: the same story in a child with RLIMIT_FSIZE
            child = subprocess.run([sys.executable, "-c", RLIMIT_CHILD, str(tmp_path), at],
                                   cwd=ROOT / "tests", capture_output=True, text=True, timeout=110)
            assert child.returncode == 0, child.stderr
            return
        story(tmp_path / "disk", mounted=True, at=at)


RLIMIT_CHILD = """
import sys
from pathlib import Path
from support.diskfull import story
story(Path(sys.argv[1]), mounted=False, at=sys.argv[2])
"""


def test_the_runner_reports_a_full_disk_and_resumes_by_itself(tmp_path):
    """The real feed runner on a real full disk: ticks fail (their feed_health cannot be
    written either), the incident is up, the data already there stays, and rows arrive again
    once space returns. (Not "nothing at all is written meanwhile": a small commit can fit in
    what a failed one gave back.)"""
    from cockpit.data.ingest import FeedRunner
    from cockpit.data.replay import SnapshotReplay

    with small_disk(tmp_path / "disk", "32m") as mounted:
        if not mounted:
            pytest.fail("the runner-level case needs a tmpfs mount (covered in a child by "
                        "test_a_full_disk_fails_the_write_... with RLIMIT_FSIZE)")
        store = Store(tmp_path / "disk" / "wall.duckdb")
        feed = SnapshotReplay(DEMO_SNAPSHOT)
        feed.interval_s = 0.1
        landed = []
        runner = FeedRunner(store, [feed], on_batch=lambda name, n: landed.append(n))
        try:
            runner.start()
            assert runner.backfilled.wait(60)
            backfilled = rows(store)
            filler = Filler(tmp_path / "disk", mounted)
            filler.fill()
            eventually(disk_full_now, 20)
            time.sleep(0.5)  # the test: the runner lives on through failing ticks (interval 0.1 s)
            assert runner.is_alive()
            assert rows(store)[0] >= backfilled[0]  # readable throughout
            filler.free()
            freed_at = datetime.now(UTC)
            eventually(lambda: not disk_full_now(), 20)
            eventually(lambda: store.reader().execute(
                "SELECT count(*) FROM observations WHERE ts > ?", [freed_at]).fetchall()[0][0] > 0, 20)
        finally:
            runner.stop()
            store.close()


@pytest.mark.slow
def test_the_wall_stays_up_on_a_full_disk_and_catches_up(tmp_path):
    """A real wall process (`cockpit run`, offscreen) whose cache disk fills and empties."""
    config = site_config(tmp_path, layouts=["overview"], interval=1)
    with small_disk(tmp_path / "disk", "32m") as mounted:
        cache = tmp_path / "disk" / "wall.duckdb"
        wall = WallProcess(config, cache)
        try:
            wall.wait_for("first data painted", 60)
            filler = Filler(tmp_path / "disk", mounted, pid=wall.proc.pid)
            filler.fill()
            full_at = datetime.now(UTC)
            wall.wait_for("the disk is full", 20)
            time.sleep(2)  # the test: two ticks (interval 1 s) on a full disk, and the wall lives
            assert wall.proc.poll() is None  # the wall is still up
            filler.free()
            freed_at = datetime.now(UTC)
            wall.wait_for("writing again", 20)
            # two more ticks to catch up; the cache is read once the wall has stopped (one process
            # opens it), so this is a pause and not a condition
            time.sleep(2)
        finally:
            wall.stop()  # SIGTERM: the wall quits as it should
        assert wall.proc.returncode == 0, "\n".join(wall.lines[-20:])
        con = duckdb.connect(str(cache), read_only=True)
        try:
            after = con.execute("SELECT count(*) FROM observations WHERE ts > ?", [freed_at]).fetchall()
            before = con.execute("SELECT count(*) FROM observations WHERE ts < ?",
                                 [full_at]).fetchall()
        finally:
            con.close()
        assert after[0][0] > 0 and before[0][0] > 0
        os.sync()
