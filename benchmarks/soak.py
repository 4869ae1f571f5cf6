"""The soak: the wall on the simulator for 100,000 data ticks and 5,000 map updates, its whole
process tree's memory sampled all along, and the GUI thread's longest stall.

Real processes on loopback, none mocked:

* Mosquitto, a broker of the soak's own on a free port;
* the simulator (``benchmarks._soak_sim``: ``cockpit simulate``'s server with the simulated
  city's clock ``--speed`` times faster than real time, default 300: a new 5-minute step every
  second; it publishes every district's values to the broker every 0.1 s);
* the wall (``benchmarks._soak_wall``: assembled as ``cockpit run`` does, on two offscreen
  1920x1080 screens, every bundled layout (``--layouts``; ``--warm``: the wall's warm policy),
  fed by the five feeds of
  examples/site-simulator.toml — 数据中台 REST, NGSI-v2, SensorThings, ThingsBoard, MQTT —
  pointed at the simulator, on the same accelerated clock).

A **data tick** is one feed batch ingested: one poll of an API or one drain of the MQTT
messages received since the last, the new records appended to the DuckDB cache, and the wall
told, which refreshes the visible layout (queries on the pump's workers, view-models applied on
the GUI thread, changed panels redrawn, the map's new payload pushed into its page; refreshes
asked for while one runs are merged, as in the wall, and counted apart). A **map update** is one
payload pushed into a live map page. The run goes on until both counts are reached, or
``--max-minutes``; every count printed is counted in the wall process, not assumed.

Sampled every ``--sample-every`` ticks: PSS (``/proc/PID/smaps_rollup``) of the wall process
and each of its descendants (QtWebEngine's zygote, GPU, utility and renderer processes), summed
as the tree and by group; the simulator's and the broker's apart; the cache file's size (with
its WAL). The GUI thread's stall is measured in the wall process: a 50 ms precise QTimer
heartbeat whose lateness is the time the GUI thread was held; per sample interval its maximum,
with the render queue's dearest redraw and the pump's apply time. Goal: the tree's PSS flat
after warm-up, under 5 % growth from the first quarter of the run (median) to the last. A PNG
plot of the curves is written (``--out``, default benchmarks/results/soak.png; ``--quick``:
soak-quick.png), and the samples as JSON beside it (``--replot`` redraws from one).

``python -m benchmarks.soak [--quick] [--ticks N] [--map-updates N] [--rate R] [--speed S]``
How long the full run takes depends on the machine: the feed thread shares the wall's process
(and its GIL) with the GUI thread and the pump, and the wall refreshes after every batch.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._env import ROOT, machine, scratch_dir
from benchmarks._stats import Figure, Row, percentile, report, summarize, summary
from cockpit.data.store import wal_path

COMMAND = "python -m benchmarks.soak"
GOAL_GROWTH_PCT = 5.0
GROUPS = ("wall (Python + Qt)", "web renderer", "web engine: zygote, GPU, utility",
          "other descendants")
PYTHON = sys.executable

CONFIG = """version = 1
[wall]
{layouts_line}

[[feeds]]
name = "数据中台"
kind = "rest"
url = "{url}/api/v1/indicators"
interval = "5m"
params = {{ indexCodes = "hotline_opened,hotline_closed,citycase_opened,citycase_closed,iot_sensors_online,iot_cameras_online,robots_patrol_online,robots_disinfect_online,wst_users,online_service_rate" }}
since_param = "startTime"
paging = {{ type = "page", size = 500 }}
timeouts = {{ connect = 3, read = 10, deadline = 30, retries = 2 }}
  [feeds.mapping]
  ts = "monitorTime"
  entity_id = "areaCode"
  district = "areaCode"
  metric = "indexCode"
  value = "indexValue"
  unit = "unit"
  fixed = {{ entity_type = "district" }}

[[feeds]]
name = "物联感知"
kind = "ngsi"
url = "{url}"
interval = "5m"
types = ["AirQualityObserved", "TrafficFlowObserved", "OffStreetParking", "Alert", "Device"]
service = "weifang"
service_path = "/city"
limit = 100

[[feeds]]
name = "传感器网"
kind = "sensorthings"
url = "{url}/v1.1"
interval = "5m"
top = 500

