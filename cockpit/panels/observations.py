"""The observation panels' queries (kpi, timeseries, ranking): (cursor, PanelSpec, now) ->
view-model, from the ``observations`` table and its rollups. Run on worker threads, each with
its own DuckDB cursor; they only read. No Qt. Every panel kind's query lives in this package
(:mod:`cockpit.panels`), one module per table it reads.

**Rollups** (issue 18). A window of days would scan millions of rows at city scale, so each
query reads the whole buckets of its window from ``obs_1h`` or ``obs_10m`` (kept by the store,
:mod:`cockpit.data.rollup`) and only the rest raw: the window's ragged edges and whatever is
newer than the rollups' watermark (about the last hour). Each query runs in one read
transaction, so the watermark and the tables are one snapshot. The answer is the raw query's:
``tests/panels/test_rollups.py`` compares them on a real cache.

**The city-wide figure** of a metric: where a feed sends a city-level row (district 370700)
beside the districts' rows, that row is the city's figure and the districts are not added to
it again. For the latest value: if the window holds a city-level row, the city's newest one is
the figure; otherwise the districts' newest values are combined by the metric's ``city_agg``.
For a series, the same per time bucket: a bucket with city-level rows takes their average, a
bucket without combines the districts'. (A district's own figure, the ranking and the map never
include the city-level rows.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import duckdb

from cockpit.model.metrics import CITY_CODE, DISTRICT_SHORT, METRICS
from cockpit.panels.viewmodels import (
    KpiVM,
    RankingRow,
    RankingVM,
    Series,
    SeriesVM,
)

#: How far back "the latest value" may be; older data is not a current figure at all.
LOOKBACK = timedelta(days=7)
DAY = timedelta(days=1)
#: The rollup tables by bucket width in minutes, widest first.
ROLLUPS = ((60, "obs_1h"), (10, "obs_10m"))
_ORIGIN = datetime.fromisoformat("2000-01-03T00:00:00+00:00")  # time_bucket's origin


def _floor(t: datetime, minutes: int) -> datetime:
    width = timedelta(minutes=minutes)
    return _ORIGIN + ((t - _ORIGIN) // width) * width


@contextmanager
def snapshot(cur: duckdb.DuckDBPyConnection) -> Iterator[datetime | None]:
    """One read transaction for a panel's statements (or the caller's, if one is open); yields
    the rollups' watermark."""
    try:
        cur.execute("BEGIN TRANSACTION")
        own = True
    except duckdb.TransactionException:
        own = False
    try:
        rows = cur.execute("SELECT until FROM obs_rollup_state").fetchall()
        yield rows[0][0] if rows else None
    finally:
        if own:
            cur.execute("COMMIT")


def _parts(mark: datetime | None, lo: datetime, hi: datetime,
           minutes: int) -> tuple[datetime, datetime] | None:
    """The whole ``minutes`` buckets inside (lo, hi] before the watermark, as [c0, c1)."""
    if mark is None:
        return None
    c0 = _floor(lo, minutes) + timedelta(minutes=minutes)
    c1 = min(mark, _floor(hi, minutes))
    return None if c1 <= c0 else (c0, c1)


def _district_clause(district: str) -> tuple[str, list[object]]:
    """The filter of one district's rows (nothing for the whole city); alerts use it too."""
    if district and district != CITY_CODE:
        return " AND district = ?", [district]
    return "", []


def _where(district: str | None, *, districts_only: bool) -> tuple[str, list[object]]:
    """Rows of one district, of the districts only (no city-level or unplaced rows), or all."""
    if district and district != CITY_CODE:
        return " AND district = ?", [district]
    if districts_only:
        return " AND district IS NOT NULL AND district <> ?", [CITY_CODE]
    return "", []


def _metric_in(metrics: Sequence[str]) -> str:
    """The filter of the rows of ``metrics`` (a literal list: DuckDB pushes it into the scan)."""
    return "metric = ?" if len(metrics) == 1 else f"metric IN ({', '.join('?' * len(metrics))})"


def _metric_key(metrics: Sequence[str]) -> str:
    """``metric, `` where rows of several metrics are grouped by it, else nothing: rows of one
    metric are not grouped by it at all (an extra grouping key made a one-metric kpi ~12 %
    slower)."""
    return "metric, " if len(metrics) > 1 else ""


