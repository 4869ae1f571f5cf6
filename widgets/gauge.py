"""``gauge``: a ring of a rate against its target, coloured by the panel's thresholds."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen

from cockpit.model.numbers import LEVEL_COLORS
from cockpit.panels.viewmodels import GaugeVM
from widgets.base import PanelFrame, fit_font, make_font, qcolor

START_DEG = 225  # the ring runs clockwise from bottom left (225°) to bottom right (-45°)
SPAN_DEG = 270


class GaugePanel(PanelFrame):
    vm: GaugeVM | None

    def shown(self) -> dict[str, object]:
        """What the gauge says: the figure, its unit, the ring's fill, colour role, comparison."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"value": None, "badge": self.badge}
        digits, unit = vm.style.parts(vm.value, vm.default_decimals)
        level = vm.style.level(vm.percent)  # thresholds read the ring: the rate or completion
        target = None
        if vm.target is not None:
            target = "目标 " + vm.style.text(vm.target, vm.default_decimals)
            if vm.target_percent == 100.0 and vm.percent is not None:  # a count against target
                target = f"完成 {vm.percent:.1f}% · {target}"
        return {"value": digits, "unit": unit, "fill": vm.percent, "level": level,
                "color": self.theme.colors[LEVEL_COLORS[level]] if level else self.theme.colors["accent"],
                "target": target, "compare": vm.style.comparison(vm.value, vm.previous),
                "name": vm.name, "badge": self.badge}

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        shown = self.shown()
        c = self.theme.colors
        lines = [t for t in (shown["target"], shown["compare"]) if t]
        line_h = int(self.px("small") * 1.4)
        ring_box = rect.adjusted(0, 0, 0, -line_h * len(lines))
        side = max(20, min(ring_box.width(), ring_box.height()))
        ring = QRectF(ring_box.center().x() - side / 2, ring_box.center().y() - side / 2, side, side)
        thick = max(6.0, side * 0.09)
        ring = ring.adjusted(thick, thick, -thick, -thick)  # room for the ticks across the ring
        p.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(qcolor(c["grid"]), thick)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        p.drawArc(ring, START_DEG * 16, -SPAN_DEG * 16)
        fill = shown["fill"]
        if fill is not None and math.isfinite(fill):
            pen.setColor(qcolor(shown["color"]))
            p.setPen(pen)
            p.drawArc(ring, START_DEG * 16, int(-SPAN_DEG * 16 * max(0.0, min(fill, 100.0)) / 100))
        vm = self.vm
        for t in vm.style.thresholds:  # thin marks where the thresholds lie
            self._tick(p, ring, thick * 0.6, t, c["text_dim"])
        if vm.target_percent is not None:  # a tick across the ring where the target lies
            self._tick(p, ring, thick, vm.target_percent, c["text"])
        # the figure in the middle, shrunk to fit inside the ring
        inner = ring.adjusted(thick, thick, -thick, -thick)
        unit = shown["unit"]
        unit_font = make_font(max(self.theme.sizes["small_min"], int(inner.height() * 0.13)))
        unit_w = QFontMetrics(unit_font).horizontalAdvance(unit) + 4 if unit else 0
        big = make_font(int(inner.height() * 0.34), bold=True, numbers=True)
        big = fit_font(shown["value"], big, inner.width() * 0.9 - unit_w, self.theme.sizes["small_min"])
        fm = QFontMetrics(big)
        vw = fm.horizontalAdvance(shown["value"])
        x = inner.center().x() - (vw + unit_w) / 2
        base = inner.center().y() + (fm.ascent() - fm.descent()) / 2
        p.setFont(big)
        p.setPen(qcolor(shown["color"]))
        p.drawText(QPointF(x, base), shown["value"])
        if unit:
            p.setFont(unit_font)
            p.setPen(qcolor(c["text_dim"]))
            p.drawText(QPointF(x + vw + 4, base), unit)
        small = make_font(self.px("small"))
        p.setFont(small)
        fm = QFontMetrics(small)
        for i, text in enumerate(lines):
            r = QRect(rect.left(), ring_box.bottom() + i * line_h, rect.width(), line_h)
            p.setPen(qcolor(c["text_dim"] if i == 0 else self._compare_color(text)))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, r.width()))

    def _compare_color(self, text: str) -> str:
        c = self.theme.colors
        if "▲" in text:
            return c["good"] if self.vm.style.higher_is_better else c["bad"]
        if "▼" in text:
            return c["bad"] if self.vm.style.higher_is_better else c["good"]
        return c["neutral"]

    def _tick(self, p: QPainter, ring: QRectF, thick: float, percent: float, color: str) -> None:
        angle = math.radians(START_DEG - SPAN_DEG * max(0.0, min(percent, 100.0)) / 100)
        cx, cy = ring.center().x(), ring.center().y()
        r = ring.width() / 2
        inner, outer = r - thick * 0.75, r + thick * 0.75
        p.setPen(QPen(qcolor(color), max(2.0, thick * 0.25)))
        p.drawLine(QPointF(cx + inner * math.cos(angle), cy - inner * math.sin(angle)),
                   QPointF(cx + outer * math.cos(angle), cy - outer * math.sin(angle)))