[[feeds]]
name = "设备平台"
kind = "thingsboard"
url = "{url}"
interval = "5m"
username = "tenant@weifang.gov.cn"
password_env = "WF_TB_PASSWORD"
keys = ["parking_occupancy", "congestion"]

[[feeds]]
name = "实时推送"
kind = "mqtt"
host = "127.0.0.1"
port = {mqtt_port}
topics = ["weifang/+/aqi", "weifang/+/pm25", "weifang/+/congestion"]
qos = 1
interval = "5m"
  [feeds.mapping]
  ts = "ts"
  entity_id = "topic.1"
  district = "topic.1"
  metric = "topic.2"
  value = "value"
  unit = "unit"
  fixed = {{ entity_type = "district" }}
"""
MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)


def start_broker(work: Path) -> tuple[subprocess.Popen, int]:
    """A Mosquitto of our own on a free loopback port (as tests/support/mqtt.py does)."""
    if MOSQUITTO is None:
        raise SystemExit("soak: the mosquitto binary is not installed (./bootstrap.sh setup)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = work / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("soak: mosquitto did not start")


# -- process tree memory ----------------------------------------------------------------------
def _proc_table() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process we can read."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            out[int(entry.name)] = (ppid, (entry / "cmdline").read_bytes())
        except (OSError, IndexError, ValueError):
            continue
    return out


def pss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used so far, in seconds; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


def _tree(root: int, measure) -> tuple[dict[str, float], int]:
    """``measure(pid)`` summed over ``root`` and all its descendants by group (see GROUPS),
    and how many processes were measured."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    engine = {pid for pid, (_, cmd) in table.items() if b"QtWebEngineProcess" in cmd.split(b"\0")[0]}
    out = dict.fromkeys(GROUPS, 0.0)
    stack, n = [root], 0
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        value = measure(pid)
        if value is None:
            continue
        n += 1
        if pid == root:
            group = GROUPS[0]
        elif pid in engine and table[pid][0] in engine:  # forked from the zygote: a renderer
            group = GROUPS[1]
        elif pid in engine:
            group = GROUPS[2]
        else:
            group = GROUPS[3]
        out[group] += value
    return out, n


def private_kib(pid: int) -> int | None:
    """The process's own memory (USS: Private_Clean + Private_Dirty of smaps_rollup), KiB.
    Unlike PSS it does not move when other processes sharing its libraries come and go (on a
    shared machine another user's Qt or Chromium lowers our PSS while it runs)."""
    try:
        total = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
        return total
    except (OSError, ValueError):
        return None


def tree_pss(root: int) -> dict[str, float]:
    """PSS in MiB of ``root`` and all its descendants, by group (see GROUPS), ``procs``, and
    the tree's private memory (USS) in MiB as ``private``."""
    out, n = _tree(root, lambda pid: None if (kib := pss_kib(pid)) is None else kib / 1024)
    private, _ = _tree(root, lambda pid: None if (kib := private_kib(pid)) is None else kib / 1024)
    return {**out, "procs": n, "private": sum(private.values())}


def tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds used so far by ``root`` and its live descendants, by group (see GROUPS)."""
    return _tree(root, cpu_seconds)[0]


# -- the run ----------------------------------------------------------------------------------
@dataclass
class Sample:
    line: dict
    wall: dict[str, float]
    sim_mib: float
    db_mib: float
    broker_mib: float
    #: CPU seconds used so far: the wall tree's groups, "simulator" and "broker" (runs saved
    #: before this was sampled have none)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ticks(self) -> int:
        return int(self.line["ticks"])

    @property
    def tree_mib(self) -> float:
        return sum(self.wall.get(g, 0.0) for g in GROUPS)


@dataclass
class Run:
    params: dict
    samples: list[Sample] = field(default_factory=list)
    last: dict = field(default_factory=dict)
    seconds: float = 0.0
    finished: bool = False
    stopped_by_limit: bool = False  # the --max-minutes limit ended it before the targets
    loadavg: list[tuple[float, float, float]] = field(default_factory=list)
    stderr_tail: str = ""


def _spawn(args: list[str], **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WF_TB_PASSWORD": "tenant", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([PYTHON, "-m", *args], cwd=ROOT, env=env, text=True, **kw)


def soak(ticks: int, map_updates: int, rate: float, speed: float, sample_every: int,
         max_minutes: float, out=sys.stdout, retention_days: float = 2.0,
         layouts: tuple[str, ...] = (), warm: int | None = None) -> Run:
    work = scratch_dir("soak-")
    r0 = time.time()
    t0 = r0 - 2 * 3600  # two simulated hours back: the feeds' start-up load has history
    clock_args = ["--t0", str(t0), "--r0", str(r0), "--speed", str(speed)]
    run = Run(params=dict(ticks=ticks, map_updates=map_updates, rate=rate, speed=speed,
                          sample_every=sample_every, max_minutes=max_minutes,
                          retention_days=retention_days, layouts=list(layouts) or "all",
                          warm_neighbours="all" if warm is None else warm))
    broker, mqtt_port = start_broker(work)
    sim = wall = None
    try:
        sim = _spawn(["benchmarks._soak_sim", *clock_args, "--mqtt-port", str(mqtt_port)],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(work / "sim.log", "w"))
        url = sim.stdout.readline().split()[-1]
        config = work / "soak.toml"
        layouts_line = (f"layouts = {json.dumps(list(layouts))}" if layouts else "")
        config.write_text(CONFIG.format(url=url, mqtt_port=mqtt_port, layouts_line=layouts_line),
                          encoding="utf-8")
        cache = work / "soak.duckdb"
        wall_log = work / "wall.log"
        wall = _spawn(["benchmarks._soak_wall", "--config", str(config), "--cache", str(cache),
                       *clock_args, "--rate", str(rate), "--ticks", str(ticks),
                       "--map-updates", str(map_updates), "--report-every", str(sample_every),
                       "--retention-days", str(retention_days),
                       *(["--warm-neighbours", str(warm)] if warm is not None else [])],
                      stdout=subprocess.PIPE, stderr=open(wall_log, "w"))
        def on_deadline() -> None:
            run.stopped_by_limit = True
            wall.terminate()

        deadline = threading.Timer(max_minutes * 60, on_deadline)
        deadline.daemon = True
        deadline.start()
        started = time.perf_counter()
        print(f"soak: simulator at {url} (PID {sim.pid}), wall PID {wall.pid}, cache {cache}",
              file=out, flush=True)
        for raw in wall.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if "ticks" not in line:
                print(f"soak: {raw.strip()}", file=out, flush=True)
                continue
            db = sum(p.stat().st_size for p in (cache, wal_path(cache))
                     if p.exists())
            sim_kib = pss_kib(sim.pid) or 0
            cpu = {**tree_cpu(wall.pid), "simulator": cpu_seconds(sim.pid) or 0.0,
                   "broker": cpu_seconds(broker.pid) or 0.0}
            run.samples.append(Sample(line, tree_pss(wall.pid), sim_kib / 1024, db / 2**20,
                                      (pss_kib(broker.pid) or 0) / 1024, cpu))
            run.loadavg.append(os.getloadavg())
            run.last = line
            s = run.samples[-1]
            if len(run.samples) % 10 == 1 or line.get("done"):
                print(f"soak: {s.ticks:>7} ticks  {line['map_pushed']:>5} map updates  "
                      f"tree {s.tree_mib:6.0f} MiB ({s.wall['procs']:.0f} procs)  "
                      f"sim {s.sim_mib:4.0f} MiB  cache {s.db_mib:5.1f} MiB  "
                      f"stall {line['stall_ms']:6.1f} ms  {line['t']:6.0f} s  "
                      f"load {os.getloadavg()[0]:.1f}", file=out, flush=True)
            if line.get("done"):
                run.finished = True
        wall.wait(60)
        deadline.cancel()
        run.seconds = time.perf_counter() - started
    finally:
        if wall is not None and wall.poll() is None:
            wall.kill()
        if sim is not None and sim.poll() is None:
            sim.stdin.close()
            try:
                sim.wait(10)
            except subprocess.TimeoutExpired:
                sim.kill()
        broker.terminate()
        broker.wait(10)
    tail = (work / "wall.log").read_text(errors="replace").splitlines()
    run.stderr_tail = "\n".join(tail[-15:])
    return run


# -- figures --------------------------------------------------------------------------------
def quarter(run: Run, q: int) -> list[Sample]:
    """The samples of the run's ``q``-th quarter (0..3) by ticks done."""
    total = max((s.ticks for s in run.samples), default=0)
    lo, hi = total * q / 4, total * (q + 1) / 4
    return [s for s in run.samples if (lo < s.ticks <= hi) or (q == 0 and s.ticks == 0)]


