"""The package is the product: the wheel a wall PC installs carries the whole cockpit (every module,
the bundled layouts, the theme, the demo snapshot, the district map, the map page's script) and
nothing of the repository's own (benchmarks, tests). .ci/run goes further: it installs the wheel
into a fresh environment and renders a layout with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
PACKAGES = ("cockpit", "widgets", "maps", "feeds")  # the product's top-level packages


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> set[str]:
    tmp = tmp_path_factory.mktemp("wheel")
    # a copy without build outputs: setuptools packs whatever a stale build/lib holds
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.duckdb*"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                           str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp / "dist").glob("weifang_cockpit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def matching(files: set[str], pattern: str) -> list[str]:
    return sorted(f for f in files if Path(f).match(pattern))


@pytest.mark.slow
def test_the_wheel_carries_what_a_wall_renders_with(wheel_files):
    for name in ("cockpit/layouts/overview.toml", "cockpit/assets/theme.toml",
                 "maps/static/cockpit_map.js", "maps/static/cockpit_map.css",
                 "cockpit/__main__.py", "cockpit/cli.py"):
        assert name in wheel_files, name
    assert matching(wheel_files, "cockpit/assets/demo/snapshot/*.parquet")
    assert matching(wheel_files, "cockpit/assets/maps/*.geojson")


@pytest.mark.slow
def test_the_wheel_carries_every_module_layout_and_asset_of_the_checkout(wheel_files):
    """A package left out of pyproject.toml's list would install a wall that fails to import."""
    want = set()
    for package in PACKAGES:
        want |= {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")
                 if "__pycache__" not in p.parts}
    want |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "maps" / "static").iterdir()}
    want |= {f"cockpit/layouts/{p.name}" for p in (ROOT / "layouts").glob("*.toml")}
    want |= {"cockpit/assets/" + p.relative_to(ROOT / "assets").as_posix()
             for p in (ROOT / "assets").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert sorted(want - wheel_files) == []


@pytest.mark.slow
def test_the_wheel_carries_nothing_of_the_repository_s_own(wheel_files):
    tops = {name.split("/")[0] for name in wheel_files}
    assert {t for t in tops if not t.endswith(".dist-info")} == set(PACKAGES)
    assert not [f for f in wheel_files if f.startswith(("benchmarks/", "tests/", "layouts/", "assets/"))]
