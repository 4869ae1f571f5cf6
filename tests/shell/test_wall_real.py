"""The wall on a real wall (issue 17): every pixel between the panels is the theme's, screens
plugged or unplugged while it runs are followed, and tiled or small screens stay readable."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication

from cockpit.model.layout import parse_layout
from cockpit.model.theme import theme

LAYOUT = """version = 1
name = "缝隙"
[[screens]]
title = "一"
grid = { columns = 3, rows = 2 }
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
  cell = { col = 1, row = 0, colspan = 2 }
  metric = "congestion"
  [[screens.panels]]
  id = "alerts"
  kind = "alerts"
  title = "告警"
  cell = { col = 0, row = 1, colspan = 3 }
[[screens]]
title = "二"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "pm25"
  kind = "kpi"
  title = "PM2.5"
  cell = { col = 0, row = 0 }
  metric = "pm25"
  [[screens.panels]]
  id = "hotline"
  kind = "kpi"
  title = "今日12345受理"
  cell = { col = 1, row = 0 }
  metric = "hotline_opened"
"""


def _pixels(image: QImage) -> np.ndarray:
    """(height, width) array of 0xRRGGBB."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    row = rgb.bytesPerLine() // 4
    data = np.frombuffer(rgb.constBits(), dtype=np.uint32).reshape(rgb.height(), row)
    return data[:, : rgb.width()] & 0xFFFFFF


def _rgb(name: str) -> int:
    return int(name.lstrip("#")[-6:], 16)


def _gutters(top, image: np.ndarray) -> np.ndarray:
    """The pixels of ``top`` that no panel, header or status strip covers: the gutters between
    panels, the margins round the grid and the seams between tiled screens."""
    from cockpit.shell.wall import ScreenPage, StandbyPage
    from widgets.base import PanelFrame

    covered = np.zeros(image.shape, bool)
    widgets = [w for w in top.findChildren(PanelFrame) if w.isVisible()]
    pages = top.findChildren(ScreenPage) + top.findChildren(StandbyPage) + [top]
    for page in [p for p in pages if isinstance(p, ScreenPage | StandbyPage)]:
        parts = (page.header, getattr(page, "strip", None))
        widgets += [w for w in parts if w is not None and w.isVisible()]
    for w in widgets:
        at = w.mapTo(top, QPoint(0, 0))
        covered[at.y(): at.y() + w.height(), at.x(): at.x() + w.width()] = True
    return image[~covered]


def _default_greys() -> set[int]:
    """Qt's own window and base colours (#efefef and kin), what an unthemed gutter shows."""
    pal = QApplication.style().standardPalette()
    return {pal.color(role).rgb() & 0xFFFFFF
            for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base,
                         QPalette.ColorRole.Button, QPalette.ColorRole.Midlight)} | {0xEFEFEF}


def _assert_themed(top) -> None:
    image = _pixels(top.grab().toImage())
    gutters = _gutters(top, image)
    from widgets.base import PanelFrame

    if top.findChildren(PanelFrame):  # panels: there are gutters to look at
        assert gutters.size > 1000
    background = _rgb(theme().colors["background"])
    stray = {f"#{v:06x}" for v in np.unique(gutters)} - {f"#{background:06x}"}
    assert stray == set(), f"gutter pixels not the theme's background {background:#08x}"
    greys = np.isin(image, list(_default_greys()))
    assert not greys.any(), f"{greys.sum()} pixels of Qt's default grey"


def test_a_screen_page_paints_its_gutters_in_the_theme(qtbot):
    from cockpit.shell.wall import ScreenPage
    from widgets.base import RenderQueue

    layout = parse_layout(LAYOUT, "gutters.toml")
    page = ScreenPage(layout, layout.screens[0])
    qtbot.addWidget(page)
    page.resize(1920, 1080)
    page.show()
    qtbot.waitExposed(page)
    RenderQueue.instance().drain()
    _assert_themed(page)


def test_tiled_screens_and_the_standby_page_are_themed_too(qtbot):
    """Two layout screens tiled on one window (the seam between them), and a window the layout
    does not use (the standby page)."""
    from cockpit.shell.wall import WallShell
    from widgets.base import RenderQueue

    layout = parse_layout(LAYOUT, "gutters.toml")
    for geometries in ([QRect(0, 0, 1920, 1080)], [s.geometry() for s in QApplication.screens()]):
        wall = WallShell([layout], geometries)
        try:
            wall.show()
            for window in wall.windows:
                qtbot.waitExposed(window)
            RenderQueue.instance().drain()
            for window in wall.windows:
                _assert_themed(window)
        finally:
            wall.close()


