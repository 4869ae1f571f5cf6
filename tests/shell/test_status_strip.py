"""The status strip on the wall: every feed's state, the summary of the panels on show and the
node's incidents, worst first — filled by the real pump from a real cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from support import NOW

from cockpit.model import incidents
from cockpit.model.layout import parse_layout
from cockpit.model.theme import theme

LAYOUT = """version = 1
name = "状态条"
[[screens]]
title = "一"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 0, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "congestion"
  kind = "kpi"
  title = "交通拥堵指数"
  cell = { col = 1, row = 0 }
  metric = "congestion"
[[screens]]
title = "二"
grid = { columns = 1, rows = 1 }
  [[screens.panels]]
  id = "pm25"
  kind = "kpi"
  title = "PM2.5"
  cell = { col = 0, row = 0 }
  metric = "pm25"
"""


@pytest.fixture
def wall(qtbot, demo_store):
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    incidents.reset()
    shell = WallShell([parse_layout(LAYOUT, "strip.toml")],
                      [s.geometry() for s in QApplication.screens()])
    shell.show()
    qtbot.waitExposed(shell.windows[0])
    now = [NOW]
    # demo's interval is 5 s (the demo config); 数据中台 is configured but not tried yet
    pump = DataPump(demo_store, shell, clock=lambda: now[0], feeds={"demo": 5.0, "数据中台": 30.0})
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        pump.start()
    yield shell, pump, now
    pump.stop()
    shell.close()
    incidents.reset()


def _has_colour(image, colour: str) -> bool:
    want = QColor(colour)
    return any(image.pixelColor(x, y) == want
               for y in range(image.height()) for x in range(0, image.width(), 2))


def test_strip_shows_feeds_and_summary_on_the_first_screen_only(qtbot, wall):
    shell, pump, now = wall
    strips = shell.slots[0].strips()
    assert len(strips) == 1 and strips[0].isVisible()
    assert shell.slots[0].pages[1].strip is None
    strip = strips[0]
    assert strip.shown() == {"summary": "全部 3 个面板数据正常", "incidents": [],
                             "feeds": [("数据中台", "等待", ""), ("demo", "正常", "0秒前")]}
    assert strip.geometry().bottom() == shell.windows[0].height() - 1  # along the bottom edge

    now[0] = NOW + timedelta(minutes=7)  # the feed stops reporting in
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        pump.refresh(0)
    assert strip.shown()["summary"] == "3 个面板数据过期"
    assert ("demo", "过期", "7分钟前") in strip.shown()["feeds"]


def test_strip_shows_incidents_worst_first_and_drops_them_when_cleared(qtbot, wall):
    shell, pump, _ = wall
    strip = shell.slots[0].strips()[0]
    # states reported by key are worded by the shell (cockpit/shell/wording.py); a key it has
    # no words for shows the reporter's own text
    incidents.report("map.renderer", level="warning")
    incidents.report("store.disk_full", level="error")
    incidents.report("gui.stall", "界面曾停顿 4 秒", level="info")
    qtbot.waitUntil(lambda: len(strip.shown()["incidents"]) == 3, timeout=3000)  # the 1 s tick
    assert strip.shown()["incidents"] == ["缓存磁盘已满，新数据暂停写入（已有数据不受影响）",
                                          "地图渲染进程异常退出，正在重新载入", "界面曾停顿 4 秒"]
    assert strip.text().index("缓存磁盘已满") < strip.text().index("数据源")
    assert _has_colour(strip.grab().toImage(), theme().colors["failed"])  # drawn in red
    incidents.clear("store.disk_full")
    qtbot.waitUntil(lambda: len(strip.shown()["incidents"]) == 2, timeout=3000)
    assert "缓存磁盘已满" not in strip.text()
    assert not _has_colour(strip.grab().toImage(), theme().colors["failed"])


def test_a_screenshot_strip_counts_the_panels_of_every_screen(qtbot, demo_store, tmp_path):
    """`cockpit screenshot` renders one screen at a time; its strip used to count only the
    first screen's panels ("全部 2 个"), where the live wall counts the layout's three."""
    from cockpit.panels.freshness import read_health
    from cockpit.shell.screenshot import _render_screens
    from widgets.status_strip import StatusStrip

    incidents.reset()
    layout = parse_layout(LAYOUT, "strip.toml")
    first, _ = _render_screens(layout, demo_store, tmp_path, (1920, 1080), NOW, {"demo": 5.0})
    shot = QImage(str(first))
    health = demo_store.read(read_health, {"demo": 5.0})

    def strip_of(states: list[str]) -> QImage:
        strip = StatusStrip()
        qtbot.addWidget(strip)
        strip.resize(1920, strip.height())
        strip.set_status(health, states, [], NOW)
        return strip.grab().toImage().convertToFormat(shot.format())

    whole, one_screen = strip_of(["fresh"] * 3), strip_of(["fresh"] * 2)
    drawn = shot.copy(0, shot.height() - whole.height(), whole.width(), whole.height())
    assert drawn == whole and drawn != one_screen
