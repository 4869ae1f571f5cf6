"""The store: schema and migrations, Arrow batches, the single writer and its readers (no Qt)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from support import FIXTURES

from cockpit.control import audit
from cockpit.data.store import SCHEMA_VERSION, Store, StoreError, sql_literal

STORE_FIXTURES = FIXTURES / "store"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

#: The tables and columns ARCHITECTURE.md lists, in its order (kept here, not imported, so a
#: change to the store's schema has to be a change to this test as well).
ARCHITECTURE_TABLES = {
    "observations": ["ts", "feed", "entity_id", "entity_type", "metric", "value", "unit",
                     "district", "lat", "lon"],
    "entities": ["entity_id", "entity_type", "name", "district", "lat", "lon", "status", "attrs",
                 "updated_at"],
    "alerts": ["alert_id", "ts", "feed", "severity", "category", "title", "detail", "district",
               "lat", "lon", "state", "ack_by", "ack_at", "cleared_at"],
    "indicators": ["period", "code", "name", "region", "value", "target", "unit", "source"],
    "feed_health": ["feed", "last_attempt", "last_success", "last_error", "rows", "latency_ms",
                    "partial"],
}


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(table, []).append(column)
    return out


def _obs(n: int, *, start: datetime = T0, feed: str | None = "test", metric: str = "aqi",
         district: str = "370705") -> pa.Table:
    return pa.table({
        "ts": pa.array([start + timedelta(minutes=5 * i) for i in range(n)],
                       pa.timestamp("us", tz="UTC")),
        "feed": pa.array([feed] * n, pa.string()),
        "entity_id": [f"{district}:{metric}"] * n,
        "metric": [metric] * n,
        "value": [float(50 + i) for i in range(n)],
        "district": [district] * n,
    })


def _alerts(*rows: tuple[str, str]) -> pa.Table:
    return pa.table({
        "alert_id": [r[0] for r in rows],
        "ts": pa.array([T0] * len(rows), pa.timestamp("us", tz="UTC")),
        "feed": ["test"] * len(rows),
        "severity": ["critical"] * len(rows),
        "category": ["fire"] * len(rows),
        "title": [f"告警{r[0]}" for r in rows],
        "state": [r[1] for r in rows],
    })


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "cache.duckdb") as s:
        yield s


# -- schema and migrations ------------------------------------------------------------------
def test_new_file_has_current_schema_with_every_table_and_column(store: Store):
    assert SCHEMA_VERSION == 5
    assert store.schema_version() == 5
    columns = _columns(store.reader())
    for table, cols in ARCHITECTURE_TABLES.items():
        assert columns[table] == cols, table
    assert set(columns) == {*ARCHITECTURE_TABLES, "meta", "feed_checkpoints",
                            "control_audit", "obs_10m", "obs_1h", "obs_rollup_state"}
    for table in ("obs_10m", "obs_1h"):
        assert columns[table] == ["metric", "district", "bucket", "n", "total", "last_ts",
                                  "last_value", "last_value_ts", "last_feed"]
    # v5 dropped the (metric, ts) index: the queries read the rollups, and it cost inserts
    assert store.reader().execute(
        "SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'observations'"
    ).fetchall() == [(0,)]


def test_version_1_file_migrates_to_the_current_version_and_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute((STORE_FIXTURES / "schema_v1.sql").read_text(encoding="utf-8"))
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
              for t in ARCHITECTURE_TABLES}
    before["feed_health"] = [(*r, False) for r in before["feed_health"]]  # v3's partial
    assert con.execute("SELECT value FROM meta").fetchall() == [("1",)]
    con.close()

    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        cur = store.reader()
        for table, rows in before.items():
            assert cur.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == rows, table
        assert sum(len(r) for r in before.values()) == 3 + 2 + 2 + 1 + 1
        assert _columns(cur)["feed_checkpoints"] == ["feed", "checkpoint", "updated_at"]
        # the migrated cache is fully usable: v2's table takes rows, v1's tables take more
        store.write(lambda c: c.execute(
            "INSERT INTO feed_checkpoints VALUES ('demo', '2026-11-27T15:55:00Z', now())"))
        store.append("observations", _obs(2, start=T0 + timedelta(days=1)))
        assert cur.execute("SELECT count(*) FROM observations").fetchone()[0] == 5
    with Store(path) as again:  # opening a current file again migrates nothing
        assert again.schema_version() == SCHEMA_VERSION


def test_newer_schema_version_is_refused_naming_file_and_versions(tmp_path: Path):
    path = tmp_path / "future.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    con.close()
    with pytest.raises(StoreError) as err:
        Store(path)
    message = str(err.value)
    assert str(path) in message and "99" in message and str(SCHEMA_VERSION) in message
    with pytest.raises(StoreError, match="99"):
        Store(path, read_only=True)
    # the refused file was closed again, untouched
    con = duckdb.connect(str(path))
    assert con.execute("SELECT value FROM meta").fetchall() == [("99",)]
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 1
    con.close()


def test_foreign_and_broken_files_are_refused(tmp_path: Path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE payroll (name VARCHAR)")
    con.close()
    with pytest.raises(StoreError, match="not a cockpit cache"):
        Store(other)
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database" * 500)
    with pytest.raises(StoreError, match="garbage.duckdb"):
        Store(garbage)


# -- writing --------------------------------------------------------------------------------
def test_append_arrow_batch(store: Store):
    assert store.append("observations", _obs(0)) == 0
    assert store.append("observations", _obs(12)) == 12
    rows = store.reader().execute(
        "SELECT ts, feed, metric, value, unit FROM observations ORDER BY ts").fetchall()
    assert len(rows) == 12
    assert rows[0] == (T0, "test", "aqi", 50.0, None)
    assert rows[-1][0] == T0 + timedelta(minutes=55) and rows[-1][0].utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="valeu"):  # a misspelt column is not silently dropped
        store.append("observations", _obs(1).rename_columns(
            ["ts", "feed", "entity_id", "metric", "valeu", "district"]))


def test_failing_write_rolls_back_and_keeps_earlier_rows(store: Store):
    store.append("observations", _obs(3))
    bad = pa.concat_tables([_obs(2, start=T0 + timedelta(hours=1)),
                            _obs(1, start=T0 + timedelta(hours=2), feed=None)])
    with pytest.raises(duckdb.ConstraintException):
        store.append("observations", bad)
    cur = store.reader()
    assert cur.execute("SELECT count(*), max(ts) FROM observations").fetchone() == (
        3, T0 + timedelta(minutes=10))

    def half_then_fail(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("DELETE FROM observations")
        raise RuntimeError("fails after a change")

    with pytest.raises(RuntimeError):
        store.write(half_then_fail)
    assert cur.execute("SELECT count(*) FROM observations").fetchone()[0] == 3
    assert store.append("observations", _obs(1, start=T0 + timedelta(days=1))) == 1  # still usable


def test_upsert_replaces_by_key(store: Store):
    store.upsert("alerts", _alerts(("a1", "open"), ("a2", "open")))
    store.upsert("alerts", _alerts(("a2", "cleared"), ("a3", "open")))
    assert store.reader().execute(
        "SELECT alert_id, state FROM alerts ORDER BY 1").fetchall() == [
        ("a1", "open"), ("a2", "cleared"), ("a3", "open")]


def test_readers_on_their_own_threads_read_while_the_writer_writes(store: Store):
    store.append("observations", _obs(10))
    errors: list[BaseException] = []
    seen: dict[str, list[int]] = {"r1": [], "r2": []}
    writing = threading.Event()
    done = threading.Event()

    def writer() -> None:
        try:
            for i in range(40):
                store.append("observations", _obs(10, start=T0 + timedelta(days=i + 1)))
                writing.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            writing.set()
            done.set()

    def reader(name: str) -> None:
        try:
            cur = store.reader()
            assert cur is store.reader()  # one cursor per thread, reused
            writing.wait(5)
            while True:
                finished = done.is_set()
                n = cur.execute("SELECT count(*) FROM observations WHERE metric = ?",
                                ["aqi"]).fetchone()[0]
                cur.execute("SELECT district, avg(value) FROM observations GROUP BY 1").fetchall()
                seen[name].append(n)
                if finished:
                    break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader, args=("r1",)),
               threading.Thread(target=reader, args=("r2",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    for counts in seen.values():
        assert counts == sorted(counts)  # each read sees a committed state, never going back
        assert counts[-1] == 410
    assert store.reader() is not None


# -- alerts and health ----------------------------------------------------------------------
def test_acknowledge_counts_only_alerts_actually_acknowledged(store: Store):
    store.upsert("alerts", _alerts(("a1", "open"), ("a2", "open"), ("a3", "cleared"),
                                   ("a4", "acked")))
    at = T0 + timedelta(minutes=3)
    assert store.acknowledge_alerts([], "值班员", at) == 0
    assert store.acknowledge_alerts(["a1", "a2", "a3", "a4", "nope", "a1"], "值班员张伟", at) == 2
    assert store.acknowledge_alerts(["a1", "a2"], "值班员李娜", at) == 0  # already acked
    rows = store.reader().execute(
        "SELECT alert_id, state, ack_by, ack_at FROM alerts ORDER BY 1").fetchall()
    assert rows == [("a1", "acked", "值班员张伟", at), ("a2", "acked", "值班员张伟", at),
                    ("a3", "cleared", None, None), ("a4", "acked", None, None)]


def test_clear_alerts(store: Store):
    store.upsert("alerts", _alerts(("a1", "open"), ("a2", "acked"), ("a3", "cleared")))
    at = T0 + timedelta(hours=1)
    assert store.clear_alerts([], at) == 0
    assert store.clear_alerts(["a1", "a2", "a3", "nope"], at) == 2
    assert store.clear_alerts(["a1"], at + timedelta(hours=1)) == 0  # stays cleared at `at`
    assert store.reader().execute(
        "SELECT alert_id, state, cleared_at FROM alerts ORDER BY 1").fetchall() == [
        ("a1", "cleared", at), ("a2", "cleared", at), ("a3", "cleared", None)]


def test_record_health(store: Store):
    def health() -> tuple:
        return store.reader().execute(
            "SELECT last_attempt, last_success, last_error, rows, latency_ms FROM feed_health "
            "WHERE feed = 'demo'").fetchone()

    t1, t2, t3 = T0, T0 + timedelta(seconds=5), T0 + timedelta(seconds=10)
    store.record_health("demo", attempt=t1, success=False, error="ConnectionError: refused",
                        rows=0, latency_ms=30.0)
    assert health() == (t1, None, "ConnectionError: refused", 0, 30.0)
    store.record_health("demo", attempt=t2, success=True, error=None, rows=168, latency_ms=4.0)
    assert health() == (t2, t2, None, 168, 4.0)
    store.record_health("demo", attempt=t3, success=True, error=None, rows=168, latency_ms=5.0)
    assert health() == (t3, t3, None, 336, 5.0)
    store.record_health("demo", attempt=t3 + timedelta(seconds=5), success=False,
                        error="Timeout", rows=0, latency_ms=5000.0)
    assert health() == (t3 + timedelta(seconds=5), t3, "Timeout", 336, 5000.0)
    store.record_health("other", attempt=t1, success=True, error=None, rows=1, latency_ms=1.0)
    assert store.reader().execute("SELECT count(*) FROM feed_health").fetchone()[0] == 2


def test_sql_literal_doubles_quotes(tmp_path: Path):
    name = "it's a 'path'.txt"
    assert sql_literal(name) == "'it''s a ''path''.txt'"
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql_literal(name)}").fetchone()[0] == name
    con.close()


def test_control_actions_are_audited_and_listed_newest_first(store: Store):
    for i, outcome in enumerate(["ok", "refused: wrong token"]):
        audit.record(store, at=T0 + timedelta(seconds=i), token_name="tablet" if i == 0 else None,
                             action="switch", detail="safety", client="127.0.0.1",
                             outcome=outcome)
    log = audit.recent(store)
    assert [e["outcome"] for e in log] == ["refused: wrong token", "ok"]
    assert log[1]["token_name"] == "tablet" and log[1]["detail"] == "safety"


def test_the_cache_caps_duckdbs_buffer_pool(tmp_path):
    """DuckDB would keep up to 80% of RAM in buffers; a wall running for weeks must not."""
    from cockpit.data.store import MEMORY_LIMIT

    with Store(tmp_path / "c.duckdb") as store:
        limit = store.reader().execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert MEMORY_LIMIT == "512MB" and limit == "488.2 MiB"  # DuckDB's MiB rendering of 512 MB


def test_the_wal_is_folded_into_the_file_while_panels_query_without_pause(tmp_path, monkeypatch):
    """Panel queries that never pause used to make every CHECKPOINT fail (DuckDB refuses one
    while another connection's query runs): the WAL grew for ever and the file stayed empty."""
    import cockpit.data.store

    monkeypatch.setattr(cockpit.data.store, "CHECKPOINT_TRIES", 1)  # the gate alone, no second try
    store = Store(tmp_path / "busy.duckdb")
    halt = threading.Event()

    def write() -> None:
        i = 0
        while not halt.is_set():
            t = datetime(2026, 11, 28, tzinfo=UTC) + timedelta(seconds=i)
            store.ingest("f", observations=pa.table({
                "ts": [t] * 200, "feed": ["f"] * 200, "entity_id": [f"e{j}" for j in range(200)],
                "metric": ["aqi"] * 200, "value": [float(i)] * 200}), checkpoint=str(i), at=t)
            i += 1

    def read() -> None:
        while not halt.is_set():
            with store.reading() as cur:
                cur.execute("SELECT count(*), avg(value) FROM observations").fetchall()

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(20):
            time.sleep(0.1)  # the test: checkpoints spread among the running writes and reads
            store.checkpoint_file()  # raised "other write transactions active" before the gate
    finally:
        halt.set()
        for t in threads:
            t.join()
    rows = store.reader().execute("SELECT count(*) FROM observations").fetchone()[0]
    store.close()
    assert rows > 0 and (tmp_path / "busy.duckdb").stat().st_size > 100 * 1024


def test_a_panel_query_that_reads_one_row_does_not_hold_the_checkpoint_off(tmp_path, monkeypatch):
    """Panel queries take one row (``fetchone()``) and leave the rest of the result, and with
    it a transaction, open until the cursor's next query: in the soak every CHECKPOINT after
    pruning was refused for the rest of the run and the WAL reached 288 MB. ``reading()``
    ends the result on the way out, so a checkpoint between two queries gets through."""
    import cockpit.data.store

    monkeypatch.setattr(cockpit.data.store, "CHECKPOINT_TRIES", 1)
    store = Store(tmp_path / "busy.duckdb")
    halt = threading.Event()
    t0 = datetime(2026, 11, 28, tzinfo=UTC)

    def write() -> None:
        i = 0
        while not halt.is_set():
            ts = [t0 + timedelta(seconds=i * 100 + j) for j in range(100)]
            store.ingest("f", observations=pa.table({
                "ts": ts, "feed": ["f"] * 100, "entity_id": [f"e{j}" for j in range(100)],
                "metric": ["aqi"] * 100, "value": [float(i)] * 100}), checkpoint=str(i), at=t0)
            i += 1

    def read() -> None:
        while not halt.is_set():
            with store.reading() as cur:
                cur.execute("SELECT ts, value FROM observations WHERE metric = 'aqi' "
                            "ORDER BY ts DESC LIMIT 50").fetchone()
            time.sleep(0.02)  # a pause between panels, for the checkpoint to slip in

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    refused = []
    try:
        for k in range(15):
            time.sleep(0.1)  # the test: prunes and checkpoints spread among the writes
            store.prune_observations(t0 + timedelta(seconds=k * 300), 20_000)
            try:
                store.checkpoint_file()
            except duckdb.TransactionException as exc:
                refused.append(str(exc).splitlines()[0])
    finally:
        halt.set()
        for t in threads:
            t.join()
    store.close()
    assert refused == []