@pytest.fixture(autouse=True)
def _no_leftover_windows(qtbot):
    yield
    QApplication.processEvents()


def test_good_news_has_one_colour_on_a_screen(qtbot):
    """Overview's second screen: 潍事通注册用户 (an economic figure, red-up on its own) beside
    一次办好网办率 (a service rate): both rising is good news, and both are green."""
    from datetime import UTC, datetime

    from support import ROOT

    from cockpit.model.layout import load_layout
    from cockpit.panels.viewmodels import KpiVM
    from cockpit.shell.wall import ScreenPage

    layout = load_layout(ROOT / "layouts" / "overview.toml")
    page = ScreenPage(layout, layout.screens[1])
    qtbot.addWidget(page)
    now = datetime(2026, 12, 4, 2, tzinfo=UTC)
    colours = {}
    for pid in ("wst_users", "online_service_rate"):
        panel = page.panels[pid]
        panel.set_view_model(KpiVM(110.0, "", 0, now, 100.0, (), "up", pid == "wst_users", "demo"))
        shown = panel.shown()
        assert shown["delta"] == "较昨日同时 ▲ 10.0%"
        colours[pid] = shown["delta_color"]
    assert colours == {"wst_users": theme().colors["good"],
                       "online_service_rate": theme().colors["good"]}


def test_windows_follow_screens_unplugged_and_plugged_back(qtbot):
    """The offscreen platform cannot unplug a screen while Qt runs, so the handlers Qt calls on
    screenRemoved / screenAdded are called here with the real QScreen objects."""
    from cockpit.shell.screens import ScreenFollower
    from cockpit.shell.wall import ScreenPage, StandbyPage, WallShell

    screens = QApplication.screens()  # WALL-1, WALL-2 (1920x1080), WALL-3 (1280x720)
    first = parse_layout(LAYOUT, "gutters.toml")
    second = parse_layout(LAYOUT.replace('name = "缝隙"', 'name = "其二"'), "other.toml")
    wall = WallShell([first, second], [s.geometry() for s in screens])
    follower = ScreenFollower(wall, screens)
    wall.show()
    for window in wall.windows:
        qtbot.waitExposed(window)
    wall.screen.drill(first.id, "370705")  # a drill-down survives the change
    shown = [w.stack.currentWidget() for w in wall.windows]
    assert [type(w) for w in shown] == [ScreenPage, ScreenPage, StandbyPage]

    # WALL-2 powered off: its window waits hidden (Qt would move it over WALL-1's), the
    # layout's second screen moves to WALL-3
    assert follower._on_app_screen_removed(screens[1]) is None
    assert [w.isVisible() for w in wall.windows] == [True, False, True]
    one, three = wall.windows[0].stack.currentWidget(), wall.windows[2].stack.currentWidget()
    assert isinstance(one, ScreenPage) and one.screen.index == 0
    assert isinstance(three, ScreenPage) and three.screen.index == 1
    assert wall.windows[2].screen().name() == "WALL-3"
    assert one.focus == "370705"
    qtbot.waitUntil(lambda: not wall._unbuilt)  # the other layout, laid out right after
    assert wall.switch_to(1)
    assert isinstance(wall.windows[2].stack.currentWidget(), ScreenPage)
    wall.switch_to(0)

    # WALL-2 back: its window returns to it, the layout is as at the start
    follower._on_app_screen_added(screens[1])
    assert [w.isVisible() for w in wall.windows] == [True, True, True]
    assert wall.windows[1].screen().name() == "WALL-2"
    assert wall.windows[1].geometry() == screens[1].geometry()
    shown = [w.stack.currentWidget() for w in wall.windows]
    assert [type(w) for w in shown] == [ScreenPage, ScreenPage, StandbyPage]
    assert shown[1].screen.index == 1

    # one screen left: both layout screens tiled on it; no change, nothing laid out again
    assert follower.follow([screens[0]])
    tiled = wall.windows[0].stack.currentWidget().findChildren(ScreenPage)
    assert sorted(p.screen.index for p in tiled) == [0, 1]
    assert not follower.follow([screens[0]])
    wall.close()
