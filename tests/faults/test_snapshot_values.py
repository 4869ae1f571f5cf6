"""Issue 16, findings 8 and 9: a snapshot holding NaN or ±infinity is refused like any other bad
snapshot, naming the file and the column (info, import, the demo's replay), and the map query
never fails on such values in a cache; each table's content digest, recorded in meta at
export, catches a changed value that is still valid Parquet (what block checksums miss),
naming the table. A snapshot from before digests still loads, reported as not verified."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from support import DEMO_SNAPSHOT, NOW, ROOT

from cockpit.data.snapshot import SnapshotError, export_snapshot, import_snapshot, snapshot_info
from cockpit.data.store import Store, sql_literal


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    folder = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, folder)
    return folder


def rewrite(folder: Path, table: str, select: str) -> None:
    file = folder / f"{table}.parquet"
    old = file.with_suffix(".old")
    file.rename(old)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({sql_literal(old)})")
    con.execute(f"COPY ({select}) TO {sql_literal(file)} (FORMAT parquet)")
    con.close()
    old.unlink()


def cockpit(*args: str, cwd=ROOT, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


NON_FINITE = [("observations", "value", "'nan'::DOUBLE"),
              ("observations", "lat", "'inf'::DOUBLE"),
              ("entities", "lon", "'-inf'::DOUBLE"),
              ("alerts", "lat", "'nan'::DOUBLE"),
              ("indicators", "target", "'inf'::DOUBLE")]


@pytest.mark.parametrize(("table", "column", "value"), NON_FINITE)
def test_non_finite_values_are_refused_naming_file_and_column(table, column, value, snap, tmp_path):
    rewrite(snap, table, f"SELECT * REPLACE (CASE WHEN row_number() OVER () % 7 = 0 THEN {value} "
                         f"ELSE {column} END AS {column}) FROM t")
    pattern = rf"^{snap / f'{table}.parquet'}: column {column}: [\d,]+ value\(s\) not a finite number"
    with pytest.raises(SnapshotError, match=pattern):
        snapshot_info(snap)
    with Store(tmp_path / "c.duckdb") as store:
        with pytest.raises(SnapshotError, match=pattern):
            import_snapshot(store, snap)
        assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == 0


@pytest.mark.slow
def test_the_cli_and_the_demo_refuse_a_nan_snapshot(snap, tmp_path):
    rewrite(snap, "observations", "SELECT * REPLACE ('nan'::DOUBLE AS value) FROM t")
    name = snap / "observations.parquet"
    done = cockpit("snapshot", "info", str(snap))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"cockpit snapshot: {name}: column value: ")
    done = cockpit("demo", "--snapshot", str(snap), "--cache", str(tmp_path / "d.duckdb"),
                   "--exit-after", "20")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cockpit demo: {name}: column value: " in done.stderr


def test_the_map_query_shows_non_finite_cache_values_as_no_data(tmp_path):
    from dataclasses import replace

    from cockpit.model.layout import load_layout
    from cockpit.panels.map import map_layers

    with Store(tmp_path / "c.duckdb") as store:
        store.write(lambda con: con.execute(
            "INSERT INTO observations (ts, feed, entity_id, metric, value, district, lat, lon) "
            "VALUES (?, 'x', 'e1', 'aqi', 'nan'::DOUBLE, '370702', 'nan'::DOUBLE, 119.1), "
            "(?, 'x', 'e2', 'aqi', 'inf'::DOUBLE, '370703', 36.7, 'inf'::DOUBLE), "
            "(?, 'x', 'e3', 'aqi', 1e12, '370705', 36.7, 119.1)", [NOW, NOW, NOW]))
        store.write(lambda con: con.execute(
            "INSERT INTO entities VALUES ('e1', 'camera', 'n', '370702', 'nan'::DOUBLE, 119.1, "
            "'online', '{}', ?)", [NOW]))
        spec = next(p for p in load_layout(ROOT / "layouts" / "overview.toml").panels()
                    if p.kind == "map")
        for metric in ("aqi", "pm25"):
            vm = map_layers(store.reader(), replace(spec, params={**spec.params, "metric": metric}),
                            NOW)
            assert "NaN" not in vm.payload and "Infinity" not in vm.payload
            assert vm.devices == 0


# -- finding 9: content digests ---------------------------------------------------------------
def test_export_records_a_digest_per_table_and_info_verifies_it(tmp_path):
    with Store(tmp_path / "c.duckdb") as store:
        import_snapshot(store, DEMO_SNAPSHOT)
        out = export_snapshot(store, tmp_path / "out")
    info = snapshot_info(out)
    assert info.verified
    keys = dict(duckdb.connect().execute(
        "SELECT key, value FROM read_parquet(?)", [str(out / "meta.parquet")]).fetchall())
    assert keys["digest"] == "md5-rows-v1"
    assert {k for k in keys if k.startswith("digest:")} == {
        f"digest:{t}" for t in ("observations", "entities", "alerts", "indicators")}
    # the bundled snapshot carries the same digests (its data is what the export wrote)
    assert snapshot_info(DEMO_SNAPSHOT).verified
    assert (out / "meta.parquet").read_bytes() == (DEMO_SNAPSHOT / "meta.parquet").read_bytes()


SWAPS = {  # valid Parquet, valid values: only the content digest can tell
    "observations": "SELECT * REPLACE (CASE WHEN row_number() OVER () = 5 THEN value + 1 "
                    "ELSE value END AS value) FROM t",
    "alerts": "SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN 'closed' ELSE state END "
              "AS state) FROM t",
    "entities": "SELECT * FROM t LIMIT (SELECT count(*) - 1 FROM t)",
    "indicators": "SELECT * FROM t UNION ALL (SELECT * FROM t LIMIT 1)",
}


@pytest.mark.parametrize("table", sorted(SWAPS))
def test_a_changed_value_is_refused_naming_the_table(table, snap, tmp_path):
    rewrite(snap, table, SWAPS[table])
    pattern = rf"^{snap / f'{table}.parquet'}: content digest \d+ differs .* for table {table}:"
    with pytest.raises(SnapshotError, match=pattern):
        snapshot_info(snap)
    with Store(tmp_path / "c.duckdb") as store, pytest.raises(SnapshotError, match=pattern):
        import_snapshot(store, snap)


def test_reordered_rows_are_the_same_content(snap):
    rewrite(snap, "observations", "SELECT * FROM t ORDER BY value DESC, entity_id")
    assert snapshot_info(snap).verified


def test_a_snapshot_from_before_digests_still_loads_unverified(snap, tmp_path):
    rewrite(snap, "meta", "SELECT * FROM t WHERE key = 'schema_version'")
    info = snapshot_info(snap)
    assert not info.verified and info.rows["observations"] > 0
    done = cockpit("snapshot", "info", str(snap))
    assert done.returncode == 0
    assert "no digest (a snapshot exported before digests): not verified" in done.stdout
    with Store(tmp_path / "c.duckdb") as store:
        assert import_snapshot(store, snap)["observations"] == info.rows["observations"]
