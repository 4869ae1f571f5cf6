"""Cold start: from launching ``cockpit demo`` to the first painted wall.

The overview's city map is in that first frame as its card; its web view (Chromium) is made
when the first data arrives, so QtWebEngine's start is not in this figure but in "first data".

Goal: the first frame of the wall is painted ≤ 1.0 s after launch (median of the runs).

Each run launches a new process, ``python -m cockpit.cli demo --exit-after 3 --cache FRESH``, with
the offscreen environment (two 1920x1080 screens) and a fresh cache file, and reads its stderr
as it comes: the wall-clock time from launch to the line "cockpit: first frame painted" is the
figure; the time to "cockpit: first data painted" is reported beside it. The alternative,
launched in the same way and taking turns with it, is benchmarks/_bare_window.py: a bare window
of 12 pyqtgraph plots (what any pyqtgraph wall pays before doing anything of its own). The
project's bytecode is compiled first, as an installed wheel has it (:func:`compile_bytecode`).

Run: ``python -m benchmarks.startup [--quick]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from benchmarks._env import ROOT, offscreen_env, scratch_dir
from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.startup"
GOAL_S = 1.0
EXIT_AFTER_S = 3
TIMEOUT_S = 60
FIRST_FRAME = "cockpit: first frame painted"
FIRST_DATA = "cockpit: first data painted"
BARE_FRAME = "bare: first frame painted"


@dataclass
class Launch:
    marks: dict[str, float]  # marker line -> seconds after launch
    total: float  # seconds until the process ended
    returncode: int | None
    tail: list[str]  # last stderr lines, for a failed run


def launch(argv: list[str], markers: tuple[str, ...]) -> Launch:
    """Start ``argv`` and time each marker line on its stderr from the moment of launch."""
    env = {**os.environ, **offscreen_env(), "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace")
    watchdog = threading.Timer(TIMEOUT_S, proc.kill)
    watchdog.start()
    marks: dict[str, float] = {}
    tail: list[str] = []
    try:
        for line in proc.stderr:
            at = time.perf_counter() - started
            text = line.strip()
            for m in markers:
                if m in text and m not in marks:
                    marks[m] = at
            tail = (tail + [text])[-8:]
        proc.wait()
    finally:
        watchdog.cancel()
    return Launch(marks, time.perf_counter() - started, proc.returncode, tail)


#: The project's own packages: compiled to bytecode before the launches.
PACKAGES = ("cockpit", "widgets", "maps", "feeds", "layouts")


def compile_bytecode() -> int:
    """Write the project's bytecode caches, as installing the wheel does (pip compiles at
    install) and an editable checkout's first run does. Without them every launch compiles
    ~100 modules from source (0.15–0.25 s here): this machine's environment sets
    PYTHONDONTWRITEBYTECODE, so no launch would ever write them. Returns modules not compiled."""
    import compileall

    ok = all(compileall.compile_dir(ROOT / name, quiet=1, workers=0) for name in PACKAGES)
    return 0 if ok else 1


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    runs = 3 if quick else 5
    tmp = scratch_dir("startup-")
    compiled_ok = compile_bytecode() == 0
    python = sys.executable
    frame: list[float] = []
    data: list[float] = []
    bare: list[float] = []
    failures: list[str] = []
    print(f"startup: {runs} launches of each, about {EXIT_AFTER_S + 2} s per cockpit launch …",
          file=out, flush=True)
    for i in range(runs):
        for turn in ((0, 1) if i % 2 == 0 else (1, 0)):
            if turn == 0:
                cache = tmp / f"run-{i}" / "demo.duckdb"
                got = launch([python, "-m", "cockpit.cli", "demo", "--exit-after", str(EXIT_AFTER_S),
                              "--cache", str(cache)], (FIRST_FRAME, FIRST_DATA))
                if FIRST_FRAME in got.marks:
                    frame.append(got.marks[FIRST_FRAME])
                if FIRST_DATA in got.marks:
                    data.append(got.marks[FIRST_DATA])
                if got.returncode != 0 or FIRST_FRAME not in got.marks:
                    failures.append(f"cockpit run {i + 1}: exit {got.returncode}, "
                                    f"markers {sorted(got.marks)}: " + " | ".join(got.tail))
            else:
                got = launch([python, str(ROOT / "benchmarks" / "_bare_window.py")], (BARE_FRAME,))
                if BARE_FRAME in got.marks:
                    bare.append(got.marks[BARE_FRAME])
                if got.returncode != 0 or BARE_FRAME not in got.marks:
                    failures.append(f"bare run {i + 1}: exit {got.returncode}: " + " | ".join(got.tail))
    notes = [f"{runs} launches each, taking turns; each cockpit launch uses a fresh cache file",
             "first frame = the wall's own stderr line, printed after show() and one pass of the "
             "event loop; the bare window prints its line at the same point",
             "the project's bytecode compiled before the launches (as an installed wheel has it)"
             + ("" if compiled_ok else ": SOME MODULES FAILED TO COMPILE")]
    if frame:
        notes.append(f"first launch (OS file cache least warm): cockpit {frame[0]:.3f} s"
                     + (f", bare {bare[0]:.3f} s" if bare else ""))
    if len(data) < runs:
        notes.append(f"first data seen in {len(data)} of {runs} launches (the wall quits after "
                     f"{EXIT_AFTER_S} s)")
    notes += failures
    return Figure(
        name="startup",
        title="cold start of `cockpit demo` to the first painted wall (map view after it), wall clock",
        goal=GOAL_S, goal_stat="median", unit="s",
        ours=Row("cockpit demo: first frame painted", summarize(frame), "s"),
        alternative=Row("bare window, 12 PlotWidgets", summarize(bare), "s"),
        side=[Row("cockpit demo: first data painted (no goal)", summarize(data), "s")],
        notes=notes, ratio_of="ours")


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
