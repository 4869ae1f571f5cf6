"""The wall on three virtual screens (tests/conftest.py configures the offscreen platform)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication
from support import NOW, ROOT, SCREENS

from cockpit.model.config import SiteConfig
from cockpit.model.layout import load_layouts


@pytest.fixture
def layouts():
    good, errors = load_layouts(ROOT / "layouts")
    assert not errors
    return good


@pytest.fixture
def shell(qtbot, layouts):
    from cockpit.shell.wall import WallShell

    geometries = [s.geometry() for s in QApplication.screens()]
    wall = WallShell(layouts, geometries)
    wall.show()
    for window in wall.windows:
        qtbot.waitExposed(window)
    yield wall
    wall.close()


def test_one_full_screen_window_per_screen(shell):
    screens = QApplication.screens()
    assert [s.name() for s in screens] == [s["name"] for s in SCREENS]
    assert len(shell.windows) == 3
    for window, screen in zip(shell.windows, screens, strict=True):
        assert window.isFullScreen()
        assert window.geometry() == screen.geometry()
        assert window.screen().name() == screen.name()
        assert window.windowFlags() & Qt.WindowType.FramelessWindowHint


def test_layout_screens_go_to_their_physical_screens(shell):
    from cockpit.shell.wall import ScreenPage, StandbyPage

    overview = shell.slots[0]
    assert overview.layout.id == "overview"
    first, second, third = (w.stack.currentWidget() for w in shell.windows)
    assert isinstance(first, ScreenPage) and first.screen.index == 0 and first.header is not None
    assert isinstance(second, ScreenPage) and second.screen.index == 1
    assert isinstance(third, StandbyPage)  # the layout has two screens; the third is not blank


def test_keys_switch_every_screen_at_once_without_building_anything(qtbot, shell):
    from widgets.base import PanelFrame

    built = {id(w) for window in shell.windows for w in window.stack.findChildren(PanelFrame)}
    before = [[window.stack.widget(i) for i in range(window.stack.count())] for window in shell.windows]
    order = [slot.layout.id for slot in shell.slots]
    assert order[:3] == ["overview", "environment", "safety"]

    with qtbot.waitSignal(shell.layout_changed) as changed:
        qtbot.keyClick(shell.windows[0], Qt.Key.Key_2)
    assert changed.args == ["environment"]
    assert {w.stack.currentIndex() for w in shell.windows} == {1}

    panel = next(iter(shell.slots[1].pages[0].panels.values()))
    qtbot.keyClick(panel, Qt.Key.Key_PageDown)  # a clicker's key, wherever focus is
    assert shell.current_layout.id == "safety"
    assert {w.stack.currentIndex() for w in shell.windows} == {2}
    qtbot.keyClick(shell.windows[2], Qt.Key.Key_PageUp)
    assert shell.current_layout.id == "environment"
    qtbot.keyClick(shell.windows[1], Qt.Key.Key_PageUp)
    qtbot.keyClick(shell.windows[1], Qt.Key.Key_PageUp)  # wraps round to the last
    assert shell.current == len(shell.slots) - 1
    qtbot.keyClick(shell.windows[0], Qt.Key.Key_1)
    assert shell.current_layout.id == "overview"
    qtbot.keyClick(shell.windows[0], Qt.Key.Key_9)  # the ninth layout by its order
    assert shell.current_layout.id == order[8] if len(order) >= 9 else "overview"
    for _ in range(len(order) - 9):  # the layouts past the ninth are reached with PageDown
        qtbot.keyClick(shell.windows[0], Qt.Key.Key_PageDown)
    assert shell.current_layout.id == order[-1]

    after = [[window.stack.widget(i) for i in range(window.stack.count())] for window in shell.windows]
    assert after == before
    assert {id(w) for window in shell.windows for w in window.stack.findChildren(PanelFrame)} == built


def test_more_layout_screens_than_the_pc_has_are_tiled(qtbot, layouts):
    from cockpit.shell.wall import ScreenPage, WallShell

    wall = WallShell(layouts, [QRect(0, 0, 1920, 1080)])
    wall.show()
    qtbot.waitExposed(wall.windows[0])
    pages = wall.windows[0].stack.currentWidget().findChildren(ScreenPage)
    assert sorted(p.screen.index for p in pages) == [0, 1]  # both overview screens, side by side
    assert all(p.isVisible() and p.width() > 900 for p in pages)
    assert pages[0].geometry().intersected(pages[1].geometry()).isEmpty()
    wall.close()


def test_screen_assignment_is_configurable(qtbot, layouts):
    from cockpit.shell.wall import ScreenPage, StandbyPage, WallShell

    geometries = [s.geometry() for s in QApplication.screens()]
    wall = WallShell(layouts, geometries, mapping=[2, 0])  # overview: screen 1 right, screen 2 left
    shown = [w.stack.currentWidget() for w in wall.windows]
    assert isinstance(shown[2], ScreenPage) and shown[2].screen.index == 0
    assert isinstance(shown[0], ScreenPage) and shown[0].screen.index == 1
    assert isinstance(shown[1], StandbyPage)
    wall.close()


def test_pump_fills_panels_off_the_gui_thread(qtbot, shell, demo_store):
    from cockpit.shell.pump import DataPump

    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        pump.refresh(shell.current)
    panels = shell.visible_panels()
    assert panels and all(p.vm is not None for p in panels)
    kpis = [p for p in panels if p.spec.kind == "kpi"]
    assert all(p.shown()["value"] not in (None, "—") for p in kpis)
    pump.stop()


def test_a_bad_layout_file_leaves_the_showing_layout_up(qtbot, tmp_path, demo_store):
    from cockpit.shell.app import reload_layouts
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    folder = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", folder)
    good, _ = load_layouts(folder)
    wall = WallShell(good, [s.geometry() for s in QApplication.screens()])
    wall.show()
    wall.switch_to(wall.layout_index("environment"))
    showing = [w.stack.currentWidget() for w in wall.windows]
    pump = DataPump(demo_store, wall, clock=lambda: NOW)

    (folder / "environment.toml").write_text("version = 1\nname = \"生态环保\"\n[[screens]\ngrid = {", encoding="utf-8")
    text = (folder / "safety.toml").read_text(encoding="utf-8")
    (folder / "safety.toml").write_text(text.replace("平安应急", "平安应急（新版）"), encoding="utf-8")
    with qtbot.waitSignal(pump.layouts_applied, timeout=10000) as applied:
        reload_layouts(wall, pump, replace(SiteConfig(), layouts_dir=folder))
    changed, errors = applied.args
    assert changed == ["safety"]  # the good edit is taken ...
    assert len(errors) == 1 and "environment.toml" in errors[0] and "TOML" in errors[0]
    assert wall.current_layout.id == "environment"  # ... the bad one changes nothing on screen
    assert [w.stack.currentWidget() for w in wall.windows] == showing
    assert "布局文件有误" in wall.slots[wall.current].headers()[0].notice
    assert wall.slots[wall.layout_index("safety")].layout.name == "平安应急（新版）"
    pump.stop()
    wall.close()


def test_acknowledge_key_acknowledges_critical_alerts_on_show(qtbot, tmp_path):
    from support import DEMO_SNAPSHOT

    from cockpit.data.replay import SnapshotReplay
    from cockpit.data.store import Store
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    store = Store(tmp_path / "ack.duckdb")
    SnapshotReplay(DEMO_SNAPSHOT).backfill(store, NOW)
    store.reader().execute("UPDATE alerts SET state = 'open', ack_at = NULL, ack_by = NULL "
                           "WHERE severity = 'critical' AND category IN ('fire', 'security')")
    good, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(good, [s.geometry() for s in QApplication.screens()])
    wall.show()
    pump = DataPump(store, wall, clock=lambda: NOW)
    wall.switch_to(wall.layout_index("safety"))
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        pump.refresh(wall.current)
    panel = next(p for p in wall.visible_panels() if p.spec.kind == "alerts")
    assert panel.flashing
    qtbot.keyClick(wall.windows[0], Qt.Key.Key_A)
    qtbot.waitUntil(lambda: not panel.flashing, timeout=10000)
    acked = store.reader().execute(
        "SELECT count(*) FROM alerts WHERE state = 'acked' AND ack_by LIKE '值班员%' AND ack_at = ?",
        [NOW]).fetchone()[0]
    assert acked >= 1
    pump.stop()
    wall.close()
    store.close()


def test_demo_looks_live(qtbot, tmp_path):
    """The replay keeps adding values; the pump carries them to the visible panels."""
    from datetime import timedelta

    from support import DEMO_SNAPSHOT

    from cockpit.data.ingest import FeedRunner
    from cockpit.data.replay import SnapshotReplay
    from cockpit.data.store import Store
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    clock = {"now": NOW}

    def advancing() -> object:  # every read of the clock moves the demo on by ten minutes
        clock["now"] += timedelta(minutes=10)
        return clock["now"]

    store = Store(tmp_path / "live.duckdb")
    good, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(good, [s.geometry() for s in QApplication.screens()])
    pump = DataPump(store, wall, clock=lambda: clock["now"])
    runner = FeedRunner(store, [SnapshotReplay(DEMO_SNAPSHOT, interval_s=0.2)],
                        on_batch=pump.data_arrived.emit, clock=advancing)
    runner.start()
    try:
        aqi = next(p for p in wall.visible_panels() if p.spec.id == "aqi")
        qtbot.waitUntil(lambda: aqi.vm is not None and aqi.vm.as_of is not None, timeout=15000)
        first = (aqi.vm.as_of, aqi.shown()["value"])
        qtbot.waitUntil(lambda: aqi.vm.as_of > first[0] and aqi.shown()["value"] != first[1],
                        timeout=15000)
        rows = store.reader().execute("SELECT count(*) FROM observations WHERE ts > ?",
                                      [NOW]).fetchone()[0]
        assert rows >= 12 * 14  # at least one full tick of every series after the recording
    finally:
        runner.stop()
        pump.stop()
        wall.close()
        store.close()


def test_deferred_layouts_are_built_right_after_the_first_frame(qtbot, layouts):
    from cockpit.shell.wall import WallShell
    from widgets.base import PanelFrame

    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()], defer=True)
    assert wall.slots[0].panels() and not wall.slots[2].panels()  # only the first is built
    wall.switch_to(2)  # a key pressed in the first moment still gets its layout
    assert wall.slots[2].panels() and wall.windows[0].stack.currentWidget().findChildren(PanelFrame)
    wall.build_remaining()
    assert all(slot.panels() for slot in wall.slots)
    assert [w.stack.count() for w in wall.windows] == [len(layouts)] * 3
    wall.close()


def test_layouts_not_on_show_have_their_pictures_ready(qtbot, shell, demo_store):
    """A switch must only copy pixels: hidden layouts' panels are drawn in the background."""
    from cockpit.shell.pump import DataPump
    from widgets.base import RenderQueue

    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    for i in range(len(shell.slots)):
        with qtbot.waitSignal(pump.refreshed, timeout=10000):
            pump.refresh(i)
    qtbot.waitUntil(lambda: RenderQueue.instance().pending() == 0, timeout=10000)
    hidden = [p for slot in shell.slots[1:] for p in slot.panels()]
    assert hidden and all(p._cache is not None and not p.isVisible() for p in hidden)
    pump.stop()


