"""A row of the user-maintained indicator list (CSV, docs/indicators-csv.md), declared.

The CSV's cells are text; each field's validator reads its text and says what is wrong in the
words the import has always used (``period '2026-13' is not YYYY, YYYY-MM or YYYY-MM-DD``).
:mod:`cockpit.data.indicators_csv` reads the file, validates every row with :class:`IndicatorRow`
and loads nothing when one is bad. Pure: no Qt, no pyarrow.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from pydantic import ConfigDict, ValidationError, field_validator

from cockpit.model.metrics import CITY_CODE, DISTRICTS
from cockpit.model.schema.base import Strict, field

_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_CODE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


def _period_ok(text: str) -> bool:
    m = _PERIOD.fullmatch(text)
    if not m:
        return False
    y, mo, d = (int(x) if x else None for x in m.groups())
    try:
        date(y, mo or 1, d or 1)
    except ValueError:
        return False
    return True


def parse_number(text: str) -> float | None:
    """A finite number (thousands separators allowed), or None when it is not one."""
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


class IndicatorRow(Strict):
    """One indicator figure for a period and a region."""

    model_config = ConfigDict(**{**Strict.model_config, "strict": False})

    period: str = field(example="2026-10", description="YYYY (a year), YYYY-MM (a month; "
                                                       "cumulative figures) or YYYY-MM-DD (a day).")
    code: str = field(example="pilot.area.youzheng",
                      description="Lower-case letters, digits and _, in dotted groups.")
    name: str = field(example="优政", description="The Chinese label shown on the wall.")
    region: str = field(CITY_CODE, example="370705",
                        description="370700 (the city; the default when empty) or a district "
                                    "code.")
    value: float = field(example="1,286.4", description="The figure (thousands separators "
                                                        "accepted).")
    target: float | None = field(None, example="1500", description="The target, a number.")
    unit: str = field("", example="亿元", description="%, 个, 亿元, 分 …; % makes the value the "
                                                     "rate.")
    source: str = field("", example="市大数据局", description="The reporting department.")

    @field_validator("period")
    @classmethod
    def _period(cls, text: str) -> str:
        if not _period_ok(text):
            raise ValueError(f"period {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        return text

    @field_validator("code")
    @classmethod
    def _code(cls, text: str) -> str:
        if not _CODE.fullmatch(text):
            raise ValueError(f"code {text!r} must be lower-case letters, digits, _ and dots")
        return text

    @field_validator("name")
    @classmethod
    def _name(cls, text: str) -> str:
        if not text:
            raise ValueError("name is empty")
        return text

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, text: Any) -> Any:
        region = text or CITY_CODE
        if region != CITY_CODE and region not in DISTRICTS:
            raise ValueError(f"region {region!r} is not 370700 or a district code of Weifang")
        return region

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, text: Any) -> Any:
        value = parse_number(text) if isinstance(text, str) else None
        if value is None:
            raise ValueError(f"value {text!r} is not a number")
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, text: Any) -> Any:
        if not text:
            return None
        value = parse_number(text) if isinstance(text, str) else None
        if value is None:
            raise ValueError(f"target {text!r} is not a number")
        return value


def row_problems(exc: ValidationError) -> list[str]:
    """A row's problems, each in words, in the order of the columns."""
    return [str((err.get("ctx") or {}).get("error", err["msg"])) for err in exc.errors()]
