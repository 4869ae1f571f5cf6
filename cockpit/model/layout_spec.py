"""The layout model: what the wall shows, screen by screen, panel by panel.

A layout is one TOML file; its id is the file stem. The format is described for users in
``docs/layout-format.md``; in short::

    version = 1
    name = "城市运行总览"
    order = 1
    [[screens]]
    title = "运行态势"
    grid = { columns = 4, rows = 3 }
      [[screens.panels]]
      id = "aqi"
      kind = "kpi"
      title = "全市空气质量指数"
      cell = { col = 0, row = 0 }
      stale_after = "10m"
      metric = "aqi"

This module is the model: the limits, the dataclasses (Layout, ScreenSpec, PanelSpec, Cell) and
the Problem/LayoutError a check reports. A panel's own fields are those its kind declares in
:mod:`cockpit.model.registry`. Reading is :mod:`cockpit.model.layout`, checking
:mod:`cockpit.model.layout_check`. Pure Python: no Qt, no DuckDB.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.model.files import MAX_FILE_BYTES  # noqa: F401 (re-exported)

#: The layout format version this cockpit reads and writes.
LAYOUT_VERSION = 1

#: version -> function upgrading the parsed file (a dict) of that version to ``version + 1``.
#: Applied in a chain to files older than LAYOUT_VERSION; keep a file of every old version in
#: the tests to prove it still loads.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

DEFAULT_ORDER = 100
DEFAULT_STALE_AFTER = 300.0  # seconds
MAX_GRID = 12  # largest number of columns or rows in a screen's grid
#: Most panels one screen can hold: one per cell of the largest grid (panels may not overlap),
#: so a longer list is refused at once, before its panels are checked one by one.
MAX_PANELS = MAX_GRID * MAX_GRID
MAX_SCREENS = 64  # most screens a layout may span (a large wall has a few dozen)
MAX_PROBLEMS = 50  # problems listed per file; the rest are counted

MAX_VARIANTS = 8  # most variants one screen may declare
#: The range of a variant's ``min_aspect`` (width / height): a 16:9 screen is 1.78, a strip of
#: three 1080p screens side by side 5.33.
MIN_ASPECT, MAX_ASPECT = 1.0, 12.0

TOP_KEYS = ("version", "name", "order", "screens")
SCREEN_KEYS = ("title", "grid", "panels", "variants")
VARIANT_KEYS = ("min_aspect", "grid", "cells")
GRID_KEYS = ("columns", "rows")
PANEL_KEYS = ("id", "kind", "title", "cell", "stale_after")
CELL_KEYS = ("col", "row", "colspan", "rowspan")

WHOLE_FILE = "(file)"


# --- the model -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """A panel's place in its screen's grid, 0-based; spans are at least 1."""

    col: int
    row: int
    colspan: int = 1
    rowspan: int = 1

    def covered(self) -> Iterator[tuple[int, int]]:
        """Every (col, row) grid cell this panel covers, row by row."""
        for row in range(self.row, self.row + self.rowspan):
            for col in range(self.col, self.col + self.colspan):
                yield col, row


@dataclass(frozen=True)
class PanelSpec:
    """One panel as declared in a layout, with every field of its kind filled in.

    Equality is by value, so a reloaded file can be compared with the one showing. The hash is
    of :attr:`key` alone, ``(layout_id, id)`` — the identity the wall looks panels up by — since
    ``params`` holds lists; equal specs always share a key, so hash and equality agree.
    """

    id: str
    kind: str
    title: str
    cell: Cell
    stale_after: float  # seconds after which the panel's data counts as stale
    params: dict[str, Any]  # the kind's fields, defaults filled in
    screen: int  # index of the screen in the layout
    layout_id: str
    #: whether the file set ``stale_after`` (else the freshness rules derive the bound from the
    #: panel's feeds, see cockpit/panels/freshness.py)
    stale_explicit: bool = True

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def key(self) -> tuple[str, str]:
        return (self.layout_id, self.id)

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True)
class ScreenVariant:
    """The screen laid out anew for screens at least ``min_aspect`` times as wide as high (a
    strip of three 1080p screens on one output is 5760x1080, 5.33): its own grid, and a cell
    for every panel of the screen by id."""

    min_aspect: float
    columns: int
    rows: int
    cells: tuple[tuple[str, Cell], ...]  # (panel id, its cell), in file order


@dataclass(frozen=True)
class Arrangement:
    """How a screen's panels sit on a screen of some shape: the grid and each panel's cell."""

    min_aspect: float | None  # the variant's, or None: the screen's own grid
    columns: int
    rows: int
    cells: dict[str, Cell]


@dataclass(frozen=True)
class ScreenSpec:
    index: int
    title: str
    columns: int
    rows: int
    panels: tuple[PanelSpec, ...]
    #: other grids for wider screens, narrowest first (``[[screens.variants]]``)
    variants: tuple[ScreenVariant, ...] = ()

    def arrangement(self, aspect: float) -> Arrangement:
        """The grid for a screen ``aspect`` times as wide as high: the variant with the
        largest ``min_aspect`` it reaches, else the screen's own."""
        chosen = None
        for variant in self.variants:
            if aspect >= variant.min_aspect and (chosen is None
                                                 or variant.min_aspect > chosen.min_aspect):
                chosen = variant
        if chosen is None:
            return Arrangement(None, self.columns, self.rows,
                               {p.id: p.cell for p in self.panels})
        return Arrangement(chosen.min_aspect, chosen.columns, chosen.rows, dict(chosen.cells))


@dataclass(frozen=True)
class Layout:
    id: str  # the file stem
    name: str  # shown in the wall header
    order: int  # position in the switching order
    version: int  # the format version the file declared (its content is migrated to current)
    screens: tuple[ScreenSpec, ...]
    source: Path | None = None

    def panels(self) -> Iterator[PanelSpec]:
        for screen in self.screens:
            yield from screen.panels

    def panel(self, panel_id: str) -> PanelSpec:
        for spec in self.panels():
            if spec.id == panel_id:
                return spec
        raise KeyError(panel_id)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # key path such as "screens[1].panels[3].kind", or "(file)"
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class LayoutError(ValueError):
    """A layout file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""


