"""``cockpit doctor`` against a real cache, one held by a running wall, a broken one and a
failing feed; the rotating, redacted log files it reads."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from support import ROOT

from cockpit.data.store import Store


def doctor(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COCKPIT_LOG_DIR": str(tmp_path / "log")}
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "doctor", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90, env=env)


def healthy_cache(path) -> None:
    now = datetime.now(UTC)
    with Store(path) as store:
        store.record_health("city-rest", attempt=now, success=True, error=None, rows=1234,
                            latency_ms=12.0)


SECTIONS = ["versions", "screens", "fonts", "cache", "feeds", "logs"]


def report(out: str, expect: list[str] = SECTIONS) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The doctor's report read back: {section: {key: value}} from its "  key   value" lines,
    and the summary after the last section (its closing lines). Fails unless the sections are
    exactly ``expect``, in order, so a doctor that prints less, or something else, cannot pass."""
    sections: dict[str, dict[str, str]] = {}
    summary: list[str] = []
    lines = out.rstrip().splitlines()
    assert lines[0].startswith("cockpit doctor, "), out
    current = None
    for line in lines[1:]:
        if not line.strip():
            continue
        if not line.startswith(" ") and line.split(" ")[0] in SECTIONS and current != "logs":
            current = line.split(" ")[0]
            sections[current] = {}
        elif line.startswith("  ") and current and not summary:
            key, _, value = line.strip().partition("  ")
            sections[current][key] = value.strip()
        else:
            summary.append(line.strip())
    assert list(sections) == expect, out
    return sections, summary


def problems(out: str) -> list[str]:
    """Every line the doctor marks as a problem, anywhere in the report."""
    return [line.strip() for line in out.splitlines() if "PROBLEM" in line]


def test_a_healthy_wall_gets_a_clean_bill(tmp_path):
    cache = tmp_path / "wall.duckdb"
    healthy_cache(cache)
    result = doctor(tmp_path, "--cache", str(cache))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    sections, summary = report(out)
    versions = sections["versions"]
    assert versions["PySide6 / Qt"].startswith("6.11.3 / ")
    for key in ("cockpit", "Python", "DuckDB", "platform"):
        assert versions[key], out
    assert versions["DuckDB"][0].isdigit()
    # the offscreen platform's three virtual screens (tests/conftest.py), each on its own line
    screens = [f"{k}  {v}" for k, v in sections["screens"].items()]
    assert len(screens) == 3, out
    assert "WALL-1  1920x1080 at 0,0  DPR 1" in screens[0], out
    assert "WALL-3  1280x720 at 3840,0" in screens[2], out
    assert "families with Chinese glyphs" in sections["fonts"]["Chinese"], out
    assert sections["cache"]["path"] == str(cache)
    assert sections["cache"]["health"].startswith("opens read-only; schema v"), out
    feeds = sections["feeds"]
    assert list(feeds) == ["city-rest"], out
    assert feeds["city-rest"].split()[:3] == ["ok", "1,234", "rows"], out
    assert sections["logs"]["folder"].startswith(str(tmp_path / "log"))
    assert sections["logs"]["last errors"] == "none"
    assert problems(out) == []
    assert summary == ["no problems found"], out


def test_a_cache_held_by_a_running_wall_names_its_pid(tmp_path):
    cache = tmp_path / "wall.duckdb"
    healthy_cache(cache)
    with Store(cache):  # this process is the running wall
        result = doctor(tmp_path, "--cache", str(cache))
    out = result.stdout
    sections, summary = report(out)
    assert f"in use by another cockpit (PID {os.getpid()})" in "\n".join(
        f"{k} {v}" for k, v in sections["cache"].items()), out
    assert result.returncode == 0, out  # a running wall is not a fault
    assert problems(out) == [] and summary == ["no problems found"], out


def test_a_broken_cache_is_a_problem_with_the_reason(tmp_path):
    cache = tmp_path / "wall.duckdb"
    cache.write_bytes(b"this is not a database, it was overwritten by something" * 200)
    result = doctor(tmp_path, "--cache", str(cache))
    out = result.stdout
    assert result.returncode == 1
    sections, summary = report(out, [s for s in SECTIONS if s != "feeds"])  # no cache, no feeds
    cache_lines = "\n".join(f"{k} {v}" for k, v in sections["cache"].items())
    assert "PROBLEM: cannot be opened (damaged):" in cache_lines, out
    assert "not a valid DuckDB database file" in cache_lines
    assert len(problems(out)) == 1, out  # the cache, and nothing else
    assert summary[0] == "1 problem(s):" and len(summary) == 2, out
    assert "not a valid DuckDB database file" in summary[1]
    assert cache.read_bytes().startswith(b"this is not a database")  # looked at, not touched


