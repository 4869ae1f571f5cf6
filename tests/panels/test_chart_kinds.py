"""The ring, funnel and radar queries (issue 17) on a real DuckDB cache: shares of a whole,
conversion through a flow, scores against targets or the best region. No Qt."""

from __future__ import annotations

import pyarrow as pa
import pytest
from support import NOW

from cockpit.data.store import Store
from cockpit.model.layout import Cell, PanelSpec
from cockpit.model.registry import PANEL_KINDS
from cockpit.panels.indicators import funnel, period_end, radar, ring

CITY, WEICHENG, HANTING, FANGZI, KUIWEN = "370700", "370702", "370703", "370704", "370705"

#: (period, code, name, region, value, target, unit); each code also has an older period whose
#: figures must never show
ROWS = [
    # insured persons by scheme (a ring), in 万人
    ("2026-11", "ss.scheme.a", "职工养老保险", CITY, 600.0, None, "万人"),
    ("2026-11", "ss.scheme.b", "居民养老保险", CITY, 300.0, None, "万人"),
    ("2026-11", "ss.scheme.c", "失业保险", CITY, 100.0, None, "万人"),
    ("2026-10", "ss.scheme.a", "职工养老保险", CITY, 1.0, None, "万人"),
    ("2026-10", "ss.scheme.b", "居民养老保险", CITY, 200.0, None, "万人"),
    ("2026-10", "ss.scheme.c", "失业保险", CITY, 99.0, None, "万人"),
    ("2026-11", "mixed.a", "参保人数", CITY, 10.0, None, "万人"),
    ("2026-11", "mixed.b", "基金支出", CITY, 10.0, None, "亿元"),
    # a service flow (a funnel), in 件
    ("2026-11", "flow.1", "受理", CITY, 1000.0, None, "件"),
    ("2026-11", "flow.2", "办理", CITY, 800.0, None, "件"),
    ("2026-11", "flow.3", "办结", CITY, 600.0, None, "件"),
    ("2026-10", "flow.3", "办结", CITY, 5.0, None, "件"),
    # scores by district (a radar), with targets
    ("2026-11", "score.a", "服务", WEICHENG, 90.0, 100.0, "分"),
    ("2026-11", "score.b", "效率", WEICHENG, 130.0, 100.0, "分"),
    ("2026-11", "score.c", "满意", WEICHENG, 40.0, None, "分"),
    ("2026-11", "score.a", "服务", HANTING, 45.0, 100.0, "分"),
    ("2026-11", "score.b", "效率", HANTING, 65.0, 100.0, "分"),
    ("2026-11", "score.c", "满意", HANTING, 80.0, 100.0, "分"),
    ("2026-11", "score.a", "服务", FANGZI, 60.0, 100.0, "分"),
    ("2026-11", "score.a", "服务", KUIWEN, 99.0, 100.0, "分"),
    ("2026-10", "score.a", "服务", WEICHENG, 10.0, 100.0, "分"),
]


def spec(kind: str, **params) -> PanelSpec:
    """A panel spec as the layout loader makes it: every field of the kind filled in."""
    fields = {f.name: f.default for f in PANEL_KINDS.get(kind).fields}
    assert not set(params) - set(fields), set(params) - set(fields)
    return PanelSpec(id=f"{kind}-test", kind=kind, title="测试", cell=Cell(0, 0),
                     stale_after=600.0, params={**fields, **params}, screen=0, layout_id="test")


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("charts") / "charts.duckdb")
    cols = list(zip(*ROWS, strict=True))
    names = ("period", "code", "name", "region", "value", "target", "unit")
    table = pa.table({n: pa.array(c, pa.float64() if n in ("value", "target") else pa.string())
                      for n, c in zip(names, cols, strict=True)})
    table = table.append_column("source", pa.array(["市人社局"] * len(ROWS)))
    store.upsert("indicators", table)
    yield store.reader()
    store.close()


# -- ring -------------------------------------------------------------------------------------
def test_ring_shares_the_latest_figures_of_a_prefix_in_code_order(cur):
    vm = ring(cur, spec("ring", prefix="ss.scheme.", center="参保总数"), NOW)
    assert [(s.name, s.value, s.share) for s in vm.slices] == [
        ("职工养老保险", 600.0, 60.0), ("居民养老保险", 300.0, 30.0), ("失业保险", 100.0, 10.0)]
    assert (vm.total, vm.unit, vm.center) == (1000.0, "万人", "参保总数")
    assert vm.as_of == min(NOW, period_end("2026-11")) and vm.source == "市人社局"
    assert vm.style.text(vm.total, vm.default_decimals) == "1,000万人"


def test_ring_compares_its_total_only_when_every_slice_has_the_period(cur):
    assert ring(cur, spec("ring", prefix="ss.scheme."), NOW).previous is None  # not asked
    mom = ring(cur, spec("ring", prefix="ss.scheme.", compare="mom"), NOW)
    assert mom.previous == 300.0  # 2026-10: 1 + 200 + 99
    assert mom.style.comparison(mom.total, mom.previous) == "环比 ▲ 233.3%"
    assert ring(cur, spec("ring", prefix="ss.scheme.", compare="yoy"), NOW).previous is None
    partial = ring(cur, spec("ring", prefix="flow.", compare="mom"), NOW)  # only 办结 has 2026-10
    assert partial.total == 2400.0 and partial.previous is None


