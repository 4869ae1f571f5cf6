"""Snapshot files of the cache: a folder written by DuckDB's ``EXPORT DATABASE`` as Parquet.

A snapshot is what a presenter carries to a briefing with no network. Reading one checks it
first (its schema version, the files and columns it must have) and refuses it with a message
naming the file and the problem, so a damaged snapshot never reaches the cache half-loaded.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from cockpit.store import SCHEMA_VERSION, TABLES, Store

#: Tables a snapshot carries (feed_health and checkpoints are the recording PC's own state).
SNAPSHOT_TABLES = ("observations", "entities", "alerts", "indicators")
#: Timestamp columns moved by a time shift.
TIME_COLUMNS = {
    "observations": ("ts",),
    "entities": ("updated_at",),
    "alerts": ("ts", "ack_at", "cleared_at"),
    "indicators": (),
}


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    schema_version: int
    rows: dict[str, int]
    first_ts: datetime | None
    last_ts: datetime | None
    feeds: tuple[str, ...]
    metrics: tuple[str, ...]


def _parquet(path: Path, table: str) -> Path:
    return path / f"{table}.parquet"


def export_snapshot(store: Store, out: str | Path, *, since: datetime | None = None,
                    until: datetime | None = None) -> Path:
    """Write the cache (or its ``[since, until]`` window) as a snapshot folder."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SnapshotError(f"{out}: folder exists and is not empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=out.parent))
    con = store.reader()
    try:
        for table in SNAPSHOT_TABLES:
            where = []
            params: list[object] = []
            ts_col = TIME_COLUMNS[table][0] if TIME_COLUMNS[table] else None
            if ts_col and since is not None:
                where.append(f"{ts_col} >= ?")
                params.append(since)
            if ts_col and until is not None:
                where.append(f"{ts_col} <= ?")
                params.append(until)
            clause = f" WHERE {' AND '.join(where)}" if where else ""
            order = f" ORDER BY {ts_col}" if ts_col else ""
            cols = ", ".join(TABLES[table])
            query = f"SELECT {cols} FROM {table}{clause}{order}"
            con.execute(f"COPY ({query}) TO '{_parquet(tmp, table)}' (FORMAT parquet)", params)
        con.execute(
            f"COPY (SELECT 'schema_version' AS key, '{SCHEMA_VERSION}' AS value) "
            f"TO '{_parquet(tmp, 'meta')}' (FORMAT parquet)")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def snapshot_info(path: str | Path) -> SnapshotInfo:
    """Check a snapshot folder and describe it; raises SnapshotError naming what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise SnapshotError(f"{path}: not a snapshot folder")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        meta = _parquet(path, "meta")
        try:
            row = con.execute(
                f"SELECT value FROM read_parquet('{meta}') WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.Error as exc:
            raise SnapshotError(f"{meta}: unreadable ({_first_line(exc)})") from None
        if row is None:
            raise SnapshotError(f"{meta}: no schema_version")
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise SnapshotError(
                f"{path}: snapshot schema version {version} is newer than this cockpit's "
                f"({SCHEMA_VERSION}); upgrade the cockpit to read it")
        rows: dict[str, int] = {}
        for table in SNAPSHOT_TABLES:
            file = _parquet(path, table)
            if not file.exists():
                raise SnapshotError(f"{file}: missing")
            try:
                desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{file}')").fetchall()
                rows[table] = con.execute(
                    f"SELECT count(*) FROM read_parquet('{file}')").fetchone()[0]
            except duckdb.Error as exc:
                raise SnapshotError(f"{file}: unreadable ({_first_line(exc)})") from None
            have = {d[0] for d in desc}
            missing = [c for c in TABLES[table] if c not in have]
            if missing:
                raise SnapshotError(f"{file}: missing column(s) {', '.join(missing)}")
        obs = _parquet(path, "observations")
        first, last = con.execute(f"SELECT min(ts), max(ts) FROM read_parquet('{obs}')").fetchone()
        feeds = tuple(r[0] for r in con.execute(
            f"SELECT DISTINCT feed FROM read_parquet('{obs}') ORDER BY 1").fetchall())
        metrics = tuple(r[0] for r in con.execute(
            f"SELECT DISTINCT metric FROM read_parquet('{obs}') ORDER BY 1").fetchall())
        return SnapshotInfo(path, version, rows, first, last, feeds, metrics)
    finally:
        con.close()


def import_snapshot(store: Store, path: str | Path, *, shift: timedelta = timedelta(0)) -> dict[str, int]:
    """Load a checked snapshot into the cache, moving every timestamp by ``shift``.

    One transaction: a snapshot that fails half-way leaves the cache as it was.
    """
    info = snapshot_info(path)
    seconds = shift.total_seconds()

    def load(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        counts = {}
        for table in SNAPSHOT_TABLES:
            cols = []
            for c in TABLES[table]:
                if c in TIME_COLUMNS[table]:
                    cols.append(f"{c} + to_microseconds(CAST({int(seconds * 1e6)} AS BIGINT)) AS {c}")
                else:
                    cols.append(c)
            verb = "INSERT INTO" if table == "observations" else "INSERT OR REPLACE INTO"
            con.execute(f"{verb} {table} ({', '.join(TABLES[table])}) SELECT {', '.join(cols)} "
                        f"FROM read_parquet('{_parquet(info.path, table)}')")
            counts[table] = info.rows[table]
        return counts

    try:
        return store.write(load)
    except duckdb.Error as exc:
        raise SnapshotError(f"{info.path}: could not be loaded ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
