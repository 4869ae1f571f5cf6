"""The six topical walls of issue 17 (智慧社区, 智慧消防, 智慧健康, 智慧教育, 智慧社保, 文旅消费) on
the demo data: each layout loads, every panel's query gives a view-model with something to show
on a cache replayed from the committed demo snapshot, and the fire service's key units (and
every other placed record) lie inside their own district's outline. No Qt."""

from __future__ import annotations

import json

import duckdb
import pytest
from shapely.geometry import Point, shape
from support import DEMO_SNAPSHOT, NOW, ROOT

from cockpit.model.layout import load_layout, load_layouts
from cockpit.model.metrics import ALERT_CATEGORIES, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.resources import districts_file
from cockpit.panels import viewmodels as vms
from maps.coords import wgs84_to_gcj02

WALLS = {"community": "智慧社区", "fire": "智慧消防", "health": "智慧健康", "education": "智慧教育",
         "social": "智慧社保", "tourism": "文旅消费"}
LAYOUTS = ROOT / "layouts"


def _shows_something(vm) -> bool:
    """What a user would call a panel with data: every figure it lists is known."""
    if isinstance(vm, vms.KpiVM):
        return vm.value is not None and len(vm.spark) > 1
    if isinstance(vm, vms.SeriesVM):
        return bool(vm.series) and all(len(s.values) > 10 for s in vm.series)
    if isinstance(vm, vms.RankingVM):
        return len(vm.rows) == len(DISTRICTS)
    if isinstance(vm, vms.AlertsVM):
        return len(vm.rows) > 0
    if isinstance(vm, vms.GaugeVM):
        return vm.value is not None and vm.percent is not None and vm.previous is not None
    if isinstance(vm, vms.ProgressVM):
        return bool(vm.rows) and all(r.value is not None and r.target for r in vm.rows)
    if isinstance(vm, vms.BarVM):
        return bool(vm.categories) and all(v is not None for s in vm.series for v in s.values)
    if isinstance(vm, vms.RingVM):
        return len(vm.slices) > 1 and vm.total and all(s.share is not None for s in vm.slices)
    if isinstance(vm, vms.FunnelVM):
        return len(vm.stages) > 2 and all(s.value for s in vm.stages) and vm.overall is not None
    if isinstance(vm, vms.RadarVM):
        return len(vm.axes) > 2 and all(p is not None for s in vm.series for p in s.scaled)
    if type(vm).__name__ == "MapVM":
        payload = json.loads(vm.payload)
        return vm.devices > 0 and len(payload["districts"]) == len(DISTRICTS)
    raise AssertionError(f"no check for {type(vm).__name__}")


def test_the_walls_load_with_their_own_keys():
    layouts, errors = load_layouts(LAYOUTS)
    assert errors == []
    by_id = {layout.id: layout for layout in layouts}
    assert {i: by_id[i].name for i in WALLS} == WALLS
    orders = [by_id[i].order for i in WALLS]
    assert orders == sorted(orders) and len(set(o.order for o in layouts)) == len(layouts)


@pytest.mark.parametrize("wall", list(WALLS))
def test_every_panel_shows_demo_data(demo_store, wall):
    layout = load_layout(LAYOUTS / f"{wall}.toml")
    cur = demo_store.reader()
    empty = []
    for spec in layout.panels():
        vm = PANEL_KINDS.get(spec.kind).query_function()(cur, spec, NOW)
        if not _shows_something(vm):
            empty.append((spec.id, spec.kind, vm))
    assert empty == []
    strip = [spec for spec in layout.panels() if spec.cell.row == 0]
    assert len(strip) >= 5 and {s.kind for s in strip} <= {"kpi", "gauge", "ring"}  # key figures


