"""Ingest rate into the cache: 1,000,000 observations, our batched path against the others.

Goal: the store takes 1,000,000 observations in ≤ 2 s (≥ 500k rows/s) at the median, through
its one write path (``Store.append``: one Arrow batch, one INSERT … SELECT with the
deduplicating anti-join that makes re-ingesting a page harmless).

Measured in the same run, each on a fresh cache file in a temporary folder:

* ours: ``Store.append("observations", batch)`` with the whole million in one Arrow batch;
* ours, in pages: the same million as 100 pages of 10,000 through ``Store.ingest`` (what a
  feed does, a page and its checkpoint per transaction; the anti-join then scans a growing
  table);
* plain Arrow insert: the same batch without the deduplication (what it costs);
* the alternative, row by row: DuckDB ``executemany`` of one INSERT per row. It manages a few
  thousand rows a second, so it runs on a SAMPLE (20,000 rows; 5,000 with ``--quick``) and its
  time is EXTRAPOLATED linearly to 1,000,000 rows — said again in the printed notes;
* SQLite in WAL mode (``synchronous=NORMAL``): ``executemany`` of all 1,000,000 rows in one
  transaction, the usual fast path of the standard library's database.

Run: ``python -m benchmarks.ingest [--quick]``. Figures are printed, never asserted.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.ingest"
N = 1_000_000
PAGE = 10_000
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


def ours_pages(folder: Path, table: pa.Table) -> float:
    from cockpit.data.store import Store

    with Store(folder / "pages.duckdb") as store:
        def run() -> None:
            for k in range(0, table.num_rows, PAGE):
                store.ingest("bench", observations=table.slice(k, PAGE), checkpoint=str(k),
                             at=T0)
        return _timed(run)


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


def sqlite_wal(folder: Path, table: pa.Table) -> float:
    con = sqlite3.connect(folder / "wal.sqlite")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE observations (ts TEXT NOT NULL, feed TEXT NOT NULL, entity_id TEXT "
                "NOT NULL, entity_type TEXT, metric TEXT NOT NULL, value REAL, unit TEXT, "
                "district TEXT, lat REAL, lon REAL)")
    cols = table.column_names
    ts = [t.isoformat() for t in table.column("ts").to_pylist()]
    data = [table.column(c).to_pylist() for c in cols[1:]]
    rows = list(zip(ts, *data, strict=True))  # prepared outside the timing, as for ours
    sql = f"INSERT INTO observations VALUES ({', '.join('?' * len(cols))})"

    def run() -> None:
        with con:
            con.executemany(sql, rows)

    try:
        return _timed(run)
    finally:
        con.close()


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    reps = 1 if quick else 3
    sample = 5_000 if quick else 20_000
    print(f"ingest: building {N:,} observations …", file=out, flush=True)
    table = observations(N)
    times: dict[str, list[float]] = {k: [] for k in ("ours", "pages", "plain", "rows", "wal")}
    for rep in range(reps):
        print(f"ingest: round {rep + 1} of {reps} …", file=out, flush=True)
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
            folder = Path(tmp)
            times["ours"].append(ours_one_batch(folder, table))
            times["pages"].append(ours_pages(folder, table))
            times["plain"].append(plain_arrow(folder, table))
            times["rows"].append(row_by_row(folder, table, sample) * N / sample)
            times["wal"].append(sqlite_wal(folder, table))
    med = {k: summarize(v).median for k, v in times.items()}

    def rate(key: str) -> str:
        return f"{N / med[key]:,.0f} rows/s"

    fig = Figure(
        name="ingest",
        title=f"{N:,} observations into the cache, one write path (s for the million)",
        goal=2.0, goal_stat="median", unit="s",
        ours=Row("ours: Store.append, one Arrow batch, deduplicating", summarize(times["ours"]), "s"),
        alternative=Row(f"row-by-row executemany (extrapolated from {sample:,})",
                        summarize(times["rows"]), "s"),
        side=[Row(f"ours in {N // PAGE} pages of {PAGE:,} (Store.ingest + checkpoint)",
                  summarize(times["pages"]), "s"),
              Row("plain Arrow INSERT, no dedup", summarize(times["plain"]), "s"),
              Row("SQLite WAL executemany, one transaction", summarize(times["wal"]), "s")],
        notes=[f"medians of {reps} round(s); rates: ours {rate('ours')}, in pages "
               f"{rate('pages')}, plain Arrow {rate('plain')}, row by row {rate('rows')}, "
               f"SQLite WAL {rate('wal')}",
               f"ratios (time ÷ ours): row by row {med['rows'] / med['ours']:.0f}×, SQLite WAL "
               f"{med['wal'] / med['ours']:.1f}×, pages {med['pages'] / med['ours']:.1f}×, "
               f"plain Arrow {med['plain'] / med['ours']:.2f}×",
               f"row by row ran on a sample of {sample:,} rows and was extrapolated linearly "
               f"to {N:,}"])
    return fig


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
