"""The rollups (issue 18): the observation panels read them instead of days of raw rows, and
answer exactly what the raw query answers, on a real DuckDB cache, through every way rows come
and go (pages, a late page, a re-sent page, a snapshot-style write, retention, an old cache
migrated). And the city-wide figure does not count a city-level row twice."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cockpit.data import rollup
from cockpit.data.schema import MIGRATIONS
from cockpit.data.store import Store
from cockpit.model.layout_spec import Cell, PanelSpec
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS
from cockpit.panels import observations as q

NOW = datetime(2026, 11, 27, 15, 37, 12, 345678, tzinfo=UTC)
CODES = list(DISTRICTS)[:5]
METRIC_SET = ("aqi", "hotline_opened", "congestion")


def spec(kind: str, **params) -> PanelSpec:
    """A panel spec as the layout loader makes it: every field of the kind filled in."""
    fields = {f.name: f.default for f in PANEL_KINDS.get(kind).fields}
    return PanelSpec(id=f"{kind}-test", kind=kind, title="测试", cell=Cell(0, 0),
                     stale_after=600.0, params={**fields, **params}, screen=0,
                     layout_id="test")


def _rows(start: datetime, end: datetime, *, seed: int, city: bool = True,
          feed: str = "f") -> pa.Table:
    """Irregular times (not on bucket edges) for a few districts and metrics; a city-level
    series for hotline_opened; now and then a NULL value."""
    ts, metric, district, value, entity = [], [], [], [], []
    k = seed
    t = start
    while t <= end:
        for m in METRIC_SET:
            for code in CODES + ([CITY_CODE] if city and m == "hotline_opened" else []):
                k += 1
                if (k * 7919) % 11 == 0:
                    continue  # a district that skipped this reading
                ts.append(t + timedelta(seconds=(k * 37) % 170))
                metric.append(m)
                district.append(code)
                entity.append(f"{code}:{m}")
                value.append(None if k % 97 == 0 else round(((k * 7919) % 10007) / 37.0, 2))
        t += timedelta(minutes=3, seconds=11)
    n = len(ts)
    return pa.table({
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "feed": [feed if d != CITY_CODE else "city"
                 for d in district],
        "entity_id": entity, "entity_type": ["district"] * n, "metric": metric,
        "value": pa.array(value, pa.float64()), "unit": [""] * n, "district": district,
        "lat": [36.7] * n, "lon": [119.1] * n})


# -- the raw queries the rollups must answer like (the panels' queries before issue 18, with
# -- the city-wide rule) --------------------------------------------------------------------
def _raw_latest(cur, metric: str, district: str, at: datetime):
    clause, params = ((" AND district = ?", [district]) if district != CITY_CODE else ("", []))
    pick = ("" if district != CITY_CODE else
            f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT EXISTS (SELECT 1 FROM "
            f"latest WHERE district IS NOT DISTINCT FROM '{CITY_CODE}')")
    row = cur.execute(
        f"""WITH latest AS (
              SELECT district, arg_max(value, ts) AS v, max(ts) AS t FROM observations
              WHERE metric = ? AND ts <= ? AND ts > ?{clause} GROUP BY district)
            SELECT round({METRICS[metric].city_agg}(v), 9), max(t) FROM latest{pick}""",
        [metric, at, at - q.LOOKBACK, *params]).fetchall()[0]
    return row


def _raw_bucketed(cur, metric: str, district: str, start: datetime, end: datetime, b: int):
    clause, params = ((" AND district = ?", [district]) if district != CITY_CODE else ("", []))
    pick = ("" if district != CITY_CODE else
            f" WHERE district IS NOT DISTINCT FROM '{CITY_CODE}' OR NOT has_city")
    rows = cur.execute(
        f"""WITH b0 AS (
              SELECT time_bucket(to_minutes(CAST({b} AS BIGINT)), ts) AS t, district,
                     avg(value) AS v
              FROM observations WHERE metric = ? AND ts > ? AND ts <= ?{clause} GROUP BY ALL),
            b AS (SELECT *, bool_or(district IS NOT DISTINCT FROM '{CITY_CODE}')
                                OVER (PARTITION BY t) AS has_city FROM b0)
            SELECT epoch(t), round({METRICS[metric].city_agg}(v), 9) AS v FROM b{pick}
            GROUP BY t HAVING v IS NOT NULL ORDER BY t""", [metric, start, end, *params]
    ).fetchall()
    return [(float(a), None if v is None else float(v)) for a, v in rows]


def _raw_by_district(cur, metric: str, at: datetime, lookback: timedelta | None):
    low = "" if lookback is None else " AND ts > ?"
    return sorted(cur.execute(
        f"""SELECT district, arg_max(value, ts), max(ts) FROM observations
            WHERE metric = ? AND ts <= ?{low} AND district IS NOT NULL AND district <> ?
            GROUP BY district""",
        [metric, at, *([] if lookback is None else [at - lookback]), CITY_CODE]).fetchall())


def _close(a, b) -> bool:
    """Equal; both are rounded to 9 places, so sums taken in another order (DuckDB's threads
    already vary it between runs of the same query) may at most tip the last place."""
    if a is None or b is None:
        return a is b
    return a == b or math.isclose(a, b, rel_tol=0, abs_tol=1.5e-9)


def _assert_like_raw(cur, *, thorough: bool = False) -> int:
    """Every query shape the panels use, at several moments (the newest hour, a day back, on
    and off bucket edges), rollup path against raw; returns how many answers were compared."""
    moments = [NOW, NOW - timedelta(days=1), datetime(2026, 11, 26, 9, 0, tzinfo=UTC)]
    if thorough:
        moments += [NOW - timedelta(hours=5, minutes=40), NOW + timedelta(days=3)]
    windows = ((24, 30), (48, 60), (6, 7), (72, 90)) + (((6, 10), (12, 15)) if thorough else ())
    compared = 0
    with q.snapshot(cur) as mark:
        assert mark is not None  # the rollups are in use, not bypassed
        for metric in METRIC_SET if thorough else ("hotline_opened",):
            for district in (CITY_CODE, CODES[1]):
                for at in moments:
                    value, as_of, _ = q._latest_at(cur, mark, metric, district, at)
                    raw = _raw_latest(cur, metric, district, at)
                    assert _close(value, raw[0]) and as_of == raw[1], (metric, district, at)
                    for hours, b in windows:
                        times, got = q._bucketed(cur, mark, metric, district,
                                                 at - timedelta(hours=hours), at, b)
                        want = _raw_bucketed(cur, metric, district,
                                             at - timedelta(hours=hours), at, b)
                        assert list(times) == [w[0] for w in want], (metric, district, at, b)
                        assert all(_close(g, w[1]) for g, w in zip(got, want, strict=True)), \
                            (metric, district, at, b)
                        compared += 1
            for at in moments:
                for lookback in (None, q.LOOKBACK):
                    got = sorted((d, v, t) for d, v, t, _ in q._per_district(
                        cur, mark, metric, None, at, lookback, districts_only=True))
                    assert got == _raw_by_district(cur, metric, at, lookback), (metric, at)
                    compared += 1
        # a panel's metrics read in one statement answer what each metric's raw query does
        # (a sum metric, a mean one, and one with city-level rows)
        for district in (CITY_CODE, CODES[1]):
            for at in moments:
                latest = q._latest_many(cur, mark, METRIC_SET, district, at)
                for metric in METRIC_SET:
                    raw = _raw_latest(cur, metric, district, at)
                    assert _close(latest[metric][0], raw[0]) and latest[metric][1] == raw[1], \
                        ("together", metric, district, at)
                for hours, b in windows:
                    series = q._bucketed_many(cur, mark, METRIC_SET, district,
                                              at - timedelta(hours=hours), at, b)
                    for metric in METRIC_SET:
                        times, got = series[metric]
                        want = _raw_bucketed(cur, metric, district,
                                             at - timedelta(hours=hours), at, b)
                        assert list(times) == [w[0] for w in want], ("together", metric, at, b)
                        assert all(_close(g, w[1]) for g, w in zip(got, want, strict=True)), \
                            ("together", metric, district, at, b)
                        compared += 1
    return compared


def _rebuilt(cur) -> dict[str, list]:
    """The rollups as a full rebuild from the raw rows up to the watermark would make them."""
    mark = cur.execute("SELECT until FROM obs_rollup_state").fetchall()[0][0]
    out = {}
    for table, width in (("obs_10m", 10), ("obs_1h", 60)):
        out[table] = cur.execute(
            f"""SELECT metric, district, time_bucket(INTERVAL {width} MINUTE, ts), count(value),
                       round(sum(value), 6), max(ts) FROM observations WHERE ts < ?
                GROUP BY ALL ORDER BY ALL""", [mark]).fetchall()
    return out


def _kept(cur) -> dict[str, list]:
    return {table: cur.execute(
        f"SELECT metric, district, bucket, n, round(total, 6), last_ts FROM {table} "
        f"ORDER BY ALL").fetchall() for table in ("obs_10m", "obs_1h")}


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "cache.duckdb") as s:
        yield s


def test_rollups_answer_like_the_raw_rows_through_pages_late_rows_imports_and_retention(store):
    start = NOW - timedelta(days=9)
    page = timedelta(hours=7)
    t = start
    while t < NOW:  # a feed's pages, each with its checkpoint
        store.ingest("f", observations=_rows(t, min(t + page, NOW) - timedelta(seconds=1),
                                             seed=int(t.timestamp()) % 1000),
                     checkpoint=t.isoformat(), at=t)
        t += page
    cur = store.reader()
    # each write rolls at most rollup.ROLL_MAX: the watermark lags behind these 7-hour pages
    assert rollup.floor(start, 60) < rollup.until(cur) < rollup.floor(NOW, 60)
    assert _kept(cur) == _rebuilt(cur)
    assert _assert_like_raw(cur, thorough=True) > 200

    # a late page (rows two days old) and the same page again: nothing added the second time
    late = _rows(NOW - timedelta(days=2, hours=3), NOW - timedelta(days=2), seed=5, feed="late")
    assert store.ingest("late", observations=late) > 0
    assert store.ingest("late", observations=late) == 0
    assert _kept(cur) == _rebuilt(cur)
    _assert_like_raw(cur)

    # a page refused after it rolled the rollups on (its alert breaks NOT NULL): the watermark
    # stays where it was (the writer keeps it between pages and must forget what it saw), and
    # the pages after it roll on from there
    mark = rollup.until(cur)
    kept = _kept(cur)
    again = _rows(mark + timedelta(hours=1), mark + timedelta(hours=3, minutes=5), seed=6,
                  feed="again")
    bad = pa.table({"alert_id": ["a"], "ts": pa.nulls(1, pa.timestamp("us", tz="UTC"))})
    with pytest.raises(duckdb.Error):
        store.ingest("again", observations=again, alerts=bad)
    assert rollup.until(cur) == mark and _kept(cur) == kept
    assert store.ingest("again", observations=again) > 0
    assert store.ingest("again", observations=_rows(
        mark + timedelta(hours=3, minutes=6), mark + timedelta(hours=6, minutes=5), seed=7,
        feed="again")) > 0
    assert rollup.until(cur) > mark
    assert _kept(cur) == _rebuilt(cur)
    _assert_like_raw(cur)

    # rows written behind the store's back (as a snapshot import does): rebuilt from the start
    store.write(lambda con: con.execute(
        "INSERT INTO observations SELECT ts - INTERVAL 30 DAY, 'old', entity_id, entity_type, "
        "metric, value + 1, unit, district, lat, lon FROM observations WHERE feed = 'f'"))
    store.roll_up()
    assert rollup.until(cur) == rollup.floor(
        cur.execute("SELECT max(ts) FROM observations").fetchall()[0][0], 60)
    assert _kept(cur) == _rebuilt(cur)
    _assert_like_raw(cur)

    # retention cuts in the middle of an hour
    cut = NOW - timedelta(days=6, minutes=17)
    while store.prune_observations(cut, 5_000):
        pass
    assert cur.execute("SELECT min(ts) >= ? FROM observations", [cut]).fetchall()[0][0]
    assert _kept(cur) == _rebuilt(cur)
    _assert_like_raw(cur)


def test_the_panel_functions_read_the_rollups_and_match_a_cache_without_them(tmp_path):
    """The registry's query functions give the same view-models with rollups and without
    (watermark NULL: everything raw)."""
    with Store(tmp_path / "a.duckdb") as store:
        store.ingest("f", observations=_rows(NOW - timedelta(days=3), NOW, seed=3))
        cur = store.reader()
        specs = [spec("kpi", metric="hotline_opened", sparkline_hours=24),
                 spec("kpi", metric="aqi", district=CODES[2], sparkline_hours=72),
                 spec("timeseries", metrics=list(METRIC_SET), hours=48, bucket_minutes=60),
                 spec("timeseries", metrics=["aqi"]),
                 spec("ranking", metric="congestion")]
        fns = {"kpi": q.kpi, "timeseries": q.timeseries, "ranking": q.ranking}
        with_rollups = [fns[p.kind](cur, p, NOW) for p in specs]
        assert rollup.until(cur) is not None
        store._transaction(rollup.reset)
        assert rollup.until(cur) is None
        assert [fns[p.kind](cur, p, NOW) for p in specs] == with_rollups


def test_an_old_cache_is_migrated_with_its_rollups_built(tmp_path):
    path = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    for version in (1, 2, 3, 4):
        con.execute(MIGRATIONS[version])
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    rows = _rows(NOW - timedelta(days=2), NOW, seed=9)
    con.register("b", rows)
    con.execute(f"INSERT INTO observations ({', '.join(rows.column_names)}) SELECT * FROM b")
    con.close()
    with Store(path) as store:
        cur = store.reader()
        assert store.schema_version() == 5
        assert rollup.until(cur) == rollup.floor(
            cur.execute("SELECT max(ts) FROM observations").fetchall()[0][0], 60)
        assert _kept(cur) == _rebuilt(cur)
        assert cur.execute("SELECT count(*) FROM obs_1h").fetchall()[0][0] > 0
        _assert_like_raw(cur)


def _one(ts: datetime, district: str, value: float, metric: str = "hotline_opened") -> dict:
    return {"ts": ts, "feed": "city" if district == CITY_CODE else "f",
            "entity_id": f"{district}:{metric}", "metric": metric, "value": value,
            "district": district}


def test_the_city_figure_takes_a_city_level_row_instead_of_adding_it_to_the_districts(store):
    t = NOW - timedelta(minutes=2)
    rows = [_one(t, code, 10.0) for code in CODES]  # five districts: 50 together
    store.ingest("f", observations=pa.Table.from_pylist(rows))
    kpi = spec("kpi", metric="hotline_opened")
    assert q.kpi(store.reader(), kpi, NOW).value == 50.0  # no city row: the districts' sum
    store.ingest("city", observations=pa.Table.from_pylist([_one(t, CITY_CODE, 57.0)]))
    vm = q.kpi(store.reader(), kpi, NOW)
    assert vm.value == 57.0 and vm.source == "city"  # the city's own figure, not 107
    # a district's figure and the ranking never include the city-level row
    one = spec("kpi", metric="hotline_opened", district=CODES[0])
    assert q.kpi(store.reader(), one, NOW).value == 10.0
    ranking = q.ranking(store.reader(), spec("ranking", metric="hotline_opened"), NOW)
    assert CITY_CODE not in [r.district for r in ranking.rows] and len(ranking.rows) == 5


def test_a_series_bucket_with_a_city_level_row_takes_it_and_one_without_adds_the_districts(store):
    base = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    rows = [_one(base + timedelta(minutes=10 * k + 1), code, 1.0 + k)
            for k in range(6) for code in CODES]
    rows += [_one(base + timedelta(minutes=10 * k + 2), CITY_CODE, 100.0 + k) for k in (1, 3)]
    store.ingest("f", observations=pa.Table.from_pylist(rows))
    series = spec("timeseries", metrics=["hotline_opened"], hours=2, bucket_minutes=10)
    vm = q.timeseries(store.reader(), series, base + timedelta(hours=1))
    # the series ends with the figure's own time, the city-level row's newest (12:32)
    assert vm.as_of == base + timedelta(minutes=32)
    starts = [(base + timedelta(minutes=10 * k)).timestamp() for k in range(4)]
    assert vm.series[0].times == tuple(starts)
    assert vm.series[0].values == (5.0, 101.0, 15.0, 103.0)
