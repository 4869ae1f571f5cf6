"""A damaged cache file at start: real files, damaged by writing bytes into them, as DuckDB
2.0 here finds them. What the user gets: the wall / ingest starts, an unusable file is kept
aside (named with the time) and a new cache fills from the feeds."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from support import DEMO_SNAPSHOT, ROOT
from support.cachefiles import build_cache, copy_cache, data_block_offset, flip_byte
from support.waiting import eventually

from cockpit.data.cachecheck import probe
from cockpit.data.store import Store
from cockpit.model import incidents
from cockpit.shell.wording import incident_text


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "wall.duckdb"
    return path, build_cache(path)


@pytest.fixture(autouse=True)
def fresh_incidents():
    incidents.reset()
    yield
    incidents.reset()


def kept_aside(cache):
    return sorted(p for p in cache.parent.iterdir() if p.name.startswith(f"{cache.name}.corrupt-"))


def count(path, table="observations"):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def user_backfill(path, now) -> int:
    """The observations a site config's snapshot feed (the user's, built as ``cockpit ingest``
    builds it: aligned to the time of day) loads into an empty cache at ``now``."""
    from cockpit.data.sources import build
    from cockpit.model.config import load_config

    config = path.parent / "reference.toml"
    config.write_text(f'version = 1\n[[feeds]]\nname = "demo"\nkind = "snapshot"\n'
                      f'path = "{DEMO_SNAPSHOT.as_posix()}"\n', encoding="utf-8")
    feed = build(load_config(config).feeds[0])
    with Store(path) as store:
        feed.backfill(store, now)
        return store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]


def ingest_once(cache, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(f'version = 1\n[[feeds]]\nname = "demo"\nkind = "snapshot"\n'
                      f'path = "{DEMO_SNAPSHOT.as_posix()}"\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--config", str(config),
                           "--once", "--cache", str(cache)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_a_flipped_byte_in_a_data_block_is_found_by_the_probe_not_by_a_count(pristine, tmp_path):
    src, rows = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    flip_byte(cache, data_block_offset(cache) + 4096)
    # what DuckDB does: the file opens and count(*) answers from metadata ...
    assert count(cache) == rows
    # ... the child reads every block, so the checksum error is found before the wall trusts it
    result = probe(cache, 60)
    assert result.state == "damaged", result
    assert "checksum" in result.detail


@pytest.mark.slow  # ingest of the aligned demo (about 400,000 rows) and its reference: ~14 s
def test_ingest_sets_a_damaged_cache_aside_and_fills_a_new_one(pristine, tmp_path):
    src, rows = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    flip_byte(cache, data_block_offset(cache) + 4096)
    damaged = cache.read_bytes()

    before = datetime.now(UTC)
    result = ingest_once(cache, tmp_path)
    after = datetime.now(UTC)

    assert result.returncode == 0, result.stderr
    kept = kept_aside(cache)
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # kept as it was, for inspection
    assert "could not be opened" in result.stderr and kept[0].name in result.stderr
    # the feed's backfill filled the new cache again: as much as the user's snapshot feed
    # (aligned to the time of day, at the moment the command ran) loads into an empty cache
    got, most = count(cache), user_backfill(tmp_path / "reference-after.duckdb", after)
    if got != most:  # a recorded sample fell due while the command ran: it may hold it or not
        least = user_backfill(tmp_path / "reference-before.duckdb", before)
        assert least <= got <= most, (least, got, most)
    assert got > rows // 2, (got, rows)
    assert probe(cache, 60).state == "ok"


@pytest.mark.parametrize("keep", [4096, 100, None], ids=["4KiB", "100B", "half"])
def test_a_truncated_cache_is_set_aside_and_rebuilt(pristine, tmp_path, keep):
    from cockpit.data.opening import open_store

    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    os.truncate(cache, keep if keep is not None else cache.stat().st_size // 2)

    with open_store(cache) as store:
        assert store.reader().execute("SELECT count(*) FROM observations").fetchall() == [(0,)]
        assert store.schema_version() >= 4  # a new, migrated cache
    kept = kept_aside(cache)
    assert len(kept) == 1
    _, items = incidents.current()
    assert [i.key for i in items] == ["store.rebuilt"]
    assert items[0].detail("kept") == kept[0].name  # the state and its facts; the shell words it
    assert incident_text(items[0]) == f"缓存文件损坏，已另存为 {kept[0].name} 并重建，数据正在重新载入"


def test_a_damaged_header_is_set_aside_with_its_wal(pristine, tmp_path):
    from cockpit.data.opening import open_store

    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    wal = tmp_path / "wall.duckdb.wal"
    wal.write_bytes(b"left over from the crash")
    flip_byte(cache, 4096 + 10)  # the first database header

    with open_store(cache):
        pass
    kept = kept_aside(cache)
    assert [p.name.endswith(".wal") for p in kept] == [False, True]  # the pair, named alike
    assert kept[1].name == kept[0].name + ".wal"
    assert kept[1].read_bytes() == b"left over from the crash"


def test_a_garbage_wal_is_ignored_and_the_committed_data_kept(pristine, tmp_path):
    """Measured: DuckDB 2.0 ignores a WAL it cannot read; the cache is not set aside."""
    from cockpit.data.opening import open_store

    src, rows = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    (tmp_path / "wall.duckdb.wal").write_bytes(os.urandom(8192))

    assert probe(cache, 60).state == "ok"
    with open_store(cache) as store:
        assert store.reader().execute("SELECT count(*) FROM observations").fetchall() == [(rows,)]
    assert kept_aside(cache) == []
    assert incidents.current()[1] == []


def test_a_probe_that_does_not_finish_in_time_counts_as_unusable(pristine, tmp_path):
    """A WAL replay that hangs: the child is killed at the timeout and the file is not trusted
    (here the real child simply gets far too little time)."""
    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    result = probe(cache, 0.01)
    assert result.state == "hung" and result.unusable


def test_a_cache_that_is_not_a_cockpit_cache_is_refused_not_moved(tmp_path):
    from cockpit.data.opening import open_store
    from cockpit.data.store import StoreError

    cache = tmp_path / "other.duckdb"
    con = duckdb.connect(str(cache))
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a cockpit cache"):
        open_store(cache)
    assert cache.exists() and kept_aside(cache) == []


@pytest.mark.slow
def test_the_wall_starts_on_a_damaged_cache_and_shows_data_again(pristine, tmp_path):
    src, rows = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    os.truncate(cache, cache.stat().st_size // 2)
    config = tmp_path / "site.toml"
    config.write_text(f'version = 1\n[wall]\nlayouts = ["overview"]\n[[feeds]]\nname = "demo"\n'
                      f'kind = "snapshot"\npath = "{DEMO_SNAPSHOT.as_posix()}"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cockpit.cli", "run", "--config", str(config),
                             "--cache", str(cache), "--exit-after", "15"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "first data painted" in result.stderr
    assert len(kept_aside(cache)) == 1 and "could not be opened" in result.stderr
    assert count(cache) >= rows


def test_a_cache_this_user_may_not_write_is_not_taken_for_damage(pristine, tmp_path):
    from cockpit.data.opening import open_store
    from cockpit.data.store import StoreError

    src, _ = pristine
    folder = tmp_path / "ro"
    folder.mkdir()
    cache = copy_cache(src, folder / "wall.duckdb")
    with small_ro_disk(folder):
        result = probe(cache, 60)
        assert result.state == "denied" and not result.unusable, result
        with pytest.raises(StoreError, match="cannot open the cache"):
            open_store(cache)
    assert kept_aside(cache) == []


def small_ro_disk(folder):
    """The folder bind-mounted read-only (root ignores file modes, not a read-only mount)."""
    import contextlib

    @contextlib.contextmanager
    def mounted():
        ok = subprocess.run(["mount", "--bind", str(folder), str(folder)],
                            capture_output=True).returncode == 0
        ok = ok and subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                                   capture_output=True).returncode == 0
        if not ok:
            pytest.fail("needs a read-only bind mount (root, as CI runs)")
        try:
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)

    return mounted()


def test_a_probe_child_that_dies_counts_as_crashed(pristine, tmp_path):
    """What a WAL-replay crash looks like from outside: the child dies of a signal. Here it is
    killed (SIGKILL, as the OOM killer would) while it reads the cache."""
    import signal
    import threading

    src, _ = pristine
    cache = copy_cache(src, tmp_path / "wall.duckdb")
    results = []
    worker = threading.Thread(target=lambda: results.append(probe(cache, 60)))
    worker.start()

    def kill_the_probe() -> int | str | None:
        """The pid of the probe's child, killed; "finished" if the probe ended first."""
        if not worker.is_alive():
            return "finished"
        for proc in Path("/proc").iterdir():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"cockpit.data.cachecheck" in cmd and str(cache).encode() in cmd:
                os.kill(int(proc.name), signal.SIGKILL)
                return int(proc.name)
        return None

    killed = eventually(kill_the_probe, 20, interval=0.001, message="the probe's child running")
    worker.join(60)
    if killed == "finished":  # it finished before we found it: the machine was quick
        pytest.fail(f"the probe's child was not seen running (result {results})")
    assert results[0].state == "crashed" and results[0].unusable
    assert "SIGKILL" in results[0].detail
