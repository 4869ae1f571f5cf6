"""A data tick on a 12-panel 1920x1080 screen: what it costs the GUI thread.

Goal: applying a tick's new view-models and repainting what changed takes ≤ 16.7 ms (one display
frame) of the GUI thread at p95.

The screen is the first screen of the bundled overview layout (the city map over 2x2 cells and 8 panels, 4x3), shown full screen
twice: once per way of applying a tick, side by side on the two offscreen screens. Each tick
advances the demo data by 5 s (SnapshotReplay.tick, as the demo feed does), runs the screen's
panel queries on a worker thread as the wall's DataPump does (timed there: "query time
(worker)"), then hands the same view-models to both pages, taking turns going first:

* changed only (the wall): ``panel.set_now`` + ``panel.set_view_model`` for each panel (a panel
  calls ``update()`` only if its view-model differs), then the event loop runs until the pending
  paints are done (which paints only the panels marked dirty, and the plots' queued scene
  updates).
* repaint all (the alternative): the same calls, then ``update()`` on every widget of the page
  (all 12 panels and their plots, whatever changed), then the event loop as above. (Not
  ``page.repaint()``: the panels set WA_OpaquePaintEvent, and Qt does not repaint opaque
  children when their parent is repainted, so that would repaint none of them.)

Then **motion while data ticks arrive** (issue 18: smooth motion): the wall's page again, beside
a strip of the two animated kinds (the opinion wall's ticker and the safety wall's alert list
holding unacknowledged critical alerts, which pulse), while a worker thread writes a tick of
demo data and runs the screen's queries every ``MOTION_TICK_S`` and hands the view-models to
the GUI thread through a queued signal, where they are applied as the pump applies them (changed
panels redrawn by the render queue, one per turn). The event loop runs free all along. Timed:
the interval between the animations' frames (the ticker's and the pulse's frame callbacks;
goal p95 ≤ 20 ms) and the GUI thread's gaps (the interval between beats of a 5 ms precise
timer; goal: none over 50 ms).

Run: ``python -m benchmarks.tick [--quick]``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from benchmarks._env import FRAME_MS, offscreen
from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.tick"
TICK = timedelta(seconds=5)
MOTION_TICK_S = 0.25  # a data tick this often during the motion phase (the soak sees ~20 a second, merged)
FRAME_GOAL_MS = 20.0  # p95 of an animation's frame interval
GAP_GOAL_MS = 50.0  # the longest the GUI thread may be held
BEAT_MS = 5


def _timed_queries(store, specs, now):
    """Worker thread: the panel queries, and how long they took there."""
    from cockpit.shell.pump import run_layout_queries

    started = time.perf_counter()
    vms = run_layout_queries(store, specs, now)
    return vms, (time.perf_counter() - started) * 1000


def motion(data, layout, page, seconds: float, start_k: int) -> dict[str, list[float]]:
    """The animated strip beside ``page`` while ticks of data arrive from a worker thread (see
    the module's docstring); returns the frame intervals and the GUI gaps, ms."""
    import threading

    from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from benchmarks import _fixtures as fx
    from cockpit.panels.viewmodels import AlertRow, AlertsVM
    from cockpit.shell.pump import run_layout_queries
    from widgets.alerts import AlertsPanel
    from widgets.ticker import TickerPanel

    layouts = {lay.id: lay for lay in fx.bundled_layouts()}
    ticker_spec = next(p for p in layouts["opinion"].panels() if p.kind == "ticker")
    alerts_spec = next(p for p in layouts["safety"].panels() if p.kind == "alerts")
    strip = QWidget()
    box = QHBoxLayout(strip)
    ticker, alerts = TickerPanel(ticker_spec), AlertsPanel(alerts_spec)
    box.addWidget(ticker, 3)
    box.addWidget(alerts, 2)
    geometry = fx.geometries()[-1]
    strip.setGeometry(geometry.x(), geometry.y(), geometry.width(), 400)
    strip.show()
    now = data.now + start_k * TICK
    ticker_vm = run_layout_queries(data.store, [ticker_spec], now).get(ticker_spec.id)
    rows = tuple(AlertRow(f"m{i}", now, "critical", "fire", f"告警 {i}", "奎文区", "open")
                 for i in range(3))
    for panel, vm in ((ticker, ticker_vm), (alerts, AlertsVM(rows, (("critical", 3),), now, "demo"))):
        panel.set_now(now)
        panel.set_view_model(vm)
    fx.drain_render_queue()
    frames: dict[str, list[float]] = {"ticker": [], "alert pulse": []}
    beats: list[float] = []

    def stamp(name, original):
        def wrapped(*args):
            frames[name].append(time.perf_counter())
            return original(*args)
        return wrapped

    ticker._timer.timeout.disconnect()
    ticker._timer.timeout.connect(stamp("ticker", ticker._on_timer_timeout))
    alerts._pulse.timeout.disconnect()
    alerts._pulse.timeout.connect(stamp("alert pulse", alerts._on_pulse_timeout))

    class Arrivals(QObject):
        arrived = Signal(object, object)

    arrivals = Arrivals()

    def apply(vms, at) -> None:  # as the pump applies a refresh: changed panels only
        for pid, panel in page.panels.items():
            panel.set_now(at)
            if pid in vms:
                panel.set_view_model(vms[pid])

    arrivals.arrived.connect(apply, Qt.ConnectionType.QueuedConnection)
    halt = threading.Event()
    specs = list(page.screen.panels)

    def feed() -> None:  # the feeds and the pump's workers: writes and queries off the GUI thread
        k = start_k
        while not halt.wait(MOTION_TICK_S):
            k += 1
            at = data.now + k * TICK
            data.replay.tick(data.store, at)
            arrivals.arrived.emit(run_layout_queries(data.store, specs, at), at)

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(BEAT_MS)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    heartbeat.start()
    worker = threading.Thread(target=feed, name="bench-feed", daemon=True)
    worker.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    halt.set()
    worker.join(30)
    heartbeat.stop()
    fx.settle()
    strip.close()
    strip.deleteLater()
    fx.settle()

    def intervals(ts: list[float]) -> list[float]:
        return [(b - a) * 1000 for a, b in zip(ts, ts[1:], strict=False)]

    return {**{name: intervals(ts) for name, ts in frames.items()}, "gaps": intervals(beats)}


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    offscreen()
    from PySide6.QtWidgets import QWidget

    from benchmarks import _fixtures as fx
    from cockpit.shell.wall import ScreenPage, ScreenWindow
    from widgets.base import RenderQueue

    ticks = 12 if quick else 40
    fx.app()
    tally = fx.PaintTally.install()
    print("tick: loading the demo data and building the screen …", file=out, flush=True)
    data = fx.demo_data()
    layout = next(lay for lay in fx.bundled_layouts() if lay.id == "overview")
    screen = layout.screens[0]
    specs = list(screen.panels)
    geometries = fx.geometries()
    windows, pages = [], []
    for i in range(2):
        window = ScreenWindow(i)
        page = ScreenPage(layout, screen)
        window.stack.addWidget(page)
        window.setGeometry(geometries[i % len(geometries)])
        window.showFullScreen()
        windows.append(window)
        pages.append(page)
    ours_page, all_page = pages
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panel-query")

    def apply(page, vms, now) -> int:
        changed = 0
        for pid, panel in page.panels.items():
            panel.set_now(now)
            if pid in vms and panel.set_view_model(vms[pid]):
                changed += 1
        return changed

    now = data.now
    vms, _ = pool.submit(_timed_queries, data.store, specs, now).result()
    for page in pages:
        apply(page, vms, now)
    fx.settle()
    every_widget = all_page.findChildren(QWidget)

    gui_ours: list[float] = []
    gui_longest: list[float] = []
    gui_all: list[float] = []
    worker: list[float] = []
    feed: list[float] = []
    changed: list[int] = []
    repainted: list[int] = []
    missed = leftover = 0
    warmup = 2
    gc.collect()
    for k in range(1, ticks + warmup + 1):
        now = data.now + k * TICK
        started = time.perf_counter()
        data.replay.tick(data.store, now)
        feed_ms = fx.ms_since(started)
        vms, query_ms = pool.submit(_timed_queries, data.store, specs, now).result()
        for turn in ((0, 1) if k % 2 == 0 else (1, 0)):
            tally.reset()
            started = time.perf_counter()
            if turn == 0:
                n_changed = apply(ours_page, vms, now)
                turns = fx.drain_render_queue()
                ours_ms = fx.ms_since(started)
                longest_ms = max(turns)
                n_repainted = sum(1 for p in ours_page.panels.values() if id(p) in tally.painted)
                if n_changed:
                    dirty = [p for p in ours_page.panels.values() if p.vm is vms.get(p.spec.id)]
                    missed += tally.missed(dirty)
            else:
                apply(all_page, vms, now)
                for widget in every_widget:  # the naive wall: redraw everything, all at once
                    if hasattr(widget, "invalidate"):
                        widget.invalidate()
                    widget.update()
                RenderQueue.instance().drain()
                fx.paint_pending()
                all_ms = fx.ms_since(started)
                missed += tally.missed(all_page.panels.values())
            leftover += tally.leftover()
        if k > warmup:
            gui_ours.append(ours_ms)
            gui_longest.append(longest_ms)
            gui_all.append(all_ms)
            worker.append(query_ms)
            feed.append(feed_ms)
            changed.append(n_changed)
            repainted.append(n_repainted)

    pool.shutdown(wait=True)
    windows[1].hide()
    print("tick: motion while ticks arrive …", file=out, flush=True)
    moved = motion(data, layout, ours_page, 4.0 if quick else 12.0, ticks + warmup + 1)
    frame_rows = [Row(f"motion: {name} frame interval", summarize(v), "ms")
                  for name, v in moved.items() if name != "gaps"]
    gap = max(moved["gaps"], default=float("nan"))
    frame_p95 = max((r.stats.p95 for r in frame_rows), default=float("nan"))
    fig = Figure(
        name="tick",
        title=f"data tick on one {len(specs)}-panel 1920x1080 screen (overview, screen 1), GUI thread",
        goal=FRAME_MS, goal_stat="p95", unit="ms",
        ours=Row("GUI: longest single turn (wall, one panel per turn)", summarize(gui_longest), "ms"),
        alternative=Row(f"GUI: redraw all {len(specs)} in one turn", summarize(gui_all), "ms"),
        side=[Row("GUI: whole tick, all turns added up (wall)", summarize(gui_ours), "ms"),
              Row("query time (worker)", summarize(worker), "ms"),
              Row("feed write (replay tick, not counted)", summarize(feed), "ms"),
              *frame_rows,
              Row(f"motion: GUI thread gap ({BEAT_MS} ms beat interval)", summarize(moved["gaps"]), "ms")],
        notes=[f"{ticks} ticks of 5 s of demo data (after {warmup} untimed); view-models that "
               f"changed per tick: median {statistics.median(changed):g} of {len(specs)}, panels "
               f"the wall repainted per tick: median {statistics.median(repainted):g}",
               f"check: {missed} panel(s) due a repaint that did not paint inside the timed span, "
               f"{leftover} whole-panel paint(s) still pending after one (both 0 when the spans hold every paint)",
               f"motion while a tick arrives every {MOTION_TICK_S:g} s (worker thread: write + "
               f"queries; GUI: applied as the pump does): animation frame interval p95 "
               f"{frame_p95:.1f} ms (goal ≤ {FRAME_GOAL_MS:g} ms: "
               f"{'within goal' if frame_p95 <= FRAME_GOAL_MS else 'over goal'}), longest GUI gap "
               f"{gap:.1f} ms (goal ≤ {GAP_GOAL_MS:g} ms: "
               f"{'within goal' if gap <= GAP_GOAL_MS else 'over goal'}), "
               f"{sum(1 for g in moved['gaps'] if g > GAP_GOAL_MS)} gaps over it of "
               f"{len(moved['gaps'])} beats"])
    for window in windows:
        window.close()
        window.deleteLater()
    fx.settle()
    data.close()
    return fig


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
