"""The cost curve at city scale: every bundled layout's panel queries on caches of 1 M, 10 M and
50 M observations.

A city keeping 30 days of its feeds holds tens of millions of observations; the other benchmarks
run on the demo's ~100,000. This one builds caches of 30 days × the 12 districts × every metric
of the catalogue (plus a city-level series for two metrics, as a feed that reports the whole
city beside its districts would send), with alerts and entities at the demo's rate per
observation, through the store's own write path (``Store.ingest``, a day per call, so the
rollups are kept as a feed keeps them). The rows are made by DuckDB's ``range()`` in SQL and
handed over as Arrow, never row by row. Built caches are kept in
``$TMPDIR/cockpit-bench-scale/`` and reused by the next run (``--rebuild`` builds them again;
a cache of an older schema or generator is rebuilt by itself).

Then, on each cache, every panel of every bundled layout runs its query — the function the
panel registry names, as the wall's pump calls it, through ``Store.reading()`` on this thread —
``--passes`` times (3). Per panel the median of the passes; over panels the median and p95;
the slowest panel; each screen's queries summed (the wall refreshes a screen as one job) and
each layout's. Goal (issue 18): **p95 per panel query ≤ 20 ms and a whole screen's queries ≤
100 ms at 50 M**, within 2× of the 1 M figures. The curve is printed beside the goals and drawn
to ``benchmarks/results/scale.png``. The process's RSS is sampled after each size (DuckDB's
buffer pool is capped by the store's ``memory_limit``).

Run: ``python -m benchmarks.scale [--sizes 1,10,50] [--passes 3] [--rebuild]``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from benchmarks._env import ROOT
from benchmarks._stats import Figure, percentile

COMMAND = "python -m benchmarks.scale"
#: The last moment of every built cache; the queries run with ``now`` = this.
END = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
DAYS = 30
#: Metrics for which a city-level (370700) series is sent beside the districts' (issue 18: the
#: city-wide figure must not count them twice).
CITY_SERIES = ("hotline_opened", "iot_sensors_online")
#: The demo's rates per observation (96,768 observations over 2 days; 317 alerts, 186 entities).
ALERTS_PER_OBS = 317 / 96_768
ENTITIES_PER_DAILY_OBS = 186 / 48_384
#: Bumped when what the builder writes changes, so an old cached file is rebuilt.
GENERATOR = 3
#: Rows per append while building. A feed writes pages of a few thousand rows, so DuckDB's
#: zone maps (min/max of ts per row group of 122,880 rows) stay as tight as the data is in time
#: order; single appends of 300,000+ rows were seen to leave every row group of the append
#: with the whole append's span, which makes reading an old hour scan a day of rows.
CHUNK_ROWS = 100_000
GOAL_P95_MS = 20.0
GOAL_SCREEN_MS = 100.0
GOAL_GROWTH = 2.0
RESULTS = ROOT / "benchmarks" / "results"


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pa.Table:
    return con.sql(sql, params=params).to_arrow_table()


def cache_dir() -> Path:
    return Path(os.environ.get("COCKPIT_SCALE_DIR")
                or Path(tempfile.gettempdir()) / "cockpit-bench-scale")


def _series() -> pa.Table:
    """One row per series: every district × every metric, and the city-level series."""
    from cockpit.demo.grid import PROFILES
    from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS

    rows = []
    for m, metric in enumerate(sorted(METRICS)):
        info = METRICS[metric]
        base = 20.0 + (m * 37) % 500
        codes = [*DISTRICTS] + ([CITY_CODE] if metric in CITY_SERIES else [])
        for code in codes:
            p = PROFILES.get(code)
            rows.append({"metric": metric, "district": code, "entity_id": f"{code}:{metric}",
                         "feed": "city" if code == CITY_CODE else info.feed, "unit": info.unit,
                         "lat": p.lat if p else 36.706, "lon": p.lon if p else 119.161,
                         "base": base * (12 if code == CITY_CODE else 1) * (1 + (int(code) % 7) / 10)})
    return pa.Table.from_pylist(rows)


def _signature(millions: float) -> str:
    from cockpit.data.schema import SCHEMA_VERSION
    from cockpit.model.metrics import METRICS

    text = f"{GENERATOR}|{SCHEMA_VERSION}|{millions}|{','.join(sorted(METRICS))}|{END.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_cache(millions: float, *, rebuild: bool = False, out=sys.stdout) -> Path:
    """The cache of ``millions`` M observations, built unless a matching one is kept."""
    from cockpit.data.store import Store

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"scale-{millions:g}M-{_signature(millions)}.duckdb"
    if path.exists() and not rebuild:
        with Store(path) as store:
            done = store.reader().execute(
                "SELECT count(*) FROM meta WHERE key = 'bench_scale_built'").fetchall()[0][0]
            if done:
                store.roll_up()  # a cache built by an older run may have left them behind
                return path
    for stale in folder.glob(f"scale-{millions:g}M-*.duckdb*"):
        stale.unlink()
    series = _series()
    n_series = series.num_rows
    steps = max(1, int(millions * 1_000_000) // n_series)
    step_us = DAYS * 86_400 * 1_000_000 // steps
    start = END - timedelta(microseconds=step_us * (steps - 1))
    print(f"scale: building {steps * n_series:,} observations ({n_series} series, a row every "
          f"{step_us / 1e6:.1f} s each) in {path} …", file=out, flush=True)
    started = time.perf_counter()
    gen = duckdb.connect(":memory:")
    gen.execute("SET TimeZone = 'UTC'")
    gen.register("series", series)
    gen.execute("CREATE TABLE s AS SELECT row_number() OVER () - 1 AS sidx, * FROM series")
    per_day = max(1, CHUNK_ROWS // n_series)
    with Store(path) as store:
        for k0 in range(0, steps, per_day):
            k1 = min(steps, k0 + per_day)
            batch = _arrow(gen,
                """SELECT ?::TIMESTAMPTZ + to_microseconds(k * ?::BIGINT) AS ts, s.feed,
                          s.entity_id, 'district' AS entity_type, s.metric,
                          round(s.base * (1 + 0.3 * sin(k * ?::DOUBLE * 2 * pi() / 86400e6
                                                        + sidx))
                                + (hash(k, sidx) % 1000) / 100.0, 2) AS value,
                          s.unit, s.district, s.lat, s.lon
                   FROM range(?, ?) r(k) CROSS JOIN s ORDER BY k, sidx""",
                [start, step_us, step_us, k0, k1])
            store.ingest("bench", observations=batch)
        n_alerts = round(steps * n_series * ALERTS_PER_OBS)
        # alerts of the last two days keep the demo's mix of states; older ones are cleared
        alerts = _arrow(gen, """
            SELECT *, CASE WHEN ts < ?::TIMESTAMPTZ - INTERVAL 2 DAY THEN 'cleared'
                           WHEN hash(alert_id) % 20 = 0 THEN 'open'
                           WHEN hash(alert_id) % 20 < 3 THEN 'acked' ELSE 'cleared' END AS state
            FROM (SELECT 'scale-' || i AS alert_id,
                         ?::TIMESTAMPTZ - to_microseconds((hash(i, 1) % ?::UBIGINT)::BIGINT) AS ts,
                         'bench' AS feed,
                         ['critical', 'major', 'minor', 'info'][(1 + hash(i, 2) % 4)::BIGINT]
                             AS severity,
                         ['fire', 'security', 'traffic', 'environment', 'device']
                             [(1 + hash(i, 3) % 5)::BIGINT] AS category,
                         '告警 ' || i AS title, '' AS detail, s.district, s.lat + 0.01 AS lat,
                         s.lon + 0.01 AS lon
                  FROM range(?) r(i) JOIN s ON s.sidx = i % (SELECT count(*) FROM s))""",
                        [END, END, DAYS * 86_400 * 1_000_000, n_alerts])
        store.ingest("bench", alerts=alerts)
        store.write(lambda con: con.execute(
            "UPDATE alerts SET cleared_at = ts + INTERVAL 1 HOUR WHERE state = 'cleared'"))
        n_entities = max(1, round(steps * n_series / DAYS * ENTITIES_PER_DAILY_OBS))
        kinds = ["sensor", "camera", "patrol_robot", "disinfect_robot", "device_fault"]
        entities = _arrow(gen,
            """SELECT 'dev-' || i AS entity_id, (?::VARCHAR[])[(1 + i % ?)::BIGINT] AS entity_type,
                      '设备 ' || i AS name, s.district,
                      s.lat + ((hash(i, 4) % 2000)::DOUBLE - 1000) / 20000 AS lat,
                      s.lon + ((hash(i, 5) % 2000)::DOUBLE - 1000) / 20000 AS lon,
                      ['online', 'online', 'online', 'offline', 'fault'][(1 + hash(i, 6) % 5)::BIGINT]
                          AS status, ?::TIMESTAMPTZ AS updated_at
               FROM range(?) r(i) JOIN s ON s.sidx = (i * 34) % (SELECT count(*) FROM s)""",
            [kinds, len(kinds), END, n_entities])
        store.ingest("bench", entities=entities)
        # A write rolls at most rollup.ROLL_MAX of history up, so a backfill of days leaves the
        # rollups behind until the retention pass catches them up; on a wall it runs within
        # minutes, here at once.
        store.roll_up()
        store.write(lambda con: con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('bench_scale_built', ?)", [_signature(millions)]))
    gen.close()
    print(f"scale: built in {time.perf_counter() - started:.0f} s "
          f"({path.stat().st_size / 2**20:,.0f} MiB; {n_alerts:,} alerts, {n_entities:,} "
          f"entities)", file=out, flush=True)
    return path


@dataclass
class SizeResult:
    millions: float
    rows: int
    panel_ms: dict[tuple[str, int, str, str], float] = field(default_factory=dict)
    #: the fastest pass per panel: on a machine others share, the least disturbed figure
    panel_min_ms: dict[tuple[str, int, str, str], float] = field(default_factory=dict)
    #: each screen's queries as the wall runs them (the pump's ``run_layout_queries``: a
    #: kinds read together are), median and fastest of the passes
    screen_ms: dict[tuple[str, int], float] = field(default_factory=dict)
    screen_min_ms: dict[tuple[str, int], float] = field(default_factory=dict)
    rss_mib: float = math.nan
    build_s: float = math.nan

    def values(self) -> list[float]:
        return list(self.panel_ms.values())

    @property
    def p95(self) -> float:
        return percentile(self.values(), 95)

    @property
    def median(self) -> float:
        return percentile(self.values(), 50)

    def slowest(self) -> tuple[tuple[str, int, str, str], float]:
        return max(self.panel_ms.items(), key=lambda kv: kv[1])

    def screens(self) -> dict[tuple[str, int], float]:
        """Each screen's queries as the wall runs them."""
        return dict(self.screen_ms) or _sum_screens(self.panel_ms)

    def screens_one_by_one(self) -> dict[tuple[str, int], float]:
        """Each screen's panels' queries added up, each panel read on its own."""
        return _sum_screens(self.panel_ms)

    def layouts(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for (layout, _, _, _), ms in self.panel_ms.items():
            out[layout] = out.get(layout, 0.0) + ms
        return out


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def time_queries(path: Path, millions: float, passes: int) -> SizeResult:
    """Every bundled layout's panel queries on the cache at ``path``, ``passes`` times."""
    from cockpit.data.store import Store
    from cockpit.model.layout import load_layouts
    from cockpit.model.registry import PANEL_KINDS
    from cockpit.shell.pump import run_layout_queries

    layouts, errors = load_layouts(ROOT / "layouts")
    if errors:
        raise SystemExit("bundled layouts do not load:\n" + "\n".join(str(e) for e in errors))
    samples: dict[tuple[str, int, str, str], list[float]] = {}
    screen_samples: dict[tuple[str, int], list[float]] = {}
    with Store(path, read_only=True) as store:
        rows = store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]
        for _ in range(passes):
            for layout in layouts:
                for spec in layout.panels():
                    fn = PANEL_KINDS.get(spec.kind).query_function()
                    started = time.perf_counter()
                    with store.reading() as cur:
                        fn(cur, spec, END)
                    ms = (time.perf_counter() - started) * 1000
                    samples.setdefault((layout.id, spec.screen, spec.id, spec.kind), []).append(ms)
                for index, screen in enumerate(layout.screens):
                    started = time.perf_counter()
                    run_layout_queries(store, list(screen.panels), END)
                    screen_samples.setdefault((layout.id, index), []).append(
                        (time.perf_counter() - started) * 1000)
        result = SizeResult(millions, int(rows))
        result.panel_ms = {k: statistics.median(v) for k, v in samples.items()}
        result.panel_min_ms = {k: min(v) for k, v in samples.items()}
        result.screen_ms = {k: statistics.median(v) for k, v in screen_samples.items()}
        result.screen_min_ms = {k: min(v) for k, v in screen_samples.items()}
        result.rss_mib = _rss_mib()
    return result


