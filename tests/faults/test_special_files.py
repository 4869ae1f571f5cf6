"""Issue 16, finding 7: every file the cockpit reads is read bounded (at most limit + 1 bytes) and
only if it is a regular file. A FIFO, a socket, a device (``/dev/zero``, also through a
symlink) or a folder put where a layout, site config, theme, snapshot script or indicator CSV
should be is refused by name at once, without blocking and without reading it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
from support import DEMO_SNAPSHOT, ROOT

from cockpit.model import files
from cockpit.model.files import read_bytes_bounded, read_text_checked

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")


def _specials(folder):
    """name -> path of a FIFO (no writer), a listening socket, a symlink to /dev/zero."""
    folder.mkdir(exist_ok=True)
    fifo = folder / "fifo.toml"
    os.mkfifo(fifo)
    zero = folder / "zero.toml"
    zero.symlink_to("/dev/zero")
    sock_path = folder / "sock.toml"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.listen(1)
    return {"a named pipe (FIFO)": fifo, "a character device": zero, "socket": sock_path}, sock


def test_special_files_are_refused_by_kind_at_once(tmp_path):
    specials, sock = _specials(tmp_path)
    try:
        for kind, path in specials.items():
            started = time.monotonic()
            with pytest.raises(ValueError, match=re.escape(kind)) as caught:
                read_text_checked(path, ValueError)
            assert "refused unread" in str(caught.value)
            assert time.monotonic() - started < 1.0, kind
    finally:
        sock.close()


def test_reads_stop_at_the_limit_plus_one(tmp_path, monkeypatch):
    file = tmp_path / "a.toml"
    file.write_bytes(b"x" * 100)
    assert read_bytes_bounded(file, 100, ValueError) == b"x" * 100
    with pytest.raises(ValueError, match="larger than it may be"):
        read_bytes_bounded(file, 99, ValueError)
    # a file that grows after the size check: no more than limit + 1 bytes are read
    reads = []
    real_read = os.read
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result((0o100644, 0, 0, 1, 0, 0, 0,
                                                                       0, 0, 0)))
    monkeypatch.setattr(files.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(ValueError, match="grew while read"):
        read_bytes_bounded(file, 10, ValueError)
    assert sum(reads) <= 11


def test_snapshot_scripts_theme_and_indicator_csv_refuse_special_files(tmp_path):
    from cockpit.data.indicators_csv import IndicatorFileError, read_indicators
    from cockpit.data.snapshot import SnapshotError, snapshot_info
    from cockpit.model.theme import load_theme

    snap = tmp_path / "snap"
    shutil.copytree(DEMO_SNAPSHOT, snap)
    (snap / "load.sql").unlink()
    os.mkfifo(snap / "load.sql")
    with pytest.raises(SnapshotError, match=r"load\.sql: expected a regular file, found a named pipe"):
        snapshot_info(snap)
    (snap / "load.sql").unlink()
    (snap / "load.sql").symlink_to("/dev/zero")
    with pytest.raises(SnapshotError, match=r"load\.sql"):  # leads out of the folder
        snapshot_info(snap)
    for name in ("observations.parquet", "meta.parquet"):
        other = tmp_path / f"snap-{name}"
        shutil.copytree(DEMO_SNAPSHOT, other)
        (other / name).unlink()
        os.mkfifo(other / name)
        with pytest.raises(SnapshotError, match=name.replace(".", r"\.")):
            snapshot_info(other)
    os.mkfifo(tmp_path / "theme.toml")
    with pytest.raises(ValueError, match=r"theme\.toml: expected a regular file, found a named pipe"):
        load_theme(tmp_path / "theme.toml")
    os.mkfifo(tmp_path / "indicators.csv")
    with pytest.raises(IndicatorFileError, match=r"indicators\.csv:0: expected a regular file"):
        read_indicators(tmp_path / "indicators.csv")
    (tmp_path / "big.csv").symlink_to("/dev/zero")
    with pytest.raises(IndicatorFileError, match="character device"):
        read_indicators(tmp_path / "big.csv")


def _site(folder, layouts):
    return f"""version = 1
[wall]
layouts_dir = "{layouts}"
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{DEMO_SNAPSHOT}"
interval = "5s"
""".replace("\\", "/")


@pytest.mark.slow
def test_cockpit_validate_and_demo_name_a_fifo_and_dev_zero_in_the_layouts_folder(tmp_path):
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    specials, sock = _specials(layouts)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    try:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "cockpit.cli", "validate", str(layouts)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert time.monotonic() - started < 30
        assert done.returncode == 1 and "Traceback" not in done.stderr
        out = done.stdout + done.stderr
        for path in specials.values():
            assert f"{path}: (file): expected a regular file, found" in out, out
        site = tmp_path / "site.toml"
        site.write_text(_site(tmp_path, layouts), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "cockpit.cli", "demo", "--config", str(site),
                               "--exit-after", "3"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "first frame painted" in done.stdout + done.stderr
        for path in specials.values():
            assert f"{path}: (file): expected a regular file, found" in done.stderr
    finally:
        sock.close()
