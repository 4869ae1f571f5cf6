"""The start-up baseline: a bare window of 12 pyqtgraph plots in a 4x3 grid, full screen.

What any pyqtgraph wall costs before it does anything of its own (no store, no layouts, no
data). Shows the window, lets the event loop run once (as ``cockpit.shell.app.run_wall`` does before it
announces its first frame) and prints ``bare: first frame painted`` on stderr, then quits.

Run by ``python -m benchmarks.startup`` as ``python benchmarks/_bare_window.py`` with the
offscreen environment; standalone on purpose (imports nothing of the cockpit).
"""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QWidget()
    grid = QGridLayout(window)
    for i in range(12):
        grid.addWidget(pg.PlotWidget(), i // 4, i % 4)
    window.setGeometry(app.primaryScreen().geometry())
    window.showFullScreen()
    QApplication.processEvents()
    print("bare: first frame painted", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