def _sum_screens(panel_ms: dict) -> dict[tuple[str, int], float]:
    out: dict[tuple[str, int], float] = {}
    for (layout, screen, _, _), ms in panel_ms.items():
        out[(layout, screen)] = out.get((layout, screen), 0.0) + ms
    return out


def _label(key: tuple[str, int, str, str]) -> str:
    layout, screen, panel, kind = key
    return f"{layout}[{screen}] {panel} ({kind})"


def report(results: list[SizeResult]) -> str:
    lines = ["== scale: every bundled layout's panel queries, by cache size (medians of the "
             "passes per panel)",
             f"{'observations':>13} {'median':>8} {'p95':>8} {'slowest panel':>44} "
             f"{'slowest screen':>34} {'slowest layout':>24} {'RSS':>8}"]
    for r in results:
        key, ms = r.slowest()
        (lay, scr), sms = max(r.screens().items(), key=lambda kv: kv[1])
        lname, lms = max(r.layouts().items(), key=lambda kv: kv[1])
        lines.append(f"{r.rows / 1e6:>11.1f} M {r.median:>6.2f}ms {r.p95:>6.2f}ms "
                     f"{f'{ms:.1f} ms {_label(key)}':>44} {f'{sms:.1f} ms {lay}[{scr}]':>34} "
                     f"{f'{lms:.1f} ms {lname}':>24} {r.rss_mib:>5.0f}MiB")
    last, first = results[-1], results[0]
    worst_screen = max(last.screens().values())
    lines += ["",
              f"goal      p95 per panel query ≤ {GOAL_P95_MS:g} ms and a whole screen's queries ≤ "
              f"{GOAL_SCREEN_MS:g} ms at the largest size, within {GOAL_GROWTH:g}× of the "
              f"smallest",
              f"measured  at {last.rows / 1e6:.1f} M: p95 {last.p95:.2f} ms — "
              f"{'within goal' if last.p95 <= GOAL_P95_MS else 'over goal'}; slowest screen "
              f"{worst_screen:.1f} ms — "
              f"{'within goal' if worst_screen <= GOAL_SCREEN_MS else 'over goal'}"]
    if len(results) > 1:
        g95 = last.p95 / first.p95
        gsc = worst_screen / max(first.screens().values())
        lines.append(f"growth    {first.rows / 1e6:.1f} M → {last.rows / 1e6:.1f} M: p95 "
                     f"{g95:.2f}×, slowest screen {gsc:.2f}× — "
                     f"{'within goal' if max(g95, gsc) <= GOAL_GROWTH else 'over goal'}")
    lines.append("fastest pass per panel (least disturbed by other load): " + "; ".join(
        f"{r.rows / 1e6:.0f} M p95 {percentile(list(r.panel_min_ms.values()), 95):.2f} ms, "
        f"slowest screen {max(r.screen_min_ms.values()):.1f} ms" for r in results))
    (lay, scr), one = max(last.screens_one_by_one().items(), key=lambda kv: kv[1])
    lines.append(f"the slowest screen's panels each read on its own, added up, at the largest "
                 f"size: {one:.1f} ms {lay}[{scr}] (kpis and series read together, as the wall does: "
                 f"{last.screens()[(lay, scr)]:.1f} ms)")
    lines.append("slowest five panels at the largest size: " + "; ".join(
        f"{_label(k)} {v:.1f} ms" for k, v in
        sorted(last.panel_ms.items(), key=lambda kv: -kv[1])[:5]))
    return "\n".join(lines)


