"""A load's pages that arrive together are written together (issue 18: one commit per tick,
with its health row; a backfill of a hundred pages in a few commits), and nothing of what the
page-by-page writes promised is given up: a page that fails to arrive or that the cache
refuses leaves the pages before it written with their checkpoint, a slow source's pages go in
as they come, a halted load writes nothing more, and a later state of an entity or an alert
wins over an earlier one. A real DuckDB file and the real runner; the feed is a scripted
:class:`feeds.base.LiveFeed` (its pages are the input under test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from cockpit.data import ingest
from cockpit.data.ingest import load
from cockpit.data.store import Health, Store
from feeds.base import LiveFeed, Page
from feeds.common import Batch
from feeds.errors import FeedError

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def page(k: int, rows: int = 3, *, entity_status: str | None = None,
         bad_alert: bool = False) -> Page:
    batch = Batch("f")
    for i in range(rows):
        batch.observe(T0 + timedelta(minutes=k * rows + i), f"e{i % 2}", "aqi", float(k),
                      district="370702")
    if entity_status is not None:
        batch.entities.append({"entity_id": "pump-1", "entity_type": "pump", "name": "一号泵",
                               "status": entity_status})
    if bad_alert:
        batch.alerts.append({"alert_id": "a1", "ts": None, "severity": "major"})
    return Page(batch, checkpoint=f"cp{k}")


class Scripted(LiveFeed):
    """Hands out ``script``'s pages (a callable raises instead: a page that fails to arrive)."""

    kind = "scripted"

    def __init__(self, script: list[Page | Callable[[], Page]]) -> None:
        super().__init__("f", 60.0)
        self.script = script
        self.acknowledged: list[str | None] = []

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        for item in self.script:
            yield item() if callable(item) else item

    def committed(self, done: Page) -> None:
        self.acknowledged.append(done.checkpoint)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "c.duckdb") as s:
        yield s


def commits(store: Store) -> list[int]:
    """Counts the store's ingests (each is one transaction) as they happen."""
    calls: list[int] = []
    original = store.ingest

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    store.ingest = counted  # type: ignore[method-assign]
    return calls


def count(store: Store) -> int:
    return store.reader().execute("SELECT count(*) FROM observations").fetchone()[0]


def health_of(store: Store) -> tuple:
    return store.reader().execute(
        "SELECT last_attempt, rows, partial FROM feed_health WHERE feed = 'f'").fetchone()


def test_a_ticks_pages_go_in_one_commit_with_the_health_row(store):
    feed = Scripted([page(k) for k in range(5)])
    done = commits(store)
    asked: list[Health] = []

    def health(partial):
        asked.append(Health(attempt=T0, latency_ms=5.0, partial=partial is not None))
        return asked[-1]

    assert load(feed, store, T0, health=health) == 15
    assert len(done) == 1 and len(asked) == 1  # one commit, the health in it
    assert health_of(store) == (T0, 15, False)
    assert store.checkpoint("f") == "cp4" and count(store) == 15
    assert feed.acknowledged == ["cp0", "cp1", "cp2", "cp3", "cp4"]  # each page, once written


def test_a_backfill_goes_in_commits_of_at_most_group_rows(store, monkeypatch):
    monkeypatch.setattr(ingest, "GROUP_ROWS", 10)
    feed = Scripted([page(k) for k in range(10)])  # 3 rows a page: 4 pages a commit
    done = commits(store)
    asked = []
    assert load(feed, store, T0, health=lambda p: asked.append(p)) == 30
    assert len(done) == 3 and asked == []  # several commits: the runner records the health
    assert store.checkpoint("f") == "cp9" and count(store) == 30


def test_a_slow_sources_pages_go_in_as_they_come(store, monkeypatch):
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 0.0)
    feed = Scripted([page(k) for k in range(4)])
    done = commits(store)
    assert load(feed, store, T0) == 12
    assert len(done) == 4 and store.checkpoint("f") == "cp3"


def test_a_page_that_fails_to_arrive_leaves_the_pages_before_it_written(store):
    def broken() -> Page:
        raise FeedError("f", "HTTP 503 on page 4")

    feed = Scripted([page(0), page(1), page(2), broken, page(4)])
    with pytest.raises(FeedError, match="page 4"):
        load(feed, store, T0)
    assert count(store) == 9 and store.checkpoint("f") == "cp2"
    assert feed.acknowledged == ["cp0", "cp1", "cp2"]


def test_a_page_the_cache_refuses_leaves_the_pages_before_it_written_and_says_why(store):
    feed = Scripted([page(0), page(1), page(2, bad_alert=True), page(3)])
    done = commits(store)
    with pytest.raises(duckdb.Error, match="NOT NULL"):
        load(feed, store, T0, health=lambda p: Health(attempt=T0, latency_ms=1.0))
    # the group was refused, then its pages went in one by one up to the refused one
    assert count(store) == 6 and store.checkpoint("f") == "cp1"
    assert feed.acknowledged == ["cp0", "cp1"]
    assert len(done) == 1 + 3
    assert health_of(store) is None  # the attempt failed: the runner records that, not a success


def test_a_halted_load_writes_nothing_more_and_the_next_load_fetches_it_again(store):
    halt = [False]

    def halting() -> Page:
        halt[0] = True  # the --once deadline passes while this page is being fetched
        return page(2)

    feed = Scripted([page(0), page(1), halting, page(3)])
    assert load(feed, store, T0, halted=lambda: halt[0]) == 0
    assert count(store) == 0 and store.checkpoint("f") is None and feed.acknowledged == []
    assert "截止时间" in feed.partial
    halt[0] = False
    feed.script = [page(k) for k in range(4)]
    assert load(feed, store, T0, halted=lambda: halt[0]) == 12


def test_the_last_state_of_an_entity_wins_within_a_commit_and_within_a_page(store):
    feed = Scripted([page(0, entity_status="online"), page(1, entity_status="fault")])
    load(feed, store, T0)
    status = "SELECT status FROM entities WHERE entity_id = 'pump-1'"
    assert store.reader().execute(status).fetchall() == [("fault",)]
    twice = page(2, entity_status="online")
    twice.batch.entities.append({**twice.batch.entities[0], "status": "offline"})
    load(Scripted([twice]), store, T0)
    assert store.reader().execute(status).fetchall() == [("offline",)]
