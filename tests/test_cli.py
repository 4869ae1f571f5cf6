"""The command line as a user runs it: separate processes, real files, offscreen Qt."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QImage, QRawFont
from support import ROOT


def cockpit(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def distinct_colors(image: QImage, step: int = 16) -> int:
    return len({image.pixel(x, y) for y in range(0, image.height(), step) for x in range(0, image.width(), step)})


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_screenshot_writes_one_png_per_screen_at_the_size(tmp_path, size):
    result = cockpit("screenshot", "--layout", "overview", "--out", str(tmp_path),
                     "--size", f"{size[0]}x{size[1]}")
    assert result.returncode == 0, result.stderr
    files = sorted(tmp_path.glob("*.png"))
    assert [f.name for f in files] == ["overview-1.png", "overview-2.png"]
    assert result.stdout.split() == [str(f) for f in files]
    for f in files:
        image = QImage(str(f))
        assert (image.width(), image.height()) == size
        assert distinct_colors(image) > 40, f"{f.name} looks blank"


@pytest.mark.slow
def test_screenshot_shows_the_data(tmp_path):
    """The overview's KPI value colour (white) and the theme's accent appear: data, not loaders."""
    result = cockpit("screenshot", "--layout", "生态环保", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    image = QImage(str(tmp_path / "environment-1.png"))
    white = sum(1 for y in range(0, 1080, 3) for x in range(0, 1920, 3)
                if image.pixelColor(x, y).lightness() > 240)
    assert white > 500  # big figures are drawn


def test_screenshot_of_an_unknown_layout_lists_the_known_ones(tmp_path):
    result = cockpit("screenshot", "--layout", "nosuch", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "no layout 'nosuch'" in result.stderr and "overview (城市运行总览)" in result.stderr


def test_bad_size_is_refused_clearly(tmp_path):
    result = cockpit("screenshot", "--layout", "overview", "--out", str(tmp_path), "--size", "big")
    assert result.returncode == 2 and "WIDTHxHEIGHT" in result.stderr


def test_validate_accepts_the_bundled_layouts():
    result = cockpit("validate", "layouts")
    assert result.returncode == 0, result.stderr
    assert f"{len(list((ROOT / 'layouts').glob('*.toml')))} file(s) OK" in result.stdout


def test_validate_names_file_path_and_problem():
    bad = ROOT / "tests" / "fixtures" / "layouts_bad"
    result = cockpit("validate", "layouts/overview.toml", str(bad / "unknown_kind.toml"))
    assert result.returncode == 1
    line = next(x for x in result.stderr.splitlines() if "unknown_kind.toml" in x)
    assert ".kind:" in line and "kpi" in line  # the key path and the known kinds


def test_validate_checks_site_configs_too(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('[wall]\nlayouts = ["overview", "nosuch"]\n[[feeds]]\nname = "x"\nkind = "ftp"\npath = "."\n',
                      encoding="utf-8")
    result = cockpit("validate", str(config))
    assert result.returncode == 1
    assert "wall.layouts[1]" in result.stderr and "feeds[0].kind" in result.stderr


def test_snapshot_info_describes_the_demo():
    result = cockpit("snapshot", "info", "assets/demo/snapshot")
    assert result.returncode == 0, result.stderr
    assert "observations" in result.stdout and "demo" in result.stdout


def test_snapshot_info_refuses_a_folder_that_is_not_one(tmp_path):
    result = cockpit("snapshot", "info", str(tmp_path))
    assert result.returncode == 1 and str(tmp_path) in result.stderr


@pytest.mark.slow
def test_demo_starts_on_every_screen_and_shows_data(tmp_path):
    # 15 s: eighteen layouts are built warm before the first data is painted, and on a loaded
    # 2-core machine (the suite running two at a time) that took over 6 s
    result = cockpit("demo", "--exit-after", "15", "--cache", str(tmp_path / "demo.duckdb"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "first frame painted" in result.stderr and "first data painted" in result.stderr
    n = len(list((ROOT / "layouts").glob("*.toml")))
    assert f"{n} layout(s) on 3 screen(s)" in result.stderr


def test_the_wall_up_to_its_first_frame_does_not_load_pyarrow():
    """pyarrow (~0.1 s to import) is needed with the first batch of rows, not before the first
    frame: the modules the demo loads until then must not import it."""
    code = ("import sys, cockpit.cli, cockpit.cli_commands, cockpit.shell.app, cockpit.shell.wall, "
            "cockpit.shell.pump, cockpit.data.snapshot, cockpit.data.sources, "
            "cockpit.data.replay, cockpit.data.ingest, feeds.common, feeds.rest; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyarrow', 'folium'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.slow
def test_main_py_without_arguments_runs_the_demo(tmp_path):
    # 10 s: the first paint needs a few seconds on a loaded 2-core machine (4 s failed under load)
    env = {"COCKPIT_EXIT_AFTER": "10", "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, capture_output=True, text=True,
                            timeout=90, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    assert "first data painted" in result.stderr
    assert (tmp_path / "weifang-cockpit" / "demo.duckdb").exists()  # the user's data folder


def test_second_wall_on_the_same_cache_says_already_running(tmp_path):
    from cockpit.data.store import Store

    cache = tmp_path / "wall.duckdb"
    with Store(cache):  # this process holds the cache
        result = cockpit("demo", "--exit-after", "1", "--cache", str(cache), timeout=60)
    assert result.returncode == 1
    assert "already running" in result.stderr


def test_chinese_has_a_font(qapp):
    """Chinese must render as glyphs, not boxes: the set-up command installs a CJK font."""
    from cockpit.model.theme import theme
    from cockpit.shell.app import has_cjk_font

    assert has_cjk_font(), QFontDatabase.families()
    font = QFont()
    font.setFamilies(list(theme().families))
    raw = QRawFont.fromFont(font)  # the font the wall's text resolves to
    missing = [ch for ch in "潍坊城市大脑数据调度展示中心空气质量告警" if not raw.supportsCharacter(ord(ch))]
    assert not missing, f"{raw.familyName()} has no glyph for {missing}"


def test_qt_messages_reach_the_log(qapp, caplog):
    """Qt's warnings go to the log (and so to the rotating file), not to stderr alone."""
    from PySide6.QtCore import qWarning

    from cockpit.shell.app import make_app

    make_app()
    with caplog.at_level("WARNING", logger="qt"):
        qWarning("QRhiGles2: Failed to create context (a test's stand-in)")
    assert [(r.name, r.levelname) for r in caplog.records
            if "a test's stand-in" in r.getMessage()] == [("qt", "WARNING")]
