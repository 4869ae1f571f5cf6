"""Damaged and hostile snapshots: each is refused with a message naming the file and what is
wrong, before anything reaches the cache (row counts of a real cache checked before and after);
through ``cockpit snapshot info/import`` and ``cockpit demo --snapshot`` too (no Qt here: the
demo refuses before its first window)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from support import DEMO_SNAPSHOT, ROOT

from cockpit.data.snapshot import (
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    SnapshotError,
    import_snapshot,
    snapshot_info,
)
from cockpit.data.store import Store, sql_literal

TABLES = ("observations", "entities", "alerts", "indicators")


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    folder = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, folder)
    return folder


@pytest.fixture(scope="module")
def cache_file(tmp_path_factory) -> Path:
    """A cache holding the demo once: what a wall has before someone imports a bad snapshot."""
    path = tmp_path_factory.mktemp("cache") / "wall.duckdb"
    with Store(path) as store:
        import_snapshot(store, DEMO_SNAPSHOT)
    return path


@pytest.fixture
def cache(cache_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "wall.duckdb"
    shutil.copy(cache_file, copy)
    return copy


def counts(cache: Path) -> dict[str, int]:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def rewrite(folder: Path, table: str, select: str) -> None:
    """Replace ``table``'s file by ``select`` over the old one (``t``)."""
    file = folder / f"{table}.parquet"
    old = file.with_suffix(".old")
    file.rename(old)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({sql_literal(old)})")
    con.execute(f"COPY ({select}) TO {sql_literal(file)} (FORMAT parquet)")
    con.close()
    old.unlink()


# -- the damage -------------------------------------------------------------------------------
def missing_column(folder: Path) -> tuple[str, str]:
    rewrite(folder, "alerts", "SELECT * EXCLUDE (severity) FROM t")
    return "alerts.parquet", r"missing column\(s\) severity"


def wrong_types(folder: Path) -> tuple[str, str]:
    rewrite(folder, "indicators", "SELECT * REPLACE (value::VARCHAR AS value) FROM t")
    return "indicators.parquet", "wrong column type.*value is VARCHAR, expected DOUBLE"


def zero_rows(folder: Path) -> tuple[str, str]:
    rewrite(folder, "observations", "SELECT * FROM t LIMIT 0")
    return "observations.parquet", "holds no observations"


def corrupt_footer(folder: Path) -> tuple[str, str]:
    # A Parquet file ends with its footer: the metadata, its length (4 bytes) and "PAR1".
    file = folder / "observations.parquet"
    data = bytearray(file.read_bytes())
    data[-8:-4] = (len(data) * 3).to_bytes(4, "little")  # a footer length past the file
    for i in range(len(data) - 300, len(data) - 8):  # and scrambled metadata
        data[i] ^= 0xA5
    file.write_bytes(bytes(data))
    return "observations.parquet", "unreadable, damaged or not Parquet"


def link_out_of_the_folder(folder: Path) -> tuple[str, str]:
    (folder / "entities.parquet").unlink()
    (folder / "entities.parquet").symlink_to("/etc/passwd")
    return "entities.parquet", r"leads out of the snapshot folder \(to /etc/passwd\)"


def relative_link_out(folder: Path) -> tuple[str, str]:
    other = folder.parent / "elsewhere.parquet"
    shutil.copy(folder / "alerts.parquet", other)  # a valid file, but not the snapshot's
    (folder / "alerts.parquet").unlink()
    (folder / "alerts.parquet").symlink_to(Path("..") / "elsewhere.parquet")
    return "alerts.parquet", "leads out of the snapshot folder"


def load_sql_naming_passwd(folder: Path) -> tuple[str, str]:
    load = folder / "load.sql"
    load.write_text(load.read_text().replace("'alerts.parquet'", "'../../etc/passwd'"))
    return "load.sql", r"line 3: expected COPY <table> FROM '<table>.parquet'.*\.\./\.\./etc/passwd"


def load_sql_absolute(folder: Path) -> tuple[str, str]:
    load = folder / "load.sql"
    load.write_text(load.read_text().replace("'meta.parquet'", "'/etc/passwd'"))
    return "load.sql", "line 5: .*'/etc/passwd'"


def schema_sql_other_statement(folder: Path) -> tuple[str, str]:
    schema = folder / "schema.sql"
    schema.write_text(schema.read_text() + "COPY meta TO '/tmp/x.csv';\n")
    return "schema.sql", "statement 6: expected a plain CREATE TABLE name\\(columns\\) statement"


def schema_sql_reading_a_file(folder: Path) -> tuple[str, str]:
    schema = folder / "schema.sql"
    schema.write_text("CREATE TABLE x AS SELECT * FROM read_csv('/etc/passwd');\n"
                      + schema.read_text())
    return "schema.sql", "statement 1: .*read_csv\\('/etc/passwd'\\)"


def two_gigabytes(folder: Path) -> tuple[str, str]:
    file = folder / "observations.parquet"
    with open(file, "r+b") as fh:  # sparse: nothing is written, the size says 2 GiB
        fh.truncate(2 << 30)
    return "observations.parquet", "2,147,483,648 bytes, larger than a snapshot file may be"


