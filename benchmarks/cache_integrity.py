"""Cache integrity figures: what the start-up check costs, and whether retention bounds the file.

* probe: ``cockpit.data.cachecheck.probe`` (a child process opens the cache and reads every block
  of every table) on caches of 0.1, 1, 3 and 10 million observations (the demo replay adds
  about 2.9 million a day); the wall pays this once per start, before its first frame.
* growth: 16 cycles of "a day of 300,000 observations in, then prune what is older than two
  days" (``RetentionPruner.prune_once``: batches, then a CHECKPOINT), the file and WAL sizes
  after each cycle; and the same without the CHECKPOINT (DuckDB's automatic one only), and
  without pruning at all.

Run: ``python -m benchmarks.cache_integrity [--quick]``. Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cockpit.data.cachecheck import probe  # noqa: E402
from cockpit.data.retention import RetentionPruner  # noqa: E402
from cockpit.data.store import Store, wal_path  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def day_rows(day: datetime, n: int) -> pa.Table:
    i = np.arange(n)
    ts = pa.array((np.datetime64(day.replace(tzinfo=None), "us")
                   + (i * (86_400_000_000 // n)).astype("timedelta64[us]")),
                  pa.timestamp("us", tz="UTC"))
    return pa.table({"ts": ts, "feed": pa.array(["demo"] * n),
                     "entity_id": pa.array([f"370702-{k}" for k in range(170)] * (n // 170 + 1))[:n],
                     "entity_type": pa.array(["sensor"] * n),
                     "metric": pa.array([f"m{k}" for k in range(17)] * (n // 17 + 1))[:n],
                     "value": pa.array((i % 997).astype(float)), "unit": pa.array(["u"] * n),
                     "district": pa.array(["370702"] * n), "lat": pa.array(np.full(n, 36.7)),
                     "lon": pa.array(np.full(n, 119.1))})


def on_disk(path: Path) -> tuple[int, int]:
    wal = wal_path(path)
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


def bench_probe(tmp: Path, quick: bool) -> None:
    print("== probe (child process, every block read), seconds")
    for rows in ([100_000, 1_000_000] if quick else [100_000, 1_000_000, 3_000_000, 10_000_000]):
        path = tmp / f"probe-{rows}.duckdb"
        with Store(path) as store:
            per_day = 1_000_000
            for d in range(0, rows, per_day):
                store.append("observations", day_rows(T0 + timedelta(days=d // per_day),
                                                      min(per_day, rows - d)))
        times = []
        for _ in range(3):
            r = probe(path, 300)
            assert r.state == "ok", r
            times.append(r.seconds)
        print(f"{rows:>11,} rows  {path.stat().st_size / 2**20:7.1f} MB  median "
              f"{statistics.median(times):.2f} s  (min {min(times):.2f}, max {max(times):.2f})")


def bench_growth(tmp: Path, quick: bool) -> None:
    cycles, n = (8, 100_000) if quick else (16, 300_000)
    print(f"\n== file + WAL after each cycle ({n:,} rows a day in, keep two days), MB")
    for mode in ("pruner (batches + CHECKPOINT)", "pruner without CHECKPOINT", "no pruning"):
        path = tmp / f"growth-{len(mode)}.duckdb"
        sizes = []
        started = time.perf_counter()
        with Store(path) as store:
            if "without" in mode:
                store.checkpoint_file = lambda: None
            for d in range(cycles):
                day = T0 + timedelta(days=d)
                store.append("observations", day_rows(day, n))
                if mode != "no pruning":
                    RetentionPruner(store, 2, pause_s=0, clock=lambda day=day: day + timedelta(
                        days=1)).prune_once()
                sizes.append(sum(on_disk(path)) / 2**20)
        closed = path.stat().st_size / 2**20
        print(f"{mode:<31} " + " ".join(f"{s:5.0f}" for s in sizes)
              + f"   after close {closed:.0f}   ({time.perf_counter() - started:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    import duckdb

    print(f"DuckDB {duckdb.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="cockpit-integrity-") as tmp:
        bench_probe(Path(tmp), quick)
        bench_growth(Path(tmp), quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
