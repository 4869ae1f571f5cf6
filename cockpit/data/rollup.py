"""The observations' rollups: kept by the store in the transaction of every write, read by the
panel queries (:mod:`cockpit.panels.observations`) instead of days of raw rows.

Two tables of buckets per metric and district, ``obs_10m`` and ``obs_1h``, hold each bucket's
count and sum of the values (for averages) and its newest row's time, value and feed (for the
latest value). ``obs_rollup_state.until`` (a whole hour, or NULL) is the watermark: the rollups
hold every observation before it and none after it. A query reads the rollups for the whole
buckets of its window before the watermark and the raw rows for the rest (the window's ragged
edges and the newest hour), so its answer is the raw query's whatever state the rollups are in;
only its cost depends on them.

How the watermark moves, all inside the writing transaction:

* forward after an insert, over the whole hours that ended before the batch's newest row, once
  they are :data:`ROLL_LAG` or more, at most :data:`ROLL_MAX` per write so one write's cost
  stays bounded (the retention pass rolls
  whatever is left: :meth:`cockpit.data.store.Store.roll_up`);
* back when rows older than it were added (a late page, a backfill): the rollups from that hour
  on are dropped and rolled again;
* to NULL when the observations changed behind the store's back (a statement run through
  :meth:`Store.write <cockpit.data.store.Store.write>`, such as a snapshot import: the row count
  moved) — the rollups are dropped and rebuilt from the start;
* at a retention pass, the buckets of pruned hours go and the hour the cut falls in is rolled
  again.

No Qt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from cockpit.data.schema import ROLL_1H, ROLL_10M, ROLLUPS

HOUR = timedelta(hours=1)
#: Most of the history one write rolls up (the rest follows with the next writes).
ROLL_MAX = timedelta(hours=6)
#: A write rolls up once this much lies between the watermark and its newest row's hour, so a
#: feed's pages roll every other hour, not every hour (the queries read that much raw).
ROLL_LAG = timedelta(hours=2)
#: time_bucket's origin for minute and hour buckets; any midnight gives the same hours.
ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)


def floor(t: datetime, minutes: int) -> datetime:
    """The start of the ``minutes`` bucket that holds ``t`` (as DuckDB's time_bucket puts it)."""
    width = timedelta(minutes=minutes)
    return ORIGIN + ((t - ORIGIN) // width) * width


def until(con: duckdb.DuckDBPyConnection) -> datetime | None:
    rows = con.execute("SELECT until FROM obs_rollup_state").fetchall()
    return rows[0][0] if rows else None


#: "read the watermark from the table" (a caller that knows it passes it instead: the store's
#: writer keeps it between its own writes, saving a statement a page)
READ: object = object()


def _set(con: duckdb.DuckDBPyConnection, value: datetime | None) -> None:
    con.execute("UPDATE obs_rollup_state SET until = ?", [value])


def _drop_from(con: duckdb.DuckDBPyConnection, start: datetime | None) -> None:
    for table in ROLLUPS:
        if start is None:
            con.execute(f"DELETE FROM {table}")
        else:
            con.execute(f"DELETE FROM {table} WHERE bucket >= ?", [start])


def _roll(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> None:
    """Roll the observations in [lo, hi) (whole hours) into both tables."""
    con.execute(ROLL_10M.format(lo="?", hi="?"), [lo, hi])
    con.execute(ROLL_1H.format(lo="?", hi="?"), [lo, hi])


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the rollups (the observations changed in a way the store did not follow)."""
    _drop_from(con, None)
    _set(con, None)


def roll_forward(con: duckdb.DuckDBPyConnection, newest: datetime | None,
                 limit: timedelta | None = ROLL_MAX,
                 lag: timedelta | None = None, mark: datetime | None | object = READ,
                 ) -> datetime | None:
    """Move the watermark towards the hour of ``newest`` (None: the cache's newest row), at most
    ``limit`` (None: all the way), and only if it is ``lag`` or more behind. ``mark``: the
    watermark if the caller knows it. Returns the watermark."""
    if mark is READ:
        mark = until(con)
    if mark is None:
        first = con.execute("SELECT min(ts) FROM observations").fetchall()[0][0]
        if first is None:
            return None
        mark = floor(first, 60)
        _drop_from(con, None)  # nothing may be left behind a NULL watermark
        _set(con, mark)
    if newest is None:
        newest = con.execute("SELECT max(ts) FROM observations WHERE ts >= ?",
                             [mark]).fetchall()[0][0]
        if newest is None:
            return mark
    target = floor(newest, 60)
    if lag is not None and target - mark < lag:
        return mark
    if limit is not None:
        target = min(target, mark + limit)
    if target > mark:
        _roll(con, mark, target)
        _set(con, target)
        mark = target
    return mark


def after_insert(con: duckdb.DuckDBPyConnection, oldest: datetime, newest: datetime,
                 mark: datetime | None | object = READ) -> datetime | None:
    """Rows with times in [oldest, newest] were added in this transaction. ``mark``: the
    watermark if the caller knows it. Returns the watermark."""
    if mark is READ:
        mark = until(con)
    if mark is not None and oldest < mark:  # type: ignore[operator]
        start = floor(oldest, 60)
        _drop_from(con, start)
        _set(con, start)
        mark = start
    return roll_forward(con, newest, lag=ROLL_LAG, mark=mark)


def after_prune(con: duckdb.DuckDBPyConnection, before: datetime) -> None:
    """Every observation older than ``before`` was deleted: drop the buckets of the hours before
    it and roll the hour it falls in again."""
    mark = until(con)
    if mark is None:
        return
    start = floor(before, 60)
    for table in ROLLUPS:
        con.execute(f"DELETE FROM {table} WHERE bucket < ?", [start + HOUR])
    if mark > start:
        _roll(con, start, min(start + HOUR, mark))
