"""A really full disk for the cache: a small tmpfs mounted for the test (we run as root, as CI
does), filled by a file until the kernel answers ENOSPC. Where mounting is not permitted the
same story runs with the file-size limit (RLIMIT_FSIZE: the kernel answers EFBIG) set on the
process that writes, so the test never silently skips."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` on ``folder``; yields False (and a plain folder) if not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


class Filler:
    """Takes every free byte of a mounted small disk, or (no mount) caps the writer's file size."""

    def __init__(self, folder: Path, mounted: bool, pid: int | None = None) -> None:
        self.path = folder / "filler.bin"
        self.mounted = mounted
        self.pid = pid or os.getpid()

    def fill(self) -> None:
        if not self.mounted:
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
            return
        chunk = 1 << 20
        with self.path.open("wb", buffering=0) as fh:
            while chunk:
                try:
                    fh.write(b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    chunk //= 2
        assert os.statvfs(self.path.parent).f_bavail == 0

    def free(self) -> None:
        if not self.mounted:
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            return
        self.path.unlink()
