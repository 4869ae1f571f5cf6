"""Motion that stays smooth while data arrives (issue 18): the ticker moves by the time that
passed, every display frame; the alert list's pulse cross-fades two cached pictures and never
redraws the panel for a frame."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QColor
from support import NOW
from support.panels import make, panel_spec

from cockpit.panels.viewmodels import AlertRow, AlertsVM, TickerVM


def alerts_vm(critical_open: int) -> AlertsVM:
    rows = tuple(AlertRow(f"a{i}", NOW - timedelta(minutes=i), "critical" if i < critical_open
                          else "minor", "fire", f"告警 {i}", "奎文区", "open") for i in range(8))
    return AlertsVM(rows=rows, counts=(("critical", critical_open), ("minor", 8 - critical_open)),
                    as_of=NOW, source="demo")


def counted(panel, method: str = "render_panel") -> list[int]:
    """Counts the calls of the panel's ``method`` from now on (its redraws by default)."""
    count = [0]
    original = getattr(panel, method)

    def call(*args):
        count[0] += 1
        return original(*args)

    setattr(panel, method, call)
    return count


def test_the_alert_pulse_fades_the_lit_rows_in_without_redrawing_the_panel(qtbot):
    from widgets.base import RenderQueue

    panel = make(qtbot, panel_spec("safety", "alerts"), size=(940, 600))
    panel.set_now(NOW)
    panel.set_view_model(alerts_vm(critical_open=2))
    qtbot.waitUntil(lambda: panel._lit is not None and not RenderQueue.instance().pending())
    assert panel.flashing and len(panel._hot) == 2
    redraws = counted(panel)
    row = panel._hot[0].toAlignedRect().center()
    seen = set()

    def sample() -> bool:
        seen.add(QColor(panel.grab().toImage().pixel(panel._hot[0].left() + 2, row.y())).red())
        return len(seen) >= 3

    qtbot.waitUntil(sample, timeout=3000)  # the row's colour moves between dim and lit ...
    assert redraws[0] == 0  # ... by copying pixels only

    panel.set_view_model(alerts_vm(critical_open=0))  # acknowledged: no pulse, one picture
    assert not panel.flashing and panel._lit is None


def test_a_hidden_alert_list_stops_pulsing_keeps_its_pictures_while_warm_and_drops_them_cold(qtbot):
    """A layout kept warm is shown again by copying pixels (issue 18's switch): the lit picture
    stays while the panel is hidden, and a data change draws it again there; a cold panel
    keeps none."""
    from widgets.base import RenderQueue

    panel = make(qtbot, panel_spec("safety", "alerts"), size=(940, 600))
    panel.set_now(NOW)
    panel.set_view_model(alerts_vm(critical_open=1))
    qtbot.waitUntil(lambda: panel._lit is not None)
    panel.hide()
    assert not panel.flashing and panel._lit is not None
    panel.set_view_model(alerts_vm(critical_open=2))  # new data while hidden and warm
    qtbot.waitUntil(lambda: not RenderQueue.instance().pending() and not panel._lit_dirty)
    assert panel._lit is not None and len(panel._hot) == 2
    redraws = counted(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.flashing)
    assert redraws[0] == 0  # shown again without drawing either picture
    panel.hide()
    panel.set_cold(True)
    assert panel._lit is None and panel._cache is None
    panel.set_view_model(alerts_vm(critical_open=0))  # acknowledged: nothing to light
    panel.set_cold(False)
    panel.show()
    qtbot.waitUntil(lambda: panel._cache is not None and not panel._dirty)
    assert not panel.flashing and panel._lit is None


def test_the_ticker_moves_by_the_time_that_passed(qtbot, monkeypatch):
    import widgets.ticker as ticker

    spec = panel_spec("opinion", "ticker")
    panel = make(qtbot, spec, size=(1880, 140))
    panel.set_now(NOW)
    panel.set_view_model(TickerVM(items=("一号舆情", "二号舆情", "三号舆情"), as_of=NOW,
                                  source="demo"))
    assert panel._timer.isActive() and panel._timer.interval() <= 17  # every display frame
    panel._timer.stop()
    clock = [100.0]
    monkeypatch.setattr(ticker.time, "perf_counter", lambda: clock[0])
    speed = spec["speed"] * panel.screen_scale
    panel._on_timer_timeout()  # the first frame after a start
    start = panel.offset
    clock[0] += 0.1  # a frame 100 ms late moves the line 100 ms worth, not one frame's worth
    panel._on_timer_timeout()
    assert panel.offset - start == pytest.approx(speed * 0.1)
    clock[0] += 5.0  # a long gap (hidden, or the thread held) resumes without a jump
    panel._on_timer_timeout()
    assert panel.offset - start <= speed * (0.1 + ticker.MAX_GAP_S) + 1e-6


def test_a_panel_drawn_by_a_paint_before_its_turn_is_not_painted_again(qtbot):
    """A switch shows a panel whose new picture is still queued: the switch's paint draws it,
    and its turn on the render queue then has nothing to draw and asks for no second paint."""
    from dataclasses import replace

    from PySide6.QtWidgets import QApplication

    from widgets.base import RenderQueue

    panel = make(qtbot, panel_spec("safety", "alerts"), size=(940, 600))
    panel.set_now(NOW)
    panel.set_view_model(alerts_vm(critical_open=0))
    qtbot.waitUntil(lambda: not RenderQueue.instance().pending() and not panel._dirty)
    paints = counted(panel, "paintEvent")
    redraws = counted(panel)
    panel.set_view_model(replace(alerts_vm(critical_open=0), source="另一来源"))
    assert RenderQueue.instance().pending()
    panel.repaint()  # the switch's paint, before the queue's turn
    assert redraws[0] == 1 and paints[0] == 1
    RenderQueue.instance().drain()
    for _ in range(3):  # a paint asked for would be handled here
        QApplication.processEvents()
    assert redraws[0] == 1 and paints[0] == 1
