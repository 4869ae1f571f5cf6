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

from collections.abc import Iterator
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


def _source(metric: str, lo: datetime | None, hi: datetime, mark: datetime | None,
            where: tuple[str, list[object]], *, bucket: int | None = None) -> tuple[str, list]:
    """SQL of the rows in (lo, hi]: raw rows and rollup rows, each as ``(district, v, vt, t,
    feed)`` (latest values: the value, its time, the row's time) or, with ``bucket`` minutes,
    ``(t, district, n, s)`` (bucket sums)."""
    if bucket is None:
        return _latest_source(metric, lo, hi, mark, where)
    clause, cparams = where
    table, minutes = None, None
    for width, name in ROLLUPS:
        if bucket % width == 0:
            table, minutes = name, width
            break
    covered = _parts(mark, lo, hi, minutes) if table else None
    width = f"to_minutes(CAST({int(bucket)} AS BIGINT))"
    raw_cols = f"time_bucket({width}, ts) AS t, district, count(value) AS n, sum(value) AS s"
    parts: list[str] = []
    params: list[object] = []

    def raw(cond: str, values: list[object]) -> None:
        parts.append(f"SELECT {raw_cols} FROM observations WHERE metric = ? AND {cond}"
                     f"{clause} GROUP BY ALL")
        params.extend([metric, *values, *cparams])

    if covered is None:
        raw("ts > ? AND ts <= ?", [lo, hi])
    else:
        c0, c1 = covered
        raw("ts > ? AND ts < ?", [lo, c0])
        raw("ts >= ? AND ts <= ?", [c1, hi])
        parts.append(f"SELECT time_bucket({width}, bucket) AS t, district, sum(n), sum(total) "
                     f"FROM {table} WHERE metric = ? AND bucket >= ? AND bucket < ?{clause} "
                     f"GROUP BY ALL")
        params.extend([metric, c0, c1, *cparams])
    return " UNION ALL ".join(parts), params


def _latest_source(metric: str, lo: datetime | None, hi: datetime, mark: datetime | None,
                   where: tuple[str, list[object]]) -> tuple[str, list]:
    """Rows for the newest value in (lo, hi]: the hourly buckets from the one that holds ``lo``
    up to the watermark (or ``hi``'s hour), the raw rows after that. The first bucket may
    start before ``lo``: its newest row and newest value count only if they are inside, and
    being the bucket's newest they are then the newest of its part inside (so no raw rows are
    read at the window's old edge)."""
    clause, cparams = where

    def raw(cond: str, values: list[object]) -> tuple[str, list[object]]:
        return ("SELECT district, value AS v, ts AS vt, ts AS t, feed FROM observations "
                f"WHERE metric = ? AND {cond}{clause}", [metric, *values, *cparams])

    c0 = None if lo is None else _floor(lo, 60)
    c1 = None if mark is None else min(mark, _floor(hi, 60))
    if c1 is None or (c0 is not None and c1 <= c0):
        return raw("ts <= ?", [hi]) if lo is None else raw("ts > ? AND ts <= ?", [lo, hi])
    tail, tparams = raw("ts >= ? AND ts <= ?", [c1, hi])
    if lo is None:
        roll = ("SELECT district, last_value, last_value_ts, last_ts, last_feed FROM obs_1h "
                f"WHERE metric = ? AND bucket < ?{clause}")
        rparams = [metric, c1, *cparams]
    else:
        roll = ("SELECT district, CASE WHEN last_value_ts > ? THEN last_value END, "
                "last_value_ts, last_ts, last_feed FROM obs_1h WHERE metric = ? AND "
                f"bucket >= ? AND bucket < ? AND last_ts > ?{clause}")
        rparams = [lo, metric, c0, c1, lo, *cparams]
    return f"{tail} UNION ALL {roll}", [*tparams, *rparams]


def _city_wide(district: str) -> bool:
    return not district or district == CITY_CODE


def _per_district(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
                  district: str | None, at: datetime, lookback: timedelta | None, *,
                  districts_only: bool, tail: str = "", tail_params: tuple = ()) -> list:
    """Each district's newest value in (at - lookback, at]: (district, value, ts, feed)."""
    lo = None if lookback is None else at - lookback
    src, params = _source(metric, lo, at, mark, _where(district, districts_only=districts_only))
    return cur.execute(
        f"""SELECT district, arg_max(v, vt) AS v, max(t) AS t, arg_max(feed, t) AS feed
            FROM ({src}) GROUP BY district{tail}""", [*params, *tail_params]).fetchall()


