"""One screen of a layout on the wall: its page of panels (or, on a screen the layout does not
use, the standby page), drawn in the theme and laid out to the shape of the window it lands on
(a variant for a strip, a message where the screen is too small). The windows and switching
are :mod:`cockpit.shell.wall`."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget
from shiboken6 import isValid

from cockpit.model.layout import Arrangement, Layout, ScreenSpec
from cockpit.model.metrics import CITY_CODE
from cockpit.model.numbers import screen_convention
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.screen import FocusChanged, ScreenModel
from cockpit.model.theme import theme
from widgets.base import PanelFrame, make_font, qcolor
from widgets.status_strip import STRIP_HEIGHT, StatusStrip
from widgets.title_bar import HeaderBar, StandbyFace

#: Space round and between panels, px.
GRID_GAP = 12
#: The smallest a panel is drawn (its title, figure and badge need it; PanelFrame's minimum):
#: where a panel would be smaller, the page says it is too small instead of letting panels
#: overlap.
MIN_PANEL = (120, 80)


def build_panel(spec) -> PanelFrame:
    return PANEL_KINDS.get(spec.kind).widget_class()(spec)


def themed(widget: QWidget) -> QWidget:
    """Paint ``widget``'s own background in the theme's: the gutters between panels, the margins
    round a grid and the seams between tiled screens would otherwise show Qt's default window
    grey (#efefef), a bright frame round every panel on a dark wall. A palette, not a style
    sheet: a sheet would cascade into every panel and child widget below."""
    bg = qcolor(theme().colors["background"])
    pal = widget.palette()
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
        pal.setColor(role, bg)
    widget.setPalette(pal)
    widget.setAutoFillBackground(True)
    return widget


class ScreenPage(QWidget):
    """One screen of a layout: the header bar (first screen only) over the grid of panels,
    and (first screen only) the status strip under it.

    A map panel's click on a district drills the whole screen into it, through the wall's
    :class:`ScreenModel` (a page built alone keeps a model of its own). The page observes the
    model: on a change of its screen's focus the map highlights the district and the other
    panels follow (see ScreenModel.panel_focus); ``district_focused`` tells the wall, whose
    pump then re-runs the queries with the model's specs."""

    district_focused = Signal(str)  # a district code, or the city code

    def __init__(self, layout: Layout, screen: ScreenSpec, parent: QWidget | None = None,
                 model: ScreenModel | None = None) -> None:
        super().__init__(parent)
        themed(self)
        self.layout_def = layout
        self.screen = screen
        self.model = model if model is not None else ScreenModel([layout])
        self.panels: dict[str, PanelFrame] = {}
        self.header: HeaderBar | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        if screen.index == 0:
            self.header = HeaderBar(layout.name, screen.title, self)
            box.addWidget(self.header)
        else:
            self.header = None
        # a page may be given less room than its panels need (tiled, a small screen): it
        # never lets them overlap, it says so instead (see _fit)
        self.setMinimumSize(1, 1)
        self.grid_host = grid_host = themed(QWidget(self))
        grid_host.setMinimumSize(1, 1)
        self.grid = QGridLayout(grid_host)
        self.grid.setContentsMargins(GRID_GAP, GRID_GAP, GRID_GAP, GRID_GAP)
        self.grid.setSpacing(GRID_GAP)
        for spec in screen.panels:
            panel = build_panel(spec)
            panel.setParent(grid_host)
            self.panels[spec.id] = panel
            if hasattr(panel, "district_selected"):
                panel.district_selected.connect(self.focus_district)
        self.arrangement: Arrangement | None = None
        self._arrange(screen.arrangement(16 / 9))
        box.addWidget(grid_host, 1)
        self.too_small = QLabel(self)  # in the grid's place when its panels would be unreadable
        self.too_small.setWordWrap(True)
        self.too_small.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.too_small.setStyleSheet(f"color: {theme().colors['stale']}; padding: 12px;")
        self.too_small.hide()
        box.addWidget(self.too_small, 1)
        convention = screen_convention(screen.panels)  # one colour rule for the screen's changes
        for panel in self.panels.values():
            panel.set_change_convention(convention)
        # the status strip: every feed, the panels' freshness, the node's incidents
        self.strip: StatusStrip | None = StatusStrip(self) if screen.index == 0 else None
        if self.strip is not None:
            box.addWidget(self.strip)
        unsubscribe = self.model.subscribe(self._on_model_focus_changed)
        self.destroyed.connect(lambda *_: unsubscribe())
        self._apply_focus(self.focus)

    @property
    def focus(self) -> str | None:
        """The district this screen is drilled into (None: the whole city), as the model has it."""
        return self.model.focus(self.layout_def.id, self.screen.index)

    def focus_district(self, code: str | None) -> None:
        """Drill the screen into ``code`` (None or the city code: back to the whole city)."""
        self.model.drill(self.layout_def.id, code, self.screen.index)

    def _on_model_focus_changed(self, event: FocusChanged) -> None:
        if (event.layout_id, event.screen) != (self.layout_def.id, self.screen.index):
            return
        if not isValid(self):  # a page of a replaced layout, not yet collected
            return
        self._apply_focus(event.district)
        self.district_focused.emit(event.district or CITY_CODE)

    def _apply_focus(self, code: str | None) -> None:
        for panel in self.panels.values():
            if hasattr(panel, "select_district"):
                panel.select_district(code)
            else:
                panel.set_focus_district(self.model.panel_focus(panel.spec))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.height() > 0:
            self._arrange(self.screen.arrangement(self.width() / self.height()))
        scale = max(0.5, min(self.width() / 1920, self.height() / 1080))
        for panel in self.panels.values():
            panel.set_screen_scale(scale)
        bars = 0
        if self.header is not None:
            height = max(56, int(self.height() * theme().sizes["header_height"] / 1080))
            self.header.setFixedHeight(height)
            bars += height
        if self.strip is not None:
            height = max(STRIP_HEIGHT, int(self.height() * STRIP_HEIGHT / 1080))
            self.strip.setFixedHeight(height)
            bars += height
        self._fit(self.width(), self.height() - bars)

    def _arrange(self, arrangement: Arrangement) -> None:
        """Put the panels on the grid ``arrangement`` (the screen's own, or a variant for a
        wider screen: a strip of three 1080p screens gets three 16:9 columns of panels, not
        one 1080p grid stretched three times). Moves the panels; builds nothing."""
        if arrangement == self.arrangement:
            return
        grid = self.grid
        old = self.arrangement
        for panel in self.panels.values():
            grid.removeWidget(panel)
        if old is not None:
            for col in range(old.columns):
                grid.setColumnStretch(col, 0)
            for row in range(old.rows):
                grid.setRowStretch(row, 0)
        for col in range(arrangement.columns):
            grid.setColumnStretch(col, 1)
        for row in range(arrangement.rows):
            grid.setRowStretch(row, 1)
        for pid, panel in self.panels.items():
            c = arrangement.cells[pid]
            grid.addWidget(panel, c.row, c.col, c.rowspan, c.colspan)
        self.arrangement = arrangement

    def smallest_panel(self, width: int, height: int) -> tuple[float, float]:
        """The width of the narrowest panel and the height of the lowest when the grid has
        ``width`` x ``height`` (a panel spanning cells gets their gaps too)."""
        arr = self.arrangement
        cell_w = (width - GRID_GAP * (arr.columns + 1)) / arr.columns
        cell_h = (height - GRID_GAP * (arr.rows + 1)) / arr.rows
        cells = arr.cells.values()
        return (min(c.colspan * cell_w + (c.colspan - 1) * GRID_GAP for c in cells),
                min(c.rowspan * cell_h + (c.rowspan - 1) * GRID_GAP for c in cells))

    def _fit(self, width: int, height: int) -> None:
        """Show the grid, or, where a panel would be smaller than it can be drawn, a message
        saying so: panels never overlap and nothing is cut unreadably."""
        panel_w, panel_h = self.smallest_panel(width, height)
        small = panel_w < MIN_PANEL[0] or panel_h < MIN_PANEL[1]
        if small:
            name = self.layout_def.name + (f" · {self.screen.title}" if self.screen.title else "")
            self.too_small.setText(
                f"屏幕太小，无法清晰显示「{name}」：每个面板需至少 {MIN_PANEL[0]}×{MIN_PANEL[1]} "
                f"像素，现最小 {max(0, int(panel_w))}×{max(0, int(panel_h))}。"
                f"请减少本机拼接显示的屏数，或换用更大的屏幕。")
            self.too_small.setFont(make_font(max(theme().sizes["body_min"],
                                                 min(28, int(width / 30)))))
        if small != self.grid_host.isHidden():
            self.grid_host.setVisible(not small)
            self.too_small.setVisible(small)


class StandbyPage(QWidget):
    """A physical screen the current layout does not use, never a blank: the header bar at its
    usual height over a clock and a line saying the screen waits, both sized to fit the
    screen (a stretched header cut the clock off on small screens)."""

    def __init__(self, layout: Layout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        themed(self)
        self.setMinimumSize(1, 1)
        self.header = HeaderBar(layout.name, f"本布局共 {len(layout.screens)} 屏", self)
        self.face = StandbyFace(self.header, f"本屏待用 · {layout.name}共 {len(layout.screens)} 屏",
                                self)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.header)
        box.addWidget(self.face, 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.header.setFixedHeight(max(56, int(self.height() * theme().sizes["header_height"]
                                               / 1080)))
