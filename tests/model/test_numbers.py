"""Number formatting for the wall (no Qt)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cockpit.model.numbers import (
    PLACEHOLDER,
    format_age,
    format_delta,
    format_value,
    format_with_unit,
    split_magnitude,
)


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (0, 0, ("0", "")),
    (0.0, 2, ("0.00", "")),
    (-0.001, 1, ("0.0", "")),  # never "-0.0"
    (-7, 0, ("-7", "")),
    (-1234.5, 1, ("-1,234.5", "")),
    (9999, 0, ("9,999", "")),
    (9999.4, 0, ("9,999", "")),
    (9999.6, 0, ("1.00", "万")),  # rounds to 10,000: shown in 万, not as "10,000"
    (9999.94, 1, ("9,999.9", "")),
    (10000, 0, ("1.00", "万")),
    (12345.678, 0, ("1.23", "万")),
    (-25000, 0, ("-2.50", "万")),
    (6_402_117, 0, ("640.21", "万")),
    (99_994_999, 0, ("9999.50", "万")),
    (99_999_999, 0, ("1.00", "亿")),  # not "10000.00万"
    (1e8, 0, ("1.00", "亿")),
    (123456789, 0, ("1.23", "亿")),
    (-3.5e9, 0, ("-35.00", "亿")),
    (1.5, 2, ("1.50", "")),
    (97.25, 1, ("97.3", "")),  # half up (四舍五入), not half-even
    (0.125, 2, ("0.13", "")),
    (1.005, 2, ("1.01", "")),  # as it reads, not as the binary float is
    (-2.5, 0, ("-3", "")),
    (12_345, 0, ("1.23", "万")),
    (12_355, 0, ("1.24", "万")),
])
def test_format_value(value, decimals, expected):
    assert format_value(value, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), float("-inf"),
                                     np.float32("nan"), np.float64("inf")])
def test_format_value_missing(missing):
    assert format_value(missing) == (PLACEHOLDER, "")
    assert format_value(missing, 2, magnitude=False) == (PLACEHOLDER, "")
    assert format_with_unit(missing, 0, "件") == PLACEHOLDER


def test_format_value_numpy_and_without_magnitude():
    assert format_value(np.int64(12)) == ("12", "")
    assert format_value(np.float32(2.5), 1) == ("2.5", "")
    assert format_value(123456789, 0, magnitude=False) == ("123,456,789", "")
    assert format_value(12345.678, 1, magnitude=False) == ("12,345.7", "")


def test_format_with_unit():
    assert format_with_unit(3821, 0, "件") == "3,821件"
    assert format_with_unit(6_402_117, 0, "人") == "640.21万人"
    assert format_with_unit(96.5, 1, "%") == "96.5%"


def test_split_magnitude():
    assert split_magnitude(12345) == (1.2345, "万")
    assert split_magnitude(5) == (5, "")
    assert split_magnitude(-2e8) == (-2.0, "亿")


@pytest.mark.parametrize(("current", "previous", "expected"), [
    (110, 100, ("▲ 10.0%", 10.0)),
    (90, 100, ("▼ 10.0%", -10.0)),
    (-90, -100, ("▲ 10.0%", 10.0)),  # less negative is up
    (100.04, 100, ("持平", 0.0)),  # below 0.05 %: level, not "▲ 0.0%"
    (100, 100, ("持平", 0.0)),
    (0, 0, ("持平", 0.0)),
    (5, 0, ("▲ 新增", 5)),  # from zero: no percentage
    (-5, 0, ("▼ 减少", -5)),
])
def test_format_delta(current, previous, expected):
    text, change = format_delta(current, previous)
    assert text == expected[0]
    assert change == pytest.approx(expected[1])


@pytest.mark.parametrize(("current", "previous"), [
    (None, 100), (100, None), (None, None), (float("nan"), 100), (100, float("inf"))])
def test_format_delta_missing(current, previous):
    assert format_delta(current, previous) is None


@pytest.mark.parametrize(("seconds", "expected"), [
    (-5, "0秒前"),  # a clock slightly ahead
    (0, "0秒前"),
    (59.9, "59秒前"),
    (60, "1分钟前"),
    (3599, "59分钟前"),
    (3600, "1小时前"),
    (86399, "23小时前"),
    (86400, "1天前"),
    (86400 * 9 + 1, "9天前"),
    (None, PLACEHOLDER),
    (math.nan, PLACEHOLDER),
    (math.inf, PLACEHOLDER),
])
def test_format_age(seconds, expected):
    assert format_age(seconds) == expected
