"""The indicator panels' queries (gauge, progress, bar, stacked, ring, funnel, radar) and the header's: (cursor,
PanelSpec, now) -> view-model.

Most figures of these walls are statistics the departments report by period (``indicators``:
period, code, name, region, value, target, unit, source), not sensor readings; lists (key
projects, enterprises, milestones, risk points) are ``entities``, queried in
:mod:`cockpit.panels.records`.
Periods are ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; the latest one present is shown. A monthly
figure is as fresh as its period: its ``as_of`` is the period's end (or now, while the period
runs). Run on worker threads; no Qt.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

import duckdb

from cockpit.model.metrics import CITY_CODE, DISTRICT_SHORT, DISTRICTS, METRICS, district_name
from cockpit.model.numbers import number_style
from cockpit.panels.observations import DAY, _latest
from cockpit.panels.viewmodels import (
    RADAR_CAP,
    BarSeries,
    BarVM,
    FunnelStage,
    FunnelVM,
    GaugeVM,
    HeaderVM,
    ProgressRow,
    ProgressVM,
    RadarAxis,
    RadarSeries,
    RadarVM,
    RingSlice,
    RingVM,
)

LOCAL = timezone(timedelta(hours=8))


# -- periods --------------------------------------------------------------------------------
def _parse(period: str) -> tuple[int, int | None, int | None]:
    parts = [int(x) for x in period.split("-")]
    return parts[0], (parts[1] if len(parts) > 1 else None), (parts[2] if len(parts) > 2 else None)


def previous_period(period: str, compare: str) -> str | None:
    """The period ``compare`` compares ``period`` with; None where that makes no sense."""
    y, m, d = _parse(period)
    if compare == "yoy":
        if d is not None:
            return f"{y - 1:04d}-{m:02d}-{min(d, calendar.monthrange(y - 1, m)[1]):02d}"
        return f"{y - 1:04d}" + (f"-{m:02d}" if m is not None else "")
    if compare == "dod" and d is None:
        return None  # a day-over-day comparison of a monthly figure: no such history
    if compare in ("mom", "dod"):
        if d is not None:
            return (date(y, m, d) - timedelta(days=1)).isoformat()
        if m is not None:
            return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"
        return f"{y - 1:04d}"
    return None


def period_end(period: str) -> datetime:
    """The first moment after ``period`` (local time), as UTC."""
    y, m, d = _parse(period)
    if d is not None:
        end = date(y, m, d) + timedelta(days=1)
    elif m is not None:
        end = date(y + (m == 12), m % 12 + 1, 1)
    else:
        end = date(y + 1, 1, 1)
    return datetime(end.year, end.month, end.day, tzinfo=LOCAL).astimezone(UTC)


def year_pace(period: str) -> float:
    """序时进度: the share of the year gone by at the end of ``period``, in %."""
    y, m, d = _parse(period)
    if m is None:
        return 100.0
    if d is None:
        return m / 12 * 100
    start = date(y, 1, 1)
    return ((date(y, m, d) - start).days + 1) / ((date(y + 1, 1, 1) - start).days) * 100


def _as_of(period: str | None, now: datetime) -> datetime | None:
    return None if period is None else min(now, period_end(period))


# -- indicators -----------------------------------------------------------------------------
def _indicator(cur: duckdb.DuckDBPyConnection, code: str, region: str,
               period: str | None = None) -> tuple | None:
    """(period, name, value, target, unit, source) of the latest (or the given) period."""
    sql = ("SELECT period, name, value, target, unit, source FROM indicators "
           "WHERE code = ? AND region = ?")
    args: list[object] = [code, region]
    if period is not None:
        sql += " AND period = ?"
        args.append(period)
    return cur.execute(sql + " ORDER BY period DESC LIMIT 1", args).fetchone()


def _indicators(cur: duckdb.DuckDBPyConnection, codes: list[str], regions: list[str],
                period: str | None = None) -> dict[tuple[str, str], tuple]:
    """:func:`_indicator` of every code for every region in one query (a bar chart by region
    asked 36 times): (code, region) -> (period, name, value, target, unit, source)."""
    sql = ("SELECT DISTINCT ON (code, region) code, region, period, name, value, target, unit, "
           "source FROM indicators WHERE code IN (SELECT unnest(?::VARCHAR[])) "
           "AND region IN (SELECT unnest(?::VARCHAR[]))")
    args: list[object] = [list(codes), list(regions)]
    if period is not None:
        sql += " AND period = ?"
        args.append(period)
    rows = cur.execute(sql + " ORDER BY code, region, period DESC", args).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _codes(cur: duckdb.DuckDBPyConnection, spec, region: str | None) -> list[str]:
    """The indicator codes a panel lists: ``indicators`` as given, else those under ``prefix``
    (reported for ``region``, or for any region when it is None)."""
    if spec.get("indicators"):
        return list(spec["indicators"])
    prefix = spec.get("prefix") or ""
    if not prefix:
        return []
    sql = "SELECT DISTINCT code FROM indicators WHERE starts_with(code, ?)"
    args = [prefix]
    if region is not None:
        sql += " AND region = ?"
        args.append(region)
    return [r[0] for r in cur.execute(sql + " ORDER BY code", args).fetchall()]


def _decimals_of(unit: str, value: float | None) -> int:
    if unit == "%" or (value is not None and abs(value) < 100 and value != int(value)):
        return 1
    return 0


def gauge(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> GaugeVM:
    region = spec.get("region") or CITY_CODE
    compare = spec.get("compare") or "none"
    if spec.get("metric"):
        m = METRICS[spec["metric"]]
        value, as_of, feeds = _latest(cur, m.code, region, now)
        previous = None
        if as_of is not None and compare == "dod":  # live figures keep two days: no 环比/同比
            previous, _, _ = _latest(cur, m.code, region, as_of - DAY)
        target = spec.get("target")
        percent = value if m.unit == "%" else (value / target * 100 if value is not None and target
                                               else None)
        tp = target if m.unit == "%" else (100.0 if target else None)
        return GaugeVM(m.name, value, percent, target, tp, previous, m.decimals,
                       number_style(spec, m.unit), as_of, "、".join(feeds))
    row = _indicator(cur, spec.get("indicator") or "", region)
    if row is None:
        return GaugeVM(spec.title, None, None, None, None, None, 1, number_style(spec), None,
                       "指标库")
    period, name, value, target, unit, source = row
    if spec.get("target") is not None:
        target = spec["target"]
    previous = None
    before = previous_period(period, compare)
    if before is not None:
        prev = _indicator(cur, spec["indicator"], region, before)
        previous = prev[2] if prev else None
    if unit == "%":
        percent, tp = value, target
    else:
        percent = value / target * 100 if value is not None and target else None
        tp = 100.0 if target else None
    return GaugeVM(name, value, percent, target, tp, previous, _decimals_of(unit, value),
                   number_style(spec, unit or ""), _as_of(period, now), source or "")


def progress(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> ProgressVM:
    region = spec.get("region") or CITY_CODE
    rows, periods, sources = [], [], set()
    for code in _codes(cur, spec, region):
        r = _indicator(cur, code, region)
        if r is None:
            continue
        periods.append(r[0])
        sources.add(r[5] or "")
        rows.append(ProgressRow(code, r[1], r[2], r[3], r[4] or ""))
    order = spec.get("sort") or "desc"
    if order != "none":
        rows.sort(key=lambda r: (r.percent is None, -(r.percent or 0) if order == "desc"
                                 else (r.percent or 0)))
    period = max(periods) if periods else ""
    pace = year_pace(period) if period and spec.get("pace_line", True) else None
    measure = spec.get("measure") or "rate"
    if measure == "value" and order != "none":
        rows.sort(key=lambda r: (r.value is None, -(r.value or 0) if order == "desc" else (r.value or 0)))
    return ProgressVM(tuple(rows), pace, period, number_style(spec, "%"), _as_of(period or None, now),
                      "、".join(sorted(s for s in sources if s)), measure)


def bars(cur: duckdb.DuckDBPyConnection, spec, now: datetime, *, stacked: bool = False) -> BarVM:
    """Categories are districts (``by = "region"``) or the indicators themselves; series are
    the indicators (stacked) or the period and the period compared with (grouped)."""
    by = spec.get("by") or "indicator"
    compare = spec.get("compare") or "none"
    region = spec.get("region") or CITY_CODE
    codes = _codes(cur, spec, region if by == "indicator" else None)
    regions = list(DISTRICTS) if by == "region" else [region]
    cells = _indicators(cur, codes, regions)
    if not cells:
        return BarVM((), (), stacked, "", 0, number_style(spec), None, "指标库")
    period = max(r[0] for r in cells.values())
    unit = next(iter(cells.values()))[4] or ""
    sources = sorted({r[5] for r in cells.values() if r[5]})

    before_cells: dict[str, dict[tuple[str, str], tuple]] = {}

    def value(code: str, reg: str, per: str | None = None) -> float | None:
        if per is None:
            r = cells.get((code, reg))
        else:
            if per not in before_cells:
                before_cells[per] = _indicators(cur, codes, regions, per)
            r = before_cells[per].get((code, reg))
        return None if r is None else r[2]

    names = {code: next((r[1] for (c, _), r in cells.items() if c == code), code) for code in codes}
    if by == "region":
        categories = tuple(DISTRICT_SHORT[r] for r in regions)
        if stacked or compare == "none" or len(codes) > 1:
            series = [BarSeries(names[c], tuple(value(c, reg) for reg in regions)) for c in codes]
        else:
            before = previous_period(period, compare)
            series = [BarSeries(_period_label(period), tuple(value(codes[0], reg) for reg in regions)),
                      BarSeries(_period_label(before) if before else "—",
                                tuple(value(codes[0], reg, before) if before else None
                                      for reg in regions))]
        if spec.get("sort", "none") != "none":
            totals = [sum(v or 0 for v in vals) for vals in zip(*(s.values for s in series), strict=True)]
            idx = sorted(range(len(categories)), key=lambda i: -totals[i] if spec["sort"] == "desc"
                         else totals[i])
            categories = tuple(categories[i] for i in idx)
            series = [BarSeries(s.name, tuple(s.values[i] for i in idx)) for s in series]
    else:
        categories = tuple(names[c] for c in codes)
        before = previous_period(period, compare)
        series = [BarSeries(_period_label(period), tuple(value(c, region) for c in codes))]
        if compare != "none":
            series.append(BarSeries(_period_label(before) if before else "—",
                                    tuple(value(c, region, before) if before else None
                                          for c in codes)))
    all_values = [v for s in series for v in s.values if v is not None]
    decimals = max((_decimals_of(unit, v) for v in all_values), default=0)
    return BarVM(categories, tuple(series), stacked, unit, decimals, number_style(spec, unit),
                 _as_of(period, now), "、".join(sources))


def stacked(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> BarVM:
    return bars(cur, spec, now, stacked=True)


def _period_label(period: str | None) -> str:
    if not period:
        return "—"
    y, m, d = _parse(period)
    if d is not None:
        return f"{m}月{d}日"
    if m is not None:
        return f"{y}年{m}月"  # the period reported (cumulative or not, the indicator says)
    return f"{y}年"


# -- header ---------------------------------------------------------------------------------
def _aqi_word(aqi: float) -> tuple[str, str]:
    for bound, word, role in ((50, "优", "good"), (100, "良", "good"), (150, "轻度污染", "warn"),
                              (200, "中度污染", "bad")):
        if aqi <= bound:
            return word, role
    return "重度污染", "bad"


def header(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> HeaderVM:
    """A weather-style line: air quality in words, then the chosen live metrics."""
    out, newest, feeds = [], None, set()
    for code in spec.get("summary_metrics") or ():
        m = METRICS[code]
        value, as_of, fs = _latest(cur, code, CITY_CODE, now)
        feeds.update(fs)
        if as_of is not None and (newest is None or as_of > newest):
            newest = as_of
        if value is None:
            out.append((m.name, "—", ""))
            continue
        text = f"{value:.{m.decimals}f}{m.unit}"
        role = ""
        if code == "aqi":
            word, role = _aqi_word(value)
            text = f"{word} {value:.0f}"
        out.append((m.name, text, role))
    return HeaderVM(tuple(out), newest, "、".join(sorted(feeds)))


# -- ring, funnel, radar (issue 17) ---------------------------------------------------------
#: Polygons a radar overlays at most (more would hide each other).
RADAR_REGIONS = 3


def _rows(cur: duckdb.DuckDBPyConnection, codes: list[str], region: str) -> list[tuple]:
    """Each code's latest row for ``region`` (None where it has none), in the order given."""
    found = _indicators(cur, codes, [region])
    return [found.get((code, region)) for code in codes]


