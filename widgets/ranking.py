"""``ranking``: horizontal bars of a metric's latest value by district."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QLinearGradient, QPainter

from cockpit.model.numbers import format_value
from cockpit.panels.viewmodels import RankingVM
from widgets.base import PanelFrame, make_font, qcolor


class RankingPanel(PanelFrame):
    vm: RankingVM | None

    def _rows_that_fit(self, rect: QRect) -> int:
        row_h = self.theme.sizes["small_min"] * 1.45
        return max(1, int(rect.height() // row_h))

    def shown(self) -> list[tuple[str, str, float]]:
        """The bars as drawn, top to bottom: (district, value text, bar length 0..1)."""
        vm = self.vm
        if vm is None or not vm.rows:
            return []
        rows = vm.rows[: self._rows_that_fit(self.content_rect())]
        top = max((abs(r.value) for r in vm.rows), default=0) or 1.0
        out = []
        for r in rows:
            digits, mag = format_value(r.value, vm.decimals)
            out.append((r.name, f"{digits}{mag}{vm.unit}", abs(r.value) / top))
        return out

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        rows = self.shown()
        if not rows:
            return
        c = self.theme.colors
        row_h = rect.height() / len(rows)
        px = max(self.theme.sizes["small_min"], min(self.px("body"), int(row_h * 0.62)))
        font = make_font(px)
        num_font = make_font(px, bold=True, numbers=True)
        fm = QFontMetrics(font)
        name_w = max(fm.horizontalAdvance(name) for name, _, _ in rows) + 12
        value_w = max(QFontMetrics(num_font).horizontalAdvance(v) for _, v, _ in rows) + 12
        bar_w = max(10, rect.width() - name_w - value_w)
        for i, (name, value, frac) in enumerate(rows):
            y = rect.top() + i * row_h
            p.setFont(font)
            p.setPen(qcolor(c["text"]))
            p.drawText(QRectF(rect.left(), y, name_w - 8, row_h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
            bar = QRectF(rect.left() + name_w, y + row_h * 0.22, max(2.0, bar_w * frac), row_h * 0.56)
            p.fillRect(QRectF(bar.left(), bar.top(), bar_w, bar.height()), qcolor(c["grid"], 0.45))
            grad = QLinearGradient(bar.topLeft(), bar.topRight())
            grad.setColorAt(0, qcolor(c["accent"], 0.35))
            grad.setColorAt(1, qcolor(c["accent"] if i >= 3 else c["accent_2"]))
            p.fillRect(bar, grad)
            p.setFont(num_font)
            p.setPen(qcolor(c["text"]))
            p.drawText(QRectF(rect.right() - value_w + 6, y, value_w - 6, row_h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, value)
