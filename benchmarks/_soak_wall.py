"""The soak's wall process: the wall as ``cockpit run`` assembles it (``cockpit.shell.app``'s
make_app, pick_layouts, open_store, make_feeds; WallShell, DataPump, FeedRunner), on the
offscreen platform's two 1920x1080 screens, fed from the soak's simulator — plus what the
soak measures inside it.

What differs from ``cockpit run``, and why:

* the clock (the pump's, the feeds') is the simulator's accelerated one, so the data is as new
  as the simulated city and panels judge freshness against simulated time;
* the feeds are driven by a driver thread instead of FeedRunner's timetable: it calls the
  runner's own ``_attempt`` (fetch, store, feed_health, ``on_batch`` → ``pump.data_arrived``):
  each HTTP feed every few seconds (HTTP_EVERY_S), the MQTT feed's drain of the messages
  received since its last turn otherwise, ``--rate`` turns per second at most;
* no control link (HTTP page, MQTT sync): it is not on the data path.

A **data tick** is one successful feed attempt: one poll of the simulator over HTTP or one
drain of the MQTT messages the broker delivered since the last, its records parsed and appended to the DuckDB cache (incremental: only what is new since the feed's
checkpoint), health recorded, and the wall told (``data_arrived``), which refreshes the visible
layout: queries on the pump's workers, view-models applied on the GUI thread, changed panels
redrawn, the map's new payload pushed into its page. Refreshes asked for while one is running
are merged into one, as in the wall; they are counted apart. A **map update** is one payload
pushed into a live map page (``MapView.pushed``, summed over every map of every layout).

Also reported, to tell where the wall process's memory goes: DuckDB's buffer manager
(``duckdb_memory()``), glibc's heap in use (``mallinfo2``) and Python's allocated blocks.

Measured here: the GUI thread's heartbeat (a 50 ms precise QTimer; its lateness is how long
the GUI thread was held), the render queue's dearest redraw (``RenderQueue.longest_ms``) and
the pump's apply time, each as the maximum per report interval. A JSON line goes to stdout
every ``--report-every`` ticks (the parent samples memory when it reads one); the last line
has ``"done": true``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HEARTBEAT_MS = 50


class Counters:
    """Shared between the driver thread, the feed callback and the GUI thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ticks = 0  # successful feed attempts (batches ingested)
        self.ticks_with_rows = 0
        self.rows = 0
        self.failed = 0  # feed attempts that failed (recorded in feed_health)
        self.per_feed: dict[str, int] = {}
        self.attempt_ms: dict[str, list[float]] = {}  # feed kind -> [count, total ms, max ms]

    def timed(self, kind: str, ms: float) -> None:
        with self.lock:
            n, total, top = self.attempt_ms.get(kind, [0, 0.0, 0.0])
            self.attempt_ms[kind] = [n + 1, total + ms, max(top, ms)]

    def on_batch(self, feed: str, rows: int) -> None:
        with self.lock:
            self.ticks += 1
            self.rows += rows
            self.ticks_with_rows += rows > 0
            self.per_feed[feed] = self.per_feed.get(feed, 0) + 1


#: Real seconds between polls of each HTTP feed kind (the MQTT feed takes every other turn):
#: the real site's proportions (MQTT every 5 s, the APIs every 30 s … 1 min) compressed to
#: what one feed thread manages on this machine (a ThingsBoard poll alone takes ~1.3 s).
HTTP_EVERY_S = {"rest": 3.0, "sensorthings": 5.0, "ngsi": 10.0, "thingsboard": 20.0}


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_in_use_mib() -> float:
    """glibc's heap in use (mallinfo2: small blocks + mmapped blocks), MiB; NaN elsewhere."""
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return float("nan")
    fn.restype = _MallInfo2
    info = fn()
    return (info.uordblks + info.hblkhd) / 2**20


