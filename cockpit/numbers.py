"""Number formatting for the wall: Chinese magnitudes (万, 亿), decimals, deltas. No Qt."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

PLACEHOLDER = "—"


def _rounded(value: float, places: int) -> Decimal:
    """``value`` rounded half up (四舍五入) as it reads: 97.25 -> 97.3, 1.005 -> 1.01 (binary
    floats and Python's half-to-even rounding would show 97.2 and 1.00)."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


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
