"""A layout switch on every screen: the warm wall against building the layout on demand.

Goal: the whole wall shows the new layout within one display frame (16.7 ms) at p95.

Both walls are built on the same offscreen 1920x1080 screens with the bundled layouts, every
panel holding its real view-model (the demo snapshot replayed into a fresh cache, then each
layout's queries). Switches cycle through the layouts, the two walls taking turns.

* warm (cockpit.shell.wall.WallShell): ``shell.switch_to(i)``, then the event loop runs until every
  window has painted the new layout (the posted layout and paint events, and the plots' queued
  scene updates; a check after each switch counts paints still pending and should find none).
* on demand (what a naive wall does): build the target layout's ScreenPage widgets, hand them
  their (already queried) view-models, put them in the windows and let the event loop paint
  them, as above. Deleting the pages shown before is timed apart and not counted.

Run: ``python -m benchmarks.switch [--quick]``.
"""

from __future__ import annotations

import gc
import sys
import time

from benchmarks._env import FRAME_MS, offscreen
from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.switch"


def _on_demand_wall(fx, layouts, geometries, vms_by_layout, now):
    """A wall that keeps nothing warm: each switch builds the target layout's pages."""
    from PySide6.QtWidgets import QGridLayout, QWidget

    from cockpit.model.wallplan import assign, tile_grid
    from cockpit.shell.wall import ScreenPage, ScreenWindow, StandbyPage

    windows = [ScreenWindow(i) for i in range(len(geometries))]
    shown: list[QWidget | None] = [None] * len(windows)

    def page(layout, screen_index):
        p = ScreenPage(layout, layout.screens[screen_index])
        vms = vms_by_layout[layout.id]
        for pid, panel in p.panels.items():
            panel.set_now(now)
            if pid in vms:
                panel.set_view_model(vms[pid])
        return p

    def build(index: int) -> list[QWidget]:
        layout = layouts[index]
        out: list[QWidget] = []
        for screens in assign(len(layout.screens), len(windows)):
            if not screens:
                out.append(StandbyPage(layout))
            elif len(screens) == 1:
                out.append(page(layout, screens[0]))
            else:
                host = QWidget()
                grid = QGridLayout(host)
                cols, _ = tile_grid(len(screens))
                for k, si in enumerate(screens):
                    grid.addWidget(page(layout, si), k // cols, k % cols)
                out.append(host)
        return out

    def switch_to(index: int) -> list[QWidget]:
        containers = build(index)
        for window, container in zip(windows, containers, strict=True):
            window.stack.addWidget(container)
            window.stack.setCurrentWidget(container)
        fx.paint_pending()
        return containers

    def drop_old() -> None:
        for i, window in enumerate(windows):
            old = shown[i]
            if old is not None:
                window.stack.removeWidget(old)
                old.deleteLater()
            shown[i] = window.stack.currentWidget()
        fx.settle()

    def show() -> None:
        for window, geo in zip(windows, geometries, strict=True):
            window.setGeometry(geo)
            window.showFullScreen()

    return windows, switch_to, drop_old, show


def warm_policy(fx, shell, rounds: int) -> dict:
    """The wall under the warm policy (``warm_neighbours=1``): PSS against every layout warm,
    switches stepping on (PageDown: the target was drawn ahead) and jumps to a cold layout."""
    import os

    from benchmarks.soak import pss_kib
    from cockpit.shell.wall import release_freed_memory

    def settle_ahead() -> None:  # the drawing ahead a switch causes (WallShell.WARM_AHEAD_MS)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            fx.drain_render_queue()
            if all(p._cache is not None and not p._dirty for i in shell.warm()
                   for p in shell.slots[i].panels()):
                return
            time.sleep(0.02)

    gc.collect()
    release_freed_memory()
    pss_all = (pss_kib(os.getpid()) or 0) / 1024
    shell.warm_neighbours = 1
    shell.apply_warmth()
    settle_ahead()
    gc.collect()
    release_freed_memory()
    pss_policy = (pss_kib(os.getpid()) or 0) / 1024
    n = len(shell.slots)
    step: list[float] = []
    jump: list[float] = []
    for _ in range(rounds):
        for _ in range(n):
            started = time.perf_counter()
            shell.switch_to((shell.current + 1) % n)
            fx.paint_pending()
            step.append(fx.ms_since(started))
            settle_ahead()
        started = time.perf_counter()
        shell.switch_to((shell.current + n // 2) % n)
        fx.paint_pending()
        jump.append(fx.ms_since(started))
        settle_ahead()
    shell.warm_neighbours = None
    shell.apply_warmth()
    return {"pss_all": pss_all, "pss_policy": pss_policy,
            "per_layout": (pss_all - pss_policy) / max(1, n - 3), "step": step, "jump": jump}


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    offscreen()
    from benchmarks import _fixtures as fx
    from cockpit.shell.pump import run_layout_queries
    from cockpit.shell.wall import WallShell
    from widgets.base import PanelFrame

    rounds = 4 if quick else 15  # switches per layout, per wall
    fx.app()
    tally = fx.PaintTally.install()
    print("switch: loading the demo data and building both walls …", file=out, flush=True)
    data = fx.demo_data()
    layouts = fx.bundled_layouts()
    geometries = fx.geometries()
    shell = WallShell(layouts, geometries)
    vms_by_layout = {}
    for slot in shell.slots:
        vms = run_layout_queries(data.store, [p.spec for p in slot.panels()], data.now)
        vms_by_layout[slot.layout.id] = vms
        for panel in slot.panels():
            panel.set_now(data.now)
            if panel.spec.id in vms:
                panel.set_view_model(vms[panel.spec.id])
    shell.show()
    windows, on_demand_switch, on_demand_drop, on_demand_show = _on_demand_wall(
        fx, layouts, geometries, vms_by_layout, data.now)
    on_demand_switch(0)
    on_demand_drop()
    on_demand_show()
    fx.settle()

    order = list(range(1, len(layouts))) + [0]  # from the first layout: 1, 2, …, 0, 1, 2, …
    for target in order:  # warm-up: every page of both walls shown once
        shell.switch_to(target)
        on_demand_switch(target)
        on_demand_drop()
        fx.settle()

    warm: list[float] = []
    demand: list[float] = []
    teardown: list[float] = []
    by_target: dict[int, list[float]] = {i: [] for i in range(len(layouts))}
    leftover = [0, 0]  # whole-panel paints after a span: warm wall, on demand
    missed = 0
    gc.collect()
    for k in range(rounds * len(layouts)):
        target = order[k % len(order)]
        for turn in ((0, 1) if k % 2 == 0 else (1, 0)):  # take turns going first
            tally.reset()
            if turn == 0:
                started = time.perf_counter()
                shell.switch_to(target)
                fx.paint_pending()
                warm.append(fx.ms_since(started))
                by_target[target].append(warm[-1])
                missed += tally.missed(shell.visible_panels())
            else:
                started = time.perf_counter()
                containers = on_demand_switch(target)
                demand.append(fx.ms_since(started))
                missed += tally.missed([p for c in containers for p in c.findChildren(PanelFrame)])
            leftover[turn] += tally.leftover()
            if turn == 1:
                started = time.perf_counter()
                on_demand_drop()
                teardown.append(fx.ms_since(started))

    policy = warm_policy(fx, shell, rounds)
    n_panels = {slot.layout.id: len(slot.panels()) for slot in shell.slots}
    per_target = ", ".join(
        f"→{layouts[i].id} ({len(layouts[i].screens)} screen(s), {n_panels[layouts[i].id]} panels) "
        f"median {summarize(v).median:.1f} ms / p95 {summarize(v).p95:.1f} ms"
        for i, v in by_target.items())
    fig = Figure(
        name="switch",
        title=f"layout switch on all {len(windows)} screens, until every window has painted",
        goal=FRAME_MS, goal_stat="p95", unit="ms",
        ours=Row("warm wall (WallShell.switch_to)", summarize(warm), "ms"),
        alternative=Row("on demand (build ScreenPages)", summarize(demand), "ms"),
        side=[Row("on demand: deleting the old pages (not counted)", summarize(teardown), "ms"),
              Row("warm policy (1 either side): PageDown", summarize(policy["step"]), "ms"),
              Row("warm policy: a jump to a cold layout", summarize(policy["jump"]), "ms")],
        notes=[f"{len(layouts)} bundled layouts, {rounds} switches to each per wall; warm wall by target: "
               + per_target,
               f"check: {missed} visible panel(s) not painted inside a timed span; whole-panel "
               f"paints still pending after one: warm wall {leftover[0]}, on demand {leftover[1]} "
               "(all 0 when the spans hold every paint)",
               f"memory (this process's PSS): every layout warm {policy['pss_all']:.0f} MiB, the "
               f"warm policy (the one on show and 1 either side) {policy['pss_policy']:.0f} MiB: a "
               f"warm layout's pictures cost {policy['per_layout']:.1f} MiB; switches under the "
               f"policy step through the layouts as PageDown does, each followed by the drawing "
               f"ahead it causes (untimed), and jump {len(layouts) // 2} layouts on"])
    shell.close()
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