def growth(run: Run, value) -> tuple[float, float, float]:
    first = [value(s) for s in quarter(run, 0)]
    last = [value(s) for s in quarter(run, 3)]
    a, b = percentile(first, 50), percentile(last, 50)
    return a, b, (b - a) / a * 100 if a else math.nan


def by_quarter(run: Run) -> list[str]:
    """The pace and who used the CPU, quarter by quarter: ticks a second, and the cores each
    part kept busy (CPU seconds per second of the quarter) with the wall's CPU per tick."""
    spans = []
    for q in range(4):
        ss = quarter(run, q)
        if len(ss) >= 2 and ss[-1].line["t"] > ss[0].line["t"]:
            spans.append((ss[0], ss[-1], ss[-1].line["t"] - ss[0].line["t"]))
    if len(spans) < 4:
        return []
    out = ["ticks a second by quarter: " + " / ".join(
        f"{(b.ticks - a.ticks) / dt:.1f}" for a, b, dt in spans)]
    parts = [g for g in (*GROUPS, "simulator", "broker")
             if all(g in a.cpu and g in b.cpu for a, b, _ in spans)]
    if parts:
        out.append("CPU cores kept busy by quarter (CPU s per s): " + "; ".join(
            f"{g} " + " / ".join(f"{(b.cpu[g] - a.cpu[g]) / dt:.2f}" for a, b, dt in spans)
            for g in parts))
        wall = GROUPS[0]
        out.append(f"{wall}: CPU ms per data tick by quarter: " + " / ".join(
            f"{(b.cpu[wall] - a.cpu[wall]) * 1000 / max(1, b.ticks - a.ticks):.1f}"
            for a, b, _ in spans))
        renderer = GROUPS[1]
        if renderer in parts:
            out.append(f"{renderer}: CPU ms per map update by quarter: " + " / ".join(
                f"{(b.cpu[renderer] - a.cpu[renderer]) * 1000 / max(1, b.line['map_pushed'] - a.line['map_pushed']):.1f}"
                for a, b, _ in spans))
    return out


def ended(run: Run) -> str:
    if run.finished:
        return "both targets reached"
    if run.stopped_by_limit:
        return (f"STOPPED at the {run.params.get('max_minutes', '?')}-minute limit, before the "
                f"targets")
    return "STOPPED before the targets (the time limit, a signal or a crash)"


