"""Layout files: the bundled layouts, every kind of problem a file can have, loading folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES, ROOT

from cockpit.model import layout_check as layout_module  # where versions are checked and migrated
from cockpit.model.layout import (
    DEFAULT_ORDER,
    DEFAULT_STALE_AFTER,
    Cell,
    Layout,
    LayoutError,
    Problem,
    load_layout,
    load_layouts,
    parse_layout,
    validate_paths,
)
from cockpit.model.layout_reference import kinds_markdown
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS

LAYOUTS = ROOT / "layouts"
BAD = FIXTURES / "layouts_bad"

MINIMAL = """
version = 1
name = "测试"

[[screens]]
grid = { columns = 2, rows = 2 }

  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 0, row = 0 }
  metric = "aqi"
"""

SITE_CONFIG = """
[wall]
screens = 2

[[feeds]]
name = "demo"
kind = "snapshot"
"""


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(LayoutError) as caught:
        load_layout(path)
    return caught.value.problems


# --- the bundled layouts ---------------------------------------------------------------------

@pytest.mark.parametrize(("layout_id", "name", "order", "panels_per_screen"), [
    ("overview", "城市运行总览", 1, [9, 8]),
    ("environment", "生态环保", 2, [8]),
    ("safety", "平安应急", 3, [7]),
    ("economy", "双招双引", 4, [8, 6]),
    ("assessment", "建设考核", 5, [6]),
    ("traffic", "交通出行", 6, [8]),
    ("urban", "城市管理", 7, [7]),
    ("iot", "物联潍坊", 8, [8]),
    ("gov", "政务服务", 9, [8]),
    ("opinion", "民意舆情", 10, [7]),
    ("data", "数聚赋能", 11, [8]),
])
def test_bundled_layout_loads(layout_id, name, order, panels_per_screen):
    layout = load_layout(LAYOUTS / f"{layout_id}.toml")
    assert (layout.id, layout.name, layout.order) == (layout_id, name, order)
    assert [len(screen.panels) for screen in layout.screens] == panels_per_screen
    assert [screen.index for screen in layout.screens] == list(range(len(panels_per_screen)))
    for spec in layout.panels():
        assert spec.kind in PANEL_KINDS
        assert spec.layout_id == layout_id
        kind = PANEL_KINDS.get(spec.kind)
        assert set(spec.params) == {f.name for f in kind.fields}
        codes = list(spec.get("metrics") or []) + ([spec["metric"]] if spec.get("metric") else [])
        assert all(code in METRICS for code in codes), codes
        district = spec.get("district", CITY_CODE)
        assert district == CITY_CODE or district in DISTRICTS


def test_bundled_layouts_follow_the_wall_conventions():
    layouts, errors = load_layouts(LAYOUTS)
    assert errors == []
    assert [layout.id for layout in layouts][:3] == ["overview", "environment", "safety"]
    orders = [layout.order for layout in layouts]
    assert len(set(orders)) == len(orders), "every layout has its own place (keys 1-9, PageDown)"
    overview = layouts[0]
    assert [(s.title, s.columns, s.rows) for s in overview.screens] == [
        ("运行态势", 4, 3), ("城市服务", 4, 3)]
    sizes = [len(s.panels) for layout in layouts for s in layout.screens]
    assert max(sizes) <= 12
    # the city map in the centre of the overview's first screen, at least 2x2 cells
    (city_map,) = [p for p in overview.screens[0].panels if p.kind == "map"]
    assert (city_map.cell.col, city_map.cell.row) == (1, 0)
    assert city_map.cell.colspan >= 2 and city_map.cell.rowspan >= 2
    for layout in layouts:
        for screen in layout.screens:
            assert len(screen.panels) <= 12
            # a dense screen (every cell taken, e.g. twelve tiles, or the map and eight tiles)
            full = sum(p.cell.colspan * p.cell.rowspan for p in screen.panels) \
                == screen.columns * screen.rows
            for spec in screen.panels:
                assert len(spec.title) <= 12, spec.title
                if spec.kind == "kpi":  # one tile (of a finer grid: at most half the height)
                    assert spec.cell.colspan == 1, spec.id
                    assert spec.cell.rowspan == 1 or spec.cell.rowspan / screen.rows <= 0.5, spec.id
                if full:
                    continue
                if spec.kind == "timeseries":
                    assert spec.cell.colspan >= 2, spec.id
                if spec.kind == "alerts":
                    assert spec.cell.colspan * spec.cell.rowspan >= 2, spec.id


def test_environment_and_safety_content():
    environment = load_layout(LAYOUTS / "environment.toml")
    alerts = [p for p in environment.panels() if p.kind == "alerts"]
    assert [p["categories"] for p in alerts] == [["environment"]]
    safety = load_layout(LAYOUTS / "safety.toml")
    big = next(p for p in safety.panels() if p.kind == "alerts")
    assert big.cell.colspan * big.cell.rowspan >= 6
    kpis = {p["metric"] for p in safety.panels() if p.kind == "kpi"}
    assert kpis == {"iot_cameras_online", "robots_patrol_online", "robots_disinfect_online",
                    "citycase_opened"}


# --- one problem per bad file ----------------------------------------------------------------

BAD_CASES = [
    ("missing_title.toml", "screens[0].panels[1].title", "missing required key 'title'"),
    ("missing_kind_field.toml", "screens[0].panels[0].metric",
     "missing required key 'metric' (ranking panels need it"),
    ("missing_version.toml", "version", "missing required key 'version'"),
    ("unknown_kind.toml", "screens[0].panels[2].kind",
     "unknown panel kind 'wordcloud'; known kinds: " + ", ".join(PANEL_KINDS.names())),
    ("overlapping_cells.toml", "screens[0].panels[1].cell",
     "panel 'trend' overlaps panel 'aqi' (screens[0].panels[0]) at col 1, row 0"),
    ("cell_outside_grid.toml", "screens[0].panels[1].cell",
     "covers columns 3..4 but the grid has 4 columns (0..3)"),
    ("zero_span.toml", "screens[0].panels[0].cell.rowspan", "expected a span from 1 to 12, found 0"),
    ("unknown_metric.toml", "screens[0].panels[0].metric",
     "unknown metric 'pm2.5'; did you mean 'pm25'?"),
    ("unknown_metric_in_list.toml", "screens[0].panels[0].metrics[1]",
     "unknown metric 'rainfall'; known metrics: aqi, pm25, congestion"),
    ("empty_metrics.toml", "screens[0].panels[0].metrics", "expected at least one item"),
    ("wrong_type.toml", "screens[0].grid.columns", "expected an integer, found a string 'four'"),
    ("bool_as_int.toml", "screens[0].panels[0].top", "expected an integer, found true"),
    ("wrong_list_item.toml", "screens[0].panels[0].metrics[1]",
     "expected a string (a metric code), found an integer 3"),
    ("not_toml.toml", "(file)", "not valid TOML: Expected '=' after a key in a key/value pair "
                                "(at line 1, column 6)"),
    ("truncated.toml", "(file)", "not valid TOML: Unterminated string"),
    ("duplicate_id.toml", "screens[1].panels[1].id",
     "duplicate panel id 'aqi' (first used at screens[0].panels[0].id)"),
    ("typo_key.toml", "screens[0].titel", "unknown key 'titel' (did you mean 'title'?)"),
    ("field_of_other_kind.toml", "screens[0].panels[0].hours",
     "unknown key 'hours' ('hours' is a field of timeseries panels); kpi panels take: id, kind"),
    ("newer_version.toml", "version", "format version 3 is newer than this cockpit reads (1)"),
    ("unknown_district.toml", "screens[0].panels[0].district",
     "unknown district code '370799'; expected 370700 (the whole city) or one of: 370702 潍城区"),
    ("out_of_range.toml", "screens[0].panels[0].top", "expected a value from 1 to 12, found 20"),
    ("bad_choice.toml", "screens[0].panels[0].severities[1]",
     "expected one of critical, major, minor, info, found a string 'urgent'"),
    ("grid_too_large.toml", "screens[0].grid.columns", "expected columns from 1 to 12, found 13"),
    ("no_panels.toml", "screens[1].panels", "screen has no panels"),
    ("empty_screens.toml", "screens", "expected at least one screen, found an empty list"),
    ("screens_not_array.toml", "screens",
     "expected a list of [[screens]] tables (double brackets), found a table"),
    ("bad_stale_after.toml", "screens[0].panels[0].stale_after",
     "or a string like '90s', '10m' or '2h'; found a string '10 minutes'"),
    ("negative_stale_after.toml", "screens[0].panels[0].stale_after",
     "expected a positive duration: seconds as a number"),
]


@pytest.mark.parametrize(("name", "path", "fragment"), BAD_CASES)
def test_bad_file_reports_its_problem(name, path, fragment):
    problems = problems_of(BAD / name)
    assert len(problems) == 1, "\n".join(map(str, problems))
    (problem,) = problems
    assert Path(problem.file).name == name
    assert problem.path == path
    assert fragment in problem.message
    assert str(problem) == f"{problem.file}: {path}: {problem.message}"


def test_every_bad_fixture_is_covered():
    covered = {name for name, _, _ in BAD_CASES} | {"several_problems.toml"}
    assert {p.name for p in BAD.glob("*.toml")} == covered


def test_every_problem_of_a_file_is_reported():
    problems = problems_of(BAD / "several_problems.toml")
    found = {(p.path, p.message) for p in problems}
    expected = [
        ("name", "missing required key 'name'"),
        ("order", "expected an integer, found a string 'first'"),
        ("screens[0].grid.rows", "expected rows from 1 to 12, found 0"),
        ("screens[0].panels[0].titel", "did you mean 'title'?"),
        ("screens[0].panels[0].title", "missing required key 'title'"),
        ("screens[0].panels[0].metric", "unknown metric 'api'; did you mean 'aqi'?"),
        ("screens[0].panels[1].kind", "unknown panel kind 'chart'; known kinds:"),
        ("screens[0].panels[1].id", "duplicate panel id 'aqi'"),
        ("screens[0].panels[1].cell", "overlaps panel 'aqi' (screens[0].panels[0]) at col 0, row 0"),
        ("screens[0].panels[2].cell.col", "expected a column index from 0 to 11, found -1"),
        ("screens[0].panels[2].categories[1]", "found a string 'flood'"),
        ("screens[0].panels[2].limit", "expected a value from 1 to 200, found 0"),
    ]
    for path, fragment in expected:
        assert any(p == path and fragment in m for p, m in found), (path, fragment, found)
    assert len(problems) == len(expected)
    error = LayoutError(problems)
    assert str(error).splitlines() == [str(p) for p in problems]
    assert error.file.endswith("several_problems.toml")


def test_typo_key_in_a_panel_suggests_the_right_one():
    text = MINIMAL.replace('metric = "aqi"', 'metric = "aqi"\n  stale_afer = "5m"')
    with pytest.raises(LayoutError) as caught:
        parse_layout(text, "inline.toml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.path) == ("inline.toml", "screens[0].panels[0].stale_afer")
    assert problem.message == "unknown key 'stale_afer' (did you mean 'stale_after'?)"


def test_unreadable_bytes_are_a_problem(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    (problem,) = problems_of(path)
    assert problem.path == "(file)" and "not UTF-8" in problem.message


# --- the model -------------------------------------------------------------------------------

def test_defaults_are_filled_in():
    layout = parse_layout(MINIMAL, Path("/somewhere/minimal.toml"))
    assert (layout.id, layout.order, layout.version) == ("minimal", DEFAULT_ORDER, 1)
    assert layout.source == Path("/somewhere/minimal.toml")
    (screen,) = layout.screens
    assert (screen.index, screen.title, screen.columns, screen.rows) == (0, "", 2, 2)
    (spec,) = screen.panels
    assert spec.cell == Cell(0, 0, 1, 1)
    assert spec.stale_after == DEFAULT_STALE_AFTER
    assert spec.params == {"metric": "aqi", "district": CITY_CODE, "sparkline_hours": 6,
                           "decimals": None}
    assert spec["metric"] == "aqi" and spec.get("nothing", 7) == 7
    assert layout.panel("aqi") is spec


def test_list_defaults_are_copies():
    text = MINIMAL.replace('kind = "kpi"', 'kind = "alerts"').replace('metric = "aqi"', "")
    first = parse_layout(text, "a.toml").panel("aqi")
    first["severities"].clear()
    second = parse_layout(text, "a.toml").panel("aqi")
    assert second["severities"] == ["critical", "major", "minor", "info"]


@pytest.mark.parametrize(("written", "seconds"), [
    ('"90s"', 90.0), ('"10m"', 600.0), ('"2h"', 7200.0), ('"1.5h"', 5400.0), ("45", 45.0),
    ("12.5", 12.5),
])
def test_stale_after_forms(written, seconds):
    text = MINIMAL.replace('metric = "aqi"', f'metric = "aqi"\n  stale_after = {written}')
    assert parse_layout(text, "x.toml").panel("aqi").stale_after == seconds


def test_panel_specs_compare_by_value_and_hash_by_key():
    a = load_layout(LAYOUTS / "overview.toml")
    b = load_layout(LAYOUTS / "overview.toml")
    assert a == b and hash(a) == hash(b)
    spec = a.panel("aqi")
    assert spec.key == ("overview", "aqi")
    assert {spec: 1}[b.panel("aqi")] == 1
    assert len(set(a.panels()) | set(b.panels())) == sum(len(s.panels) for s in a.screens)


def test_layout_id_can_be_given():
    layout = parse_layout(MINIMAL, "<clipboard>", layout_id="pasted")
    assert layout.id == "pasted" and layout.source is None
    assert layout.panel("aqi").layout_id == "pasted"


# --- versions and migrations -----------------------------------------------------------------

def test_old_versions_are_migrated(monkeypatch):
    def rename_heading(data):
        data["name"] = data.pop("heading")
        return data

    monkeypatch.setattr(layout_module, "LAYOUT_VERSION", 2)
    monkeypatch.setattr(layout_module, "MIGRATIONS", {1: rename_heading})
    layout = parse_layout(MINIMAL.replace("name =", "heading ="), "old.toml")
    assert (layout.name, layout.version) == ("测试", 1)


def test_missing_migration_is_a_problem(monkeypatch):
    monkeypatch.setattr(layout_module, "LAYOUT_VERSION", 2)
    monkeypatch.setattr(layout_module, "MIGRATIONS", {})
    with pytest.raises(LayoutError, match="no migration from format version 1 to 2"):
        parse_layout(MINIMAL, "old.toml")


# --- folders and the validate command --------------------------------------------------------

def test_load_layouts_keeps_the_good_and_reports_the_bad(tmp_path):
    for name in ("overview.toml", "safety.toml"):
        shutil.copy(LAYOUTS / name, tmp_path / name)
    (tmp_path / "zzz_first.toml").write_text(MINIMAL.replace("version = 1", "version = 1\norder = 0"),
                                            encoding="utf-8")
    for name in ("unknown_kind.toml", "not_toml.toml"):
        shutil.copy(BAD / name, tmp_path / name)
    (tmp_path / "site.toml").write_text(SITE_CONFIG, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a layout", encoding="utf-8")
    good, bad = load_layouts(tmp_path)
    assert [layout.id for layout in good] == ["zzz_first", "overview", "safety"]
    assert all(isinstance(layout, Layout) for layout in good)
    assert sorted(Path(error.file).name for error in bad) == ["not_toml.toml", "unknown_kind.toml"]


def test_load_layouts_of_a_missing_folder(tmp_path):
    good, (error,) = load_layouts(tmp_path / "nowhere")
    assert good == [] and "no such folder" in str(error)


def test_validate_paths_skips_site_configs(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(SITE_CONFIG, encoding="utf-8")
    assert validate_paths([site, LAYOUTS]) == []
    problems = validate_paths([site, BAD / "unknown_kind.toml", BAD / "typo_key.toml"])
    assert [(Path(p.file).name, p.path) for p in problems] == [
        ("unknown_kind.toml", "screens[0].panels[2].kind"), ("typo_key.toml", "screens[0].titel")]


def test_validate_paths_of_a_folder_and_a_missing_path(tmp_path):
    problems = validate_paths([BAD, tmp_path / "missing.toml", tmp_path])
    files = {Path(p.file).name for p in problems}
    assert files == {p.name for p in BAD.glob("*.toml")} | {"missing.toml", tmp_path.name}
    assert any(p.message == "no such file or folder" for p in problems)
    assert any(p.message == "folder has no .toml files" for p in problems)


# --- the reference and the layering ----------------------------------------------------------

def test_doc_tables_cover_every_kind_and_are_in_the_reference():
    text = kinds_markdown()
    for name in PANEL_KINDS.names():
        assert f"### `{name}`" in text
        for f in PANEL_KINDS.get(name).fields:
            assert f"| `{f.name}` |" in text
    reference = (ROOT / "docs" / "layout-format.md").read_text(encoding="utf-8")
    assert text in reference, "regenerate with: python -m cockpit.model.layout_reference --doc"


def test_cli_doc_and_validate():
    run = [sys.executable, "-m", "cockpit.model.layout_reference"]
    doc = subprocess.run([*run, "--doc"], cwd=ROOT, capture_output=True, check=True)
    assert doc.stdout.decode("utf-8").replace("\r\n", "\n") == kinds_markdown()
    ok = subprocess.run([*run, "layouts"], cwd=ROOT, capture_output=True)
    assert ok.returncode == 0 and ok.stdout == b""
    bad = subprocess.run([*run, str(BAD / "unknown_kind.toml")], cwd=ROOT, capture_output=True)
    assert bad.returncode == 1 and b"known kinds: alerts, bar, feeds, funnel, gauge" in bad.stdout


def test_layout_module_imports_without_qt():
    code = ("import sys, cockpit.model.layout; "
            "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'pyqtgraph', 'duckdb')) or 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_reference_example_is_a_valid_layout():
    reference = (ROOT / "docs" / "layout-format.md").read_text(encoding="utf-8")
    example = reference.split("```toml\n", 1)[1].split("```", 1)[0]
    layout = parse_layout(example, "example.toml")
    assert [spec.kind for spec in layout.panels()] == ["kpi", "timeseries", "ranking", "alerts"]
