"""The map's layers as the page draws them: the view-model, colours, the choropleth and its legend,
points in the map's coordinate system. The query that fills them is the map panel's
(:mod:`cockpit.panels.map`); every feed text is escaped with :func:`maps.escape.safe_text`
before it reaches the payload. No Qt, no DuckDB.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from cockpit.model.metrics import (
    METRICS,
)
from cockpit.model.numbers import format_value as _format_value
from maps.coords import convert
from maps.escape import safe_text
from maps.page import DRAW_CRS

LAYERS = ("districts", "devices", "alerts", "heat")
STATUS_NAMES = {"online": "在线", "offline": "离线", "fault": "故障"}
STATUS_COLORS = {"online": "#22c55e", "offline": "#64748b", "fault": "#ef4444"}
ROBOTS = ("patrol_robot", "disinfect_robot")
DEVICE_NAMES = {"patrol_robot": "巡逻机器人", "disinfect_robot": "消杀机器人"}
#: China's AQI classes (HJ 633-2012): upper bound, label, colour.
AQI_CLASSES = ((50, "优", "#16a34a"), (100, "良", "#ca8a04"), (150, "轻度污染", "#ea580c"),
               (200, "中度污染", "#dc2626"), (300, "重度污染", "#7e22ce"), (1e9, "严重污染", "#7f1d1d"))
RAMP = ("#1e3a8a", "#1d4ed8", "#0891b2", "#f59e0b", "#dc2626")  # low -> high, five classes
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class MapVM:
    payload: str  # JSON for cockpit.apply() in the page
    as_of: datetime | None
    source: str
    devices: int
    alerts: int


def format_value(value: float, decimals: int) -> str:
    return "".join(_format_value(value, decimals))


def _color(value: str, fallback: str = "#64748b") -> str:
    """Only plain #rrggbb reaches a style attribute."""
    return value if isinstance(value, str) and _COLOR.match(value) else fallback


def _point(lat, lon, src: str) -> tuple[float, float] | None:
    """(lat, lon) in the map's system; None (not drawn) without a finite position: a NaN would
    make the payload invalid JSON and the page would drop the whole push."""
    if lat is None or lon is None:
        return None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    x, y = convert(lon, lat, src, DRAW_CRS)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return round(y, 6), round(x, 6)


def choropleth(values: dict[str, float], metric: str) -> tuple[dict[str, str], dict]:
    """Colour per district and the legend for a metric's latest district values. A value that
    is not a finite number (NaN, ±inf: refused by feeds and snapshots, but a cache is not
    trusted to be clean) gets no colour, as a district without data."""
    m = METRICS[metric]
    values = {code: v for code, v in values.items() if isinstance(v, int | float) and math.isfinite(v)}
    if metric == "aqi":
        colors = {code: next((col for top, _, col in AQI_CLASSES if v <= top), AQI_CLASSES[-1][2])
                  for code, v in values.items()}  # beyond the last bound: the last class
        items = [[col, safe_text(f"{label}（≤{top:g}）" if top < 1e9 else f"{label}（>300）")]
                 for top, label, col in AQI_CLASSES]
        return colors, {"title": safe_text(m.name), "items": items}
    if not values:
        return {}, {"title": safe_text(m.name), "items": []}
    lo, hi = min(values.values()), max(values.values())
    span = (hi - lo) or 1.0
    colors = {code: RAMP[min(len(RAMP) - 1, int((v - lo) / span * len(RAMP)))] for code, v in values.items()}
    step = span / len(RAMP)
    unit = f" {m.unit}" if m.unit else ""
    items = [[RAMP[i], safe_text(f"{format_value(lo + i * step, m.decimals)}–"
                                 f"{format_value(lo + (i + 1) * step, m.decimals)}{unit}")]
             for i in range(len(RAMP))]
    return colors, {"title": safe_text(m.name), "items": items}
