"""kill -9 during ingest, twenty times: the row count after reopening is always at a committed
batch boundary and never below the last count the child acknowledged after a commit."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from support.waiting import eventually

CHILD = Path(__file__).with_name("ingest_child.py")
BATCH = 5000  # about 0.5 MB of WAL a batch: a checkpoint (16 MB) every ~30 batches


def reopen_count(cache: Path) -> tuple[int, str | None]:
    """Open as the wall would (read-write: the WAL is replayed) and read every row."""
    con = duckdb.connect(str(cache))
    try:
        n, _ = con.execute("SELECT count(*), bit_xor(hash(o)) FROM observations o").fetchall()[0]
        cp = con.execute("SELECT checkpoint FROM feed_checkpoints WHERE feed = 'kill9'").fetchall()
        return n, cp[0][0] if cp else None
    finally:
        con.close()


def read_counts(stream, into: list[int]) -> None:
    for line in stream:
        into.append(int(line))


@pytest.mark.slow
def test_kill_9_during_ingest_twenty_times_loses_no_acknowledged_batch(tmp_path):
    cache = tmp_path / "wall.duckdb"
    rng = random.Random(7)
    last_seen = 0
    report = []
    for round_ in range(20):
        child = subprocess.Popen([sys.executable, str(CHILD), str(cache), str(BATCH)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        acked: list[int] = []
        reader = threading.Thread(target=read_counts, args=(child.stdout, acked), daemon=True)
        reader.start()
        # kill at a random moment after the child has started writing (a commit, a checkpoint
        # or nothing in flight): wait for its first acknowledgement, then a random while
        eventually(lambda acked=acked, child=child: acked or child.poll() is not None, 30, 0.01)
        assert acked, f"round {round_}: the child wrote nothing: {child.stderr.read()}"
        time.sleep(rng.uniform(0.0, 0.6))  # the random moment of the kill: the sleep is the test
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        reader.join(5)
        child.stderr.close()
        last_acked = acked[-1]
        n, checkpoint = reopen_count(cache)
        report.append((len(acked), last_acked, n))
        assert n % BATCH == 0, f"round {round_}: {n} rows is not at a batch boundary"
        assert n >= last_acked, f"round {round_}: {n} rows, but {last_acked} were acknowledged"
        assert n <= last_acked + BATCH  # at most the one batch committed but not yet printed
        assert checkpoint == str(n)  # rows and the feed's checkpoint went in together
        assert n >= last_seen
        last_seen = n
    print("rounds (batches acked, last acked, rows after reopen):", report)
