"""The seeded demo generator and the committed demo snapshot (no Qt)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from support import DEMO_SNAPSHOT

from cockpit.data.snapshot import SnapshotError, snapshot_info
from cockpit.data.store import Store
from cockpit.demo.city import END, N_STEPS, START, build_snapshot, generate, main
from cockpit.model.metrics import DISTRICTS, METRICS

SNAPSHOT = DEMO_SNAPSHOT
LOCAL = "ts AT TIME ZONE 'Asia/Shanghai'"


def _make(path: Path, seed: int) -> Store:
    store = Store(path)
    generate(store, seed)
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    with _make(tmp_path_factory.mktemp("demo") / "a.duckdb", 2026) as s:
        yield s


@pytest.fixture(scope="module")
def con(store: Store) -> duckdb.DuckDBPyConnection:
    return store.reader()


def _dump(con: duckdb.DuckDBPyConnection, table: str, order: str):
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def test_same_seed_same_tables_other_seed_differs(con, tmp_path):
    with _make(tmp_path / "b.duckdb", 2026) as again, _make(tmp_path / "c.duckdb", 7) as other:
        for table, order in [("observations", "ts, entity_id"), ("alerts", "alert_id"),
                             ("entities", "entity_id")]:
            assert _dump(again.reader(), table, order) == _dump(con, table, order), table
        for table, order in [("observations", "ts, entity_id"), ("alerts", "alert_id")]:
            assert _dump(other.reader(), table, order) != _dump(con, table, order), table


def test_every_district_and_metric_at_every_step(con):
    total, first, last, steps = con.execute(
        "SELECT count(*), min(ts), max(ts), count(DISTINCT ts) FROM observations").fetchone()
    assert (first, last, steps) == (START, END, N_STEPS) == (START, END, 2 * 288)
    assert total == N_STEPS * len(DISTRICTS) * len(METRICS)
    groups = con.execute(
        "SELECT district, metric, count(DISTINCT ts), any_value(unit), "
        "bool_and(entity_id = district || ':' || metric) FROM observations GROUP BY ALL").fetchall()
    assert {(d, m) for d, m, *_ in groups} == {(d, m) for d in DISTRICTS for m in METRICS}
    for _d, m, n, unit, ids_ok in groups:
        assert n == N_STEPS and unit == METRICS[m].unit and ids_ok
    off_grid = con.execute(
        "SELECT count(*) FROM observations WHERE epoch(ts)::BIGINT % 300 <> 0").fetchone()[0]
    assert off_grid == 0
    assert con.execute("SELECT DISTINCT strftime(ts AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%d "
                       "%H:%M') FROM observations ORDER BY 1 LIMIT 1").fetchone()[0] \
        == "2026-11-26 00:00"


def test_value_ranges(con):
    bounds = {"aqi": (30, 180), "congestion": (1.0, 2.6), "parking_occupancy": (20, 95),
              "online_service_rate": (92, 99.5), "robots_patrol_online": (3, 25),
              "robots_disinfect_online": (2, 15), "iot_sensors_online": (2500, 12000),
              "iot_cameras_online": (1200, 6000)}
    for metric, (lo, hi) in bounds.items():
        vmin, vmax = con.execute("SELECT min(value), max(value) FROM observations "
                                 "WHERE metric = ?", [metric]).fetchone()
        assert lo <= vmin and vmax <= hi, metric
    ratio = con.execute(
        "SELECT avg(p.value / a.value) FROM observations p JOIN observations a "
        "USING (ts, district) WHERE p.metric = 'pm25' AND a.metric = 'aqi'").fetchone()[0]
    assert 0.6 <= ratio <= 0.75
    daily = dict(con.execute(
        f"SELECT metric, max(v) FROM (SELECT metric, ({LOCAL})::DATE, sum(value) v "
        "FROM observations WHERE strftime(" + LOCAL + ", '%H:%M') = '23:55' GROUP BY ALL) "
        "GROUP BY metric").fetchall())
    assert 3000 <= daily["hotline_opened"] <= 4500
    assert 1500 <= daily["citycase_opened"] <= 2500
    assert 6_200_000 <= daily["wst_users"] <= 6_600_000


def test_congestion_rush_hour_beats_3am_in_kuiwen(con):
    def avg(where: str) -> float:
        return con.execute(
            "SELECT avg(value) FROM observations WHERE metric = 'congestion' "
            f"AND district = '370705' AND {where}").fetchone()[0]

    night = avg(f"hour({LOCAL}) = 3")
    morning = avg(f"strftime({LOCAL}, '%H:%M') BETWEEN '07:30' AND '09:00'")
    evening = avg(f"strftime({LOCAL}, '%H:%M') BETWEEN '17:00' AND '19:00'")
    assert night <= 1.2
    assert morning > night + 0.5 and evening > night + 0.5


def test_counters_cumulative_per_day_and_closed_le_opened(con):
    counters = ("hotline_opened", "hotline_closed", "citycase_opened", "citycase_closed")
    decreases = con.execute(
        f"SELECT count(*) FROM (SELECT value - lag(value) OVER (PARTITION BY district, metric, "
        f"({LOCAL})::DATE ORDER BY ts) AS step FROM observations WHERE metric IN {counters}) "
        "WHERE step < 0").fetchone()[0]
    assert decreases == 0
    midnight = con.execute(
        f"SELECT count(*), max(value) FROM observations WHERE metric IN {counters} "
        f"AND strftime({LOCAL}, '%H:%M') = '00:00'").fetchone()
    assert midnight[0] == 2 * len(DISTRICTS) * len(counters) and midnight[1] <= 5
    for kind in ("hotline", "citycase"):
        worse = con.execute(
            "SELECT count(*) FROM observations o JOIN observations c USING (ts, district) "
            f"WHERE o.metric = '{kind}_opened' AND c.metric = '{kind}_closed' "
            "AND c.value > o.value").fetchone()[0]
        assert worse == 0, kind
    fractional = con.execute("SELECT count(*) FROM observations WHERE metric IN "
                             f"{counters} AND value <> round(value)").fetchone()[0]
    assert fractional == 0


def test_alert_times_never_exceed_the_end(con):
    n, late, bad_order, bad_state = con.execute(
        "SELECT count(*), "
        "count(*) FILTER (WHERE greatest(ts, ack_at, cleared_at) > ?), "
        "count(*) FILTER (WHERE ack_at < ts OR cleared_at < ack_at OR cleared_at < ts), "
        "count(*) FILTER (WHERE (state = 'open') <> (ack_at IS NULL) "
        "  OR (state = 'cleared') <> (cleared_at IS NOT NULL) OR (ack_at IS NULL) <> (ack_by IS NULL)) "
        "FROM alerts", [END]).fetchone()
    core, topical = con.execute(
        "SELECT count(*) FILTER (WHERE alert_id NOT LIKE 'demo-t%'), "
        "count(*) FILTER (WHERE alert_id LIKE 'demo-t%') FROM alerts").fetchone()
    assert core + topical == n
    assert 250 <= core <= 350  # ~150 a day of the city's running state
    assert 60 <= topical <= 110  # ~40 a day of the topical walls (cockpit.demo.topical)
    assert (late, bad_order, bad_state) == (0, 0, 0)
    recent_open = con.execute(
        "SELECT avg((state = 'open')::INT) FROM alerts WHERE ts > ? - INTERVAL 2 HOUR",
        [END]).fetchone()[0]
    assert recent_open > 0.5


def test_committed_snapshot_equals_a_fresh_build(con):
    """assets/demo/snapshot is generator output: rebuild it with the CLI, never edit it."""
    info = snapshot_info(SNAPSHOT)
    assert (info.first_ts, info.last_ts) == (START, END)
    for table in info.rows:
        assert info.rows[table] == con.execute(f"SELECT count(*) FROM {table}").fetchone()[0], table
    snap = duckdb.connect()
    snap.execute("SET TimeZone = 'UTC'")

    def parquet(table: str) -> str:
        return f"read_parquet('{SNAPSHOT / (table + '.parquet')}')"

    checksum = "SELECT metric, sum(value), count(*) FROM {} GROUP BY 1 ORDER BY 1"
    committed = snap.execute(checksum.format(parquet("observations"))).fetchall()
    fresh = con.execute(checksum.format("observations")).fetchall()
    assert [(m, n) for m, _, n in committed] == [(m, n) for m, _, n in fresh]
    for (m, a, _), (_, b, _) in zip(committed, fresh, strict=True):
        assert a == pytest.approx(b, rel=1e-12), m
    for table, key in [("alerts", "alert_id, ts, state, title"), ("entities", "entity_id, name, attrs"),
                       ("indicators", "period, code, region, value, target")]:
        query = "SELECT {} FROM {} ORDER BY ALL"
        assert (snap.execute(query.format(key, parquet(table))).fetchall()
                == con.execute(query.format(key, table)).fetchall()), table


def test_cli_replaces_a_snapshot_and_refuses_other_folders(tmp_path, capsys):
    out = tmp_path / "snap"
    out.mkdir()
    (out / "observations.parquet").write_bytes(b"old")
    assert main(["--out", str(out)]) == 0
    assert f"observations {N_STEPS * len(DISTRICTS) * len(METRICS)}" in capsys.readouterr().out
    assert snapshot_info(out).rows["alerts"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]  # no staging left behind
    assert main(["--out", str(out)]) == 0  # a complete snapshot (with its .sql files) is replaced too

    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    assert main(["--out", str(other)]) == 1
    assert (other / "todo.txt").exists()
    with pytest.raises(SnapshotError):
        build_snapshot(out)  # exists, replace not asked for