def _metric_name(metrics: Sequence[str]) -> str:
    """The metric of an answer's row: the column, or one metric's code as a literal (codes are
    the catalogue's, ``[a-z0-9_]``, checked here, so the literal is safe)."""
    if len(metrics) > 1:
        return "metric"
    if metrics[0] not in METRICS:
        raise KeyError(metrics[0])
    return f"'{metrics[0]}'"


def _source(metrics: Sequence[str], lo: datetime | None, hi: datetime, mark: datetime | None,
            where: tuple[str, list[object]], *, bucket: int | None = None) -> tuple[str, list]:
    """SQL of the rows of ``metrics`` in (lo, hi]: raw rows and rollup rows, each as ``(metric,
    district, v, vt, t, feed)`` (latest values: the value, its time, the row's time) or, with
    ``bucket`` minutes, ``(metric, t, district, n, s)`` (bucket sums). One statement reads
    several metrics in the same scans: each part of a statement reads at least a row group of
    every metric, so a panel's metrics read together cost about what one does."""
    metrics = list(metrics)
    if bucket is None:
        return _latest_source(metrics, lo, hi, mark, where)
    clause, cparams = where
    table, minutes = None, None
    for width, name in ROLLUPS:
        if bucket % width == 0:
            table, minutes = name, width
            break
    covered = _parts(mark, lo, hi, minutes) if table else None
    width = f"to_minutes(CAST({int(bucket)} AS BIGINT))"
    raw_cols = (f"{_metric_key(metrics)}time_bucket({width}, ts) AS t, district, count(value) AS n, "
                "sum(value) AS s")
    parts: list[str] = []
    params: list[object] = []
    which = _metric_in(metrics)

    def raw(cond: str, values: list[object]) -> None:
        parts.append(f"SELECT {raw_cols} FROM observations WHERE {which} AND {cond}"
                     f"{clause} GROUP BY ALL")
        params.extend([*metrics, *values, *cparams])

    if covered is None:
        raw("ts > ? AND ts <= ?", [lo, hi])
    else:
        c0, c1 = covered
        raw("ts > ? AND ts < ?", [lo, c0])
        raw("ts >= ? AND ts <= ?", [c1, hi])
        parts.append(f"SELECT {_metric_key(metrics)}time_bucket({width}, bucket) AS t, district, sum(n), "
                     f"sum(total) FROM {table} WHERE {which} AND bucket >= ? AND bucket < ?"
                     f"{clause} GROUP BY ALL")
        params.extend([*metrics, c0, c1, *cparams])
    return " UNION ALL ".join(parts), params


def _latest_source(metrics: list[str], lo: datetime | None, hi: datetime, mark: datetime | None,
                   where: tuple[str, list[object]]) -> tuple[str, list]:
    """Rows for the newest value in (lo, hi]: the hourly buckets from the one that holds ``lo``
    up to the watermark (or ``hi``'s hour), the raw rows after that. The first bucket may
    start before ``lo``: its newest row and newest value count only if they are inside, and
    being the bucket's newest they are then the newest of its part inside (so no raw rows are
    read at the window's old edge)."""
    clause, cparams = where
    which = _metric_in(metrics)

    def raw(cond: str, values: list[object]) -> tuple[str, list[object]]:
        return (f"SELECT {_metric_key(metrics)}district, value AS v, ts AS vt, ts AS t, feed "
                "FROM observations "
                f"WHERE {which} AND {cond}{clause}", [*metrics, *values, *cparams])

    c0 = None if lo is None else _floor(lo, 60)
    c1 = None if mark is None else min(mark, _floor(hi, 60))
    if c1 is None or (c0 is not None and c1 <= c0):
        return raw("ts <= ?", [hi]) if lo is None else raw("ts > ? AND ts <= ?", [lo, hi])
    tail, tparams = raw("ts >= ? AND ts <= ?", [c1, hi])
    if lo is None:
        roll = (f"SELECT {_metric_key(metrics)}district, last_value, last_value_ts, last_ts, "
                "last_feed "
                f"FROM obs_1h WHERE {which} AND bucket < ?{clause}")
        rparams = [*metrics, c1, *cparams]
    else:
        roll = (f"SELECT {_metric_key(metrics)}district, "
                "CASE WHEN last_value_ts > ? THEN last_value END, "
                f"last_value_ts, last_ts, last_feed FROM obs_1h WHERE {which} AND "
                f"bucket >= ? AND bucket < ? AND last_ts > ?{clause}")
        rparams = [lo, *metrics, c0, c1, lo, *cparams]
    return f"{tail} UNION ALL {roll}", [*tparams, *rparams]


