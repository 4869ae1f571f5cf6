"""Replay (回放) on the whole wall (issue 19, part 1): the panels show the cache as it was at
the replayed moment, a band on every screen says so, nothing is written, Esc and `live` come
back; over the control API and the CLI on a running wall."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from support import NOW, ROOT


@pytest.fixture
def shell(qtbot):
    from PySide6.QtWidgets import QApplication

    from cockpit.model.layout import load_layouts
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()])
    yield wall
    wall.close()


def _local(moment: datetime) -> str:
    from cockpit.model.timeline import local_text

    return local_text(moment)


def test_a_replay_shows_every_panel_as_it_was_with_a_band_and_esc_returns_to_live(
        qtbot, shell, demo_store):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from cockpit.shell.control.overlay import WallOverlay
    from cockpit.shell.control.replay import ReplayController
    from cockpit.shell.pump import DataPump

    shell.show()
    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    overlay = WallOverlay(shell)
    replay = ReplayController(shell, pump, overlay=overlay)
    rows_before = demo_store.read(lambda cur: cur.execute(
        "SELECT count(*) FROM observations").fetchone()[0])
    try:
        with qtbot.waitSignal(pump.refreshed, timeout=10000):
            pump.refresh(shell.current)
        live = {p.spec.id: p.vm for p in shell.visible_panels()}
        start, end = NOW - timedelta(hours=20), NOW - timedelta(hours=19)
        answer = replay.command("start", {"from": _local(start), "to": _local(end), "speed": 1})
        assert answer["replay"]["state"] == "playing"
        moment = pump.clock()
        assert start <= moment <= start + timedelta(seconds=30)
        # every panel that says how fresh it is shows the replayed moment's data, not now's
        kpis = [p for p in shell.visible_panels() if p.spec.kind == "kpi"]
        assert kpis
        qtbot.waitUntil(lambda: all(p.vm.as_of <= moment + timedelta(seconds=30) for p in kpis),
                        timeout=10000)
        for panel in kpis:
            assert panel.vm != live[panel.spec.id]
        bands = [b for b in overlay.replays if not b.isHidden()]
        assert len(bands) == len(shell.windows)
        assert bands[0].text().startswith(f"回放 {_local(start)[:13]}")
        QTest.keyClick(shell.windows[0], Qt.Key.Key_Escape)
        assert pump.timeline.live and overlay.replay_text is None
        assert pump.clock() == NOW
        rows_after = demo_store.read(lambda cur: cur.execute(
            "SELECT count(*) FROM observations").fetchone()[0])
        assert rows_after == rows_before  # a replay writes nothing
    finally:
        pump.stop()


def test_a_running_wall_replays_on_command_and_the_cli_reports_and_ends_it(tmp_path):
    from support.walls import TOKEN, WallProcess, api, free_port, site_config

    port = free_port()
    config = site_config(tmp_path, port=port, layouts=["overview", "safety"])
    wall = WallProcess(config, tmp_path / "wall.duckdb")
    env = {**os.environ, "COCKPIT_CONTROL_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{port}"
    try:
        wall.wait_for("control on", timeout=60)
        now = datetime.now(UTC)
        start, end = _local(now - timedelta(hours=3)), _local(now - timedelta(hours=2))
        r = subprocess.run([sys.executable, "-m", "cockpit.cli", "control", "--url", url,
                            "replay", "--from", start, "--to", end, "--speed", "60"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("replay playing at ") and f"in {start} – {end}" in r.stdout
        status = api(port, "GET", "/api/status")[1]
        assert status["replay"]["state"] == "playing" and status["replay"]["speed"] == 60
        code, body = api(port, "POST", "/api/replay", {"op": "seek", "at": "2020-01-01 00:00"})
        assert code == 409 and "outside the replay" in body["error"]  # refused, nothing moved
        code, body = api(port, "POST", "/api/replay", {"op": "pause"})
        assert code == 200 and body["replay"]["state"] == "paused"
        code, body = api(port, "POST", "/api/replay", {"op": "rewind"})
        assert code == 400 and body["field"] == "op"
        r = subprocess.run([sys.executable, "-m", "cockpit.cli", "control", "--url", url, "live"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0 and r.stdout.strip() == "live", r.stderr
        assert api(port, "GET", "/api/status")[1]["replay"] == {"state": "live"}
        entries = api(port, "GET", "/api/log")[1]["entries"]
        assert [e["action"] for e in entries[:3]] == ["replay", "replay", "replay"]
        assert entries[-1]["detail"].startswith("op=start from=")
    finally:
        wall.stop()


def test_a_replay_runs_to_its_end_and_the_wall_is_live_again(qtbot, shell, demo_store):
    from cockpit.shell.control.replay import ReplayController
    from cockpit.shell.pump import DataPump

    pump = DataPump(demo_store, shell, clock=lambda: NOW, interval_ms=50)
    replay = ReplayController(shell, pump)
    try:
        start = NOW - timedelta(hours=2)
        replay.command("start", {"from": _local(start), "to": _local(start + timedelta(seconds=60)),
                                 "speed": 3600})
        assert not pump.timeline.live
        pump._tick.setInterval(50)
        pump._tick.start()
        qtbot.waitUntil(lambda: pump.timeline.live, timeout=10000)  # 60 s at 3600x: ~17 ms
    finally:
        pump.stop()
