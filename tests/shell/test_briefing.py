"""Rehearsed briefings (issue 19, parts 2 and 3): a briefing file is checked like every file
the cockpit reads, runs on the wall step by step (PageDown, the clicker, the API, a step's hold),
and renders into a PDF pack with a cover and a titled page per screen."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from support import NOW, ROOT

EXAMPLE = ROOT / "examples" / "briefings" / "morning-flood.toml"


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})})


def test_the_bundled_briefing_checks_and_a_bad_one_names_every_problem(tmp_path):
    r = _cli("brief", "check", EXAMPLE)
    assert r.returncode == 0, r.stderr
    assert "OK, 5 step(s) — 早间防汛告警简报" in r.stdout and "2. 生态环保 · 全市 · 回放" in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[[steps]]\nlayout = "nowhere"\ndistrct = "370705"\n'
                   '[[steps]]\nlayout = "overview"\nhold = 0\n'
                   'replay = { from = "yesterday 09:00", to = "yesterday 08:00", speed = 99999 }\n',
                   encoding="utf-8")
    r = _cli("brief", "check", bad)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert all(line.startswith(f"{bad}: steps[") for line in lines), lines
    said = "\n".join(lines)
    assert "steps[0].distrct: unknown key" in said and "did you mean `district`?" in said
    assert "steps[0].layout: no layout 'nowhere'" in said
    assert "steps[1].hold: expected seconds from 1 to 3600" in said
    assert "steps[1].replay.speed: expected a number from 1 to 3600" in said


def test_relative_times_count_from_the_day_the_briefing_runs():
    from cockpit.model.briefing import load_briefing

    today = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Weifang
    brief = load_briefing(EXAMPLE, today=today)
    start, end, speed = brief.steps[1].replay
    assert (start, end, speed) == (datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
                                   datetime(2026, 12, 2, 1, 0, tzinfo=UTC), 60.0)
    assert brief.steps[3].district == "370705" and brief.steps[3].hold == 30.0
    assert brief.steps[0].hold is None  # until the presenter moves on


def test_the_presenter_steps_through_with_pagedown_and_holds_move_on_by_themselves(
        qtbot, demo_store):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cockpit.model.briefing import parse_briefing
    from cockpit.model.layout import load_layouts
    from cockpit.shell.control.briefing import BriefingController
    from cockpit.shell.control.overlay import WallOverlay
    from cockpit.shell.control.replay import ReplayController
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    shell = WallShell(layouts, [s.geometry() for s in QApplication.screens()])
    shell.show()
    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    overlay = WallOverlay(shell)
    replay = ReplayController(shell, pump, overlay=overlay)
    briefing = BriefingController(shell, replay=replay, overlay=overlay)
    drilled = []
    shell.drill_requested.connect(drilled.append)
    data = {"title": "演练", "steps": [
        {"layout": "environment", "note": "环境"},
        {"layout": "safety", "district": "370705",
         "replay": {"from": (NOW - timedelta(hours=3)).isoformat(),
                    "to": (NOW - timedelta(hours=2)).isoformat(), "speed": 60}},
        {"layout": "traffic", "hold": 1},
        {"layout": "urban"}]}
    try:
        state = briefing.load(parse_briefing(data, "drill.toml", [s.layout.id for s in shell.slots],
                                             today=NOW))
        assert state["step"] == 1 and shell.current_layout.id == "environment"
        assert shell.keep_warm == ("safety",)  # the next step stays drawn for the clicker
        assert "演练　第 1/4 步 · 环境" == overlay.brief.text() and not overlay.brief.isHidden()
        QTest.keyClick(shell.windows[0], Qt.Key.Key_PageDown)  # the clicker sends PageDown
        assert shell.current_layout.id == "safety" and drilled[-1] == "370705"
        assert shell.keep_warm == ("environment", "traffic")
        assert not pump.timeline.live and overlay.replay_text.startswith("回放")
        QTest.keyClick(shell.windows[0], Qt.Key.Key_PageDown)
        assert shell.current_layout.id == "traffic" and pump.timeline.live  # no replay: live
        qtbot.waitUntil(lambda: shell.current_layout.id == "urban", timeout=5000)  # its hold
        QTest.keyClick(shell.windows[0], Qt.Key.Key_PageUp)
        assert shell.current_layout.id == "traffic"
        assert briefing.goto(4)["step"] == 4
        QTest.keyClick(shell.windows[0], Qt.Key.Key_PageDown)  # past the last step: it ends
        assert briefing.brief is None and overlay.brief.isHidden()
        QTest.keyClick(shell.windows[0], Qt.Key.Key_PageDown)  # the keys step layouts again
        assert shell.current_layout.id != "urban"
    finally:
        pump.stop()
        shell.close()


def test_a_briefing_runs_on_a_running_wall_from_the_command_line(tmp_path):
    from support.walls import TOKEN, WallProcess, api, free_port, site_config

    port = free_port()
    config = site_config(tmp_path, port=port)
    wall = WallProcess(config, tmp_path / "wall.duckdb")
    env = {"COCKPIT_CONTROL_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{port}"
    try:
        wall.wait_for("control on", timeout=60)
        r = _cli("brief", "run", EXAMPLE, "--url", url, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "早间防汛告警简报: step 1/5 — 全市总体态势"
        r = _cli("brief", "next", "--url", url, env=env)
        assert r.stdout.startswith("早间防汛告警简报: step 2/5"), r.stderr
        status = api(port, "GET", "/api/status")[1]
        assert status["brief"]["step"] == 2 and status["layout"] == "environment"
        assert status["replay"]["state"] == "playing"  # the step replays yesterday's morning
        assert _cli("brief", "end", "--url", url, env=env).stdout.strip() == "briefing ended"
        status = api(port, "GET", "/api/status")[1]
        assert status["brief"] is None and status["replay"] == {"state": "live"}
    finally:
        wall.stop()


@pytest.mark.slow
def test_the_pack_is_a_pdf_with_a_cover_and_a_titled_page_per_screen(tmp_path):
    from PySide6.QtPdf import QPdfDocument

    out = tmp_path / "pack.pdf"
    r = _cli("brief", "pack", "--layouts", "overview,safety", "--out", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{out}: cover + 3 page(s), 1920x1080")
    doc = QPdfDocument()
    doc.load(str(out))
    assert doc.pageCount() == 4  # the cover, overview's two screens, safety's one
    texts = [unicodedata.normalize("NFKC", doc.getAllText(i).text()) for i in range(4)]
    assert "大屏简报" in texts[0] and "生成" in texts[0]
    nfkc = lambda text: unicodedata.normalize("NFKC", text)  # noqa: E731 (the PDF's text is NFKC-folded to compare)
    assert texts[1].startswith(nfkc("第 1 步 · 城市运行总览（第 1/2 屏） · 全市 · 数据时间"))
    assert texts[3].startswith("第 2 步 · 平安应急 · 全市 · 数据时间")
    image = doc.render(1, doc.pagePointSize(1).toSize() * 2)
    colours = {image.pixel(x, y) for y in range(0, image.height(), 9)
               for x in range(0, image.width(), 9)}
    assert len(colours) > 50  # the screen is drawn, not a blank page
    assert not (tmp_path / "pack.pdf.part").exists()
    r = _cli("brief", "pack", "--layouts", "overview,nowhere", "--out", tmp_path / "b.pdf")
    assert r.returncode == 1 and "no layout nowhere" in r.stderr
    assert not (tmp_path / "b.pdf").exists()
