"""Replay (回放) on the whole wall: the pump's timeline driven by commands (control API, CLI,
page), by the wall link (every node of a multi-PC wall follows the one that started it) and by
``Esc`` (back to live). While a replay runs every screen carries a banner with the replayed
time, and the alarm takeover does not fire (it judges live alerts; the replay shows old ones).
The timeline itself is Qt-free (:mod:`cockpit.model.timeline`).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt

from cockpit.control.commands import CommandError
from cockpit.model.timeline import TimelineError, banner

log = logging.getLogger(__name__)

OPS = ("start", "pause", "resume", "seek", "step", "speed", "live")


class ReplayController(QObject):
    def __init__(self, shell, pump, *, overlay=None, takeover=None, link=None) -> None:
        super().__init__()
        self.shell = shell
        self.pump = pump
        self.overlay = overlay
        self.takeover = takeover
        self.link = link
        self._takeover_paused = False
        pump.timeline_changed.connect(self._on_timeline_changed)
        for window in shell.windows:
            window.key_pressed.connect(self._on_key)
        if link is not None:
            link.replay_changed.connect(self.adopt)

    @property
    def timeline(self):
        return self.pump.timeline

    def command(self, op: str, args: dict) -> dict:
        """Run one replay command (GUI thread); raises CommandError saying what is wrong."""
        real = time.time()
        t = self.timeline
        try:
            if op == "start":
                t.replay(args.get("from"), args.get("to"), args.get("speed", 10), real)
            elif op == "pause":
                t.pause(real)
            elif op == "resume":
                t.resume(real)
            elif op == "seek":
                t.seek(args.get("at"), real)
            elif op == "step":
                t.step(args.get("seconds", 60), real)
            elif op == "speed":
                t.set_speed(args.get("speed"), real)
            elif op == "live":
                t.go_live()
            else:
                raise CommandError(f"replay op must be one of {', '.join(OPS)}", "op")
        except TimelineError as exc:
            raise CommandError(str(exc), _field(op)) from None
        log.info("replay %s: %s", op, t.describe(real))
        self._moved(publish=True)
        return {"replay": t.describe(time.time())}

    def adopt(self, record: dict) -> None:
        """Another node's replay record (the wall link): show the same moment."""
        try:
            self.timeline.adopt(record)
        except TimelineError as exc:
            log.warning("replay record from the wall link ignored: %s", exc)
            return
        self._moved(publish=False)

    def _moved(self, *, publish: bool) -> None:
        live = self.timeline.live
        if self.takeover is not None:
            if not live and not self._takeover_paused and self.takeover._polling:
                self.takeover.stop()  # the takeover judges live alerts, not replayed ones
                self._takeover_paused = True
            elif live and self._takeover_paused:
                self._takeover_paused = False
                self.takeover.start()
        if publish and self.link is not None:
            self.link.publish_replay(self.timeline.record())
        self.pump.timeline_moved()

    def _on_timeline_changed(self, moment) -> None:
        if moment is None and self._takeover_paused:  # the replay ran to its end
            self._moved(publish=True)
            return
        if self.overlay is not None:
            t = self.timeline
            self.overlay.set_replay(None if moment is None else banner(moment, t.speed, t.paused))

    def _on_key(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and not self.timeline.live:
            self.command("live", {})


def _field(op: str) -> str | None:
    return {"start": "from", "seek": "at", "step": "seconds", "speed": "speed"}.get(op)
