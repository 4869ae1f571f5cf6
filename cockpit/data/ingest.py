"""The feed runner: a background thread per feed that runs it on its schedule and hands the
rows to the store (the store takes one write at a time; the fetching overlaps, so a source
stuck to its deadline delays no other feed). Failures are recorded in feed_health and logged; they never stop the other
feeds or the wall. A feed whose start-up load (backfill) failed retries it on its schedule
instead of ticking. No Qt: the wall learns of new data through the ``on_batch`` callback.

Live adapters (feeds/) add two optional things to the protocol, read with ``getattr`` so the
snapshot replay needs neither: ``partial`` (a reason, set when a load ended short of the total
its source announced; recorded as a partial success) and ``secrets`` (strings redacted from
any error text). A feed that raises an exception with ``delay_s`` (the source's Retry-After,
already capped) is rescheduled that far ahead rather than retried on its interval.

Two more, for a feed that pushes (MQTT): ``committed(page)``, called after each page is in the
cache (the feed acknowledges its messages only then), and ``due(timeout, halt)``, which the
feed's thread waits on instead of the interval (the feed says when messages are waiting). Such
a feed is drained on stop: one last load after its thread ended, before it is closed, so what
it holds is written and acknowledged before the cache closes.

:meth:`FeedRunner.once` is ``cockpit ingest --once``: every feed's load in parallel under one
deadline, with what each did (:class:`Outcome`)."""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cockpit.data.store import Health, Store, is_disk_full
from feeds.base import LiveFeed, Page
from feeds.common import Batch
from feeds.errors import FeedError, redact

log = logging.getLogger(__name__)


class Feed(Protocol):
    """A live adapter (:class:`feeds.base.LiveFeed`: pages of rows, stored by :func:`load`) or
    the snapshot replay (:class:`cockpit.data.replay.SnapshotReplay`, which writes itself)."""

    name: str
    interval_s: float

    def describe(self) -> dict[str, object]: ...


#: ``health(partial reason)``: the :class:`Health` of the attempt, for its last page's commit
HealthOf = Callable[[str | None], Health]

#: A load's pages that arrive together are written together, up to this many rows in one
#: commit: a tick of several pages is one commit with its health row, a backfill of a hundred
#: pages a few (a commit's fixed cost is most of what a page of a few thousand rows costs the
#: cache, issue 18) ...
GROUP_ROWS = 50_000
#: ... and none is held for longer than this once fetched: the next page's arrival writes what
#: waited this long, so a slow source's pages go in one by one, as they come.
GROUP_SECONDS = 1.0


def _write_group(feed: LiveFeed, store: Store, group: list[Page], now: datetime,
                 h: Health | None) -> int:
    """``group``'s pages in one transaction, with the checkpoint (and ``open_alerts``) of the
    last; the feed hears of each page once it is written. If the cache refuses the group, its
    pages are written one by one, so the pages before the one it refuses are kept and that
    one's error is raised, as it would have been alone."""
    committed = getattr(feed, "committed", None)
    if len(group) == 1:
        batch = group[0].batch
    else:
        batch = Batch(feed.name)
        for page in group:
            batch.extend(page.batch)
    last = group[-1]
    try:
        n = store.ingest(feed.name, observations=batch.table("observations"),
                         entities=batch.table("entities"), alerts=batch.table("alerts"),
                         checkpoint=last.checkpoint, at=now, health=h,
                         open_alerts=last.open_alerts)
    except Exception:
        if len(group) == 1:
            raise
        n = sum(_write_group(feed, store, [page], now, None) for page in group)
        if h is not None:  # the attempt's health, as it would have gone with the one commit
            store.record_health(feed.name, attempt=h.attempt, success=h.success, error=h.error,
                                rows=n, latency_ms=h.latency_ms, partial=h.partial)
        return n
    if committed is not None:
        for page in group:
            committed(page)
    return n


def load(feed: LiveFeed, store: Store, now: datetime, *,
         halted: Callable[[], bool] | None = None, health: HealthOf | None = None) -> int:
    """One load of a live feed: its pages from the store's checkpoint on, stored with the
    checkpoint each reached, the pages that arrive together in one transaction (up to
    :data:`GROUP_ROWS` rows, none held :data:`GROUP_SECONDS` past its arrival). The feed
    returns batches; only this writes them. A feed that acknowledges what it was sent
    (``committed``) hears of each page once it is written. ``halted``: when it says so, no
    further page is written (``--once`` past its deadline): the pages held then are not
    written either, and the next load fetches them again from the checkpoint. ``health``: a
    load written in one commit (the usual tick) writes the attempt's health in it, asked of it
    once the load is over (:meth:`FeedRunner._attempt` records the health of any other attempt
    itself). A page carrying ``open_alerts`` (the last of a load proven complete) clears, in
    its transaction, this feed's alerts the source no longer lists. A page that fails to
    arrive leaves the pages before it written."""
    feed.start_load()
    since = store.checkpoint(feed.name)
    added = rejected = 0
    held: list[Page] = []
    held_rows = 0
    held_since = 0.0
    wrote = False

    def flush(h: Health | None = None) -> None:
        nonlocal added, held_rows, wrote
        group = held[:]
        held.clear()
        held_rows = 0
        wrote = True
        added += _write_group(feed, store, group, now, h)

    pages = feed.guarded_pages(since, now)
    while True:
        try:
            page = next(pages, None)
        except BaseException:
            if held:
                flush()  # fetched before the failure: kept
            raise
        if page is None:
            break
        if halted is not None and halted():
            feed.partial = "在截止时间前未完成（已写入的数据保留）"
            held.clear()
            break
        rejected += feed.note_rejected(page.batch)
        if not held:
            held_since = time.monotonic()
        held.append(page)
        held_rows += len(page.batch)
        if held_rows >= GROUP_ROWS or time.monotonic() - held_since >= GROUP_SECONDS:
            flush()
    feed.end_load(rejected)
    if held:
        # the whole load in this one commit: the attempt's health with it
        flush(health(feed.partial) if health is not None and not wrote else None)
    return added


