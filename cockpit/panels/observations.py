"""The observation panels' queries (kpi, timeseries, ranking): (cursor, PanelSpec, now) ->
view-model, from the ``observations`` table. Run on worker threads, each with its own DuckDB
cursor; they only read. No Qt. Every panel kind's query lives in this package
(:mod:`cockpit.panels`), one module per table it reads."""

from __future__ import annotations

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


def _district_clause(district: str) -> tuple[str, list[object]]:
    if district and district != CITY_CODE:
        return " AND district = ?", [district]
    return "", []


def _latest(cur: duckdb.DuckDBPyConnection, metric: str, district: str,
            at: datetime) -> tuple[float | None, datetime | None, tuple[str, ...]]:
    """The city (or district) figure at ``at``: each district's latest value, combined.
    Rounded to 9 places: DuckDB's parallel sums differ in the last bit from run to run, and a
    figure like 1.065 would otherwise flip between 1.06 and 1.07 on screen at every refresh."""
    clause, params = _district_clause(district)
    agg = METRICS[metric].city_agg
    row = cur.execute(
        f"""WITH latest AS (
              SELECT district, arg_max(value, ts) AS v, max(ts) AS t, any_value(feed) AS feed
              FROM observations
              WHERE metric = ? AND ts <= ? AND ts > ?{clause}
              GROUP BY district)
            SELECT round({agg}(v), 9), max(t), list(DISTINCT feed) FROM latest""",
        [metric, at, at - LOOKBACK, *params]).fetchone()
    if row is None or row[1] is None:
        return None, None, ()
    return row[0], row[1], tuple(row[2] or ())


def _bucketed(cur: duckdb.DuckDBPyConnection, metric: str, district: str, start: datetime,
              end: datetime, bucket_minutes: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-bucket figure: each district's bucket average, combined like the city figure."""
    clause, params = _district_clause(district)
    agg = METRICS[metric].city_agg
    rows = cur.execute(
        f"""WITH b AS (
              SELECT time_bucket(to_minutes(CAST({int(bucket_minutes)} AS BIGINT)), ts) AS t,
                     district, avg(value) AS v
              FROM observations
              WHERE metric = ? AND ts > ? AND ts <= ?{clause}
              GROUP BY ALL)
            SELECT epoch(t), round({agg}(v), 9) FROM b GROUP BY t ORDER BY t""",
        [metric, start, end, *params]).fetchall()
    return tuple(float(r[0]) for r in rows), tuple(float(r[1]) for r in rows)


def kpi(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> KpiVM:
    code = spec["metric"]
    m = METRICS[code]
    district = spec.get("district") or CITY_CODE
    value, as_of, feeds = _latest(cur, code, district, now)
    previous = None
    if as_of is not None:
        previous, _, _ = _latest(cur, code, district, as_of - DAY)
    spark: tuple[float, ...] = ()
    hours = spec.get("sparkline_hours") or 0
    if hours and as_of is not None:
        bucket = max(1, int(hours * 60 / 48))  # about 48 points whatever the window
        _, spark = _bucketed(cur, code, district, as_of - timedelta(hours=hours), as_of, bucket)
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
    for code in spec["metrics"]:
        m = METRICS[code]
        _, as_of, fs = _latest(cur, code, district, now)
        feeds.update(fs)
        if as_of is None:
            out.append(Series(m.name, m.unit, m.decimals, (), ()))
            continue
        newest = as_of if newest is None or as_of > newest else newest
        times, values = _bucketed(cur, code, district, as_of - timedelta(hours=hours), as_of,
                                  bucket)
        out.append(Series(m.name, m.unit, m.decimals, times, values))
    return SeriesVM(series=tuple(out), as_of=newest, source="、".join(sorted(feeds)))


def ranking(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> RankingVM:
    code = spec["metric"]
    m = METRICS[code]
    order = "DESC" if spec.get("order", "desc") == "desc" else "ASC"
    rows = cur.execute(
        f"""SELECT district, arg_max(value, ts) AS v, max(ts) AS t, any_value(feed)
            FROM observations
            WHERE metric = ? AND ts <= ? AND ts > ? AND district IS NOT NULL AND district <> ?
            GROUP BY district ORDER BY v {order}, district LIMIT ?""",
        [code, now, now - LOOKBACK, CITY_CODE, int(spec.get("top") or 12)]).fetchall()
    as_of = max((r[2] for r in rows), default=None)
    feeds = sorted({r[3] for r in rows if r[3]})
    return RankingVM(
        rows=tuple(RankingRow(r[0], DISTRICT_SHORT.get(r[0], r[0]), float(r[1])) for r in rows),
        unit=m.unit, decimals=m.decimals, as_of=as_of, source="、".join(feeds))
