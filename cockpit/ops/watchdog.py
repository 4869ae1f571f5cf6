"""The GUI thread's heartbeat and the watchdog thread that watches it.

A QTimer on the GUI thread calls :meth:`StallWatchdog.beat` every half second; a plain thread
checks how long ago the last beat was. When the GUI thread has not beaten for ``threshold``
seconds the watchdog logs, once per stall, the GUI thread's full stack (``sys._current_frames``:
what it is stuck in) and raises an incident for the wall's status strip; when beats resume it
logs how long the stall lasted and clears the incident.

While beats are arriving, the watchdog thread (never the GUI thread) also feeds whoever watches
the process from outside: it touches the supervisor's heartbeat file (``--supervise``, see
cockpit/ops/supervise.py) and sends ``WATCHDOG=1`` to systemd (cockpit/ops/sdnotify.py). A hung GUI
thread stops both, so the process is restarted. The watchdog itself is pure Python; only
:func:`install` touches Qt.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from cockpit.model import incidents
from cockpit.ops import sdnotify
from cockpit.ops.logs import env_number

log = logging.getLogger(__name__)

HEARTBEAT_ENV = "COCKPIT_HEARTBEAT_FILE"  # set by the supervisor for its child
STALL_ENV = "COCKPIT_STALL_SECONDS"  # the stall threshold, default DEFAULT_STALL_S
DEFAULT_STALL_S = 5.0
BEAT_MS = 500
INCIDENT = "gui.stall"


def stall_threshold() -> float:
    """``COCKPIT_STALL_SECONDS``, at least half a second; DEFAULT_STALL_S when unset or wrong."""
    return env_number(STALL_ENV, DEFAULT_STALL_S, floor=0.5, say=log.error)


class StallWatchdog:
    """Watches ``beat()`` calls made on the thread ``gui_ident`` from a daemon thread."""

    def __init__(self, *, threshold: float = DEFAULT_STALL_S, gui_ident: int | None = None,
                 check_every: float = 0.25, alive_within: float = 2.0,
                 feeders: list[Callable[[], None]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.gui_ident = gui_ident if gui_ident is not None else threading.main_thread().ident
        self.check_every = check_every
        self.alive_within = min(alive_within, threshold)
        self.feeders = list(feeders or [])
        self.clock = clock
        self.last_beat = clock()
        self.stalls = 0  # stalls seen so far
        self._stalled_since: float | None = None  # the last beat before the current stall
        self._shown_seconds = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Called on the GUI thread by its timer: it is alive."""
        self.last_beat = self.clock()

    # -- the watchdog thread ---------------------------------------------------------------
    def start(self) -> StallWatchdog:
        self._thread = threading.Thread(target=self._run, name="gui-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        incidents.clear(INCIDENT)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every):
            try:
                self.check()
            except Exception:  # the watchdog must outlive anything it calls
                log.exception("GUI watchdog check failed")

    def check(self) -> None:
        """One look at the heartbeat (the thread's loop; tests call it directly too)."""
        last = self.last_beat
        age = self.clock() - last
        if age > self.threshold:
            if self._stalled_since is None or last != self._stalled_since:
                self._stalled_since = last
                self._shown_seconds = int(age)
                self.stalls += 1
                log.error("GUI thread stalled: no heartbeat for %.1f s (threshold %.1f s); "
                          "it is at:\n%s", age, self.threshold, self.gui_stack())
                incidents.report(INCIDENT, level="warning", details={"seconds": int(age)})
            elif int(age) != self._shown_seconds:
                self._shown_seconds = int(age)
                incidents.report(INCIDENT, level="warning", details={"seconds": int(age)})
            return
        if self._stalled_since is not None:
            lasted = last - self._stalled_since
            log.warning("GUI thread recovered after a stall of %.1f s", lasted)
            self._stalled_since = None
            incidents.clear(INCIDENT)
        if age <= self.alive_within:
            for feed in self.feeders:
                try:
                    feed()
                except Exception as exc:  # an outside watcher gone must not stop the others
                    log.debug("heartbeat feeder %r failed: %s", feed, exc)

    def gui_stack(self) -> str:
        frame = sys._current_frames().get(self.gui_ident)
        if frame is None:
            return "  (the GUI thread is gone)"
        return "".join(traceback.format_stack(frame)).rstrip()


def touch_file(path: Path) -> Callable[[], None]:
    """A feeder that bumps ``path``'s modification time (the supervisor reads it)."""
    path = Path(path)

    def feed() -> None:
        try:
            os.utime(path)
        except FileNotFoundError:
            path.touch()

    return feed


def systemd_feeder(period: float) -> Callable[[], None]:
    """A feeder sending ``WATCHDOG=1`` at a third of systemd's watchdog period."""
    every = max(0.5, period / 3)
    sent = [0.0]

    def feed() -> None:
        now = time.monotonic()
        if now - sent[0] >= every:
            sent[0] = now
            sdnotify.notify("WATCHDOG=1")

    return feed


def outside_feeders() -> list[Callable[[], None]]:
    """The outside watchers this process has: the supervisor's file, systemd's watchdog."""
    feeders = []
    if path := os.environ.get(HEARTBEAT_ENV):
        feeders.append(touch_file(Path(path)))
    if (period := sdnotify.watchdog_seconds()) is not None:
        feeders.append(systemd_feeder(period))
    return feeders
