"""The base of the live adapters: incremental, idempotent loads page by page.

An adapter says how to read its source as a sequence of pages (:meth:`LiveFeed.pages`), each a
:class:`~feeds.common.Batch` of normalized rows plus the checkpoint reached with it. Feeds only
return batches: the runner (:func:`cockpit.data.ingest.load`) stores them, the same way for
every source:

* the checkpoint the load starts from is read from the store (``feed_checkpoints``);
* the pages that arrive together are written in one transaction with the checkpoint of the
  last (``Store.ingest``: a tick is one commit), so a load cut off mid-way resumes where the
  last written page ended;
* a lower bound that includes the checkpoint (``>=``) plus the store's deduplicated writes means
  rows on a page boundary are neither lost nor doubled;
* rejected records are logged with the feed and field; a load that ends short of the total the
  source announced sets :attr:`LiveFeed.partial` (the runner flags it in ``feed_health``);
* a paged load is proven complete, not assumed (:class:`PageTally`): records are counted by
  identity, so a server that ignores the page parameter (page 1 again and again), a cursor that
  does not move, or fewer distinct records than the announced total end the load as
  incomplete, with the reason, never as "ok".

No Qt. Blocking I/O; the :class:`~cockpit.data.ingest.FeedRunner` runs it off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feeds.common import Batch
from feeds.errors import FeedError, Malformed, redact

log = logging.getLogger(__name__)


@dataclass
class Page:
    batch: Batch
    checkpoint: str | None = None  # how far the load got with this page (None: unchanged)
    #: on the last page of a load proven complete: the ids of every alert the source still
    #: lists. The runner clears this feed's open and acknowledged alerts not among them (the
    #: source dropped them), in the page's transaction. None (the default): clear nothing.
    open_alerts: set[str] | None = None


@dataclass
class PageTally:
    """What a paged load has received, by record identity, to prove the load complete.

    An adapter calls :meth:`page` with the identities of each page's records (any hashable: the
    mapped ``(entity_id, metric, ts)``, or a record id the source gives) before it hands the
    page on, :meth:`cursor` with each next cursor, and :meth:`verdict` at the end. Counting
    records received rather than distinct ones is how a server that ignores the page parameter
    passes for complete: page 1 six times is 120 records "of 108"."""

    feed: str
    seen: set[Hashable] = field(default_factory=set)
    received: int = 0  # records received, repeats included (an offset advances by these)
    repeated: int = 0  # records received that this load had already seen
    pages: int = 0
    #: why paging stopped before the end (the load is incomplete), or None
    stop: str | None = None
    _cursors: set[str] = field(default_factory=set)

    @property
    def distinct(self) -> int:
        return len(self.seen)

    def page(self, keys: Sequence[Hashable], where: str, *, param: str | None = None) -> int:
        """Count a page; how many of its records are new to this load. A page of records all
        seen already sets :attr:`stop` (the paging did not advance): the adapter drops the page
        and ends the load. ``where`` names the page (``第 3 页（pageNum=3）``), ``param`` the
        parameter the server seems to ignore."""
        self.pages += 1
        self.received += len(keys)
        fresh = 0
        for key in keys:
            if key in self.seen:
                self.repeated += 1
            else:
                self.seen.add(key)
                fresh += 1
        if keys and not fresh:
            hint = f"，服务端可能忽略了分页参数 {param}" if param else ""
            self.stop = (f"{where}的 {len(keys)} 条记录在本次加载中都已取到过（分页没有前进{hint}）；"
                         f"已取到 {self.distinct} 条不同记录")
            log.warning("feed %s: %s repeats %d records already loaded: paging stopped",
                        self.feed, where, len(keys))
        return fresh

    def cursor(self, cursor: object, used: object = None) -> bool:
        """Note the next cursor; False (and :attr:`stop` set) when it is one this load already
        followed, or the one just ``used``: the cursor did not advance."""
        text = str(cursor)
        if (used is not None and text == str(used)) or text in self._cursors:
            self.stop = (f"下一页游标 {text[:40]!r} 没有前进（本次加载已用过）；"
                         f"已取到 {self.distinct} 条不同记录")
            log.warning("feed %s: the next cursor repeats one already followed", self.feed)
            return False
        if used is not None:
            self._cursors.add(str(used))
        self._cursors.add(text)
        return True

    def verdict(self, total: int | None) -> str | None:
        """Why the load is incomplete (in words for the wall), or None when it is proven
        complete: paging stopped early, fewer distinct records than ``total``, or, without a
        total, records repeated across pages (the pages shifted: some may have been skipped)."""
        if self.stop:
            return self.stop + (f"（服务端声明共 {total} 条）" if total is not None else "")
        if total is not None and self.distinct < total:
            if not self.repeated:
                return f"只取到 {self.distinct}/{total} 条（服务端声明的总数）"
            return (f"只取到 {self.distinct}/{total} 条不同记录（服务端声明的总数；"
                    f"另有 {self.repeated} 条重复）")
        if total is None and self.repeated:
            return (f"分页中 {self.repeated} 条记录重复出现，服务端未给总数，无法确认取全；"
                    f"已取到 {self.distinct} 条不同记录")
        return None


class LiveFeed:
    kind = "live"

    def __init__(self, name: str, interval_s: float, *, secrets: tuple[str, ...] = ()) -> None:
        self.name = name
        self.interval_s = interval_s
        self.secrets = secrets
        #: why the last load was partial (it ended short of the announced total), or None
        self.partial: str | None = None
        #: reasons for records rejected in the last load (the first 20)
        self.rejected: list[str] = []

    # -- the Feed protocol ----------------------------------------------------------------
    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "interval_s": self.interval_s,
                **{k: redact(v, self.secrets) for k, v in self._describe().items()}}

    # -- what the runner reads around a load ----------------------------------------------
    def start_load(self) -> None:
        """Forget the last load's partial reason and rejections (the runner calls it first)."""
        self.partial = None
        self.rejected = []

    def note_rejected(self, batch: Batch) -> int:
        """Log a page's rejected records (the first 20 are kept); how many there were."""
        for reason in batch.rejected:
            log.warning("rejected a record: %s", redact(reason, self.secrets))
        self.rejected += batch.rejected[: max(0, 20 - len(self.rejected))]
        return len(batch.rejected)

    def end_load(self, rejected: int) -> None:
        if rejected and not self.partial:
            self.partial = f"{rejected} 条记录被拒绝：{self.rejected[0]}"

    def guarded_pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        """The adapter's pages; a response of a shape its parsing did not foresee becomes a
        :class:`Malformed` naming the feed, never another exception."""
        return self._guarded(self.pages(since, now))

    def _guarded(self, pages: Iterator[Page]) -> Iterator[Page]:
        """The adapter's pages; a response of a shape its parsing did not foresee becomes a
        :class:`Malformed` naming the feed, never another exception."""
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
                if isinstance(exc, FeedError):
                    raise
                raise Malformed(self.name, "(response)", f"unexpected shape "
                                f"({type(exc).__name__}: {str(exc)[:120]})") from None
            yield page

    def incomplete(self, reason: str) -> None:
        """Flag the load as partial with ``reason`` (paging proven incomplete, see
        :class:`PageTally`); the runner records it in ``feed_health``."""
        self.partial = reason
        log.warning("feed %s: load incomplete: %s", self.name, redact(reason, self.secrets))

    def short_of(self, got: int, total: int | None) -> None:
        """Flag the load as partial when it ended with fewer records than announced."""
        if total is not None and got < total:
            self.partial = f"只取到 {got}/{total} 条（服务端声明的总数）"
            log.warning("feed %s: load ended short: %d of %d announced", self.name, got, total)

    # -- what an adapter provides ---------------------------------------------------------
    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {}
