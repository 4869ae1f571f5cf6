"""An alert's title is feed text (a feed, or another node's takeover over the broker): the
takeover banner shows it as typed, never as markup that could load an image or restyle the
wall."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support import ROOT

from cockpit.model.layout import load_layouts


def test_markup_in_an_alert_title_is_shown_literally(qtbot):
    from cockpit.shell.control.overlay import WallOverlay
    from cockpit.shell.control.takeover import banner_text
    from cockpit.shell.wall import WallShell

    good, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(good, [s.geometry() for s in QApplication.screens()])
    wall.show()
    overlay = WallOverlay(wall)
    title = '奎文区<b>火情</b><img src="http://example.invalid/x.png">'
    overlay.set_banner(banner_text({"alert_id": "a1", "severity": "critical", "title": title}))
    for banner in overlay.banners:
        assert banner.isVisible()
        assert banner.textFormat() == Qt.TextFormat.PlainText  # what makes Qt draw it as typed
        assert title in banner.text()
    # drawn as text, the markup takes room: the plain title is much narrower than the banner's
    plain = overlay.banners[0].fontMetrics().horizontalAdvance(banner_text(
        {"alert_id": "a1", "severity": "critical", "title": "奎文区火情"}))
    shown = overlay.banners[0].fontMetrics().horizontalAdvance(overlay.banners[0].text())
    assert shown > plain + 200
    wall.close()