@dataclass(frozen=True)
class Outcome:
    """How a feed's load went: ``ok``, ``partial`` (with the reason) or ``failed`` (the error);
    ``rows`` as the store counted them (observations and alerts added, entities upserted)."""

    state: str
    rows: int = 0
    reason: str | None = None

    RANK = {"ok": 0, "partial": 1, "failed": 2}


def backfill(feed: Feed, store: Store, now: datetime, *, health: HealthOf | None = None) -> int:
    """A feed's start-up load: a live feed's first load, or the replay's own backfill."""
    if isinstance(feed, LiveFeed):
        return load(feed, store, now, health=health)
    return sum(feed.backfill(store, now).values())


def tick(feed: Feed, store: Store, now: datetime, *, health: HealthOf | None = None) -> int:
    """A feed's step on its schedule."""
    if isinstance(feed, LiveFeed):
        return load(feed, store, now, health=health)
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
        self._abandoned: set[str] = set()  # --once gave up on them: they write no more
        self._ready: set[str] = set()  # feeds whose backfill succeeded (they tick)
        self.delays: dict[str, float] = {}  # feed -> seconds its source asked us to stay away
        self.backfilled = threading.Event()
        self._threads: dict[str, threading.Thread] = {}  # feed name -> its thread
        self._stop_timeout = 5.0
        #: the worst outcome of each feed's attempts since the start (or since ``once`` began)
        self.outcomes: dict[str, Outcome] = {}
        #: feeds drained on stop, and the rows their last load wrote
        self.drained: dict[str, int] = {}

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every feed's thread (a feed inside a request is given ``timeout`` seconds in
        all to finish it; its thread is a daemon), drain the feeds that acknowledge what they
        write (one last load: an MQTT feed's queue is written and acknowledged), and close what
        the feeds hold open. Call it before the store closes."""
        self._stop_timeout = timeout
        self._halt.set()
        if self.is_alive():
            self.join(timeout + 0.5)
        self.close_feeds()

    def close_feeds(self) -> None:
        """Drain the feeds that acknowledge what they write (unless their thread is still busy:
        then what they hold stays unacknowledged, for the source to send again), then let go of
        what feeds hold open (an MQTT connection and its thread)."""
        for feed in self.feeds:
            thread = self._threads.get(feed.name)
            busy = thread is not None and thread.is_alive()
            if (isinstance(feed, LiveFeed) and getattr(feed, "committed", None) is not None
                    and not busy and getattr(feed, "waiting", 1)):
                self._drain(feed)
            close = getattr(feed, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing feed %s failed", feed.name)

    def _drain(self, feed: LiveFeed) -> None:
        """One last load of a feed that acknowledges what it writes; its rows in ``drained``."""
        def step(now: datetime, health: HealthOf | None) -> int:
            self.drained[feed.name] = load(feed, self.store, now, health=health)
            return self.drained[feed.name]

        self._attempt(feed, step)

    def _attempt(self, feed: Feed, step: Callable[..., int]) -> bool:
        """Run one step of a feed and record how it went; True if it succeeded. The step may
        hand its health to the store with its one page (``health``); else it is recorded here."""
        started = time.perf_counter()
        now = self.clock()
        secrets = getattr(feed, "secrets", ())
        self.delays.pop(feed.name, None)
        asked: list[Health] = []

        def health(partial: str | None) -> Health:
            reason = redact(partial, secrets)[:500] if partial else None
            asked.append(Health(attempt=now, latency_ms=(time.perf_counter() - started) * 1000,
                                success=True, error=reason, partial=partial is not None))
            return asked[-1]

        # a step of one argument (a caller's own) records no health of its own; --once gave
        # up on a feed: its health is not written, the cache may be closing
        give = None if feed.name in self._abandoned else health
        try:
            rows = (step(now, give) if len(inspect.signature(step).parameters) > 1
                    else step(now))  # type: ignore[call-arg]
        except Exception as exc:  # a feed's failure is data for the wall, not a crash
            text = redact(f"{type(exc).__name__}: {exc}", secrets)[:500]
            if isinstance(exc, FeedError):  # expected trouble: its text says it all
                log.warning("feed %s failed: %s", feed.name, text)
            else:
                log.error("feed %s failed: %s", feed.name, text, exc_info=not secrets)
            if getattr(exc, "delay_s", None) is not None:
                self.delays[feed.name] = float(exc.delay_s)
            self._note(feed.name, Outcome("failed", 0, text))
            self._record(feed, now, started, error=text, rows=0)
            return False
        partial = getattr(feed, "partial", None)
        reason = redact(partial, secrets)[:500] if partial else None
        self._note(feed.name, Outcome("partial" if partial else "ok", rows, reason))
        if not asked:  # else written with the load's one page
            self._record(feed, now, started, rows=rows, partial=partial is not None,
                         error=reason)
        try:
            self.on_batch(feed.name, rows)
        except Exception:  # the listener's problem must not stop the feeds
            log.exception("on_batch listener failed after feed %s", feed.name)
        return True

    def _note(self, name: str, outcome: Outcome) -> None:
        if name in self._abandoned:
            return  # reported as late already
        old = self.outcomes.get(name)
        if old is None or Outcome.RANK[outcome.state] >= Outcome.RANK[old.state]:
            self.outcomes[name] = Outcome(outcome.state, outcome.rows + (old.rows if old else 0),
                                          outcome.reason or (old.reason if old else None))

    def _record(self, feed: Feed, now: datetime, started: float, *, error: str | None,
                rows: int, partial: bool = False) -> None:
        if feed.name in self._abandoned:
            return  # --once gave up on it; the cache may be closing
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
        def step(now: datetime, health: HealthOf | None) -> int:
            if isinstance(feed, LiveFeed):
                return load(feed, self.store, now, health=health,
                            halted=lambda: feed.name in self._abandoned)
            return backfill(feed, self.store, now)

        return self._attempt(feed, step)

    def backfill_all(self) -> None:
        """Each feed's start-up load, one after another (also usable without the thread)."""
        for feed in self.feeds:
            if self._halt.is_set():
                break
            if self._backfill(feed):
                self._ready.add(feed.name)
        self.backfilled.set()

    def once(self, deadline_s: float, stop: threading.Event | None = None) -> dict[str, Outcome]:
        """``cockpit ingest --once``: every feed's load at the same time, each on a thread of
        its own, under one deadline for all; then the drain and close of :meth:`close_feeds`.
        A feed still loading at the deadline (or when ``stop`` is set) is reported failed; the
        pages it wrote stay, no further one is written. Returns each feed's outcome."""
        self.outcomes = {}
        for feed in self.feeds:
            self._threads[feed.name] = threading.Thread(
                target=self._backfill, args=(feed,), daemon=True, name=f"feed {feed.name}")
            self._threads[feed.name].start()
        end = time.monotonic() + deadline_s
        for thread in self._threads.values():
            while thread.is_alive() and not (stop is not None and stop.is_set()):
                left = end - time.monotonic()
                if left <= 0:
                    break
                thread.join(min(left, 0.2))
        late = [name for name, t in self._threads.items() if t.is_alive()]
        why = ("stopped (signal) before it finished" if stop is not None and stop.is_set()
               else f"still loading at the {deadline_s:g} s deadline")
        for name in late:
            self.outcomes[name] = Outcome("failed", self.outcomes.get(name, Outcome("ok")).rows,
                                          f"{why}; the pages it wrote are kept")
        self._abandoned.update(late)  # the late threads write and record nothing more
        if late:
            log.warning("ingest --once: %s: %s", ", ".join(late), why)
        self.close_feeds()  # drains the finished feeds that acknowledge what they write
        self.backfilled.set()
        return dict(self.outcomes)

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
        self._threads = {feed.name: threading.Thread(target=self._run_feed, args=(feed, loaded),
                                                     daemon=True, name=f"feed {feed.name}")
                         for feed in self.feeds}
        for t in self._threads.values():
            t.start()
        self._halt.wait()
        deadline = time.monotonic() + self._stop_timeout
        for t in self._threads.values():
            t.join(max(0.0, deadline - time.monotonic()))

    def _wait(self, feed: Feed) -> bool:
        """Wait for the feed's next turn: its interval (or the source's Retry-After), or, for a
        feed that says when it has something (``due``), until then. False when halted."""
        timeout = max(feed.interval_s, self.delays.get(feed.name, 0.0))
        due = getattr(feed, "due", None)
        if due is None or feed.name in self.delays or feed.name not in self._ready:
            return not self._halt.wait(timeout)
        due(timeout, self._halt)
        return not self._halt.is_set()

    def _run_feed(self, feed: Feed, loaded: Callable[[], None]) -> None:
        try:
            if not self._halt.is_set() and self._backfill(feed):
                self._ready.add(feed.name)
        finally:
            loaded()
        while self._wait(feed):
            if feed.name in self._ready:
                self._attempt(feed, lambda t, h: tick(feed, self.store, t, health=h))
            elif self._backfill(feed):  # its start-up load failed: retry, don't tick
                self._ready.add(feed.name)