@pytest.mark.slow
def test_a_map_click_drills_the_screen_into_a_district_and_esc_returns(qtbot, shell, demo_store):
    from cockpit.shell.pump import DataPump
    from widgets.map_view import wait_until_drawn

    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        pump.refresh(shell.current)
    page = shell.slots[shell.current].pages[0]
    city_map = page.panels["city_map"]
    aqi = page.panels["aqi"]
    city_aqi = aqi.vm.value
    assert wait_until_drawn([city_map.view], settle_ms=0)
    # a click in the page (what a leader's tap does) drills the whole screen in
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        with qtbot.waitSignal(shell.district_focused, timeout=5000) as focused:
            city_map.view.run("cockpit.clickDistrict('370705')")
    assert focused.args == ["370705"]
    assert page.focus == "370705"
    assert city_map.display_title().endswith("（奎文区）")
    assert aqi.display_title() == "全市空气质量指数（奎文区）"
    assert shell.screen.query_spec(aqi.spec)["district"] == "370705"
    assert aqi.vm.value != city_aqi  # the panel now shows the district's figure
    ranking = page.panels["congestion_rank"]  # by district already: it stays as it is
    assert ranking.display_title() == ranking.spec.title
    other_screen = shell.slots[shell.current].pages[1]
    assert all(p.focus_district is None for p in other_screen.panels.values())
    # Esc returns to the whole city
    with qtbot.waitSignal(pump.refreshed, timeout=10000):
        qtbot.keyClick(shell.windows[0], Qt.Key.Key_Escape)
    assert page.focus is None and city_map.selected is None
    assert aqi.display_title() == "全市空气质量指数" and aqi.vm.value == city_aqi
    pump.stop()


def test_a_drill_command_drills_the_layout_on_show(qtbot, shell):
    """The control page, the CLI and an alarm takeover drill through WallShell.drill_requested,
    with the same effect as a click on the map."""
    page = shell.slots[shell.current].pages[0]
    aqi = page.panels["aqi"]
    with qtbot.waitSignal(shell.district_focused, timeout=5000) as focused:
        shell.drill_requested.emit("370705")
    assert focused.args == ["370705"]
    assert page.focus == "370705" and aqi.display_title() == "全市空气质量指数（奎文区）"
    shell.drill_requested.emit("370700")  # the city code: back to the whole city
    assert page.focus is None and aqi.display_title() == "全市空气质量指数"
