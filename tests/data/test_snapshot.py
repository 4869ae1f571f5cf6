"""Snapshot folders: export, check, import; refusals of damaged snapshots (no Qt)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from support import DEMO_SNAPSHOT

from cockpit.data.snapshot import (
    SNAPSHOT_TABLES,
    SNAPSHOT_VERSION,
    SnapshotError,
    export_snapshot,
    import_snapshot,
    snapshot_info,
)
from cockpit.data.store import SCHEMA_VERSION, Store, sql_literal
from cockpit.model.metrics import DISTRICTS, METRICS

DEMO = DEMO_SNAPSHOT
T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
STEPS = 12
DISTS = ("370702", "370705", "370781")
MET = ("aqi", "hotline_opened")
ORDERS = {"observations": "ts, feed, entity_id, metric", "entities": "entity_id",
          "alerts": "alert_id", "indicators": "period, code, region", "feed_health": "feed"}


def _ts(values: list[datetime | None]) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def _observations(reverse: bool = False) -> pa.Table:
    rows = [(T0 + timedelta(minutes=5 * i), feed, d, m)
            for i in range(STEPS) for d in DISTS for m in MET
            for feed in (("demo", "iot") if m == "aqi" else ("demo",))]
    if reverse:
        rows.reverse()
    return pa.table({
        "ts": _ts([r[0] for r in rows]), "feed": [r[1] for r in rows],
        "entity_id": [f"{r[2]}:{r[3]}" for r in rows], "entity_type": ["district"] * len(rows),
        "metric": [r[3] for r in rows],
        "value": [float(int(r[0].timestamp()) % 997 + len(r[1])) for r in rows],
        "unit": ["件" if r[3] == "hotline_opened" else "" for r in rows],
        "district": [r[2] for r in rows],
        "lat": [36.7] * len(rows), "lon": [119.1] * len(rows)})


def _entities(reverse: bool = False) -> pa.Table:
    ids = [*DISTS, "camera-370705-01"]
    if reverse:
        ids.reverse()
    return pa.table({
        "entity_id": ids, "entity_type": ["camera" if "-" in i else "district" for i in ids],
        "name": [DISTRICTS.get(i, "奎文区高清摄像头01") for i in ids],
        "district": [i.split("-")[1] if "-" in i else i for i in ids],
        "status": ["online"] * len(ids), "attrs": ['{"k": 1}'] * len(ids),
        "updated_at": _ts([T0 + timedelta(minutes=55)] * len(ids))})  # all the same: ties


def _alerts() -> pa.Table:
    n = 4
    return pa.table({
        "alert_id": [f"a{i}" for i in range(n)],
        "ts": _ts([T0 + timedelta(minutes=10 * i) for i in range(n)]),
        "feed": ["demo"] * n, "severity": ["critical", "major", "minor", "info"],
        "category": ["fire", "traffic", "device", "security"],
        "title": [f"告警{i}" for i in range(n)], "district": ["370705"] * n,
        "state": ["open", "acked", "cleared", "open"],
        "ack_by": [None, "值班员张伟", "值班员李娜", None],
        "ack_at": _ts([None, T0 + timedelta(minutes=15), T0 + timedelta(minutes=25), None]),
        "cleared_at": _ts([None, None, T0 + timedelta(minutes=40), None])})


def _indicators() -> pa.Table:
    return pa.table({"period": ["2026-09", "2026-10"], "code": ["gdp", "gdp"],
                     "name": ["地区生产总值"] * 2, "region": ["370700"] * 2,
                     "value": [5600.0, 6350.2], "target": [7000.0, 7000.0],
                     "unit": ["亿元"] * 2, "source": ["统计局"] * 2})


def _fill(store: Store, reverse: bool = False) -> Store:
    store.append("observations", _observations(reverse))
    store.upsert("entities", _entities(reverse))
    store.upsert("alerts", _alerts())
    store.upsert("indicators", _indicators())
    return store


def _dump(store: Store) -> dict[str, list[tuple]]:
    cur = store.reader()
    return {t: cur.execute(f"SELECT * FROM {t} ORDER BY {ORDERS[t]}").fetchall()
            for t in (*SNAPSHOT_TABLES, "feed_health")}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def source(tmp_path: Path):
    with _fill(Store(tmp_path / "source.duckdb")) as store:
        yield store


@pytest.fixture
def snap(source: Store, tmp_path: Path) -> Path:
    return export_snapshot(source, tmp_path / "snap")


# -- round trip -----------------------------------------------------------------------------
def test_export_info_import_round_trip(source: Store, snap: Path, tmp_path: Path):
    assert sorted(p.name for p in snap.iterdir()) == sorted(
        [f"{t}.parquet" for t in (*SNAPSHOT_TABLES, "meta")] + ["load.sql", "schema.sql"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left
    info = snapshot_info(snap)
    n_obs = STEPS * len(DISTS) * 3
    assert info.schema_version == SNAPSHOT_VERSION
    assert info.rows == {"observations": n_obs, "entities": 4, "alerts": 4, "indicators": 2}
    assert (info.first_ts, info.last_ts) == (T0, T0 + timedelta(minutes=5 * (STEPS - 1)))
    assert info.feeds == ("demo", "iot") and info.metrics == MET
    with Store(tmp_path / "target.duckdb") as target:
        assert import_snapshot(target, snap) == info.rows
        assert _dump(target) == {**_dump(source), "feed_health": []}


def test_import_with_shift_moves_every_timestamp(snap: Path, tmp_path: Path):
    shift = timedelta(days=1, seconds=7, microseconds=3)
    with Store(tmp_path / "target.duckdb") as target:
        import_snapshot(target, snap, shift=shift)
        cur = target.reader()
        assert cur.execute("SELECT min(ts), max(ts) FROM observations").fetchone() == (
            T0 + shift, T0 + timedelta(minutes=5 * (STEPS - 1)) + shift)
        assert cur.execute("SELECT ack_at, cleared_at FROM alerts WHERE alert_id = 'a2'"
                           ).fetchone() == (T0 + timedelta(minutes=25) + shift,
                                            T0 + timedelta(minutes=40) + shift)
        assert cur.execute("SELECT DISTINCT updated_at FROM entities").fetchall() == [
            (T0 + timedelta(minutes=55) + shift,)]


def test_import_twice_adds_no_duplicates(source: Store, snap: Path, tmp_path: Path):
    with Store(tmp_path / "target.duckdb") as target:
        first = import_snapshot(target, snap)
        once = _dump(target)
        again = import_snapshot(target, snap)
        assert again["observations"] == 0 and again["alerts"] == first["alerts"]
        assert _dump(target) == once
        # half an hour later half the steps overlap: only the other half is new
        half = timedelta(minutes=30)
        assert import_snapshot(target, snap, shift=half)["observations"] == 54
        assert import_snapshot(target, snap, shift=half)["observations"] == 0
        cur = target.reader()
        assert cur.execute("SELECT count(*) FROM observations").fetchone()[0] == 108 + 54
        dupes = cur.execute("SELECT count(*) FROM (SELECT ts, feed, entity_id, metric FROM "
                            "observations GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0
    # rows of the cache are not the snapshot's to drop: an import only adds what is missing
    source.append("observations", pa.table({
        "ts": _ts([T0]), "feed": ["demo"], "entity_id": ["370786:aqi"], "metric": ["aqi"],
        "value": [1.0]}))
    assert import_snapshot(source, snap)["observations"] == 0
    assert source.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == 109


def test_export_window(source: Store, tmp_path: Path):
    since, until = T0 + timedelta(minutes=15), T0 + timedelta(minutes=30)
    info = snapshot_info(export_snapshot(source, tmp_path / "w", since=since, until=until))
    assert (info.first_ts, info.last_ts) == (since, until)
    assert info.rows["observations"] == 4 * len(DISTS) * 3
    assert info.rows["alerts"] == 2  # a2 at 0:20 and a3 at 0:30
    assert info.rows["entities"] == 0 and info.rows["indicators"] == 2
    only_since = snapshot_info(export_snapshot(source, tmp_path / "s", since=until))
    assert only_since.first_ts == until and only_since.rows["observations"] == 6 * len(DISTS) * 3
    only_until = snapshot_info(export_snapshot(source, tmp_path / "u", until=since))
    assert only_until.last_ts == since and only_until.rows["observations"] == 4 * len(DISTS) * 3


def test_export_refusals(source: Store, tmp_path: Path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("keep")
    with pytest.raises(SnapshotError, match="not an empty folder"):
        export_snapshot(source, full)
    assert [p.name for p in full.iterdir()] == ["notes.txt"]
    with pytest.raises(SnapshotError, match="no observations"):
        export_snapshot(source, tmp_path / "empty", since=T0 + timedelta(days=3))
    assert not (tmp_path / "empty").exists()
    empty = tmp_path / "made-empty"
    empty.mkdir()
    assert export_snapshot(source, empty) == empty  # an empty folder is fine


def test_export_is_byte_identical_whatever_the_insertion_order(tmp_path: Path):
    with _fill(Store(tmp_path / "a.duckdb")) as a, \
            _fill(Store(tmp_path / "b.duckdb"), reverse=True) as b:
        assert _digest(export_snapshot(a, tmp_path / "sa")) == _digest(
            export_snapshot(b, tmp_path / "sb"))
        assert _digest(export_snapshot(a, tmp_path / "sa2")) == _digest(tmp_path / "sa")


def test_paths_with_quotes(source: Store, tmp_path: Path):
    odd = tmp_path / "it's a \"snap\"" / "o'clock"
    export_snapshot(source, odd)
    assert snapshot_info(odd).rows["alerts"] == 4
    with Store(tmp_path / "target's.duckdb") as target:
        assert import_snapshot(target, odd)["observations"] == 108



@pytest.mark.parametrize("name", ["演示?1", "演示*1", "演示[AB]1"])
def test_a_folder_named_like_a_glob_reads_only_its_own_files(source: Store, tmp_path: Path, name):
    """DuckDB's read_parquet takes * ? [ as a glob: a snapshot in "演示?1" also read the
    files of "演示A1" beside it, doubling every table."""
    odd = export_snapshot(source, tmp_path / name)
    shutil.copytree(odd, tmp_path / "演示A1")
    with Store(tmp_path / "target.duckdb") as target:
        assert snapshot_info(odd).rows["observations"] == 108
        assert import_snapshot(target, odd)["observations"] == 108
        assert target.reader().execute("SELECT count(*) FROM alerts").fetchall()[0][0] == 4


# -- refusals -------------------------------------------------------------------------------
def _rewrite(folder: Path, table: str, select: str) -> None:
    """Replace ``table``'s file with ``select`` run over it (``t`` is the old file)."""
    file = folder / f"{table}.parquet"
    old = file.with_suffix(".old")
    file.rename(old)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({sql_literal(old)})")
    con.execute(f"COPY ({select}) TO {sql_literal(file)} (FORMAT parquet)")
    con.close()
    old.unlink()


