"""What the wall remembers across restarts: the layout it showed.

One small JSON file per cache in the user state folder (``wall-<hash of the cache path>.json``),
written atomically off the GUI thread whenever the layout changes, read once at start. A
restart (a crash under ``--supervise``, systemd, the daily restart) so comes back on the layout
the room was looking at. A missing, unreadable or stale file just means the first layout. No Qt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from platformdirs import user_state_path

from cockpit.data.atomic import write_atomic

log = logging.getLogger(__name__)
APP = "weifang-cockpit"


def state_dir() -> Path:
    return user_state_path(APP, appauthor=False)


def state_file(cache: Path) -> Path:
    key = hashlib.sha1(os.path.abspath(cache).encode("utf-8")).hexdigest()[:12]
    return state_dir() / f"wall-{key}.json"


def load_layout(cache: Path) -> str | None:
    """The layout id last shown by the wall on ``cache``, or None."""
    path = state_file(cache)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("wall state %s unreadable (%s); starting on the first layout", path, exc)
        return None
    layout = data.get("layout") if isinstance(data, dict) else None
    return layout if isinstance(layout, str) else None


def save_layout(cache: Path, layout_id: str) -> None:
    path = state_file(cache)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"cache": os.path.abspath(cache), "layout": layout_id},
                                      ensure_ascii=False))
    except OSError as exc:
        log.warning("could not remember layout %s in %s: %s", layout_id, path, exc)
