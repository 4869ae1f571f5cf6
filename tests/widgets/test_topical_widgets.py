"""The topical walls' panel kinds render real demo data, and their options change what they
show. Figures are checked against the cache, read independently here."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from support import NOW
from support.panels import latest_by_district, make, panel_spec

from cockpit.model.metrics import DISTRICT_SHORT, DISTRICTS
from cockpit.model.theme import theme
from cockpit.panels.indicators import bars, gauge, header, progress, stacked
from cockpit.panels.records import table, ticker


def with_params(spec, **params):
    return replace(spec, params={**spec.params, **params})


def indicator(store, code, period="2026-11", region="370700"):
    return store.reader().execute(
        "SELECT value, target FROM indicators WHERE code = ? AND period = ? AND region = ?",
        [code, period, region]).fetchone()


def show(qtbot, spec, query, store, size=(470, 300)):
    panel = make(qtbot, spec, size)
    panel.set_now(NOW)
    panel.set_view_model(query(store.reader(), spec, NOW))
    return panel


# -- gauge ----------------------------------------------------------------------------------
def test_gauge_shows_completion_against_target_with_year_over_year(qtbot, demo_store):
    spec = panel_spec("economy", "signed")  # signed projects against the year's target
    value, target = indicator(demo_store, "invest.signed_projects")
    before, _ = indicator(demo_store, "invest.signed_projects", "2025-11")
    shown = show(qtbot, spec, gauge, demo_store).shown()
    assert (shown["value"], shown["unit"]) == (f"{value:,.0f}", "个")
    assert shown["fill"] == pytest.approx(value / target * 100)
    assert shown["target"] == f"完成 {value / target * 100:.1f}% · 目标 {target:,.0f}个"
    assert shown["compare"] == f"同比 ▲ {(value - before) / before * 100:.1f}%"
    assert shown["level"] == "good"  # 91.9% of target, thresholds 80 / 90
    assert shown["color"] == theme().colors["good"]


def test_gauge_options_change_what_it_shows(qtbot, demo_store):
    spec = panel_spec("economy", "signed")
    strict = show(qtbot, with_params(spec, thresholds=[95, 99]), gauge, demo_store).shown()
    assert strict["level"] == "bad" and strict["color"] == theme().colors["bad"]
    wan = show(qtbot, with_params(spec, number_format="wan", decimals=3), gauge, demo_store).shown()
    assert (wan["value"], wan["unit"]) == ("0.039", "万个")
    mom = show(qtbot, with_params(spec, compare="mom"), gauge, demo_store).shown()
    assert mom["compare"].startswith("环比 ▲")
    none = show(qtbot, with_params(spec, compare="none"), gauge, demo_store).shown()
    assert none["compare"] is None


def test_gauge_without_history_says_dash(qtbot, demo_store):
    spec = with_params(panel_spec("traffic", "signal"), indicator="traffic.green_wave",
                       compare="yoy")
    assert show(qtbot, spec, gauge, demo_store).shown()["compare"] == "同比 —"
    dod = with_params(panel_spec("traffic", "signal"), compare="dod")  # a monthly figure
    assert show(qtbot, dod, gauge, demo_store).shown()["compare"] == "较昨日 —"


def test_gauge_of_a_live_metric_compares_with_yesterday(qtbot, demo_store):
    spec = panel_spec("traffic", "parking")  # parking occupancy, lower is better
    vm = gauge(demo_store.reader(), spec, NOW)
    now_values = latest_by_district(demo_store, "parking_occupancy", NOW)
    assert vm.value == pytest.approx(sum(now_values.values()) / len(now_values))
    assert vm.percent == vm.value and vm.previous is not None
    shown = show(qtbot, spec, gauge, demo_store).shown()
    assert shown["compare"].startswith("较昨日")
    assert shown["level"] == "good"  # below 70% with higher_is_better = false


# -- progress -------------------------------------------------------------------------------
def test_progress_sorted_by_completion_with_the_pace_line(qtbot, demo_store):
    spec = panel_spec("economy", "targets")
    panel = show(qtbot, spec, progress, demo_store, size=(470, 900))
    rows = panel.shown()
    expected = []
    for code in spec["indicators"]:
        value, target = indicator(demo_store, code)
        expected.append(value / target * 100)
    expected.sort(reverse=True)
    assert [r["rate"] for r in rows] == [f"{p:.1f}%" for p in expected]
    assert panel.pace_text() == "序时进度 91.7%"
    assert all(r["level"] == ("good" if r["percent"] >= 11 / 12 * 100 else "warn") for r in rows)
    asc = show(qtbot, with_params(spec, sort="asc"), progress, demo_store, size=(470, 900)).shown()
    assert [r["rate"] for r in asc] == [r["rate"] for r in reversed(rows)]
    short = show(qtbot, spec, progress, demo_store, size=(470, 300)).shown()
    assert 1 <= len(short) < len(rows)  # fewer rows where fewer fit, never squeezed ones


def test_progress_of_scores_shows_the_values(qtbot, demo_store):
    spec = panel_spec("data", "quality")  # data-sharing quality by department, target 95
    rows = show(qtbot, spec, progress, demo_store, size=(470, 1200)).shown()
    scores = demo_store.reader().execute(
        "SELECT name, value FROM indicators WHERE starts_with(code, 'data.quality.') "
        "AND period = '2026-11' ORDER BY value DESC").fetchall()
    assert [r["name"] for r in rows] == [n for n, _ in scores]
    assert [r["rate"] for r in rows] == [f"{v:.1f}分" for _, v in scores]
    assert {r["level"] for r in rows} <= {"good", "warn", "bad"}
    assert all(r["level"] == ("good" if v >= 95 else "warn" if v >= 90 else "bad")
               for r, (_, v) in zip(rows, scores, strict=True))


@pytest.mark.parametrize("scale, size, whole, reaches", [
    (2 / 3, (305, 395), True, False),  # its cell on a 1280x720 screen
    (1.0, (458, 592), True, False),  # on a 1920x1080 screen
    (2 / 3, (250, 395), False, True)])  # narrower: the figures run into the line
def test_progress_figures_are_whole_and_the_pace_line_never_crosses_them(
        qtbot, demo_store, scale, size, whole, reaches):
    """The target panel of the economy wall: the figures under each bar carry the unit once
    ("2,156 / 2,400亿元"), so they are whole in the panel's cell on a 1280x720 screen (they were
    cut with "…" and struck through by the pace line there), and where a panel is so narrow
    that they still run as far as the dashed pace line, the line stops short of them."""
    import re

    from PySide6.QtGui import QColor

    spec = panel_spec("economy", "targets")
    panel = make(qtbot, spec, size)
    panel.set_screen_scale(scale)
    panel.set_now(NOW)
    panel.set_view_model(progress(demo_store.reader(), spec, NOW))
    image = panel.grab().toImage()
    shown = panel.shown()
    drawn = panel.drawn["figures"]
    assert all(re.fullmatch(r"[\d,.]+ / [\d,.]+[^\d,. /]+", r["figures"]) for r in shown)
    assert ([text for text, *_ in drawn] == [r["figures"] for r in shown]) == whole  # "…"?
    x, _ = panel.drawn["pace"]
    reached = [(top, bottom) for _, right, top, bottom in drawn if x <= right + 4]
    assert bool(reached) == reaches
    pace = QColor(theme().colors["accent_2"])
    for top, bottom in reached:
        for y in range(int(top) + 1, int(bottom) - 1):
            for dx in (-1, 0, 1):
                c = image.pixelColor(round(x) + dx, y)
                assert max(abs(c.red() - pace.red()), abs(c.green() - pace.green()),
                           abs(c.blue() - pace.blue())) > 40, (x, y)


# -- bar and stacked ------------------------------------------------------------------------
def test_stacked_stages_by_district_sorted_by_total(qtbot, demo_store):
    spec = panel_spec("economy", "stages")
    panel = show(qtbot, spec, stacked, demo_store, size=(940, 300))
    shown = panel.shown()
    assert shown["stacked"] and shown["series"] == ("已签约", "已开工", "已投产")
    totals = dict(demo_store.reader().execute(
        "SELECT region, sum(value) FROM indicators WHERE starts_with(code, 'invest.stage.') "
        "AND period = '2026-11' GROUP BY region").fetchall())
    order = sorted(DISTRICTS, key=lambda d: -totals[d])
    assert shown["categories"] == tuple(DISTRICT_SHORT[d] for d in order)
    signed = dict(demo_store.reader().execute(
        "SELECT region, value FROM indicators WHERE code = 'invest.stage.signed' "
        "AND period = '2026-11'").fetchall())
    assert shown["values"][0] == tuple(f"{signed[d]:,.0f}个" for d in order)


def test_bar_compares_the_period_with_a_year_before(qtbot, demo_store):
    spec = panel_spec("urban", "categories")  # cases by category, this year and last
    shown = show(qtbot, spec, bars, demo_store, size=(1410, 300)).shown()
    assert shown["series"] == ("2026年11月", "2025年11月")
    rows = demo_store.reader().execute(
        "SELECT name, value FROM indicators WHERE starts_with(code, 'urban.case.') "
        "AND period = '2025-11' ORDER BY code").fetchall()
    assert shown["categories"] == tuple(n for n, _ in rows)
    assert shown["values"][1] == tuple(f"{v:,.0f}件" if v < 1e4 else f"{v / 1e4:.2f}万件"
                                       for _, v in rows)
    one = show(qtbot, with_params(spec, compare="none"), bars, demo_store).shown()
    assert one["series"] == ("2026年11月",)
    mapped = show(qtbot, with_params(spec, compare="none", number_format="wan", decimals=1,
                                     unit="宗"), bars, demo_store).shown()
    assert mapped["values"][0][0].endswith("万宗")


@pytest.mark.parametrize("size, rows", [((300, 190), 2), ((1410, 300), 1)])
def test_bar_labels_every_district_in_full_without_overlap(qtbot, demo_store, size, rows):
    """Twelve districts under a narrow panel (the GDP panel of a 1280x720 screen) used to be
    "…" each; their labels now take two staggered rows, each whole and apart."""
    spec = panel_spec("economy", "growth")
    panel = show(qtbot, spec, bars, demo_store, size=size)
    width = panel.content_rect().width()
    px, used, labels = panel.category_labels(width)
    assert used == rows
    assert [text for _, _, text in labels] == list(panel.shown()["categories"])  # none elided
    assert px >= theme().sizes["small_min"] - 3
    for row in range(used):
        boxes = sorted((x, x + w) for i, (x, w, _) in enumerate(labels) if i % used == row)
        assert all(right <= nxt + 1e-6 for (_, right), (nxt, _) in itertools.pairwise(boxes))
        assert boxes[0][0] >= 0 and boxes[-1][1] <= width


# -- table ----------------------------------------------------------------------------------
def test_table_lists_key_projects_and_steps_when_they_do_not_fit(qtbot, demo_store):
    spec = panel_spec("economy", "projects")
    panel = show(qtbot, spec, table, demo_store, size=(940, 300))
    projects = [json.loads(a) | {"name": n} for n, a in demo_store.reader().execute(
        "SELECT name, attrs FROM entities WHERE entity_type = 'project'").fetchall()]
    projects.sort(key=lambda p: -p["investment"])
    shown = panel.shown()
    assert shown["headers"] == ("项目名称", "区县", "阶段", "总投资(亿元)", "到位率")
    assert shown["total"] == len(projects)
    assert [r[0] for r in shown["rows"]] == [p["name"] for p in projects[: len(shown["rows"])]]
    assert panel.scrolling and panel._timer.isActive()
    assert panel._timer.interval() == spec["scroll_seconds"] * 1000  # a step every few seconds
    panel.step()
    assert [r[0] for r in panel.shown()["rows"]][0] == projects[1]["name"]
    panel.hide()
    assert not panel._timer.isActive()  # no motion while not on show


def test_table_that_fits_stays_still(qtbot, demo_store):
    spec = panel_spec("assessment", "milestones")
    panel = show(qtbot, spec, table, demo_store, size=(470, 900))
    shown = panel.shown()
    assert len(shown["rows"]) == shown["total"] == 8
    assert not panel.scrolling and not panel._timer.isActive()
    assert [r[1] for r in shown["rows"]] == sorted(r[1] for r in shown["rows"])  # by date
    before = panel.shown()
    panel.step()
    assert panel.shown() == before


# -- ticker and header ----------------------------------------------------------------------
def test_ticker_scrolls_headlines_slowly_and_only_when_shown(qtbot, demo_store):
    spec = panel_spec("opinion", "ticker")
    panel = show(qtbot, spec, ticker, demo_store, size=(1880, 140))
    heads = demo_store.reader().execute(
        "SELECT name, attrs FROM entities WHERE entity_type = 'opinion'").fetchall()
    heads.sort(key=lambda h: -json.loads(h[1])["heat"])
    shown = panel.shown()
    assert shown["items"][0].endswith(heads[0][0])
    assert panel._timer.isActive()
    panel.advance(20)  # one second
    assert panel.shown()["offset"] == pytest.approx(spec["speed"] * panel.screen_scale)
    panel.hide()
    assert not panel._timer.isActive()


def test_header_shows_city_clock_and_air_in_words(qtbot, demo_store):
    spec = panel_spec("economy", "header")
    panel = show(qtbot, spec, header, demo_store, size=(1880, 110))
    shown = panel.shown()
    assert shown["title"] == "潍坊市 · 双招双引 · 产业发展"
    assert shown["clock"] == "2026年11月28日 星期六 18:00"  # NOW is 10:00 UTC
    aqi = latest_by_district(demo_store, "aqi", NOW)
    city = sum(aqi.values()) / len(aqi)
    word = next(w for bound, w in ((50, "优"), (100, "良"), (150, "轻度污染"), (200, "中度污染"))
                if city <= bound)
    assert f"空气质量指数 {word} {city:.0f}" in shown["summary"]
    assert not panel.set_now(NOW + timedelta(seconds=20))  # same minute: nothing redrawn
    assert panel.set_now(NOW + timedelta(minutes=1))


def test_risk_points_by_rank_and_settled_ones_not_in_alarm(qtbot, demo_store):
    spec = panel_spec("opinion", "risks")
    vm = table(demo_store.reader(), spec, NOW)
    ranks = ["一级", "二级", "三级"]
    levels = [row[1] for row in vm.rows]  # columns: name, level, status
    assert [ranks.index(v) for v in levels] == sorted(ranks.index(v) for v in levels)
    for row, level in zip(vm.rows, vm.levels, strict=True):
        if row[2] == "已化解":
            assert level == "good"
        elif row[1] == "一级":
            assert level == "bad"


def test_table_columns_declared_in_the_registry_match_the_sources():
    from cockpit.model.registry import TABLE_COLUMNS
    from cockpit.panels.records import TABLE_COLUMNS as SOURCES_COLUMNS

    assert set(TABLE_COLUMNS) == set(SOURCES_COLUMNS)


def test_a_long_title_elides_and_keeps_a_tooltip(qtbot, demo_store):
    spec = replace(panel_spec("assessment", "tasks"), title="新型智慧城市四星级试点建设任务已完成数量")
    narrow = show(qtbot, spec, gauge, demo_store, size=(260, 300))
    narrow.grab()
    assert narrow.toolTip() == spec.title
    wide = show(qtbot, replace(spec, title="已完成任务"), gauge, demo_store, size=(470, 300))
    wide.grab()
    assert wide.toolTip() == ""



@pytest.mark.parametrize("query_name", ["gauge", "progress", "bars", "table"])
def test_kinds_draw_in_the_smallest_panel(qtbot, demo_store, query_name):
    """Fonts have floors; content that no longer fits is left out or shrunk, never an error."""
    specs = {"gauge": ("data", "datasets"), "progress": ("economy", "targets"),
             "bars": ("economy", "growth"), "table": ("economy", "projects")}
    query = {"gauge": gauge, "progress": progress, "bars": bars, "table": table}[query_name]
    panel = show(qtbot, panel_spec(*specs[query_name]), query, demo_store, size=(120, 80))
    assert not panel.grab().isNull()


def test_live_metric_has_no_month_or_year_history(qtbot, demo_store):
    spec = panel_spec("traffic", "parking")
    for compare, label in (("mom", "环比"), ("yoy", "同比")):
        shown = show(qtbot, with_params(spec, compare=compare), gauge, demo_store).shown()
        assert shown["compare"] == f"{label} —"


def test_on_the_wall_only_the_layout_on_show_moves(qtbot, demo_store):
    """Tickers and scrolling tables of the layouts kept warm in the background stand still."""
    from PySide6.QtWidgets import QApplication
    from support import ROOT

    from cockpit.model.layout import load_layouts
    from cockpit.shell.pump import run_layout_queries
    from cockpit.shell.wall import WallShell
    from widgets.table import TablePanel
    from widgets.ticker import TickerPanel

    layouts, _ = load_layouts(ROOT / "layouts")
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()])
    wall.show()
    try:
        for window in wall.windows:
            qtbot.waitExposed(window)
        moving = {}
        for i, slot in enumerate(wall.slots):
            results = run_layout_queries(demo_store, list(slot.layout.panels()), NOW)
            for page in slot.pages:
                for pid, panel in page.panels.items():
                    panel.set_view_model(results[pid])
                    if isinstance(panel, TickerPanel | TablePanel):
                        moving[panel] = i
        assert moving, "the bundled layouts have tickers and tables"

        def timers_on() -> set[int]:
            return {i for panel, i in moving.items() if panel._timer.isActive()}

        assert timers_on() <= {wall.current}
        opinion = next(i for i, s in enumerate(wall.slots) if s.layout.id == "opinion")
        wall.switch_to(opinion)
        assert timers_on() == {opinion}  # its ticker moves (its risk table fits and stays)
        wall.switch_to(0)
        assert timers_on() == set()
    finally:
        wall.close()
