"""One panel redraw at 1920x1080, per panel kind: what the dearest redraw holds the GUI thread.

Goal: no single panel redraw costs more than 8 ms (half a display frame: a redraw shares its
turn of the event loop with the animations, the heartbeat and the keys).

Every panel of every bundled layout, on the screen where its layout puts it (a 1920x1080
offscreen window, the layout's first arrangement), holding its real view-model (the demo
snapshot replayed into a fresh cache, then the layout's queries). A redraw is what the render
queue runs when a panel's view-model changed: ``PanelFrame.ensure_cache`` after
``invalidate`` (the card, the content, the badge, drawn into the panel's cached pixmap; a plot
rendered into it), drawn over the panel's picture in place. Each panel is redrawn 7 times
(``--quick`` 3), taking turns with a redraw into a new pixmap (the alternative: what every
redraw did before 2026-12); its figure is the median, beside the fastest round (on a busy
machine, the panel's own cost). Printed: per kind the median of its panels' medians and the
dearest panel, and the dearest panels by name.

``python -m benchmarks.paint [--quick]``
"""

from __future__ import annotations

import sys
import time

from benchmarks._env import offscreen
from benchmarks._stats import Figure, Row, percentile, script_main, summarize

COMMAND = "python -m benchmarks.paint"
GOAL_MS = 8.0


def redraw_ms(panel, rounds: int) -> tuple[list[float], list[float]]:
    """``rounds`` redraws of ``panel`` as the render queue runs them, ms each, taking turns
    with a redraw into a new pixmap (what panels did before redrawing in place), after one
    untimed (the first redraw of a process pays Qt's lazy set-up)."""
    inplace, fresh = [], []
    panel._dirty = True
    panel.ensure_cache()
    for k in range(2 * rounds):
        new = k % 2 == 1
        if new:
            panel._cache = None
        panel._dirty = True
        started = time.perf_counter()
        panel.ensure_cache()
        (fresh if new else inplace).append((time.perf_counter() - started) * 1000)
    return inplace, fresh


def measure(rounds: int, out=sys.stdout, only: set[str] | None = None
            ) -> dict[tuple[str, str, str], tuple[list[float], list[float]]]:
    """(layout, panel id, kind) -> redraw times (ms) in place and into a new pixmap, for every
    panel of every bundled layout (or of the layouts in ``only``)."""
    from benchmarks import _fixtures as fx
    from cockpit.shell.pump import run_layout_queries
    from cockpit.shell.wall import ScreenPage, ScreenWindow
    from widgets.base import RenderQueue

    fx.app()
    print("paint: loading the demo data …", file=out, flush=True)
    data = fx.demo_data()
    geometry = fx.geometries()[0]
    window = ScreenWindow(0)
    window.setGeometry(geometry)
    window.showFullScreen()
    medians: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
    try:
        for layout in fx.bundled_layouts():
            if only and layout.id not in only:
                continue
            vms = run_layout_queries(data.store, list(layout.panels()), data.now)
            for screen in layout.screens:
                page = ScreenPage(layout, screen)
                window.stack.addWidget(page)
                window.stack.setCurrentWidget(page)
                for pid, panel in page.panels.items():
                    panel.set_now(data.now)
                    if pid in vms:
                        panel.set_view_model(vms[pid])
                RenderQueue.instance().drain()
                fx.settle()
                for pid, panel in page.panels.items():
                    if not panel.isVisible():
                        continue
                    medians[(layout.id, pid, panel.spec.kind)] = redraw_ms(panel, rounds)
                window.stack.removeWidget(page)
                page.deleteLater()
                fx.settle()
    finally:
        window.close()
        window.deleteLater()
        fx.settle()
        data.close()
    return medians


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    offscreen()
    both = measure(3 if quick else 7, out)
    medians = {k: percentile(v[0], 50) for k, v in both.items()}
    fastest = {k: min(v[0]) for k, v in both.items()}
    by_kind: dict[str, list[float]] = {}
    for (_, _, kind), ms in medians.items():
        by_kind.setdefault(kind, []).append(ms)
    kinds = sorted(by_kind.items(), key=lambda kv: -max(kv[1]))
    dearest = sorted(medians.items(), key=lambda kv: -kv[1])[:8]
    over = [k for k, v in medians.items() if v > GOAL_MS]
    return Figure(
        name="paint",
        title="one panel redraw into its cached picture at 1920x1080, every bundled panel",
        goal=GOAL_MS, goal_stat="max", unit="ms",
        ours=Row("redraw, median per panel (all panels)", summarize(list(medians.values())), "ms"),
        alternative=Row("into a new pixmap each redraw (as before 2026-12)",
                        summarize([percentile(v[1], 50) for v in both.values()]), "ms"),
        side=[Row("redraw, fastest of the rounds per panel (all panels)",
                  summarize(list(fastest.values())), "ms"),
              *(Row(f"kind {kind} ({len(v)} panels)", summarize(v), "ms") for kind, v in kinds)],
        notes=[f"{len(medians)} panels of {len({k[0] for k in medians})} layouts; "
               f"{len(over)} over {GOAL_MS:g} ms by their median, "
               f"{sum(1 for v in fastest.values() if v > GOAL_MS)} by their fastest round (on a "
               f"busy machine the fastest is the panel's own cost, the median adds the waits)",
               "dearest panels (layout/panel kind: median ms, fastest ms): " + ", ".join(
                   f"{lay}/{pid} {kind}: {ms:.1f}, {fastest[(lay, pid, kind)]:.1f}"
                   for (lay, pid, kind), ms in dearest)])


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
