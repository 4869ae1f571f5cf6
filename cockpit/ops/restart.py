"""The optional daily restart (``[wall] daily_restart = "04:30"``), as signage players offer.

At that local time the wall exits with :data:`RESTART_EXIT_CODE`; the supervisor
(``--supervise``) and systemd (``Restart=always``) start it again at once, on the layout it
showed. The schedule is pure (an injectable clock); :func:`install` hangs it on a Qt timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

log = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "try again now", never a crash


def parse_time(value: object) -> time | None:
    """``"04:30"`` or ``"04:30:15"`` as a time of day; None when it is not one."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m, s = (int(p) for p in parts + ["00"] * (3 - len(parts)))
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def next_restart(now: datetime, at: time) -> datetime:
    """The first moment at ``at`` strictly after ``now`` (naive local times)."""
    candidate = datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + timedelta(days=1)


class DailyRestart:
    """Says when the daily restart is due; ``clock`` gives the local time (naive)."""

    def __init__(self, at: time, clock: Callable[[], datetime] = datetime.now) -> None:
        self.at = at
        self.clock = clock
        self.due_at = next_restart(clock(), at)

    def due(self) -> bool:
        return self.clock() >= self.due_at


def install(app, at: time, clock: Callable[[], datetime] = datetime.now) -> DailyRestart:
    """Check once a second; when due, log it and end the event loop with the restart code."""
    from PySide6.QtCore import QTimer

    schedule = DailyRestart(at, clock)
    log.info("daily restart at %s (next %s)", at.isoformat(), schedule.due_at.isoformat(" "))

    def check() -> None:
        if schedule.due():
            timer.stop()
            log.warning("daily restart: %s reached, exiting with code %d to be restarted",
                        at.isoformat(), RESTART_EXIT_CODE)
            app.exit(RESTART_EXIT_CODE)

    timer = QTimer(app)
    timer.setInterval(1000)
    timer.timeout.connect(check)
    timer.start()
    schedule.timer = timer
    return schedule