def test_funnel_and_radar_have_no_compare_option():
    assert "compare" not in PANEL_KINDS.get("funnel").field_map
    assert "compare" not in PANEL_KINDS.get("radar").field_map
    assert "compare" in PANEL_KINDS.get("ring").field_map


def test_ring_keeps_a_listed_indicator_without_figures_in_its_place(cur):
    vm = ring(cur, spec("ring", indicators=["ss.scheme.c", "ss.nowhere", "ss.scheme.a"]), NOW)
    assert [(s.code, s.value, s.share) for s in vm.slices] == [
        ("ss.scheme.c", 100.0, pytest.approx(100 / 7)), ("ss.nowhere", None, None),
        ("ss.scheme.a", 600.0, pytest.approx(600 / 7))]
    assert vm.total == 700.0


def test_ring_of_different_units_has_no_total_and_no_shares(cur):
    vm = ring(cur, spec("ring", prefix="mixed."), NOW)
    assert vm.total is None
    assert [s.share for s in vm.slices] == [None, None]
    assert [s.value for s in vm.slices] == [10.0, 10.0]


def test_ring_of_another_region_or_nothing_reported_is_empty(cur):
    vm = ring(cur, spec("ring", prefix="ss.scheme.", region=WEICHENG), NOW)
    assert vm.slices == () and vm.as_of is None and vm.total is None


# -- funnel -----------------------------------------------------------------------------------
def test_funnel_rates_from_the_stage_before_and_overall(cur):
    vm = funnel(cur, spec("funnel", prefix="flow."), NOW)
    assert [(s.name, s.value, s.rate) for s in vm.stages] == [
        ("受理", 1000.0, None), ("办理", 800.0, 80.0), ("办结", 600.0, 75.0)]
    assert vm.overall == 60.0 and vm.unit == "件"
    assert vm.as_of == min(NOW, period_end("2026-11"))


def test_funnel_stage_without_figure_breaks_its_rates_not_the_others(cur):
    vm = funnel(cur, spec("funnel", indicators=["flow.1", "flow.x", "flow.3"]), NOW)
    assert [(s.code, s.value, s.rate) for s in vm.stages] == [
        ("flow.1", 1000.0, None), ("flow.x", None, None), ("flow.3", 600.0, None)]
    assert vm.overall == 60.0  # first and last are known
    last_missing = funnel(cur, spec("funnel", indicators=["flow.1", "flow.x"]), NOW)
    assert last_missing.overall is None


# -- radar ------------------------------------------------------------------------------------
def test_radar_against_targets_capped_at_120(cur):
    vm = radar(cur, spec("radar", prefix="score.", region=WEICHENG), NOW)
    assert [a.name for a in vm.axes] == ["服务", "效率", "满意"]
    (only,) = vm.series
    assert (only.region, only.name) == (WEICHENG, "潍城区")
    assert only.values == (90.0, 130.0, 40.0)  # the latest period, not 2026-10's 10
    assert only.scaled == (90.0, 120.0, None)  # 130 % capped; no target, no point
    assert vm.scale == "target" and vm.style.unit == "分"


def test_radar_regions_overlaid_at_most_three_on_the_max_scale(cur):
    vm = radar(cur, spec("radar", prefix="score.", regions=[WEICHENG, HANTING, FANGZI, KUIWEN],
                         scale="max"), NOW)
    assert [s.name for s in vm.series] == ["潍城区", "寒亭区", "坊子区"]
    assert vm.left_out == ("奎文区",)  # the fourth is named as left out
    weicheng, hanting, fangzi = vm.series
    assert weicheng.scaled == (100.0, 100.0, 50.0)
    assert hanting.scaled == (50.0, 50.0, 100.0)
    assert fangzi.values == (60.0, None, None) and fangzi.scaled == (pytest.approx(200 / 3), None, None)


def test_radar_axes_are_the_union_of_what_the_regions_report(cur):
    vm = radar(cur, spec("radar", prefix="score.", regions=[KUIWEN, HANTING]), NOW)
    assert [a.code for a in vm.axes] == ["score.a", "score.b", "score.c"]
    assert vm.series[0].values == (99.0, None, None)


# -- the demo's own indicators ----------------------------------------------------------------
def test_ring_over_the_demo_case_types_matches_the_cache(demo_store):
    cur = demo_store.reader()
    expected = dict(cur.execute(
        "SELECT name, arg_max(value, period) FROM indicators WHERE starts_with(code, 'urban.case.') "
        "AND region = '370700' GROUP BY name").fetchall())
    vm = ring(cur, spec("ring", prefix="urban.case."), NOW)
    total = sum(expected.values())
    assert vm.total == total and len(vm.slices) == len(expected)
    assert {s.name: s.share for s in vm.slices} == pytest.approx(
        {n: v / total * 100 for n, v in expected.items()})
    assert vm.as_of is not None and vm.as_of <= NOW


def test_every_new_kind_is_registered_with_its_query_and_widget():
    for name, query in (("ring", ring), ("funnel", funnel), ("radar", radar)):
        kind = PANEL_KINDS.get(name)
        assert kind.query_function() is query
        assert kind.widget.startswith(f"widgets.{name}:")
