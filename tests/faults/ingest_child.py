"""A child process for the kill -9 test: ingests batches of observations into a real cache
through the store's own write path and prints the cache's row count after each commit
("acknowledged"). Usage: python ingest_child.py CACHE BATCH_ROWS"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cockpit.data.store import Store  # noqa: E402


def main(cache: str, batch_rows: int) -> None:
    store = Store(cache)
    total = store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    entities = [f"370702-{i:03d}" for i in range(100)]
    while True:
        first = start + timedelta(seconds=total // 100)
        n = batch_rows
        rows = pa.table({
            "ts": pa.array([first + timedelta(seconds=i // 100) for i in range(n)],
                           pa.timestamp("us", tz="UTC")),
            "feed": ["kill9"] * n, "entity_id": [entities[i % 100] for i in range(n)],
            "entity_type": ["sensor"] * n, "metric": ["aqi"] * n,
            "value": [float(i % 500) for i in range(n)], "unit": ["μg/m³"] * n,
            "district": ["370702"] * n, "lat": [36.7] * n, "lon": [119.1] * n})
        added = store.ingest("kill9", observations=rows, checkpoint=str(total + n), at=first)
        assert added == n, (added, n)
        total += n
        print(total, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
