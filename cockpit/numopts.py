"""Number options shared by every numeric panel kind of the topical walls: unit, Chinese number
format (万, 亿, percentages), decimals, thresholds that colour a value, value mappings and the
comparison shown (day over day, 同比 year over year, 环比 month over month).

The fields are declared once (``NUMBER_FIELDS`` in :mod:`cockpit.registry`) and appended to each
numeric kind's own fields; :class:`NumberStyle` is what a query hands to the view-model, and its methods
turn a raw value into the text and the colour role a widget draws. Pure Python, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cockpit.numbers import PLACEHOLDER, format_value

FORMATS = ("auto", "plain", "wan", "yi", "percent")
COMPARES = ("none", "dod", "mom", "yoy")
#: How each comparison is labelled on the wall.
COMPARE_LABELS = {"dod": "较昨日", "mom": "环比", "yoy": "同比"}



def _missing(value: float | None) -> bool:
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except (TypeError, ValueError):
        return True


@dataclass(frozen=True)
class NumberStyle:
    """How a panel writes its numbers; built from a PanelSpec by :func:`number_style`."""

    unit: str = ""
    number_format: str = "auto"
    decimals: int | None = None
    thresholds: tuple[float, ...] = ()
    higher_is_better: bool = True
    value_map: tuple[tuple[str, str], ...] = ()
    compare: str = "none"

    def parts(self, value: float | None, default_decimals: int = 0) -> tuple[str, str]:
        """(digits or mapped text, magnitude + unit) as drawn: ("1.23", "万元"), ("—", "")."""
        mapped = self.mapped(value, default_decimals)
        if mapped is not None:
            return mapped, ""
        if _missing(value):
            return PLACEHOLDER, ""
        value = float(value)
        places = default_decimals if self.decimals is None else self.decimals
        fmt = self.number_format
        if fmt == "wan" or fmt == "yi":
            scale, mag = (1e4, "万") if fmt == "wan" else (1e8, "亿")
            digits, _ = format_value(value / scale, 2 if self.decimals is None else self.decimals,
                                     magnitude=False)
            return digits, mag + self.unit
        if fmt == "plain":
            return format_value(value, places, magnitude=False)[0], self.unit
        if fmt == "percent":
            unit = self.unit if self.unit and self.unit != "%" else ""
            return format_value(value, places, magnitude=False)[0], "%" + unit
        digits, mag = format_value(value, places)
        if mag and self.decimals is not None:
            digits, _ = format_value(value / (1e4 if mag == "万" else 1e8), self.decimals,
                                     magnitude=False)
        return digits, mag + self.unit

    def text(self, value: float | None, default_decimals: int = 0) -> str:
        digits, unit = self.parts(value, default_decimals)
        return digits if digits == PLACEHOLDER else digits + unit

    def mapped(self, value: float | None, default_decimals: int = 0) -> str | None:
        """The value mapping's text for ``value``, if one applies."""
        if not self.value_map:
            return None
        table = dict(self.value_map)
        if _missing(value):
            return table.get("missing")
        places = default_decimals if self.decimals is None else self.decimals
        for key in (format_value(value, places, magnitude=False)[0].replace(",", ""),
                    repr(float(value)), str(int(value)) if float(value).is_integer() else None):
            if key is not None and key in table:
                return table[key]
        return None

    def level(self, value: float | None) -> str | None:
        """"bad", "warn" or "good" by the thresholds, or None (no thresholds, no value)."""
        if not self.thresholds or _missing(value):
            return None
        steps = sorted(self.thresholds)
        passed = sum(1 for t in steps if value >= t)
        if not self.higher_is_better:
            passed = sum(1 for t in steps if value <= t)
        if passed == len(steps):
            return "good"
        if passed == 0:
            return "bad"
        return "warn"

    def comparison(self, current: float | None, previous: float | None) -> str | None:
        """"同比 ▲ 5.2%", "环比 —" (no history), or None when no comparison is asked for."""
        if self.compare == "none":
            return None
        label = COMPARE_LABELS[self.compare]
        if _missing(current) or _missing(previous):
            return f"{label} {PLACEHOLDER}"
        diff = float(current) - float(previous)
        if previous == 0:
            return f"{label} 持平" if diff == 0 else f"{label} {'▲' if diff > 0 else '▼'} 新增"
        pct = diff / abs(previous) * 100
        if abs(pct) < 0.05:
            return f"{label} 持平"
        return f"{label} {'▲' if pct > 0 else '▼'} {abs(pct):.1f}%"


#: Theme colour of each threshold level.
LEVEL_COLORS = {"bad": "bad", "warn": "minor", "good": "good"}


def number_style(spec, fallback_unit: str = "") -> NumberStyle:
    """The NumberStyle a panel's fields ask for (``fallback_unit`` from the data)."""
    unit = spec.get("unit")
    vmap = spec.get("value_map") or {}
    return NumberStyle(
        unit=fallback_unit if unit is None else unit,
        number_format=spec.get("number_format") or "auto",
        decimals=spec.get("decimals"),
        thresholds=tuple(float(t) for t in (spec.get("thresholds") or ())),
        higher_is_better=bool(spec.get("higher_is_better", True)),
        value_map=tuple(sorted((str(k), str(v)) for k, v in vmap.items())),
        compare=spec.get("compare") or "none",
    )
