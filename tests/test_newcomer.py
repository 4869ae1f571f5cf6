"""What a newcomer meets first: ``python -m cockpit``, a wall started where there is no display,
and the permissions of the files the cockpit writes for people (screenshots, exports)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cockpit.data.atomic import write_atomic

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env if env is not None else dict(os.environ))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_python_m_cockpit_is_the_cockpit_command():
    as_module = run("-m", "cockpit", "--help")
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout.startswith("usage: cockpit ")
    assert as_module.stdout == run("-m", "cockpit.cli", "--help").stdout
    bad = run("-m", "cockpit", "nosuch")
    assert bad.returncode == 2 and "invalid choice: 'nosuch'" in bad.stderr


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Qt needs no DISPLAY there")
@pytest.mark.parametrize("args", [("demo", "--exit-after", "30"),
                                  ("run", "--config", "site.toml", "--exit-after", "30"),
                                  ("demo", "--supervise", "--exit-after", "30")])
def test_a_wall_without_a_display_says_so_in_one_line(tmp_path, args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["COCKPIT_LOG_DIR"] = str(tmp_path / "logs")  # no user's log is touched if it went on
    started = time.monotonic()
    done = run("-m", "cockpit", *args, "--cache", str(tmp_path / "c.duckdb"), env=env, timeout=30)
    assert time.monotonic() - started < 15
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in lines[0] and "DISPLAY" in lines[0]
    assert lines[0].startswith(f"cockpit {args[0]}: ")
    assert "Traceback" not in done.stderr and "xcb" not in done.stderr
    assert not (tmp_path / "c.duckdb").exists() and not (tmp_path / "logs").exists()


def test_a_display_or_a_chosen_platform_is_enough():
    from cockpit.cli import no_display

    assert no_display("demo", {}, "linux") is not None
    assert no_display("demo", {"DISPLAY": ":0"}, "linux") is None
    assert no_display("run", {"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert no_display("demo", {"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert no_display("demo", {"QT_QPA_PLATFORM": ""}, "linux") is not None
    assert no_display("demo", {}, "win32") is None and no_display("demo", {}, "darwin") is None


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX modes")
def test_written_files_get_the_umask_s_mode_not_mkstemp_s(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    os.umask(0o022)
    try:
        write_atomic(tmp_path / "b.txt", b"x")
        assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o644
        (tmp_path / "b.txt").chmod(0o600)  # a file someone made private stays private
        write_atomic(tmp_path / "b.txt", b"y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o600
    assert (tmp_path / "b.txt").read_bytes() == b"y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no temporary left


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX modes")
def test_screenshots_are_readable_by_others_under_umask_022(tmp_path, umask_022):
    done = run("-m", "cockpit", "screenshot", "--layout", "overview", "--out", str(tmp_path),
               "--size", "1280x720", timeout=120)
    assert done.returncode == 0, done.stderr
    shots = sorted(tmp_path.glob("*.png"))
    assert shots
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in shots} == {oct(0o644)}


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX modes")
def test_an_exported_snapshot_is_readable_by_others_under_umask_022(tmp_path, umask_022):
    cache = str(tmp_path / "c.duckdb")
    imported = run("-m", "cockpit", "snapshot", "import", str(ROOT / "assets" / "demo" / "snapshot"),
                   "--cache", cache)
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "export"
    exported = run("-m", "cockpit", "snapshot", "export", "--out", str(out), "--cache", cache)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}
