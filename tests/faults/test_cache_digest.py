"""Issue 16, finding 9: damage DuckDB's block checksums miss is caught by the content digest
the store keeps at a clean close (docs/cache.md#content-digests)."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from support import ROOT
from support.cachefiles import build_cache, column_segment_offset, copy_cache, swap_words

from cockpit.data.cachecheck import REBUILT_INCIDENT, probe
from cockpit.data.store import Store
from cockpit.model import incidents


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "wall.duckdb"
    return path, build_cache(path)


@pytest.fixture(autouse=True)
def fresh_incidents():
    incidents.reset()
    yield
    incidents.reset()


def all_rows(path, table="observations"):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        con.close()


def meta(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


def test_a_clean_close_keeps_a_digest_that_the_check_verifies(pristine):
    src, rows = pristine
    kept = meta(src)
    assert kept["digest:observations"].startswith(f"{rows}:")
    assert kept["digest_duckdb"] == duckdb.__version__
    result = probe(src, 60, read_only=True)
    assert (result.state, result.digest) == ("ok", "verified"), result


def test_two_swapped_words_pass_the_checksums_but_not_the_digest(pristine, tmp_path):
    src, rows = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    swap_words(cache, column_segment_offset(cache, "observations", "ts") + 8)
    # what DuckDB does: every block reads back without a checksum error, and rows have changed
    changed = set(all_rows(cache)) - set(all_rows(src))
    assert len(all_rows(cache)) == rows and changed
    result = probe(cache, 60)
    assert (result.state, result.digest) == ("damaged", "mismatch"), result
    assert "digest mismatch in observations" in result.detail
    assert result.unusable


def test_a_row_changed_behind_the_stores_back_is_damage_set_aside_and_rebuilt(pristine, tmp_path):
    from cockpit.shell.app import open_store

    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    con = duckdb.connect(str(cache))
    con.execute("UPDATE observations SET value = value + 1 WHERE rowid = 7")
    con.close()
    result = probe(cache, 60, read_only=True)
    assert result.state == "damaged" and "observations" in result.detail, result
    store = open_store(cache)
    try:
        _, items = incidents.current()
        assert [i.key for i in items] == [REBUILT_INCIDENT]
        assert items[0].detail("kept").startswith("wall.duckdb.corrupt-")
        assert store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0] == 0
    finally:
        store.close()
    assert [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]


def test_a_write_after_open_clears_the_digest_so_a_crash_falls_back_to_checksums(pristine,
                                                                                    tmp_path):
    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    code = ("import os, sys; from datetime import datetime, UTC; "
            "from cockpit.data.store import Store; s = Store(sys.argv[1]); "
            "s.set_checkpoint('demo', 'x', datetime.now(UTC)); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(cache)], cwd=ROOT, check=True, timeout=60)
    result = probe(cache, 60)
    assert result.state == "ok" and result.digest in ("none", "wal"), result
    assert result.rows["feed_checkpoints"] == 1


def test_a_digest_from_another_duckdb_is_not_compared(pristine, tmp_path):
    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    con = duckdb.connect(str(cache))
    con.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'digest_duckdb'")
    con.execute("UPDATE observations SET value = value + 1 WHERE rowid = 7")
    con.close()
    result = probe(cache, 60)
    assert (result.state, result.digest) == ("ok", "duckdb 0.0.1"), result


def test_a_read_only_store_writes_no_digest(pristine, tmp_path):
    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    before = cache.read_bytes()
    Store(cache, read_only=True).close()
    assert cache.read_bytes() == before
