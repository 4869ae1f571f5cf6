"""A read-only wall beside the wall that writes the cache shows a copy of it (cockpit/data/mirror.py):
every copy is the cache as it stood at one commit, even while the writer commits and
checkpoints without pause, and a renewed copy shows the rows written since."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from cockpit.data.mirror import INCIDENT, CacheMirror, take_copy
from cockpit.data.store import Store, StoreError
from cockpit.model import incidents
from cockpit.shell.app import CacheLocked, open_shown_store, open_store

BATCH = 100
T0 = datetime(2026, 11, 28, tzinfo=UTC)


def batch(i: int) -> pa.Table:
    return pa.table({"ts": [T0 + timedelta(seconds=i)] * BATCH, "feed": ["f"] * BATCH,
                     "entity_id": [f"e{j}" for j in range(BATCH)], "metric": ["aqi"] * BATCH,
                     "value": [float(i)] * BATCH})


class Writer(threading.Thread):
    """The other wall: commits a batch of 100 rows after another, and checkpoints often (the
    moments the file itself changes under a copy)."""

    def __init__(self, store: Store) -> None:
        super().__init__(daemon=True)
        self.store, self.halt, self.batches = store, threading.Event(), 0

    def run(self) -> None:
        while not self.halt.is_set():
            self.store.ingest("f", observations=batch(self.batches), checkpoint="x", at=T0)
            self.batches += 1
            if self.batches % 7 == 0:
                self.store.checkpoint_file()


def count(store: Store) -> int:
    with store.reading() as cur:
        return cur.execute("SELECT count(*) FROM observations").fetchall()[0][0]


def test_copies_taken_while_the_writer_commits_and_checkpoints_are_whole(tmp_path):
    source = tmp_path / "wall.duckdb"
    writer_store = Store(source)
    writer = Writer(writer_store)
    writer.start()
    mirror = CacheMirror(source, every=3600)
    try:
        while writer.batches < 5:
            pass
        store = mirror.open()
        seen = [count(store)]
        for _ in range(15):
            assert mirror.refresh(), "a copy could not be taken"
            seen.append(count(store))
        assert all(n % BATCH == 0 for n in seen), seen  # never half a commit
        assert seen == sorted(seen) and seen[-1] > seen[0]  # each copy is newer
        assert len(list(mirror.folder.iterdir())) <= 2  # the old copies are deleted
        with pytest.raises(StoreError, match="read-only"):
            store.record_health("f", attempt=T0, success=True, error=None, rows=0, latency_ms=0)
    finally:
        writer.halt.set()
        writer.join()
        if mirror.store is not None:
            mirror.store.close()
        mirror.remove()
        writer_store.close()
    assert not mirror.folder.exists()


def test_a_read_only_wall_on_a_held_cache_gets_a_copy_a_writing_one_does_not(tmp_path):
    source = tmp_path / "wall.duckdb"
    with Store(source) as held:
        held.ingest("f", observations=batch(0), checkpoint="x", at=T0)
        with pytest.raises(CacheLocked, match=r"already running \(PID \d+\)"):
            open_store(source)
        with pytest.raises(CacheLocked):
            open_shown_store(source)  # a second writing wall is still refused
        store, mirror = open_shown_store(source, read_only=True)
        try:
            assert mirror is not None and mirror.holder_pid is not None
            assert store.read_only and store.path.parent == mirror.folder
            assert count(store) == BATCH
            held.ingest("f", observations=batch(1), checkpoint="x", at=T0)
            assert count(store) == BATCH  # a copy: not live until renewed
            assert mirror.refresh() and count(store) == 2 * BATCH
        finally:
            store.close()
            mirror.remove()


def test_a_copy_that_cannot_be_renewed_keeps_the_last_and_says_so(tmp_path):
    source = tmp_path / "wall.duckdb"
    incidents.reset()
    with Store(source) as held:
        held.ingest("f", observations=batch(0), checkpoint="x", at=T0)
        mirror = CacheMirror(source, every=3600)
        store = mirror.open()
        try:
            moved = source.rename(tmp_path / "elsewhere.duckdb")
            assert not mirror.refresh()
            assert count(store) == BATCH  # the last copy is still shown
            assert INCIDENT in {i.key for i in incidents.current()[1]}
            moved.rename(source)
            assert mirror.refresh()
            assert INCIDENT not in {i.key for i in incidents.current()[1]}
        finally:
            store.close()
            mirror.remove()
            incidents.reset()


def test_a_file_that_is_no_cache_is_not_copied_as_one(tmp_path):
    bogus = tmp_path / "wall.duckdb"
    bogus.write_bytes(b"not a database" * 1000)
    with pytest.raises(StoreError, match="could not take a consistent copy"):
        take_copy(bogus, tmp_path / "copy.duckdb", tries=2)


def test_a_cache_slow_to_copy_is_copied_less_often(tmp_path):
    mirror = CacheMirror(tmp_path / "wall.duckdb")
    try:
        mirror.copy_s = 0.4
        assert mirror.interval() == 60  # small cache: every minute
        mirror.copy_s = 6.0
        assert mirror.interval() == pytest.approx(120)  # the copy stays 5 % of the time
    finally:
        mirror.remove()
