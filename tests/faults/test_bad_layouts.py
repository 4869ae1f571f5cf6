"""Bad layout and site-config files: truncated mid-write, duplicate ids, ten thousand panels,
non-UTF-8 bytes, huge files, deep nesting, a folder where a file should be. Each loads or is
refused with the file and the position (line, offset or key path), never a traceback; and in a
running wall, Ctrl+R with a bad file keeps the layout on show and names the file in the header."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from support import NOW, ROOT

from cockpit.model.config import ConfigError, SiteConfig, load_config
from cockpit.model.layout import (
    MAX_FILE_BYTES,
    MAX_PANELS,
    WHOLE_FILE,
    LayoutError,
    load_layout,
    load_layouts,
    validate_paths,
)

LAYOUTS = ROOT / "layouts"
OVERVIEW = (LAYOUTS / "overview.toml").read_bytes()
SITE = f"""version = 1
[wall]
layouts_dir = "{LAYOUTS}"
layouts = ["overview", "environment", "safety"]
screen_map = [1, 0]
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{ROOT / 'assets' / 'demo' / 'snapshot'}"
interval = "5s"
[control]
port = 8765
tokens = {{ tablet = "tablet-secret-0123456789abcdef" }}
[carousel]
playlist = [{{ layout = "overview", dwell = 60 }}, {{ layout = "safety", dwell = 30 }}]
[takeover]
min_severity = "major"
categories = {{ fire = "safety" }}
""".encode()


def located(problem) -> bool:
    """A problem says where: a key path, or for the whole file a line or byte offset."""
    if problem.path != WHOLE_FILE:
        return True
    return any(w in problem.message for w in ("line ", "offset ", "bytes,", "folder", "nested",
                                              "cannot read"))


# -- truncated mid-write ----------------------------------------------------------------------
def test_a_layout_cut_anywhere_loads_or_is_refused_with_file_and_position(tmp_path):
    file = tmp_path / "overview.toml"
    outcomes = {"loaded": 0, "refused": 0}
    for cut in range(0, len(OVERVIEW), 3):
        file.write_bytes(OVERVIEW[:cut])
        try:
            load_layout(file)
            outcomes["loaded"] += 1
        except LayoutError as exc:
            outcomes["refused"] += 1
            assert exc.problems, cut
            for p in exc.problems:
                assert p.file == str(file), (cut, p)
                assert located(p), (cut, str(p))
    # the file ends with whole panels, so a few cuts (between panels) are complete layouts
    assert outcomes["refused"] > 1000 and outcomes["loaded"] >= 1


def test_a_site_config_cut_anywhere_loads_or_is_refused_with_file_and_position(tmp_path):
    file = tmp_path / "site.toml"
    refused = 0
    for cut in range(0, len(SITE), 2):
        file.write_bytes(SITE[:cut])
        try:
            load_config(file)
        except ConfigError as exc:
            refused += 1
            for p in exc.problems:
                assert p.file == str(file), (cut, p)
                assert located(p), (cut, str(p))
    assert refused > 100
    file.write_bytes(SITE)  # and whole, it loads
    assert load_config(file).layouts == ("overview", "environment", "safety")


def test_cockpit_validate_reports_every_truncated_file_without_a_traceback(tmp_path):
    folder = tmp_path / "layouts"
    folder.mkdir()
    cuts = range(40, len(OVERVIEW), 97)
    for cut in cuts:
        (folder / f"cut{cut:05d}.toml").write_bytes(OVERVIEW[:cut])
    (folder / "site.toml").write_bytes(SITE[: len(SITE) // 2])
    done = subprocess.run([sys.executable, "-m", "cockpit.cli", "validate", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    for cut in cuts:
        try:
            load_layout(folder / f"cut{cut:05d}.toml")
        except LayoutError:  # every refused file is named (the others are whole layouts)
            assert f"cut{cut:05d}.toml: " in done.stderr
    assert "site.toml: " in done.stderr


# -- duplicates -------------------------------------------------------------------------------
def test_duplicate_ids_and_names_are_refused_naming_both(tmp_path):
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    text = (folder / "safety.toml").read_text(encoding="utf-8")
    (folder / "safety.toml").write_text(text.replace('name = "平安应急"', 'name = "生态环保"'),
                                        encoding="utf-8")
    env = (folder / "environment.toml").read_text(encoding="utf-8")
    first_id = env.split('id = "', 1)[1].split('"', 1)[0]
    second_id = env.split('id = "', 2)[2].split('"', 1)[0]
    (folder / "environment.toml").write_text(env.replace(f'id = "{second_id}"', f'id = "{first_id}"'),
                                             encoding="utf-8")
    good, errors = load_layouts(folder)
    text = "\n".join(str(e) for e in errors)
    assert f"environment.toml: screens[0].panels[1].id: duplicate panel id '{first_id}' " \
           f"(first used at screens[0].panels[0].id)" in text
    # environment is refused, so safety's name is unique now; the other way round:
    assert "safety" in {layout.id for layout in good}
    (folder / "environment.toml").write_text(env, encoding="utf-8")
    good, errors = load_layouts(folder)
    assert [str(e) for e in errors] == [
        f"{folder / 'safety.toml'}: name: duplicate layout name '生态环保' (already the name of "
        f"environment.toml)"]
    assert "safety" not in {layout.id for layout in good}
    assert any("duplicate layout name" in str(p) for p in validate_paths([folder]))


def test_duplicates_in_a_site_config_are_refused(tmp_path):
    file = tmp_path / "site.toml"
    file.write_bytes(SITE.replace(b'"environment", "safety"]', b'"safety", "overview"]'))
    with pytest.raises(ConfigError, match=r"wall\.layouts\[2\]: duplicate layout 'overview' "
                                          r"\(already at wall\.layouts\[0\]\)"):
        load_config(file)
    file.write_bytes(SITE + b'[[feeds]]\nname = "demo"\nkind = "snapshot"\npath = "x"\n')
    with pytest.raises(ConfigError, match=r"feeds\[1\]\.name: duplicate feed name 'demo'"):
        load_config(file)
    file.write_bytes(SITE.replace(b'tablet = "tablet-secret-0123456789abcdef" }',
                                  b'tablet = "tablet-secret-0123456789abcdef", '
                                  b'leader = "tablet-secret-0123456789abcdef" }'))
    with pytest.raises(ConfigError) as err:
        load_config(file)
    assert str(err.value) == (f"{file}: control.tokens.leader: duplicate secret: the same as "
                              f"control.tokens.tablet; each name needs its own")
    file.write_bytes(SITE + b"[wall]\ncache = 'x.duckdb'\n")  # a second [wall] table
    with pytest.raises(ConfigError, match=r"site\.toml: \(file\): not valid TOML: Cannot declare \('wall',\) twice \(at line \d+, "):
        load_config(file)


# -- sizes ------------------------------------------------------------------------------------
def _many_panels(n: int, screens: int = 1) -> str:
    head = 'version = 1\nname = "巨型"\n'
    screen = '[[screens]]\ngrid = { columns = 12, rows = 12 }\n' + "".join(
        f'[[screens.panels]]\nid="p{i}"\nkind="kpi"\n'
        f'cell={{col={i % 12},row={i // 12 % 12}}}\nmetric="aqi"\n' for i in range(n))
    return head + screen * screens


def test_ten_thousand_panels_are_refused_at_once_with_the_limit(tmp_path):
    file = tmp_path / "huge.toml"
    file.write_text(_many_panels(10_000), encoding="utf-8")
    assert file.stat().st_size < MAX_FILE_BYTES  # it is the count that is refused, not the size
    with pytest.raises(LayoutError) as err:
        load_layout(file)
    assert [str(p) for p in err.value.problems] == [
        f"{file}: screens[0].panels: 10,000 panels; a screen holds at most {MAX_PANELS} "
        f"(one per cell of a 12×12 grid)"]
    file.write_text(_many_panels(1, screens=5_000), encoding="utf-8")
    with pytest.raises(LayoutError, match="5,000 screens; a layout may have at most 64"):
        load_layout(file)


def test_a_file_of_many_problems_lists_fifty_and_counts_the_rest(tmp_path):
    file = tmp_path / "overlaps.toml"
    file.write_text(_many_panels(144).replace('kind = "kpi"', 'kind = "kpj"'), encoding="utf-8")
    with pytest.raises(LayoutError) as err:
        load_layout(file)
    assert len(err.value.problems) == 51
    assert str(err.value.problems[-1]) == f"{file}: (file): and 94 more problem(s) not listed"


def test_huge_files_are_refused_by_size_before_reading(tmp_path):
    for name in ("layout.toml", "site.toml"):
        file = tmp_path / name
        with open(file, "wb") as fh:
            fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB of nothing
    started = time.perf_counter()
    with pytest.raises(LayoutError, match=r"layout\.toml: \(file\): 209,715,200 bytes, larger "
                                          r"than a layout or config file may be"):
        load_layout(tmp_path / "layout.toml")
    with pytest.raises(ConfigError, match=r"site\.toml: \(file\): 209,715,200 bytes"):
        load_config(tmp_path / "site.toml")
    assert time.perf_counter() - started < 5  # nothing was read


# -- bytes and shapes -------------------------------------------------------------------------
def test_non_utf8_bytes_are_refused_with_offset_and_line(tmp_path):
    bad = OVERVIEW.replace("城市运行总览".encode(), "城市运行总览".encode("gbk"), 1)
    offset = OVERVIEW.index("城市运行总览".encode())
    line = OVERVIEW[:offset].count(b"\n") + 1
    (tmp_path / "overview.toml").write_bytes(bad)
    with pytest.raises(LayoutError, match=rf"overview\.toml: \(file\): not UTF-8 text \(bad byte "
                                          rf"0x[0-9a-f]{{2}} at offset {offset}, line {line}\)"):
        load_layout(tmp_path / "overview.toml")
    (tmp_path / "site.toml").write_bytes(SITE.replace(b"version = 1", b"version = 1 # \xff\xfe"))
    with pytest.raises(ConfigError, match=r"site\.toml: \(file\): not UTF-8 text \(bad byte 0xff "
                                          r"at offset 14, line 1\)"):
        load_config(tmp_path / "site.toml")


@pytest.mark.parametrize("nesting", ["a = " + "[" * 100_000 + "]" * 100_000,
                                     "a = " + "{ b = " * 5_000 + "1" + " }" * 5_000])
def test_deeply_nested_toml_is_refused_not_a_crash(tmp_path, nesting):
    (tmp_path / "deep.toml").write_text('version = 1\nname = "深"\n' + nesting + "\n")
    with pytest.raises(LayoutError, match=r"deep\.toml: \(file\): not valid TOML: arrays or tables "
                                          r"nested too deeply"):
        load_layout(tmp_path / "deep.toml")
    (tmp_path / "site.toml").write_text("version = 1\n[wall]\n" + nesting + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(tmp_path / "site.toml")
    done = subprocess.run([sys.executable, "-m", "cockpit.cli", "validate", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "deep.toml: (file): not valid TOML: arrays or tables nested too deeply" in done.stderr


def test_a_folder_where_a_file_should_be(tmp_path):
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    (folder / "safety.toml").unlink()
    (folder / "safety.toml").mkdir()
    good, errors = load_layouts(folder)
    assert [str(e) for e in errors] == [f"{folder / 'safety.toml'}: (file): expected a file, "
                                        f"found a folder"]
    assert len(good) == len(list(LAYOUTS.glob("*.toml"))) - 1
    with pytest.raises(ConfigError, match=r"site\.toml: \(file\): expected a file, found a folder"):
        (tmp_path / "site.toml").mkdir()
        load_config(tmp_path / "site.toml")
    site = tmp_path / "real.toml"
    site.write_bytes(SITE.replace(str(LAYOUTS).encode(), str(folder / "overview.toml").encode()))
    with pytest.raises(ConfigError, match=r"wall\.layouts_dir: folder .*overview\.toml does not exist"):
        load_config(site)


def test_the_demo_with_a_bad_config_exits_with_one_line_per_problem(tmp_path):
    site = tmp_path / "site.toml"
    site.write_bytes(SITE[: SITE.index(b"[control]") + 12])  # cut inside [control]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "cockpit.cli", "demo", "--config", str(site),
                           "--exit-after", "20"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cockpit demo: {site}: (file): not valid TOML" in done.stderr


# -- a running wall: Ctrl+R with a bad file ---------------------------------------------------
BAD_FILES = {
    "truncated": lambda f: f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2]),
    "not UTF-8": lambda f: f.write_bytes(f.read_bytes().replace("生态环保".encode(),
                                                                "生态环保".encode("gbk"))),
    "10k panels": lambda f: f.write_text(_many_panels(10_000), encoding="utf-8"),
    "folder": lambda f: (f.unlink(), f.mkdir()),
    "nested": lambda f: f.write_text("a = " + "[" * 50_000 + "]" * 50_000, encoding="utf-8"),
}


@pytest.fixture
def running_wall(qtbot, tmp_path, demo_store):
    """The wall's shell and pump as ``cockpit run`` wires them, with Ctrl+R reloading."""
    from PySide6.QtWidgets import QApplication

    from cockpit.shell.app import reload_layouts
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    config = replace(SiteConfig(), layouts_dir=folder)
    good, _ = load_layouts(folder)
    wall = WallShell(good, [s.geometry() for s in QApplication.screens()])
    pump = DataPump(demo_store, wall, clock=lambda: NOW)
    wall.reload_requested.connect(lambda: reload_layouts(wall, pump, config))
    wall.show()
    wall.switch_to(wall.layout_index("environment"))
    yield wall, pump, folder
    pump.stop()
    wall.close()