def _common_unit(rows: list[tuple | None]) -> str | None:
    """The one unit of the reported rows, "" when none reported, None when they differ."""
    units = {r[4] or "" for r in rows if r is not None and r[2] is not None}
    if len(units) > 1:
        return None
    return next(iter(units), "")


def _summary(rows: list[tuple | None], now: datetime) -> tuple[datetime | None, str, int]:
    """(as_of of the newest period, the sources, decimals enough for every figure)."""
    found = [r for r in rows if r is not None]
    period = max((r[0] for r in found), default=None)
    sources = "、".join(sorted({r[5] for r in found if r[5]}))
    decimals = max((_decimals_of(r[4] or "", r[2]) for r in found), default=0)
    return _as_of(period, now), sources, decimals


def ring(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> RingVM:
    """Shares of a whole: each indicator a slice of the sum of those reported. A listed
    indicator with no figure stays in the legend as "—"; slices in different units have no
    total and no shares (a sum of 人 and 元 means nothing)."""
    region = spec.get("region") or CITY_CODE
    codes = _codes(cur, spec, region)
    rows = _rows(cur, codes, region)
    unit = _common_unit(rows)
    values = [None if r is None else r[2] for r in rows]
    reported = [v for v in values if v is not None]
    total = sum(reported) if reported and unit is not None else None
    whole = sum(max(0.0, v) for v in reported) if total is not None else 0.0

    def share(v: float | None) -> float | None:
        return None if v is None or whole <= 0 else max(0.0, v) / whole * 100

    slices = tuple(RingSlice(code, r[1] if r else code, v, share(v))
                   for code, r, v in zip(codes, rows, values, strict=True))
    as_of, source, decimals = _summary(rows, now)
    shown_unit = unit or ""
    return RingVM(slices, total, shown_unit, spec.get("center") or "", decimals,
                  number_style(spec, shown_unit), as_of, source or "指标库",
                  _previous_total(cur, spec, region, codes, rows) if total is not None else None)


def _previous_total(cur: duckdb.DuckDBPyConnection, spec, region: str, codes: list[str],
                    rows: list[tuple | None]) -> float | None:
    """The ring's total in the period ``compare`` names: only when every slice reported now
    reported then too (a sum of part of the slices would compare apples with fewer apples)."""
    found = [(code, r) for code, r in zip(codes, rows, strict=True)
             if r is not None and r[2] is not None]
    compare = spec.get("compare") or "none"
    if compare == "none" or not found:
        return None
    before = previous_period(max(r[0] for _, r in found), compare)
    if before is None:
        return None
    then = [_indicator(cur, code, region, before) for code, _ in found]
    if any(r is None or r[2] is None for r in then):
        return None
    return sum(r[2] for r in then)


def funnel(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> FunnelVM:
    """Stages of a flow, top to bottom; each with its rate from the stage before, and the
    last stage's rate from the first (both only where both figures are known)."""
    region = spec.get("region") or CITY_CODE
    codes = _codes(cur, spec, region)
    rows = _rows(cur, codes, region)
    stages, before = [], None
    for i, (code, r) in enumerate(zip(codes, rows, strict=True)):
        value = None if r is None else r[2]
        rate = (value / before * 100 if i > 0 and value is not None and before else None)
        stages.append(FunnelStage(code, r[1] if r else code, value, rate))
        before = value
    first = stages[0].value if stages else None
    last = stages[-1].value if len(stages) > 1 else None
    overall = last / first * 100 if first and last is not None else None
    unit = _common_unit(rows) or ""
    as_of, source, decimals = _summary(rows, now)
    return FunnelVM(tuple(stages), overall, unit, decimals, number_style(spec, unit), as_of,
                    source or "指标库")


def radar(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> RadarVM:
    """One axis per indicator, one polygon per region. On the "target" scale a point is the
    figure against its target (capped at 120 %); on the "max" scale against the largest figure
    of the regions shown. Where either is unknown the point is None (drawn at the centre, "—")."""
    region = spec.get("region") or CITY_CODE
    asked = list(dict.fromkeys(spec.get("regions") or [region]))
    regions = asked[:RADAR_REGIONS]
    scale = spec.get("scale") or "target"
    codes = list(dict.fromkeys(c for reg in regions for c in _codes(cur, spec, reg)))
    table = {reg: _rows(cur, codes, reg) for reg in regions}
    axes = []
    for i, code in enumerate(codes):
        found = next((t[i] for t in table.values() if t[i] is not None), None)
        axes.append(RadarAxis(code, found[1] if found else code, (found[4] or "") if found else ""))
    tops = [max((t[i][2] for t in table.values() if t[i] is not None and t[i][2] is not None),
                default=None) for i in range(len(codes))]

    def point(i: int, r: tuple | None) -> float | None:
        if r is None or r[2] is None:
            return None
        if scale == "max":
            top = tops[i]
            return max(0.0, r[2] / top * 100) if top and top > 0 else None
        target = r[3]
        return min(RADAR_CAP, max(0.0, r[2] / target * 100)) if target else None

    series = tuple(
        RadarSeries(reg, district_name(reg), tuple(None if r is None else r[2] for r in rows),
                    tuple(point(i, r) for i, r in enumerate(rows)))
        for reg, rows in table.items())
    every = [r for rows in table.values() for r in rows]
    as_of, source, decimals = _summary(every, now)
    units = {a.unit for a in axes}
    return RadarVM(tuple(axes), series, scale, decimals,
                   number_style(spec, units.pop() if len(units) == 1 else ""), as_of,
                   source or "指标库", tuple(district_name(r) for r in asked[RADAR_REGIONS:]))
