"""Alarm takeover on a wall in this process: the alert query runs on a worker thread, the
carousel is held, the banner shows, the district is drilled into; acknowledging releases it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyarrow as pa
import pytest
from support import NOW, ROOT


@pytest.fixture
def store(tmp_path):
    from cockpit.data.store import Store

    with Store(tmp_path / "alerts.duckdb") as s:
        s.upsert("alerts", pa.table({
            "alert_id": ["A1", "M1"], "ts": [NOW - timedelta(minutes=2), NOW - timedelta(minutes=1)],
            "severity": ["critical", "minor"], "category": ["fire", "fire"],
            "title": ["奎文区某小区火情", "路灯故障"], "district": ["370705", "370702"],
            "state": ["open", "open"]}))
        yield s


@pytest.fixture
def shell(qtbot):
    from PySide6.QtWidgets import QApplication

    from cockpit.model.layout import load_layouts
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()], windowed=True)
    yield wall
    wall.close()


def test_an_alert_takes_the_wall_until_acknowledged_then_the_carousel_resumes(qtbot, shell, store):
    from cockpit.control.carousel import Carousel, Stop
    from cockpit.model.config_control import TakeoverSettings
    from cockpit.shell.control.driver import CarouselDriver
    from cockpit.shell.control.overlay import WallOverlay
    from cockpit.shell.control.takeover import TakeoverController

    now = [0.0]
    driver = CarouselDriver(shell, Carousel([Stop("environment", 30), Stop("overview", 30)]),
                            clock=lambda: now[0], poll_ms=60_000)
    driver.start()
    now[0] = 31
    driver.poll()
    assert shell.current_layout.id == "overview"
    overlay = WallOverlay(shell)
    pool = ThreadPoolExecutor(1)
    takeover = TakeoverController(
        shell, TakeoverSettings(min_severity="major", categories={"fire": "safety"}, poll=60),
        submit=lambda fn, *a: pool.submit(lambda: fn(store.reader(), *a)),
        carousel=driver, overlay=overlay, clock=lambda: NOW)
    drilled = []
    shell.drill_requested.connect(drilled.append)
    try:
        with qtbot.waitSignal(takeover.changed, timeout=5000):
            takeover.poll()
        assert takeover.active["alert_id"] == "A1"  # the minor one is below the bar
        assert shell.current_layout.id == "safety" and drilled == ["370705"]
        assert driver.carousel.state == "held"
        assert "奎文区某小区火情" in overlay.banner_text and not overlay.banners[2].isHidden()
        now[0] = 1000
        driver.poll()
        assert shell.current_layout.id == "safety"  # held: the carousel does not move it
        shell.acknowledge_requested.emit(["A1"])  # the A key
        assert takeover.active is None and overlay.banner_text is None
        assert driver.carousel.state == "running" and shell.current_layout.id == "overview"
        with qtbot.waitSignal(takeover.alerts_polled, timeout=5000):
            takeover.poll()
        assert takeover.active is None  # acknowledged: not taken again
    finally:
        driver.shutdown()
        pool.shutdown(wait=True)


def test_without_a_carousel_the_wall_returns_to_what_it_showed(qtbot, shell, store):
    from cockpit.model.config_control import TakeoverSettings
    from cockpit.shell.control.takeover import TakeoverController

    pool = ThreadPoolExecutor(1)
    shell.switch_to(shell.layout_index("environment"))
    takeover = TakeoverController(
        shell, TakeoverSettings(default_layout="safety", poll=60),
        submit=lambda fn, *a: pool.submit(lambda: fn(store.reader(), *a)), clock=lambda: NOW)
    try:
        with qtbot.waitSignal(takeover.changed, timeout=5000):
            takeover.poll()
        assert shell.current_layout.id == "safety"
        store.acknowledge_alerts(["A1"], "值班员", NOW)  # acknowledged elsewhere
        with qtbot.waitSignal(takeover.changed, timeout=5000):
            takeover.poll()
        assert takeover.active is None and shell.current_layout.id == "environment"
    finally:
        pool.shutdown(wait=True)


def test_f2_shows_and_hides_the_token_qr_code(qtbot, shell):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    from cockpit.shell.control.overlay import WallOverlay

    overlay = WallOverlay(shell)
    shell.qr_requested.connect(lambda: overlay.toggle_qr("0123456789abcdef"))
    press = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_F2, Qt.KeyboardModifier.NoModifier)
    shell.windows[0].key_pressed.emit(press)
    assert overlay.qr is not None and len(overlay.qr.matrix) >= 21
    shell.windows[0].key_pressed.emit(press)
    assert overlay.qr is None


@pytest.mark.slow
def test_a_running_wall_is_taken_over_by_the_demo_alert_and_released_from_the_api(tmp_path):
    from support.walls import WallProcess, api, free_port, site_config

    port = free_port()
    config = site_config(tmp_path, port=port, extra="""
[takeover]
min_severity = "critical"
default_layout = "safety"
poll = 0.5
""")
    wall = WallProcess(config, tmp_path / "wall.duckdb")
    try:
        taken = wall.wait_for(r"alarm takeover: critical .* \((\S+)\) in (\d{6}) -> safety", timeout=60)
        wall.wait_for(r"showing safety at")
        status = api(port, "GET", "/api/status")[1]
        assert status["layout"] == "safety" and status["takeover"]["alert_id"] == taken.group(1)
        mark = wall.mark()
        held = status["takeover"]["held"]  # every critical alert open holds the wall
        assert held[0] == taken.group(1) and status["takeover"]["more"] == len(held) - 1
        code, body = api(port, "POST", "/api/ack", {})  # what is on show: all the banner counts
        assert code == 200 and body["acknowledged"] == held
        wall.wait_for(r"alarm takeover ends: ", start=mark, timeout=10)
        wall.wait_for(r"showing overview at", start=mark, timeout=10)  # back to what it showed
        entries = api(port, "GET", "/api/log")[1]["entries"]
        assert entries[0]["action"] == "ack" and entries[0]["detail"] == ",".join(held)
    finally:
        wall.stop()
