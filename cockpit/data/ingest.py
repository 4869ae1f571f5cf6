"""The feed runner: a background thread per feed that runs it on its schedule and hands the
rows to the store (the store takes one write at a time; the fetching overlaps, so a source
stuck to its deadline delays no other feed). Failures are recorded in feed_health and logged; they never stop the other
feeds or the wall. A feed whose start-up load (backfill) failed retries it on its schedule
instead of ticking. No Qt: the wall learns of new data through the ``on_batch`` callback.

Live adapters (feeds/) add two optional things to the protocol, read with ``getattr`` so the
snapshot replay needs neither: ``partial`` (a reason, set when a load ended short of the total
its source announced; recorded as a partial success) and ``secrets`` (strings redacted from
any error text). A feed that raises an exception with ``delay_s`` (the source's Retry-After,
already capped) is rescheduled that far ahead rather than retried on its interval."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from cockpit.data.store import Store, is_disk_full
from feeds.base import LiveFeed
from feeds.errors import FeedError, redact

log = logging.getLogger(__name__)


class Feed(Protocol):
    """A live adapter (:class:`feeds.base.LiveFeed`: pages of rows, stored by :func:`load`) or
    the snapshot replay (:class:`cockpit.data.replay.SnapshotReplay`, which writes itself)."""

    name: str
    interval_s: float

    def describe(self) -> dict[str, object]: ...


def load(feed: LiveFeed, store: Store, now: datetime) -> int:
    """One load of a live feed: its pages from the store's checkpoint on, each page stored with
    its checkpoint in one transaction. The feed returns batches; only this writes them."""
    feed.start_load()
    since = store.checkpoint(feed.name)
    added = rejected = 0
    for page in feed.guarded_pages(since, now):
        rejected += feed.note_rejected(page.batch)
        added += store.ingest(feed.name, observations=page.batch.table("observations"),
                              entities=page.batch.table("entities"),
                              alerts=page.batch.table("alerts"),
                              checkpoint=page.checkpoint, at=now)
    feed.end_load(rejected)
    return added


def backfill(feed: Feed, store: Store, now: datetime) -> int:
    """A feed's start-up load: a live feed's first load, or the replay's own backfill."""
    if isinstance(feed, LiveFeed):
        return load(feed, store, now)
    return sum(feed.backfill(store, now).values())


def tick(feed: Feed, store: Store, now: datetime) -> int:
    """A feed's step on its schedule."""
    if isinstance(feed, LiveFeed):
        return load(feed, store, now)
    return feed.tick(store, now)


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
        self.delays: dict[str, float] = {}  # feed -> seconds its source asked us to stay away
        self.backfilled = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stop_timeout = 5.0

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every feed's thread (a feed inside a request is given ``timeout`` seconds in
        all to finish it; its thread is a daemon) and close what the feeds hold open."""
        self._stop_timeout = timeout
        self._halt.set()
        if self.is_alive():
            self.join(timeout + 0.5)
        self.close_feeds()

    def close_feeds(self) -> None:
        """Let go of what feeds hold open (an MQTT connection and its thread)."""
        for feed in self.feeds:
            close = getattr(feed, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing feed %s failed", feed.name)

    def _attempt(self, feed: Feed, step: Callable[[datetime], int]) -> bool:
        """Run one step of a feed and record how it went; True if it succeeded."""
        started = time.perf_counter()
        now = self.clock()
        secrets = getattr(feed, "secrets", ())
        self.delays.pop(feed.name, None)
        try:
            rows = step(now)
        except Exception as exc:  # a feed's failure is data for the wall, not a crash
            text = redact(f"{type(exc).__name__}: {exc}", secrets)[:500]
            if isinstance(exc, FeedError):  # expected trouble: its text says it all
                log.warning("feed %s failed: %s", feed.name, text)
            else:
                log.error("feed %s failed: %s", feed.name, text, exc_info=not secrets)
            if getattr(exc, "delay_s", None) is not None:
                self.delays[feed.name] = float(exc.delay_s)
            self._record(feed, now, started, error=text, rows=0)
            return False
        partial = getattr(feed, "partial", None)
        self._record(feed, now, started, rows=rows, partial=partial is not None,
                     error=redact(partial, secrets)[:500] if partial else None)
        try:
            self.on_batch(feed.name, rows)
        except Exception:  # the listener's problem must not stop the feeds
            log.exception("on_batch listener failed after feed %s", feed.name)
        return True

    def _record(self, feed: Feed, now: datetime, started: float, *, error: str | None,
                rows: int, partial: bool = False) -> None:
        try:
            self.store.record_health(feed.name, attempt=now, success=error is None or partial,
                                     error=error, rows=rows, partial=partial,
                                     latency_ms=(time.perf_counter() - started) * 1000)
        except Exception as exc:  # e.g. the cache closed under us at shutdown, a full disk
            if is_disk_full(exc):  # already on the wall as an incident; one line is enough
                log.warning("could not record the health of feed %s: the cache disk is full",
                            feed.name)
            else:
                log.exception("could not record the health of feed %s", feed.name)

    def _backfill(self, feed: Feed) -> bool:
        return self._attempt(feed, lambda now: backfill(feed, self.store, now))

    def backfill_all(self) -> None:
        """Each feed's start-up load (the runner's first step; also usable without the thread)."""
        for feed in self.feeds:
            if self._halt.is_set():
                break
            if self._backfill(feed):
                self._ready.add(feed.name)
        self.backfilled.set()

    def run(self) -> None:
        """Each feed on a thread of its own: its start-up load, then a tick each interval.
        ``backfilled`` is set once every feed's start-up load has been tried."""
        pending = [len(self.feeds)]
        lock = threading.Lock()

        def loaded() -> None:
            with lock:
                pending[0] -= 1
                if pending[0] <= 0:
                    self.backfilled.set()

        if not self.feeds:
            self.backfilled.set()
        self._threads = [threading.Thread(target=self._run_feed, args=(feed, loaded), daemon=True,
                                          name=f"feed {feed.name}") for feed in self.feeds]
        for t in self._threads:
            t.start()
        self._halt.wait()
        deadline = time.monotonic() + self._stop_timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def _run_feed(self, feed: Feed, loaded: Callable[[], None]) -> None:
        try:
            if not self._halt.is_set() and self._backfill(feed):
                self._ready.add(feed.name)
        finally:
            loaded()
        while not self._halt.wait(max(feed.interval_s, self.delays.get(feed.name, 0.0))):
            if feed.name in self._ready:
                self._attempt(feed, lambda t: tick(feed, self.store, t))
            elif self._backfill(feed):  # its start-up load failed: retry, don't tick
                self._ready.add(feed.name)
