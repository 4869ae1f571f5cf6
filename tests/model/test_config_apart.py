"""A wall's site config is validated in a child process (``load_config_apart``), so the wall
never imports pydantic or builds the config's models: the same config, the same problems."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import asdict

import pytest
from support import ROOT

from cockpit.model.config import ConfigError, load_config, load_config_apart

EVERY_KEY = ROOT / "tests" / "fixtures" / "config" / "every-key.toml"
SHARED = ROOT / "tests" / "fixtures" / "config" / "every-key-shared.toml"
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
TOKEN = "sample-env-token-0000001"


def same(a, b) -> None:
    assert a == b
    assert [asdict(f) for f in a.feeds] == [asdict(f) for f in b.feeds]  # options too


@pytest.mark.parametrize("path", [EVERY_KEY, SHARED, *EXAMPLES], ids=lambda p: p.name)
def test_the_child_gives_the_config_validating_here_gives(path, monkeypatch):
    monkeypatch.setenv("COCKPIT_SAMPLE_TABLET_TOKEN", TOKEN)
    same(load_config_apart(path), load_config(path))


def test_the_child_gives_the_same_problems(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(f'version = 1\n[wall]\nlayouts_dir = "{ROOT / "layouts"}"\n'
                    'layouts = ["overview", "nowhere"]\nwarm = -2\n[control]\nport = 1\n'
                    '[[feeds]]\nname = "a"\nkind = "rest"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as here:
        load_config(path)
    with pytest.raises(ConfigError) as apart:
        load_config_apart(path)
    assert apart.value.problems == here.value.problems
    assert len(apart.value.problems) >= 4
    not_toml = tmp_path / "bad.toml"
    not_toml.write_bytes(b"[wall\n\xff")
    with pytest.raises(ConfigError) as apart:
        load_config_apart(not_toml)
    assert str(apart.value).startswith(f"{not_toml}: ")


def test_the_wall_side_imports_no_pydantic():
    """The config and then its layouts, as the wall reads them (the bundled layouts are
    trusted: cockpit/model/layout_trust.py)."""
    code = ("import sys; from cockpit.model.config import load_config_apart; "
            "from cockpit.model.layout import load_layouts; "
            f"config = load_config_apart({str(ROOT / 'examples' / 'site-simulator.toml')!r}); "
            "layouts, errors = load_layouts(config.layouts_dir); assert layouts and not errors; "
            "print(len(config.feeds), sorted(m for m in sys.modules if m.startswith('pydantic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "5 []", out.stdout + out.stderr


def test_a_child_that_cannot_start_leaves_the_config_checked_here(monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    path = ROOT / "examples" / "site-simulator.toml"
    with caplog.at_level(logging.WARNING):
        config = load_config_apart(path)
    same(config, load_config(path))
    assert "could not be checked in a child process" in caplog.text
