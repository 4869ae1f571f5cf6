"""``timeseries``: several metrics over time on one time axis (pyqtgraph)."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import QGraphicsItem, QWidget

from cockpit.model.numbers import format_value
from cockpit.panels.viewmodels import SeriesVM
from widgets.base import SITE_ZONE, PanelFrame, make_font, qcolor

SERIES_COLORS = ("accent", "accent_2", "accent_3", "accent_4")


def nice_step(span: float) -> float:
    """The 1-2-5 step nearest above ``span`` (axis ranges snap to multiples of it)."""
    exponent = math.floor(math.log10(span)) if span > 0 else 0
    for m in (1, 2, 5, 10):
        if m * 10 ** exponent >= span:
            return m * 10 ** exponent
    return 10 ** (exponent + 1)


class SiteTimeAxis(pg.DateAxisItem):
    """Time ticks in the site's zone and in Chinese: 08:00, and the date (11月28日) at midnight."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph override)
        out = []
        for v in values:
            local = datetime.fromtimestamp(v, SITE_ZONE)
            if spacing >= 86400 or (local.hour == 0 and local.minute == 0):
                out.append(f"{local.month}月{local.day}日")
            else:
                out.append(local.strftime("%H:%M"))
        return out


class TimeseriesPanel(PanelFrame):
    vm: SeriesVM | None

    def __init__(self, spec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        c = self.theme.colors
        offset = -SITE_ZONE.utcoffset(datetime.now()).total_seconds()
        self._axis = SiteTimeAxis(orientation="bottom", utcOffset=offset)
        # The plot is a window that is never put on screen: Qt lays it out and keeps it current
        # as if visible, and the panel renders it into its own cached picture.
        self.plot = pg.PlotWidget(background=qcolor(c["card"]), axisItems={"bottom": self._axis})
        self.plot.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.destroyed.connect(self.plot.deleteLater)
        self.plot.setMenuEnabled(False)
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the wall (switching)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.show()
        self.plot.viewport().setUpdatesEnabled(False)  # it never paints itself, only into the panel
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=True, alpha=0.25)
        self._legend = item.addLegend(offset=(8, 4), labelTextColor=qcolor(c["text"]),
                                      brush=qcolor(c["card"], 0.7))
        self._curves: list[pg.PlotDataItem] = []
        for i, code in enumerate(spec["metrics"]):
            color = qcolor(c[SERIES_COLORS[i % len(SERIES_COLORS)]])
            curve = item.plot([], [], pen=pg.mkPen(color, width=3), name=code)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._curves.append(curve)
        item.getViewBox().disableAutoRange()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setTextPen(qcolor(c["text_dim"]))
            axis.setPen(qcolor(c["grid"]))
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._apply_fonts()

    def _apply_fonts(self) -> None:
        size = self.px("small")
        if size == getattr(self, "_font_px", None):
            return
        self._font_px = size
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setStyle(tickFont=make_font(size))
        for i, curve in enumerate(self._curves):
            color = qcolor(self.theme.colors[SERIES_COLORS[i % len(SERIES_COLORS)]])
            curve.setPen(pg.mkPen(color, width=max(2.0, 3 * self.scale)))
        for _sample, label in self._legend.items:
            label.setText(label.text, size=f"{size}px", color=self.theme.colors["text"])
        self._size_axes()

    def _size_axes(self) -> None:
        """Give the axes their room up front. pyqtgraph grows an axis to fit its labels only
        after a paint has measured them, and this plot paints once per change, into the
        panel's picture: without this the first picture would lose its time labels."""
        fm = QFontMetrics(make_font(self.px("small")))
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setHeight(int(fm.height() * 1.9))
        widest = "0000"
        if self.vm is not None:
            peaks = [max(abs(v) for v in s.values) for s in self.vm.series if s.values]
            if peaks:
                widest = f"{max(peaks):,.0f}".replace(",", "") + "0"
        item.getAxis("left").setWidth(fm.horizontalAdvance(widest) + 14)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.on_scale_changed()

    def on_scale_changed(self) -> None:
        self.plot.resize(self.content_rect().size())
        self._apply_fonts()

    def on_view_model(self, vm: SeriesVM) -> None:
        self._size_axes()
        self._set_ranges(vm)
        for curve, series in zip(self._curves, vm.series, strict=False):
            curve.setData(np.asarray(series.times, dtype=float), np.asarray(series.values, dtype=float))
            last = format_value(series.values[-1], series.decimals) if series.values else ("—", "")
            unit = f" {series.unit}" if series.unit else ""
            label = self._legend.getLabel(curve)
            text = f"{series.name} {last[0]}{last[1]}{unit}"
            if label is not None and label.text != text:  # a new text re-lays out the legend
                label.setText(text, size=f"{self.px('small')}px", color=self.theme.colors["text"])

    def _set_ranges(self, vm: SeriesVM) -> None:
        """Axes that move only when they must: the time window steps a bucket at a time and
        the value axis snaps to round numbers. A new point every tick then redraws the curve
        but not the axes (cached pictures), which are most of a plot's drawing cost."""
        times = [t for s in vm.series for t in s.times]
        values = [v for s in vm.series for v in s.values if v == v]  # NaN never equals itself
        if not times or not values:
            return
        bucket = float(self.spec["bucket_minutes"] * 60)
        x_max = (max(times) // bucket + 1) * bucket
        x_range = (x_max - self.spec["hours"] * 3600, x_max)
        lo, hi = min(values), max(values)
        step = nice_step((hi - lo) / 4 if hi > lo else abs(hi) / 4 or 1.0)
        y_range = ((lo // step) * step, (hi // step + 1) * step)
        view = self.plot.getPlotItem().getViewBox()
        if x_range != getattr(self, "_x_range", None):
            self._x_range = x_range
            view.setXRange(*x_range, padding=0)
        if y_range != getattr(self, "_y_range", None):
            self._y_range = y_range
            view.setYRange(*y_range, padding=0.02)

    def on_freshness_changed(self) -> None:
        # the badge takes room from the content: the plot follows the content's rectangle
        if self.plot.size() != self.content_rect().size():
            self.plot.resize(self.content_rect().size())

    def shown(self) -> list[dict[str, object]]:
        """The lines as drawn: legend text and number of points of each."""
        out = []
        for curve in self._curves:
            x, y = curve.getData()
            label = self._legend.getLabel(curve)
            out.append({"label": label.text if label is not None else "",
                        "points": 0 if x is None else len(x),
                        "last": None if y is None or len(y) == 0 else float(y[-1])})
        return out

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        """The plot is a hidden child rendered into the panel's picture, so the panel caches it
        like any other and a layout switch only copies pixels."""
        if self.plot.size() != rect.size():
            self.plot.resize(rect.size())
        # The view paints only here, into the panel's picture: its updates stay off otherwise,
        # so data changes do not also paint the never-shown window.
        viewport = self.plot.viewport()
        viewport.setUpdatesEnabled(True)
        try:
            QWidget.render(self.plot, p, rect.topLeft())
        finally:
            viewport.setUpdatesEnabled(False)