def _city_wide(district: str) -> bool:
    return not district or district == CITY_CODE


def _per_district(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
                  district: str | None, at: datetime, lookback: timedelta | None, *,
                  districts_only: bool, tail: str = "", tail_params: tuple = ()) -> list:
    """Each district's newest value in (at - lookback, at]: (district, value, ts, feed)."""
    lo = None if lookback is None else at - lookback
    src, params = _source([metric], lo, at, mark,
                          _where(district, districts_only=districts_only))
    return cur.execute(
        f"""SELECT district, arg_max(v, vt) AS v, max(t) AS t, arg_max(feed, t) AS feed
            FROM ({src}) GROUP BY district{tail}""", [*params, *tail_params]).fetchall()


def _agg(metrics: Sequence[str], column: str) -> str:
    """SQL combining ``column`` by each metric's ``city_agg`` (within a GROUP BY metric)."""
    aggs = sorted({METRICS[m].city_agg for m in metrics})
    if len(aggs) == 1:
        return f"{aggs[0]}({column})"
    cases = " ".join(f"WHEN metric = '{m}' THEN {METRICS[m].city_agg}({column})"
                     for m in metrics)  # metric codes are the catalogue's: [a-z0-9_]
    return f"CASE {cases} END"


def _latest_many(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metrics: Sequence[str],
                 district: str, at: datetime
                 ) -> dict[str, tuple[float | None, datetime | None, tuple[str, ...]]]:
    """:func:`_latest_at` of several metrics in one statement, by metric."""
    metrics = list(dict.fromkeys(metrics))
    lo = at - LOOKBACK
    src, params = _source(metrics, lo, at, mark, _where(district, districts_only=False))
    key = _metric_key(metrics)
    group = " GROUP BY metric" if key else ""
    same = " l.metric = latest.metric AND" if key else ""  # one metric: uncorrelated
    pick = (f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT EXISTS "
            f"(SELECT 1 FROM latest AS l WHERE{same} l.district IS NOT DISTINCT FROM "
            f"'{CITY_CODE}')" if _city_wide(district) else "")
    # MATERIALIZED: the city-wide pick reads the CTE twice, and DuckDB would otherwise scan
    # for it twice (7 % of every kpi and series statement at 50 M, the same answers)
    rows = cur.execute(
        f"""WITH latest AS MATERIALIZED (
              SELECT {key}district, arg_max(v, vt) AS v, max(t) AS t,
                     arg_max(feed, t) AS feed
              FROM ({src}) GROUP BY {key}district)
            SELECT {_metric_name(metrics)}, round({_agg(metrics, 'v')}, 9), max(t),
                   list(DISTINCT feed ORDER BY feed)
            FROM latest{pick}{group}""", params).fetchall()
    out = {m: (None, None, ()) for m in metrics}
    for metric, value, as_of, feeds in rows:
        if as_of is not None:
            out[metric] = (value, as_of, tuple(feeds or ()))
    return out


def _latest_at(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
               district: str, at: datetime) -> tuple[float | None, datetime | None, tuple[str, ...]]:
    """The city (or district) figure at ``at``: each district's latest value, combined (or the
    city-level row's, see the module's docstring). Rounded to 9 places: DuckDB's parallel sums
    differ in the last bit from run to run, and a figure like 1.065 would otherwise flip
    between 1.06 and 1.07 on screen at every refresh."""
    return _latest_many(cur, mark, [metric], district, at)[metric]


