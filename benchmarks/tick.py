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


def _timed_queries(store, specs, now):
    """Worker thread: the panel queries, and how long they took there."""
    from cockpit.shell.pump import run_layout_queries

    started = time.perf_counter()
    vms = run_layout_queries(store, specs, now)
    return vms, (time.perf_counter() - started) * 1000


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
    fig = Figure(
        name="tick",
        title=f"data tick on one {len(specs)}-panel 1920x1080 screen (overview, screen 1), GUI thread",
        goal=FRAME_MS, goal_stat="p95", unit="ms",
        ours=Row("GUI: longest single turn (wall, one panel per turn)", summarize(gui_longest), "ms"),
        alternative=Row(f"GUI: redraw all {len(specs)} in one turn", summarize(gui_all), "ms"),
        side=[Row("GUI: whole tick, all turns added up (wall)", summarize(gui_ours), "ms"),
              Row("query time (worker)", summarize(worker), "ms"),
              Row("feed write (replay tick, not counted)", summarize(feed), "ms")],
        notes=[f"{ticks} ticks of 5 s of demo data (after {warmup} untimed); view-models that "
               f"changed per tick: median {statistics.median(changed):g} of {len(specs)}, panels "
               f"the wall repainted per tick: median {statistics.median(repainted):g}",
               f"check: {missed} panel(s) due a repaint that did not paint inside the timed span, "
               f"{leftover} paint(s) still pending after one (both 0 when the spans hold every paint)"])
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
