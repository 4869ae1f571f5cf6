"""The headless environment every benchmark runs in. Imports no Qt: call :func:`offscreen`
before anything creates the QApplication (the platform is read then)."""

from __future__ import annotations

import atexit
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN_W, SCREEN_H = 1920, 1080
SCREENS = 2  # the largest bundled layout (overview) has two screens
FRAME_MS = 1000 / 60  # one display frame at 60 Hz

_config_dir = Path(tempfile.mkdtemp(prefix="cockpit-bench-"))
atexit.register(shutil.rmtree, _config_dir, ignore_errors=True)


def screen_config(count: int = SCREENS) -> Path:
    """An offscreen-platform config with ``count`` 1920x1080 screens side by side."""
    screens = [{"name": f"WALL-{i + 1}", "x": i * SCREEN_W, "y": 0, "width": SCREEN_W,
                "height": SCREEN_H, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}
               for i in range(count)]
    path = _config_dir / f"screens-{count}.json"
    path.write_text(json.dumps({"synchronizeWindowSizes": True, "windowFrameMargins": False,
                                "screens": screens}))
    return path


def offscreen_env(count: int = SCREENS) -> dict[str, str]:
    """The variables that put Qt on ``count`` virtual screens with no display."""
    return {"QT_QPA_PLATFORM": f"offscreen:configfile={screen_config(count)}",
            "QT_LOGGING_RULES": "qt.qpa.*=false"}


def offscreen(count: int = SCREENS) -> None:
    """Set up this process for Qt without a display (before the QApplication exists)."""
    os.environ.update(offscreen_env(count))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def machine() -> str:
    return (f"{os.cpu_count()} CPU {platform.machine()}, {platform.system()}, Python "
            f"{platform.python_version()}, Qt offscreen platform, {SCREENS} screens of {SCREEN_W}x{SCREEN_H}")


def scratch_dir(prefix: str) -> Path:
    """A fresh temporary folder under the run's own folder."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_config_dir))
