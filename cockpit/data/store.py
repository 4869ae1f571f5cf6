"""The cockpit store: owns the DuckDB cache file (its schema and migrations: :mod:`cockpit.data.schema`).

Only the store writes. Writes go through one connection under one lock (the single writer);
every other thread reads through its own cursor from :meth:`Store.reader`, because sharing one
DuckDB connection across threads fails with "connection is busy". Batches go in as Arrow tables,
never row by row. No Qt here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:  # pyarrow loads with the first batch, not before the wall's first frame
    import pyarrow as pa

from cockpit.data import rollup, schema
from cockpit.data.duck import (  # noqa: F401 (re-exported: callers take them from the store)
    DIGEST_PREFIX,
    DIGEST_VERSION_KEY,
    ReadGate,
    _is_invalidated,
    digest_query,
    digest_value,
    digested_tables,
    finish,
    holder_pid,
    is_disk_full,
    sql_literal,
    wal_path,
)
from cockpit.data.schema import (  # noqa: F401 (re-exported: the store's tables)
    MIGRATIONS,
    OBSERVATION_KEY,
    SCHEMA_VERSION,
    TABLES,
    column_types,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

#: DuckDB's buffer pool keeps every block it has read (by default up to 80% of RAM), so a wall
#: that runs for weeks grows with its cache file; the soak benchmark showed it. Capped here:
#: the wall's queries are small, and DuckDB spills the rare big one (a snapshot import) to disk.
MEMORY_LIMIT = "512MB"
CHECKPOINT_TRIES = 5


class StoreError(RuntimeError):
    """The cache file cannot be used (newer schema, not a cockpit cache, locked)."""


class ReadOnlyStore(StoreError):
    """A write was asked of a cache opened read-only (``--read-only``): nothing was written."""


DISK_FULL_INCIDENT = "store.disk_full"
#: Writes that must succeed in a row before the disk-full incident clears: on a nearly full
#: disk a small commit can still fit now and then (DuckDB gives back what a failed one took),
#: and the wall's strip should not flicker with each.
DISK_FULL_CLEAR_AFTER = 3


@dataclass(frozen=True)
class Health:
    """A feed's attempt, for ``feed_health`` (see :meth:`Store.record_health`); handed to
    :meth:`Store.ingest` it is written in the page's own transaction, so a tick is one commit."""

    attempt: datetime
    latency_ms: float
    success: bool = True
    error: str | None = None
    partial: bool = False
    #: Rows to add to the feed's count; None: the rows this ingest added.
    rows: int | None = None


def _write_health(con: duckdb.DuckDBPyConnection, feed: str, h: Health, rows: int) -> None:
    """The feed's health row: an UPDATE, and an INSERT only the first time (DuckDB's
    ``INSERT … ON CONFLICT`` costs five times an UPDATE of the row, and this runs every tick)."""
    if not con.execute(
            "UPDATE feed_health SET last_attempt = ?, "
            "last_success = coalesce(?, last_success), last_error = ?, rows = rows + ?, "
            "latency_ms = ?, partial = ? WHERE feed = ?",
            [h.attempt, h.attempt if h.success else None, h.error, rows, h.latency_ms,
             bool(h.partial), feed]).fetchall()[0][0]:
        con.execute("INSERT INTO feed_health VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [feed, h.attempt, h.attempt if h.success else None, h.error, rows,
                     h.latency_ms, bool(h.partial)])


def _write_checkpoint(con: duckdb.DuckDBPyConnection, feed: str, checkpoint: str,
                      at: datetime | None) -> None:
    """The feed's checkpoint (an UPDATE, as :func:`_write_health`)."""
    if not con.execute("UPDATE feed_checkpoints SET checkpoint = ?, updated_at = ? "
                       "WHERE feed = ?", [checkpoint, at, feed]).fetchall()[0][0]:
        con.execute("INSERT INTO feed_checkpoints VALUES (?, ?, ?)", [feed, checkpoint, at])


#: Batches up to this many rows are checked for repeated keys in Arrow before the transaction
#: (0.5 ms for 2,000 rows, where DISTINCT ON cost 3 ms and the statement below 1.5 ms); bigger
#: ones by a statement that compares key hashes (the two cost the same at 50,000 rows).
SCREEN_ABOVE = 20_000