def test_the_walls_use_their_own_metrics_and_categories():
    """Each topical metric is on a wall, and each new alert category has its list."""
    used, categories = set(), set()
    for wall in WALLS:
        for spec in load_layout(LAYOUTS / f"{wall}.toml").panels():
            used |= set(spec.get("metrics") or []) | {spec.get("metric")} - {None}
            categories |= set(spec.get("categories") or []) if spec.kind == "alerts" else set()
    from cockpit.demo.topical import TOPICAL_METRICS

    assert set(TOPICAL_METRICS) <= used
    assert {"fire", "elderly", "health", "campus", "crowding"} == categories
    assert categories <= set(ALERT_CATEGORIES)
    for code in TOPICAL_METRICS:
        assert METRICS[code].good in ("up", "down", "neutral") and METRICS[code].city_agg in (
            "sum", "avg")


@pytest.fixture(scope="module")
def outlines():
    data = json.loads(districts_file().read_text("utf-8"))
    return {f["properties"]["adcode"]: shape(f["geometry"]) for f in data["features"]}


def _inside(outlines, district: str, lat: float, lon: float) -> bool:
    # the cache holds WGS-84; the outlines (and the map) are GCJ-02
    return outlines[district].contains(Point(*wgs84_to_gcj02(lon, lat)))


def test_key_units_lie_inside_their_districts(demo_store, outlines):
    units = demo_store.reader().execute(
        "SELECT name, district, lat, lon FROM entities WHERE entity_type = 'fire_unit'").fetchall()
    assert len(units) >= 4 * len(DISTRICTS)
    assert {d for _, d, _, _ in units} == set(DISTRICTS)
    outside = [u for u in units if not _inside(outlines, u[1], u[2], u[3])]
    assert outside == []


def test_every_placed_device_and_alert_lies_inside_its_district(demo_store, outlines):
    cur = demo_store.reader()
    devices = cur.execute("SELECT entity_id, district, lat, lon FROM entities "
                          "WHERE lat IS NOT NULL AND entity_type <> 'district'").fetchall()
    alerts = cur.execute("SELECT alert_id, district, lat, lon FROM alerts "
                         "WHERE lat IS NOT NULL").fetchall()
    assert len(devices) > 100 and len(alerts) > 300
    outside = [r for r in devices + alerts if not _inside(outlines, r[1], r[2], r[3])]
    assert outside == []


def test_topical_series_have_the_shape_their_catalogue_entry_says():
    """Counts since midnight only grow through the day and restart near 0; rates stay in 0-100;
    nothing is negative."""
    from cockpit.demo.topical import TOPICAL_METRICS

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    obs = f"read_parquet('{DEMO_SNAPSHOT / 'observations.parquet'}')"
    local = "(ts AT TIME ZONE 'Asia/Shanghai')"
    daily = [m for m in TOPICAL_METRICS if METRICS[m].resets_daily]
    assert {"fire_alarms_today", "outpatient_today", "visitors_today"} <= set(daily)
    drops = con.execute(
        f"SELECT metric, count(*) FROM (SELECT metric, value - lag(value) OVER (PARTITION BY "
        f"district, metric, {local}::DATE ORDER BY ts) AS step FROM {obs} "
        f"WHERE metric IN (SELECT unnest(?::VARCHAR[]))) WHERE step < 0 GROUP BY 1",
        [daily]).fetchall()
    assert drops == []
    midnight, evening = con.execute(
        f"SELECT max(value) FILTER (WHERE strftime({local}, '%H:%M') = '00:00'), "
        f"min(value) FILTER (WHERE strftime({local}, '%H:%M') = '23:55') FROM {obs} "
        "WHERE metric = 'outpatient_today'").fetchone()
    assert midnight < 50 < evening
    rates = [m for m in TOPICAL_METRICS if METRICS[m].unit == "%"]
    low, high, negative = con.execute(
        f"SELECT min(value) FILTER (WHERE metric IN (SELECT unnest(?::VARCHAR[]))), "
        f"max(value) FILTER (WHERE metric IN (SELECT unnest(?::VARCHAR[]))), "
        f"count(*) FILTER (WHERE value < 0) FROM {obs} "
        f"WHERE metric IN (SELECT unnest(?::VARCHAR[]))",
        [rates, rates, list(TOPICAL_METRICS)]).fetchone()
    assert 0 <= low and high <= 100 and negative == 0
