"""Ingest rate into the cache: 1,000,000 observations, our batched path against the others.

Goals (issue 18): the store takes 1,000,000 observations in ≤ 0.4 s (≥ 2.5 M rows/s) at the
median through its one write path (``Store.append``: one Arrow batch, one INSERT … SELECT with
the deduplicating anti-join that makes re-ingesting a page harmless, and the rollups kept),
≥ 5× as fast as SQLite in WAL mode's ``executemany``; and the paged path a feed takes — a page,
its checkpoint and the feed's health row in ONE transaction — ≥ 2× as fast as SQLite in WAL
mode writing the same pages (each page, its checkpoint row and a health row in one
transaction), for pages of 10,000 and of 2,000 rows.

Measured in the same run, each on a fresh cache file in a temporary folder:

* ours: ``Store.append("observations", batch)`` with the whole million in one Arrow batch;
* ours, in pages: the same million as 100 pages of 10,000 through ``Store.ingest`` with a
  checkpoint and a ``Health`` each (what a feed does; the anti-join then scans a growing
  table), and 100 pages of 2,000 (200,000 rows: a feed's page is a few thousand rows, so the
  fixed cost per commit is what counts);
* ours, a feed's whole load: the same 100 pages of 2,000 handed by a feed to the runner's
  ``load()`` as they arrive together (a backfill, or a tick of several pages): written in
  commits of up to ``GROUP_ROWS`` rows with the checkpoint of each commit's last page. It also
  pays for turning the feed's rows into Arrow, which the rows above were handed ready;
* DuckDB's floor, in the same pages: each page a plain INSERT from Arrow and a one-row UPDATE,
  one commit each, in a bare table — none of the store's work (no deduplication, rollups,
  health), so what no DuckDB cache written a page per commit can beat; the paged goal is
  reachable only as far as this is;
* SQLite in WAL mode, in the same pages: ``executemany`` of the page's rows plus the checkpoint
  and health rows, one transaction (one commit) per page;
* plain Arrow insert: the same batch without the deduplication (what it costs);
* the alternative, row by row: DuckDB ``executemany`` of one INSERT per row. It manages a few
  thousand rows a second, so it runs on a SAMPLE (20,000 rows; 5,000 with ``--quick``) and its
  time is EXTRAPOLATED linearly to 1,000,000 rows — said again in the printed notes;
* SQLite in WAL mode (``synchronous=NORMAL``): ``executemany`` of all 1,000,000 rows in one
  transaction, the usual fast path of the standard library's database.

Note that SQLite's ``synchronous=NORMAL`` in WAL mode does not sync at commit, while DuckDB
syncs its WAL at every commit: the paged comparison is against the faster setting.

Run: ``python -m benchmarks.ingest [--quick]``. Figures are printed, never asserted.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.ingest"
N = 1_000_000
PAGE = 10_000
SMALL_PAGE = 2_000
SMALL_PAGES = 100
GOAL_S = 0.4
GOAL_VS_SQLITE = 5.0
GOAL_PAGES_VS_SQLITE = 2.0
T0 = datetime(2026, 11, 27, tzinfo=UTC)


def observations(n: int, seed: int = 7) -> pa.Table:
    """``n`` distinct observations: 12 districts x 14 metrics x as many 5-minute steps."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    series = i % 168
    step = i // 168
    ts = (np.datetime64(T0.replace(tzinfo=None), "us") + step * np.timedelta64(300, "s"))
    districts = np.array([f"3707{c:02d}" for c in (2, 3, 4, 5, 24, 25, 81, 82, 83, 84, 85, 86)])
    metrics = np.array([f"metric_{m:02d}" for m in range(14)])
    district = districts[series // 14]
    metric = metrics[series % 14]
    return pa.table({
        "ts": pa.array(ts, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
        "feed": pa.array(np.full(n, "bench"), pa.string()),
        "entity_id": pa.array(np.char.add(np.char.add(district, ":"), metric), pa.string()),
        "entity_type": pa.array(np.full(n, "district"), pa.string()),
        "metric": pa.array(metric, pa.string()),
        "value": pa.array(rng.normal(100, 20, n)),
        "unit": pa.array(np.full(n, "μg/m³"), pa.string()),
        "district": pa.array(district, pa.string()),
        "lat": pa.array(rng.uniform(35.9, 36.9, n)),
        "lon": pa.array(rng.uniform(118.4, 119.8, n)),
    })


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def ours_one_batch(folder: Path, table: pa.Table) -> float:
    from cockpit.data.store import Store

    with Store(folder / "ours.duckdb") as store:
        seconds = _timed(lambda: store.append("observations", table))
        assert store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0] == N
    return seconds


def ours_pages(folder: Path, table: pa.Table, page: int = PAGE, name: str = "pages") -> float:
    """A feed's path: each page with its checkpoint and the feed's health, one transaction."""
    from cockpit.data.store import Health, Store

    with Store(folder / f"{name}.duckdb") as store:
        def run() -> None:
            for k in range(0, table.num_rows, page):
                started = time.perf_counter()
                store.ingest("bench", observations=table.slice(k, page), checkpoint=str(k),
                             at=T0, health=Health(attempt=T0, latency_ms=(
                                 time.perf_counter() - started) * 1000))
        seconds = _timed(run)
        got = store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]
        assert got == table.num_rows, got
        return seconds


