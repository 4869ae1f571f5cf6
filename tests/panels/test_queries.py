"""Panel queries against the demo cache, checked by independent SQL (no Qt)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support import NOW

from cockpit.data.store import Store
from cockpit.model.layout import Cell, PanelSpec
from cockpit.model.metrics import DISTRICT_SHORT, DISTRICTS, SEVERITIES, district_name
from cockpit.model.registry import PANEL_KINDS
from cockpit.panels import observations as queries
from cockpit.panels.alerts import alerts as alerts_query

DAY = timedelta(days=1)


def spec(kind: str, **params) -> PanelSpec:
    """A panel spec as the layout loader makes it: every field of the kind filled in."""
    fields = {f.name: f.default for f in PANEL_KINDS.get(kind).fields}
    unknown = set(params) - set(fields)
    assert not unknown, unknown
    return PanelSpec(id=f"{kind}-test", kind=kind, title="测试", cell=Cell(0, 0),
                     stale_after=600.0, params={**fields, **params}, screen=0,
                     layout_id="test")


@pytest.fixture(scope="module")
def cur(demo_store: Store):
    return demo_store.reader()


def latest_by_district(cur, metric: str, at) -> dict[str, float]:
    """Each district's value at its newest timestamp not after ``at`` (a plain self-join)."""
    return dict(cur.execute(
        """SELECT o.district, o.value FROM observations o
           JOIN (SELECT district, max(ts) AS ts FROM observations
                 WHERE metric = ? AND ts <= ? GROUP BY district) m USING (district, ts)
           WHERE o.metric = ?""", [metric, at, metric]).fetchall())


# -- kpi ------------------------------------------------------------------------------------
def test_kpi_sum_metric_is_the_sum_of_each_districts_latest(cur):
    vm = queries.kpi(cur, spec("kpi", metric="hotline_opened"), NOW)
    now_values = latest_by_district(cur, "hotline_opened", NOW)
    assert len(now_values) == len(DISTRICTS)
    assert vm.value == pytest.approx(sum(now_values.values()))
    assert vm.as_of == NOW
    yesterday = latest_by_district(cur, "hotline_opened", NOW - DAY)
    assert vm.previous == pytest.approx(sum(yesterday.values()))
    assert vm.unit == "件" and vm.source == "demo" and vm.decimals == 0
    assert 40 <= len(vm.spark) <= 56  # "about 48 points" over the 6-hour default


def test_kpi_avg_metric_is_the_mean_of_each_districts_latest(cur):
    vm = queries.kpi(cur, spec("kpi", metric="aqi", sparkline_hours=0), NOW)
    now_values = latest_by_district(cur, "aqi", NOW)
    assert vm.value == pytest.approx(sum(now_values.values()) / len(now_values))
    yesterday = latest_by_district(cur, "aqi", NOW - DAY)
    assert vm.previous == pytest.approx(sum(yesterday.values()) / len(yesterday))
    assert vm.spark == ()
    assert vm.good == "down"


def test_kpi_of_one_district_and_decimals_override(cur):
    vm = queries.kpi(cur, spec("kpi", metric="congestion", district="370705", decimals=1), NOW)
    assert vm.value == pytest.approx(latest_by_district(cur, "congestion", NOW)["370705"])
    assert vm.previous == pytest.approx(
        latest_by_district(cur, "congestion", NOW - DAY)["370705"])
    assert vm.decimals == 1


def test_kpi_at_an_earlier_moment(cur):
    at = NOW - timedelta(hours=3, minutes=2)  # between two samples: the one before counts
    vm = queries.kpi(cur, spec("kpi", metric="wst_users"), at)
    assert vm.as_of == NOW - timedelta(hours=3, minutes=5)
    assert vm.value == pytest.approx(sum(latest_by_district(cur, "wst_users", at).values()))


# -- ranking --------------------------------------------------------------------------------
def test_ranking_orders_and_top(cur):
    latest = latest_by_district(cur, "parking_occupancy", NOW)
    by_value = sorted(latest.items(), key=lambda kv: (-kv[1], kv[0]))
    desc = queries.ranking(cur, spec("ranking", metric="parking_occupancy"), NOW)
    assert [r.district for r in desc.rows] == [d for d, _ in by_value]
    assert [r.value for r in desc.rows] == pytest.approx([v for _, v in by_value])
    assert [r.name for r in desc.rows] == [DISTRICT_SHORT[d] for d, _ in by_value]
    assert desc.as_of == NOW and desc.unit == "%" and desc.decimals == 1
    asc = queries.ranking(cur, spec("ranking", metric="parking_occupancy", order="asc", top=5),
                          NOW)
    by_value_asc = sorted(latest.items(), key=lambda kv: (kv[1], kv[0]))
    assert [r.district for r in asc.rows] == [d for d, _ in by_value_asc[:5]]
    top3 = queries.ranking(cur, spec("ranking", metric="parking_occupancy", top=3), NOW)
    assert [r.district for r in top3.rows] == [d for d, _ in by_value[:3]]


