"""The wall has its allocators give big freed blocks back (cockpit.shell.app.tune_heap):
without it, glibc serves big blocks from a heap it keeps once the first one is freed, and
pyarrow keeps its batches' pages in a pool of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
libc.free(libc.malloc(8 << 20))  # a big block freed: glibc raises its threshold to 8 MiB
if sys.argv[1] == "tuned":
    from cockpit.shell.app import tune_heap
    assert tune_heap()
before = libc.mallinfo2().hblks
blocks = [libc.malloc(2 << 20) for _ in range(10)]  # ten pictures of 2 MiB
print(libc.mallinfo2().hblks - before)
"""


def mapped_blocks(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_big_blocks_get_mappings_of_their_own_that_go_back_when_freed():
    assert mapped_blocks("tuned") == 10
    assert mapped_blocks("as glibc starts") == 0  # from the heap glibc keeps: the premise


ARROW = """
import sys
from cockpit.shell.app import tune_heap
if sys.argv[1] == "before":
    import pyarrow
tune_heap()
import pyarrow as pa
pa.array(range(100_000))  # a batch
print(pa.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_arrow_batches_come_from_the_heap_unless_the_environment_says(when, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    out = subprocess.run([sys.executable, "-c", ARROW, when], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "system"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")  # an operator's choice stands
    out = subprocess.run([sys.executable, "-c", ARROW, when], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "mimalloc"
