"""The layout the wall remembers across restarts: one small state file per cache."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from support import ROOT

from cockpit.data import wallstate


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_each_cache_remembers_its_own_layout(tmp_path):
    a, b = tmp_path / "wall-a.duckdb", tmp_path / "wall-b.duckdb"
    assert wallstate.load_layout(a) is None
    wallstate.save_layout(a, "safety")
    wallstate.save_layout(b, "economy")
    wallstate.save_layout(a, "traffic")
    assert wallstate.load_layout(a) == "traffic" and wallstate.load_layout(b) == "economy"
    assert wallstate.state_file(a).parent == tmp_path / "state" / "weifang-cockpit"
    assert not list(wallstate.state_file(a).parent.glob("*.tmp"))  # written atomically


def test_a_damaged_state_file_means_the_first_layout(tmp_path, caplog):
    cache = tmp_path / "wall.duckdb"
    wallstate.save_layout(cache, "safety")
    wallstate.state_file(cache).write_text('{"layout": "saf', encoding="utf-8")  # cut short
    assert wallstate.load_layout(cache) is None
    assert str(wallstate.state_file(cache)) in caplog.text


def test_the_wall_resumes_on_the_remembered_layout_or_the_first(qtbot, tmp_path):
    from cockpit.model.layout import load_layouts
    from cockpit.shell.app import resume_layout
    from cockpit.shell.wall import WallShell

    layouts, _ = load_layouts(ROOT / "layouts")
    cache = tmp_path / "wall.duckdb"
    wallstate.save_layout(cache, "safety")
    shell = WallShell(layouts, [s.geometry() for s in QApplication.screens()], defer=True)
    try:
        resume_layout(shell, cache)
        assert shell.current_layout.id == "safety"
        assert shell.slots[shell.current].pages  # built, not a placeholder
    finally:
        shell.close()
    wallstate.save_layout(cache, "a-layout-since-removed")
    shell = WallShell(layouts, [s.geometry() for s in QApplication.screens()], defer=True)
    try:
        resume_layout(shell, cache)
        assert shell.current_layout.id == layouts[0].id
    finally:
        shell.close()
