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
        parts = (page.header, getattr(page, "strip", None), getattr(page, "face", None))
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


def _grid_layout(screens: int, cols: int = 4, rows: int = 3):
    """A layout of ``screens`` screens of ``cols`` x ``rows`` one-cell panels: kpis and, in the
    last cell of each screen, an alert list."""
    text = 'version = 1\nname = "小屏"\n'
    metrics = ["aqi", "pm25", "congestion", "hotline_opened", "citycase_opened", "wst_users"]
    for s in range(screens):
        text += f'[[screens]]\ntitle = "屏{s + 1}"\ngrid = {{ columns = {cols}, rows = {rows} }}\n'
        for k in range(cols * rows):
            last = k == cols * rows - 1
            text += (f'  [[screens.panels]]\n  id = "p{s}_{k}"\n  title = "面板{k}"\n'
                     f'  cell = {{ col = {k % cols}, row = {k // cols} }}\n')
            text += ('  kind = "alerts"\n' if last else
                     f'  kind = "kpi"\n  metric = "{metrics[k % len(metrics)]}"\n')
    return parse_layout(text, "small.toml")


def _feed(pages) -> None:
    """Hand every panel a view-model: a rising figure, and four alerts of yesterday."""
    from datetime import UTC, datetime, timedelta

    from cockpit.panels.viewmodels import AlertRow, AlertsVM, KpiVM
    from widgets.alerts import AlertsPanel
    from widgets.base import RenderQueue

    now = datetime(2026, 12, 4, 4, tzinfo=UTC)
    rows = tuple(AlertRow(f"a{i}", now - timedelta(days=1, minutes=7 * i), "major", "city",
                          f"诸城市某河段水位超警戒线第{i}处", "诸城市", "acked" if i % 2 else "open")
                 for i in range(4))
    for page in pages:
        for panel in page.panels.values():
            panel.set_now(now)
            if isinstance(panel, AlertsPanel):
                panel.set_view_model(AlertsVM(rows, (("major", 4),), now, "告警中心"))
            else:
                panel.set_view_model(KpiVM(1972.0, "件", 0, now, 1800.0, (1.0, 2.0), "up", False,
                                           "demo"))
    RenderQueue.instance().drain()


def _assert_readable(pages) -> None:
    """Panels side by side, never on top of each other nor out of their page; the alert list
    keeps its titles; every kpi's comparison fits its tile."""
    from PySide6.QtGui import QFontMetrics

    from widgets.alerts import AlertsPanel
    from widgets.base import make_font
    from widgets.kpi import KpiPanel

    boxes = []
    for page in pages:
        assert page.grid_host.isVisible() and not page.too_small.isVisible()
        top = page.window()
        for panel in page.panels.values():
            box = QRect(panel.mapTo(top, QPoint(0, 0)), panel.size())
            assert page.geometry().contains(QRect(page.mapTo(top, QPoint(0, 0)), page.size())
                                            .intersected(box)), panel.spec.id
            assert all(box.intersected(other).isEmpty() for other in boxes), panel.spec.id
            boxes.append(box)
            if isinstance(panel, AlertsPanel):
                assert "title" in panel.shown_columns()
            if isinstance(panel, KpiPanel):
                shown = panel.shown()["delta"]
                assert "▲" in shown
                width = QFontMetrics(make_font(panel.theme.sizes["small_min"])).horizontalAdvance(
                    shown)
                assert width <= panel.content_rect().width(), (panel.spec.id, shown)


@pytest.mark.parametrize(("windows", "per_window"), [
    ([QRect(0, 0, 1280, 720)], 1),   # one screen of a 1280x720 PC
    ([QRect(0, 0, 1920, 1080)], 2),  # two layout screens tiled on one 1080p screen
])
def test_small_and_tiled_screens_stay_readable(qtbot, windows, per_window):
    from cockpit.shell.wall import WallShell

    wall = WallShell([_grid_layout(per_window)], windows)
    try:
        wall.show()
        qtbot.waitExposed(wall.windows[0])
        pages = wall.slots[0].pages
        assert len(pages) == per_window
        _feed(pages)
        _assert_readable(pages)
    finally:
        wall.close()


def test_alert_columns_give_way_to_the_title():
    """Wide: every column; narrow: the district goes, then the time; the title stays."""
    from cockpit.shell.wall import ScreenPage

    layout = _grid_layout(1)
    page = ScreenPage(layout, layout.screens[0])
    try:
        _feed([page])
        alerts = page.panels["p0_11"]
        seen = []
        for width in range(700, 120, -10):
            alerts.resize(width, 300)
            if not seen or seen[-1] != alerts.shown_columns():
                seen.append(alerts.shown_columns())
        assert seen == [["severity", "time", "title", "district"], ["severity", "time", "title"],
                        ["severity", "title"]]
    finally:
        page.close()


