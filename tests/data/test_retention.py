"""Retention: old observations and long-cleared alerts leave the cache in the background, in
small batches, and the file stops growing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from cockpit.data.retention import RetentionPruner
from cockpit.data.store import Store, wal_path
from cockpit.model.config import ConfigError, load_config

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def day_of_rows(day: datetime, n: int) -> pa.Table:
    return pa.table({
        "ts": pa.array([day + timedelta(seconds=i * 86400 // n) for i in range(n)],
                       pa.timestamp("us", tz="UTC")),
        "feed": ["demo"] * n, "entity_id": [f"370702-{i % 170}" for i in range(n)],
        "entity_type": ["sensor"] * n, "metric": [f"m{i % 17}" for i in range(n)],
        "value": [float(i % 997) for i in range(n)], "unit": ["μg/m³"] * n,
        "district": ["370702"] * n, "lat": [36.7] * n, "lon": [119.1] * n})


def alert(alert_id: str, ts: datetime, state: str, cleared_at: datetime | None) -> dict:
    return {"alert_id": alert_id, "ts": ts, "feed": "demo", "severity": "major",
            "category": "环境", "title": alert_id, "state": state, "cleared_at": cleared_at}


def count(store: Store, sql: str, *params) -> int:
    return store.reader().execute(sql, list(params)).fetchall()[0][0]


def test_the_pruner_removes_what_is_older_than_the_retention_in_small_batches(tmp_path):
    with Store(tmp_path / "wall.duckdb") as store:
        for d in range(10):  # ten days, 6,000 rows each
            store.append("observations", day_of_rows(NOW - timedelta(days=d + 1), 6000))
        old = NOW - timedelta(days=40)
        store.upsert("alerts", pa.Table.from_pylist([
            alert("cleared-long-ago", old, "cleared", old + timedelta(hours=1)),
            alert("cleared-yesterday", NOW - timedelta(days=2), "cleared", NOW - timedelta(days=1)),
            alert("still-open", old, "open", None),
            alert("acked-not-cleared", old, "acked", None)]))
        cutoff = NOW - timedelta(days=3)
        keep = count(store, "SELECT count(*) FROM observations WHERE ts >= ?", cutoff)
        total = count(store, "SELECT count(*) FROM observations")
        assert 0 < keep < total

        pruner = RetentionPruner(store, 3, first_after_s=0, batch_rows=5000, pause_s=0,
                                 clock=lambda: NOW)
        pruner.start()
        try:
            assert pruner.pass_done.wait(60)
        finally:
            pruner.stop()

        assert count(store, "SELECT count(*) FROM observations WHERE ts < ?", cutoff) == 0
        assert count(store, "SELECT count(*) FROM observations") == keep  # the rest untouched
        ids = [r[0] for r in store.reader().execute(
            "SELECT alert_id FROM alerts ORDER BY alert_id").fetchall()]
        assert ids == ["acked-not-cleared", "cleared-yesterday", "still-open"]
        # small batches: the writer lock was let go between them
        report = RetentionPruner(store, 1, batch_rows=5000, pause_s=0,
                                 clock=lambda: NOW).prune_once()
        assert report.observations == keep - count(store, "SELECT count(*) FROM observations")
        assert report.batches == -(-report.observations // 5000) >= 2


def on_disk(path) -> int:
    wal = wal_path(path)
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def test_the_file_levels_off_over_repeated_fill_and_prune(tmp_path):
    """Each cycle adds a day and prunes what is older than two: once the cache holds its two
    days, the file (and WAL) reuse the blocks the deletes freed instead of growing. Without
    the pruning it grows by a day's worth every cycle (and this fails)."""
    path = tmp_path / "wall.duckdb"
    sizes = []
    with Store(path) as store:
        for d in range(12):
            day = NOW + timedelta(days=d)
            store.append("observations", day_of_rows(day, 40_000))
            RetentionPruner(store, 2, batch_rows=20_000, pause_s=0,
                            clock=lambda day=day: day + timedelta(days=1)).prune_once()
            sizes.append(on_disk(path))
        assert count(store, "SELECT count(*) FROM observations") == 80_000
    early, late = max(sizes[2:6]), max(sizes[6:])
    assert late <= early * 1.15, sizes
    assert on_disk(path) <= early * 1.15, (on_disk(path), sizes)


@pytest.mark.parametrize("value, ok", [(30, True), (0.5, False), (7.5, True), ("30", False),
                                       (True, False), (100000, False)])
def test_retention_days_is_validated(tmp_path, value, ok):
    path = tmp_path / "site.toml"
    literal = f'"{value}"' if isinstance(value, str) else str(value).lower()
    path.write_text(f"version = 1\n[store]\nretention_days = {literal}\n", encoding="utf-8")
    if ok:
        assert load_config(path).retention_days == float(value)
    else:
        with pytest.raises(ConfigError) as err:
            load_config(path)
        text = str(err.value)
        assert str(path) in text and "store.retention_days" in text and "1 to 3650" in text


def test_an_unknown_store_key_is_named(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text("version = 1\n[store]\nretention = 30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"store\.retention.*unknown key"):
        load_config(path)


def test_a_refused_checkpoint_does_not_undo_or_stop_the_pruning(tmp_path, caplog):
    """DuckDB refuses a CHECKPOINT while another connection has a write under way; the pass
    still removes the old rows, says the checkpoint was deferred, and the next pass runs."""
    with Store(tmp_path / "wall.duckdb") as store:
        for d in range(4):
            store.append("observations", day_of_rows(NOW - timedelta(days=d + 1), 2000))
        other = store._con.cursor()  # another connection with an open write transaction
        other.execute("BEGIN")
        other.execute("CREATE TABLE scratch (x INTEGER)")
        pruner = RetentionPruner(store, 2, batch_rows=1000, pause_s=0, clock=lambda: NOW)
        with caplog.at_level("WARNING", logger="cockpit.data.retention"):
            report = pruner.prune_once()
        other.execute("ROLLBACK")
        assert report.observations == 4000
        assert count(store, "SELECT count(*) FROM observations WHERE ts < ?",
                      NOW - timedelta(days=2)) == 0
        assert "checkpoint after pruning deferred" in caplog.text
        store.append("observations", day_of_rows(NOW - timedelta(days=5), 500))
        assert pruner.prune_once().observations == 500  # and the next pass works as before
        other.close()
