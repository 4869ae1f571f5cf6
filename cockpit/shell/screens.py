"""Following the PC's screens while the wall runs: a display powered off and on, a cable
re-seated, a screen added to the desktop.

Each window of the wall belongs to the screen it started on (by the screen's name). When that
screen goes, the window waits hidden and the layouts are laid out again on the screens left,
as a wall started on them would be (two layout screens tiled on one, say); Qt would otherwise
move the window onto another screen, where it covers that screen's own window. When the screen
comes back — or a new one appears while a window waits, a cable moved to another port — the
window returns to it and the layouts are laid out on every screen again. No restart: the feeds,
the cache and the drill-downs carry on.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication, QScreen

log = logging.getLogger(__name__)


class ScreenFollower(QObject):
    def __init__(self, shell, screens: list[QScreen]) -> None:
        """``screens``: the screens the shell's windows started on, in the windows' order."""
        super().__init__(shell)
        self.shell = shell
        #: window i belongs on the screen of this name
        self.homes = [s.name() for s in screens]

    def connect(self, app: QGuiApplication) -> None:
        app.screenAdded.connect(self._on_app_screen_added)
        app.screenRemoved.connect(self._on_app_screen_removed)

    def _on_app_screen_added(self, screen: QScreen) -> None:
        log.info("screen %s added (%dx%d)", screen.name(), screen.size().width(),
                 screen.size().height())
        screens = QGuiApplication.screens()
        self.follow(screens if screen in screens else [*screens, screen])

    def _on_app_screen_removed(self, screen: QScreen) -> None:
        log.info("screen %s removed", screen.name())
        self.follow([s for s in QGuiApplication.screens() if s is not screen])

    def follow(self, screens: list[QScreen]) -> bool:
        """Put every window on its screen among ``screens`` (the ones there are), hide the
        others; returns whether the layouts were laid out again."""
        by_name = {s.name(): s for s in screens}
        new = [s for s in screens if s.name() not in self.homes]
        for i, home in enumerate(self.homes):
            if home not in by_name and new:  # a waiting window takes a screen it never had
                self.homes[i] = new.pop(0).name()
                log.info("window %d now belongs on screen %s", i + 1, self.homes[i])
        for s in new:
            log.info("screen %s is not used: every window of the wall has its screen", s.name())
        present = [i for i, home in enumerate(self.homes) if home in by_name]
        if not present:
            log.warning("no screen of the wall is left; the windows stay where they were")
            return False
        waiting = [f"{i + 1} ({home})" for i, home in enumerate(self.homes) if home not in by_name]
        relaid = self.shell.set_present(
            present, {i: by_name[self.homes[i]].geometry() for i in present},
            {i: by_name[self.homes[i]] for i in present})
        if relaid:
            log.info("layouts laid out again on %d screen(s)%s", len(present),
                     f"; window(s) {', '.join(waiting)} wait for their screen" if waiting else "")
        return relaid