def ours_load(folder: Path, table: pa.Table, page: int = SMALL_PAGE) -> float:
    """The runner's ``load()`` of a feed whose pages arrive together (built before the clock)."""
    from cockpit.data.ingest import load
    from cockpit.data.store import Health, Store
    from feeds.base import LiveFeed, Page
    from feeds.common import Batch

    pages = []
    for k in range(0, table.num_rows, page):
        batch = Batch("bench")
        batch.observations = table.slice(k, page).to_pylist()
        pages.append(Page(batch, checkpoint=str(k)))

    class Ready(LiveFeed):
        def pages(self, since, now):
            return iter(pages)

    with Store(folder / "load.duckdb") as store:
        seconds = _timed(lambda: load(Ready("bench", 60.0), store, T0, health=lambda partial:
                                      Health(attempt=T0, latency_ms=1.0)))
        got = store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]
        assert got == table.num_rows, got
        return seconds


def duckdb_floor(folder: Path, table: pa.Table, page: int = PAGE, name: str = "floor") -> float:
    """The same pages into a bare DuckDB table: a plain INSERT and a one-row UPDATE, one commit
    each (the least a page per commit costs in DuckDB)."""
    import duckdb

    con = duckdb.connect(str(folder / f"{name}.duckdb"))
    try:
        con.execute("CREATE TABLE observations (ts TIMESTAMPTZ, feed VARCHAR, entity_id VARCHAR, "
                    "entity_type VARCHAR, metric VARCHAR, value DOUBLE, unit VARCHAR, "
                    "district VARCHAR, lat DOUBLE, lon DOUBLE)")
        con.execute("CREATE TABLE feed_checkpoints (feed VARCHAR PRIMARY KEY, checkpoint VARCHAR)")
        con.execute("INSERT INTO feed_checkpoints VALUES ('bench', NULL)")
        cols = ", ".join(table.column_names)

        def run() -> None:
            for k in range(0, table.num_rows, page):
                con.register("_page", table.slice(k, page))
                con.execute("BEGIN")
                con.execute(f"INSERT INTO observations ({cols}) SELECT {cols} FROM _page")
                con.execute("UPDATE feed_checkpoints SET checkpoint = ? WHERE feed = 'bench'",
                            [str(k)])
                con.execute("COMMIT")
                con.unregister("_page")
        return _timed(run)
    finally:
        con.close()


def plain_arrow(folder: Path, table: pa.Table) -> float:
    from cockpit.data.store import Store

    with Store(folder / "plain.duckdb") as store:
        return _timed(lambda: store._insert("INSERT INTO", "observations", table))


def row_by_row(folder: Path, table: pa.Table, sample: int) -> float:
    """Seconds for ``sample`` rows through executemany, one INSERT per row."""
    from cockpit.data.store import Store

    rows = table.slice(0, sample).to_pylist()
    cols = table.column_names
    params = [[r[c] for c in cols] for r in rows]
    sql = f"INSERT INTO observations ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    with Store(folder / "rows.duckdb") as store:
        return _timed(lambda: store.write(lambda con: con.executemany(sql, params)))


def _sqlite(path: Path, table: pa.Table,
            synchronous: str = "NORMAL") -> tuple[sqlite3.Connection, list[tuple], str]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute("CREATE TABLE observations (ts TEXT NOT NULL, feed TEXT NOT NULL, entity_id TEXT "
                "NOT NULL, entity_type TEXT, metric TEXT NOT NULL, value REAL, unit TEXT, "
                "district TEXT, lat REAL, lon REAL)")
    con.execute("CREATE TABLE feed_checkpoints (feed TEXT PRIMARY KEY, checkpoint TEXT, "
                "updated_at TEXT)")
    con.execute("CREATE TABLE feed_health (feed TEXT PRIMARY KEY, last_attempt TEXT, "
                "last_success TEXT, last_error TEXT, rows INTEGER, latency_ms REAL, "
                "partial INTEGER)")
    cols = table.column_names
    ts = [t.isoformat() for t in table.column("ts").to_pylist()]
    data = [table.column(c).to_pylist() for c in cols[1:]]
    rows = list(zip(ts, *data, strict=True))  # prepared outside the timing, as for ours
    return con, rows, f"INSERT INTO observations VALUES ({', '.join('?' * len(cols))})"


