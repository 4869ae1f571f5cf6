"""DuckDB plumbing the store is built on: the gate that lets a checkpoint past the readers, the
WAL's file name, how a DuckDB error says the disk is full or the database was invalidated, and
the one SQL literal DuckDB cannot take as a parameter. No Qt.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


class ReadGate:
    """Lets readers' queries run side by side, and a checkpoint run alone.

    DuckDB refuses a CHECKPOINT while another connection's query is under way ("there are
    other write transactions active"), and its automatic checkpoints fail the same way, so a
    wall whose panels query without pause would never fold its WAL into the file: the soak saw
    the WAL reach 100 MB in a quarter of an hour while the file stayed empty. Panel queries
    pass :meth:`Store.reading`; :meth:`Store.checkpoint_file` waits for the running ones (one
    query each, milliseconds) and holds new ones back until it is done. A waiting checkpoint
    goes first, so a steady stream of queries cannot starve it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            try:
                while self._exclusive or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


#: What an I/O error says when the cache's disk is full (ENOSPC, EFBIG, EDQUOT).
_DISK_FULL = ("no space left on device", "file too large", "disk quota exceeded")
def wal_path(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside the cache file ``path``."""
    return path.with_name(path.name + ".wal")


def finish(cur: duckdb.DuckDBPyConnection) -> None:
    """End the result the cursor's last query left open, if any (see :meth:`Store.reading`)."""
    try:
        cur.fetchall()
    except duckdb.Error:  # no open result set, or the cursor was closed by a reopen
        pass


def is_disk_full(exc: BaseException) -> bool:
    return any(s in str(exc).lower() for s in _DISK_FULL)


def _is_invalidated(exc: BaseException) -> bool:
    """DuckDB invalidates the whole database after a fatal error (a checkpoint that could not
    write the file); every later call fails until the database is opened again."""
    return isinstance(exc, duckdb.FatalException) or "database has been invalidated" in str(exc)


def sql_literal(text: object) -> str:
    """``text`` as a single-quoted SQL string literal (quotes doubled).

    Only for the few places DuckDB takes no prepared parameter (``COPY ... TO 'file'``);
    everywhere else values go in as parameters.
    """
    return "'" + str(text).replace("'", "''") + "'"


_PID = re.compile(r"\(PID (\d+)\)")


def holder_pid(error_text: str) -> int | None:
    """The PID DuckDB's lock error names ("Conflicting lock is held in … (PID 9419)")."""
    m = _PID.search(error_text)
    return int(m.group(1)) if m else None


# -- the live cache's content digest (issue 16, finding 9; docs/cache.md#content-digests) -------
#: meta keys: ``digest:<table>`` per table, ``digest_duckdb`` the DuckDB version that computed
#: them (``hash()`` is DuckDB's internal hash, free to change between releases).
DIGEST_PREFIX = "digest:"
DIGEST_VERSION_KEY = "digest_duckdb"


def digest_query(table: str) -> str:
    """One scan of ``table``: its row count and the (order-independent) sum of its rows'
    ``hash()``. Reading every column also has DuckDB verify every block's checksum."""
    return f'SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "{table}" t'


def digest_value(rows: int, total: str) -> str:
    return f"{rows}:{total}"


def digested_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables a digest covers: every table of the cache but ``meta`` (where it is kept)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' AND table_name <> 'meta' ORDER BY 1").fetchall()]
