"""Checking a parsed layout file: every problem at once, each naming the file, the key path
(``screens[1].panels[3].kind``, 0-based in file order), what was found and what was expected.

A panel's own fields are checked against what its kind declares in
:mod:`cockpit.model.registry`, so a new kind needs no change here. Pure: no Qt.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cockpit.model.layout_spec import (
    CELL_KEYS,
    DEFAULT_ORDER,
    DEFAULT_STALE_AFTER,
    GRID_KEYS,
    LAYOUT_VERSION,
    MAX_GRID,
    MAX_PANELS,
    MAX_SCREENS,
    MIGRATIONS,
    PANEL_KEYS,
    SCREEN_KEYS,
    TOP_KEYS,
    WHOLE_FILE,
    Cell,
    Layout,
    PanelSpec,
    Problem,
    ScreenSpec,
)
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS, Field, PanelKind

_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_MISSING: Any = object()

# --- describing values in messages -----------------------------------------------------------

_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


def _types(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _expected(types: type | tuple[type, ...]) -> str:
    types = _types(types)
    if set(types) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"an integer {value}"
    if isinstance(value, float):
        return f"a number {value!r}"
    if isinstance(value, str):
        return f"a string {value!r}"
    if isinstance(value, list):
        text = repr(value)
        return f"a list {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} {value}"  # TOML dates and times


def _is_type(value: Any, types: type | tuple[type, ...]) -> bool:
    types = _types(types)
    if isinstance(value, bool):  # bool is an int subclass; TOML true is never a number here
        return bool in types
    return isinstance(value, types)


def _num(x: float) -> str:
    return f"{x:g}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _close(word: Any, candidates: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return matches[0] if matches else None


def _district_list() -> str:
    return ", ".join(f"{code} {name}" for code, name in DISTRICTS.items())


# --- validation ------------------------------------------------------------------------------

class Checker:
    """Walks one parsed file, collecting problems; builds the Layout only if there are none."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

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

    def value(self, table: dict[str, Any], key: str, path: str, types: type | tuple[type, ...],
              *, required: bool = True, default: Any = None, hint: str = "") -> Any:
        """The value at ``key`` if it has the right type; otherwise a problem and None."""
        kpath = _join(path, key)
        if key not in table:
            if required:
                self.add(kpath, f"missing required key '{key}'" + (f" ({hint})" if hint else ""))
                return None
            return default
        value = table[key]
        if not _is_type(value, types):
            self.add(kpath, f"expected {_expected(types)}, found {_found(value)}")
            return None
        return value

    def table(self, parent: dict[str, Any], key: str, path: str, example: str) -> Any:
        return self.value(parent, key, path, dict, hint=f"write {key} = {example}")

    # the layout as a whole

    def layout(self, data: dict[str, Any], layout_id: str, source: Path | None) -> Layout | None:
        version = self.version(data)
        if version is None:
            return None
        data = self.migrate(data, version)
        if data is None:
            return None
        self.unknown_keys(data, TOP_KEYS, "")
        name = self.value(data, "name", "", str, hint="the layout's name shown in the header")
        if name is not None and not name.strip():
            self.add("name", "expected a non-empty string, found ''")
        order = self.value(data, "order", "", int, required=False, default=DEFAULT_ORDER)
        screens = []
        raw = data.get("screens", _MISSING)
        if raw is _MISSING:
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
        if self.problems:
            return None
        return Layout(layout_id, name, order, version, tuple(screens), source)

    def version(self, data: dict[str, Any]) -> int | None:
        """The declared format version; None when the rest of the file cannot be read."""
        if "version" not in data:
            self.add("version", f"missing required key 'version' (the layout format version; "
                                f"current is {LAYOUT_VERSION})")
            return LAYOUT_VERSION  # check the rest as the current format
        version = data["version"]
        if not _is_type(version, int):
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
        title = self.value(raw, "title", path, str, required=False, default="")
        columns = rows = None
        grid = self.table(raw, "grid", path, "{ columns = 4, rows = 3 }")
        if grid is not None:
            gpath = _join(path, "grid")
            self.unknown_keys(grid, GRID_KEYS, gpath)
            columns = self.grid_size(grid, "columns", gpath)
            rows = self.grid_size(grid, "rows", gpath)
        panels: list[PanelSpec] = []
        placed: list[tuple[str, str | None, Cell]] = []
        ppath = _join(path, "panels")
        raw_panels = raw.get("panels", _MISSING)
        if raw_panels is _MISSING:
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
        return ScreenSpec(index, title, columns, rows, tuple(panels))

    def grid_size(self, grid: dict[str, Any], key: str, path: str) -> int | None:
        size = self.value(grid, key, path, int)
        if size is not None and not 1 <= size <= MAX_GRID:
            self.add(_join(path, key), f"expected {key} from 1 to {MAX_GRID}, found {size}")
            return None
        return size

    def overlaps(self, placed: list[tuple[str, str | None, Cell]]) -> None:
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
                self.add(_join(path, "cell"), f"panel {this} overlaps panel {that} ({other_path}) "
                                              f"at col {col}, row {row}{more}")

    def panel(self, raw: dict[str, Any], path: str, screen: int, layout_id: str,
              columns: int | None, rows: int | None) -> PanelSpec:
        pid = self.value(raw, "id", path, str, hint="unique within the layout")
        if pid is not None and not _ID_RE.fullmatch(pid):
            self.add(_join(path, "id"), f"expected an id of letters, digits, '_' and '-', "
                                        f"found {pid!r}")
            pid = None
        kind_name = self.value(raw, "kind", path, str,
                               hint=f"one of: {', '.join(PANEL_KINDS.names())}")
        kind = None
        if kind_name is not None:
            if kind_name in PANEL_KINDS:
                kind = PANEL_KINDS.get(kind_name)
            else:
                close = _close(kind_name, PANEL_KINDS.names())
                self.add(_join(path, "kind"),
                         f"unknown panel kind '{kind_name}'"
                         + (f" (did you mean '{close}'?)" if close else "")
                         + f"; known kinds: {', '.join(PANEL_KINDS.names())}")
        title = self.value(raw, "title", path, str, hint="the panel's title on the wall")
        cell = self.cell(raw, path, columns, rows)
        stale_after = self.stale_after(raw, path)
        params: dict[str, Any] = {}
        others = _field_owners()
        if kind is None:  # its fields are unknown; flag only keys that no kind has
            self.unknown_keys(raw, [*PANEL_KEYS, *others], path)
        else:
            own = [f.name for f in kind.fields]
            self.unknown_keys(raw, [*PANEL_KEYS, *own], path, what=f"{kind.name} panels take",
                              others=others)
            for f in kind.fields:
                params[f.name] = self.field(raw, f, path, kind)
        return PanelSpec(pid, kind_name, title, cell, stale_after, params, screen, layout_id,
                         stale_explicit="stale_after" in raw)

    def cell(self, raw: dict[str, Any], path: str, columns: int | None,
             rows: int | None) -> Cell | None:
        table = self.table(raw, "cell", path, "{ col = 0, row = 0 }")
        if table is None:
            return None
        cpath = _join(path, "cell")
        self.unknown_keys(table, CELL_KEYS, cpath)
        values = {}
        for key, lowest, what in (("col", 0, "a column index"), ("row", 0, "a row index"),
                                  ("colspan", 1, "a span"), ("rowspan", 1, "a span")):
            value = self.value(table, key, cpath, int, required=key in ("col", "row"), default=1)
            if value is not None and value < lowest:
                self.add(_join(cpath, key), f"expected {what} of {lowest} or more, found {value}")
                value = None
            values[key] = value
        if None in values.values():
            return None
        cell = Cell(**values)
        for start, span, size, noun in ((cell.col, cell.colspan, columns, "column"),
                                        (cell.row, cell.rowspan, rows, "row")):
            if size is not None and start + span > size:
                where = (f"is in {noun} {start}" if span == 1
                         else f"covers {noun}s {start}..{start + span - 1}")
                self.add(cpath, f"cell {where} but the grid has {size} {noun}s (0..{size - 1})")
        return cell

    def stale_after(self, raw: dict[str, Any], path: str) -> float | None:
        if "stale_after" not in raw:
            return DEFAULT_STALE_AFTER
        value = raw["stale_after"]
        seconds = None
        if isinstance(value, str):
            match = _DURATION_RE.fullmatch(value.strip())
            if match:
                seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
        elif _is_type(value, (int, float)):
            seconds = float(value)
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            self.add(_join(path, "stale_after"),
                     "expected a positive duration: seconds as a number, or a string like "
                     f"'90s', '10m' or '2h'; found {_found(value)}")
            return None
        return seconds

    def field(self, raw: dict[str, Any], f: Field, path: str, kind: PanelKind) -> Any:
        fpath = _join(path, f.name)
        if f.name not in raw:
            if f.required:
                self.add(fpath, f"missing required key '{f.name}' ({kind.name} panels need it: "
                                f"{f.doc})")
                return None
            return list(f.default) if isinstance(f.default, list) else f.default
        value = raw[f.name]
        if not _is_type(value, f.type):
            self.add(fpath, f"expected {_expected(f.type)}, found {_found(value)}")
            return None
        if isinstance(value, list):
            if not value:
                self.add(fpath, "expected at least one item, found an empty list")
            for number, item in enumerate(value):
                self.item(item, f, f"{fpath}[{number}]")
            seen = set()
            for number, item in enumerate(value):
                if isinstance(item, str) and item in seen:
                    self.add(f"{fpath}[{number}]", f"'{item}' is listed twice")
                seen.add(item if isinstance(item, str) else id(item))
        else:
            self.item(value, f, fpath)
        return value

    def item(self, value: Any, f: Field, path: str) -> None:
        """Check one value (or one list item) against the field's choices, range and check."""
        if f.choices is not None:
            if not any(type(value) is type(c) and value == c for c in f.choices):
                close = _close(value, [str(c) for c in f.choices])
                self.add(path, f"expected one of {', '.join(map(str, f.choices))}, found "
                               f"{_found(value)}" + (f" (did you mean '{close}'?)" if close else ""))
            return
        if f.check in ("metric", "metrics"):
            if not isinstance(value, str):
                self.add(path, f"expected a string (a metric code), found {_found(value)}")
            elif value not in METRICS:
                close = difflib.get_close_matches(value, list(METRICS), n=3)
                hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else f"known metrics: {', '.join(METRICS)}")
                self.add(path, f"unknown metric '{value}'; {hint}")
            return
        if f.check == "district":
            if value != CITY_CODE and value not in DISTRICTS:
                self.add(path, f"unknown district code {value!r}; expected {CITY_CODE} "
                               f"(the whole city) or one of: {_district_list()}")
            return
        if _is_type(value, (int, float)) and not isinstance(value, bool):
            low, high = f.min, f.max
            if (low is not None and value < low) or (high is not None and value > high):
                if low is not None and high is not None:
                    want = f"a value from {_num(low)} to {_num(high)}"
                elif low is not None:
                    want = f"a value of {_num(low)} or more"
                else:
                    want = f"a value of {_num(high)} or less"
                self.add(path, f"expected {want}, found {_num(value)}")


def _field_owners() -> dict[str, str]:
    """Field name -> the kinds that have it, for pointing at a field used on the wrong kind."""
    owners: dict[str, str] = {}
    for name in PANEL_KINDS.names():
        for f in PANEL_KINDS.get(name).fields:
            owners[f.name] = f"{owners[f.name]}/{name}" if f.name in owners else name
    return owners
