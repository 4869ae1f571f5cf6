"""Screen variants for wider screens (issue 17): a 5760x1080 strip gets a grid of its own, not
one 1080p grid stretched three times wide. The model and its checks; the wall's side is in
tests/shell/test_wall_real.py."""

from __future__ import annotations

import pytest
from support import ROOT

from cockpit.model.layout import LayoutError, load_layout, parse_layout

BASE = """version = 1
name = "变体"
[[screens]]
title = "一"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "a"
  kind = "kpi"
  title = "A"
  cell = { col = 0, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "b"
  kind = "kpi"
  title = "B"
  cell = { col = 1, row = 0 }
  metric = "pm25"
"""

STRIP = BASE + """  [[screens.variants]]
  min_aspect = 2.5
  grid = { columns = 3, rows = 1 }
    [screens.variants.cells]
    a = { col = 0, row = 0 }
    b = { col = 1, row = 0, colspan = 2 }
  [[screens.variants]]
  min_aspect = 5
  grid = { columns = 1, rows = 2 }
  cells = { a = { col = 0, row = 0 }, b = { col = 0, row = 1 } }
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(LayoutError) as caught:
        parse_layout(text, "v.toml")
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(("aspect", "grid", "b"), [
    (16 / 9, (2, 1), (1, 0, 1)),   # a 1080p screen: the screen's own grid
    (2.5, (3, 1), (1, 0, 2)),      # from 2.5 on: the first variant
    (5760 / 1080, (1, 2), (0, 1, 1)),  # the largest min_aspect reached wins
])
def test_the_widest_variant_a_screen_reaches_is_used(aspect, grid, b):
    screen = parse_layout(STRIP, "v.toml").screens[0]
    arr = screen.arrangement(aspect)
    assert (arr.columns, arr.rows) == grid
    cell = arr.cells["b"]
    assert (cell.col, cell.row, cell.colspan) == b
    assert set(arr.cells) == {"a", "b"}


def test_a_screen_without_variants_keeps_its_grid_everywhere():
    screen = parse_layout(BASE, "v.toml").screens[0]
    assert screen.variants == ()
    assert screen.arrangement(5.33).columns == 2


def test_every_mistake_in_a_variant_is_named_by_its_key_path():
    text = BASE + """  [[screens.variants]]
  min_aspect = 0.5
  grid = { columns = 3, rows = 1, cols = 2 }
  cells = { a = { col = 0, row = 0, span = 1 }, c = { col = 1, row = 0 } }
  [[screens.variants]]
  min_aspect = 3
  grid = { columns = 3, rows = 1 }
  cells = { a = { col = 0, row = 0, colspan = 2 }, b = { col = 1, row = 0, colspan = 3 } }
  [[screens.variants]]
  min_aspect = 3
  grid = { columns = 3, rows = 1 }
  cell = 2
"""
    assert _problems(text) == [
        "screens[0].variants[0].grid.cols: unknown key 'cols' (did you mean 'columns'?)",
        "screens[0].variants[0].min_aspect: expected an aspect (width / height) from 1 to 12, "
        "found 0.5",
        "screens[0].variants[0].cells.a.span: unknown key 'span' (did you mean 'rowspan'?)",
        "screens[0].variants[0].cells.c: no panel 'c' on this screen; its panels: a, b",
        "screens[0].variants[0].cells: no cell for panel(s) b; a variant places every panel of "
        "its screen",
        "screens[0].variants[1].cells.b: cell covers columns 1..3 but the grid has 3 columns "
        "(0..2)",
        "screens[0].variants[1].cells.b: panel 'b' overlaps panel 'a' "
        "(screens[0].variants[1].cells.a) at col 1, row 0",
        "screens[0].variants[2].cell: unknown key 'cell' (did you mean 'cells'?)",
        "screens[0].variants[2].cells: missing required key 'cells' (write cells = { panel_id "
        "= { col = 0, row = 0 }, ... } for every panel)",
        "screens[0].variants[2].min_aspect: min_aspect 3 is already screens[0].variants[1]'s; "
        "each variant needs its own",
    ]


def test_variants_must_be_a_list_of_tables():
    assert _problems(BASE.replace('title = "一"', 'title = "一"\nvariants = 3')) == [
        "screens[0].variants: expected a list of [[screens.variants]] tables (double brackets), "
        "found an integer 3"]


def test_the_bundled_overview_fills_a_strip():
    """On 5760x1080 the map takes the whole middle third, its own 1920x1080 (less the
    header and the strip), not a quarter of the middle."""
    layout = load_layout(ROOT / "layouts" / "overview.toml")
    for screen in layout.screens:
        arr = screen.arrangement(5760 / 1080)
        assert arr.min_aspect == 2.5 and (arr.columns, arr.rows) == (12, 2)
        assert set(arr.cells) == {p.id for p in screen.panels}
    city_map = layout.screens[0].arrangement(5760 / 1080).cells["city_map"]
    assert (city_map.col, city_map.colspan, city_map.rowspan) == (4, 4, 2)
    assert layout.screens[0].arrangement(16 / 9).cells["city_map"].colspan == 2