def figure(run: Run) -> Figure:
    last = run.last
    stalls = [s.line["stall_ms"] for s in run.samples]
    renders = [s.line["render_ms"] for s in run.samples]
    applies = [s.line["apply_ms"] for s in run.samples]
    tree_a, tree_b, tree_g = growth(run, lambda s: s.tree_mib)
    rows = [Row("GUI stall: heartbeat lateness, max per interval", summarize(stalls), "ms"),
            Row("GUI: dearest panel redraw, max per interval", summarize(renders), "ms"),
            Row("GUI: view-models applied, max per interval", summarize(applies), "ms")]
    notes = []
    for label, fn in [("tree", lambda s: s.tree_mib),
                      ("tree, private memory (USS)", lambda s: s.wall.get("private", math.nan)),
                      *[(g, lambda s, g=g: s.wall.get(g, 0.0)) for g in GROUPS],
                      ("simulator (apart)", lambda s: s.sim_mib),
                      ("Mosquitto broker (apart)", lambda s: s.broker_mib),
                      ("cache file + WAL", lambda s: s.db_mib),
                      ("in the wall: DuckDB buffer manager", lambda s: s.line.get("duckdb_mib", math.nan)),
                      ("in the wall: glibc heap in use", lambda s: s.line.get("heap_mib", math.nan))]:
        a, b, g = growth(run, fn)
        peak = max((fn(s) for s in run.samples), default=math.nan)
        if peak == 0:  # a group with no process in this run
            continue
        notes.append(f"{label}: first-quarter median {a:.1f} MiB, last-quarter {b:.1f} MiB "
                     f"({g:+.1f} %), peak {peak:.1f} MiB")
    by_kind: dict[str, list[float]] = {}
    for s in run.samples:
        for kind, ms in s.line.get("redraw_by_kind", {}).items():
            by_kind.setdefault(kind, []).append(ms)
    if by_kind:
        notes.append("dearest redraw by panel kind, ms (longest; median of per-interval maxima): "
                     + ", ".join(f"{k} {max(v):.0f}; {percentile(v, 50):.0f}" for k, v in
                                 sorted(by_kind.items(), key=lambda kv: -max(kv[1]))))
    notes.extend(by_quarter(run))
    a, b, g = growth(run, lambda s: s.line.get("py_blocks", math.nan))
    notes.append(f"in the wall: Python's allocated blocks: first-quarter median {a:,.0f}, "
                 f"last-quarter {b:,.0f} ({g:+.1f} %)")
    n = len(run.samples)
    p = run.params
    hours = 0.0
    if run.samples:
        hours = run.seconds * p["speed"] / 3600
    loads = [la[0] for la in run.loadavg]
    notes[:0] = [
        f"data tick = one feed batch ingested (a poll of the simulator, new records appended to "
        f"DuckDB, the wall told and the visible layout refreshed); counted: {last.get('ticks', 0)} "
        f"ticks ({last.get('ticks_with_rows', 0)} brought new rows, {last.get('rows', 0)} rows in "
        f"all; per feed {last.get('per_feed', {})}), {last.get('failed', 0)} failed attempts",
        f"wall refreshes: {last.get('refresh_visible', 0)} of the visible layout "
        f"({last.get('refresh_all', 0)} of all layouts); map updates pushed: "
        f"{last.get('map_pushed', 0)} into {last.get('maps', 0)} map page(s), applied: "
        f"{last.get('map_applied', 0)}",
        f"{ended(run)}: "
        f"{run.seconds:.0f} s real, ≈{hours / 24:.1f} simulated days at {p['speed']:g}× "
        f"(asked: {p['ticks']} ticks, {p['map_updates']} map updates, {p['rate']:g} polls/s); "
        f"{n} samples every {p['sample_every']} ticks; 1-min load average median "
        f"{percentile(loads, 50):.1f}, max {max(loads, default=math.nan):.1f}",
        "feed attempts (count, mean ms, max ms) by kind, on the wall's feed thread: "
        + ", ".join(f"{k} {v[0]} / {v[1]:.0f} / {v[2]:.0f}" for k, v in last.get("attempt_ms", {}).items()),
        f"GUI stall (50 ms heartbeat lateness): longest {max(stalls, default=math.nan):.0f} ms, "
        f"p99 of per-interval maxima {percentile(stalls, 99):.0f} ms; beats late > 100 ms: "
        f"{last.get('over_100', 0)}, > 1 s: {last.get('over_1000', 0)} of {last.get('beats', 0)}",
    ]
    return Figure(
        name="soak",
        title="the wall on the simulator: process tree PSS growth, last quarter vs first",
        goal=GOAL_GROWTH_PCT, goal_stat="median", unit="%",
        ours=Row("tree PSS growth (medians, last vs first quarter)", summarize([tree_g]), "%"),
        alternative=Row("none (a soak has no alternative)", summarize([]), "%"),
        side=[Row("tree PSS, first quarter", summarize([s.tree_mib for s in quarter(run, 0)]), "MiB"),
              Row("tree PSS, last quarter", summarize([s.tree_mib for s in quarter(run, 3)]), "MiB"),
              *rows],
        notes=notes)


def save(run: Run, path: Path) -> None:
    """The samples as JSON next to the PNG (to re-plot or compare runs)."""
    from dataclasses import asdict

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"params": run.params, "seconds": run.seconds,
                                "finished": run.finished, "loadavg": run.loadavg,
                                "stopped_by_limit": run.stopped_by_limit,
                                "samples": [asdict(s) for s in run.samples]}), encoding="utf-8")


