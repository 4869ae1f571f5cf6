"""The live-feed commands as a user runs them: the site config's [[feeds]] validated,
`cockpit simulate` and `cockpit ingest` as separate processes on loopback, and recording a
demo today to replay it tomorrow (snapshot export with progress, info, demo --snapshot)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import DEMO_SNAPSHOT, ROOT

from cockpit.data.replay import SnapshotReplay
from cockpit.data.snapshot import export_snapshot, snapshot_info
from cockpit.data.store import Store
from cockpit.model.config import ConfigError, load_config

EXAMPLE = ROOT / "examples" / "site-simulator.toml"


def cockpit(*args: str, timeout: float = 60, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_example_config_declares_one_feed_of_every_kind_and_validates():
    config = load_config(EXAMPLE)
    assert sorted(f.kind for f in config.feeds) == ["mqtt", "ngsi", "rest", "sensorthings",
                                                    "thingsboard"]
    assert {f.name: f.interval for f in config.feeds}["数据中台"] == 30.0
    result = cockpit("validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr


def test_bad_feeds_are_reported_all_at_once_with_key_paths(tmp_path: Path):
    path = tmp_path / "site.toml"
    path.write_text('''version = 1
[[feeds]]
name = "a"
kind = "rest"
url = "http://127.0.0.1:1/api?token=abc"
interval = "5 minutes"
auth = { type = "signature", app_key = "k" }
paging = { type = "pages" }
mapping = { entity_id = "id", metric = "m" }
[[feeds]]
name = "b"
kind = "graphql"
[[feeds]]
name = "c"
kind = "mqtt"
topics = []
qos = 2
mapping = { ts = "ts", entity_id = "id", metrics = { aqi = "aqi" } }
colour = "red"
''', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for part in ("feeds[0].url: no credentials or query in the URL",
                 "feeds[0].interval: expected a positive number of seconds or a duration",
                 "feeds[0].auth.secret: signature auth needs secret or secret_env",
                 "feeds[0].paging.type: unknown paging 'pages'",
                 "feeds[0].mapping.ts: missing", "feeds[0].mapping.value: metric and value go",
                 "feeds[1].kind: unknown feed kind 'graphql' (known: snapshot, rest, ngsi",
                 "feeds[2].topics: expected a non-empty list", "feeds[2].qos: expected 0 or 1",
                 "feeds[2].colour: unknown key for a mqtt feed"):
        assert part in text, part
    assert all(line.startswith(str(path)) for line in text.splitlines())
    result = cockpit("validate", str(path))
    assert result.returncode == 1 and "feeds[2].qos" in result.stderr


def test_export_reports_progress_by_rows(tmp_path: Path):
    seen: list[tuple[float, int]] = []
    with Store(tmp_path / "c.duckdb") as store:
        SnapshotReplay(DEMO_SNAPSHOT).backfill(store, datetime(2026, 11, 28, tzinfo=UTC))
        export_snapshot(store, tmp_path / "out", progress=lambda f, n: seen.append((f, n)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[-1][1] > 96_768  # every table's rows


@pytest.mark.slow
def test_simulate_ingest_record_and_replay_tomorrow(tmp_path: Path):
    sim = subprocess.Popen([sys.executable, "-m", "cockpit.cli", "simulate", "--port", "0",
                            "--exit-after", "90"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        first = sim.stdout.readline()
        assert "serving on http://127.0.0.1:" in first, first
        url = first.split("serving on ")[1].strip()
        cache = tmp_path / "live.duckdb"
        config = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8700", url)
        config = config.replace('cache = "simulator.duckdb"', f'cache = "{cache}"')
        config = config[:config.index("# MQTT")]  # no broker in this test
        site = tmp_path / "site.toml"
        site.write_text(config, encoding="utf-8")
        result = cockpit("ingest", "--config", str(site), "--once",
                         env={"WF_TB_PASSWORD": "tenant"})
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 4 and all(" ok " in line for line in lines), lines
        again = cockpit("ingest", "--config", str(site), "--once",
                        env={"WF_TB_PASSWORD": "tenant"})
        assert again.returncode == 0
        with Store(cache, read_only=True) as store:
            assert store.reader().execute(
                "SELECT count(*) - count(DISTINCT (ts, feed, entity_id, metric)) "
                "FROM observations").fetchone()[0] == 0  # the second run duplicated nothing
    finally:
        sim.terminate()
        sim.wait(10)
    snap = tmp_path / "recorded"
    result = cockpit("snapshot", "export", "--cache", str(cache), "--out", str(snap))
    assert result.returncode == 0, result.stderr
    info = snapshot_info(snap)
    assert set(info.feeds) == {"数据中台", "物联感知", "传感器网", "设备平台"}
    result = cockpit("snapshot", "info", str(snap))
    assert "数据中台" in result.stdout
    assert "overview (城市运行总览), environment (生态环保), safety (平安应急)" in result.stdout
    # tomorrow, offline: the recording replays as the demo
    with Store(tmp_path / "tomorrow.duckdb") as store:
        SnapshotReplay(snap).backfill(store, datetime.now(UTC))
        assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == sum(
            [info.rows["observations"]])
    demo = cockpit("demo", "--snapshot", str(snap), "--windowed", "--cache",
                   str(tmp_path / "demo.duckdb"), "--exit-after", "2",
                   env={"QT_QPA_PLATFORM": "offscreen"}, timeout=90)
    assert demo.returncode == 0, demo.stderr
    assert "first frame painted" in demo.stderr


@pytest.mark.slow
def test_run_shows_the_live_wall_fed_by_the_simulator(tmp_path: Path):
    sim = subprocess.Popen([sys.executable, "-m", "cockpit.cli", "simulate", "--port", "0",
                            "--exit-after", "90"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        url = sim.stdout.readline().split("serving on ")[1].strip()
        cache = tmp_path / "wall.duckdb"
        config = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8700", url)
        config = config.replace('cache = "simulator.duckdb"', f'cache = "{cache}"')
        site = tmp_path / "site.toml"
        site.write_text(config[:config.index("# MQTT")], encoding="utf-8")
        wall = cockpit("run", "--config", str(site), "--windowed", "--exit-after", "6",
                       env={"QT_QPA_PLATFORM": "offscreen", "WF_TB_PASSWORD": "tenant"},
                       timeout=120)
    finally:
        sim.terminate()
        sim.wait(10)
    assert wall.returncode == 0, wall.stderr
    assert "first frame painted" in wall.stderr
    with Store(cache, read_only=True) as store:
        health = dict(store.reader().execute(
            "SELECT feed, last_success IS NOT NULL FROM feed_health").fetchall())
        assert health == {"数据中台": True, "物联感知": True, "传感器网": True, "设备平台": True}
        assert store.reader().execute("SELECT count(DISTINCT metric) FROM observations"
                                      ).fetchone()[0] == 14


def test_simulate_refuses_an_unknown_fault_clearly():
    from cockpit.demo.simulator import Faults

    assert Faults.parse("slow=0.2,drop=0.1,after=3") == Faults(slow=0.2, drop=0.1, after=3)
    result = cockpit("simulate", "--faults", "slow=0.2,flood=1", "--exit-after", "0")
    assert result.returncode == 2 and "unknown fault 'flood'" in result.stderr
    result = cockpit("simulate", "--faults", "error=3", "--exit-after", "0")
    assert result.returncode == 2 and "probability 3.0 outside 0..1" in result.stderr
