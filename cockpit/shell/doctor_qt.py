"""The doctor's Qt part: the screens Qt sees and the fonts that can draw Chinese.

:mod:`cockpit.ops.doctor` writes the rest of the report without Qt; the CLI hands it this.
"""

from __future__ import annotations

import os
import re
import sys

from PySide6.QtCore import qVersion

from cockpit.ops.doctor import Report


def qt_version() -> str:
    return qVersion()


def screens_and_fonts(r: Report) -> None:
    headless = (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
                and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QFontDatabase, QGuiApplication  # after QT_QPA_PLATFORM is set

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    r.section(f"screens (Qt platform {app.platformName()}"
              + (": no display here, so what an offscreen wall would see" if headless else "")
              + ")")
    screens = app.screens()
    for i, screen in enumerate(screens):
        g = screen.geometry()
        r.line(f"{i + 1}", f"{screen.name() or '?'}  {g.width()}x{g.height()} at {g.x()},{g.y()}"
                           f"  DPR {screen.devicePixelRatio():g}")
    if not screens:
        r.problem("screens", "Qt sees no screen")
    r.section("fonts")
    cjk = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if cjk:
        preferred = sorted((f for f in cjk if re.search(r"YaHei|Noto Sans CJK|Source Han|PingFang", f)),
                           key=lambda f: ("SC" not in f and "YaHei" not in f, f))
        r.line("Chinese", f"{(preferred or cjk)[0]} ({len(cjk)} famil{'y' if len(cjk) == 1 else 'ies'}"
                          f" with Chinese glyphs)")
    else:
        r.problem("Chinese", "no font can draw Chinese: the wall would show boxes "
                             "(install fonts-noto-cjk, or Microsoft YaHei on Windows)")