def test_a_failing_feed_and_the_last_logged_errors_are_shown(tmp_path):
    cache = tmp_path / "wall.duckdb"
    now = datetime.now(UTC)
    with Store(cache) as store:
        store.record_health("iot-mqtt", attempt=now, success=False, rows=0, latency_ms=5.0,
                            error="connection refused by 10.1.2.3:1883")
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "cockpit.log").write_text(
        "2026-11-28 09:00:00,001 INFO cockpit.shell.app: wall up\n"
        "2026-11-28 09:00:06,003 WARNING cockpit.ops.watchdog: GUI thread recovered\n",
        encoding="utf-8")
    (tmp_path / "log" / "ingest.log").write_text(  # a headless ingest beside the wall
        "2026-11-28 09:00:05,002 ERROR cockpit.data.ingest: feed iot-mqtt failed: refused\n",
        encoding="utf-8")
    result = doctor(tmp_path, "--cache", str(cache))
    out = result.stdout
    assert result.returncode == 1
    sections, summary = report(out)
    feed = sections["feeds"]["iot-mqtt"]
    assert feed.startswith("PROBLEM: failing") and "connection refused by 10.1.2.3:1883" in feed
    assert summary[0] == "1 problem(s):" and len(summary) == 2, out
    assert summary[1].startswith("- iot-mqtt: failing")
    assert "ERROR cockpit.data.ingest: feed iot-mqtt failed: refused" in out
    assert "wall up" not in out  # errors only


def test_only_the_failing_feeds_are_problems_and_each_is_counted(tmp_path):
    """A second case that must be reported: two feeds failing beside a healthy one. The doctor
    names each failing feed once, counts two problems, and leaves the healthy feed alone."""
    cache = tmp_path / "wall.duckdb"
    now = datetime.now(UTC)
    with Store(cache) as store:
        store.record_health("city-rest", attempt=now, success=True, error=None, rows=10,
                            latency_ms=3.0)
        for name, error in (("iot-mqtt", "connection refused"), ("traffic-ngsi", "HTTP 503")):
            store.record_health(name, attempt=now, success=False, rows=0, latency_ms=5.0,
                                error=error)
    result = doctor(tmp_path, "--cache", str(cache))
    out = result.stdout
    assert result.returncode == 1, out
    sections, summary = report(out)
    feeds = sections["feeds"]
    assert set(feeds) == {"city-rest", "iot-mqtt", "traffic-ngsi"}, out
    assert feeds["city-rest"].startswith("ok")
    assert feeds["iot-mqtt"].startswith("PROBLEM: failing") and feeds["iot-mqtt"].endswith(
        "connection refused")
    assert feeds["traffic-ngsi"].startswith("PROBLEM: failing") and "HTTP 503" in feeds[
        "traffic-ngsi"]
    assert len(problems(out)) == 2, out
    assert summary[0] == "2 problem(s):", out
    assert sorted(line.split(":")[0] for line in summary[1:]) == ["- iot-mqtt", "- traffic-ngsi"]


def test_logs_rotate_and_never_hold_a_secret(tmp_path, monkeypatch, capsys):
    from cockpit.ops import logs

    monkeypatch.setenv("COCKPIT_LOG_DIR", str(tmp_path))
    monkeypatch.setenv("COCKPIT_LOG_MAX_MB", "0.002")  # about 2 KB a file
    monkeypatch.setenv("COCKPIT_LOG_BACKUPS", "2")
    root = logging.getLogger()
    level = root.level
    path = logs.setup(file_name="cockpit.log")
    try:
        log = logging.getLogger("cockpit.test")
        for i in range(200):
            log.info("line %d of a long shift", i)
        log.error("fetch https://user:pw@api.example.gov.cn/v1?token=SECRET-TOKEN-123 failed")
        log.error("Bearer abcdefSECRET42 was refused")
    finally:
        for handler in [h for h in root.handlers if getattr(h, "cockpit_owned", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
    assert path == tmp_path / "cockpit.log"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["cockpit.log", "cockpit.log.1", "cockpit.log.2"]  # older ones dropped
    assert all(p.stat().st_size <= 2200 for p in tmp_path.iterdir())
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    assert "line 199 of a long shift" in text and "Bearer ***" in text
    assert "https://***@api.example.gov.cn/v1?token=***" in text
    assert "SECRET" not in text and ":pw@" not in text
    err = capsys.readouterr().err  # stderr gets the same lines, as redacted
    assert "line 199 of a long shift" in err and "Bearer ***" in err and "SECRET" not in err


@pytest.mark.slow
def test_a_running_wall_is_asked_for_its_feeds(tmp_path):
    from support.walls import WallProcess, free_port, site_config

    port = free_port()
    config = site_config(tmp_path, port=port)
    cache = tmp_path / "wall.duckdb"
    wall = WallProcess(config, cache, env={"XDG_STATE_HOME": str(tmp_path / "state")})
    try:
        wall.wait_for("first data painted", timeout=60)
        result = doctor(tmp_path, "--config", str(config), "--cache", str(cache))
    finally:
        wall.stop()
    assert f"in use by another cockpit (PID {wall.proc.pid})" in result.stdout
    assert "the running wall's control API (layout overview" in result.stdout
    assert "demo           ok" in result.stdout
    assert result.returncode == 0, result.stdout
