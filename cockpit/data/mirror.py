"""A read-only wall beside a running one: its own copy of the cache, taken again each minute.

DuckDB lets no other process open a file that one process writes, not even read-only, so a
``--read-only`` wall on a cache another wall holds shows a private copy instead. The copy is
consistent because of how DuckDB writes: between checkpoints the file itself does not change
(new commits are appended to the WAL), so the file is copied, then the WAL, and the copy is kept
only if the file did not change meanwhile (size and modification time before and after). A WAL
copied in the middle of a commit loses only that commit (DuckDB checks each record when it
replays), and a WAL from before a checkpoint paired with the file after it is refused by DuckDB
itself ("the WAL checkpoint iteration does not match"): either way the copy is taken again.
The copy is opened read-only, like any ``--read-only`` cache; the original is only read.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from cockpit.data.store import SCHEMA_VERSION, Store, StoreError, wal_path
from cockpit.model import incidents

log = logging.getLogger(__name__)

REFRESH_S = 60.0  # how often the copy is taken again (the wall shows data at most this old)
#: a copy may take at most this share of the time between copies: a large cache is copied less
#: often rather than keeping the disk of the PC busy (0.5 s a copy: every 60 s; 6 s: every 120 s)
COPY_SHARE = 0.05
TRIES = 5
INCIDENT = "store.mirror"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def take_copy(source: Path, dest: Path, *, tries: int = TRIES) -> Path:
    """Copy ``source`` (and its WAL) to ``dest`` so that DuckDB opens it as the cache was at
    one commit; raises :class:`StoreError` naming the cause after ``tries`` attempts."""
    last = "the cache file changed while it was copied"
    for attempt in range(tries):
        if attempt:
            time.sleep(0.2 * attempt)
        before = _stamp(source)
        if before is None:
            raise StoreError(f"{source}: no cache file to copy")
        for p in (dest, wal_path(dest)):
            p.unlink(missing_ok=True)
        shutil.copyfile(source, dest)
        try:
            shutil.copyfile(wal_path(source), wal_path(dest))
        except FileNotFoundError:  # everything is in the file (just after a checkpoint)
            pass
        if _stamp(source) != before:
            continue  # a checkpoint wrote the file meanwhile
        try:
            con = duckdb.connect(str(dest), read_only=True)
            try:
                rows = con.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            finally:
                con.close()
        except duckdb.Error as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            continue
        if not rows or rows[0][0] != str(SCHEMA_VERSION):
            raise StoreError(f"{source}: schema version {rows[0][0] if rows else 'missing'}, "
                             f"this cockpit reads {SCHEMA_VERSION}")
        return dest
    raise StoreError(f"{source}: could not take a consistent copy of the cache in {tries} "
                     f"tries ({last})")


class CacheMirror(threading.Thread):
    """Keeps a read-only :class:`Store` on a fresh copy of ``source`` (taken every ``every``
    seconds, off the GUI thread); the copies live in a folder of their own, removed at stop."""

    def __init__(self, source: Path, *, every: float = REFRESH_S, holder_pid: int | None = None) -> None:
        super().__init__(name="cache-mirror", daemon=True)
        self.source = Path(source)
        self.every = every
        self.holder_pid = holder_pid
        self.folder = Path(tempfile.mkdtemp(prefix="cockpit-mirror-"))
        self._n = 0
        self._halt = threading.Event()
        self._failing = False
        self.taken_at: float | None = None  # time.time() of the copy on show
        self.copy_s = 0.0  # how long the last copy took
        self.store: Store | None = None

    def open(self) -> Store:
        """The first copy, opened (raises :class:`StoreError` if none can be taken)."""
        try:
            self.store = Store(self._take(), read_only=True)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self.store

    def _take(self) -> Path:
        self._n += 1
        started = time.perf_counter()
        path = take_copy(self.source, self.folder / f"copy-{self._n}.duckdb")
        self.copy_s = time.perf_counter() - started
        self.taken_at = time.time()
        return path

    def interval(self) -> float:
        """Seconds until the next copy: ``every``, longer for a cache slow to copy."""
        return max(self.every, self.copy_s / COPY_SHARE)

    def refresh(self) -> bool:
        """Take a new copy and show it; False (logged, on the wall's strip) if none could be
        taken this time: the copy on show stays."""
        assert self.store is not None
        old = self.store.path
        try:
            new = self._take()
            self.store.switch_file(new)
        except (StoreError, OSError, duckdb.Error) as exc:
            if not self._failing:
                log.warning("read-only wall: the copy of %s could not be renewed, still showing "
                            "the one of %s: %s", self.source,
                            time.strftime("%H:%M:%S", time.localtime(self.taken_at or 0)), exc)
                incidents.report(INCIDENT, level="warning")  # worded by the shell
            self._failing = True
            return False
        for p in (old, wal_path(old)):
            p.unlink(missing_ok=True)
        if self._failing:
            log.info("read-only wall: the copy of %s is renewed again", self.source)
            incidents.clear(INCIDENT)
        self._failing = False
        return True

    def run(self) -> None:
        while not self._halt.wait(self.interval()):
            self.refresh()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(30)

    def remove(self) -> None:
        """Delete the copies (after the store is closed)."""
        shutil.rmtree(self.folder, ignore_errors=True)
