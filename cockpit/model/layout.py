"""Reading layout files: what the wall shows, screen by screen, panel by panel.

A layout is one TOML file; its id is the file stem (the format: ``docs/layout-format.md``).
This module reads files and folders of them (bounded, :mod:`cockpit.model.files`), has each
checked (:mod:`cockpit.model.layout_check`: every problem at once, each naming the file and the
key path) and re-exports the model of :mod:`cockpit.model.layout_spec`, so callers take layouts
and their parts from here. Pure Python: no Qt, no DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cockpit.model import layout_trust
from cockpit.model.files import parse_toml_checked, read_text_checked
from cockpit.model.layout_check import Checker

# The model, re-exported: callers read layouts and their parts from this one module.
from cockpit.model.layout_spec import (  # noqa: F401
    DEFAULT_ORDER,
    DEFAULT_STALE_AFTER,
    LAYOUT_VERSION,
    MAX_FILE_BYTES,
    MAX_GRID,
    MAX_PANELS,
    MAX_PROBLEMS,
    MAX_SCREENS,
    WHOLE_FILE,
    Arrangement,
    Cell,
    Layout,
    LayoutError,
    PanelSpec,
    Problem,
    ScreenSpec,
    ScreenVariant,
)


def _read(path: Path) -> str:
    file = str(path)
    return read_text_checked(path, lambda m: LayoutError([Problem(file, WHOLE_FILE, m)]))


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    return parse_toml_checked(text, lambda m: LayoutError([Problem(file, WHOLE_FILE, m)]))


def _is_site_config(data: dict[str, Any]) -> bool:
    # Same test as cockpit.model.config.is_site_config, so each file goes to exactly one validator.
    return "wall" in data or "feeds" in data


def _from_data(data: dict[str, Any], file: str, layout_id: str, source: Path | None,
               trusted: bool = False) -> Layout:
    checker = Checker(file, trusted)
    layout = checker.layout(data, layout_id, source)
    if layout is None:
        problems = checker.problems
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS],
                        Problem(file, WHOLE_FILE, f"and {len(problems) - MAX_PROBLEMS:,} more "
                                                  f"problem(s) not listed")]
        raise LayoutError(problems)
    return layout


def parse_layout(text: str, source: str | Path, layout_id: str | None = None, *,
                 trust: bool = True) -> Layout:
    """Parse and validate layout text; raise LayoutError listing every problem.

    ``source`` names the file in problems (and is kept as ``Layout.source`` when it is a Path);
    ``layout_id`` defaults to its stem. Text that passed this check before (a bundled layout, see
    :mod:`cockpit.model.layout_trust`) is read without the models unless ``trust`` is false.
    """
    file = str(source)
    data = _parse_toml(text, file)
    return _from_data(data, file, layout_id or Path(source).stem,
                      source if isinstance(source, Path) else None,
                      trust and layout_trust.trusted(text))


def load_layout(path: str | Path) -> Layout:
    path = Path(path)
    return parse_layout(_read(path), path)


def load_layouts(directory: str | Path) -> tuple[list[Layout], list[LayoutError]]:
    """Every layout in ``directory`` (``*.toml``), sorted by (order, id), and an error per bad file.

    A bad file never stops the others. Site configs found there (see :func:`validate_paths`)
    are not layouts and are skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [], [LayoutError([Problem(str(directory), WHOLE_FILE, "no such folder")])]
    good: list[Layout] = []
    bad: list[LayoutError] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            text = _read(path)
            data = _parse_toml(text, str(path))
            if not _is_site_config(data):
                layout = _from_data(data, str(path), path.stem, path, layout_trust.trusted(text))
                _unique_name(layout, good)
                good.append(layout)
        except LayoutError as exc:
            bad.append(exc)
    good.sort(key=lambda layout: (layout.order, layout.id))
    return good, bad


def _unique_name(layout: Layout, others: list[Layout]) -> None:
    """Layouts are found by their name as well as their id (``cockpit screenshot --layout``,
    the control page), so two files of one folder may not share a name: the later is refused."""
    for other in others:
        if other.name == layout.name:
            raise LayoutError([Problem(str(layout.source), "name",
                                       f"duplicate layout name '{layout.name}' (already the "
                                       f"name of {other.source.name if other.source else other.id})")])


def validate_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Problems of the layout files among ``paths`` (a folder means every ``*.toml`` in it).

    For ``cockpit validate``. Site configs — files with a top-level ``[wall]`` table or
    ``[[feeds]]`` tables — are skipped here (no problems returned for them); the config module
    validates those. A file that is not TOML at all is reported, since nothing can tell which
    it was meant to be. An empty list means every layout is good.
    """
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.glob("*.toml"))
            if not files:
                problems.append(Problem(str(path), WHOLE_FILE, "folder has no .toml files"))
        elif path.exists():
            files = [path]
        else:
            problems.append(Problem(str(path), WHOLE_FILE, "no such file or folder"))
            continue
        seen: list[Layout] = []
        for file in files:
            try:
                data = _parse_toml(_read(file), str(file))
                if not _is_site_config(data):
                    layout = _from_data(data, str(file), file.stem, file)
                    _unique_name(layout, seen)
                    seen.append(layout)
            except LayoutError as exc:
                problems.extend(exc.problems)
    return problems
