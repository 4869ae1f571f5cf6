"""Number options of the numeric panels (no Qt): formats on edge values, thresholds, value
mappings, comparisons and the periods they compare."""

from __future__ import annotations

import math

import pytest

from cockpit.model.numbers import NumberStyle, number_style
from cockpit.panels.indicators import previous_period, year_pace

MISSING = (None, math.nan, math.inf)


@pytest.mark.parametrize(("fmt", "value", "decimals", "expected"), [
    ("auto", 0, None, ("0", "件")),
    ("auto", -12, None, ("-12", "件")),
    ("auto", -12345, None, ("-1.23", "万件")),
    ("auto", 9999, None, ("9,999", "件")),
    ("auto", 10000, None, ("1.00", "万件")),
    ("auto", 1e8, None, ("1.00", "亿件")),
    ("auto", 12345, 1, ("1.2", "万件")),  # decimals also rule scaled figures when set
    ("plain", 1e8, None, ("100,000,000", "件")),
    ("plain", -9999, None, ("-9,999", "件")),
    ("wan", 9999, None, ("1.00", "万件")),
    ("wan", 0, None, ("0.00", "万件")),
    ("yi", 1e8, 1, ("1.0", "亿件")),
    ("yi", -2.5e8, None, ("-2.50", "亿件")),
])
def test_formats_on_edge_values(fmt, value, decimals, expected):
    assert NumberStyle(unit="件", number_format=fmt, decimals=decimals).parts(value) == expected


@pytest.mark.parametrize("fmt", ["auto", "plain", "wan", "yi", "percent"])
@pytest.mark.parametrize("value", MISSING)
def test_missing_values_show_a_dash_in_every_format(fmt, value):
    style = NumberStyle(unit="件", number_format=fmt)
    assert style.parts(value) == ("—", "")
    assert style.text(value) == "—"
    assert style.level(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    (0, "0.0%"), (-3.25, "-3.3%"), (99.95, "100.0%"), (9999, "9,999.0%"), (1e8, "100,000,000.0%")])
def test_percent_format_never_scales(value, expected):
    assert NumberStyle(unit="%", number_format="percent").text(value, 1) == expected


@pytest.mark.parametrize(("value", "higher", "expected"), [
    (69.9, True, "bad"), (70, True, "warn"), (79.99, True, "warn"), (80, True, "good"),
    (-5, True, "bad"), (1e8, True, "good"),
    (69.9, False, "good"), (70, False, "good"), (75, False, "warn"), (80.1, False, "bad"),
])
def test_thresholds_colour_by_side(value, higher, expected):
    assert NumberStyle(thresholds=(80, 70), higher_is_better=higher).level(value) == expected


def test_no_thresholds_no_level():
    assert NumberStyle().level(50) is None


def test_value_map_replaces_the_number_and_maps_missing():
    style = NumberStyle(unit="起", value_map=(("0", "无故障"), ("missing", "未上报")))
    assert style.text(0) == "无故障"
    assert style.text(0.0) == "无故障"
    assert style.text(None) == "未上报"
    assert style.text(math.nan) == "未上报"
    assert style.text(3) == "3起"


@pytest.mark.parametrize(("compare", "current", "previous", "expected"), [
    ("none", 10, 5, None),
    ("yoy", 110, 100, "同比 ▲ 10.0%"),
    ("mom", 90, 100, "环比 ▼ 10.0%"),
    ("dod", 100, 100, "较昨日 持平"),
    ("yoy", 5, 0, "同比 ▲ 新增"),
    ("yoy", 0, 0, "同比 持平"),
    ("yoy", -10, -20, "同比 ▲ 50.0%"),
    ("yoy", 10, None, "同比 —"),  # no such history: a dash, never an invented figure
    ("mom", None, 10, "环比 —"),
    ("dod", math.nan, 10, "较昨日 —"),
])
def test_comparisons(compare, current, previous, expected):
    assert NumberStyle(compare=compare).comparison(current, previous) == expected


@pytest.mark.parametrize(("period", "compare", "expected"), [
    ("2026-11", "yoy", "2025-11"), ("2026-11", "mom", "2026-10"), ("2026-01", "mom", "2025-12"),
    ("2026-11", "dod", None),  # a monthly figure has no day-over-day history
    ("2026-03-01", "dod", "2026-02-28"), ("2024-02-29", "yoy", "2023-02-28"),
    ("2026", "yoy", "2025"), ("2026", "mom", "2025"), ("2026-11", "none", None),
])
def test_previous_periods(period, compare, expected):
    assert previous_period(period, compare) == expected


def test_year_pace():
    assert year_pace("2026-11") == pytest.approx(11 / 12 * 100)
    assert year_pace("2026") == 100.0
    assert year_pace("2026-12-31") == pytest.approx(100.0)


def test_number_style_from_panel_fields():
    spec = {"unit": None, "number_format": "wan", "decimals": 1, "thresholds": [1, 2],
            "higher_is_better": False, "value_map": {"0": "无"}, "compare": "yoy"}
    style = number_style(spec, fallback_unit="人")
    assert style == NumberStyle(unit="人", number_format="wan", decimals=1, thresholds=(1.0, 2.0),
                                higher_is_better=False, value_map=(("0", "无"),), compare="yoy")
    assert number_style({"unit": "户"}, "人").unit == "户"
