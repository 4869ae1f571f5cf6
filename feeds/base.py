"""The base of the live adapters: incremental, idempotent loads page by page.

An adapter says how to read its source as a sequence of pages (:meth:`LiveFeed.pages`), each a
:class:`~feeds.common.Batch` of normalized rows plus the checkpoint reached with it. Feeds only
return batches: the runner (:func:`cockpit.data.ingest.load`) stores them, the same way for
every source:

* the checkpoint the load starts from is read from the store (``feed_checkpoints``);
* each page is written with its checkpoint in one transaction (``Store.ingest``), so a load
  cut off mid-way resumes where the last written page ended;
* a lower bound that includes the checkpoint (``>=``) plus the store's deduplicated writes means
  rows on a page boundary are neither lost nor doubled;
* rejected records are logged with the feed and field; a load that ends short of the total the
  source announced sets :attr:`LiveFeed.partial` (the runner flags it in ``feed_health``).

No Qt. Blocking I/O; the :class:`~cockpit.data.ingest.FeedRunner` runs it off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.common import Batch
from feeds.errors import FeedError, Malformed, redact

log = logging.getLogger(__name__)


@dataclass
class Page:
    batch: Batch
    checkpoint: str | None = None  # how far the load got with this page (None: unchanged)


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
