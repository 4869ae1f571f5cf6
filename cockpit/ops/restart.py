"""The optional daily restart (``[wall] daily_restart = "04:30"``), as signage players offer.

At that local time the wall exits with :data:`RESTART_EXIT_CODE`; the supervisor
(``--supervise``) and systemd (``Restart=always``) start it again at once, on the layout it
showed. The schedule is pure (an injectable clock); :func:`cockpit.shell.timers.install_daily_restart`
hangs it on a Qt timer. The time of day is parsed with the config (:func:`cockpit.model.config.parse_time`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from cockpit.model.schema.values import parse_time  # noqa: F401 (re-exported: the [wall] key's parser)

log = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "try again now", never a crash


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
