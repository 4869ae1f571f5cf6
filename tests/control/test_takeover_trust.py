"""An alarm takeover the duty officer can trust (issue 19, part 6): several held alerts, each
acknowledged in turn without the wall letting go in between; the A key ends a takeover whose
alert no visible panel lists; a lowered severity keeps holding, a clear at the source ends the
hold and says so; the banner never loses its tag or its instruction and hides what is under it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyarrow as pa
import pytest
from PySide6.QtCore import Qt
from support import NOW, ROOT


def _alerts(store, rows):
    store.upsert("alerts", pa.table({
        "alert_id": [r[0] for r in rows], "ts": [NOW - timedelta(minutes=r[1]) for r in rows],
        "severity": [r[2] for r in rows], "category": [r[3] for r in rows],
        "title": [r[4] for r in rows], "district": ["370705"] * len(rows),
        "state": ["open"] * len(rows)}))


@pytest.fixture
def store(tmp_path):
    from cockpit.data.store import Store

    with Store(tmp_path / "alerts.duckdb") as s:
        yield s


@pytest.fixture
def shell(qtbot):
    from PySide6.QtWidgets import QApplication

    from cockpit.model.layout import load_layouts
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()], windowed=True)
    wall.show()
    yield wall
    wall.close()


@pytest.fixture
def rig(qtbot, shell, store):
    from cockpit.control.carousel import Carousel, Stop
    from cockpit.model.config_control import TakeoverSettings
    from cockpit.shell.control.driver import CarouselDriver
    from cockpit.shell.control.overlay import WallOverlay
    from cockpit.shell.control.takeover import TakeoverController

    driver = CarouselDriver(shell, Carousel([Stop("environment", 30), Stop("overview", 30)]),
                            clock=lambda: 0.0, poll_ms=60_000)
    driver.start()
    overlay = WallOverlay(shell)
    pool = ThreadPoolExecutor(1)
    takeover = TakeoverController(
        shell, TakeoverSettings(min_severity="critical", default_layout="safety", poll=60),
        submit=lambda fn, *a: pool.submit(lambda: fn(store.reader(), *a)),
        carousel=driver, overlay=overlay, clock=lambda: NOW)
    ended: list[tuple[str, str]] = []
    takeover.ended.connect(lambda alert, how: ended.append((alert["alert_id"], how)))

    def poll():
        with qtbot.waitSignal(takeover.alerts_polled, timeout=5000):
            takeover.poll()

    yield takeover, overlay, driver, poll, ended
    driver.shutdown()
    pool.shutdown(wait=True)


def test_several_held_alerts_are_acknowledged_in_turn_without_the_wall_letting_go(
        qtbot, shell, store, rig):
    takeover, overlay, driver, poll, ended = rig
    _alerts(store, [("F1", 3, "critical", "fire", "奎文区某小区火情"),
                    ("F2", 1, "critical", "fire", "潍城区仓库烟感告警")])
    poll()
    assert [a["alert_id"] for a in takeover.held] == ["F2", "F1"]  # newest first
    assert takeover.active["alert_id"] == "F2"
    assert "另有 1 条待确认" in overlay.banner_text
    assert shell.current_layout.id == "safety" and driver.carousel.state == "held"
    switches = []
    shell.layout_changed.connect(switches.append)
    shell.acknowledge_requested.emit(["F2"])
    # straight on to the other held alert: the wall stays taken, no flicker back to overview
    assert takeover.active["alert_id"] == "F1" and switches == []
    assert "奎文区某小区火情" in overlay.banner_text and "另有" not in overlay.banner_text
    assert driver.carousel.state == "held"
    shell.acknowledge_requested.emit(["F1"])
    assert takeover.active is None and overlay.banner_text is None
    assert driver.carousel.state == "running"
    assert ended == [("F2", "acknowledged"), ("F1", "acknowledged")]
    poll()
    assert takeover.active is None  # both acknowledged: not taken again


def test_all_held_alerts_at_once_and_a_third_arriving_during_the_takeover(shell, store, rig):
    takeover, overlay, driver, poll, ended = rig
    _alerts(store, [("F1", 3, "critical", "fire", "火情一")])
    poll()
    _alerts(store, [("F3", 0, "critical", "fire", "火情三")])
    poll()  # a second critical alert during the takeover is counted on the banner
    assert takeover.active["alert_id"] == "F1" and "另有 1 条待确认" in overlay.banner_text
    shell.acknowledge_requested.emit(["F1", "F3"])
    assert takeover.active is None and {e[0] for e in ended} == {"F1", "F3"}


def test_the_a_key_ends_a_takeover_no_visible_panel_lists(qtbot, shell, store, rig):
    from PySide6.QtTest import QTest

    takeover, overlay, driver, poll, ended = rig
    # a flood alert: no alert panel of the safety layout lists the category
    _alerts(store, [("W1", 1, "critical", "flood", "白浪河水位超警戒")])
    poll()
    assert takeover.active["alert_id"] == "W1" and shell.held_alert_ids == ("W1",)
    acked = []
    shell.acknowledge_requested.connect(acked.append)
    QTest.keyClick(shell.windows[0], Qt.Key.Key_A)
    assert acked and "W1" in acked[0]
    assert takeover.active is None and shell.held_alert_ids == ()


def test_a_lowered_severity_keeps_the_hold_and_a_clear_at_the_source_ends_it_and_says_so(
        shell, store, rig):
    takeover, overlay, driver, poll, ended = rig
    _alerts(store, [("F1", 3, "critical", "fire", "奎文区某小区火情")])
    poll()
    store.write(lambda con: con.execute("UPDATE alerts SET severity = 'minor' WHERE alert_id = 'F1'"))
    poll()
    assert takeover.active["alert_id"] == "F1" and ended == []  # held until acknowledged
    store.clear_alerts(["F1"], NOW)
    poll()
    assert takeover.active is None and ended == [("F1", "cleared")]
    assert any(not n.isHidden() and "告警已在源头解除" in n.text() and "奎文区某小区火情" in n.text()
               for n in overlay.notices)


def test_a_long_title_keeps_its_tag_and_instruction_and_the_banner_is_opaque(shell, store, rig):
    from cockpit.model.theme import theme
    from cockpit.shell.control.takeover import ACK_HINT

    takeover, overlay, driver, poll, ended = rig
    title = "奎文区东风东街与北海路交叉口东南角某商住楼" * 6 + "地下车库电动车充电区火情"
    _alerts(store, [("F1", 3, "critical", "fire", title)])
    poll()
    banner = overlay.banners[0]
    shown = banner.text()
    assert shown.startswith("【紧急告警】") and shown.endswith(ACK_HINT)
    assert "…" in shown and shown[6:12] == title[:6]  # shortened in the middle, not at an end
    assert overlay.banner_text.endswith(ACK_HINT) and title in overlay.banner_text
    lines = banner.height() // banner.fontMetrics().lineSpacing()
    assert lines >= 2  # wrapped to a second line before anything was cut
    image = banner.grab().toImage()
    assert image.pixelColor(5, 5).name() == theme().color("critical").lower()
    assert image.pixelColor(5, 5).alpha() == 255  # nothing of the screen shows through
