"""``bar`` and ``stacked``: vertical bars of categories or districts, grouped side by side or
stacked, with a legend of the series (this period and the one compared with, or indicators)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter

from cockpit.panels.viewmodels import BarVM
from widgets.base import PanelFrame, make_font, qcolor

SERIES_COLORS = ("accent", "accent_2", "accent_3", "accent_4")


class BarPanel(PanelFrame):
    vm: BarVM | None

    def shown(self) -> dict[str, object]:
        """Categories, series names and each bar's value text (value mappings applied)."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"categories": (), "series": (), "values": ()}
        return {"categories": vm.categories, "series": tuple(s.name for s in vm.series),
                "stacked": vm.stacked,
                "values": tuple(tuple(vm.style.text(v, vm.default_decimals) for v in s.values)
                                for s in vm.series),
                "unit": vm.style.parts(1.0)[1] if vm.style.number_format != "auto" else vm.style.unit}

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        vm = self.vm
        if not vm.categories or not vm.series:
            return
        c = self.theme.colors
        small = make_font(self.px("small"))
        sfm = QFontMetrics(small)
        legend_h = int(self.px("small") * 1.6)
        # legend: coloured squares with series names, and the unit on the right
        x = rect.left()
        p.setFont(small)
        unit = self.shown()["unit"]
        unit_w = sfm.horizontalAdvance(f"单位：{unit}") + 12 if unit else 0
        for i, s in enumerate(vm.series):
            color = c[SERIES_COLORS[i % len(SERIES_COLORS)]]
            box = legend_h * 0.45
            if x + box + sfm.horizontalAdvance(s.name) + 4 > rect.right() - unit_w:
                break  # no room for more of the legend: never over the unit or the edge
            p.fillRect(QRectF(x, rect.top() + (legend_h - box) / 2, box, box), qcolor(color))
            p.setPen(qcolor(c["text_dim"]))
            w = sfm.horizontalAdvance(s.name)
            p.drawText(QRectF(x + box + 4, rect.top(), w + 4, legend_h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, s.name)
            x += box + w + 18
        if unit:
            p.drawText(QRectF(rect.left(), rect.top(), rect.width(), legend_h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"单位：{unit}")
        # category labels: one row, or two staggered rows (twice the room each), then elided
        n = len(vm.categories)
        slot = rect.width() / n
        label_px, rows, labels = self.category_labels(rect.width())
        label_font = make_font(label_px)
        label_h = int(label_px * 1.5)
        # the figures over the bars keep the size a single row of labels would have
        num_px = self._px_for(slot)
        value_h = int(num_px * 1.3)
        plot = QRectF(rect.left(), rect.top() + legend_h + value_h, rect.width(),
                      rect.height() - legend_h - rows * label_h - value_h)
        totals = [sum(max(0.0, s.values[i] or 0.0) for s in vm.series) if vm.stacked
                  else max(max(0.0, s.values[i] or 0.0) for s in vm.series) for i in range(n)]
        top = max(totals) or 1.0
        p.setPen(qcolor(c["grid"]))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        groups = 1 if vm.stacked else len(vm.series)
        bar_w = slot * 0.62 / groups
        num_font = make_font(num_px, numbers=True)
        nfm = QFontMetrics(num_font)
        for i in range(n):
            left = rect.left() + i * slot + slot * 0.19
            base = plot.bottom()
            for j, s in enumerate(vm.series):
                v = max(0.0, s.values[i] or 0.0)
                h = plot.height() * v / top
                color = qcolor(c[SERIES_COLORS[j % len(SERIES_COLORS)]])
                if vm.stacked:
                    p.fillRect(QRectF(left, base - h, bar_w, h), color)
                    base -= h
                else:
                    p.fillRect(QRectF(left + j * bar_w, plot.bottom() - h, bar_w * 0.9, h), color)
            # one figure over each category: the total (stacked) or the first series
            figure = totals[i] if vm.stacked else vm.series[0].values[i]
            text = vm.style.text(figure, vm.default_decimals).removesuffix(vm.style.unit or "\0")
            if nfm.horizontalAdvance(text) <= slot - 2:
                p.setFont(num_font)
                p.setPen(qcolor(c["text"]))
                y = plot.bottom() - plot.height() * totals[i] / top - value_h
                p.drawText(QRectF(rect.left() + i * slot, y, slot, value_h),
                           Qt.AlignmentFlag.AlignCenter, text)
            p.setFont(label_font)
            p.setPen(qcolor(c["text_dim"]))
            x, w, text = labels[i]
            p.drawText(QRectF(rect.left() + x, plot.bottom() + 2 + (i % rows) * label_h, w, label_h),
                       Qt.AlignmentFlag.AlignCenter, text)

    def _label_floor(self) -> int:
        """The smallest size a category label or a figure over a bar is drawn at."""
        return self.theme.sizes["small_min"] - 3

    def _px_for(self, room: float) -> int:
        """The text size for a label with ``room`` px: the theme's small size, less in a narrow
        room (two CJK characters and a margin), never under the floor."""
        return max(self._label_floor(), min(self.px("small"), int(room / 2.4)))

    def category_labels(self, width: float) -> tuple[int, int, list[tuple[float, float, str]]]:
        """How the categories are labelled under ``width``: (font px, rows, and for each
        category the box its label is drawn in — left, width — and the text). One row when every
        label fits its own slot; else two staggered rows, each label with the room of two slots
        centred on its own (its neighbours are on the other row; less at the panel's edges), at
        the largest size that fits, under its bar where the room allows; elided only where the
        smallest size does not fit."""
        cats = self.vm.categories
        n = len(cats)
        slot = width / n
        floor = self._label_floor()

        def widths(px: int) -> list[int]:
            fm = QFontMetrics(make_font(px))
            return [fm.horizontalAdvance(c) for c in cats]

        px = self._px_for(slot)
        if max(widths(px)) <= slot - 2:
            return px, 1, [(i * slot, slot, c) for i, c in enumerate(cats)]
        rooms = []
        for i in range(n):
            left, right = max(0.0, (i - 0.5) * slot + 2), min(width, (i + 1.5) * slot - 2)
            rooms.append((left, right - left))
        px = self._px_for(2 * slot)
        while px > floor and any(w > room for w, (_, room) in zip(widths(px), rooms, strict=True)):
            px -= 1
        fm = QFontMetrics(make_font(px))
        out = []
        for i, ((left, room), c) in enumerate(zip(rooms, cats, strict=True)):
            text = fm.elidedText(c, Qt.TextElideMode.ElideRight, int(room))
            w = min(room, fm.horizontalAdvance(text) + 2)  # under its bar where the room allows
            out.append((max(left, min((i + 0.5) * slot - w / 2, left + room - w)), w, text))
        return px, 2, out
