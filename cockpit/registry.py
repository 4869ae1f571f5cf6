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

from cockpit.metrics import ALERT_CATEGORIES, SEVERITIES

#: Value checks a field can ask for beyond its Python type.
#: "metric"   - one code from cockpit.metrics.METRICS
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
    field_map: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})

    def widget_class(self) -> type:
        return _resolve(self.widget)

    def query_function(self) -> Callable[..., Any]:
        return _resolve(self.query)


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
    query="cockpit.queries:kpi",
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
    query="cockpit.queries:timeseries",
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
    query="cockpit.queries:ranking",
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
    query="cockpit.queries:alerts",
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
        Field("limit", int, default=200, min=1, max=2000, doc="alerts fetched"),
        Field("source_crs", str, default="wgs84", choices=("wgs84", "gcj02", "bd09"),
              doc="coordinate system of the cached lat/lon (converted to the map's GCJ-02)"),
        Field("drilldown", bool, default=True,
              doc="a click on a district filters the other panels of the screen to it"),
    ),
    widget="widgets.map:MapPanel",
    query="maps.layers:map_layers",
))
