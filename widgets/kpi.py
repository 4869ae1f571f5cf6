"""``kpi``: a big number with its unit, the change against the same time yesterday, and a
sparkline of the last hours."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPainterPath, QPen

from cockpit.model.numbers import format_delta, format_value
from cockpit.panels.viewmodels import KpiVM
from widgets.base import PanelFrame, fit_font, make_font, qcolor


class KpiPanel(PanelFrame):
    vm: KpiVM | None

    def shown(self) -> dict[str, object]:
        """What the tile says, as drawn: the figure, its unit and the comparison."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"value": None, "unit": None, "delta": None, "badge": self.badge}
        digits, magnitude = format_value(vm.value, vm.decimals)
        delta = format_delta(vm.value, vm.previous)
        return {"value": digits, "unit": f"{magnitude}{vm.unit}",
                "delta": self.delta_text(delta[0] if delta else "—"),
                "delta_pct": delta[1] if delta else None, "spark_points": len(vm.spark),
                "delta_color": self.change_color(delta[1] if delta else None, vm.good,
                                                 vm.economic),
                "badge": self.badge}

    def delta_text(self, change: str) -> str:
        """"较昨日同时 ▲ 3.3%", or the change alone where the words do not fit the tile."""
        text = f"较昨日同时 {change}"
        fm = QFontMetrics(make_font(self.px("body")))
        return text if fm.horizontalAdvance(text) <= self.content_rect().width() else change

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        vm = self.vm
        shown = self.shown()
        c = self.theme.colors
        spark_h = int(rect.height() * 0.26) if len(vm.spark) > 1 else 0
        delta_h = int(self.px("body") * 1.5)
        value_rect = QRect(rect.left(), rect.top(), rect.width(), rect.height() - spark_h - delta_h)

        unit = shown["unit"]
        unit_font = make_font(self.px("body"))
        unit_w = QFontMetrics(unit_font).horizontalAdvance(unit) + 8 if unit else 0
        big = make_font(min(self.theme.scaled("value", self.cell_scale), int(value_rect.height() * 0.8)),
                        bold=True, numbers=True)
        big = fit_font(shown["value"], big, value_rect.width() - unit_w, self.theme.sizes["value_min"])
        fm = QFontMetrics(big)
        value_w = fm.horizontalAdvance(shown["value"])
        x = value_rect.left() + max(0, (value_rect.width() - value_w - unit_w) // 2)
        baseline = value_rect.top() + (value_rect.height() + fm.ascent() - fm.descent()) // 2
        p.setFont(big)
        p.setPen(qcolor(c["text"]))
        p.drawText(QPointF(x, baseline), shown["value"])
        if unit:
            p.setFont(unit_font)
            p.setPen(qcolor(c["text_dim"]))
            p.drawText(QPointF(x + value_w + 8, baseline), unit)

        delta = format_delta(vm.value, vm.previous)
        color = self.change_color(delta[1] if delta else None, vm.good, vm.economic)
        delta_font = fit_font(shown["delta"], make_font(self.px("body")), rect.width(),
                              self.theme.sizes["small_min"])
        p.setFont(delta_font)
        p.setPen(qcolor(color))
        p.drawText(QRect(rect.left(), value_rect.bottom(), rect.width(), delta_h),
                   Qt.AlignmentFlag.AlignCenter,
                   QFontMetrics(delta_font).elidedText(shown["delta"], Qt.TextElideMode.ElideRight,
                                                       rect.width()))

        if spark_h:
            self._paint_spark(p, QRectF(rect.left(), rect.bottom() - spark_h + 4, rect.width(), spark_h - 4))

    def _paint_spark(self, p: QPainter, r: QRectF) -> None:
        values = self.vm.spark
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        step = r.width() / (len(values) - 1)
        path = QPainterPath()
        for i, v in enumerate(values):
            pt = QPointF(r.left() + i * step, r.bottom() - (v - lo) / span * r.height())
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
        fill = QPainterPath(path)
        fill.lineTo(r.right(), r.bottom())
        fill.lineTo(r.left(), r.bottom())
        fill.closeSubpath()
        accent = self.theme.colors["accent"]
        p.fillPath(fill, qcolor(accent, 0.18))
        p.setPen(QPen(qcolor(accent), max(1.5, 2 * self.scale)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