def sqlite_wal(folder: Path, table: pa.Table) -> float:
    con, rows, sql = _sqlite(folder / "wal.sqlite", table)

    def run() -> None:
        with con:
            con.executemany(sql, rows)

    try:
        return _timed(run)
    finally:
        con.close()


def sqlite_pages(folder: Path, table: pa.Table, page: int = PAGE, name: str = "walpages",
                 synchronous: str = "NORMAL") -> float:
    """SQLite WAL in the same pages: rows, checkpoint and health row, one transaction each
    (``synchronous=FULL``: each commit synced, as DuckDB's is)."""
    con, rows, sql = _sqlite(folder / f"{name}.sqlite", table, synchronous)
    at = T0.isoformat()

    def run() -> None:
        for k in range(0, len(rows), page):
            started = time.perf_counter()
            with con:
                con.executemany(sql, rows[k:k + page])
                con.execute("INSERT OR REPLACE INTO feed_checkpoints VALUES (?, ?, ?)",
                            ["bench", str(k), at])
                con.execute("INSERT INTO feed_health VALUES (?, ?, ?, NULL, ?, ?, 0) "
                            "ON CONFLICT (feed) DO UPDATE SET last_attempt = excluded.last_attempt, "
                            "last_success = excluded.last_success, rows = rows + excluded.rows, "
                            "latency_ms = excluded.latency_ms",
                            ["bench", at, at, len(rows[k:k + page]),
                             (time.perf_counter() - started) * 1000])

    try:
        return _timed(run)
    finally:
        con.close()


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    from cockpit.data.ingest import GROUP_ROWS

    reps = 1 if quick else 3
    sample = 5_000 if quick else 20_000
    print(f"ingest: building {N:,} observations …", file=out, flush=True)
    table = observations(N)
    small = table.slice(0, SMALL_PAGE * SMALL_PAGES)
    keys = ("ours", "pages", "plain", "rows", "wal", "walpages", "small", "walsmall",
            "walsmallfull", "floor", "floorsmall", "load")
    times: dict[str, list[float]] = {k: [] for k in keys}
    for rep in range(reps):
        print(f"ingest: round {rep + 1} of {reps} …", file=out, flush=True)
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
            folder = Path(tmp)
            # taking turns: SQLite first in odd rounds, so neither always meets a warm cache
            pairs = [("ours", partial(ours_one_batch, folder, table)),
                     ("wal", partial(sqlite_wal, folder, table)),
                     ("pages", partial(ours_pages, folder, table)),
                     ("walpages", partial(sqlite_pages, folder, table)),
                     ("small", partial(ours_pages, folder, small, SMALL_PAGE, "small")),
                     ("walsmall", partial(sqlite_pages, folder, small, SMALL_PAGE, "walsmall"))]
            for i in range(0, len(pairs), 2):
                a, b = pairs[i], pairs[i + 1]
                for key, fn in ((a, b) if rep % 2 == 0 else (b, a)):
                    times[key].append(fn())
            times["walsmallfull"].append(sqlite_pages(folder, small, SMALL_PAGE, "walsmallfull",
                                                      "FULL"))
            times["load"].append(ours_load(folder, small))
            times["floor"].append(duckdb_floor(folder, table))
            times["floorsmall"].append(duckdb_floor(folder, small, SMALL_PAGE, "floorsmall"))
            times["plain"].append(plain_arrow(folder, table))
            times["rows"].append(row_by_row(folder, table, sample) * N / sample)
    med = {k: summarize(v).median for k, v in times.items()}

    def rate(key: str, n: int = N) -> str:
        return f"{n / med[key]:,.0f} rows/s"

    def goal(ratio: float, want: float) -> str:
        return f"{ratio:.1f}× (goal ≥ {want:g}×: {'within goal' if ratio >= want else 'over goal'})"

    n_small = small.num_rows
    fig = Figure(
        name="ingest",
        title=f"{N:,} observations into the cache, one write path (s for the million)",
        goal=GOAL_S, goal_stat="median", unit="s",
        ours=Row("ours: Store.append, one Arrow batch, deduplicating", summarize(times["ours"]), "s"),
        alternative=Row(f"row-by-row executemany (extrapolated from {sample:,})",
                        summarize(times["rows"]), "s"),
        side=[Row("SQLite WAL executemany, one transaction", summarize(times["wal"]), "s"),
              Row(f"ours in {N // PAGE} pages of {PAGE:,} (Store.ingest + checkpoint + health)",
                  summarize(times["pages"]), "s"),
              Row(f"SQLite WAL in {N // PAGE} pages of {PAGE:,} (+ checkpoint + health rows)",
                  summarize(times["walpages"]), "s"),
              Row(f"ours in {SMALL_PAGES} pages of {SMALL_PAGE:,} ({n_small:,} rows)",
                  summarize(times["small"]), "s"),
              Row(f"SQLite WAL in {SMALL_PAGES} pages of {SMALL_PAGE:,} ({n_small:,} rows)",
                  summarize(times["walsmall"]), "s"),
              Row(f"ours, a feed's load of {SMALL_PAGES} pages of {SMALL_PAGE:,} arriving "
                  f"together (runner's load(): commits of ≤ {GROUP_ROWS:,} rows)",
                  summarize(times["load"]), "s"),
              Row(f"DuckDB's floor in {N // PAGE} pages of {PAGE:,} (plain INSERT + one UPDATE, "
                  f"nothing of ours)", summarize(times["floor"]), "s"),
              Row(f"DuckDB's floor in {SMALL_PAGES} pages of {SMALL_PAGE:,}",
                  summarize(times["floorsmall"]), "s"),
              Row(f"SQLite WAL synchronous=FULL in {SMALL_PAGES} pages of {SMALL_PAGE:,} "
                  f"(each commit synced, as ours)", summarize(times["walsmallfull"]), "s"),
              Row("plain Arrow INSERT, no dedup (the rollups then rebuilt)",
                  summarize(times["plain"]), "s")],
        notes=[f"medians of {reps} round(s); rates: ours {rate('ours')}, SQLite WAL "
               f"{rate('wal')}, in pages of {PAGE:,} {rate('pages')} (SQLite "
               f"{rate('walpages')}), of {SMALL_PAGE:,} {rate('small', n_small)} (SQLite "
               f"{rate('walsmall', n_small)}), plain Arrow {rate('plain')}, row by row "
               f"{rate('rows')}",
               f"SQLite WAL ÷ ours, one batch: {goal(med['wal'] / med['ours'], GOAL_VS_SQLITE)}",
               f"SQLite WAL ÷ ours, pages of {PAGE:,}: "
               f"{goal(med['walpages'] / med['pages'], GOAL_PAGES_VS_SQLITE)}; "
               f"per page: ours {med['pages'] / (N / PAGE) * 1000:.1f} ms, SQLite "
               f"{med['walpages'] / (N / PAGE) * 1000:.1f} ms",
               f"SQLite WAL ÷ ours, pages of {SMALL_PAGE:,}: "
               f"{goal(med['walsmall'] / med['small'], GOAL_PAGES_VS_SQLITE)}; per page: ours "
               f"{med['small'] / SMALL_PAGES * 1000:.1f} ms, SQLite "
               f"{med['walsmall'] / SMALL_PAGES * 1000:.1f} ms; against SQLite syncing each "
               f"commit (synchronous=FULL, as DuckDB does): "
               f"{med['walsmallfull'] / med['small']:.1f}×, SQLite "
               f"{med['walsmallfull'] / SMALL_PAGES * 1000:.1f} ms per page",
               f"DuckDB's own floor for a page per commit (a plain INSERT and one UPDATE, no "
               f"deduplication, rollups or health): SQLite ÷ floor {med['walpages'] / med['floor']:.1f}× "
               f"in pages of {PAGE:,} ({med['floor'] / (N / PAGE) * 1000:.1f} ms a page), "
               f"{med['walsmall'] / med['floorsmall']:.1f}× in pages of {SMALL_PAGE:,} "
               f"({med['floorsmall'] / SMALL_PAGES * 1000:.1f} ms a page): the most any "
               f"DuckDB cache committing each page could reach; ours is "
               f"{med['pages'] / med['floor']:.1f}× / {med['small'] / med['floorsmall']:.1f}× "
               f"the floor",
               f"a feed's load whose pages arrive together (a backfill, a tick of several "
               f"pages) goes in commits of up to {GROUP_ROWS:,} rows: {SMALL_PAGES} pages of "
               f"{SMALL_PAGE:,} in {med['load']:.3f} s, SQLite committing each page "
               f"{med['walsmall'] / med['load']:.1f}× as long, ours committing each page "
               f"{med['small'] / med['load']:.1f}× (it also turns the feed's rows into Arrow)",
               f"row by row: {med['rows'] / med['ours']:.0f}× ours; ran on a sample of "
               f"{sample:,} rows and was extrapolated linearly to {N:,}",
               "each page of ours is one commit: rows, checkpoint and health row together; "
               "SQLite's synchronous=NORMAL does not sync at commit, DuckDB does"])
    return fig


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
