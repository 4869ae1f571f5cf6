"""The indicator panels' queries (gauge, progress, bar, stacked) and the header's: (cursor,
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

from cockpit.model.metrics import CITY_CODE, DISTRICT_SHORT, DISTRICTS, METRICS
from cockpit.model.numbers import number_style
from cockpit.panels.observations import DAY, _latest
from cockpit.panels.viewmodels import (
    BarSeries,
    BarVM,
    GaugeVM,
    HeaderVM,
    ProgressRow,
    ProgressVM,
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
    cells: dict[tuple[str, str], tuple] = {}
    for code in codes:
        for reg in regions:
            r = _indicator(cur, code, reg)
            if r is not None:
                cells[(code, reg)] = r
    if not cells:
        return BarVM((), (), stacked, "", 0, number_style(spec), None, "指标库")
    period = max(r[0] for r in cells.values())
    unit = next(iter(cells.values()))[4] or ""
    sources = sorted({r[5] for r in cells.values() if r[5]})

    def value(code: str, reg: str, per: str | None = None) -> float | None:
        if per is None:
            r = cells.get((code, reg))
            return None if r is None else r[2]
        r = _indicator(cur, code, reg, per)
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
