"""Replay (回放) seek at city scale: the whole wall shows another moment of the last 7 days.

Issue 19's measure: on a cache of 10 M observations (30 days of every metric of the catalogue in
the 12 districts, built by :mod:`benchmarks.scale`), seek the replay to random moments of the
last 7 days and time, from the seek, until every screen of the layout on show is painted with
the data of that moment: the pump's queries at the replayed moment, their view-models applied,
the panels' pictures rendered and copied (after one unmeasured seek per layout: a wall that has
run a while has its tables in memory). Goal: **p95 ≤ 1 s**. The layouts on show take turns
(every bundled layout). The alternative a user would have without replay: render the layout at
that moment from scratch, as ``cockpit screenshot`` and the briefing pack do (build its pages,
run its queries, paint), timed the same way on the same cache.

Run: ``python -m benchmarks.replay_seek [--quick] [--millions 10]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta

from benchmarks._env import offscreen
from benchmarks._stats import Figure, Row, report, summarize, summary

COMMAND = "python -m benchmarks.replay_seek"
GOAL_MS = 1000.0


def run(quick: bool = False, *, millions: float = 10, out=sys.stdout) -> Figure:
    offscreen()
    from benchmarks import _fixtures as fx
    from benchmarks import scale
    from cockpit.data.store import Store
    from cockpit.model.timeline import local_text
    from cockpit.shell.control.replay import ReplayController
    from cockpit.shell.pump import DataPump
    from cockpit.shell.screenshot import render_images
    from cockpit.shell.wall import WallShell

    fx.app()
    print(f"replay_seek: the {millions:g} M-observation cache …", file=out, flush=True)
    path = scale.build_cache(millions, out=out)
    store = Store(path, read_only=True)
    end = scale.END
    layouts = fx.bundled_layouts()
    shell = WallShell(layouts, fx.geometries())
    shell.show()
    pump = DataPump(store, shell, clock=lambda: end)
    replay = ReplayController(shell, pump)
    rng = random.Random(19)
    start = end - timedelta(days=7)
    replay.command("start", {"from": start, "to": end, "speed": 1})
    replay.command("pause", {})
    seeks_per_layout = 2 if quick else 5
    ours: list[float] = []
    cold: list[float] = []
    by_layout: dict[str, list[float]] = {}

    def wait_shown(moment, deadline_s: float = 30.0) -> bool:
        limit = time.monotonic() + deadline_s
        while pump.shown_at.get(shell.current) != moment:
            if time.monotonic() > limit:
                return False
            fx.paint_pending(1)
            time.sleep(0.001)
        fx.drain_render_queue()
        fx.paint_pending()
        return True

    missed = 0
    for index, layout in enumerate(layouts):
        shell.switch_to(index)
        fx.settle()
        # one seek unmeasured per layout: the first read of a layout's tables after the cache
        # was opened comes from the disk (a wall that has run a while has them in memory)
        warm = start + timedelta(seconds=rng.uniform(0, 7 * 86_400))
        replay.command("seek", {"at": warm.replace(microsecond=0)})
        wait_shown(warm.replace(microsecond=0))
        for _ in range(seeks_per_layout):
            moment = start + timedelta(seconds=rng.uniform(0, 7 * 86_400))
            moment = moment.replace(microsecond=0)
            began = time.perf_counter()
            replay.command("seek", {"at": moment})
            if not wait_shown(moment):
                missed += 1
                continue
            ours.append(fx.ms_since(began))
            by_layout.setdefault(layout.id, []).append(ours[-1])
        moment = start + timedelta(seconds=rng.uniform(0, 7 * 86_400))
        began = time.perf_counter()
        render_images(layout, store, (1920, 1080), moment)
        cold.append(fx.ms_since(began))
    slowest = sorted(by_layout.items(), key=lambda kv: -summarize(kv[1]).median)[:3]
    fig = Figure(
        name="replay_seek",
        title=f"replay seek to a moment of the last 7 days at {millions:g} M observations, "
              "until every screen of the layout on show is painted with it",
        goal=GOAL_MS, goal_stat="p95", unit="ms",
        ours=Row("seek (the pump re-reads the layout on show at the moment)", summarize(ours),
                 "ms"),
        alternative=Row("render the layout at that moment from scratch (screenshot path)",
                        summarize(cold), "ms"),
        notes=[f"{len(layouts)} bundled layouts × {seeks_per_layout} seeks; slowest layouts by "
               "median: " + ", ".join(f"{lid} {summarize(v).median:.0f} ms" for lid, v in slowest),
               f"{missed} seek(s) not shown within 30 s; span {local_text(start)} – "
               f"{local_text(end)}"])
    pump.stop()
    shell.close()
    fx.settle()
    store.close()
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeks per layout, not 5")
    parser.add_argument("--millions", type=float, default=10, help="cache size (default 10)")
    args = parser.parse_args(argv)
    fig = run(args.quick, millions=args.millions)
    print(report(fig))
    print()
    from benchmarks._env import machine

    print(summary([fig], COMMAND + (" --quick" if args.quick else ""), machine()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
