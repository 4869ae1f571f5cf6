"""The map's web renderer process really killed under an offscreen wall: the page comes back
with its data, its drill-down and the log line saying what happened."""

from __future__ import annotations

import json
import logging
import os
import signal

import pytest
from PySide6.QtWidgets import QApplication
from support import NOW, ROOT
from support.mapview import evaluate

from cockpit.model import incidents

pytestmark = pytest.mark.slow


def test_a_killed_renderer_reloads_the_map_with_its_data(qtbot, qapp, demo_store, caplog):
    from cockpit.model.layout import load_layout
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell
    from widgets.map import MapPanel
    from widgets.map_view import wait_until_drawn

    incidents.reset()
    caplog.set_level(logging.INFO, logger="widgets.map_view")
    shell = WallShell([load_layout(ROOT / "layouts" / "overview.toml")],
                      [s.geometry() for s in QApplication.screens()])
    shell.show()
    pump = DataPump(demo_store, shell, clock=lambda: NOW)
    pump.start()
    try:
        panel = next(p for p in shell.visible_panels() if isinstance(p, MapPanel))
        qtbot.waitUntil(lambda: panel.vm is not None, timeout=30000)
        assert wait_until_drawn([panel.view], settle_ms=50)
        panel.select_district("370705")
        before = json.loads(evaluate(panel.view, "JSON.stringify(cockpit.counts())"))
        fill = evaluate(panel.view, "cockpit.districtFill('370702')")
        assert before["devices"] > 0 and fill  # the demo's data is on the map
        assert evaluate(panel.view, "cockpit.selected()") == "370705"

        pid = panel.view.page().renderProcessPid()
        assert pid > 0
        with qtbot.waitSignal(panel.view.renderer_recovered, timeout=60000):
            os.kill(pid, signal.SIGKILL)
            qtbot.waitUntil(lambda: any(i.key == "map.renderer" for i in incidents.current()[1]),
                            timeout=10000)  # the wall says so while it recovers
        assert wait_until_drawn([panel.view], settle_ms=50)
        assert panel.view.page().renderProcessPid() not in (0, pid)  # a new renderer
        after = json.loads(evaluate(panel.view, "JSON.stringify(cockpit.counts())"))
        assert after == before  # the last data put back, without a new query
        assert evaluate(panel.view, "cockpit.districtFill('370702')") == fill
        assert evaluate(panel.view, "cockpit.selected()") == "370705"  # still drilled in
        assert not incidents.current()[1]
        ended = [r.getMessage() for r in caplog.records if "renderer process ended" in r.getMessage()]
        assert ended and "exit code" in ended[0]
        assert "Killed" in ended[0] or "Crashed" in ended[0] or "Abnormal" in ended[0]
    finally:
        pump.stop()
        shell.close()
