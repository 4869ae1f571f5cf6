"""The one registry of panel kinds.

Layout validation (no Qt) reads a kind's declared fields from here; the wall asks it for the
kind's widget class (imported lazily, so this module never imports Qt) and its query function.
A new kind is one widget module, one query function and one ``register`` call below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cockpit.model.metrics import ALERT_CATEGORIES, SEVERITIES

#: Value checks a field can ask for beyond its Python type.
#: "metric"   - one code from cockpit.model.metrics.METRICS
#: "metrics"  - a non-empty list of such codes
#: "district" - a 6-digit code of Weifang or the city code
CHECKS = ("metric", "metrics", "district")


@dataclass(frozen=True)
class Field:
    name: str
    type: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    check: str | None = None  # one of CHECKS
    choices: tuple[Any, ...] | None = None  # every value (or every list item) must be one of these
    min: float | None = None
    max: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class PanelKind:
    name: str
    doc: str
    fields: tuple[Field, ...]
    widget: str  # "module:Class", imported only by the wall
    query: str  # "module:function", (cursor, PanelSpec, now) -> view-model
    #: "module:function", (cursor, [PanelSpec], now) -> {panel id: view-model}: several panels
    #: at once — of this kind and of every kind naming the same function — each answered as
    #: its ``query`` answers it (fewer statements); or "".
    batch: str = ""
    field_map: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})

    def widget_class(self) -> type:
        return _resolve(self.widget)

    def query_function(self) -> Callable[..., Any]:
        return _resolve(self.query)

    def batch_function(self) -> Callable[..., Any] | None:
        return _resolve(self.batch) if self.batch else None


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, PanelKind] = {}

    def register(self, kind: PanelKind) -> PanelKind:
        if kind.name in self._kinds:
            raise ValueError(f"panel kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str) -> PanelKind:
        return self._kinds[name]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def names(self) -> list[str]:
        return sorted(self._kinds)


PANEL_KINDS = Registry()

_DISTRICT = Field("district", str, default="370700", check="district",
                  doc="district code to show; 370700 (the default) is the whole city")

PANEL_KINDS.register(PanelKind(
    name="kpi",
    doc="A big number with unit, delta against the same time yesterday, and a sparkline.",
    fields=(
        Field("metric", str, required=True, check="metric", doc="metric code"),
        _DISTRICT,
        Field("sparkline_hours", (int, float), default=6, min=0, max=72,
              doc="hours of history in the sparkline; 0 hides it"),
        Field("decimals", int, default=None, min=0, max=4, doc="overrides the metric's decimals"),
    ),
    widget="widgets.kpi:KpiPanel",
    query="cockpit.panels.observations:kpi",
    batch="cockpit.panels.observations:read_together",
))

PANEL_KINDS.register(PanelKind(
    name="timeseries",
    doc="One or more metrics over time on a shared time axis.",
    fields=(
        Field("metrics", list, required=True, check="metrics", doc="metric codes, one line each"),
        _DISTRICT,
        Field("hours", (int, float), default=24, min=1, max=168, doc="time window"),
        Field("bucket_minutes", int, default=10, min=1, max=240, doc="averaging bucket"),
    ),
    widget="widgets.timeseries:TimeseriesPanel",
    query="cockpit.panels.observations:timeseries",
    batch="cockpit.panels.observations:read_together",
))

PANEL_KINDS.register(PanelKind(
    name="ranking",
    doc="Horizontal bars of a metric's latest value by district.",
    fields=(
        Field("metric", str, required=True, check="metric", doc="metric code"),
        Field("top", int, default=12, min=1, max=12, doc="how many districts"),
        Field("order", str, default="desc", choices=("desc", "asc"), doc="largest or smallest first"),
    ),
    widget="widgets.ranking:RankingPanel",
    query="cockpit.panels.observations:ranking",
))

PANEL_KINDS.register(PanelKind(
    name="alerts",
    doc="Open alerts, newest first, coloured by severity; critical ones flash until acknowledged.",
    fields=(
        _DISTRICT,
        Field("severities", list, default=list(SEVERITIES), choices=SEVERITIES,
              doc="severities to list"),
        Field("categories", list, default=list(ALERT_CATEGORIES), choices=tuple(ALERT_CATEGORIES),
              doc="categories to list"),
        Field("limit", int, default=30, min=1, max=200, doc="rows fetched"),
    ),
    widget="widgets.alerts:AlertsPanel",
    query="cockpit.panels.alerts:alerts",
))


# -- the topical walls (issue 5): number options shared by every numeric kind -----------------
from cockpit.model.numbers import COMPARES, FORMATS  # noqa: E402 (the kinds of this block need them)

#: Declared once, appended to the fields of every numeric kind below.
NUMBER_FIELDS: tuple[Field, ...] = (
    Field("unit", str, default=None,
          doc="unit shown after the figure; overrides the indicator's or metric's own"),
    Field("number_format", str, default="auto", choices=FORMATS,
          doc="auto: 万/亿 when large; plain: digits with separators; wan / yi: always in 万 / "
              "亿; percent: the value is a rate, shown with %"),
    Field("decimals", int, default=None, min=0, max=4,
          doc="decimal places (scaled 万/亿 figures show two unless set)"),
    Field("thresholds", list, default=None, min=-1e15, max=1e15,
          doc="numbers that colour the value: below the lowest bad, between warn, from the "
              "highest good (the other way round when higher_is_better is false)"),
    Field("higher_is_better", bool, default=True, doc="which side of the thresholds is good"),
    Field("value_map", dict, default=None,
          doc='value -> text shown instead, e.g. { "0" = "无故障" }; the key "missing" maps a '
              "missing value"),
    Field("compare", str, default="none", choices=COMPARES,
          doc="comparison shown: dod 较昨日, mom 环比 (previous period), yoy 同比 (a year "
              "before); — where the data has no such history"),
)
_REGION = Field("region", str, default="370700", check="district",
                doc="region of the indicator; 370700 (the default) is the whole city")
_INDICATORS = Field("indicators", list, default=None,
                    doc="indicator codes (rows of the indicators table), in the order shown")
_PREFIX = Field("prefix", str, default=None,
                doc="instead of indicators: every indicator whose code starts with this")

#: Every column key a table source offers (cockpit.panels.records.TABLE_SOURCES; a test keeps
#: the two in step). Projects: name district industry stage investment funds funds_rate;
#: enterprises: name district industry output output_growth tax power; parks: name district
#: enterprises revenue growth; milestones: name date status; risk_points: name district
#: category level status; device_faults: name district kind fault hours.
TABLE_COLUMNS = ("name", "district", "industry", "stage", "investment", "funds", "funds_rate",
                 "output", "output_growth", "tax", "power", "enterprises", "revenue", "growth",
                 "date", "status", "category", "level", "kind", "fault", "hours")

PANEL_KINDS.register(PanelKind(
    name="gauge",
    doc="A ring of a rate against its target (online rate, completion rate), coloured by "
        "thresholds; an indicator's value against its target, or a live metric.",
    fields=(
        Field("indicator", str, default=None, doc="indicator code (or give metric)"),
        Field("metric", str, default=None, check="metric", doc="live metric code instead"),
        _REGION,
        Field("target", (int, float), default=None, min=0,
              doc="target; overrides the indicator's own"),
        *NUMBER_FIELDS,
    ),
    widget="widgets.gauge:GaugePanel",
    query="cockpit.panels.indicators:gauge",
))

PANEL_KINDS.register(PanelKind(
    name="progress",
    doc="Several indicators against their annual targets (年度目标完成率), sorted, with the line "
        "of the year's elapsed time (序时进度).",
    fields=(
        _INDICATORS, _PREFIX, _REGION,
        Field("sort", str, default="desc", choices=("desc", "asc", "none"),
              doc="by completion rate, or as listed"),
        Field("pace_line", bool, default=True, doc="draw the 序时进度 line"),
        Field("measure", str, default="rate", choices=("rate", "value"),
              doc="rate: value / target in % (thresholds read it); value: the figure itself "
                  "(scores), the bar full at the target"),
        *NUMBER_FIELDS,
    ),
    widget="widgets.progress:ProgressPanel",
    query="cockpit.panels.indicators:progress",
))

_BAR_FIELDS = (
    _INDICATORS, _PREFIX, _REGION,
    Field("by", str, default="indicator", choices=("indicator", "region"),
          doc="categories: the indicators (of region), or the districts"),
    Field("sort", str, default="none", choices=("desc", "asc", "none"),
          doc="order districts by their total"),
    *NUMBER_FIELDS,
)

PANEL_KINDS.register(PanelKind(
    name="bar",
    doc="Vertical bars of categories or districts, grouped; with compare, this period beside "
        "the one compared with.",
    fields=_BAR_FIELDS,
    widget="widgets.bars:BarPanel",
    query="cockpit.panels.indicators:bars",
))

PANEL_KINDS.register(PanelKind(
    name="stacked",
    doc="Vertical bars of districts or categories with the indicators stacked (e.g. projects "
        "signed, started, in production).",
    fields=_BAR_FIELDS,
    widget="widgets.bars:BarPanel",
    query="cockpit.panels.indicators:stacked",
))

PANEL_KINDS.register(PanelKind(
    name="table",
    doc="Rows of a list (key projects, enterprises, milestones); when more rows than fit, they "
        "move up one at a time, every few seconds.",
    fields=(
        Field("source", str, required=True,
              choices=("projects", "enterprises", "parks", "milestones", "risk_points",
                       "device_faults"), doc="which list"),
        Field("columns", list, default=None, choices=TABLE_COLUMNS,
              doc="columns to show, in order (those the source has; default: all of them)"),
        Field("sort_by", str, default=None, choices=TABLE_COLUMNS,
              doc="column to sort by (largest first; levels by rank, dates forward)"),
        Field("limit", int, default=50, min=1, max=200, doc="rows fetched"),
        Field("scroll_seconds", (int, float), default=6, min=2, max=60,
              doc="seconds between one-row steps"),
    ),
    widget="widgets.table:TablePanel",
    query="cockpit.panels.records:table",
))

PANEL_KINDS.register(PanelKind(
    name="ticker",
    doc="A line of headlines moving slowly right to left (12345 topics, public opinion, alerts).",
    fields=(
        Field("source", str, default="hotline_topics",
              choices=("hotline_topics", "opinion", "alerts"), doc="what the headlines are"),
        Field("limit", int, default=12, min=1, max=50, doc="headlines"),
        Field("speed", (int, float), default=40, min=10, max=120,
              doc="pixels per second at 1920x1080"),
    ),
    widget="widgets.ticker:TickerPanel",
    query="cockpit.panels.records:ticker",
))

PANEL_KINDS.register(PanelKind(
    name="header",
    doc="A title bar: city and the panel title (the layout's name), date and time, and a "
        "weather-style summary of live metrics.",
    fields=(
        Field("summary_metrics", list, default=["aqi", "pm25", "congestion"], check="metrics",
              doc="live metrics summarised on the right"),
    ),
    widget="widgets.header_panel:HeaderPanel",
    query="cockpit.panels.indicators:header",
))

PANEL_KINDS.register(PanelKind(
    name="feeds",
    doc="The data sources' status strip: each feed's state (正常/部分/故障), when it last "
        "delivered and its last error, failing ones first.",
    fields=(
        Field("feeds", list, default=[], doc="feed names to show; empty shows every feed"),
        Field("limit", int, default=12, min=1, max=50, doc="rows at most"),
    ),
    widget="widgets.feed_health:FeedsPanel",
    query="cockpit.panels.feed_health:feeds",
))

PANEL_KINDS.register(PanelKind(
    name="map",
    doc="Weifang's districts with live layers: a district choropleth with legend, IoT devices by "
        "status, alerts pulsing by severity, an optional heat layer. Click a district to drill in.",
    fields=(
        Field("metric", str, default="aqi", check="metric",
              doc="metric coloured by district (choropleth)"),
        Field("layers", list, default=["districts", "devices", "alerts"],
              choices=("districts", "devices", "alerts", "heat"), doc="layers shown"),
        Field("severities", list, default=list(SEVERITIES), choices=SEVERITIES,
              doc="alert severities shown"),
        Field("categories", list, default=[], choices=tuple(ALERT_CATEGORIES),
              doc="alert categories shown (e.g. [\"fire\"]); left out: every alert, whatever its "
                  "category"),
        Field("device_types", list, default=[],
              doc="entity types shown on the devices layer (e.g. [\"fire_unit\"]); left out: all"),
        Field("limit", int, default=200, min=1, max=2000, doc="alerts fetched"),
        Field("source_crs", str, default="wgs84", choices=("wgs84", "gcj02", "bd09"),
              doc="coordinate system of the cached lat/lon (converted to the map's GCJ-02)"),
        Field("drilldown", bool, default=True,
              doc="a click on a district filters the other panels of the screen to it"),
    ),
    widget="widgets.map:MapPanel",
    query="cockpit.panels.map:map_layers",
))


# -- the charts of Chinese city big screens (issue 17): shares, flows, multi-criteria scores ---
#: The number options of a chart whose figures have no one period to compare (stages, axes).
_NO_COMPARE = tuple(f for f in NUMBER_FIELDS if f.name != "compare")

PANEL_KINDS.register(PanelKind(
    name="ring",
    doc="A ring (环形图) of shares: each indicator a slice with its share (%) and value, a "
        "legend with the names, the total in the hole (thresholds colour it; compare puts the "
        "total against the period compared with under it).",
    fields=(
        Field("indicators", list, default=None,
              doc="indicator codes (rows of the indicators table): the slices, in order"),
        Field("prefix", str, default=None,
              doc="instead of indicators: every indicator whose code starts with this"),
        _REGION,
        Field("center", str, default=None,
              doc='text under the total in the hole, e.g. "参保总数"'),
        *NUMBER_FIELDS,
    ),
    widget="widgets.ring:RingPanel",
    query="cockpit.panels.indicators:ring",
))

PANEL_KINDS.register(PanelKind(
    name="funnel",
    doc="A funnel (漏斗图) of a case or service flow: each stage's value, top to bottom, with "
        "the conversion rate from the stage before and overall (thresholds colour the rates).",
    fields=(
        Field("indicators", list, default=None,
              doc="indicator codes (rows of the indicators table): the stages, top to bottom"),
        Field("prefix", str, default=None,
              doc="instead of indicators: every indicator whose code starts with this, in "
                  "code order"),
        _REGION,
        *_NO_COMPARE,
    ),
    widget="widgets.funnel:FunnelPanel",
    query="cockpit.panels.indicators:funnel",
))

PANEL_KINDS.register(PanelKind(
    name="radar",
    doc="A radar (雷达图) of multi-criteria scores: one axis per indicator, one polygon per "
        "region (up to three overlaid); with one region each axis shows its figure (thresholds "
        "colour it).",
    fields=(
        Field("indicators", list, default=None,
              doc="indicator codes (rows of the indicators table): the axes, clockwise from the top"),
        Field("prefix", str, default=None,
              doc="instead of indicators: every indicator whose code starts with this"),
        _REGION,
        Field("regions", list, default=None, check="district",
              doc="regions drawn as overlaid polygons, at most three (default: region alone)"),
        Field("scale", str, default="target", choices=("target", "max"),
              doc="target: each axis is value / target in % (capped at 120); max: value / the "
                  "largest value of the regions shown, in %"),
        *_NO_COMPARE,
    ),
    widget="widgets.radar:RadarPanel",
    query="cockpit.panels.indicators:radar",
))
