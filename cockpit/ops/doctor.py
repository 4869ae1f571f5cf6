"""``cockpit doctor``: what support asks for first, in one screenful.

Versions (cockpit, Python, PySide6/Qt, DuckDB, the platform), the screens Qt sees (name,
geometry, device pixel ratio), whether a font can draw Chinese, the cache (path, size, and its
health: opened read-only in a child process with a timeout, so a damaged file or a stuck WAL
replay cannot take the doctor down), each feed's state from ``feed_health``, the log folder
and the last errors in the logs. Exit code 1 when something is wrong (no screen, no Chinese
font, a cache that cannot be opened, a failing feed); a cache held by a running wall is not
wrong: it says so, with the wall's PID.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path

from cockpit.data import cachecheck
from cockpit.panels.feed_health import read_feeds

PROBE_TIMEOUT_S = 20.0
ROOT = Path(__file__).resolve().parents[1]  # the installed cockpit package
LOG_FILES = ("cockpit.log", "ingest.log", "supervisor.log")
ERROR_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (ERROR|CRITICAL) ")


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n{title}")

    def line(self, label: str, text: str) -> None:
        print(f"  {label:<14} {text}")

    def problem(self, label: str, text: str) -> None:
        self.problems.append(f"{label}: {text}")
        print(f"  {label:<14} PROBLEM: {text}")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(r: Report, qt_version: str = "?") -> None:
    """Installed versions, read from the packages' metadata (importing Qt is the shell's part:
    the caller that may use Qt gives Qt's own version)."""
    r.section("versions")
    r.line("cockpit", f"{_version('weifang-cockpit')} ({ROOT})")
    r.line("Python", f"{platform.python_version()} ({sys.executable})")
    r.line("PySide6 / Qt", f"{_version('PySide6')} / {qt_version}")
    r.line("DuckDB", _version("duckdb"))
    r.line("platform", platform.platform())


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def feeds_from_running_wall(r: Report, config_path: Path | None) -> None:
    """The feeds as the running wall reports them through its control API (the cache itself
    cannot be opened while the wall holds it)."""
    from cockpit.control.client import ControlClient, ControlClientError

    if config_path is None:
        r.line("feeds", "not readable while the wall holds the cache; give --config (with its "
                        "[control] section) to ask the wall, or `cockpit control status`")
        return
    try:
        status = ControlClient.from_options(None, config_path).get("/api/status")
    except ControlClientError as exc:
        r.line("feeds", f"not readable while the wall holds the cache, and the wall's control "
                        f"API did not answer: {exc}")
        return
    r.line("source", f"the running wall's control API (layout {status.get('layout')}, "
                     f"up {status.get('uptime_s')} s)")
    for f in status.get("feeds", []):
        age = f"{f['age_s']} s ago" if f.get("age_s") is not None else "never"
        text = f"last success {age}"
        if f.get("last_error"):
            r.problem(f["feed"], f"{text}  {f['last_error']}")
        else:
            r.line(f["feed"], f"ok       {text}")


def cache_and_feeds(r: Report, path: Path, config_path: Path | None = None) -> None:
    r.section("cache")
    r.line("path", str(path))
    if not path.exists():
        r.line("state", "no cache file yet (the wall makes it on its first start)")
        return
    from cockpit.data.store import wal_path

    wal = wal_path(path)
    size = path.stat().st_size
    r.line("size", _mb(size) + (f" (+ WAL {_mb(wal.stat().st_size)})" if wal.exists() else ""))
    found = cachecheck.probe(path, PROBE_TIMEOUT_S, read_only=True)
    if found.state == "locked":
        pid = found.holder_pid
        r.line("health", f"in use by another cockpit (PID {pid if pid else '?'}): the wall is "
                         "running")
        r.section("feeds")
        feeds_from_running_wall(r, config_path)
        return
    if found.state != "ok":
        r.problem("health", f"cannot be opened ({found.state}): {found.detail}")
        return
    counts = ", ".join(f"{t} {found.rows[t]:,}" for t in
                       ("observations", "entities", "alerts", "indicators") if t in found.rows)
    r.line("health", f"opens read-only; schema v{found.schema_version}; {counts}; every "
                     f"block read in {found.seconds:.1f} s")
    try:
        feed_rows = read_feeds(path)
    except Exception as exc:  # noqa: BLE001 - the report goes on: say what failed
        r.problem("feeds", f"could not read feed_health: {str(exc).splitlines()[0]}")
        return
    r.section("feeds")
    if not feed_rows:
        r.line("feeds", "none has run yet")
    for f in feed_rows:
        success = (f"{datetime.fromisoformat(f['last_success']).astimezone():%Y-%m-%d %H:%M:%S}"
                   if f["last_success"] else "never")
        text = f"{f['state']:<8} {f['rows']:>9,} rows  last success {success}"
        if f["state"] == "failing":
            r.problem(f["feed"], f"{text}  {f['error'] or ''}".rstrip())
        else:
            r.line(f["feed"], text)


def last_errors(folder: Path, limit: int = 10, tail_bytes: int = 256 * 1024) -> list[str]:
    """The last ``limit`` ERROR/CRITICAL lines of the logs in ``folder``, oldest first."""
    found: list[str] = []
    for name in LOG_FILES:
        path = folder / name
        try:
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - tail_bytes))
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        found += [line for line in text.splitlines() if ERROR_LINE.match(line)]
    return sorted(found)[-limit:]


def logs(r: Report) -> None:
    from cockpit.ops.logs import log_dir

    folder = log_dir()
    r.section("logs")
    r.line("folder", str(folder) + ("" if folder.is_dir() else " (not made yet)"))
    errors = last_errors(folder)
    r.line("last errors", "none" if not errors else f"{len(errors)} (newest last):")
    for line in errors:
        print(f"    {line[:300]}")


def run_doctor(*, config_path: Path | None = None, cache: Path | None = None,
               qt_version: str = "?", screens: Callable[[Report], None] | None = None) -> int:
    """The report; ``screens`` adds what Qt sees (screens, fonts), given by the caller that may
    use Qt (the CLI passes :func:`cockpit.shell.doctor_qt.screens_and_fonts`)."""
    from cockpit.model.config import default_cache, load_config

    r = Report()
    print(f"cockpit doctor, {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}")
    config = load_config(config_path) if config_path else None
    path = cache or (config.cache if config else None) or default_cache("wall")
    if not (cache or config) and not path.exists() and default_cache("demo").exists():
        path = default_cache("demo")  # a PC that has only run the demo so far
    versions(r, qt_version)
    if screens is not None:
        screens(r)
    cache_and_feeds(r, Path(path), config_path)
    logs(r)
    print()
    if r.problems:
        print(f"{len(r.problems)} problem(s):")
        for p in r.problems:
            print(f"  - {p}")
        return 1
    print("no problems found")
    return 0