def _repeats(rows: pa.Table) -> int:
    """How many of the batch's rows repeat an earlier row's key (:data:`OBSERVATION_KEY`)."""
    return rows.num_rows - rows.select(list(OBSERVATION_KEY)).group_by(
        list(OBSERVATION_KEY)).aggregate([]).num_rows


def _last_per_key(rows: pa.Table, key: str) -> pa.Table:
    """The batch with only the last row of each ``key``: a later row is the newer state of the
    entity or alert (several pages written together, or a page listing one twice). DuckDB
    would keep the first of a statement's repeats and drop the others without a word."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = rows.column(key)
    if pc.count_distinct(ids, mode="all").as_py() == rows.num_rows:
        return rows
    last = pa.table({"k": ids, "i": pa.array(range(rows.num_rows), pa.int64())}).group_by(
        "k").aggregate([("i", "max")]).column("i_max")
    return rows.take(pc.take(last, pc.sort_indices(last)))  # in the batch's order


def _span(rows: pa.Table) -> list[datetime] | None:
    """The batch's first and last ``ts`` from Arrow (UTC), or None if it is not a timestamp."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "ts" not in rows.column_names or not pa.types.is_timestamp(rows.schema.field("ts").type):
        return None
    lo_hi = pc.min_max(rows.column("ts")).as_py()
    out = []
    for t in (lo_hi["min"], lo_hi["max"]):
        if t is None:
            return None
        out.append(t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC))
    return out


