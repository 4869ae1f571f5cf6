"""The carousel: pure logic against a fake clock, and its Qt driver on a real wall and timer."""

from __future__ import annotations

import pytest
from support import ROOT

from cockpit.control.carousel import Carousel, Stop

STOPS = [Stop("overview", 60), Stop("environment", 30), Stop("safety", 45)]


def test_advances_after_each_dwell_and_wraps():
    c = Carousel(STOPS, idle_resume=120)
    assert c.tick(0) is None  # not started
    assert c.start(0) == "overview"
    assert c.tick(59.9) is None
    assert c.tick(60) == "environment"
    assert c.tick(89) is None
    assert c.tick(90) == "safety"
    assert c.tick(135) == "overview"
    assert c.state == "running" and c.position == 0


def test_manual_switch_pauses_then_resumes_where_it_was_after_the_idle_time():
    c = Carousel(STOPS, idle_resume=120)
    c.start(0)
    c.tick(60)  # environment
    c.manual_switch(70)
    assert c.state == "paused"
    assert c.tick(100) is None and c.tick(189) is None
    c.manual_switch(150)  # another manual switch restarts the idle time
    assert c.tick(269) is None
    assert c.tick(270) == "environment"  # where it was, for a full dwell
    assert c.state == "running"
    assert c.tick(299) is None and c.tick(300) == "safety"


def test_hold_stops_everything_and_release_resumes_where_it_was():
    c = Carousel(STOPS, idle_resume=10)
    c.start(0)
    c.tick(60)
    c.hold()
    assert c.state == "held"
    assert c.tick(1000) is None
    assert c.release(1000) == "environment"
    assert c.tick(1029) is None and c.tick(1030) == "safety"


def test_stopped_carousel_ignores_manual_switches_and_time():
    c = Carousel(STOPS)
    c.manual_switch(0)
    assert c.state == "stopped" and c.tick(10_000) is None
    c.start(0)
    c.stop()
    assert c.tick(10_000) is None and c.release(5) is None
    assert Carousel([]).start(0) is None


def test_describe_reports_the_countdowns():
    c = Carousel(STOPS, idle_resume=20)
    c.start(0)
    assert c.describe(10)["next_in"] == 50.0 and c.describe(10)["state"] == "running"
    c.manual_switch(10)
    d = c.describe(15)
    assert d["state"] == "paused" and d["resume_in"] == 15.0 and d["next_in"] is None


# -- the Qt driver --------------------------------------------------------------------------
@pytest.fixture
def shell(qtbot):
    from PySide6.QtWidgets import QApplication

    from cockpit.model.layout import load_layouts
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()], windowed=True)
    yield wall
    wall.close()


def test_driver_with_a_fake_clock_switches_and_pauses_on_a_manual_switch(qtbot, shell):
    from cockpit.shell.control.driver import CarouselDriver

    now = [0.0]
    driver = CarouselDriver(shell, Carousel(STOPS, idle_resume=100), clock=lambda: now[0],
                            poll_ms=10_000)
    driver.start()
    assert shell.current_layout.id == "overview" and driver.carousel.state == "running"
    now[0] = 60
    driver.poll()
    assert shell.current_layout.id == "environment" and driver.carousel.state == "running"
    shell.switch_to(shell.layout_index("safety"))  # by hand
    assert driver.carousel.state == "paused"
    now[0] = 150
    driver.poll()
    assert shell.current_layout.id == "safety"
    now[0] = 170
    driver.poll()
    assert shell.current_layout.id == "environment" and driver.carousel.state == "running"
    driver.shutdown()


def test_driver_on_a_real_timer_advances(qtbot, shell):
    from cockpit.shell.control.driver import CarouselDriver

    stops = [Stop("environment", 0.15), Stop("safety", 0.15)]
    driver = CarouselDriver(shell, Carousel(stops, idle_resume=60), poll_ms=20)
    seen = []
    shell.layout_changed.connect(seen.append)
    driver.start()
    qtbot.waitUntil(lambda: seen[-3:] == ["safety", "environment", "safety"], timeout=3000)
    driver.shutdown()


def test_upcoming_is_the_next_stop_while_running():
    c = Carousel(STOPS)
    assert c.upcoming() is None  # stopped: nothing comes next
    c.start(0)
    assert c.upcoming() == STOPS[1].layout
    c.tick(STOPS[0].dwell)
    assert c.upcoming() == STOPS[2 % len(STOPS)].layout
    c.stop()
    assert c.upcoming() is None
