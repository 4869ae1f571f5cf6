"""The Qt binding must not lose references to None.

PySide6 6.12.0 on CPython 3.11 drops a reference to None on every Qt call that returns nothing
(-1 per QPainter.setPen, drawLine, save/restore); after a few thousand paints the process aborts
with "Fatal Python error: none_dealloc". A wall paints that many times in minutes. This test
paints a few thousand times and fails if None's reference count fell, so an upgrade that brings
the bug back fails CI instead of the wall.
"""

import sys

from PySide6.QtCore import QLineF
from PySide6.QtGui import QColor, QImage, QPainter, QPen


def test_painting_keeps_none_alive(qapp):
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    pen = QPen(QColor("#22d3ee"))
    line = QLineF(0, 0, 63, 63)
    before = sys.getrefcount(None)
    for _ in range(3000):
        p = QPainter(image)
        p.save()
        p.setPen(pen)
        p.drawLine(line)
        p.restore()
        p.end()
    after = sys.getrefcount(None)
    # A correct binding leaves the count where it was (give or take the interpreter's own
    # bookkeeping); the broken one loses 5 per loop here, 15,000 in all.
    assert after >= before - 50, f"None lost {before - after} references in 3,000 paints"


def test_panel_repaints_keep_none_alive(qtbot, demo_store):
    """The same through the real panel code path (a KPI tile with a sparkline)."""
    from support import NOW, ROOT

    from cockpit.model.layout import load_layout
    from cockpit.panels.observations import kpi
    from widgets.kpi import KpiPanel

    spec = next(p for p in load_layout(ROOT / "layouts" / "overview.toml").panels() if p.kind == "kpi")
    panel = KpiPanel(spec)
    qtbot.addWidget(panel)
    panel.resize(470, 300)
    panel.set_view_model(kpi(demo_store.reader(), spec, NOW))
    image = QImage(panel.size(), QImage.Format.Format_ARGB32)
    before = sys.getrefcount(None)
    for _ in range(300):
        panel.invalidate()  # draw afresh each time, not from the panel's cached picture
        panel.render(image)
    assert sys.getrefcount(None) >= before - 50