def _ctrl_r(qtbot, wall, pump):
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(pump.layouts_applied, timeout=20000) as applied:
        qtbot.keyClick(wall.windows[0], Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    return applied.args


def test_ctrl_r_with_bad_files_keeps_the_wall_and_names_the_file_then_takes_the_fix(qtbot, running_wall):
    wall, pump, folder = running_wall
    file = folder / "environment.toml"
    original = file.read_bytes()
    showing = [w.stack.currentWidget() for w in wall.windows]
    panels = {p.spec.id for p in wall.visible_panels()}
    for what, damage in BAD_FILES.items():
        damage(file)
        changed, errors = _ctrl_r(qtbot, wall, pump)
        assert changed == [], what
        assert len(errors) == 1 and str(file) in errors[0], what
        notice = wall.slots[wall.current].headers()[0].notice
        assert notice.startswith("布局文件有误，未载入：environment.toml（"), (what, notice)
        assert len(notice) < 100, notice  # fits the header's line
        assert wall.current_layout.id == "environment", what
        assert [w.stack.currentWidget() for w in wall.windows] == showing, what
        assert {p.spec.id for p in wall.visible_panels()} == panels, what
        if file.is_dir():
            file.rmdir()
        file.write_bytes(original)
    # fixed, with an edit: the next Ctrl+R takes it and clears the notice
    file.write_bytes(original.replace("生态环保".encode(), "生态环保（修订）".encode(), 1))
    changed, errors = _ctrl_r(qtbot, wall, pump)
    assert changed == ["environment"] and errors == []
    assert wall.current_layout.name == "生态环保（修订）"
    assert wall.slots[wall.current].headers()[0].notice == ""
