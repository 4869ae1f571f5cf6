"""Opening the cache and building the feeds a site config declares: what the wall and the
headless ``cockpit ingest`` share. No Qt, so ``cockpit ingest`` runs without loading it
(the shell re-exports these names)."""

from __future__ import annotations

import logging
from pathlib import Path

from cockpit.data.store import Store, StoreError, wal_path
from cockpit.model import incidents
from cockpit.model.config import SiteConfig

log = logging.getLogger(__name__)


class CacheLocked(StoreError):
    """The cache is held by another process (``pid`` when DuckDB's lock error names it)."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


def open_store(path: Path, *, fresh: bool = False, read_only: bool = False,
               probe_timeout: float | None = None) -> Store:
    """Open the cache after a child process has checked it (:mod:`cockpit.data.cachecheck`).

    A cache another wall holds is refused with that wall's PID. A cache that cannot be opened
    (damaged, or its opening crashed or hung the child) is moved aside, kept for inspection,
    and a new one started: the feeds' backfill (the demo: its snapshot) fills it again; the
    wall says so through :mod:`cockpit.model.incidents` and the log says where the old file went.
    ``fresh`` starts it empty (the demo replays its snapshot every start); ``read_only`` opens
    it for showing only (several read-only walls may share a file no writer holds)."""
    from cockpit.data.cachecheck import DEFAULT_TIMEOUT, REBUILT_INCIDENT, probe, set_aside

    result = probe(path, probe_timeout or DEFAULT_TIMEOUT, read_only=read_only)
    if result.state == "locked":
        raise CacheLocked(already_running(path, result.holder_pid, result.detail),
                          result.holder_pid)
    if result.unusable:
        if read_only:
            raise StoreError(f"{path}: the cache cannot be opened ({result.detail}); a read-only "
                             f"wall does not repair it: start the wall without --read-only")
        try:
            kept = set_aside(path)
        except OSError as exc:
            raise StoreError(f"{path}: the cache cannot be opened ({result.detail}) and could "
                             f"not be moved aside either ({exc})") from None
        log.error("cache %s could not be opened (%s: %s); kept as %s, starting a new cache "
                  "that the feeds fill again", path, result.state, result.detail, kept)
        incidents.report(REBUILT_INCIDENT, level="warning", details={"kept": kept.name})
    elif fresh and path.exists() and not read_only:
        for p in (path, wal_path(path)):
            p.unlink(missing_ok=True)
    if read_only and not path.exists():
        raise StoreError(f"{path}: no cache file to show read-only (run the wall once without "
                         f"--read-only, or give --cache)")
    return Store(path, read_only=read_only)


def already_running(path: Path, pid: int | None, detail: str) -> str:
    """The message for a cache another process holds: "already running (PID n)"."""
    who = f"already running (PID {pid})" if pid else f"already running ({detail})"
    return f"{path} is in use by another cockpit: {who}"


def make_feeds(config: SiteConfig) -> list:
    """The feeds of a site config (:func:`cockpit.data.sources.build` each)."""
    from cockpit.data import sources

    return [sources.build(spec) for spec in config.feeds]