def plot(results: list[SizeResult], path: Path) -> Path:
    from benchmarks._plot import draw_curve

    xs = [r.rows / 1e6 for r in results]
    series = [("p95 per panel query (ms)", [r.p95 for r in results], "#22d3ee"),
              ("median per panel query (ms)", [r.median for r in results], "#34d399"),
              ("slowest panel (ms)", [r.slowest()[1] for r in results], "#f59e0b"),
              ("slowest screen, all its queries (ms)", [max(r.screens().values()) for r in results],
               "#f472b6")]
    goals = [("goal: p95 per panel ≤ 20 ms", GOAL_P95_MS, "#22d3ee"),
             ("goal: a screen ≤ 100 ms", GOAL_SCREEN_MS, "#f472b6")]
    return draw_curve(path, "panel query cost by cache size (python -m benchmarks.scale)", xs,
                      series, goals, xlabel="observations in the cache (millions)",
                      ylabel="ms")


def figure(results: list[SizeResult]) -> Figure:
    """The result as the ``python -m benchmarks`` table takes it: the panel queries at the
    largest size against the smallest (the ratio is the growth)."""
    from benchmarks._stats import Row, summarize

    first, last = results[0], results[-1]

    def label(r: SizeResult, what: str) -> str:
        return f"{what} at {r.rows / 1e6:.0f} M observations"

    screens = [Row(label(r, "each screen, all its queries"), summarize(list(r.screens().values())),
                   "ms") for r in results]
    worst = max(last.screens().values())
    return Figure(
        name="scale", title="every bundled layout's panel queries on a city-scale cache (ms per "
                            "panel query, median of the passes)",
        goal=GOAL_P95_MS, goal_stat="p95", unit="ms", ratio_of="ours",
        ours=Row(label(last, "panel queries"), summarize(last.values()), "ms"),
        alternative=Row(label(first, "panel queries"), summarize(first.values()), "ms"),
        side=[*(Row(label(r, "panel queries"), summarize(r.values()), "ms")
                for r in results[1:-1]), *screens],
        notes=[f"a whole screen's queries at {last.rows / 1e6:.0f} M: slowest "
               f"{worst:.1f} ms (goal ≤ {GOAL_SCREEN_MS:g} ms: "
               f"{'within goal' if worst <= GOAL_SCREEN_MS else 'over goal'}); growth from "
               f"{first.rows / 1e6:.0f} M: p95 {last.p95 / first.p95:.2f}×, slowest screen "
               f"{worst / max(first.screens().values()):.2f}× (goal ≤ {GOAL_GROWTH:g}×)",
               "process RSS after each size: " + ", ".join(
                   f"{r.rows / 1e6:.0f} M {r.rss_mib:.0f} MiB" for r in results)])


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    """For ``python -m benchmarks --only scale``: 1, 10 and 50 M (``quick``: 1 and 10 M)."""
    results = []
    for millions in (1.0, 10.0) if quick else (1.0, 10.0, 50.0):
        path = build_cache(millions, out=out)
        print(f"scale: {millions:g} M: timing 3 pass(es) …", file=out, flush=True)
        results.append(time_queries(path, millions, 3))
    print(report(results), file=out)
    print(f"plot      {plot(results, RESULTS / 'scale.png')}", file=out)
    return figure(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50",
                        help="cache sizes in millions of observations, comma-separated")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the caches again")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.png")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for millions in sizes:
        started = time.perf_counter()
        path = build_cache(millions, rebuild=args.rebuild)
        built = time.perf_counter() - started
        print(f"scale: {millions:g} M: timing {args.passes} pass(es) …", flush=True)
        result = time_queries(path, millions, args.passes)
        result.build_s = built
        results.append(result)
    print(report(results))
    if not args.no_plot:
        print(f"plot      {plot(results, args.out)}")
    from benchmarks._env import machine

    print(f"$ {COMMAND} --sizes {args.sizes} --passes {args.passes}; {machine()}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
