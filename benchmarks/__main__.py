"""``python -m benchmarks``: every benchmark, then one table and a block to paste into an issue.

The four figures and their goals:

* startup — ``cockpit demo`` from launch to its first painted frame: median ≤ 1.0 s
  (against a bare window of 12 pyqtgraph plots);
* switch — a layout switch painted on every screen: p95 ≤ 16.7 ms (against building the
  layout's pages on demand);
* tick — one screen's data tick on the GUI thread: p95 ≤ 16.7 ms (against repainting every
  panel every tick);
* control — a switch command to the last node of a multi-PC wall having switched, over
  Mosquitto: p95 ≤ 200 ms with 4 nodes (against 2 nodes).
* map — 1,000 markers recoloured in the live map page: median ≤ 1 s (against regenerating and
  reloading the folium HTML), with the renderer's memory after many pushed updates.
* scale — every bundled layout's panel queries on caches of 1, 10 and 50 M observations: p95
  per panel query ≤ 20 ms and a whole screen ≤ 100 ms at 50 M, within 2× of 1 M (against the
  1 M figure). Builds (once; kept in $TMPDIR) and reads caches of several GB, so only with
  ``--only scale`` (``--quick``: 1 and 10 M).
* soak — the wall on the simulator for 100,000 data ticks and 5,000 map updates: the process
  tree's PSS grows < 5 % from the first quarter to the last, with the GUI thread's longest stall
  and a PNG plot. Half an hour, so only with ``--only soak`` (``--quick``: a few minutes).

Each also runs alone: ``python -m benchmarks.startup`` (``.switch``, ``.tick``, ``.map``). ``--quick``
cuts the repetitions (about a third of the time); ``--only NAME`` runs some of them. Figures are
printed, never asserted: the machine they run on decides them.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks import control, ingest, scale, soak, startup, switch, tick
from benchmarks import map as map_bench
from benchmarks._env import machine
from benchmarks._stats import Row, report, stats_table, summary

BENCHMARKS = {"startup": startup, "switch": switch, "tick": tick, "ingest": ingest,
              "map": map_bench, "control": control, "scale": scale, "soak": soak}
#: Not in a plain ``python -m benchmarks``: the soak runs for half an hour, the scale
#: benchmark builds caches of millions of rows (``--only soak``, ``--only scale``).
LONG = {"soak", "scale"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="the cockpit's performance figures against their goals")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS),
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if (n in args.only if args.only else n not in LONG)]
    started = time.perf_counter()
    figures = []
    for name in names:  # startup first: its launches have the machine to themselves
        fig = BENCHMARKS[name].run(args.quick)
        figures.append(fig)
        print(report(fig), end="\n\n", flush=True)
    elapsed = time.perf_counter() - started

    rows = [Row(f"{f.name}: {r.label}", r.stats, r.unit)
            for f in figures for r in (f.ours, f.alternative, *f.side)]
    print("== all figures")
    print(stats_table(rows))
    print()
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    command += "".join(f" --only {n}" for n in args.only or ())
    print(summary(figures, command, f"{machine()}; {elapsed:.0f} s in all"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
