"""View-models: the small, plain values a panel widget draws. Built off the GUI thread by
the queries of :mod:`cockpit.panels`; compared by value so a widget repaints only when its data changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cockpit.model.numbers import NumberStyle


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


# -- ring, funnel, radar (issue 17) -----------------------------------------------------------
@dataclass(frozen=True)
class RingSlice:
    code: str
    name: str
    value: float | None  # None: not reported (shown as "—", no arc)
    share: float | None  # % of the total; None when the value or the total is unknown


@dataclass(frozen=True)
class RingVM:
    slices: tuple[RingSlice, ...]  # in the order the panel lists them
    total: float | None  # the sum of the reported slices; None when units differ or none reported
    unit: str
    center: str  # text under the total in the hole ("" for none)
    default_decimals: int
    style: NumberStyle
    as_of: datetime | None
    source: str
    previous: float | None = None  # the total of the period compared with (compare option)


@dataclass(frozen=True)
class FunnelStage:
    code: str
    name: str
    value: float | None
    rate: float | None  # % of the stage before (None for the first stage, or when unknown)


@dataclass(frozen=True)
class FunnelVM:
    stages: tuple[FunnelStage, ...]  # top to bottom
    overall: float | None  # the last stage as % of the first
    unit: str
    default_decimals: int
    style: NumberStyle
    as_of: datetime | None
    source: str


#: The most a radar point reaches on the "target" scale: 120 % of the target.
RADAR_CAP = 120.0


@dataclass(frozen=True)
class RadarAxis:
    code: str
    name: str
    unit: str


@dataclass(frozen=True)
class RadarSeries:
    region: str  # district code (370700 for the whole city)
    name: str  # its display name
    values: tuple[float | None, ...]  # one raw figure per axis
    scaled: tuple[float | None, ...]  # one point per axis, 0..120 (100 = the target, or the max)


@dataclass(frozen=True)
class RadarVM:
    axes: tuple[RadarAxis, ...]  # clockwise from the top
    series: tuple[RadarSeries, ...]  # up to three overlaid polygons
    scale: str  # "target" or "max": what 100 on an axis means
    default_decimals: int
    style: NumberStyle
    as_of: datetime | None
    source: str
    left_out: tuple[str, ...] = ()  # names of regions asked for beyond the three drawn