# -- timeseries -----------------------------------------------------------------------------
@pytest.mark.parametrize(("hours", "bucket"), [(24, 10), (6, 5), (48, 60), (2, 1)])
def test_timeseries_bucket_count(cur, hours, bucket):
    vm = queries.timeseries(cur, spec("timeseries", metrics=["aqi", "hotline_opened"],
                                      hours=hours, bucket_minutes=bucket), NOW)
    assert vm.as_of == NOW and vm.source == "demo"
    expected = hours * 60 / bucket
    for series in vm.series:
        n = len(series.times)
        # with 5-minute samples a bucket finer than 5 minutes holds at most one sample
        if bucket < 5:
            expected = hours * 60 / 5
        assert abs(n - expected) <= 1, (series.name, n, expected)
        assert len(series.values) == n
        assert list(series.times) == sorted(series.times)
        assert series.times[-1] <= NOW.timestamp()
        assert series.times[0] >= (NOW - timedelta(hours=hours)).timestamp() - bucket * 60


def test_timeseries_bucket_values(cur):
    vm = queries.timeseries(cur, spec("timeseries", metrics=["aqi"], district="370705",
                                      hours=1, bucket_minutes=30), NOW)
    (series,) = vm.series
    for start, value in zip(series.times, series.values, strict=True):
        mean = cur.execute(
            "SELECT avg(value) FROM observations WHERE metric = 'aqi' AND district = '370705' "
            "AND epoch(ts) >= ? AND epoch(ts) < ? + 1800 AND ts > ? AND ts <= ?",
            [start, start, NOW - timedelta(hours=1), NOW]).fetchone()[0]
        assert value == pytest.approx(mean)


# -- alerts ---------------------------------------------------------------------------------
def test_alerts_newest_first_unacked_criticals_first(cur):
    vm = alerts_query(cur, spec("alerts", limit=200), NOW)
    listed = cur.execute("SELECT count(*) FROM alerts WHERE state IN ('open', 'acked') "
                         "AND ts <= ?", [NOW]).fetchone()[0]
    assert len(vm.rows) == listed > 0
    assert {r.state for r in vm.rows} <= {"open", "acked"}  # cleared ones are not listed
    urgent = [r.severity == "critical" and r.state == "open" for r in vm.rows]
    n_urgent = sum(urgent)
    assert urgent == [True] * n_urgent + [False] * (len(urgent) - n_urgent)
    for part in (vm.rows[:n_urgent], vm.rows[n_urgent:]):
        assert [r.ts for r in part] == sorted((r.ts for r in part), reverse=True)
    assert vm.unacked_critical == tuple(r.alert_id for r in vm.rows[:n_urgent])
    open_counts = dict(cur.execute("SELECT severity, count(*) FROM alerts WHERE state = 'open' "
                                   "AND ts <= ? GROUP BY 1", [NOW]).fetchall())
    assert vm.counts == tuple((s, open_counts.get(s, 0)) for s in SEVERITIES)
    assert vm.as_of == NOW and vm.source == "demo"  # the feed's last success (conftest)


def test_alerts_filters_and_limit(cur):
    crit = alerts_query(cur, spec("alerts", severities=["critical", "major"], limit=200), NOW)
    assert crit.rows and {r.severity for r in crit.rows} <= {"critical", "major"}
    assert [s for s, _ in crit.counts] == ["critical", "major"]
    fire = alerts_query(cur, spec("alerts", categories=["fire", "traffic"], limit=200), NOW)
    assert fire.rows and {r.category for r in fire.rows} <= {"fire", "traffic"}
    kuiwen = alerts_query(cur, spec("alerts", district="370705", limit=200), NOW)
    assert kuiwen.rows and {r.district for r in kuiwen.rows} == {district_name("370705")}
    every = alerts_query(cur, spec("alerts", limit=200), NOW)
    assert len(crit.rows) + len(alerts_query(
        cur, spec("alerts", severities=["minor", "info"], limit=200), NOW).rows) == len(every.rows)
    few = alerts_query(cur, spec("alerts", limit=3), NOW)
    assert few.rows == every.rows[:3]
    earlier = alerts_query(cur, spec("alerts", limit=200), NOW - timedelta(hours=6))
    assert all(r.ts <= NOW - timedelta(hours=6) for r in earlier.rows)


# -- an empty cache -------------------------------------------------------------------------
def test_queries_on_an_empty_cache_return_empty_view_models(tmp_path: Path):
    with Store(tmp_path / "empty.duckdb") as store:
        c = store.reader()
        kpi = queries.kpi(c, spec("kpi", metric="aqi"), NOW)
        assert (kpi.value, kpi.as_of, kpi.previous, kpi.spark, kpi.source) == (
            None, None, None, (), "")
        ts = queries.timeseries(c, spec("timeseries", metrics=["aqi", "pm25"]), NOW)
        assert ts.as_of is None and [s.times for s in ts.series] == [(), ()]
        rank = queries.ranking(c, spec("ranking", metric="aqi"), NOW)
        assert rank.as_of is None and rank.rows == ()
        al = alerts_query(c, spec("alerts"), NOW)
        assert al.as_of is None and al.rows == () and all(n == 0 for _, n in al.counts)
