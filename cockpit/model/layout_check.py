"""Checking a parsed layout file: every problem at once, each naming the file, the key path
(``screens[1].panels[3].kind``, 0-based in file order), what was found and what was expected.

The keys and their values — types, ranges, choices, metric and district codes, each panel
kind's options — are the pydantic models of :mod:`cockpit.model.schema.layout`, generated from
the kinds' declarations in :mod:`cockpit.model.registry` (so a new kind needs no change here).
This module reads the format version first (migrating older files), walks the screens and
panels so each table is checked on its own and every problem is found, words the models'
errors as the layout format always has, and adds what spans tables: ids unique in the layout,
panels inside their grid and not overlapping. Pure: no Qt.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from cockpit.model.layout_spec import (
    CELL_KEYS,
    DEFAULT_ORDER,
    DEFAULT_STALE_AFTER,
    GRID_KEYS,
    LAYOUT_VERSION,
    MAX_ASPECT,
    MAX_GRID,
    MAX_PANELS,
    MAX_SCREENS,
    MAX_VARIANTS,
    MIGRATIONS,
    MIN_ASPECT,
    PANEL_KEYS,
    SCREEN_KEYS,
    TOP_KEYS,
    VARIANT_KEYS,
    WHOLE_FILE,
    Cell,
    Layout,
    PanelSpec,
    Problem,
    ScreenSpec,
    ScreenVariant,
)
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS, Field, PanelKind
from cockpit.model.schema.values import described as _found
from cockpit.model.schema.values import duration_seconds

if TYPE_CHECKING:
    from pydantic import BaseModel

_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}
#: pydantic's type errors, as the layout format words the type expected.
_TYPE_ERRORS = {"int_type": "an integer", "int_from_float": "an integer", "float_type": "a number",
                "string_type": "a string", "bool_type": "true or false", "list_type": "a list",
                "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table"}
#: What a missing key is for.
_HINTS = {"name": "the layout's name shown in the header", "id": "unique within the layout",
          "kind": "one of: {kinds}", "title": "the panel's title on the wall",
          "cell": "write cell = { col = 0, row = 0 }",
          "grid": "write grid = { columns = 4, rows = 3 }",
          "min_aspect": "the narrowest width / height the variant is for, e.g. 2.5",
          "cells": "write cells = { panel_id = { col = 0, row = 0 }, ... } for every panel"}
#: The lowest value of a cell's keys, in words.
_CELL_WORDS = {"col": "a column index", "row": "a row index", "colspan": "a span",
               "rowspan": "a span"}
#: The defaults of the tables a trusted file's values are read from without the models (a test
#: compares them with the models').
PLAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "LayoutHead": {"order": DEFAULT_ORDER}, "ScreenHead": {"title": ""}, "Grid": {},
    "Cell": {"colspan": 1, "rowspan": 1}, "PanelBase": {}, "Variant": {}}


def _model(name: str) -> type[BaseModel]:
    """The model called ``name`` (a panel kind's: ``kind:<name>``), imported when first used."""
    from cockpit.model.schema import layout as models

    if name.startswith("kind:"):
        return models.PANEL_MODELS[name.removeprefix("kind:")]
    return getattr(models, name)


def _types(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _expected(types: type | tuple[type, ...]) -> str:
    types = _types(types)
    if set(types) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _num(x: float) -> str:
    return f"{x:g}"


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _close(word: Any, candidates: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return matches[0] if matches else None


def _district_list() -> str:
    return ", ".join(f"{code} {name}" for code, name in DISTRICTS.items())


def _item_problem(f: Field, value: Any) -> str:
    """A kind field's value (or list item) that is not one of its codes or choices, in words."""
    if f.choices is not None:
        close = _close(value, [str(c) for c in f.choices])
        return (f"expected one of {', '.join(map(str, f.choices))}, found {_found(value)}"
                + (f" (did you mean '{close}'?)" if close else ""))
    if f.check in ("metric", "metrics"):
        if not isinstance(value, str):
            return f"expected a string (a metric code), found {_found(value)}"
        close = difflib.get_close_matches(value, list(METRICS), n=3)
        hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                else f"known metrics: {', '.join(METRICS)}")
        return f"unknown metric '{value}'; {hint}"
    if not isinstance(value, str):
        return f"expected {_expected(f.type)}, found {_found(value)}"
    return (f"unknown district code {value!r}; expected {CITY_CODE} (the whole city) or one "
            f"of: {_district_list()}")


def _range_problem(f: Field, value: Any) -> str:
    low, high = f.min, f.max
    if low is not None and high is not None:
        want = f"a value from {_num(low)} to {_num(high)}"
    elif low is not None:
        want = f"a value of {_num(low)} or more"
    else:
        want = f"a value of {_num(high)} or less"
    return f"expected {want}, found {_num(value)}"


class Checker:
    """Walks one parsed file, collecting problems; builds the Layout only if there are none."""

    def __init__(self, file: str, trusted: bool = False) -> None:
        self.file = file
        self.problems: list[Problem] = []
        #: The file's text passed this check before (:mod:`cockpit.model.layout_trust`): its
        #: tables are read as they are, without the models.
        self.trusted = trusted

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path or WHOLE_FILE, message))

    def unknown_keys(self, table: dict[str, Any], allowed: Iterable[str], path: str,
                     what: str = "", others: dict[str, str] | None = None) -> None:
        allowed = list(allowed)
        for key in table:
            if key in allowed:
                continue
            message = f"unknown key '{key}'"
            close = _close(key, allowed)
            if close:
                message += f" (did you mean '{close}'?)"
            else:
                if others and key in others:
                    message += f" ('{key}' is a field of {others[key]} panels)"
                message += f"; {what or 'expected'}: {', '.join(allowed)}"
            self.add(_join(path, key), message)

    def model(self, name: str, table: dict[str, Any], path: str,
              kind: PanelKind | None = None) -> Any:
        """``table`` validated by the model called ``name``; its problems worded and added
        (unknown keys are the caller's, with the layout format's suggestions)."""
        if self.trusted:
            return SimpleNamespace(**{**PLAIN_DEFAULTS.get(name, {}), **table})
        from pydantic import ValidationError

        try:
            return _model(name).model_validate(table)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                if err["type"] != "extra_forbidden":
                    self.error(err, path, kind)
            return None

    def error(self, err: dict[str, Any], path: str, kind: PanelKind | None) -> None:
        loc, kind_of, value = err["loc"], err["type"], err.get("input")
        key = str(loc[0])
        leaf = next((p for p in reversed(loc) if isinstance(p, str)), key)
        where = path
        for part in loc:
            where = _join(where, part)
        f = kind.field_map.get(key) if kind is not None else None
        ctx = err.get("ctx") or {}
        if kind_of == "missing":
            if f is not None:
                hint = f"{kind.name} panels need it: {f.doc}"
            else:
                hint = _HINTS.get(leaf, "").replace("{kinds}", ", ".join(PANEL_KINDS.names()))
            self.add(where, f"missing required key '{leaf}'" + (f" ({hint})" if hint else ""))
        elif kind_of == "value_error":
            self.add(where, str(ctx.get("error", err["msg"])))
        elif kind_of == "literal_error" and f is not None:
            self.add(where, _item_problem(f, value))
        elif kind_of in ("greater_than_equal", "less_than_equal") and f is not None:
            self.add(where, _range_problem(f, value))
        elif kind_of in ("greater_than_equal", "less_than_equal") and leaf in _CELL_WORDS:
            low, high = (0, MAX_GRID - 1) if leaf in ("col", "row") else (1, MAX_GRID)
            self.add(where, f"expected {_CELL_WORDS[leaf]} from {low} to {high}, found {value}")
        elif kind_of in ("greater_than_equal", "less_than_equal") and leaf == "min_aspect":
            self.add(where, f"expected an aspect (width / height) from {_num(MIN_ASPECT)} to "
                            f"{_num(MAX_ASPECT)}, found {value}")
        elif kind_of in ("greater_than_equal", "less_than_equal"):  # a grid's columns or rows
            self.add(where, f"expected {leaf} from 1 to {MAX_GRID}, found {value}")
        elif kind_of == "too_short":
            self.add(where, "expected at least one item, found an empty list")
        elif kind_of == "string_pattern_mismatch":
            self.add(where, f"expected an id of letters, digits, '_' and '-', found {value!r}")
        elif kind_of in _TYPE_ERRORS:
            expected = (_expected(f.type) if f is not None and len(loc) == 1
                        else _TYPE_ERRORS[kind_of])
            self.add(where, f"expected {expected}, found {_found(value)}")
        else:
            self.add(where, f"{err['msg']}, found {_found(value)}")

    # the layout as a whole

    def layout(self, data: dict[str, Any], layout_id: str, source: Path | None) -> Layout | None:
        version = self.version(data)
        if version is None:
            return None
        data = self.migrate(data, version)
        if data is None:
            return None
        self.unknown_keys(data, TOP_KEYS, "")
        head = self.model("LayoutHead",
                          {k: v for k, v in data.items() if k in ("name", "order")}, "")
        screens = []
        raw = data.get("screens")
        if "screens" not in data:
            self.add("screens", "missing required key 'screens' (add a [[screens]] table)")
        elif not isinstance(raw, list):
            self.add("screens", f"expected a list of [[screens]] tables (double brackets), "
                                f"found {_found(raw)}")
        elif not raw:
            self.add("screens", "expected at least one screen, found an empty list")
        elif len(raw) > MAX_SCREENS:
            self.add("screens", f"{len(raw):,} screens; a layout may have at most {MAX_SCREENS}")
        else:
            ids: dict[str, str] = {}
            for index, item in enumerate(raw):
                path = f"screens[{index}]"
                if not isinstance(item, dict):
                    self.add(path, f"expected a [[screens]] table, found {_found(item)}")
                    continue
                screens.append(self.screen(item, index, path, layout_id, ids))
        if self.problems or head is None:
            return None
        return Layout(layout_id, head.name, head.order, version, tuple(screens), source)

    def version(self, data: dict[str, Any]) -> int | None:
        """The declared format version; None when the rest of the file cannot be read."""
        if "version" not in data:
            self.add("version", f"missing required key 'version' (the layout format version; "
                                f"current is {LAYOUT_VERSION})")
            return LAYOUT_VERSION  # check the rest as the current format
        version = data["version"]
        if not isinstance(version, int) or isinstance(version, bool):
            self.add("version", f"expected an integer, found {_found(version)}")
            return LAYOUT_VERSION
        if version > LAYOUT_VERSION:
            # A newer format may mean anything; listing its keys as problems would only confuse.
            self.add("version", f"format version {version} is newer than this cockpit reads "
                                f"({LAYOUT_VERSION}); update the cockpit")
            return None
        if version < 1:
            self.add("version", f"expected a format version from 1 to {LAYOUT_VERSION}, "
                                f"found {version}")
            return LAYOUT_VERSION
        return version

    def migrate(self, data: dict[str, Any], version: int) -> dict[str, Any] | None:
        while version < LAYOUT_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                self.add("version", f"no migration from format version {version} to {version + 1}")
                return None
            try:
                data = step(dict(data))
            except Exception as exc:  # a migration meeting a damaged old file
                self.add("version", f"could not migrate from format version {version}: {exc}")
                return None
            version += 1
        return data

    # screens and panels

    def screen(self, raw: dict[str, Any], index: int, path: str, layout_id: str,
               ids: dict[str, str]) -> ScreenSpec:
        self.unknown_keys(raw, SCREEN_KEYS, path)
        if isinstance(raw.get("grid"), dict):
            self.unknown_keys(raw["grid"], GRID_KEYS, _join(path, "grid"))
        head = self.model("ScreenHead",
                          {k: v for k, v in raw.items() if k in ("title", "grid")}, path)
        grid = self.quiet("Grid", raw.get("grid"))
        columns, rows = (grid.columns, grid.rows) if grid else (None, None)
        panels: list[PanelSpec] = []
        placed: list[tuple[str, str | None, Cell]] = []
        ppath = _join(path, "panels")
        raw_panels = raw.get("panels")
        if "panels" not in raw:
            self.add(ppath, "missing required key 'panels' (add [[screens.panels]] tables)")
        elif not isinstance(raw_panels, list):
            self.add(ppath, f"expected a list of [[screens.panels]] tables, found {_found(raw_panels)}")
        elif not raw_panels:
            self.add(ppath, "screen has no panels; expected at least one [[screens.panels]] table")
        elif len(raw_panels) > MAX_PANELS:
            self.add(ppath, f"{len(raw_panels):,} panels; a screen holds at most {MAX_PANELS} "
                            f"(one per cell of a {MAX_GRID}×{MAX_GRID} grid)")
        else:
            for number, item in enumerate(raw_panels):
                path_n = f"{ppath}[{number}]"
                if not isinstance(item, dict):
                    self.add(path_n, f"expected a [[screens.panels]] table, found {_found(item)}")
                    continue
                spec = self.panel(item, path_n, index, layout_id, columns, rows)
                if spec.id is not None:
                    if spec.id in ids:
                        self.add(_join(path_n, "id"), f"duplicate panel id '{spec.id}' "
                                                       f"(first used at {ids[spec.id]}.id)")
                    else:
                        ids[spec.id] = path_n
                if spec.cell is not None:
                    placed.append((path_n, spec.id, spec.cell))
                panels.append(spec)
        self.overlaps(placed)
        variants = self.variants(raw, path, [p.id for p in panels if p.id is not None])
        return ScreenSpec(index, head.title if head else "", columns, rows, tuple(panels),
                          variants)

    def variants(self, raw: dict[str, Any], path: str,
                 ids: list[str]) -> tuple[ScreenVariant, ...]:
        """The screen's ``[[screens.variants]]``: each a grid with a cell for every panel of
        the screen, inside the grid and not overlapping, for a ``min_aspect`` of its own."""
        vpath = _join(path, "variants")
        items = raw.get("variants", [])
        if not isinstance(items, list):
            self.add(vpath, f"expected a list of [[screens.variants]] tables (double "
                            f"brackets), found {_found(items)}")
            return ()
        if len(items) > MAX_VARIANTS:
            self.add(vpath, f"{len(items)} variants; a screen may have at most {MAX_VARIANTS}")
            return ()
        out: list[ScreenVariant] = []
        aspects: dict[float, str] = {}
        for number, item in enumerate(items):
            p = f"{vpath}[{number}]"
            if not isinstance(item, dict):
                self.add(p, f"expected a [[screens.variants]] table, found {_found(item)}")
                continue
            before = len(self.problems)
            self.unknown_keys(item, VARIANT_KEYS, p)
            if isinstance(item.get("grid"), dict):
                self.unknown_keys(item["grid"], GRID_KEYS, _join(p, "grid"))
            self.model("Variant", {k: v for k, v in item.items() if k in VARIANT_KEYS}, p)
            grid = self.quiet("Grid", item.get("grid"))
            columns, rows = (grid.columns, grid.rows) if grid else (None, None)
            cells = self.variant_cells(item.get("cells"), _join(p, "cells"), ids, columns, rows)
            aspect = item.get("min_aspect")
            if isinstance(aspect, int | float) and not isinstance(aspect, bool):
                if float(aspect) in aspects:
                    self.add(_join(p, "min_aspect"),
                             f"min_aspect {aspect} is already {aspects[float(aspect)]}'s; each "
                             f"variant needs its own")
                aspects.setdefault(float(aspect), p)
            if len(self.problems) == before and grid is not None:
                out.append(ScreenVariant(float(aspect), columns, rows, cells))
        return tuple(sorted(out, key=lambda v: v.min_aspect))

    def variant_cells(self, raw: Any, path: str, ids: list[str], columns: int | None,
                      rows: int | None) -> tuple[tuple[str, Cell], ...]:
        if not isinstance(raw, dict):
            return ()  # missing or not a table: the model said so
        placed: list[tuple[str, str | None, Cell]] = []
        cells = []
        for pid, table in raw.items():
            cpath = _join(path, pid)
            if pid not in ids:
                close = _close(pid, ids)
                self.add(cpath, f"no panel '{pid}' on this screen"
                                + (f" (did you mean '{close}'?)" if close else "")
                                + f"; its panels: {', '.join(ids)}")
                continue
            if isinstance(table, dict):
                self.unknown_keys(table, CELL_KEYS, cpath)
            cell = self.fit(self.quiet("Cell", table), cpath, columns, rows, cpath)
            if cell is not None:
                placed.append((cpath, pid, cell))
                cells.append((pid, cell))
        missing = [pid for pid in ids if pid not in raw]
        if missing:
            self.add(path, f"no cell for panel(s) {', '.join(missing)}; a variant places every "
                           f"panel of its screen")
        self.overlaps(placed, key=None)
        return tuple(cells)

    def overlaps(self, placed: list[tuple[str, str | None, Cell]],
                 key: str | None = "cell") -> None:
        owner: dict[tuple[int, int], tuple[str, str | None]] = {}
        for path, pid, cell in placed:
            shared: dict[str, list[tuple[int, int]]] = {}
            others: dict[str, str | None] = {}
            for xy in cell.covered():
                if xy in owner:
                    other_path, other_id = owner[xy]
                    shared.setdefault(other_path, []).append(xy)
                    others[other_path] = other_id
                else:
                    owner[xy] = (path, pid)
            for other_path, cells in shared.items():
                col, row = cells[0]
                more = f" and {len(cells) - 1} more cells" if len(cells) > 1 else ""
                this = f"'{pid}'" if pid else path
                that = f"'{others[other_path]}'" if others[other_path] else "another panel"
                self.add(_join(path, key) if key else path,
                         f"panel {this} overlaps panel {that} ({other_path}) "
                         f"at col {col}, row {row}{more}")

    def panel(self, raw: dict[str, Any], path: str, screen: int, layout_id: str,
              columns: int | None, rows: int | None) -> PanelSpec:
        kind_name = raw.get("kind")
        kind = PANEL_KINDS.get(kind_name) if isinstance(kind_name, str) and (
            kind_name in PANEL_KINDS) else None
        others = _field_owners()
        if isinstance(raw.get("cell"), dict):
            self.unknown_keys(raw["cell"], CELL_KEYS, _join(path, "cell"))
        if kind is None:  # its fields are unknown; flag only keys that no kind has
            if isinstance(kind_name, str):
                close = _close(kind_name, PANEL_KINDS.names())
                self.add(_join(path, "kind"),
                         f"unknown panel kind '{kind_name}'"
                         + (f" (did you mean '{close}'?)" if close else "")
                         + f"; known kinds: {', '.join(PANEL_KINDS.names())}")
            self.unknown_keys(raw, [*PANEL_KEYS, *others], path)
            self.model("PanelOfNoKind", raw, path)
        else:
            own = [f.name for f in kind.fields]
            self.unknown_keys(raw, [*PANEL_KEYS, *own], path, what=f"{kind.name} panels take",
                              others=others)
            self.model(f"kind:{kind.name}", raw, path, kind)
            self.duplicates(raw, kind, path)
        pid = raw.get("id") if isinstance(raw.get("id"), str) else None
        if pid is not None and self.quiet("PanelBase", {**_SAMPLE, "id": pid}) is None:
            pid = None
        cell = self.fit(self.quiet("Cell", raw.get("cell")), path, columns, rows)
        stale_after = duration_seconds(raw.get("stale_after", DEFAULT_STALE_AFTER))
        params: dict[str, Any] = {}
        for f in kind.fields if kind is not None else ():
            default = list(f.default) if isinstance(f.default, list) else f.default
            params[f.name] = raw.get(f.name, default)
        return PanelSpec(pid, kind_name if isinstance(kind_name, str) else None,
                         raw.get("title") if isinstance(raw.get("title"), str) else None,
                         cell, stale_after, params, screen, layout_id,
                         stale_explicit="stale_after" in raw)

    def quiet(self, name: str, value: Any) -> Any:
        """``value`` validated by the model called ``name``, or None (its problems are
        reported elsewhere)."""
        if not isinstance(value, dict):
            return None
        if self.trusted:
            return SimpleNamespace(**{**PLAIN_DEFAULTS.get(name, {}), **value})
        from pydantic import ValidationError

        try:
            return _model(name).model_validate(value)
        except ValidationError:
            return None

    def duplicates(self, raw: dict[str, Any], kind: PanelKind, path: str) -> None:
        for f in kind.fields:
            value = raw.get(f.name)
            if f.type is not list or not isinstance(value, list):
                continue
            seen = set()
            for number, item in enumerate(value):
                if isinstance(item, str) and item in seen:
                    self.add(f"{_join(path, f.name)}[{number}]", f"'{item}' is listed twice")
                seen.add(item if isinstance(item, str) else id(item))

    def fit(self, model: Any, path: str, columns: int | None,
            rows: int | None, where: str | None = None) -> Cell | None:
        if model is None:
            return None
        cell = Cell(model.col, model.row, model.colspan, model.rowspan)
        cpath = where or _join(path, "cell")
        for start, span, size, noun in ((cell.col, cell.colspan, columns, "column"),
                                        (cell.row, cell.rowspan, rows, "row")):
            if size is not None and start + span > size:
                where = (f"is in {noun} {start}" if span == 1
                         else f"covers {noun}s {start}..{start + span - 1}")
                self.add(cpath, f"cell {where} but the grid has {size} {noun}s (0..{size - 1})")
        return cell


_SAMPLE = {"title": "t", "cell": {"col": 0, "row": 0}}




def _field_owners() -> dict[str, str]:
    """Field name -> the kinds that have it, for pointing at a field used on the wrong kind."""
    owners: dict[str, str] = {}
    for name in PANEL_KINDS.names():
        for f in PANEL_KINDS.get(name).fields:
            owners[f.name] = f"{owners[f.name]}/{name}" if f.name in owners else name
    return owners
