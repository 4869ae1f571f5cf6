"""Numbers on the wall: Chinese magnitudes (万, 亿), decimals, deltas, and the number options
shared by every numeric panel kind.

Number options shared by every numeric panel kind of the topical walls: unit, Chinese number
format (万, 亿, percentages), decimals, thresholds that colour a value, value mappings and the
comparison shown (day over day, 同比 year over year, 环比 month over month).

The fields are declared once (``NUMBER_FIELDS`` in :mod:`cockpit.model.registry`) and appended to each
numeric kind's own fields; :class:`NumberStyle` is what a query hands to the view-model, and its methods
turn a raw value into the text and the colour role a widget draws. Pure Python, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

PLACEHOLDER = "—"
#: Precision enough to quantize any finite float (up to 1.8e308) to a few places; the default
#: context's 28 digits raise InvalidOperation from about 1e26 on.
_WIDE = Context(prec=400)


def _rounded(value: float, places: int) -> Decimal:
    """``value`` rounded half up (四舍五入) as it reads: 97.25 -> 97.3, 1.005 -> 1.01 (binary
    floats and Python's half-to-even rounding would show 97.2 and 1.00)."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP,
                                                context=_WIDE)


def _is_missing(value: float | None) -> bool:
    """None, NaN or infinite (of any numeric type: numpy's float32 is no Python float)."""
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except (TypeError, ValueError, OverflowError):
        return True


def split_magnitude(value: float, decimals: int = 2) -> tuple[float, str]:
    """Scale a value into the Chinese magnitude that keeps it short: 12,345 -> (1.2345, "万").

    Decided on the value as shown: ``decimals`` is how many places it shows unscaled (scaled
    ones show two), so 9,999.6 shown without decimals becomes 1.00万 rather than "10,000", and
    99,999,999 becomes 1.00亿 rather than "10000.00万".
    """
    a = abs(value)
    if _rounded(a / 1e4, 2) >= 10000:
        return value / 1e8, "亿"
    if _rounded(a, decimals) >= 10000:
        return value / 1e4, "万"
    return value, ""


def format_value(value: float | None, decimals: int = 0, *, magnitude: bool = True) -> tuple[str, str]:
    """Return (digits, magnitude suffix) for a figure shown on the wall.

    Below 10,000 a value keeps its own decimals; scaled into 万 or 亿 it shows two decimals
    (three significant figures are what a leader reads from the back of the room), trailing
    zeros kept so tiles do not jitter in width. Rounding is half up, as published statistics
    round. Missing (None), NaN and infinite values show a dash.
    """
    if _is_missing(value):
        return PLACEHOLDER, ""
    value = float(value)
    scaled, suffix = split_magnitude(value, decimals) if magnitude else (value, "")
    places = 2 if suffix else decimals
    shown = _rounded(scaled, places)
    if shown == 0:
        shown = abs(shown)  # "-0.0" reads as a fault on a wall
    text = f"{shown:,.{places}f}" if not suffix else f"{shown:.{places}f}"
    return text, suffix


def format_with_unit(value: float | None, decimals: int = 0, unit: str = "") -> str:
    digits, suffix = format_value(value, decimals)
    if digits == PLACEHOLDER:
        return digits
    return f"{digits}{suffix}{unit}"


def format_delta(current: float | None, previous: float | None) -> tuple[str, float] | None:
    """``("▲ 12.5%", +12.5)`` for a change against a previous value; None if not comparable."""
    if _is_missing(current) or _is_missing(previous):
        return None
    diff = current - previous
    if previous == 0:
        if diff == 0:
            return "持平", 0.0
        return ("▲ 新增" if diff > 0 else "▼ 减少"), diff
    pct = diff / abs(previous) * 100
    if abs(pct) < 0.05:
        return "持平", 0.0
    arrow = "▲" if pct > 0 else "▼"
    return f"{arrow} {abs(pct):.1f}%", pct


def format_age(seconds: float | None) -> str:
    """How old data is, in words a wall reader takes in at a glance: 7分钟前, 2小时前.

    Negative ages (a clock a little ahead) read as 0秒前; an unknown age shows a dash.
    """
    if _is_missing(seconds):
        return PLACEHOLDER
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{int(seconds)}秒前"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    return f"{int(seconds // 86400)}天前"

FORMATS = ("auto", "plain", "wan", "yi", "percent")
COMPARES = ("none", "dod", "mom", "yoy")
#: How each comparison is labelled on the wall.
COMPARE_LABELS = {"dod": "较昨日", "mom": "环比", "yoy": "同比"}



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
        if _is_missing(value):
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
        if _is_missing(value):
            return table.get("missing")
        places = default_decimals if self.decimals is None else self.decimals
        for key in (format_value(value, places, magnitude=False)[0].replace(",", ""),
                    repr(float(value)), str(int(value)) if float(value).is_integer() else None):
            if key is not None and key in table:
                return table[key]
        return None

    def level(self, value: float | None) -> str | None:
        """"bad", "warn" or "good" by the thresholds, or None (no thresholds, no value)."""
        if not self.thresholds or _is_missing(value):
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
        if _is_missing(current) or _is_missing(previous):
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


# -- the colour of a change ------------------------------------------------------------------
#: How a screen colours its changes: by whether the change is good news (``good_bad``), or by
#: its direction, red up (``red_up``: the convention of Chinese economic figures).
GOOD_BAD, RED_UP = "good_bad", "red_up"


def change_role(delta: float | None, *, good: str, economic: bool,
                convention: str | None = None, up_is_red: bool = True) -> str:
    """The theme colour ("good", "bad", "up", "down", "neutral") of a change of ``delta``.

    ``good`` is the figure's good direction ("up", "down", "neutral"), ``economic`` whether it
    is an economic figure. ``convention`` is the screen's (:func:`screen_convention`): on a
    ``good_bad`` screen every figure is coloured by whether its change is good news, an economic
    one too (a rise in visitors is green beside a fall in waiting times); on a ``red_up`` screen
    (economic figures only) by direction. None: the figure's own rule (a panel alone). A figure
    that is neither good nor bad nor economic stays neutral."""
    if delta is None or delta == 0 or _is_missing(delta):
        return "neutral"
    rising = delta > 0
    direction = economic and convention != GOOD_BAD or (convention == RED_UP and good != "neutral")
    if direction:
        return ("up" if rising else "down") if up_is_red else ("down" if rising else "up")
    if good not in ("up", "down"):
        return "neutral"
    return "good" if rising == (good == "up") else "bad"


def screen_convention(specs) -> str:
    """One convention per screen, so a screen never shows a red ▲ for good news beside a green
    ▲ for good news: direction colours (red up) only where every coloured change on it is an
    economic figure's; good/bad as soon as one is judged (a service figure with a good
    direction, or a panel comparing a reported indicator, which its ``higher_is_better``
    judges)."""
    from cockpit.model.metrics import METRICS

    judged = economic = 0
    for spec in specs:
        if spec.kind == "kpi":
            m = METRICS.get(spec.get("metric"))
            if m is not None and m.economic:
                economic += 1
            elif m is not None and m.good in ("up", "down"):
                judged += 1
        elif (spec.get("compare") or "none") != "none":
            judged += 1
    return RED_UP if economic and not judged else GOOD_BAD
