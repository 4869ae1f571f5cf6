"""A really full disk for the cache: a small tmpfs mounted for the test (we run as root, as CI
does), filled by a file until the kernel answers ENOSPC. Where mounting is not permitted the
same story runs with the file-size limit (RLIMIT_FSIZE: the kernel answers EFBIG) set on the
process that writes, so the test never silently skips. ``story`` is the disk-full case itself,
run in the test's process (a tmpfs) or in a child with the file-size limit."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cockpit.data.store import DISK_FULL_CLEAR_AFTER, DISK_FULL_INCIDENT, Store
from cockpit.model import incidents


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` on ``folder``; yields False (and a plain folder) if not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


class Filler:
    """Takes every free byte of a mounted small disk, or (no mount) caps the writer's file size."""

    def __init__(self, folder: Path, mounted: bool, pid: int | None = None) -> None:
        self.path = folder / "filler.bin"
        self.mounted = mounted
        self.pid = pid or os.getpid()

    def fill(self) -> None:
        if not self.mounted:
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
            return
        chunk = 1 << 20
        with self.path.open("wb", buffering=0) as fh:
            while chunk:
                try:
                    fh.write(b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    chunk //= 2
        assert os.statvfs(self.path.parent).f_bavail == 0

    def free(self) -> None:
        if not self.mounted:
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            return
        self.path.unlink()


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
