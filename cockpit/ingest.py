"""The feed runner: one background thread that runs each feed on its schedule and hands the
rows to the store. Failures are recorded in feed_health and logged; they never stop the other
feeds or the wall. A feed whose start-up load (backfill) failed retries it on its schedule
instead of ticking. No Qt: the wall learns of new data through the ``on_batch`` callback."""

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
        self._ready: set[str] = set()  # feeds whose backfill succeeded (they tick)
        self.backfilled = threading.Event()

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def _attempt(self, feed: Feed, step: Callable[[datetime], int]) -> bool:
        """Run one step of a feed and record how it went; True if it succeeded."""
        started = time.perf_counter()
        now = self.clock()
        try:
            rows = step(now)
        except Exception as exc:  # a feed's failure is data for the wall, not a crash
            log.exception("feed %s failed", feed.name)
            self._record(feed, now, started, error=f"{type(exc).__name__}: {exc}"[:500], rows=0)
            return False
        self._record(feed, now, started, error=None, rows=rows)
        try:
            self.on_batch(feed.name, rows)
        except Exception:  # the listener's problem must not stop the feeds
            log.exception("on_batch listener failed after feed %s", feed.name)
        return True

    def _record(self, feed: Feed, now: datetime, started: float, *, error: str | None,
                rows: int) -> None:
        try:
            self.store.record_health(feed.name, attempt=now, success=error is None, error=error,
                                     rows=rows, latency_ms=(time.perf_counter() - started) * 1000)
        except Exception:  # e.g. the cache closed under us at shutdown
            log.exception("could not record the health of feed %s", feed.name)

    def _backfill(self, feed: Feed) -> bool:
        return self._attempt(feed, lambda now: sum(feed.backfill(self.store, now).values()))

    def backfill_all(self) -> None:
        """Each feed's start-up load (the runner's first step; also usable without the thread)."""
        for feed in self.feeds:
            if self._halt.is_set():
                break
            if self._backfill(feed):
                self._ready.add(feed.name)
        self.backfilled.set()

    def run(self) -> None:
        self.backfill_all()
        due = {feed.name: time.monotonic() + feed.interval_s for feed in self.feeds}
        while not self._halt.is_set():
            now = time.monotonic()
            for feed in self.feeds:
                if self._halt.is_set():
                    break
                if due[feed.name] <= now:
                    if feed.name in self._ready:
                        self._attempt(feed, lambda t, f=feed: f.tick(self.store, t))
                    elif self._backfill(feed):  # its start-up load failed: retry, don't tick
                        self._ready.add(feed.name)
                    due[feed.name] = time.monotonic() + feed.interval_s
            if due:
                self._halt.wait(max(0.05, min(due.values()) - time.monotonic()))
            else:
                self._halt.wait()
