"""Retention: observations older than the configured age leave the cache, in the background.

A wall adds rows for as long as it runs (the demo replay alone about 2.9 million a day), so a
pruner thread deletes the observations older than ``[store] retention_days`` — and the alerts
cleared longer ago than that — in small batches, each its own short transaction, so the single
writer lock is never held for long and the feeds keep writing between batches. After a pass
that deleted anything it runs a CHECKPOINT, which hands the freed blocks back to DuckDB for
reuse: measured here (docs/cache.md), the file then levels off instead of growing. Each pass
also brings the observations' rollups up to the last full hour (``Store.roll_up``), where a
write left them behind (a snapshot import, a big backfill; :mod:`cockpit.data.rollup`).
No Qt; never runs on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from cockpit.data.store import Store

log = logging.getLogger(__name__)

#: Defaults when the site config sets no ``[store] retention_days``.
DEFAULT_RETENTION_DAYS = 30.0
#: The demo replays its two recorded days every start, then ~2.9 M rows a day: keep three.
DEMO_RETENTION_DAYS = 3.0


@dataclass
class PruneReport:
    observations: int = 0
    alerts: int = 0
    batches: int = 0


class RetentionPruner(threading.Thread):
    """Prunes every ``every_s`` seconds (first after ``first_after_s``, once the start-up load
    is done), ``batch_rows`` rows per transaction."""

    def __init__(self, store: Store, retention_days: float, *, every_s: float = 3600.0,
                 first_after_s: float = 120.0, batch_rows: int = 20_000, pause_s: float = 0.05,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(name="cache-retention", daemon=True)
        if retention_days <= 0:
            raise ValueError(f"retention_days must be positive, not {retention_days!r}")
        self.store = store
        self.retention = timedelta(days=retention_days)
        self.every_s = every_s
        self.first_after_s = first_after_s
        self.batch_rows = batch_rows
        self.pause_s = pause_s
        self.clock = clock
        self._halt = threading.Event()
        self.passes = 0
        self.pass_done = threading.Event()  # set after each pass (tests, doctor)

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        wait = self.first_after_s
        while not self._halt.wait(wait):
            try:
                self.prune_once()
            except Exception:  # a full disk, a cache closing at shutdown: try again next time
                log.exception("pruning the cache %s failed", self.store.path)
            self.passes += 1
            self.pass_done.set()
            wait = self.every_s

    def prune_once(self) -> PruneReport:
        """One pass: batches until nothing older than the retention age is left."""
        before = self.clock() - self.retention
        report = PruneReport()
        while not self._halt.is_set():
            n = self.store.prune_observations(before, self.batch_rows)
            if n == 0:
                break
            report.observations += n
            report.batches += 1
            self._halt.wait(self.pause_s)  # let the feeds' writes in between batches
        report.alerts = self.store.prune_cleared_alerts(before)
        self.store.roll_up()
        if report.observations or report.alerts:
            try:
                self.store.checkpoint_file()
            except duckdb.TransactionException as exc:
                # The deletes are committed; DuckDB's automatic checkpoint folds them in later.
                # Seen in the soak with the readers gated: something still holds a transaction.
                log.warning("cache %s: checkpoint after pruning deferred (%s)", self.store.path,
                            str(exc).splitlines()[0][:120])
            log.info("cache %s: pruned %d observation(s) in %d batch(es) and %d cleared "
                     "alert(s) older than %s", self.store.path, report.observations,
                     report.batches, report.alerts, before.isoformat(timespec="seconds"))
        return report