def _latest_at(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
               district: str, at: datetime) -> tuple[float | None, datetime | None, tuple[str, ...]]:
    """The city (or district) figure at ``at``: each district's latest value, combined (or the
    city-level row's, see the module's docstring). Rounded to 9 places: DuckDB's parallel sums
    differ in the last bit from run to run, and a figure like 1.065 would otherwise flip
    between 1.06 and 1.07 on screen at every refresh."""
    lo = at - LOOKBACK
    src, params = _source(metric, lo, at, mark, _where(district, districts_only=False))
    pick = (f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT EXISTS "
            f"(SELECT 1 FROM latest WHERE district IS NOT DISTINCT FROM '{CITY_CODE}')"
            if _city_wide(district) else "")
    agg = METRICS[metric].city_agg
    row = cur.execute(
        f"""WITH latest AS (
              SELECT district, arg_max(v, vt) AS v, max(t) AS t, arg_max(feed, t) AS feed
              FROM ({src}) GROUP BY district)
            SELECT round({agg}(v), 9), max(t), list(DISTINCT feed ORDER BY feed)
            FROM latest{pick}""", params).fetchall()
    if not row or row[0][1] is None:
        return None, None, ()
    value, as_of, feeds = row[0]
    return value, as_of, tuple(feeds or ())


def _bucketed(cur: duckdb.DuckDBPyConnection, mark: datetime | None, metric: str,
              district: str, start: datetime, end: datetime,
              bucket_minutes: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-bucket figure: each district's bucket average, combined like the city figure. A
    bucket whose every value is NULL is left out (there is nothing to draw)."""
    src, params = _source(metric, start, end, mark, _where(district, districts_only=False),
                          bucket=int(bucket_minutes))
    agg = METRICS[metric].city_agg
    pick = (f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT has_city"
            if _city_wide(district) else "")
    rows = cur.execute(
        f"""WITH b AS (
              SELECT t, district, sum(s) / sum(n) AS v,
                     bool_or(district IS NOT DISTINCT FROM '{CITY_CODE}')
                         OVER (PARTITION BY t) AS has_city
              FROM ({src}) GROUP BY t, district)
            SELECT epoch(t), round({agg}(v), 9) AS v FROM b{pick} GROUP BY t
            HAVING v IS NOT NULL ORDER BY t""",
        params).fetchall()
    return tuple(float(r[0]) for r in rows), tuple(float(r[1]) for r in rows)


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
    code = spec["metric"]
    m = METRICS[code]
    district = spec.get("district") or CITY_CODE
    with snapshot(cur) as mark:
        value, as_of, feeds = _latest_at(cur, mark, code, district, now)
        previous = None
        if as_of is not None:
            previous, _, _ = _latest_at(cur, mark, code, district, as_of - DAY)
        spark: tuple[float, ...] = ()
        hours = spec.get("sparkline_hours") or 0
        if hours and as_of is not None:
            bucket = max(1, int(hours * 60 / 48))  # about 48 points whatever the window
            _, spark = _bucketed(cur, mark, code, district, as_of - timedelta(hours=hours),
                                 as_of, bucket)
    decimals = spec.get("decimals")
    return KpiVM(
        value=value, unit=m.unit, decimals=m.decimals if decimals is None else decimals,
        as_of=as_of, previous=previous, spark=spark, good=m.good, economic=m.economic,
        source="、".join(feeds))


def timeseries(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> SeriesVM:
    district = spec.get("district") or CITY_CODE
    hours = spec.get("hours") or 24
    bucket = spec.get("bucket_minutes") or 10
    out = []
    newest: datetime | None = None
    feeds: set[str] = set()
    with snapshot(cur) as mark:
        for code in spec["metrics"]:
            m = METRICS[code]
            _, as_of, fs = _latest_at(cur, mark, code, district, now)
            feeds.update(fs)
            if as_of is None:
                out.append(Series(m.name, m.unit, m.decimals, (), ()))
                continue
            newest = as_of if newest is None or as_of > newest else newest
            times, values = _bucketed(cur, mark, code, district,
                                      as_of - timedelta(hours=hours), as_of, bucket)
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
