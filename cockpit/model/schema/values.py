"""The values the files hold, parsed and described without pydantic: times of day, durations,
the site config's version and ranges, a value as messages show it.

The models (:mod:`.site`, :mod:`.feeds`, :mod:`.layout`) validate with these, and the start path
(the wall's daily restart, a layout's ``stale_after``) reads with them without building a model
or importing pydantic. Pure: no Qt.
"""

from __future__ import annotations

import math
import re
from datetime import time
from typing import Any

CONFIG_VERSION = 1
#: [store] retention_days: the allowed range (a day of data at least, ten years at most).
RETENTION_RANGE = (1, 3650)
#: A feed table's keys common to every kind (the rest are the kind's own options).
COMMON = ("name", "kind", "interval")
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_time(value: object) -> time | None:
    """``"04:30"`` or ``"04:30:15"`` as a time of day; None when it is not one."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m, s = (int(p) for p in parts + ["00"] * (3 - len(parts)))
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def parse_interval(value: object) -> float | None:
    """Seconds from a positive number or a duration such as ``"30s"``, ``"5m"``, ``"1h"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if isinstance(value, str) and (m := _INTERVAL.match(value.strip())):
        seconds = float(m[1]) * _UNIT_SECONDS[m[2]]
        return seconds if seconds > 0 else None
    return None


def duration_seconds(value: object) -> float | None:
    """Seconds from a positive number or a string such as ``"90s"``, ``"10m"``, ``"2h"``."""
    seconds = None
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match:
            seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def described(value: Any) -> str:
    """A value as messages show it: ``a string 'x'``, ``an integer 3``, ``true``, ``a table``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"an integer {value}"
    if isinstance(value, float):
        return f"a number {value!r}"
    if isinstance(value, str):
        return f"a string {value!r}"
    if isinstance(value, list):
        text = repr(value)
        return f"a list {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} {value}"  # TOML dates and times
