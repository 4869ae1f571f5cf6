"""Node-level problems the wall must show on its status strip, whoever noticed them.

Feeds report their own state through ``feed_health`` in the store. Some problems cannot go
there: the disk is full (nothing can be written), the cache was damaged and set aside at start,
the web renderer died and was reloaded, the GUI thread stalled. Whoever notices one calls
:func:`report` (from any thread) and :func:`clear` once it is over; the wall reads
:func:`current` off its tick and shows them. Pure Python, no Qt, so feeds, the store and the
supervisor may use it.

A reporter names the state (its key) and the facts that go with it (``details``, e.g. the name
of a cache file set aside); it does not word it. The shell puts states into words for the
status strip (cockpit/shell/wording.py). A reporter whose words are its own (the read-only
notice, a GUI stall's seconds) may still pass ``text``, which the shell shows when it has no
wording for the key.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Incident:
    key: str        # stable id, e.g. "store.disk_full", "map.renderer"
    level: str      # one of LEVELS
    text: str       # the reporter's own words, if any ("": the shell words the key)
    since: datetime  # when it was first reported (kept while the same key is re-reported)
    details: tuple[tuple[str, str], ...] = ()  # facts for the wording, as (name, value), sorted

    def detail(self, name: str, default: str = "") -> str:
        return dict(self.details).get(name, default)


_lock = threading.Lock()
_incidents: dict[str, Incident] = {}
_generation = 0


def report(key: str, text: str = "", *, level: str = "error",
           details: Mapping[str, object] | None = None, now: datetime | None = None) -> None:
    """Raise (or update the details of) an incident; its first time is kept."""
    global _generation
    if level not in LEVELS:
        raise ValueError(f"incident level {level!r}: expected one of {', '.join(LEVELS)}")
    facts = tuple(sorted((str(k), str(v)) for k, v in (details or {}).items()))
    with _lock:
        old = _incidents.get(key)
        since = old.since if old is not None else (now or datetime.now(UTC))
        new = Incident(key, level, text, since, facts)
        if new != old:
            _incidents[key] = new
            _generation += 1


def clear(key: str) -> None:
    """The problem is over (no-op if it was never reported)."""
    global _generation
    with _lock:
        if _incidents.pop(key, None) is not None:
            _generation += 1


def current() -> tuple[int, list[Incident]]:
    """(generation, incidents, worst first then oldest first); the generation changes with
    every report or clear, so a reader can skip redrawing when nothing moved."""
    order = {level: i for i, level in enumerate(reversed(LEVELS))}
    with _lock:
        items = sorted(_incidents.values(), key=lambda i: (order[i.level], i.since))
        return _generation, items


def reset() -> None:
    """Forget everything (tests, and a wall restarting in the same process)."""
    global _generation
    with _lock:
        _incidents.clear()
        _generation += 1
