"""The ``map`` panel kind: the district map in a live QWebEngineView.

A web view cannot be drawn into the panel's cached picture, so it lives as a visible child over
the content rectangle; the panel paints only the card, title and freshness badge around it. New
view-models carry the page's layer payload, already encoded off the GUI thread, and are pushed
into the page (never a reload). Stale data dims the page; a click on a district selects it (a
second click, or Esc on the wall, returns to the whole city) and is announced through
``district_selected`` so the wall can filter the screen's other panels.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QRect, Signal
from PySide6.QtGui import QPainter

from cockpit.model.metrics import CITY_CODE, DISTRICTS
from widgets.base import PanelFrame


class MapPanel(PanelFrame):
    district_selected = Signal(str)  # a district code, or the city code when back to the city

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.selected: str | None = None
        self._view = None

    @property
    def view(self):
        """The web view, made on first use (the first data, a screenshot): Chromium's start
        then comes after the wall's first frame, not before it."""
        if self._view is None:
            from widgets.map_view import MapView  # noqa: PLC0415 (QtWebEngine only where a map is shown)

            self._view = MapView(self)
            self._view.district_clicked.connect(self._on_view_district_clicked)
            self._view.renderer_recovered.connect(self._on_view_renderer_recovered)
            self._view.setZoomFactor(self.screen_scale)
            self._place_view()
            self._view.show()
        return self._view

    # -- data in ---------------------------------------------------------------------------
    def on_view_model(self, vm) -> None:
        self.view.push(vm.payload)
        self.on_freshness_changed()

    def on_freshness_changed(self) -> None:
        """Old data dims the page (the card's veil cannot reach over a live web view)."""
        stale = self.stale
        if stale != getattr(self, "_page_stale", False):
            self._page_stale = stale
            self.view.run(f"cockpit.setStale({'true' if stale else 'false'})")
        self._place_view()

    def _on_view_renderer_recovered(self) -> None:
        """A reloaded page starts plain: give it back its dimming and its selected district
        (its data the view put back itself)."""
        if getattr(self, "_page_stale", False):
            self.view.run("cockpit.setStale(true)")
        if self.selected:
            self.view.run(f"cockpit.select({json.dumps(self.selected)})")

    # -- drill-down ------------------------------------------------------------------------
    def select_district(self, code: str | None) -> None:
        """Highlight ``code`` (None or the city code: the whole city) without announcing it."""
        code = code if code in DISTRICTS else None
        if code == self.selected:
            return
        self.selected = code
        self.view.run(f"cockpit.select({json.dumps(code)})")
        self.invalidate()

    def _on_view_district_clicked(self, code: str) -> None:
        if code not in DISTRICTS or not self.spec.get("drilldown", True):
            return
        new = None if code == self.selected else code
        self.select_district(new)
        self.district_selected.emit(new or CITY_CODE)

    def display_title(self) -> str:
        if self.selected:
            return f"{self.spec.title}（{DISTRICTS[self.selected]}）"
        return self.spec.title

    # -- geometry and painting -------------------------------------------------------------
    def _place_view(self) -> None:
        rect = self.content_rect()
        if self._view is not None and self._view.geometry() != rect:
            self._view.setGeometry(rect)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._place_view()

    def set_screen_scale(self, scale: float) -> None:
        super().set_screen_scale(scale)
        if self._view is not None:  # the page's labels, markers and legend grow with the screen
            self._view.setZoomFactor(self.screen_scale)
        self._place_view()

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        """The web view covers the content; nothing to draw under it."""
