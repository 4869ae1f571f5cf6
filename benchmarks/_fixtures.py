"""What the in-process benchmarks build on: the Qt application, the demo data, the layouts.

Import only after :func:`benchmarks._env.offscreen` (this module imports Qt)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QRect, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from benchmarks._env import ROOT, scratch_dir
from cockpit.data.replay import SnapshotReplay
from cockpit.data.store import Store
from cockpit.model.layout import Layout, load_layouts
from cockpit.shell.app import make_app

DEMO_SNAPSHOT = ROOT / "assets" / "demo" / "snapshot"
LAYOUTS_DIR = ROOT / "layouts"


_NOISE = ("This plugin does not support propagateSizeHints()",)
_previous_handler = None


def _on_qt_message(mode, context, message) -> None:
    if message in _NOISE:  # the offscreen platform says so for every window shown
        return
    if _previous_handler is not None:
        _previous_handler(mode, context, message)
    else:
        print(message, file=sys.stderr)


def app() -> QApplication:
    """The application as the wall makes it (same fonts), minus the offscreen platform's noise."""
    global _previous_handler
    if QApplication.instance() is None:
        _previous_handler = qInstallMessageHandler(_on_qt_message)
    return make_app(["cockpit-bench"])


def geometries() -> list[QRect]:
    return [s.geometry() for s in app().screens()]


def bundled_layouts() -> list[Layout]:
    layouts, errors = load_layouts(LAYOUTS_DIR)
    if errors:
        raise SystemExit("bundled layouts do not load:\n" + "\n".join(str(e) for e in errors))
    return layouts


@dataclass
class DemoData:
    store: Store
    replay: SnapshotReplay
    now: datetime

    def close(self) -> None:
        self.store.close()


def demo_data() -> DemoData:
    """A fresh cache holding the demo snapshot replayed so that its last moment is now."""
    now = datetime.now(UTC).replace(microsecond=0)
    store = Store(scratch_dir("store-") / "demo.duckdb")
    replay = SnapshotReplay(DEMO_SNAPSHOT)
    replay.backfill(store, now)
    store.record_health("demo", attempt=now, success=True, error=None, rows=0, latency_ms=1.0)
    return DemoData(store, replay, now)


def settle(rounds: int = 3) -> None:
    """Handle every posted event (layouts, queued scene updates, paints, deferred deletes)."""
    for _ in range(rounds):
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        QApplication.processEvents()


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def paint_pending(rounds: int = 3) -> None:
    """Let the event loop do what it would after a change: layouts, queued scene updates and
    the paints they cause (a switch needs up to three passes; empty passes cost microseconds)."""
    for _ in range(rounds):
        QApplication.processEvents()


def drain_render_queue() -> list[float]:
    """Run the event loop turn by turn until the wall's render queue is empty and the last
    copies are on screen; returns each turn's GUI-thread time in ms."""
    from widgets.base import RenderQueue

    queue = RenderQueue.instance()
    turns = []
    while True:
        started = time.perf_counter()
        QApplication.processEvents()
        turns.append(ms_since(started))
        if not queue.pending():
            break
    for _ in range(2):  # the merged copies (and any layout they cause) of the last turn
        started = time.perf_counter()
        QApplication.processEvents()
        turns.append(ms_since(started))
    return turns


class PaintTally:
    """Which panels and plots painted, by wrapping their ``paintEvent`` in this process.

    (An application-wide Python event filter would be the obvious tool, but installing one sets
    pyqtgraph's legends re-laying out and repainting, so it would measure itself.) The cost is
    one Python call per paint."""

    _installed: PaintTally | None = None

    def __init__(self) -> None:
        self.painted: set[int] = set()
        self.count = 0

    @classmethod
    def install(cls) -> PaintTally:
        if cls._installed is None:
            import pyqtgraph as pg

            from widgets.base import PanelFrame
            from widgets.title_bar import HeaderBar

            tally = cls()
            for klass in (PanelFrame, HeaderBar, pg.GraphicsView):
                tally._wrap(klass)
            cls._installed = tally
        return cls._installed

    def _wrap(self, klass) -> None:
        original = klass.paintEvent

        def paint_event(widget, event, _original=original, _tally=self):
            # a paint of part of a widget is an animation's frame (the alert pulse repaints
            # its critical rows every display frame, switch or not): not work a span left
            if event.rect().contains(widget.rect()):
                _tally.count += 1
            _tally.painted.add(id(widget))
            return _original(widget, event)

        klass.paintEvent = paint_event

    def reset(self) -> None:
        self.painted.clear()
        self.count = 0

    def missed(self, widgets) -> int:
        """How many of ``widgets`` did not paint since the last reset."""
        return sum(1 for w in widgets if id(w) not in self.painted)

    def leftover(self) -> int:
        """Whole-widget paints that still happen when the event loop runs now (0: the timed span
        did all; an animation's partial frames are not counted)."""
        self.reset()
        paint_pending()
        return self.count
