"""Where the bundled files are: the layouts, the theme, the demo snapshot, the district map.

They are package data (``cockpit.layouts`` and ``cockpit.assets``, mapped onto the repository's
``layouts/`` and ``assets/`` folders by pyproject.toml), so a wheel installed on a wall PC carries
them and finds them with :mod:`importlib.resources`, wherever it is installed. Pure: no Qt.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def _folder(package: str) -> Path:
    # Wheels and editable installs are unpacked on disk: the traversable is a real folder, which
    # DuckDB, the snapshot reader and the web view need as a path.
    return Path(str(resources.files(package)))


def layouts_dir() -> Path:
    """The bundled layout files (``layouts/*.toml``)."""
    return _folder("cockpit.layouts")


def assets_dir() -> Path:
    """The bundled assets: theme.toml, demo/snapshot, maps/."""
    return _folder("cockpit.assets")


def demo_snapshot() -> Path:
    return assets_dir() / "demo" / "snapshot"


def theme_file() -> Path:
    return assets_dir() / "theme.toml"


def districts_file() -> Path:
    return assets_dir() / "maps" / "weifang_districts.geojson"