def duckdb_mib(store) -> float:
    """What DuckDB's buffer manager holds (duckdb_memory()), MiB. A query like the panels'
    (through the read gate), so it runs on a thread of its own: on the GUI thread it waited
    for a checkpoint and was the soak's own longest stall."""
    try:
        with store.reading() as cur:
            return cur.execute(
                "SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0][0] / 2**20
    except Exception:  # an older DuckDB without the table function
        return float("nan")


def sample_duckdb(store, into: list[float], halt: threading.Event, every: float = 1.0) -> None:
    """Keep ``into[0]`` at DuckDB's latest buffer figure (a thread of its own)."""
    while not halt.wait(every):
        into[0] = duckdb_mib(store)


def time_redraws_by_kind(by_kind: dict[str, float]) -> None:
    """Record each panel kind's dearest redraw (``PanelFrame.ensure_cache``, what the render
    queue times) into ``by_kind``: which kind holds the GUI thread longest."""
    from widgets.base import PanelFrame

    original = PanelFrame.ensure_cache

    def ensure_cache(panel, _original=original):
        started = time.perf_counter()
        try:
            return _original(panel)
        finally:
            ms = (time.perf_counter() - started) * 1000
            kind = getattr(getattr(panel, "spec", None), "kind", type(panel).__name__)
            if ms > by_kind.get(kind, 0.0):
                by_kind[kind] = ms

    PanelFrame.ensure_cache = ensure_cache


def drive(runner, counters: Counters, rate: float, halt: threading.Event) -> None:
    """Driver: the runner's start-up load, then, as the runner runs feeds (a thread each), the
    HTTP feeds when due (HTTP_EVERY_S) on one thread and the MQTT feed's drain ``rate`` times a
    second on this one."""
    runner.backfill_all()
    failed = [f.name for f in runner.feeds if f.name not in runner._ready]
    if failed:
        print(json.dumps({"warning": "feeds whose start-up load failed (retried in turn)",
                          "feeds": failed}), file=sys.stderr, flush=True)
    push = [f for f in runner.feeds if getattr(f, "kind", "") == "mqtt"]
    polled = [f for f in runner.feeds if f not in push]
    every = {f.name: HTTP_EVERY_S.get(getattr(f, "kind", ""), 5.0) for f in polled}
    if polled:
        threading.Thread(target=_drive_polled, args=(runner, counters, polled, every, halt),
                         daemon=True, name="soak-polled").start()
    if not push:
        halt.wait()
        return
    period = 1.0 / rate
    next_turn = time.monotonic()
    k = 0
    while not halt.is_set():
        _turn(runner, counters, push[k % len(push)])
        k += 1
        next_turn += period
        wait = next_turn - time.monotonic()
        if wait > 0:
            halt.wait(wait)
        elif wait < -1.0:  # fell behind by more than a second: do not burst to catch up
            next_turn = time.monotonic()


def _drive_polled(runner, counters: Counters, polled: list, every: dict[str, float],
                  halt: threading.Event) -> None:
    due = {f.name: time.monotonic() + every[f.name] for f in polled}
    while not halt.is_set():
        feed = min(polled, key=lambda f: due[f.name])
        if halt.wait(max(0.0, due[feed.name] - time.monotonic())):
            return
        _turn(runner, counters, feed)
        due[feed.name] = time.monotonic() + every[feed.name]


def _turn(runner, counters: Counters, feed) -> None:
    """One attempt of ``feed`` (its start-up load again while that has not worked), timed."""
    from cockpit.data.ingest import tick

    started = time.perf_counter()
    if feed.name in runner._ready:
        # as the runner's timetable does: the attempt's health goes with its page (one commit)
        ok = runner._attempt(feed, lambda t, h: tick(feed, runner.store, t, health=h))
    else:
        ok = runner._backfill(feed)
        if ok:
            runner._ready.add(feed.name)
    counters.timed(getattr(feed, "kind", "?"), (time.perf_counter() - started) * 1000)
    if not ok:
        with counters.lock:
            counters.failed += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._soak_wall")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--t0", type=float, required=True)
    parser.add_argument("--r0", type=float, required=True)
    parser.add_argument("--speed", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True, help="feed attempts per second")
    parser.add_argument("--ticks", type=int, required=True)
    parser.add_argument("--map-updates", type=int, required=True)
    parser.add_argument("--report-every", type=int, required=True, help="ticks between reports")
    parser.add_argument("--retention-days", type=float, required=True,
                        help="simulated days of observations kept (the wall's pruner)")
    parser.add_argument("--warm-neighbours", type=int, default=None,
                        help="WallShell's warm policy: the layout on show and this many on "
                             "either side keep their pictures (default: every layout)")
    args = parser.parse_args(argv)

    from benchmarks._env import offscreen

    offscreen(2)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from PySide6.QtCore import Qt, QTimer

    from benchmarks._fixtures import app as bench_app
    from cockpit.data.ingest import FeedRunner
    from cockpit.data.retention import RetentionPruner
    from cockpit.model.config import load_config_apart
    from cockpit.shell.app import make_feeds, open_store, pick_layouts, quit_on_sigterm
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell
    from widgets import map_view as web
    from widgets.base import RenderQueue

    def clock() -> datetime:
        return datetime.fromtimestamp(args.t0 + (time.time() - args.r0) * args.speed, UTC)

    config = load_config_apart(args.config)  # as cockpit run does: no pydantic in the wall
    app = bench_app()  # make_app, minus the offscreen platform's per-window noise
    web.configure_tiles(config.tiles)
    layouts, errors = pick_layouts(config)
    if errors or not layouts:
        print("layouts did not load: " + "; ".join(str(e) for e in errors), file=sys.stderr)
        return 1
    store = open_store(args.cache, fresh=True)
    shell = WallShell(layouts, [s.geometry() for s in app.screens()], windowed=False, defer=True,
                      warm_neighbours=args.warm_neighbours)
    pump = DataPump(store, shell, clock=clock,
                    feeds={f.name: f.interval for f in config.feeds})
    counters = Counters()

    def on_batch(feed: str, rows: int) -> None:
        counters.on_batch(feed, rows)
        pump.data_arrived.emit(feed, rows)

    runner = FeedRunner(store, make_feeds(config), on_batch=on_batch, clock=clock)
    # retention as the wall runs it, on the simulated clock and a pass every 20 s (the wall's
    # hourly pass is ~3.5 simulated days at 300x): the cache reaches its steady size in the run
    pruner = RetentionPruner(store, args.retention_days, every_s=20.0, first_after_s=20.0,
                             clock=clock)
    pruner.start()
    shell.show()
    shell.build_remaining()
    pump.start()

    # -- what is measured on the GUI thread ---------------------------------------------------
    refreshes = {"visible": 0, "all": 0}
    apply_max = [0.0]

    def on_refreshed(index: int) -> None:
        refreshes["all"] += 1
        refreshes["visible"] += index == shell.current
        apply_max[0] = max(apply_max[0], pump.last_apply_ms)

    pump.refreshed.connect(on_refreshed)
    redraw_by_kind: dict[str, float] = {}
    time_redraws_by_kind(redraw_by_kind)
    beat = {"last": time.perf_counter(), "max": 0.0, "n": 0, "over_100": 0, "over_1000": 0}

    def on_heartbeat() -> None:
        t = time.perf_counter()
        late = max(0.0, (t - beat["last"]) * 1000 - HEARTBEAT_MS)
        beat["last"] = t
        beat["n"] += 1
        beat["max"] = max(beat["max"], late)
        beat["over_100"] += late > 100
        beat["over_1000"] += late > 1000

    heartbeat = QTimer(app)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(on_heartbeat)
    heartbeat.start()

    started = time.perf_counter()
    next_mark = [args.report_every]
    halt = threading.Event()
    finished_flag: list[bool] = []
    duckdb_now = [duckdb_mib(store)]
    threading.Thread(target=sample_duckdb, args=(store, duckdb_now, halt), daemon=True,
                     name="duckdb-sampler").start()

    def map_counts() -> tuple[int, int]:
        views = list(web._views)
        return sum(v.pushed for v in views), sum(v.applied for v in views)

    def report(done: bool = False) -> None:
        queue = RenderQueue.instance()
        pushed, applied = map_counts()
        with counters.lock:
            line = {"t": round(time.perf_counter() - started, 2), "ticks": counters.ticks,
                    "ticks_with_rows": counters.ticks_with_rows, "rows": counters.rows,
                    "failed": counters.failed, "per_feed": dict(counters.per_feed),
                    "attempt_ms": {k: [v[0], round(v[1] / max(1, v[0]), 1), round(v[2], 1)]
                                   for k, v in counters.attempt_ms.items()}}
        line.update(refresh_visible=refreshes["visible"], refresh_all=refreshes["all"],
                    map_pushed=pushed, map_applied=applied, maps=len(web._views),
                    stall_ms=round(beat["max"], 1), beats=beat["n"], over_100=beat["over_100"],
                    over_1000=beat["over_1000"], render_ms=round(queue.longest_ms, 1),
                    apply_ms=round(apply_max[0], 1), sim_time=clock().isoformat(timespec="seconds"),
                    duckdb_mib=round(duckdb_now[0], 1), heap_mib=round(heap_in_use_mib(), 1),
                    py_blocks=sys.getallocatedblocks(),
                    redraw_by_kind={k: round(v, 1) for k, v in redraw_by_kind.items()},
                    done=done)
        beat["max"] = 0.0
        apply_max[0] = 0.0
        redraw_by_kind.clear()
        queue.longest_ms = 0.0  # per interval from here on
        print(json.dumps(line), flush=True)

    def on_check() -> None:
        with counters.lock:
            ticks = counters.ticks
        finished = ticks >= args.ticks and map_counts()[0] >= args.map_updates
        if ticks >= next_mark[0] or finished:
            while next_mark[0] <= ticks:
                next_mark[0] += args.report_every
            report(done=finished)
        if finished:
            finished_flag.append(True)
            halt.set()
            app.quit()

    check = QTimer(app)
    check.setInterval(200)
    check.timeout.connect(on_check)
    check.start()
    driver = threading.Thread(target=drive, args=(runner, counters, args.rate, halt),
                              name="soak-driver", daemon=True)
    driver.start()
    quit_on_sigterm(app)
    print(json.dumps({"started": True, "layouts": [lay.id for lay in layouts],
                      "feeds": [f.name for f in runner.feeds]}), flush=True)
    try:
        app.exec()
    finally:
        halt.set()
        driver.join(30)
        if not finished_flag:  # stopped from outside (SIGTERM, time limit): the last figures
            report(done=False)
        pruner.stop()
        runner.close_feeds()
        pump.stop()
        shell.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
