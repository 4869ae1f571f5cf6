"""View-models: the small, plain values a panel widget draws. Built off the GUI thread by
:mod:`cockpit.queries`; compared by value so a widget repaints only when its data changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class KpiVM:
    value: float | None
    unit: str
    decimals: int
    as_of: datetime | None  # timestamp of the newest data behind the figure
    previous: float | None  # the same time yesterday
    spark: tuple[float, ...]
    good: str  # "up", "down" or "neutral": which way is good
    economic: bool
    source: str  # feed(s) the figure comes from, named when it goes stale


@dataclass(frozen=True)
class Series:
    name: str
    unit: str
    decimals: int
    times: tuple[float, ...]  # epoch seconds
    values: tuple[float, ...]


@dataclass(frozen=True)
class SeriesVM:
    series: tuple[Series, ...]
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class RankingRow:
    district: str
    name: str
    value: float


@dataclass(frozen=True)
class RankingVM:
    rows: tuple[RankingRow, ...]
    unit: str
    decimals: int
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class AlertRow:
    alert_id: str
    ts: datetime
    severity: str
    category: str
    title: str
    district: str  # display name
    state: str  # open, acked


@dataclass(frozen=True)
class AlertsVM:
    rows: tuple[AlertRow, ...]
    counts: tuple[tuple[str, int], ...]  # open alerts per severity, in severity order
    as_of: datetime | None
    source: str

    @property
    def unacked_critical(self) -> tuple[str, ...]:
        return tuple(r.alert_id for r in self.rows if r.severity == "critical" and r.state == "open")


@dataclass(frozen=True)
class FeedRow:
    feed: str
    state: str  # "ok", "partial" or "failing"
    last_success: datetime | None
    last_attempt: datetime | None
    error: str | None  # redacted when recorded
    rows: int


@dataclass(frozen=True)
class FeedsVM:
    rows: tuple[FeedRow, ...]
    as_of: datetime | None  # the newest attempt of any feed: the runner itself is alive
    source: str