def test_a_screen_too_small_for_its_grid_says_so(qtbot):
    """Four 4x3 screens tiled on a 960x540 screen: 480x270 each, panels about 100x50 px."""
    from cockpit.shell.wall import WallShell

    wall = WallShell([_grid_layout(4)], [QRect(0, 0, 960, 540)])
    try:
        wall.show()
        qtbot.waitExposed(wall.windows[0])
        pages = wall.slots[0].pages
        assert len(pages) == 4
        for page in pages:
            assert page.too_small.isVisible() and not page.grid_host.isVisible()
            assert "屏幕太小" in page.too_small.text() and "小屏 · 屏" in page.too_small.text()
        boxes = [QRect(p.mapTo(wall.windows[0], QPoint(0, 0)), p.size()) for p in pages]
        assert all(a.intersected(b).isEmpty() for i, a in enumerate(boxes) for b in boxes[i + 1:])
    finally:
        wall.close()


def test_the_standby_clock_fits_a_small_screen(qtbot):
    from cockpit.shell.wall import StandbyPage

    page = StandbyPage(_grid_layout(1))
    qtbot.addWidget(page)
    for size in [(1280, 720), (640, 360), (5760, 1080)]:
        page.resize(*size)
        page.show()
        qtbot.waitExposed(page)
        from PySide6.QtGui import QFontMetrics

        face = page.face
        parts = face.arrange(face.width(), face.height())
        assert [t for _, t, _ in parts][0].count(":") == 2  # the time, whole
        for box, text, font in parts:
            assert "…" not in text
            assert QFontMetrics(font).horizontalAdvance(text) <= box.width() <= face.width()
            assert box.bottom() <= face.height() + 1


STRIP = LAYOUT.replace('''[[screens]]
title = "二"''', '''  [[screens.variants]]
  min_aspect = 2.5
  grid = { columns = 3, rows = 1 }
    [screens.variants.cells]
    aqi = { col = 0, row = 0 }
    congestion = { col = 1, row = 0 }
    alerts = { col = 2, row = 0 }
[[screens]]
title = "二"''')


def test_a_strip_gets_its_variant_and_a_16_9_screen_its_grid(qtbot):
    """The same page laid out again when its window changes shape: moved, not rebuilt."""
    from cockpit.shell.wall import ScreenPage

    layout = parse_layout(STRIP, "strip.toml")
    page = ScreenPage(layout, layout.screens[0])
    qtbot.addWidget(page)
    page.resize(5760, 1080)
    page.show()
    qtbot.waitExposed(page)
    panels = dict(page.panels)
    boxes = {pid: p.geometry() for pid, p in page.panels.items()}
    assert page.arrangement.min_aspect == 2.5
    # three side-by-side columns, each as tall as the grid: no panel stretched 3x wide
    assert all(abs(b.width() - boxes["aqi"].width()) <= 1 for b in boxes.values())
    assert len({b.top() for b in boxes.values()}) == 1
    assert boxes["alerts"].width() < 2 * boxes["alerts"].height()
    page.resize(1920, 1080)
    qtbot.waitUntil(lambda: page.panels["alerts"].geometry().top()
                    > page.panels["aqi"].geometry().bottom())
    assert page.arrangement.min_aspect is None
    assert page.panels == panels  # the same widgets
    alerts, aqi = page.panels["alerts"].geometry(), page.panels["aqi"].geometry()
    assert alerts.top() > aqi.bottom() and alerts.width() > 2 * aqi.width()


def test_thin_rows_are_fine_where_the_panels_span_them(qtbot):
    """A 6 x 9 grid whose panels span two rows and more (the topical walls' strip of figures
    over the charts) is drawn on a 1280x720 screen: it is the panels that must be big enough,
    not the cells."""
    from cockpit.shell.wall import WallShell

    text = 'version = 1\nname = "细格"\n[[screens]]\ntitle = "一"\ngrid = { columns = 6, rows = 9 }\n'
    for k in range(6):
        text += (f'  [[screens.panels]]\n  id = "k{k}"\n  kind = "kpi"\n  title = "K{k}"\n'
                 f'  cell = {{ col = {k}, row = 0, rowspan = 2 }}\n  metric = "aqi"\n')
    for k in range(3):
        text += (f'  [[screens.panels]]\n  id = "c{k}"\n  kind = "kpi"\n  title = "C{k}"\n'
                 f'  cell = {{ col = {2 * k}, row = 2, colspan = 2, rowspan = 7 }}\n'
                 f'  metric = "pm25"\n')
    wall = WallShell([parse_layout(text, "thin.toml")], [QRect(0, 0, 1280, 720)])
    try:
        wall.show()
        qtbot.waitExposed(wall.windows[0])
        _feed(wall.slots[0].pages)
        _assert_readable(wall.slots[0].pages)
    finally:
        wall.close()