def deeply_nested_json(folder: Path) -> tuple[str, str]:
    deep = "[" * 100_000 + "]" * 100_000
    rewrite(folder, "entities",
            f"SELECT * REPLACE (CASE WHEN entity_id = '370705' THEN '{deep}' ELSE attrs END "
            f"AS attrs) FROM t")
    return "entities.parquet", r"attrs of entity '370705' is 200,000 characters long"


def nested_json_short(folder: Path) -> tuple[str, str]:
    deep = '{"a":' * 2000 + "1" + "}" * 2000  # 12 KB, well under the length cap
    rewrite(folder, "entities",
            f"SELECT * REPLACE (CASE WHEN entity_id = '370705' THEN '{deep}' ELSE attrs END "
            f"AS attrs) FROM t")
    return "entities.parquet", f"attrs of entity '370705' nests 2,000 levels deep \\(at most {MAX_JSON_DEPTH}\\)"


def a_folder_for_a_file(folder: Path) -> tuple[str, str]:
    (folder / "indicators.parquet").unlink()
    (folder / "indicators.parquet").mkdir()
    return "indicators.parquet", "expected a Parquet file, found a folder"


DAMAGE = [missing_column, wrong_types, zero_rows, corrupt_footer, link_out_of_the_folder,
          relative_link_out, load_sql_naming_passwd, load_sql_absolute, schema_sql_other_statement,
          schema_sql_reading_a_file,
          two_gigabytes, deeply_nested_json, nested_json_short, a_folder_for_a_file]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_bad_snapshot_is_refused_naming_the_file_and_the_cache_keeps_its_rows(damage, snap, cache):
    name, problem = damage(snap)
    before = counts(cache)
    with pytest.raises(SnapshotError, match=problem) as err:
        snapshot_info(snap)
    assert str(err.value).startswith(f"{snap / name}: ")
    with Store(cache) as store, pytest.raises(SnapshotError, match=problem):
        import_snapshot(store, snap)
    assert counts(cache) == before
    with Store(cache) as store:  # and the cache still takes a good snapshot
        assert import_snapshot(store, DEMO_SNAPSHOT)["observations"] == 0  # all there already


def test_the_size_cap_refuses_before_reading(snap):
    """A 2 GiB file is refused from its size alone: fast, and no byte of it read (a sparse
    file reads as zeros, which DuckDB would report as 'not Parquet' instead)."""
    file = snap / "observations.parquet"
    with open(file, "r+b") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    started = time.perf_counter()
    with pytest.raises(SnapshotError, match="larger than a snapshot file may be"):
        snapshot_info(snap)
    assert time.perf_counter() - started < 5  # generous: it reads nothing


def test_a_symlink_inside_the_folder_is_fine(snap):
    (snap / "data").mkdir()
    (snap / "alerts.parquet").rename(snap / "data" / "alerts.parquet")
    (snap / "alerts.parquet").symlink_to(Path("data") / "alerts.parquet")
    assert snapshot_info(snap).rows["alerts"] > 0


def test_a_snapshot_without_the_duckdb_scripts_is_still_read(snap):
    (snap / "load.sql").unlink()
    (snap / "schema.sql").unlink()
    assert snapshot_info(snap).rows["observations"] > 0


def cockpit(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("damage", [corrupt_footer, link_out_of_the_folder, two_gigabytes])
def test_the_command_line_refuses_with_one_line_and_no_traceback(damage, snap, cache):
    name, problem = damage(snap)
    before = counts(cache)
    for args in (["snapshot", "info", str(snap)],
                 ["snapshot", "import", str(snap), "--cache", str(cache)]):
        done = cockpit(*args)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"cockpit snapshot: {snap / name}: ")
    assert counts(cache) == before


def test_the_demo_with_a_damaged_snapshot_exits_with_the_reason(snap, tmp_path):
    name, _ = corrupt_footer(snap)
    done = cockpit("demo", "--snapshot", str(snap), "--cache", str(tmp_path / "demo.duckdb"),
                   "--exit-after", "20")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cockpit demo: {snap / name}: unreadable, damaged or not Parquet" in done.stderr
    assert "first frame painted" not in done.stderr  # refused before any window opened
    assert not (tmp_path / "demo.duckdb").exists()  # and before the cache was made
    missing = cockpit("demo", "--snapshot", str(tmp_path / "nowhere"), "--exit-after", "20")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert f"cockpit demo: {tmp_path / 'nowhere'}: not a snapshot folder" in missing.stderr


def test_a_running_walls_damaged_snapshot_feed_is_failed_with_its_reason(snap, cache, caplog):
    """``cockpit run`` keeps going with a damaged snapshot feed: the feed is failed, its error
    (the status strip and the feeds panel show it) names the file, and the log has one line,
    not a traceback."""
    from cockpit.data.ingest import FeedRunner
    from cockpit.data.replay import SnapshotReplay

    name, problem = link_out_of_the_folder(snap)
    before = counts(cache)
    with Store(cache) as store:
        runner = FeedRunner(store, [SnapshotReplay(snap, name="recorded")])
        runner.backfill_all()
        runner.close_feeds()
        ok, error = store.reader().execute(
            "SELECT last_success = last_attempt, last_error FROM feed_health "
            "WHERE feed = 'recorded'").fetchone()
    assert ok is not True
    assert f"{snap / name}: leads out of the snapshot folder" in error
    assert counts(cache) == before
    failed = [r for r in caplog.records if "feed recorded failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is None
