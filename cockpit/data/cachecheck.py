"""Checking the cache file before the wall trusts it, in a child process.

DuckDB 2.0 (measured here, see docs/cache.md): committed rows survive ``kill -9``
(the WAL is replayed); a flipped byte in a data block is noticed only when that block is read
(a ``count(*)`` still answers from metadata); a garbage ``.wal`` is ignored; a truncated file
or a damaged header cannot be opened; and known WAL-replay bugs can crash or hang the opening
process. So the first open happens in a child: it opens the file, reads the schema version and
reads every column of every table (``count(*), sum(hash(row))``: each block is read and its
checksum verified) and, when the last close was clean (no WAL left, same DuckDB version),
compares each table's sum with the content digest :meth:`Store.close` kept in ``meta``: a
mismatch (damage the block checksums miss, such as two swapped 8-byte words) is damage too. If the child fails, crashes or hangs, the file and its WAL are moved aside (kept
for inspection, named with the time) and the caller starts a new cache.

:func:`probe` is also what ``cockpit doctor`` calls (``read_only=True`` on a running wall's
cache reports it as held by that wall's PID). No Qt here.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cockpit.data.duck import holder_pid

log = logging.getLogger(__name__)

#: Seconds the child may take; a WAL replay that hangs longer counts as a damaged file.
DEFAULT_TIMEOUT = 60.0
#: The incident of a cache set aside as damaged and started anew (the key only: the shell words it)
REBUILT_INCIDENT = "store.rebuilt"

#: probe states: ok, missing (no file yet), locked (another process holds it), damaged
#: (DuckDB refused it or found a bad checksum), crashed (the child died of a signal), hung
#: (the child did not answer in time), foreign (a DuckDB file that is not a cockpit cache,
#: or a newer schema: never moved aside, the user must decide), denied (the file or its folder
#: may not be read or written by this user: a matter of permissions, not of damage).
STATES = ("ok", "missing", "locked", "damaged", "crashed", "hung", "foreign", "denied")


@dataclass(frozen=True)
class ProbeResult:
    path: Path
    state: str
    detail: str = ""
    holder_pid: int | None = None  # the process holding the lock, when DuckDB names it
    schema_version: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: the content digest kept at the last clean close: verified, mismatch, none (no clean
    #: close, or an older cockpit), wal (a WAL was left: no clean close), "duckdb X" (kept by
    #: another DuckDB version, whose hash() may differ); "" when the file was not read
    digest: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "missing")

    @property
    def unusable(self) -> bool:
        """The file cannot be used and nobody else holds it: set it aside and start anew."""
        return self.state in ("damaged", "crashed", "hung")


def is_lock_error(error_text: str) -> bool:
    return "could not set lock" in error_text.lower() or "conflicting lock" in error_text.lower()


def _child(path: str, read_only: bool) -> int:
    """Runs in the child: open, version, read every table; one JSON line on stdout."""
    import duckdb

    from cockpit.data.duck import (
        DIGEST_PREFIX,
        DIGEST_VERSION_KEY,
        digest_query,
        digest_value,
        wal_path,
    )

    out: dict[str, object] = {"rows": {}}
    # A WAL left beside the file means no clean close: its digest (if any) is not to be trusted
    # for what the replay brings back, so only the block checksums speak.
    had_wal = wal_path(Path(path)).exists()
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.Error as exc:
        print(json.dumps({"error": str(exc), "stage": "open"}))
        return 2
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        kept: dict[str, str] = {}
        if "meta" in tables:
            rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            out["schema_version"] = int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else None
            kept = dict(con.execute("SELECT key, value FROM meta WHERE key LIKE 'digest%'")
                        .fetchall())
        version = kept.pop(DIGEST_VERSION_KEY, None)
        kept = {k[len(DIGEST_PREFIX):]: v for k, v in kept.items() if k.startswith(DIGEST_PREFIX)}
        if not kept:
            out["digest"] = "none"  # a crash, an older cockpit, a read-only wall's copy
        elif had_wal:
            out["digest"] = "wal"
        elif version != duckdb.__version__:
            out["digest"] = f"duckdb {version}"  # hash() may differ: the checksums only
        else:
            out["digest"] = "verified"
        wrong = []
        for table in tables:
            n, total = con.execute(digest_query(table)).fetchall()[0]
            out["rows"][table] = int(n)
            if out["digest"] == "verified" and table in kept \
                    and kept[table] != digest_value(int(n), total):
                wrong.append(table)
        if out["digest"] == "verified":
            wrong += sorted(set(kept) - set(tables))  # a table that went missing
        out["tables"] = tables
        if wrong:
            out["digest"] = "mismatch"
            print(json.dumps({"error": f"content digest mismatch in {', '.join(wrong)}: its rows "
                              f"changed since the last clean close (the block checksums passed)",
                              "stage": "digest", **out}))
            return 3
    except duckdb.Error as exc:
        print(json.dumps({"error": str(exc), "stage": "read", **out}))
        return 3
    finally:
        con.close()
    print(json.dumps(out))
    return 0


def probe(path: str | Path, timeout: float = DEFAULT_TIMEOUT, *,
          read_only: bool = False) -> ProbeResult:
    """Open ``path`` in a child process and read all of it; never raises for a bad file.

    ``read_only=False`` (the wall's start) lets the child replay and checkpoint the WAL, as the
    wall's own open would do next; ``read_only=True`` (doctor) changes nothing on disk."""
    path = Path(path)
    started = time.perf_counter()
    if not path.exists():
        return ProbeResult(path, "missing", "no cache file yet")
    cmd = [sys.executable, "-m", "cockpit.data.cachecheck", str(path)] + (["--read-only"] if read_only
                                                                   else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return ProbeResult(path, "hung", f"opening it did not finish within {timeout:g} s",
                           seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        answer = None
    if proc.returncode < 0 or answer is None:
        sig = -proc.returncode if proc.returncode < 0 else None
        name = signal.Signals(sig).name if sig else f"exit code {proc.returncode}"
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        return ProbeResult(path, "crashed", f"opening it killed the process ({name}) {tail[0]}"
                           .strip(), seconds=seconds)
    error = answer.get("error")
    version = answer.get("schema_version")
    rows = answer.get("rows") or {}
    if error:
        first = error.strip().splitlines()[0]
        if is_lock_error(error):
            return ProbeResult(path, "locked", first, holder_pid(error), seconds=seconds)
        if "permission denied" in error.lower() or "read-only file system" in error.lower():
            return ProbeResult(path, "denied", first, seconds=seconds)
        return ProbeResult(path, "damaged", first, None, version, rows, seconds,
                           answer.get("digest") or "")
    from cockpit.data.store import SCHEMA_VERSION

    tables = answer.get("tables") or []
    if tables and version is None:
        return ProbeResult(path, "foreign", f"not a cockpit cache (tables {', '.join(tables[:5])})",
                           rows=rows, seconds=seconds)
    if version is not None and version > SCHEMA_VERSION:
        return ProbeResult(path, "foreign", f"schema version {version}, newer than this cockpit "
                           f"({SCHEMA_VERSION})", schema_version=version, rows=rows, seconds=seconds)
    return ProbeResult(path, "ok", "", None, version, rows, seconds, answer.get("digest") or "")


def set_aside(path: Path, now: datetime | None = None) -> Path:
    """Move the cache and its WAL aside as ``NAME.corrupt-YYYYMMDDTHHMMSS`` (and ``….wal``, so
    DuckDB opening the kept file replays its WAL as it would have). Returns the new path."""
    from cockpit.data.store import wal_path

    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists() or wal_path(target).exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    wal = wal_path(path)
    os.replace(path, target)
    if wal.exists():
        os.replace(wal, wal_path(target))
    return target


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(_child(args[0], "--read-only" in args[1:]))
