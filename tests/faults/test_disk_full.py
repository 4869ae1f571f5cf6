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
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from support import DEMO_SNAPSHOT, ROOT
from support.diskfull import Filler, small_disk
from support.walls import WallProcess, site_config

from cockpit.data.store import DISK_FULL_CLEAR_AFTER, DISK_FULL_INCIDENT, Store
from cockpit.model import incidents


@pytest.fixture(autouse=True)
def fresh_incidents():
    incidents.reset()
    yield
    incidents.reset()


def batch(hour: int, n: int = 5000) -> pa.Table:
    t0 = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hour)
    return pa.table({"ts": pa.array([t0 + timedelta(seconds=i // 50) for i in range(n)],
                                    pa.timestamp("us", tz="UTC")),
                     "feed": ["f"] * n, "entity_id": [f"e{i % 50}" for i in range(n)],
                     "metric": ["aqi"] * n, "value": [float(i) for i in range(n)]})


def rows(store: Store) -> tuple[int, float]:
    return tuple(store.reader().execute("SELECT count(*), sum(value) FROM observations").fetchall()[0])


def disk_full_now() -> bool:
    return any(i.key == DISK_FULL_INCIDENT for i in incidents.current()[1])


@pytest.mark.parametrize("at", ["commit", "checkpoint"])
def test_a_full_disk_fails_the_write_keeps_the_data_and_writing_resumes(tmp_path, at):
    with small_disk(tmp_path / "disk", "24m") as mounted:
        if not mounted:  # no mount here: the same story in a child with RLIMIT_FSIZE
            child = subprocess.run([sys.executable, "-c", RLIMIT_CHILD, str(tmp_path), at],
                                   cwd=ROOT / "tests", capture_output=True, text=True, timeout=110)
            assert child.returncode == 0, child.stderr
            return
        story(tmp_path / "disk", mounted=True, at=at)


def story(folder, *, mounted: bool, at: str) -> None:
    store = Store(folder / "wall.duckdb")
    try:
        for h in range(4):
            store.ingest("f", observations=batch(h))
        before = rows(store)
        if at == "checkpoint":  # the next commit checkpoints: DuckDB writes the main file
            store._con.execute("SET checkpoint_threshold = '1KB'")
        filler = Filler(folder, mounted)
        filler.fill()
        try:
            with pytest.raises(duckdb.Error) as failed:
                store.ingest("f", observations=batch(10))
        finally:
            if not mounted:
                filler.free()  # the cap is on this process: lift it before anything else writes
        assert "No space left on device" in str(failed.value) or "File too large" in str(failed.value)
        assert disk_full_now()  # on the wall's status strip
        assert rows(store) == before  # earlier data intact and readable (after a reopen, if any)
        if mounted:
            with pytest.raises(duckdb.Error):  # still full: still failing, still reported
                store.ingest("f", observations=batch(11))
            assert disk_full_now()
            filler.free()
        store.ingest("f", observations=batch(12))  # space is back: the next write succeeds
        assert disk_full_now()  # one success may be luck on a nearly full disk ...
        for _ in range(DISK_FULL_CLEAR_AFTER - 1):
            store.set_checkpoint("other", "x", datetime.now(UTC))
        assert not disk_full_now()  # ... a few in a row clear the message
        assert rows(store)[0] == before[0] + 5000
    finally:
        store.close()
    # nothing lost: a fresh open sees the same
    with Store(folder / "wall.duckdb") as again:
        assert rows(again)[0] == before[0] + 5000


RLIMIT_CHILD = """
import sys
from pathlib import Path
from faults import test_disk_full as t
t.story(Path(sys.argv[1]), mounted=False, at=sys.argv[2])
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
            wait_for(disk_full_now, 20)
            time.sleep(0.5)
            assert runner.is_alive()
            assert rows(store)[0] >= backfilled[0]  # readable throughout
            filler.free()
            freed_at = datetime.now(UTC)
            wait_for(lambda: not disk_full_now(), 20)
            wait_for(lambda: store.reader().execute(
                "SELECT count(*) FROM observations WHERE ts > ?", [freed_at]).fetchall()[0][0] > 0, 20)
        finally:
            runner.stop()
            store.close()


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


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
            time.sleep(2)
            assert wall.proc.poll() is None  # the wall is still up
            filler.free()
            freed_at = datetime.now(UTC)
            wall.wait_for("writing again", 20)
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
