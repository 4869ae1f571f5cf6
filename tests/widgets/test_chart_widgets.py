"""The ring, funnel and radar widgets (issue 17), built offscreen from a spec and handed a
view-model: the colours where the slices and polygons are, the words they write, "—" for what
is missing, and labels that neither overlap nor leave the panel, from a tiled small screen to a
4K wall and a 5760x1080 strip."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor
from support import NOW
from support.panels import make

from cockpit.model.layout import Cell, PanelSpec
from cockpit.model.numbers import NumberStyle
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.theme import theme
from cockpit.panels.viewmodels import (
    FunnelStage,
    FunnelVM,
    RadarAxis,
    RadarSeries,
    RadarVM,
    RingSlice,
    RingVM,
)
from widgets.ring import PALETTE

AS_OF = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
#: (width, height, screen scale): a cell of 4x3 at 1920x1080, of 4x3 at 3840x2160, a wide cell
#: of a 5760x1080 strip, a tall cell, and a cell of a layout tiled onto a small screen
SIZES = [(470, 300, 1.0), (940, 600, 2.0), (1410, 300, 1.0), (470, 640, 1.0), (300, 200, 2 / 3)]


def spec(kind: str, **params) -> PanelSpec:
    fields = {f.name: f.default for f in PANEL_KINDS.get(kind).fields}
    return PanelSpec(id=f"{kind}-test", kind=kind, title="测试面板", cell=Cell(0, 0),
                     stale_after=86400.0 * 40, params={**fields, **params}, screen=0,
                     layout_id="test")


def show(qtbot, kind, vm, size=(470, 300), scale=1.0):
    panel = make(qtbot, spec(kind), size)
    panel.set_screen_scale(scale)
    panel.set_now(NOW)
    panel.set_view_model(vm)
    image = panel.grab().toImage()
    return panel, image


def close(color: QColor, name: str, tolerance: int = 40) -> bool:
    want = QColor(theme().colors[name])
    return max(abs(color.red() - want.red()), abs(color.green() - want.green()),
               abs(color.blue() - want.blue())) <= tolerance


def assert_readable(panel) -> None:
    """Every text inside the panel, below its title, and no two over each other."""
    area = QRectF(panel.rect()).adjusted(-0.5, panel.title_height() - 0.5, 0.5, 0.5)
    assert panel.drawn
    for text, box in panel.drawn:
        assert area.contains(box), (text, box, area)
    for (t1, a), (t2, b) in itertools.combinations(panel.drawn, 2):
        inter = a.intersected(b)
        assert inter.width() <= 1 or inter.height() <= 1, (t1, a, t2, b)


def ring_vm(slices, unit="万人", center="参保总数", style=None):
    values = [v for _, v in slices if v is not None]
    total = sum(values) if values else None
    return RingVM(tuple(RingSlice(f"c{i}", n, v, None if v is None else v / total * 100)
                        for i, (n, v) in enumerate(slices)),
                  total, unit, center, 0, style or NumberStyle(unit=unit), AS_OF, "市人社局")


SCHEMES = [("职工养老保险", 600.0), ("居民养老保险", 300.0), ("失业保险", 100.0)]


# -- ring -------------------------------------------------------------------------------------
def test_ring_slices_in_their_colours_with_legend_and_total(qtbot):
    panel, image = show(qtbot, "ring", ring_vm(SCHEMES))
    g = panel.geometry
    start = 90.0
    for i, (_, value) in enumerate(SCHEMES):
        span = 360 * value / 1000
        a = math.radians(start - span / 2)
        start -= span
        pt = g["center"] + QPointF(g["radius"] * math.cos(a), -g["radius"] * math.sin(a))
        assert close(image.pixelColor(pt.toPoint()), PALETTE[i]), (i, pt)
    texts = panel.texts()
    for name, _ in SCHEMES:
        assert name in texts
    assert {"60.0%", "30.0%", "10.0%", "1,000", "万人", "参保总数"} <= set(texts)
    assert {"600万人", "300万人", "100万人"} <= set(texts)  # the figures, where there is room
    assert_readable(panel)


def test_ring_shows_a_dash_for_a_slice_and_a_total_it_does_not_know(qtbot):
    panel, _ = show(qtbot, "ring", ring_vm([("职工养老保险", 600.0), ("工伤保险", None)]))
    shown = panel.shown()
    assert [(r["name"], r["share"], r["value"]) for r in shown["slices"]] == [
        ("职工养老保险", "100.0%", "600万人"), ("工伤保险", "—", "—")]
    mixed = RingVM((RingSlice("a", "参保人数", 10.0, None), RingSlice("b", "基金支出", 10.0, None)),
                   None, "", "", 0, NumberStyle(), AS_OF, "")
    panel, _ = show(qtbot, "ring", mixed)
    assert panel.shown()["total"] == "—" and "—" in panel.texts()


def test_ring_total_coloured_by_thresholds_with_its_comparison_under_it(qtbot):
    style = NumberStyle(unit="万人", thresholds=(1200.0, 1500.0), compare="yoy")
    vm = replace(ring_vm(SCHEMES, style=style), previous=800.0)
    panel, _ = show(qtbot, "ring", vm)
    shown = panel.shown()
    assert shown["compare"] == "同比 ▲ 25.0%" and "同比 ▲ 25.0%" in panel.texts()
    assert shown["color"] == theme().colors["bad"]  # 1,000 is under the lowest threshold
    assert panel.compare_color(shown["compare"]) == theme().colors["good"]
    assert_readable(panel)


def test_ring_of_more_slices_than_colours_groups_the_rest(qtbot):
    slices = [(f"类型{i}", float(20 - i)) for i in range(12)]
    panel, _ = show(qtbot, "ring", ring_vm(slices, unit="件", center="案件总数"), size=(470, 640))
    rows = panel.shown()["slices"]
    assert len(rows) == len(PALETTE) and rows[-1]["name"] == "其他3项"
    assert len({r["color"] for r in rows}) == len(PALETTE)  # never one colour twice
    assert rows[-1]["share"] == f"{(11 + 10 + 9) / sum(v for _, v in slices) * 100:.1f}%"
    assert "其他3项" in panel.texts()
    assert_readable(panel)


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_ring_labels_are_whole_and_apart_at_every_size(qtbot, width, height, scale):
    cases = [("道路破损", 1980.0), ("乱堆乱放", 3960.0), ("广告牌匾", 1260.0), ("井盖缺失", 880.0),
             ("垃圾暴露", 2730.0), ("园林绿化", 1430.0), ("违章停车", 3510.0), ("违法建设", 640.0),
             ("占道经营", 4820.0)]
    panel, _ = show(qtbot, "ring", ring_vm(cases, unit="件", center="案件总数"), (width, height),
                    scale)
    assert_readable(panel)
    texts = panel.texts()
    if (width, height) != (300, 200):  # a normal cell names every case type in full
        assert all(name in texts for name, _ in cases)


# -- funnel -----------------------------------------------------------------------------------
def funnel_vm(values, names=("受理", "办理", "办结", "回访")):
    stages, before = [], None
    for i, v in enumerate(values):
        rate = v / before * 100 if i and v is not None and before else None
        stages.append(FunnelStage(f"s{i}", names[i], v, rate))
        before = v
    first, last = values[0], values[-1]
    overall = last / first * 100 if first and last is not None else None
    return FunnelVM(tuple(stages), overall, "件", 0, NumberStyle(unit="件"), AS_OF, "12345热线")


def test_funnel_narrows_with_its_stages_and_writes_their_rates(qtbot):
    panel, image = show(qtbot, "funnel", funnel_vm([1000.0, 800.0, 600.0]))
    bands = panel.geometry["bands"]
    assert [b.top() for b in bands] == sorted(b.top() for b in bands)
    assert bands[0].width() > bands[1].width() > bands[2].width()
    texts = panel.texts()
    assert {"1,000件", "800件", "600件", "受理", "办理", "办结"} <= set(texts)
    assert {"转化率 80.0%", "转化率 75.0%", "总转化率 60.0%"} <= set(texts)
    # each band in its stage's colour, beside the figure written on it
    for i, band in enumerate(bands):
        pt = QPointF(band.center().x(), band.top() + 3)
        assert close(image.pixelColor(pt.toPoint()), PALETTE[i], tolerance=60), i
    assert_readable(panel)


def test_funnel_stage_without_figure_shows_dashes(qtbot):
    panel, _ = show(qtbot, "funnel", funnel_vm([1000.0, None, 600.0]))
    shown = panel.shown()
    assert [s["value"] for s in shown["stages"]] == ["1,000件", "—", "600件"]
    assert [s["rate"] for s in shown["stages"]] == [None, "转化率 —", "转化率 —"]
    assert shown["overall"] == "总转化率 60.0%"
    assert "—" in panel.texts()


def test_funnel_rates_coloured_by_thresholds(qtbot):
    vm = replace(funnel_vm([1000.0, 800.0, 600.0]), style=NumberStyle(unit="件", thresholds=(70, 78)))
    panel, _ = show(qtbot, "funnel", vm)
    shown = panel.shown()
    colors = theme().colors
    assert [s["rate_color"] for s in shown["stages"][1:]] == [colors["good"], colors["minor"]]
    assert shown["overall_color"] == colors["bad"]  # 60 % under 70


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_funnel_labels_are_whole_and_apart_at_every_size(qtbot, width, height, scale):
    vm = funnel_vm([186_420.0, 152_300.0, 98_760.0, 91_200.0],
                   names=("网上申报", "材料预审", "审批办结", "证照送达"))
    panel, _ = show(qtbot, "funnel", vm, (width, height), scale)
    assert_readable(panel)
    if (width, height) != (300, 200):
        assert {"网上申报", "材料预审", "审批办结", "证照送达", "18.64万件"} <= set(panel.texts())


# -- radar ------------------------------------------------------------------------------------
AXES = tuple(RadarAxis(f"a{i}", n, "分") for i, n in enumerate(
    ("一次办好率", "零跑腿率", "GDP增速", "按时响应率", "问题解决率", "群众满意率")))


def radar_vm(series, scale="target"):
    return RadarVM(AXES, tuple(RadarSeries(code, name, values, scaled)
                               for code, name, values, scaled in series),
                   scale, 1, NumberStyle(unit="分"), AS_OF, "市行政审批服务局")


def test_radar_points_sit_at_their_share_of_the_target(qtbot):
    values = (98.6, 86.2, None, 99.6, 91.2, 95.3)
    scaled = (120.0, 50.0, None, 100.0, 75.0, 25.0)
    panel, image = show(qtbot, "radar", radar_vm([("370700", "全市", values, scaled)]),
                        size=(470, 400))
    g = panel.geometry
    (vertices,) = g["vertices"]
    for pt, s in zip(vertices, scaled, strict=True):
        d = math.dist((pt.x(), pt.y()), (g["center"].x(), g["center"].y()))
        assert d == pytest.approx(g["full"] * (s or 0) / 100, abs=0.5)
        if s:
            assert close(image.pixelColor(pt.toPoint()), "accent"), pt
    texts = panel.texts()
    assert {a.name for a in AXES} <= set(texts)
    assert {"98.6分", "86.2分", "—", "99.6分"} <= set(texts)
    assert_readable(panel)


def test_radar_of_three_regions_has_a_legend_and_no_figures(qtbot):
    series = [("370702", "潍城区", (1.0,) * 6, (100.0, 80, 60, 40, 20, 100)),
              ("370705", "奎文区", (1.0,) * 6, (50.0, 100, 100, 100, 100, 50)),
              ("370783", "寿光市", (1.0,) * 6, (30.0, 30, 30, 30, 30, 30))]
    panel, image = show(qtbot, "radar", radar_vm(series, "max"), size=(940, 300))
    texts = panel.texts()
    assert {"潍城区", "奎文区", "寿光市"} <= set(texts)
    assert {a.name for a in AXES} <= set(texts)  # every name whole
    assert not any(t.endswith("分") for t in texts)
    for vertices, color in zip(panel.geometry["vertices"], ("accent", "accent_2", "accent_5"),
                               strict=True):
        top = vertices[0]  # each polygon's first vertex, on the top spoke, in its own colour
        assert close(image.pixelColor(top.toPoint()), color), color
    assert_readable(panel)


def test_radar_names_the_regions_it_left_out_and_colours_figures_by_thresholds(qtbot):
    series = [("370702", "潍城区", (1.0,) * 6, (50.0,) * 6), ("370705", "奎文区", (1.0,) * 6, (60.0,) * 6),
              ("370783", "寿光市", (1.0,) * 6, (70.0,) * 6)]
    vm = replace(radar_vm(series, "max"), left_out=("高密市", "昌邑市"))
    panel, _ = show(qtbot, "radar", vm, size=(940, 300))
    assert "另2个区县未显示" in panel.texts()
    assert_readable(panel)
    one = radar_vm([("370700", "全市", (98.6, 86.2, None, 99.6, 91.2, 95.3), (100.0,) * 6)])
    panel, _ = show(qtbot, "radar", replace(one, style=NumberStyle(unit="分", thresholds=(90, 95))))
    colors = theme().colors
    assert panel.shown()["series"][0]["value_colors"] == [
        colors["good"], colors["bad"], colors["accent"], colors["good"], colors["minor"],
        colors["good"]]


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_radar_labels_are_whole_and_apart_at_every_size(qtbot, width, height, scale):
    vm = radar_vm([("370700", "全市", (98.6, 86.2, 91.4, 99.6, 91.2, 95.3),
                    (100.6, 95.8, 99.3, 100.6, 101.3, 100.3))])
    panel, _ = show(qtbot, "radar", vm, (width, height), scale)
    assert_readable(panel)
    if (width, height) != (300, 200):
        assert {a.name for a in AXES} <= set(panel.texts())


# -- no data ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, vm", [
    ("ring", RingVM((), None, "", "", 0, NumberStyle(), None, "指标库")),
    ("funnel", FunnelVM((), None, "", 0, NumberStyle(), None, "指标库")),
    ("radar", RadarVM((), (), "target", 0, NumberStyle(), None, "指标库"))])
def test_no_indicators_say_so(qtbot, kind, vm):
    panel, _ = show(qtbot, kind, vm)
    assert panel.badge == "暂无数据（来源：指标库）"
    assert panel.drawn == []