def load(path: Path) -> Run:
    """A run saved by :func:`save` (``--replot``)."""
    if path.suffix == ".gz":  # as committed in benchmarks/results
        import gzip

        data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    run = Run(params=data["params"], seconds=data["seconds"], finished=data["finished"],
              stopped_by_limit=data.get("stopped_by_limit", False),
              loadavg=[tuple(x) for x in data["loadavg"]],
              samples=[Sample(**s) for s in data["samples"]])
    run.last = run.samples[-1].line if run.samples else {}
    return run


def plot(run: Run, path: Path, title: str) -> Path:
    """The curves as a PNG (QPainter on an offscreen QImage)."""
    from benchmarks import _plot

    return _plot.draw(run, path, title, GROUPS)


def run(quick: bool = False, *, out=sys.stdout, argv_ns=None) -> Figure:
    ns = argv_ns or parse([] if not quick else ["--quick"])
    if ns.replot:
        r = load(ns.replot)
    else:
        r = soak(ns.ticks, ns.map_updates, ns.rate, ns.speed, ns.sample_every, ns.max_minutes,
                 out=out, retention_days=ns.retention_days, layouts=tuple(ns.layouts or ()),
                 warm=None if ns.warm == "all" else int(ns.warm))
    fig = figure(r)
    if not r.samples:
        fig.notes.append("no sample: the wall's log ends with:\n" + r.stderr_tail)
        return fig
    if not ns.replot:
        save(r, ns.out.with_suffix(".json"))
    path = plot(r, ns.out, f"soak: {r.last.get('ticks', 0)} data ticks, "
                           f"{r.last.get('map_pushed', 0)} map updates")
    fig.notes.append(f"plot: {path}")
    if not r.finished and not r.stopped_by_limit and r.stderr_tail:
        fig.notes.append("the wall's log ends with:\n" + r.stderr_tail)
    return fig


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 ticks, 100 map updates")
    parser.add_argument("--ticks", type=int, help="data ticks (default 100,000; quick 5,000)")
    parser.add_argument("--map-updates", type=int, help="map updates (default 5,000; quick 100)")
    parser.add_argument("--rate", type=float, default=60.0,
                        help="feed turns per second at most (60)")
    parser.add_argument("--speed", type=float, default=300.0,
                        help="simulated seconds per real second (300: a 5-minute step a second)")
    parser.add_argument("--retention-days", type=float, default=2.0,
                        help="simulated days the wall's pruner keeps (2: the cache levels off "
                             "within the run)")
    parser.add_argument("--layouts", nargs="+", metavar="ID",
                        help="the wall's layouts (default: every bundled one, all kept warm as "
                             "the wall does; before 2026-12 the soak ran overview environment "
                             "safety sources)")
    parser.add_argument("--warm", default="1", metavar="N|all",
                        help="layouts kept warm either side of the one on show (WallShell's "
                             "warm_neighbours; 1: the wall's policy; all: every layout, as "
                             "before 2026-12)")
    parser.add_argument("--sample-every", type=int, help="ticks between samples (ticks / 200)")
    parser.add_argument("--max-minutes", type=float, default=45.0, help="stop the wall after (45)")
    parser.add_argument("--out", type=Path, help="the PNG (benchmarks/results/soak[-quick].png)")
    parser.add_argument("--replot", type=Path, metavar="JSON",
                        help="no run: the figures and the plot again from a saved run's JSON")
    ns = parser.parse_args(argv)
    ns.ticks = ns.ticks or (2000 if ns.quick else 100_000)
    ns.map_updates = ns.map_updates or (100 if ns.quick else 5000)
    ns.sample_every = ns.sample_every or max(1, ns.ticks // 200)
    ns.out = ns.out or ROOT / "benchmarks" / "results" / ("soak-quick.png" if ns.quick else "soak.png")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse(argv)
    fig = run(ns.quick, argv_ns=ns)
    print(report(fig))
    print()
    command = COMMAND + " " + " ".join(argv if argv is not None else sys.argv[1:])
    print(summary([fig], command.strip(), machine()))
    return 1 if math.isnan(fig.value) else 0


if __name__ == "__main__":
    sys.exit(main())