def _bucketed_many(cur: duckdb.DuckDBPyConnection, mark: datetime | None,
                   metrics: Sequence[str], district: str, start: datetime, end: datetime,
                   bucket_minutes: int) -> dict[str, tuple[tuple[float, ...], tuple[float, ...]]]:
    """:func:`_bucketed` of several metrics over one window in one statement, by metric."""
    metrics = list(dict.fromkeys(metrics))
    src, params = _source(metrics, start, end, mark, _where(district, districts_only=False),
                          bucket=int(bucket_minutes))
    pick = (f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT has_city"
            if _city_wide(district) else "")
    key = _metric_key(metrics)
    # MATERIALIZED: the window over each bucket's districts became a self-join that scanned
    # the rows twice
    rows = cur.execute(
        f"""WITH b AS MATERIALIZED (
              SELECT {key}t, district, sum(s) / sum(n) AS v,
                     bool_or(district IS NOT DISTINCT FROM '{CITY_CODE}')
                         OVER (PARTITION BY {key}t) AS has_city
              FROM ({src}) GROUP BY {key}t, district)
            SELECT {_metric_name(metrics)}, epoch(t), round({_agg(metrics, 'v')}, 9) AS v
            FROM b{pick} GROUP BY {key}t HAVING v IS NOT NULL ORDER BY {key}t""",
        params).fetchall()
    points: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in metrics}
    for metric, t, v in rows:
        times, values = points[metric]
        times.append(float(t))
        values.append(float(v))
    return {m: (tuple(ts), tuple(vs)) for m, (ts, vs) in points.items()}


def _bucketed(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
              district: str, start: datetime, end: datetime,
              bucket_minutes: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-bucket figure: each district's bucket average, combined like the city figure. A
    bucket whose every value is NULL is left out (there is nothing to draw)."""
    return _bucketed_many(cur, mark, [metric], district, start, end, bucket_minutes)[metric]


def _latest(cur: duckdb.DuckDBPyConnection, metric: str, district: str,
            at: datetime) -> tuple[float | None, datetime | None, tuple[str, ...]]:
    """The city (or district) figure of ``metric`` at ``at``, its time and feeds (the header
    and the indicator panels show live metrics through it)."""
    with snapshot(cur) as mark:
        return _latest_at(cur, mark, metric, district, at)


def latest_by_district(cur: duckdb.DuckDBPyConnection, metric: str, at: datetime,
                       lookback: timedelta | None = None) -> list:
    """Each district's newest value of ``metric`` at ``at`` (no older than ``lookback``; None:
    any age), the city-level and unplaced rows left out: (district, value, ts, feed) rows. For
    the map's choropleth (:mod:`cockpit.panels.map`)."""
    with snapshot(cur) as mark:
        return _per_district(cur, mark, metric, None, at, lookback, districts_only=True)


