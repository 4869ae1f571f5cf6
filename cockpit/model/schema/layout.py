"""Layout files declared as pydantic models, each panel kind's options generated from the
registry's :class:`~cockpit.model.registry.Field` declarations (one place to add a kind).

:data:`LayoutFile` is what ``cockpit schema layout`` prints (docs/schema/layout.schema.json): the
editor then knows every kind's options, their types, ranges, choices, metric and district codes.
The layout's own checks with their messages (grid fit, overlaps, ids, migrations) are
:mod:`cockpit.model.layout_check`. Pure: no Qt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import Field, StringConstraints, create_model, field_validator

from cockpit.model.layout_spec import (
    DEFAULT_ORDER,
    DEFAULT_STALE_AFTER,
    LAYOUT_VERSION,
    MAX_ASPECT,
    MAX_GRID,
    MAX_PANELS,
    MAX_SCREENS,
    MAX_VARIANTS,
    MIN_ASPECT,
)
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.registry import Field as KindField
from cockpit.model.schema.base import Strict, field
from cockpit.model.schema.values import described, duration_seconds  # noqa: F401 (re-exported)

PanelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")]
Duration = float | Annotated[str, StringConstraints(pattern=r"^\s*\d+(\.\d+)?\s*[smh]\s*$")]


def _one(f: KindField) -> Any:
    """The type of one value (or one list item) of a kind's field."""
    if f.choices is not None:
        return Literal[tuple(f.choices)]
    if f.check in ("metric", "metrics"):
        return Literal[tuple(METRICS)]
    if f.check == "district":
        return Literal[(CITY_CODE, *DISTRICTS)]
    if f.type is list:
        return float if f.min is not None or f.max is not None else str
    if f.type in (float, (int, float), (float, int)):
        return float
    return f.type


def _annotation(f: KindField) -> Any:
    item = _one(f)
    bounds = {k: v for k, v in (("ge", f.min), ("le", f.max)) if v is not None}
    if bounds and item in (int, float):
        item = Annotated[item, Field(**bounds)]
    if f.type is list:
        tp: Any = Annotated[list[item], Field(min_length=1)]
    elif f.type is dict:
        tp = dict[str, str]
    else:
        tp = item
    return tp if f.required or f.default is not None else tp | None


def _field(f: KindField) -> tuple[Any, Any]:
    default = ... if f.required else f.default
    return _annotation(f), field(default, description=f.doc or f.name)


class Cell(Strict):
    """``cell``: the panel's place in the screen's grid, 0-based."""

    col: int = field(ge=0, le=MAX_GRID - 1, example=0, description="The first column.")
    row: int = field(ge=0, le=MAX_GRID - 1, example=0, description="The first row.")
    colspan: int = field(1, ge=1, le=MAX_GRID, example=2, description="Columns covered.")
    rowspan: int = field(1, ge=1, le=MAX_GRID, example=1, description="Rows covered.")


class Grid(Strict):
    """``grid``: the screen's columns and rows."""

    columns: int = field(ge=1, le=MAX_GRID, example=4, description="Columns of the grid.")
    rows: int = field(ge=1, le=MAX_GRID, example=3, description="Rows of the grid.")


