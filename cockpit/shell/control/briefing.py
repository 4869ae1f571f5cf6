"""A rehearsed briefing (简报) on the wall: its steps run one after another — a layout, a
district, a replayed span — moved on by PageDown / the clicker / the page, or by a step's own
hold time. A step counter on the first screen says where the presenter is. The carousel rests
while a briefing runs. The file is read and checked by :mod:`cockpit.model.briefing`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer

from cockpit.control.commands import CommandError
from cockpit.model.briefing import Brief, BriefingError, BriefStep, parse_briefing
from cockpit.model.files import parse_toml_checked
from cockpit.model.metrics import CITY_CODE

log = logging.getLogger(__name__)

NEXT_KEYS = (Qt.Key.Key_PageDown, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space)
PREV_KEYS = (Qt.Key.Key_PageUp, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace)


class BriefingController(QObject):
    def __init__(self, shell, *, replay=None, carousel=None, overlay=None) -> None:
        super().__init__()
        self.shell = shell
        self.replay = replay  # a ReplayController
        self.carousel = carousel  # a CarouselDriver, or None
        self.overlay = overlay
        self.brief: Brief | None = None
        self.position = 0
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.timeout.connect(lambda: self.step(+1))
        shell.key_filter = self._on_key  # the presenter's keys move the briefing, not the layouts

    # -- commands (GUI thread) ----------------------------------------------------------------
    def load_text(self, text: str, name: str) -> dict:
        """Load a briefing from its TOML text (a file sent over the control API) and show its
        first step; raises CommandError listing every problem."""
        def refuse(message: str) -> CommandError:
            return CommandError(f"{name}: {message}", "text")

        data = parse_toml_checked(text, refuse)
        try:
            brief = parse_briefing(data, name, [s.layout.id for s in self.shell.slots])
        except BriefingError as exc:
            raise CommandError("briefing not loaded:\n" + str(exc), "text") from None
        return self.load(brief)

    def load(self, brief: Brief) -> dict:
        self.brief = brief
        if self.carousel is not None:
            self.carousel.hold()
        log.info("briefing %r loaded: %d steps", brief.title, len(brief.steps))
        self.position = 0
        self._run(brief.steps[0])
        return self.describe()

    def step(self, delta: int) -> dict:
        self._need()
        target = self.position + delta
        if target >= len(self.brief.steps):
            return self.end()  # past the last step: the briefing is over
        if target < 0:
            return self.describe()
        self.position = target
        self._run(self.brief.steps[target])
        return self.describe()

    def goto(self, index: int) -> dict:
        """Step ``index`` (from 1, as the counter shows it)."""
        self._need()
        if not 1 <= index <= len(self.brief.steps):
            raise CommandError(f"step must be from 1 to {len(self.brief.steps)}", "step")
        self.position = index - 1
        self._run(self.brief.steps[self.position])
        return self.describe()

    def end(self) -> dict:
        self._hold.stop()
        if self.brief is not None:
            log.info("briefing %r ended", self.brief.title)
        self.brief = None
        if self.overlay is not None:
            self.overlay.set_brief(None)
        if self.replay is not None and not self.replay.timeline.live:
            self.replay.command("live", {})
        self._keep_warm(())
        if self.carousel is not None:
            self.carousel.release()  # which keeps its own next stop drawn
        return self.describe()

    def _keep_warm(self, layouts: tuple[str, ...]) -> None:
        self.shell.keep_warm = layouts
        self.shell.apply_warmth()

    def describe(self) -> dict | None:
        if self.brief is None:
            return None
        step = self.brief.steps[self.position]
        return {"title": self.brief.title, "step": self.position + 1,
                "steps": len(self.brief.steps), "note": step.note, "shows": step.to_json()}

    # -- running a step -----------------------------------------------------------------------
    def _run(self, step: BriefStep) -> None:
        self._hold.stop()
        shell = self.shell
        try:
            index = shell.layout_index(step.layout)
        except KeyError:  # checked at load; a reload may have dropped it since
            log.warning("briefing step %d: no layout %r any more", step.index + 1, step.layout)
            return
        if self.carousel is not None:
            self.carousel.switch_as_carousel(step.layout)
        else:
            shell.switch_to(index)
        shell.drill_requested.emit(step.district or CITY_CODE)
        # the steps either side stay drawn, so the clicker's next or previous only copies pixels
        steps = self.brief.steps
        near = [steps[i].layout for i in (step.index - 1, step.index + 1) if 0 <= i < len(steps)]
        self._keep_warm(tuple(dict.fromkeys(near)))
        if self.replay is not None:
            if step.replay is not None:
                start, end, speed = step.replay
                self.replay.command("start", {"from": start, "to": end, "speed": speed})
            elif not self.replay.timeline.live:
                self.replay.command("live", {})
        if step.hold is not None:
            self._hold.start(int(step.hold * 1000))
        if self.overlay is not None:
            note = f" · {step.note}" if step.note else ""
            self.overlay.set_brief(f"{self.brief.title}　第 {step.index + 1}/{len(self.brief.steps)} 步"
                                   f"{note}")
        log.info("briefing step %d/%d: %s", step.index + 1, len(self.brief.steps), step.label())

    def _on_key(self, event) -> bool:
        """The wall's key filter: True when the briefing took the key."""
        if self.brief is None or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False
        if event.key() in NEXT_KEYS:
            self.step(+1)
            return True
        if event.key() in PREV_KEYS:
            self.step(-1)
            return True
        return False

    def _need(self) -> None:
        if self.brief is None:
            raise CommandError("no briefing is running: load one first (cockpit brief run FILE)")
