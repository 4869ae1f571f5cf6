"""The feed runner: one background thread that runs each feed on its schedule and hands the
rows to the store. Failures are recorded in feed_health and logged; they never stop the other
feeds or the wall. No Qt: the wall learns of new data through the ``on_batch`` callback."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from cockpit.store import Store

log = logging.getLogger(__name__)


class Feed(Protocol):
    name: str
    interval_s: float

    def describe(self) -> dict[str, object]: ...
    def backfill(self, store: Store, now: datetime) -> dict[str, int]: ...
    def tick(self, store: Store, now: datetime) -> int: ...


class FeedRunner(threading.Thread):
    def __init__(self, store: Store, feeds: list[Feed], *,
                 on_batch: Callable[[str, int], None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(name="feed-runner", daemon=True)
        self.store = store
        self.feeds = feeds
        self.on_batch = on_batch or (lambda feed, rows: None)
        self.clock = clock
        self._halt = threading.Event()
        self.backfilled = threading.Event()

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def _attempt(self, feed: Feed, step: Callable[[], int]) -> None:
        started = time.perf_counter()
        now = self.clock()
        try:
            rows = step()
        except Exception as exc:  # a feed's failure is data for the wall, not a crash
            log.exception("feed %s failed", feed.name)
            self.store.record_health(feed.name, attempt=now, success=False,
                                     error=f"{type(exc).__name__}: {exc}"[:500], rows=0,
                                     latency_ms=(time.perf_counter() - started) * 1000)
            return
        self.store.record_health(feed.name, attempt=now, success=True, error=None, rows=rows,
                                 latency_ms=(time.perf_counter() - started) * 1000)
        self.on_batch(feed.name, rows)

    def backfill_all(self) -> None:
        """Each feed's start-up load (the runner's first step; also usable without the thread)."""
        for feed in self.feeds:
            self._attempt(feed, lambda f=feed: sum(f.backfill(self.store, self.clock()).values()))
        self.backfilled.set()

    def run(self) -> None:
        self.backfill_all()
        due = {feed.name: time.monotonic() + feed.interval_s for feed in self.feeds}
        while not self._halt.is_set():
            now = time.monotonic()
            for feed in self.feeds:
                if due[feed.name] <= now:
                    self._attempt(feed, lambda f=feed: f.tick(self.store, self.clock()))
                    due[feed.name] = time.monotonic() + feed.interval_s
            self._halt.wait(max(0.05, min(due.values()) - time.monotonic()))
