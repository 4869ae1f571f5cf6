"""Files the cockpit writes and someone reads later are written whole or not at all: on a real
full disk (a small tmpfs mounted for the test) the old file stays as it was, with no temporary
file left beside it, and the command says why."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, diskfull

from cockpit.data.atomic import write_atomic

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _can_mount() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0


needs_mount = pytest.mark.skipif(not _can_mount(),
                                 reason="needs root to mount a small tmpfs as a disk to fill")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 4 MB filesystem, to be filled up (ENOSPC from the kernel, nothing mocked)."""
    with diskfull.small_disk(tmp_path / "disk", "4m") as mounted:
        assert mounted, "mounting a 4 MB tmpfs failed"
        yield tmp_path / "disk"


def fill(disk: Path) -> None:
    """Use up every free byte of ``disk``."""
    diskfull.Filler(disk, mounted=True).fill()


@needs_mount
def test_a_full_disk_leaves_the_old_file_whole_and_no_temporary_behind(small_disk):
    target = small_disk / "settings.json"
    write_atomic(target, '{"layout": "overview"}')
    fill(small_disk)
    with pytest.raises(OSError) as err:
        write_atomic(target, '{"layout": "safety", "padding": "' + "x" * 200_000 + '"}')
    assert err.value.errno == errno.ENOSPC
    assert target.read_text() == '{"layout": "overview"}'
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin", "settings.json"]


def test_a_write_interrupted_by_the_process_dying_leaves_the_old_file(tmp_path):
    """A writer killed mid-write (here: its file-size limit hit, SIGXFSZ, as a kill would)."""
    target = tmp_path / "thumb.png"
    target.write_bytes(PNG_MAGIC + b"old")
    code = (f"import resource, sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
            "from cockpit.data.atomic import write_atomic\n"
            f"write_atomic({str(target)!r}, b'new' * 100_000)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    assert done.returncode != 0  # killed by SIGXFSZ (or failed with EFBIG)
    assert target.read_bytes() == PNG_MAGIC + b"old"


@needs_mount
def test_a_screenshot_onto_a_full_disk_keeps_the_previous_pngs_and_says_why(small_disk):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, "-m", "cockpit.cli", "screenshot", "--layout", "safety", "--out",
            str(small_disk), "--size", "960x540"]
    first = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    png = small_disk / "safety-1.png"
    old = png.read_bytes()
    assert old.startswith(PNG_MAGIC)
    fill(small_disk)
    again = subprocess.run(args[:-1] + ["1280x720"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert f"cockpit screenshot: could not write {png}: No space left on device" in again.stderr
    assert png.read_bytes() == old
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin", "safety-1.png"]
