"""The carousel's thin Qt driver: a timer asks the pure :class:`Carousel` what to show.

Switches the driver makes itself are the carousel's; any other switch of the shell (a key, the
control page, the CLI, another node of the wall) counts as manual and pauses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from cockpit.control.carousel import Carousel

log = logging.getLogger(__name__)


class CarouselDriver(QObject):
    state_changed = Signal(str)  # stopped / running / paused / held

    def __init__(self, shell, carousel: Carousel, *, clock: Callable[[], float] = time.monotonic,
                 poll_ms: int = 200) -> None:
        super().__init__()
        self.shell = shell
        self.carousel = carousel
        self.clock = clock
        self._own_switch = False
        self._last_state = carousel.state
        shell.layout_changed.connect(self._on_shell_layout_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def start(self) -> None:
        self._show(self.carousel.start(self.clock()))
        self._report()

    def stop(self) -> None:
        self.carousel.stop()
        self._report()

    def hold(self) -> None:
        self.carousel.hold()
        self._report()

    def release(self) -> None:
        self._show(self.carousel.release(self.clock()))
        self._report()

    def adopt(self, record: dict | None, current: str | None, shown_at: float | None,
              *, autostart: bool) -> None:
        """Take the carousel over from another lead without a visible jump: running or not as
        its retained ``record`` says (``autostart`` when there is none), on the stop the wall
        shows now, due when that stop's dwell ends counted from ``shown_at`` (the wall state's
        wall-clock time). Nothing is switched here."""
        c = self.carousel
        c.stop()
        c.held = False
        running = record["running"] if record is not None else autostart
        if not running or not c.stops:
            self._report()
            return
        layouts = [s.layout for s in c.stops]
        if record is None and current not in layouts:
            self.start()  # nothing to continue: the playlist from where it stands
            return
        c.running = True
        position = record.get("position") if record is not None else None
        if not (isinstance(position, int) and 0 <= position < len(c.stops)):
            position = None
        if current in layouts and (position is None or layouts[position] != current):
            position = layouts.index(current)
        c.position = position or 0
        now = self.clock()
        if (record or {}).get("state") == "paused" or current not in layouts:
            c.paused_until = now + c.idle_resume  # switched by hand: paused, as it was
        else:
            left = c.stops[c.position].dwell
            if shown_at is not None:
                left = min(left, max(0.0, shown_at + left - time.time()))
            c.due = now + left
        self._report()

    def abdicate(self) -> None:
        """Another node leads now: stop without switching anything."""
        self.carousel.stop()
        self.carousel.held = False
        self._report()

    def record(self) -> dict:
        c = self.carousel
        return {"running": c.running, "state": c.state, "position": c.position}

    def shutdown(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        self._show(self.carousel.tick(self.clock()))
        self._report()

    def switch_as_carousel(self, layout_id: str) -> None:
        """Switch without pausing the carousel (its own moves, and the takeover's)."""
        self._show(layout_id)

    def _show(self, layout_id: str | None) -> None:
        if layout_id is None:
            return
        try:
            index = self.shell.layout_index(layout_id)
        except KeyError:
            log.warning("carousel: no layout %r on this wall, skipped", layout_id)
            return
        self._own_switch = True
        try:
            self.shell.switch_to(index)
        finally:
            self._own_switch = False

    def _on_shell_layout_changed(self, layout_id: str) -> None:
        if not self._own_switch:
            self.carousel.manual_switch(self.clock())
            self._report()

    def _report(self) -> None:
        self._keep_next_warm()
        state = self.carousel.state
        if state != self._last_state:
            self._last_state = state
            log.info("carousel %s", state)
            self.state_changed.emit(state)

    def _keep_next_warm(self) -> None:
        """The carousel's next layout stays drawn, so its switch only copies pixels."""
        upcoming = self.carousel.upcoming()
        keep = (upcoming,) if upcoming is not None else ()
        if getattr(self.shell, "keep_warm", keep) != keep:
            self.shell.keep_warm = keep
            apply = getattr(self.shell, "apply_warmth", None)
            if apply is not None:
                apply()
