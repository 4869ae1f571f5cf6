"""The wall: one window per physical screen, every layout built at start-up and kept warm.

Each ScreenWindow stacks one page per layout; a switch only changes the current page of every
window (no I/O, no widget construction). Keys: 1-9 jump to a layout, PageUp/PageDown (what a
presentation clicker sends) and the arrow keys step through them, A acknowledges the critical
alerts on show, Esc returns a screen drilled into a district to the whole city, F2 shows or hides
the control token's QR code, Ctrl+R reloads the layout files, Ctrl+Q quits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QStackedWidget, QVBoxLayout, QWidget

from cockpit.model.layout import Layout
from cockpit.model.screen import ScreenModel
from cockpit.model.wallplan import assign, tile_grid

# the pages, re-exported: the wall's callers import them from here
from cockpit.shell.page import (  # noqa: F401
    GRID_GAP,
    MIN_PANEL,
    ScreenPage,
    StandbyPage,
    build_panel,
    themed,
)
from widgets.base import PanelFrame
from widgets.status_strip import StatusStrip
from widgets.title_bar import HeaderBar

log = logging.getLogger(__name__)


def warm_indices(current: int, count: int, neighbours: int | None,
                 also: tuple[int, ...] = ()) -> set[int]:
    """The layouts whose panels keep their pictures drawn (a switch to them only copies
    pixels): every one when ``neighbours`` is None; else the one on show, the ``neighbours``
    before and after it (PageUp/PageDown and the clicker step through them, the carousel goes
    to the next) and ``also`` (what the carousel or a briefing says comes next). Pure."""
    if neighbours is None:
        return set(range(count))
    out = {current % count} if count else set()
    for k in range(1, min(neighbours, count) + 1):
        out.update({(current + k) % count, (current - k) % count})
    return out | {i for i in also if 0 <= i < count}


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim): dropped pictures
    are megabytes each, and glibc keeps what it once held; a no-op elsewhere."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class ScreenWindow(QWidget):
    """The window on one physical screen: one stacked page per layout."""

    key_pressed = Signal(QKeyEvent)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setWindowTitle(f"潍坊城市大脑 · 屏 {index + 1}")
        themed(self)
        self.stack = themed(QStackedWidget(self))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.stack)
        self.setCursor(Qt.CursorShape.BlankCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        self.key_pressed.emit(event)


@dataclass
class LayoutSlot:
    layout: Layout
    pages: list[ScreenPage]  # every page of this layout, on whichever window shows it
    containers: list[QWidget]  # per window: the widget stacked for this layout

    def panels(self) -> list[PanelFrame]:
        return [panel for page in self.pages for panel in page.panels.values()]

    def strips(self) -> list[StatusStrip]:
        return [page.strip for page in self.pages if page.strip is not None]

    def headers(self) -> list[HeaderBar]:
        out = [page.header for page in self.pages if page.header is not None]
        out += [c.header for c in self.containers if isinstance(c, StandbyPage)]
        return out


class WallShell(QObject):
    """Owns the windows and the layouts shown on them; switches all screens at once. The view
    state (what each screen is drilled into, so what each panel queries) is ``self.screen``."""

    layout_changed = Signal(str)
    district_focused = Signal(str)  # a screen drilled into a district (or back to the city)
    acknowledge_requested = Signal(list)
    #: the alerts holding the wall in an alarm takeover (set by the takeover, or by the lead's
    #: over the wall link): the A key acknowledges them even where no visible panel lists them
    held_alert_ids: tuple[str, ...] = ()
    #: first look at every key the wall gets (a running briefing takes PageDown and the
    #: clicker): returns True when it took the key, and the wall does nothing more with it
    key_filter = None
    key_action = Signal(str, str)  # (switch, layout id) or (ack, alert ids): what the audit records
    drill_requested = Signal(str)  # a district code (370705): the map side highlights it
    qr_requested = Signal()  # F2: show or hide the control token's QR code
    reload_requested = Signal()
    quit_requested = Signal()
    screens_changed = Signal()  # the layouts were laid out again on the screens there are

    def __init__(self, layouts: list[Layout], geometries: list[QRect], *,
                 mapping: list[int] | None = None, windowed: bool = False,
                 defer: bool = False, warm_neighbours: int | None = None) -> None:
        """``defer`` builds only the first layout now and the rest in ``build_remaining``
        (the app calls it right after the first frame, so the wall appears sooner).
        ``warm_neighbours`` (None: all) keeps the pictures of only the layout on show, that
        many on either side of it and :attr:`keep_warm` drawn; the other layouts' panels drop
        theirs (about 7 MiB a layout on two 1080p screens, issue 18), still take their data,
        and are drawn when shown or when a switch brings them near (see :func:`warm_indices`)."""
        super().__init__()
        self.warm_neighbours = warm_neighbours
        #: layout ids kept warm besides the neighbours (the carousel's next, a briefing's steps)
        self.keep_warm: tuple[str, ...] = ()
        if not layouts:
            raise ValueError("no layout to show")
        self.mapping = mapping
        self.windowed = windowed
        self.screen = ScreenModel(layouts)
        self.windows = [ScreenWindow(i) for i in range(len(geometries))]
        self.geometries = list(geometries)
        #: the windows whose screen is there (cockpit/shell/screens.py follows hotplug); the
        #: others are hidden, and the layouts are laid out on these alone
        self.present: list[int] = list(range(len(self.windows)))
        for window in self.windows:
            window.key_pressed.connect(self._on_window_key_pressed)
        # the heap handed back once the switches that cooled layouts have settled, off the
        # switch's own frame (malloc_trim takes 0.5–2 ms there)
        self._trim = QTimer(self)
        self._trim.setSingleShot(True)
        self._trim.setInterval(self.TRIM_AFTER_MS)
        self._trim.timeout.connect(release_freed_memory)
        self.slots: list[LayoutSlot] = []
        self._unbuilt: set[int] = set()
        for i, layout in enumerate(layouts):
            if defer and i > 0:
                self.slots.append(self._placeholder_slot(layout))
                self._unbuilt.add(i)
            else:
                self.slots.append(self._build_slot(layout))
        self.current = 0
        self._show_current()
        self.drill_requested.connect(self._on_shell_drill_requested)

    def _on_shell_drill_requested(self, code: str) -> None:
        """A drill from the control page, the CLI or an alarm takeover: every screen of the
        layout on show goes into the district, as a click on its map would."""
        self.screen.drill(self.current_layout.id, code)

    def _placeholder_slot(self, layout: Layout, at: int | None = None) -> LayoutSlot:
        containers = []
        for window in self.windows:
            holder = themed(QWidget())
            self._put(window, holder, at)
            containers.append(holder)
        return LayoutSlot(layout, [], containers)

    @staticmethod
    def _put(window: ScreenWindow, container: QWidget, at: int | None) -> None:
        """Stack ``container`` on ``window`` at the end, or in place of the one at ``at``."""
        if at is None:
            window.stack.addWidget(container)
            return
        old = window.stack.widget(at)
        window.stack.insertWidget(at, container)
        window.stack.removeWidget(old)
        old.deleteLater()

    def build_remaining(self) -> None:
        """Build the layouts ``defer`` left for later; after this every switch is warm."""
        for i in sorted(self._unbuilt):
            self.slots[i] = self._build_slot(self.slots[i].layout, at=i)
        self._unbuilt.clear()
        self.apply_warmth()

    # -- building -------------------------------------------------------------------------
    def _plan(self, layout: Layout) -> list[list[int] | None]:
        """Per window, the layout screens it shows (None: its screen is not there)."""
        mapping = None
        if self.mapping is not None:  # physical screens by window, as the present ones count
            mapping = [self.present.index(m) if m in self.present else -1 for m in self.mapping]
        plan = iter(assign(len(layout.screens), len(self.present), mapping))
        return [next(plan) if i in self.present else None for i in range(len(self.windows))]

    def _build_slot(self, layout: Layout, at: int | None = None) -> LayoutSlot:
        pages: list[ScreenPage] = []
        containers: list[QWidget] = []
        for window, screen_indices in zip(self.windows, self._plan(layout), strict=True):
            if screen_indices is None:  # a window parked until its screen is back
                container: QWidget = themed(QWidget())
            elif not screen_indices:
                container: QWidget = StandbyPage(layout)
            elif len(screen_indices) == 1:
                container = ScreenPage(layout, layout.screens[screen_indices[0]], model=self.screen)
                pages.append(container)
            else:  # more layout screens than PC screens: tile them
                container = themed(QWidget())
                grid = QGridLayout(container)
                grid.setContentsMargins(0, 0, 0, 0)
                grid.setSpacing(4)
                cols, _ = tile_grid(len(screen_indices))
                for k, si in enumerate(screen_indices):
                    page = ScreenPage(layout, layout.screens[si], model=self.screen)
                    grid.addWidget(page, k // cols, k % cols)
                    pages.append(page)
            self._put(window, container, at)
            containers.append(container)
        for page in pages:
            page.district_focused.connect(self.district_focused)
        return LayoutSlot(layout, pages, containers)

    def replace_layout(self, layout: Layout) -> None:
        """Swap in a new version of a layout (same id), or add a new one at the end."""
        self.screen.set_layout(layout)
        for i, slot in enumerate(self.slots):
            if slot.layout.id == layout.id:
                self.slots[i] = self._build_slot(layout, at=i)
                self.apply_warmth()
                if i == self.current:
                    self._show_current()
                return
        self.slots.append(self._build_slot(layout))
        self.apply_warmth()

    def show(self) -> None:
        for i, (window, geo) in enumerate(zip(self.windows, self.geometries, strict=True)):
            if i not in self.present:
                window.hide()
            elif self.windowed:
                window.resize(min(geo.width(), 1600), min(geo.height(), 900))
                window.move(geo.topLeft())
                window.show()
            else:
                window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
                window.setGeometry(geo)
                window.showFullScreen()

    def set_present(self, present: list[int], geometries: dict[int, QRect],
                    screens: dict | None = None) -> bool:
        """The screens there are changed (a display powered off or on, a cable re-seated):
        ``present`` are the windows whose screen is there, at ``geometries`` (on ``screens``,
        QScreens by window). The layouts are laid out again on those windows, as a wall started
        on them would be (the layout on show at once, the others right after), the other
        windows wait hidden. Returns whether the layouts were laid out again (not when only a
        screen moved)."""
        for i, geo in geometries.items():
            self.geometries[i] = geo
        for i, screen in (screens or {}).items():
            if screen is not None:
                self.windows[i].setScreen(screen)
        relaid = sorted(present) != self.present
        if relaid:
            self.present = sorted(present)
            notice = next((h.notice for h in self.slots[self.current].headers() if h.notice), "")
            for i, slot in enumerate(self.slots):
                if i == self.current:
                    self.slots[i] = self._build_slot(slot.layout, at=i)
                else:  # built right after this, so the change shows at once
                    self.slots[i] = self._placeholder_slot(slot.layout, at=i)
                    self._unbuilt.add(i)
            self._show_current()
            if notice:
                for header in self.slots[self.current].headers():
                    header.set_notice(notice)
            QTimer.singleShot(0, self.build_remaining)
        self.show()
        if relaid:
            self.screens_changed.emit()
        return relaid

    # -- switching ------------------------------------------------------------------------
    @property
    def current_layout(self) -> Layout:
        return self.slots[self.current].layout

    def layout_index(self, layout_id: str) -> int:
        for i, slot in enumerate(self.slots):
            if slot.layout.id == layout_id:
                return i
        raise KeyError(layout_id)

    def switch_to(self, index: int) -> bool:
        if not 0 <= index < len(self.slots) or index == self.current:
            return False
        if index in self._unbuilt:  # a key pressed within the first moment after start
            self.slots[index] = self._build_slot(self.slots[index].layout, at=index)
            self._unbuilt.discard(index)
        self.current = index
        self._show_current()
        self.layout_changed.emit(self.current_layout.id)
        return True

    def step(self, delta: int) -> bool:
        return self.switch_to((self.current + delta) % len(self.slots))

    def _show_current(self) -> None:
        for window in self.windows:
            window.stack.setCurrentIndex(self.current)
        self.apply_warmth()

    def warm(self) -> set[int]:
        """The indices of the layouts kept warm now (see :func:`warm_indices`)."""
        also = tuple(i for i, slot in enumerate(self.slots) if slot.layout.id in self.keep_warm)
        return warm_indices(self.current, len(self.slots), self.warm_neighbours, also)

    #: ms after a switch before the layouts it brought near are drawn ahead: the switch's own
    #: frame first, then one panel per turn of the render queue
    WARM_AHEAD_MS = 100
    #: ms after the last switch that cooled a layout before the freed memory is handed back
    TRIM_AFTER_MS = 1000

    def apply_warmth(self) -> None:
        """Cool the layouts out of :meth:`warm` now; warm the one on show now and the others
        in :meth:`warm` shortly after (their pictures drawn on the render queue, one panel per
        turn, after the switch's own paint)."""
        warm = self.warm()
        cooled = False
        for i, slot in enumerate(self.slots):
            if i in warm and i != self.current:
                continue
            for panel in slot.panels():
                if panel.set_cold(i not in warm) and i not in warm:
                    cooled = True
        if cooled:
            self._trim.start()
        if len(warm) > 1:
            QTimer.singleShot(self.WARM_AHEAD_MS, self, self._warm_ahead)

    def _warm_ahead(self) -> None:
        for i in self.warm():
            for panel in self.slots[i].panels():
                panel.set_cold(False)

    def visible_panels(self) -> list[PanelFrame]:
        return self.slots[self.current].panels()

    def close(self) -> None:
        for window in self.windows:
            window.close()
            window.deleteLater()

    # -- keys -----------------------------------------------------------------------------
    def _on_window_key_pressed(self, event: QKeyEvent) -> None:
        if self.key_filter is not None and self.key_filter(event):
            return
        key = event.key()
        mods = event.modifiers()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not mods & Qt.KeyboardModifier.ControlModifier:
            if self.switch_to(key - Qt.Key.Key_1):
                self.key_action.emit("switch", self.current_layout.id)
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space):
            if self.step(+1):
                self.key_action.emit("switch", self.current_layout.id)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace):
            if self.step(-1):
                self.key_action.emit("switch", self.current_layout.id)
        elif key == Qt.Key.Key_Escape:
            self.screen.drill(self.current_layout.id, None)
        elif key == Qt.Key.Key_A and not mods:
            ids = [*self.held_alert_ids,
                   *(a for p in self.visible_panels() for a in getattr(p.vm, "unacked_critical", ()))]
            if ids:
                self.acknowledge_requested.emit(sorted(set(ids)))
                self.key_action.emit("ack", ",".join(sorted(set(ids))))
        elif key == Qt.Key.Key_F2:
            self.qr_requested.emit()
        elif key == Qt.Key.Key_R and mods & Qt.KeyboardModifier.ControlModifier:
            self.reload_requested.emit()
        elif key == Qt.Key.Key_Q and mods & Qt.KeyboardModifier.ControlModifier:
            self.quit_requested.emit()
