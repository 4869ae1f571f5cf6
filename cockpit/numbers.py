"""Number formatting for the wall: Chinese magnitudes (万, 亿), decimals, deltas. No Qt."""

from __future__ import annotations

import math

PLACEHOLDER = "—"


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def split_magnitude(value: float) -> tuple[float, str]:
    """Scale a value into the Chinese magnitude that keeps it short: 12,345 -> (1.2345, "万")."""
    a = abs(value)
    if a >= 1e8:
        return value / 1e8, "亿"
    if a >= 1e4:
        return value / 1e4, "万"
    return value, ""


def format_value(value: float | None, decimals: int = 0, *, magnitude: bool = True) -> tuple[str, str]:
    """Return (digits, magnitude suffix) for a figure shown on the wall.

    Below 10,000 a value keeps its own decimals; scaled into 万 or 亿 it shows two decimals
    (three significant figures are what a leader reads from the back of the room), trailing
    zeros kept so tiles do not jitter in width. Missing or NaN values show a dash.
    """
    if _is_missing(value):
        return PLACEHOLDER, ""
    scaled, suffix = split_magnitude(value) if magnitude else (value, "")
    places = 2 if suffix else decimals
    text = f"{scaled:,.{places}f}" if not suffix else f"{scaled:.{places}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # "-0.0" reads as a fault on a wall
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


def format_age(seconds: float) -> str:
    """How old data is, in words a wall reader takes in at a glance: 7分钟前, 2小时前."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}秒前"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    return f"{int(seconds // 86400)}天前"
