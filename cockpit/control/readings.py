"""What the tablet console reads besides the status: the alert list and the district outlines.

``GET /api/alerts`` lists alerts newest first: without a span, the open and acknowledged ones
(what a leader may still act on); with ``from`` and ``to`` (seconds since the epoch), every
alert raised in that span, cleared ones too (the marks on the replay scrubber). ``GET
/api/districts`` gives the districts of the boundaries file the wall's map draws
(``maps.page.districts``), projected and simplified into SVG path data, so the page draws
them without a map library and no district list is written twice. Pure: no Qt, no DuckDB
import (the query runs on the cursor it is handed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache

from cockpit.model.timeline import MAX_SPAN

_LIMIT = re.compile(r"[0-9]{1,6}")  # ASCII digits only (str.isdigit takes '²', int() does not)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: The SVG drawing's width; its height follows the city's shape.
VIEW_WIDTH = 1000.0
#: Douglas-Peucker tolerance in drawing units (1/1000 of the width): finer than a finger.
TOLERANCE = 1.5


class QueryError(ValueError):
    """A bad query parameter: the message names it (``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _epoch(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = float(raw) if len(raw) <= 20 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value < 1e11:
        raise QueryError(f"{name} must be seconds since the epoch, found {raw[:30]!r}", name)
    return datetime.fromtimestamp(value, UTC)


def alert_query(query: Mapping[str, str]) -> dict:
    """``from``/``to``/``limit`` of ``GET /api/alerts`` checked: keyword arguments of
    :func:`alert_list` (minus ``now``); raises QueryError naming the bad one."""
    unknown = sorted(set(query) - {"from", "to", "limit"})
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0][:30]!r} (known: from, to, limit)",
                         unknown[0][:30])
    start, end = _epoch(query, "from"), _epoch(query, "to")
    if (start is None) != (end is None):
        raise QueryError("from and to go together (a span), or neither (the open alerts)",
                         "to" if end is None else "from")
    if start is not None and not end > start:
        raise QueryError("to must be after from", "to")
    if start is not None and end - start > MAX_SPAN:
        raise QueryError(f"a span of at most {MAX_SPAN.days} days", "from")
    raw = query.get("limit", str(DEFAULT_LIMIT))
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise QueryError(f"limit must be a number from 1 to {MAX_LIMIT}, found {raw[:30]!r}",
                         "limit")
    return {"start": start, "end": end, "limit": int(raw)}


def alert_list(cur, *, now: datetime, start: datetime | None, end: datetime | None,
               limit: int) -> dict:
    """Alerts newest first, at most ``limit``: in ``start``..``end`` (every state), or, with
    no span, the open and acknowledged ones raised by ``now``. ``truncated`` says more matched."""
    cols = "alert_id, ts, severity, category, title, district, state"
    if start is None:
        rows = cur.execute(f"SELECT {cols} FROM alerts WHERE state IN ('open', 'acked') "
                           "AND ts <= ? ORDER BY ts DESC, alert_id LIMIT ?",
                           [now, limit + 1]).fetchall()
    else:
        rows = cur.execute(f"SELECT {cols} FROM alerts WHERE ts >= ? AND ts <= ? "
                           "ORDER BY ts DESC, alert_id LIMIT ?", [start, end, limit + 1]).fetchall()
    return {"alerts": [{"id": r[0], "ts": r[1].timestamp(), "severity": r[2], "category": r[3],
                        "title": r[4], "district": r[5], "state": r[6]} for r in rows[:limit]],
            "truncated": len(rows) > limit}


# -- the district outlines ----------------------------------------------------------------------
def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on one ring (iterative: a ring has thousands of points)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = (abs(dy * (px - ax) - dx * (py - ay)) / norm if norm
                 else math.hypot(px - ax, py - ay))
            if d > worst:
                worst, at = d, i
        if at >= 0 and worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


@cache
def district_outlines() -> dict:
    """Every district of the wall map's boundaries file as SVG path data in a drawing
    ``VIEW_WIDTH`` wide (north up, longitude scaled by the cosine of the mid latitude)."""
    from maps.page import districts  # the very file the wall's map draws

    features = districts()["features"]
    rings = [ring for f in features for ring in _rings(f["geometry"])]
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((south + north) / 2))
    scale = VIEW_WIDTH / ((east - west) * kx)
    height = round((north - south) * scale, 1)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * kx * scale, 1), round((north - lat) * scale, 1)

    out = []
    for f in features:
        props = f["properties"]
        parts = []
        for ring in _rings(f["geometry"]):
            pts = _simplify([xy(lon, lat) for lon, lat in ring], TOLERANCE)
            if len(pts) >= 3:
                parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in pts) + "Z")
        first = _rings(f["geometry"])[0]
        lat, lon = props.get("label") or (sum(p[1] for p in first) / len(first),
                                          sum(p[0] for p in first) / len(first))
        out.append({"code": str(props["adcode"]), "name": str(props["name"]),
                    "path": "".join(parts), "label": list(xy(lon, lat))})
    return {"width": VIEW_WIDTH, "height": height, "districts": out}


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for poly in geometry["coordinates"] for ring in poly]
    return []
