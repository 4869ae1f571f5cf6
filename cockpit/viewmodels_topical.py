"""View-models of the topical walls' panel kinds (gauge, progress, bar/stacked, table, ticker,
header). Plain frozen values built off the GUI thread by :mod:`cockpit.queries_topical`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cockpit.numopts import NumberStyle


@dataclass(frozen=True)
class GaugeVM:
    name: str
    value: float | None  # the raw figure (a rate in %, or a count against its target)
    percent: float | None  # where the ring ends, 0..100+ (the rate, or value / target)
    target: float | None  # the target, in the same unit as value
    target_percent: float | None  # the target's place on the ring (None: no mark)
    previous: float | None  # the figure to compare with (compare option), None when unknown
    default_decimals: int
    style: NumberStyle
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class ProgressRow:
    code: str
    name: str
    value: float | None
    target: float | None
    unit: str

    @property
    def percent(self) -> float | None:
        if self.value is None or not self.target:
            return None
        return self.value / self.target * 100


@dataclass(frozen=True)
class ProgressVM:
    rows: tuple[ProgressRow, ...]
    pace: float | None  # 序时进度: the share of the year gone by at the period's end, in %
    period: str
    style: NumberStyle  # thresholds apply to the completion rate (or the value, see measure)
    as_of: datetime | None
    source: str
    measure: str = "rate"  # "rate" (value / target) or "value" (the figure itself)


@dataclass(frozen=True)
class BarSeries:
    name: str
    values: tuple[float | None, ...]  # one per category


@dataclass(frozen=True)
class BarVM:
    categories: tuple[str, ...]
    series: tuple[BarSeries, ...]
    stacked: bool
    unit: str
    default_decimals: int
    style: NumberStyle
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class TableVM:
    headers: tuple[str, ...]
    aligns: tuple[str, ...]  # "left" or "right" per column
    rows: tuple[tuple[str, ...], ...]  # every cell already as text
    levels: tuple[str | None, ...]  # per row: None, or a colour role ("bad", "warn", "good")
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class TickerVM:
    items: tuple[str, ...]
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class HeaderVM:
    summary: tuple[tuple[str, str, str], ...]  # (label, value text, colour role or "")
    as_of: datetime | None
    source: str
