"""What the live feeds need of the store: deduplicated writes, checkpoints saved with their
rows in one transaction, and the v3 migration (feed_health.partial). Real DuckDB files, no Qt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cockpit.data.store import MIGRATIONS, SCHEMA_VERSION, Health, Store

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _obs(n: int, *, feed: str = "f", value: float = 1.0) -> pa.Table:
    return pa.table({
        "ts": pa.array([T0 + timedelta(minutes=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "feed": [feed] * n, "entity_id": ["e1"] * n, "metric": ["aqi"] * n,
        "value": [value + i for i in range(n)],
    })


def test_reingesting_the_same_page_adds_no_rows(tmp_path: Path):
    with Store(tmp_path / "c.duckdb") as store:
        assert store.append("observations", _obs(5)) == 5
        assert store.append("observations", _obs(5)) == 0
        assert store.append("observations", _obs(7)) == 2  # only the two new minutes
        assert store.append("observations", _obs(3, feed="g")) == 3  # another feed's key
        doubled = pa.concat_tables([_obs(2, feed="h"), _obs(2, feed="h")])
        assert store.append_new(doubled) == 2  # duplicates inside one batch too
        assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == 12


def _count(store: Store, feed: str = "f") -> int:
    return store.reader().execute("SELECT count(*) FROM observations WHERE feed = ?",
                                  [feed]).fetchone()[0]


def _later(minutes: int, n: int, *, feed: str = "f") -> pa.Table:
    return pa.table({
        "ts": pa.array([T0 + timedelta(minutes=minutes + i) for i in range(n)],
                       pa.timestamp("us", tz="UTC")),
        "feed": [feed] * n, "entity_id": ["e1"] * n, "metric": ["aqi"] * n,
        "value": [float(i) for i in range(n)]})


def test_a_page_after_the_feeds_newest_row_and_every_way_back_into_the_past(tmp_path: Path):
    """The writer remembers each feed's newest time, so a page wholly after it skips the
    anti-join against the cache (issue 18): whatever came in between — rows written behind
    the store's back, a failed page, a prune, another feed — a row already stored is never
    added twice and a new one is never dropped."""
    with Store(tmp_path / "c.duckdb") as store:
        assert store.ingest("f", observations=_later(0, 5)) == 5  # learnt from the cache
        assert store.ingest("f", observations=_later(5, 5)) == 5  # after it: no anti-join
        assert store.ingest("f", observations=_later(5, 5)) == 0  # the same page again
        assert store.ingest("f", observations=_later(8, 5)) == 3  # overlapping the newest
        assert store.ingest("f", observations=_later(-3, 4)) == 3  # a late page
        assert _count(store) == 16
        # rows written behind the store's back (a snapshot import goes through write())
        store.write(lambda con: con.execute(
            "INSERT INTO observations (ts, feed, entity_id, metric, value) "
            "SELECT ?::TIMESTAMPTZ + INTERVAL (i) MINUTE, 'f', 'e1', 'aqi', 0 "
            "FROM range(5) t(i)", [T0 + timedelta(minutes=20)]))
        assert store.ingest("f", observations=_later(20, 8)) == 3  # 20–24 were stored
        # a page refused after its rows went in: nothing of it stays, and it comes again
        bad_alerts = pa.table({"alert_id": ["a"],
                               "ts": pa.nulls(1, pa.timestamp("us", tz="UTC"))})
        with pytest.raises(duckdb.Error):
            store.ingest("f", observations=_later(40, 5), alerts=bad_alerts)
        assert store.ingest("f", observations=_later(40, 5)) == 5
        # another feed's rows at the same times are other rows; a page repeating a key
        # within itself is added once
        assert store.ingest("g", observations=_later(40, 5, feed="g")) == 5
        assert store.ingest("g", observations=pa.concat_tables(
            [_later(50, 3, feed="g"), _later(52, 2, feed="g")])) == 4
        # a batch of several feeds takes the anti-join
        both = pa.concat_tables([_later(44, 3), _later(44, 3, feed="g")])
        assert store.ingest("", observations=both) == 4
        # pruned rows may come again; the ones kept do not
        store.prune_observations(T0 + timedelta(minutes=30), 1000)
        assert store.ingest("f", observations=_later(25, 23)) == 16  # all but the kept 40–46
        keys = store.reader().execute(
            "SELECT count(*), count(DISTINCT (ts, feed, entity_id, metric)) "
            "FROM observations").fetchone()
        assert keys[0] == keys[1]
        assert _count(store) == 23  # minutes 25–47


def test_ingest_saves_rows_and_checkpoint_together_or_not_at_all(tmp_path: Path):
    with Store(tmp_path / "c.duckdb") as store:
        assert store.checkpoint("f") is None
        assert store.ingest("f", observations=_obs(3), checkpoint="cp1", at=T0) == 3
        assert store.checkpoint("f") == "cp1"
        bad_alerts = pa.table({"alert_id": ["a"], "ts": pa.nulls(1, pa.timestamp("us", tz="UTC"))})
        with pytest.raises(duckdb.Error):  # alerts.ts NOT NULL: the whole page is refused
            store.ingest("f", observations=_obs(6), alerts=bad_alerts, checkpoint="cp2", at=T0)
        assert store.checkpoint("f") == "cp1"
        assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == 3
        store.set_checkpoint("f", "cp3", T0)
        assert store.checkpoint("f") == "cp3"


def _health(store: Store) -> list[tuple]:
    return store.reader().execute(
        "SELECT feed, last_attempt, last_success, last_error, rows, latency_ms, partial "
        "FROM feed_health").fetchall()


def test_a_page_carries_the_feeds_health_in_its_own_transaction(tmp_path: Path):
    """One commit per tick (issue 18): the rows, the checkpoint and the health row together,
    or none of them."""
    t1, t2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)
    with Store(tmp_path / "c.duckdb") as store:
        assert store.ingest("f", observations=_obs(3), checkpoint="cp1", at=T0,
                            health=Health(attempt=T0, latency_ms=12.5)) == 3
        assert _health(store) == [("f", T0, T0, None, 3, 12.5, False)]  # rows: those added
        bad_alerts = pa.table({"alert_id": ["a"], "ts": pa.nulls(1, pa.timestamp("us", tz="UTC"))})
        with pytest.raises(duckdb.Error):  # the page is refused, and its health row with it
            store.ingest("f", observations=_obs(6), alerts=bad_alerts, checkpoint="cp2", at=t1,
                         health=Health(attempt=t1, latency_ms=9.0))
        assert _health(store) == [("f", T0, T0, None, 3, 12.5, False)]
        assert store.checkpoint("f") == "cp1"
        # the same page again: nothing added, the attempt recorded; a partial load says so
        assert store.ingest("f", observations=_obs(3), checkpoint="cp1", at=t1,
                            health=Health(attempt=t1, latency_ms=4.0, partial=True,
                                          error="只取到 3/5 条")) == 0
        assert _health(store) == [("f", t1, t1, "只取到 3/5 条", 3, 4.0, True)]
        # an attempt without a page (nothing new) is one transaction too; a failure keeps
        # the last success
        store.ingest("f", health=Health(attempt=t2, latency_ms=1.0, success=False,
                                        error="HTTPError: 503", rows=0))
        assert _health(store) == [("f", t2, t1, "HTTPError: 503", 3, 1.0, False)]


def test_version_2_file_migrates_with_partial_false(tmp_path: Path):
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    con.execute(MIGRATIONS[1])
    con.execute(MIGRATIONS[2])
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.execute("INSERT INTO feed_health VALUES ('old', ?, ?, NULL, 10, 3.0)", [T0, T0])
    con.close()
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION  # through v3 (partial) and on
        assert store.reader().execute(
            "SELECT feed, rows, partial FROM feed_health").fetchall() == [("old", 10, False)]
        store.record_health("old", attempt=T0, success=True, error="只取到 5/10 条",
                            rows=5, latency_ms=1.0, partial=True)
        assert store.reader().execute(
            "SELECT rows, partial, last_error FROM feed_health").fetchall() == [
            (15, True, "只取到 5/10 条")]
