"""Real cache files for the fault tests, and real ways of damaging them (bytes written into
the file, as a failing disk or a careless copy would)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from support import DEMO_SNAPSHOT, NOW

#: DuckDB 2.0's layout: three 4 KiB headers, then 256 KiB blocks (``PRAGMA database_size``).
HEADER_BYTES = 3 * 4096


def build_cache(path: Path) -> int:
    """A cockpit cache holding the demo snapshot (about 98,000 observations, 5 MB), closed
    and checkpointed; returns its observation count."""
    from cockpit.data.replay import SnapshotReplay
    from cockpit.data.store import Store

    with Store(path) as store:
        SnapshotReplay(DEMO_SNAPSHOT).backfill(store, NOW)
        return store.reader().execute("SELECT count(*) FROM observations").fetchall()[0][0]


def copy_cache(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def data_block_offset(path: Path, table: str = "observations", column: str = "value") -> int:
    """The file offset of a block holding ``table.column``'s data (not metadata)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        (block_id, block_size), = con.execute(
            "SELECT s.block_id, d.block_size FROM pragma_storage_info(?) s, pragma_database_size() d "
            "WHERE s.column_name = ? AND s.persistent AND s.block_id >= 0 "
            "ORDER BY s.block_id LIMIT 1", [table, column]).fetchall()
    finally:
        con.close()
    return HEADER_BYTES + block_id * block_size


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


def column_segment_offset(path: Path, table: str, column: str) -> int:
    """The file offset of the first on-disk segment of ``table.column`` (past the block's
    8-byte checksum)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        (block_id, block_offset, block_size), = con.execute(
            "SELECT s.block_id, s.block_offset, d.block_size FROM pragma_storage_info(?) s, "
            "pragma_database_size() d WHERE s.column_name = ? AND s.persistent "
            "AND s.block_id >= 0 ORDER BY s.block_id, s.block_offset LIMIT 1",
            [table, column]).fetchall()
    finally:
        con.close()
    return HEADER_BYTES + block_id * block_size + 8 + block_offset


def swap_words(path: Path, offset: int) -> None:
    """Swap the two 8-byte words at ``offset``: DuckDB's block checksum (an XOR over the
    block's 8-byte words) does not change (issue 16, finding 9)."""
    with path.open("r+b") as fh:
        fh.seek(offset)
        a, b = fh.read(8), fh.read(8)
        assert a != b, "swapping two equal words changes nothing"
        fh.seek(offset)
        fh.write(b + a)
