"""The Qt timers of the operations side: the GUI heartbeat the stall watchdog watches, and the
daily restart's check. The logic is Qt-free in :mod:`cockpit.ops.watchdog` and
:mod:`cockpit.ops.restart`; this hangs it on the GUI thread's event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time

from PySide6.QtCore import QTimer

from cockpit.ops.restart import RESTART_EXIT_CODE, DailyRestart
from cockpit.ops.watchdog import BEAT_MS, StallWatchdog, outside_feeders, stall_threshold

log = logging.getLogger("cockpit.ops.restart")


def install_watchdog(app, *, threshold: float | None = None) -> StallWatchdog:
    """Start the GUI heartbeat on ``app``'s thread and the watchdog thread watching it."""
    dog = StallWatchdog(threshold=threshold if threshold is not None else stall_threshold(),
                        gui_ident=threading.get_ident(), feeders=outside_feeders())
    timer = QTimer(app)
    timer.setInterval(BEAT_MS)
    timer.timeout.connect(dog.beat)
    timer.start()
    dog.timer = timer
    return dog.start()


def install_daily_restart(app, at: time, clock: Callable[[], datetime] = datetime.now) -> DailyRestart:
    """Check once a second; when due, log it and end the event loop with the restart code."""
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