class PanelBase(Strict):
    """The keys every panel has."""

    id: PanelId = field(example="aqi", description="Unique within the layout: letters, digits, "
                                                   "_ and -.")
    title: str = field(example="全市空气质量指数", description="The panel's title on the wall.")
    cell: Cell = field(example={"col": 0, "row": 0}, description="Where it sits in the grid.")
    stale_after: Duration = field(DEFAULT_STALE_AFTER, unit="s", example="10m",
                                  description="Data older than this counts as stale: seconds, or "
                                              "\"90s\", \"10m\", \"2h\" (default: from the "
                                              "panel's feeds).")

    @field_validator("stale_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if duration_seconds(value) is None:
            raise ValueError("expected a positive duration: seconds as a number, or a string "
                             f"like '90s', '10m' or '2h'; found {described(value)}")
        return value


class PanelOfNoKind(PanelBase):
    """A panel whose kind is unknown: its common keys are still checked."""

    model_config = {**PanelBase.model_config, "extra": "ignore"}
    kind: str = field(description="The panel kind.", example="kpi")


def _panel_model(name: str) -> type[PanelBase]:
    kind = PANEL_KINDS.get(name)
    fields: dict[str, Any] = {"kind": (Literal[name], field(description=kind.doc, example=name))}
    fields |= {f.name: _field(f) for f in kind.fields}
    return create_model(f"Panel_{name}", __base__=PanelBase, __doc__=kind.doc, **fields)


class _PanelModels(Mapping[str, type[PanelBase]]):
    """Panel kind -> its model, each built when first asked for: a layout file's check builds
    the kinds it uses; the reference and ``cockpit schema layout`` build them all."""

    def __init__(self) -> None:
        self._built: dict[str, type[PanelBase]] = {}

    def __getitem__(self, name: str) -> type[PanelBase]:
        if name not in self._built:
            if name not in PANEL_KINDS:
                raise KeyError(name)
            self._built[name] = _panel_model(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(PANEL_KINDS.names())

    def __len__(self) -> int:
        return len(PANEL_KINDS.names())


PANEL_MODELS: Mapping[str, type[PanelBase]] = _PanelModels()


class ScreenHead(Strict):
    """A screen's own keys (its panels are checked one by one)."""

    title: str = field("", example="运行态势", description="The screen's title.")
    grid: Grid = field(example={"columns": 4, "rows": 3}, description="Its grid.")


class Variant(Strict):
    """``[[screens.variants]]``: the screen laid out anew on screens at least ``min_aspect``
    times as wide as high, so a strip of three 1080p screens on one output (5760x1080) is not
    one 1080p grid stretched three times wide."""

    min_aspect: float = field(ge=MIN_ASPECT, le=MAX_ASPECT, example=2.5,
                              description="The narrowest width / height it is for (16:9 is "
                                          "1.78, three 1080p screens side by side 5.33); the "
                                          "variant with the largest one a screen reaches wins.")
    grid: Grid = field(example={"columns": 12, "rows": 2}, description="Its grid.")
    cells: dict[PanelId, Cell] = field(
        example={"city_map": {"col": 4, "row": 0, "colspan": 4, "rowspan": 2}},
        description="Every panel of the screen by id, with its cell in this grid.")


class LayoutHead(Strict):
    """A layout's own keys (its version is read first, its screens one by one)."""

    name: str = field(example="城市运行总览", description="The layout's name shown in the header.")
    order: int = field(DEFAULT_ORDER, example=1, description="Position in the switching order.")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a non-empty string, found ''")
        return value


def _whole_file() -> dict[str, Any]:
    """The models of a whole layout file (every kind in one union), for the JSON Schema and the
    reference; the wall's check validates table by table and never builds them."""
    panel = Annotated[Union[tuple(PANEL_MODELS.values())],  # noqa: UP007 (built at run time)
                      Field(discriminator="kind")]

    class Screen(ScreenHead):
        """``[[screens]]``: one physical screen's grid of panels."""

        panels: list[panel] = field(min_length=1, max_length=MAX_PANELS,  # type: ignore[valid-type]
                                    example=[{"id": "aqi", "kind": "kpi"}],
                                    description="Its panels ([[screens.panels]]).")
        variants: list[Variant] = field(default_factory=list, max_length=MAX_VARIANTS,
                                        example=[{"min_aspect": 2.5}],
                                        description="Other grids for wider screens "
                                                    "([[screens.variants]]).")

    class LayoutFile(LayoutHead):
        """A layout file: what the wall shows, screen by screen, panel by panel."""

        version: int = field(ge=1, le=LAYOUT_VERSION, example=LAYOUT_VERSION,
                             description="The layout format version.")
        screens: list[Screen] = field(min_length=1, max_length=MAX_SCREENS,
                                      example=[{"title": "运行态势"}],
                                      description="The screens, in order ([[screens]]).")

    for model in (Screen, LayoutFile):
        model.__qualname__ = model.__name__
    return {"Panel": panel, "Screen": Screen, "LayoutFile": LayoutFile}


def __getattr__(name: str) -> Any:
    if name in ("Panel", "Screen", "LayoutFile"):
        built = _whole_file()
        globals().update(built)
        return built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