def kpi(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> KpiVM:
    return _read(cur, [("kpi", spec)], now)[0]


def timeseries(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> SeriesVM:
    return _read(cur, [("timeseries", spec)], now)[0]


def read_together(cur: duckdb.DuckDBPyConnection, specs: list, now: datetime) -> dict:
    """Several kpi and timeseries panels (a layout's) by panel id, each what :func:`kpi` or
    :func:`timeseries` gives it alone (the registry's ``batch`` of both kinds; the pump uses
    it). The panels of one district share their statements: one for the newest value of every
    metric they show, one for the values a day before, and one per series window — instead of
    two or three for each panel."""
    vms = _read(cur, [(spec.kind, spec) for spec in specs], now)
    return {spec.id: vm for spec, vm in zip(specs, vms, strict=True)}


def _windows(kind: str, spec) -> list[tuple[str, float, int]]:
    """The series a panel draws, as (metric, hours, bucket minutes): a kpi's sparkline (about
    48 points whatever the window; none for 0 hours), a timeseries panel's lines."""
    if kind == "kpi":
        hours = spec.get("sparkline_hours") or 0
        return [(spec["metric"], hours, max(1, int(hours * 60 / 48)))] if hours else []
    hours, bucket = spec.get("hours") or 24, spec.get("bucket_minutes") or 10
    return [(code, hours, bucket) for code in spec["metrics"]]


def _read(cur: duckdb.DuckDBPyConnection, panels: list[tuple[str, object]], now: datetime) -> list:
    """The view-models of (kind, spec) kpi and timeseries panels, in order. A series with no
    newest value has no window, so it is drawn empty (``points`` has nothing for it)."""
    by_district: dict[str, list[int]] = {}
    for i, (_, spec) in enumerate(panels):
        by_district.setdefault(spec.get("district") or CITY_CODE, []).append(i)
    out: list = [None] * len(panels)
    with snapshot(cur) as mark:
        for district, members in by_district.items():
            codes = [c for i in members for c in
                     ([panels[i][1]["metric"]] if panels[i][0] == "kpi" else panels[i][1]["metrics"])]
            latest = _latest_many(cur, mark, codes, district, now)
            # a kpi's value a day before its own figure's time; the figures of one time together
            days_before: dict[datetime, list[str]] = {}
            for i in members:
                kind, spec = panels[i]
                as_of = latest[spec["metric"]][1] if kind == "kpi" else None
                if as_of is not None:
                    days_before.setdefault(as_of - DAY, []).append(spec["metric"])
            previous: dict[tuple[str, datetime], float | None] = {}
            for at, group in days_before.items():
                for code, (value, _, _) in _latest_many(cur, mark, group, district, at).items():
                    previous[(code, at)] = value
            # every series ends at its own metric's newest row: one statement per window
            windows: dict[tuple[datetime, float, int], list[str]] = {}
            for i in members:
                for code, hours, bucket in _windows(*panels[i]):
                    as_of = latest[code][1]
                    if as_of is not None:
                        windows.setdefault((as_of, hours, bucket), []).append(code)
            points: dict[tuple[str, datetime, float, int], tuple] = {}
            for (as_of, hours, bucket), group in windows.items():
                for code, series in _bucketed_many(cur, mark, group, district,
                                                   as_of - timedelta(hours=hours), as_of,
                                                   bucket).items():
                    points[(code, as_of, hours, bucket)] = series
            for i in members:
                kind, spec = panels[i]
                drawn = [(code, points.get((code, latest[code][1], hours, bucket), ((), ())))
                         for code, hours, bucket in _windows(kind, spec)]
                if kind == "kpi":
                    out[i] = _kpi_vm(spec, latest[spec["metric"]], previous, drawn)
                else:
                    out[i] = _series_vm(spec, latest, drawn)
    return out


def _kpi_vm(spec, latest: tuple, previous: dict, drawn: list) -> KpiVM:
    m = METRICS[spec["metric"]]
    value, as_of, feeds = latest
    decimals = spec.get("decimals")
    return KpiVM(
        value=value, unit=m.unit, decimals=m.decimals if decimals is None else decimals,
        as_of=as_of,
        previous=None if as_of is None else previous.get((spec["metric"], as_of - DAY)),
        spark=drawn[0][1][1] if drawn else (), good=m.good,
        economic=m.economic, source="、".join(feeds))


def _series_vm(spec, latest: dict, drawn: list) -> SeriesVM:
    out = []
    newest: datetime | None = None
    feeds: set[str] = set()
    for code, (times, values) in drawn:
        m = METRICS[code]
        _, as_of, fs = latest[code]
        feeds.update(fs)
        if as_of is not None and (newest is None or as_of > newest):
            newest = as_of
        out.append(Series(m.name, m.unit, m.decimals, times, values))
    return SeriesVM(series=tuple(out), as_of=newest, source="、".join(sorted(feeds)))


def ranking(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> RankingVM:
    code = spec["metric"]
    m = METRICS[code]
    order = "DESC" if spec.get("order", "desc") == "desc" else "ASC"
    with snapshot(cur) as mark:
        rows = _per_district(cur, mark, code, None, now, LOOKBACK, districts_only=True,
                             tail=f" ORDER BY v {order}, district LIMIT ?",
                             tail_params=(int(spec.get("top") or 12),))
    as_of = max((r[2] for r in rows), default=None)
    feeds = sorted({r[3] for r in rows if r[3]})
    return RankingVM(
        rows=tuple(RankingRow(r[0], DISTRICT_SHORT.get(r[0], r[0]), float(r[1])) for r in rows),
        unit=m.unit, decimals=m.decimals, as_of=as_of, source="、".join(feeds))