def _truncate(folder: Path) -> str:
    file = folder / "observations.parquet"
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    return "observations.parquet: unreadable"


def _garbage(folder: Path) -> str:
    (folder / "alerts.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 300)
    return "alerts.parquet: unreadable"


def _damaged_inside(folder: Path) -> str:
    file = folder / "observations.parquet"
    data = bytearray(file.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 400):
        data[i] ^= 0x5A
    file.write_bytes(bytes(data))
    return "observations.parquet: damaged"


def _missing_column(folder: Path) -> str:
    _rewrite(folder, "observations", "SELECT * EXCLUDE (unit) FROM t")
    return r"observations.parquet: missing column\(s\) unit"


def _value_as_text(folder: Path) -> str:
    _rewrite(folder, "observations", "SELECT * REPLACE (value::VARCHAR AS value) FROM t")
    return "observations.parquet: wrong column type.*value is VARCHAR, expected DOUBLE"


def _naive_times(folder: Path) -> str:
    _rewrite(folder, "alerts", "SELECT * REPLACE (ts::TIMESTAMP AS ts) FROM t")
    return "alerts.parquet: wrong column type.*ts is TIMESTAMP, expected TIMESTAMP WITH TIME ZONE"


def _no_observations(folder: Path) -> str:
    _rewrite(folder, "observations", "SELECT * FROM t LIMIT 0")
    return "observations.parquet: holds no observations"


def _newer_version(folder: Path) -> str:
    _rewrite(folder, "meta", "SELECT key, '99' AS value FROM t")
    return f"meta.parquet: snapshot schema version 99 is newer than this cockpit's \\({SCHEMA_VERSION}\\)"


def _no_version(folder: Path) -> str:
    _rewrite(folder, "meta", "SELECT * FROM t WHERE key <> 'schema_version'")
    return "meta.parquet: no schema_version"


def _missing_file(folder: Path) -> str:
    (folder / "entities.parquet").unlink()
    return "entities.parquet: missing"


def _missing_key(folder: Path) -> str:
    _rewrite(folder, "entities",
             "SELECT * REPLACE (CASE WHEN entity_id = '370705' THEN NULL ELSE entity_id END "
             "AS entity_id) FROM t")
    return r"entities.parquet: 1 row\(s\) without entity_id"


@pytest.mark.parametrize("damage", [
    _truncate, _garbage, _damaged_inside, _missing_column, _value_as_text, _naive_times,
    _no_observations, _newer_version, _no_version, _missing_file, _missing_key])
def test_damaged_snapshot_is_refused_and_the_cache_untouched(damage, snap: Path, tmp_path: Path):
    message = damage(snap)
    with pytest.raises(SnapshotError, match=message) as err:
        snapshot_info(snap)
    assert str(snap) in str(err.value)
    with Store(tmp_path / "target.duckdb") as target:
        target.append("observations", _observations().slice(0, 5))
        before = _dump(target)
        with pytest.raises(SnapshotError, match=message):
            import_snapshot(target, snap)
        assert _dump(target) == before


def test_import_failing_half_way_leaves_the_cache_as_it_was(snap: Path, tmp_path: Path):
    # passes the checks (types and columns are right) but the cache refuses the value
    _rewrite(snap, "entities", "SELECT * REPLACE ('{broken' AS attrs) FROM t")
    # without the content digests (an older snapshot), which would refuse the change up front
    _rewrite(snap, "meta", "SELECT * FROM t WHERE key = 'schema_version'")
    assert not snapshot_info(snap).verified
    with Store(tmp_path / "target.duckdb") as target:
        target.upsert("alerts", _alerts().slice(0, 1))
        before = _dump(target)
        with pytest.raises(SnapshotError, match="entities.parquet: could not be loaded") as err:
            import_snapshot(target, snap)
        assert str(snap) in str(err.value)
        assert _dump(target) == before  # observations went in first, and are gone again
            # ... and the cache still works
        assert import_snapshot(target, DEMO)["entities"] == snapshot_info(DEMO).rows["entities"]


def test_not_a_folder(tmp_path: Path):
    with pytest.raises(SnapshotError, match="not a snapshot folder"):
        snapshot_info(tmp_path / "nowhere")
    with pytest.raises(SnapshotError, match="meta.parquet: missing"):
        snapshot_info(tmp_path)


# -- the committed demo snapshot ------------------------------------------------------------
def test_committed_demo_snapshot_is_accepted():
    info = snapshot_info(DEMO)
    # v3 changed only feed_health, which no snapshot carries: snapshots still say 2.
    assert info.schema_version == SNAPSHOT_VERSION == 2 < SCHEMA_VERSION
    assert info.feeds == ("demo",)
    assert set(info.metrics) == set(METRICS)  # the demo has every metric of the catalogue
    assert info.rows["observations"] == 2 * 288 * 12 * len(METRICS)
    assert info.rows["entities"] > 12 and info.rows["alerts"] > 0
    assert info.last_ts - info.first_ts == timedelta(days=2) - timedelta(minutes=5)
    con = duckdb.connect()
    pairs = con.execute("SELECT count(DISTINCT (district, metric)), count(DISTINCT district) "
                        "FROM read_parquet(?)", [str(DEMO / "observations.parquet")]).fetchone()
    con.close()
    assert pairs == (12 * len(METRICS), 12)


def test_committed_demo_snapshot_reexports_byte_identical(tmp_path: Path):
    """A re-export of the imported demo gives the same files (as the demo generator relies on)."""
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    with Store(tmp_path / "cache.duckdb") as store:
        import_snapshot(store, copy)
        again = export_snapshot(store, tmp_path / "again")
    mine, theirs = _digest(again), _digest(DEMO)
    if mine != theirs:  # the files differ in bytes only if the Parquet writer changed
        con = duckdb.connect()
        for name in mine:
            q = "SELECT * FROM read_parquet(?)"
            assert (con.execute(q, [str(again / name)]).fetchall()
                    == con.execute(q, [str(DEMO / name)]).fetchall()), name
        con.close()


def test_a_snapshot_is_a_duckdb_export_any_duckdb_can_import():
    """The folder carries schema.sql and load.sql like DuckDB's EXPORT DATABASE, so support
    staff can open a presenter's snapshot with plain DuckDB."""
    import duckdb
    from support import DEMO_SNAPSHOT

    con = duckdb.connect()
    con.execute(f"IMPORT DATABASE '{DEMO_SNAPSHOT}'")
    assert con.execute("SELECT count(DISTINCT district) FROM observations").fetchone()[0] == 12
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SNAPSHOT_VERSION)
    con.close()