class Store:
    def __init__(self, path: str | Path, *, read_only: bool = False,
                 memory_limit: str = MEMORY_LIMIT) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._generation = 0  # bumped when the connection is reopened (reader cursors follow)
        self._broken: BaseException | None = None  # set while a reopen keeps failing
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only,
                                       config={"memory_limit": memory_limit})
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "lock" in first.lower():
                pid = holder_pid(first)
                raise StoreError(f"{self.path} is in use by another cockpit: already running "
                                 f"({f'PID {pid}' if pid else first})") from None
            raise StoreError(f"{self.path}: cannot open the cache ({first})") from None
        self.memory_limit = memory_limit
        self._gate = ReadGate()
        self._write_lock = threading.RLock()
        self._disk_full = False
        self._ok_streak = 0
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursor_lock = threading.Lock()
        self._closed = False
        #: What the writer knows of the cache between its own ingests, so a page costs fewer
        #: statements: each feed's newest observation time (an upper bound: a page wholly after
        #: it cannot repeat a stored row, so it needs no anti-join) and the rollups' watermark
        #: (``rollup.READ``: not known). Forgotten by any other write that may move them
        #: (:meth:`_forget`), and after a failed one.
        self._newest: dict[str, datetime] = {}
        self._mark: datetime | None | object = rollup.READ
        try:
            self._con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                self.migrate()
                self._clear_digest()
            elif self.schema_version() != SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {self.schema_version()}, "
                                 f"this cockpit reads {SCHEMA_VERSION}")
        except BaseException:
            self._con.close()  # an unusable file must not stay open (and locked) behind us
            raise

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        try:
            return schema.version_of(self._con, self.path)
        except schema.SchemaError as exc:
            raise StoreError(str(exc)) from None

    def migrate(self) -> int:
        with self._write_lock:
            try:
                return schema.migrate(self._con, self.path)
            except schema.SchemaError as exc:
                raise StoreError(str(exc)) from None

    # -- readers --------------------------------------------------------------------------
    def reader(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor (created on first use, and again after a reopen)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "generation", -1) != self._generation:
            if self._broken is not None:
                self._try_reopen()
            with self._cursor_lock:
                cur = self._con.cursor()
                cur.execute("SET TimeZone = 'UTC'")
                self._cursors.append(cur)
            self._local.cursor = cur
            self._local.generation = self._generation
        return cur

    # -- recovering from a fatal error ------------------------------------------------------
    def _connect(self, path: str | Path) -> duckdb.DuckDBPyConnection:
        """A new connection to ``path`` as this store opens it (mode, memory limit, UTC)."""
        con = duckdb.connect(str(path), read_only=self.read_only,
                             config={"memory_limit": self.memory_limit})
        try:
            con.execute("SET TimeZone = 'UTC'")
        except BaseException:
            con.close()
            raise
        return con

    def _reopen(self) -> None:
        """Close every cursor and the connection of an invalidated database and open the file
        again (DuckDB replays the WAL: every committed row is back). Raises if it cannot."""
        with self._write_lock:
            self._close_cursors()
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._generation += 1
            self._forget()
            self._con = self._connect(self.path)
            self._broken = None
            log.warning("cache %s reopened after a fatal error", self.path)

    def switch_file(self, path: str | Path) -> None:
        """Show another file (a read-only wall's renewed copy, :mod:`cockpit.data.mirror`): opened
        first, then swapped in while no panel query runs; the readers get new cursors."""
        con = self._connect(path)
        with self._write_lock, self._gate.exclusive():
            self._close_cursors()
            old, self._con = self._con, con
            self.path = Path(path)
            self._generation += 1
            self._forget()
        try:
            old.close()
        except duckdb.Error:
            pass

    def _try_reopen(self) -> None:
        with self._write_lock:
            if self._broken is None:
                return
            try:
                self._reopen()
            except duckdb.Error as exc:
                self._broken = exc
                raise StoreError(f"{self.path}: the cache cannot be reopened yet ({exc})") from exc

    def _on_write_error(self, exc: BaseException) -> None:
        """A write failed: say so on the wall if the disk is full; reopen an invalidated cache."""
        from cockpit.model import incidents

        if is_disk_full(exc):
            if not self._disk_full:
                log.error("cache %s: the disk is full, new data is not written until space "
                          "returns (%s)", self.path, str(exc).splitlines()[0])
            self._disk_full = True
            self._ok_streak = 0
            incidents.report(DISK_FULL_INCIDENT)  # the shell words it (cockpit/shell/wording.py)
        if _is_invalidated(exc):
            try:
                self._reopen()
            except duckdb.Error as again:
                self._broken = again
                log.error("cache %s: reopening after a fatal error failed, will retry on the "
                          "next write: %s", self.path, str(again).splitlines()[0])

    def _on_write_ok(self) -> None:
        if self._disk_full:
            from cockpit.model import incidents

            self._ok_streak += 1
            if self._ok_streak < DISK_FULL_CLEAR_AFTER:
                return
            self._disk_full = False
            incidents.clear(DISK_FULL_INCIDENT)
            log.warning("cache %s: writing again, the disk has space", self.path)

    # -- the single writer ------------------------------------------------------------------
    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], object]) -> object:
        """Run ``fn(connection)`` in one transaction on the writer connection.

        A read-only cache raises :class:`ReadOnlyStore`. A full disk raises the write's error
        and the disk-full incident (cleared once :data:`DISK_FULL_CLEAR_AFTER` writes in a row
        succeed); a fatal error reopens the database, so the next write works once its cause
        is gone. If ``fn`` added or deleted observations (a snapshot import), the rollups
        (:mod:`cockpit.data.rollup`) are rebuilt from the start in the same transaction: the
        store cannot tell which rows moved. Its own writes keep them as they go."""
        def guarded(con: duckdb.DuckDBPyConnection) -> object:
            before = self._observation_count(con)
            result = fn(con)
            if self._observation_count(con) != before:
                rollup.reset(con)
                rollup.roll_forward(con, None)
            return result

        return self._transaction(guarded)

    @staticmethod
    def _observation_count(con: duckdb.DuckDBPyConnection) -> int:
        return int(con.execute("SELECT count(*) FROM observations").fetchall()[0][0])

    def _forget(self) -> None:
        """Forget what the writer noted between ingests (``_newest``, ``_mark``)."""
        self._newest.clear()
        self._mark = rollup.READ

    def _transaction(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *,
                     keeps_notes: bool = False) -> T:
        """``fn(connection)`` in one transaction (see :meth:`write`), for the store's own writes.
        ``keeps_notes``: ``fn`` moves neither the observations nor the rollups, or keeps the
        writer's notes of them itself (:meth:`ingest`); otherwise they are forgotten."""
        if self.read_only:
            raise ReadOnlyStore(f"{self.path} is open read-only (--read-only): nothing written")
        with self._write_lock:
            if self._broken is not None:
                self._try_reopen()
            if not keeps_notes:
                self._forget()
            try:
                self._con.execute("BEGIN")
                try:
                    result = fn(self._con)
                    self._con.execute("COMMIT")
                except BaseException:  # also on KeyboardInterrupt: never leave one open
                    self._forget()
                    try:
                        self._con.execute("ROLLBACK")
                    except duckdb.Error:
                        # A failed COMMIT (disk full) has already ended the transaction; the
                        # statement's own error is the one worth raising, not "no transaction".
                        pass
                    raise
            except duckdb.Error as exc:
                self._on_write_error(exc)
                raise
            self._on_write_ok()
            return result

    def _unregister(self, *names: str) -> None:
        for name in names:
            try:
                self._con.unregister(name)
            except duckdb.Error:  # the connection was reopened after a fatal error
                pass

    @staticmethod
    def _columns(table: str, rows: pa.Table) -> list[str]:
        """The batch's columns in table order; a column the table lacks is an error, not lost."""
        unknown = [c for c in rows.column_names if c not in TABLES[table]]
        if unknown:
            raise ValueError(f"{table} has no column(s) {', '.join(unknown)} "
                             f"(it has {', '.join(TABLES[table])})")
        return [c for c in TABLES[table] if c in rows.column_names]

    def append(self, table: str, rows: pa.Table) -> int:
        """Append an Arrow batch whose columns are a subset of ``table``'s, in one statement.
        Observations already in the cache (same :data:`OBSERVATION_KEY`) are not added again."""
        if table == "observations":
            return self.append_new(rows)
        return self._insert("INSERT INTO", table, rows)

    def upsert(self, table: str, rows: pa.Table) -> int:
        """Insert or replace by primary key (entities, alerts, indicators, feed_health)."""
        return self._insert("INSERT OR REPLACE INTO", table, rows)

    def _insert(self, verb: str, table: str, rows: pa.Table) -> int:
        if rows.num_rows == 0:
            return 0
        cols = ", ".join(self._columns(table, rows))
        if self.read_only:
            raise ReadOnlyStore(f"{self.path} is open read-only (--read-only): nothing written")
        with self._write_lock:
            if self._broken is not None:
                self._try_reopen()
            # Registered outside the transaction: a failed statement aborts the transaction,
            # and unregistering inside it would then fail and hide the statement's own error.
            self._con.register("_batch", rows)
            try:
                def insert(con: duckdb.DuckDBPyConnection) -> object:
                    return con.execute(f"{verb} {table} ({cols}) SELECT {cols} FROM _batch")

                if table == "observations":  # added behind the rollups' back: write() rebuilds
                    self.write(insert)
                else:
                    self._transaction(insert, keeps_notes=True)
            finally:
                self._unregister("_batch")
        return rows.num_rows

    def append_new(self, rows: pa.Table) -> int:
        """Append observations, skipping any whose key (:data:`OBSERVATION_KEY`) is already in
        the cache or earlier in the batch: re-ingesting a page adds nothing. Returns the
        number of rows added, in one statement (the anti-join scans only the batch's span)."""
        return self.ingest("", observations=rows)

    @classmethod
    def _dedupe_sql(cls, rows: pa.Table, name: str, *, distinct: bool = True,
                    against_cache: bool = True) -> str:
        """The insert of a batch's new observations. The batch's time span comes as the two
        parameters (from Arrow, not a scan), so DuckDB's zone maps limit the anti-join to the
        cache's rows of that span. ``against_cache=False``: the batch is known to lie wholly
        after the newest row its feed has in the cache (:meth:`_fresh`): no anti-join, no
        parameters."""
        cols = cls._columns("observations", rows)
        missing = [c for c in OBSERVATION_KEY if c not in cols]
        if missing:
            raise ValueError(f"observations batch lacks key column(s) {', '.join(missing)}")
        names = ", ".join(cols)
        key = ", ".join(OBSERVATION_KEY)
        source = f"(SELECT DISTINCT ON ({key}) * FROM {name})" if distinct else name
        sql = f"INSERT INTO observations ({names}) SELECT {names} FROM {source} b"
        if not against_cache:
            return sql
        return (f"{sql} ANTI JOIN (SELECT {key} FROM observations WHERE ts BETWEEN ? AND ?) o "
                f"USING ({key})")

    def _fresh(self, con: duckdb.DuckDBPyConnection, feed: str, oldest: datetime) -> bool:
        """Whether every stored observation of ``feed`` is older than ``oldest`` (then a batch
        of that feed starting at ``oldest`` repeats none of them). Asked of the cache once per
        feed (``ts >= oldest``: the zone maps keep it to the newest row groups), then answered
        from ``_newest``, which :meth:`ingest` keeps as an upper bound of the feed's newest time."""
        known = self._newest.get(feed)
        if known is None:
            known = con.execute("SELECT max(ts) FROM observations WHERE feed = ? AND ts >= ?",
                                [feed, oldest]).fetchall()[0][0]
            if known is None:
                return True
            self._newest[feed] = known
        return oldest > known

    # -- checkpoints (how far each feed got) -----------------------------------------------
    def checkpoint(self, feed: str) -> str | None:
        """The feed's persisted checkpoint (a timestamp or cursor, as the feed wrote it)."""
        row = self.reader().execute(
            "SELECT checkpoint FROM feed_checkpoints WHERE feed = ?", [feed]).fetchall()
        row = row[0] if row else None
        return None if row is None else row[0]

    def set_checkpoint(self, feed: str, checkpoint: str, at: datetime) -> None:
        self._transaction(lambda con: _write_checkpoint(con, feed, checkpoint, at),
                          keeps_notes=True)

    def ingest(self, feed: str, *, observations: pa.Table | None = None,
               entities: pa.Table | None = None, alerts: pa.Table | None = None,
               checkpoint: str | None = None, at: datetime | None = None,
               health: Health | None = None, open_alerts: Collection[str] | None = None) -> int:
        """One page of a feed in one transaction: its rows (observations deduplicated,
        entities and alerts upserted), its new checkpoint and, given ``health``, the feed's
        health row, so a crash between them can neither lose rows behind a saved checkpoint
        nor save rows twice, and a tick costs one commit. The rollups follow the rows added.
        ``open_alerts`` (the last page of a complete load): the ids of every alert the feed's
        source still lists; this feed's open and acknowledged alerts not among them are
        cleared at ``at`` (logged). Returns rows added."""
        statements: list[str] = []
        batches: dict[str, pa.Table] = {}
        obs_sql: tuple[str, str] | None = None
        one_feed: str | None = None  # the feed of every row, if they have one (the usual page)
        if observations is not None and observations.num_rows:
            batches["_obs"] = observations
            obs_sql = (self._dedupe_sql(observations, "_obs"),
                       self._dedupe_sql(observations, "_obs", distinct=False))
            page_repeats = (_repeats(observations) if observations.num_rows <= SCREEN_ABOVE
                            else None)
            import pyarrow.compute as pc

            feeds = (pc.unique(observations.column("feed")).to_pylist()
                     if "feed" in observations.column_names else [])
            one_feed = feeds[0] if len(feeds) == 1 and isinstance(feeds[0], str) else None
        if entities is not None and entities.num_rows:
            cols = ", ".join(self._columns("entities", entities))
            if "entity_id" in entities.column_names:
                entities = _last_per_key(entities, "entity_id")
            batches["_entities"] = entities
            statements.append(f"INSERT OR REPLACE INTO entities ({cols}) SELECT {cols} "
                              f"FROM _entities")
        if alerts is not None and alerts.num_rows:
            # An alert seen again is updated, but the operator's acknowledgement stays.
            names = self._columns("alerts", alerts)
            cols = ", ".join(names)
            if "alert_id" in alerts.column_names:
                alerts = _last_per_key(alerts, "alert_id")
            keep = ("alert_id", "state", "ack_by", "ack_at", "cleared_at")
            sets = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keep)
            batches["_alerts"] = alerts
            statements.append(f"INSERT INTO alerts ({cols}) SELECT {cols} FROM _alerts "
                              f"ON CONFLICT (alert_id) DO " + (f"UPDATE SET {sets}" if sets
                                                                 else "NOTHING"))
        key = ", ".join(OBSERVATION_KEY)

        dropped: list[str] = []  # alerts cleared: the source no longer lists them

        def run(con: duckdb.DuckDBPyConnection) -> int:
            added = 0
            if obs_sql is not None:
                with_distinct, without = obs_sql
                span = _span(observations)
                if page_repeats is not None and span is not None:
                    repeats = page_repeats
                else:
                    # Duplicates inside a batch are rare and DISTINCT ON costs as much as the
                    # insert, so it runs only when the batch repeats a key's hash (a repeated
                    # key always does; a rare collision only costs the slower path).
                    repeats, *span = con.execute(
                        f"SELECT count(*) - count(DISTINCT hash({key})), min(ts)::TIMESTAMPTZ, "
                        f"max(ts)::TIMESTAMPTZ FROM _obs").fetchall()[0]
                if one_feed is not None and self._fresh(con, one_feed, span[0]):
                    # after the feed's newest stored row: only the batch's own repeats to drop
                    new = int(con.execute(self._dedupe_sql(
                        observations, "_obs", distinct=bool(repeats),
                        against_cache=False)).fetchall()[0][0])
                else:
                    new = int(con.execute(with_distinct if repeats else without,
                                          span).fetchall()[0][0])
                if one_feed is not None:
                    known = self._newest.get(one_feed)
                    self._newest[one_feed] = span[1] if known is None else max(known, span[1])
                if new:
                    self._mark = rollup.after_insert(con, span[0], span[1], self._mark)
                added += new
            for sql in statements:
                added += int(con.execute(sql).fetchall()[0][0])
            if checkpoint is not None:
                _write_checkpoint(con, feed, checkpoint, at)
            if open_alerts is not None:  # after this page's alerts are in
                dropped[:] = [r[0] for r in con.execute(
                    "UPDATE alerts SET state = 'cleared', cleared_at = ? WHERE feed = ? "
                    "AND state IS DISTINCT FROM 'cleared' "
                    "AND alert_id NOT IN (SELECT unnest(?::VARCHAR[])) RETURNING alert_id",
                    [at or datetime.now(UTC), feed, sorted(open_alerts)]).fetchall()]
            if health is not None:
                _write_health(con, feed, health, added if health.rows is None else health.rows)
            return added

        if self.read_only:
            raise ReadOnlyStore(f"{self.path} is open read-only (--read-only): nothing written")
        with self._write_lock:
            if self._broken is not None:
                self._try_reopen()
            # Registered outside the transaction (see _insert).
            for name, batch in batches.items():
                self._con.register(name, batch)
            try:
                added = int(self._transaction(run, keeps_notes=True))
            finally:
                self._unregister(*batches)
        if dropped:
            log.info("feed %s: cleared %d alert(s) its source no longer lists: %s", feed,
                     len(dropped), ", ".join(sorted(dropped)[:20]))
        return added

    def acknowledge_alerts(self, alert_ids: list[str], by: str, at: datetime) -> int:
        """Acknowledge the open ones among ``alert_ids``; returns how many were acknowledged
        (unknown, already acknowledged and cleared alerts are left alone and not counted)."""
        if not alert_ids:
            return 0

        def ack(con: duckdb.DuckDBPyConnection) -> int:
            return con.execute(
                "UPDATE alerts SET state = 'acked', ack_by = ?, ack_at = ? "
                "WHERE alert_id IN (SELECT unnest(?::VARCHAR[])) AND state = 'open'",
                [by, at, list(alert_ids)]).fetchone()[0]

        return self._transaction(ack, keeps_notes=True)

    def clear_alerts(self, alert_ids: list[str], at: datetime) -> int:
        """Clear the not yet cleared ones among ``alert_ids``; returns how many were cleared."""
        if not alert_ids:
            return 0

        def clear(con: duckdb.DuckDBPyConnection) -> int:
            return con.execute(
                "UPDATE alerts SET state = 'cleared', cleared_at = ? "
                "WHERE alert_id IN (SELECT unnest(?::VARCHAR[])) "
                "AND state IS DISTINCT FROM 'cleared'",
                [at, list(alert_ids)]).fetchone()[0]

        return self._transaction(clear, keeps_notes=True)

    def record_health(self, feed: str, *, attempt: datetime, success: bool, error: str | None,
                      rows: int, latency_ms: float, partial: bool = False) -> None:
        """One attempt of a feed, in a transaction of its own (an attempt that wrote a page can
        instead hand its :class:`Health` to :meth:`ingest`). ``partial``: it succeeded but
        ended short of the total the source announced (its ``error`` then says by how much)."""
        h = Health(attempt=attempt, latency_ms=latency_ms, success=success, error=error,
                   partial=partial, rows=rows)
        self._transaction(lambda con: _write_health(con, feed, h, rows), keeps_notes=True)

    # -- retention (cockpit/data/retention.py drives these off the GUI thread) --------------------
    def prune_observations(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` observations older than ``before`` in one short
        transaction; returns how many went (0: none older is left). The batch that finds
        fewer than ``limit`` left also trims the rollups (:func:`rollup.after_prune`)."""
        def prune(con: duckdb.DuckDBPyConnection) -> int:
            n = int(con.execute(
                "DELETE FROM observations WHERE rowid IN "
                "(SELECT rowid FROM observations WHERE ts < ? LIMIT ?)",
                [before, limit]).fetchall()[0][0])
            if n < limit:
                rollup.after_prune(con, before)
            return n

        return int(self._transaction(prune))

    def roll_up(self, step: timedelta = rollup.ROLL_MAX) -> datetime | None:
        """Bring the rollups up to the newest full hour, ``step`` of history per transaction so
        the feeds' writes get in between (the retention pass calls it; a write rolls at most
        :data:`rollup.ROLL_MAX` itself). Returns the watermark."""
        while True:
            before = self._transaction(rollup.until)
            after = self._transaction(lambda con: rollup.roll_forward(con, None, step))
            if after == before:
                return after

    def prune_cleared_alerts(self, before: datetime) -> int:
        """Delete the alerts cleared before ``before`` (open and acknowledged ones stay,
        however old)."""
        return int(self._transaction(lambda con: con.execute(
            "DELETE FROM alerts WHERE state = 'cleared' AND cleared_at < ?",
            [before]).fetchall()[0][0]))

    def checkpoint_file(self) -> None:
        """Write the WAL into the file, so the blocks freed by deletes can be reused. Waits
        for the panel queries under way (:class:`ReadGate`); a query that bypasses the gate
        (the control API's status) can still be in the way, so a few tries are made."""
        if self.read_only:
            return
        with self._write_lock, self._gate.exclusive():
            for attempt in range(CHECKPOINT_TRIES):
                try:
                    self._con.execute("CHECKPOINT")
                    return
                except duckdb.TransactionException:
                    if attempt == CHECKPOINT_TRIES - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
                except duckdb.Error as exc:
                    self._on_write_error(exc)
                    raise

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's cursor, for one query that a checkpoint must not run across.

        A result left unfinished (``fetchone()`` of a query that still has rows, or none
        fetched) keeps its transaction open until the cursor's next query, and DuckDB refuses
        every CHECKPOINT, its automatic ones too, while it is open: the soak's WAL grew to
        288 MB that way. So whatever the query left is drained on the way out."""
        with self._gate.shared():
            cur = self.reader()
            try:
                yield cur
            finally:
                finish(cur)

    def read(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(cursor, *args)`` as one gated query (:meth:`reading`), for worker threads."""
        with self.reading() as cur:
            return fn(cur, *args)

    # -- the content digest (docs/cache.md#content-digests) ----------------------------------
    def _clear_digest(self) -> None:
        """At a writer's open, before any write of its own: the digest a clean close left is
        for the start-up check (which ran before this open) and must never be compared against
        rows written after it. A crash before the next clean close thus leaves none, and the
        next check falls back to DuckDB's block checksums."""
        if self._con.execute("SELECT count(*) FROM meta WHERE key LIKE 'digest%'").fetchall()[0][0]:
            self._con.execute("DELETE FROM meta WHERE key LIKE 'digest%'")

    def record_digest(self) -> dict[str, str]:
        """Compute and keep in ``meta`` each table's content digest (row count and the sum of
        its rows' ``hash()``) with the DuckDB version; the start-up check compares them. Called
        by :meth:`close` (a clean close, writer only). Returns ``{table: digest}``."""
        with self._write_lock, self._gate.exclusive():
            con = self._con
            digests = {}
            for table in digested_tables(con):
                n, total = con.execute(digest_query(table)).fetchall()[0]
                digests[table] = digest_value(int(n), total)
            con.execute("BEGIN")
            try:
                con.execute("DELETE FROM meta WHERE key LIKE 'digest%'")
                con.executemany("INSERT INTO meta VALUES (?, ?)",
                                [[DIGEST_PREFIX + t, d] for t, d in digests.items()]
                                + [[DIGEST_VERSION_KEY, duckdb.__version__]])
                con.execute("COMMIT")
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            return digests

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_cursors()
        with self._write_lock:
            if not self.read_only and self._broken is None:
                try:
                    self.record_digest()
                except duckdb.Error as exc:  # a full disk: the next check uses the checksums
                    log.warning("cache %s: no content digest recorded at close (%s)", self.path,
                                str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
            self._con.close()

    def _close_cursors(self) -> None:
        """Close every reader thread's cursor (at close, and before a reopen: the readers then
        get new cursors from :meth:`reader`, which sees the generation move on)."""
        with self._cursor_lock:
            for cur in self._cursors:
                try:
                    cur.close()
                except duckdb.Error:
                    pass
            self._cursors.clear()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
