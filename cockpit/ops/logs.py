"""Logging: stderr plus a rotating file in the user's log folder, with secrets redacted.

The wall (``cockpit demo`` / ``run``) logs to ``cockpit.log``, the headless ingest to
``ingest.log`` (it may run beside a wall, and a rotating file is not safely shared between
processes), the supervisor to ``supervisor.log``, in :func:`log_dir` (platformdirs' user log folder, e.g.
``~/.local/state/weifang-cockpit/log`` on Linux, ``%LOCALAPPDATA%\\weifang-cockpit\\Logs`` on
Windows; ``COCKPIT_LOG_DIR`` overrides it). A file rotates at ``COCKPIT_LOG_MAX_MB`` (10 MB)
and ``COCKPIT_LOG_BACKUPS`` (5) old files are kept. Every line, on stderr and in the file,
passes the feeds' redaction helper (query values, URL user info, bearer/basic credentials).
No Qt.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from platformdirs import user_log_path

from feeds.errors import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEFAULT_MAX_MB = 10.0
DEFAULT_BACKUPS = 5


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, its traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_dir() -> Path:
    if override := os.environ.get("COCKPIT_LOG_DIR"):
        return Path(override)
    return user_log_path("weifang-cockpit", appauthor=False)


def env_number(name: str, default: float, kind=float, *, floor: float | None = None,
               say=None) -> float:
    """The number in the environment variable ``name`` (made with ``kind``), at least ``floor``
    when given; ``default`` when it is unset, not a number or not above zero. What was wrong is
    said through ``say(message)``: stderr by default, as logging may not be set up yet."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not number > 0:
        message = f"{name}={value!r} is not a number above zero; using {default:g}"
        (say or (lambda m: print(f"cockpit: {m}", file=sys.stderr)))(message)
        return default
    return number if floor is None else max(floor, number)


def setup(verbose: bool = False, *, file_name: str | None = None) -> Path | None:
    """Log to stderr, and to ``file_name`` in the log folder when given; the file's path, or
    None when there is no file (not asked for, or the folder cannot be written: said on
    stderr, the command still runs)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = RedactingFormatter(FORMAT)
    for handler in list(root.handlers):
        if getattr(handler, "cockpit_owned", False):
            root.removeHandler(handler)
            handler.close()
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(formatter)
    err.cockpit_owned = True
    root.addHandler(err)
    if file_name is None:
        return None
    path = log_dir() / file_name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=int(env_number("COCKPIT_LOG_MAX_MB", DEFAULT_MAX_MB) * 1024 * 1024),
            backupCount=env_number("COCKPIT_LOG_BACKUPS", DEFAULT_BACKUPS, int), encoding="utf-8")
    except OSError as exc:
        print(f"cockpit: cannot write the log file {path} ({exc}); logging to stderr only",
              file=sys.stderr)
        return None
    handler.setFormatter(formatter)
    handler.cockpit_owned = True
    root.addHandler(handler)
    return path
