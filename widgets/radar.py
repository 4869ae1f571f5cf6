"""``radar``: multi-criteria scores (雷达图). One axis per indicator, clockwise from the top;
one polygon per region, overlaid; rings at a quarter, half, three quarters and the whole of the
target (or of the largest figure shown). The axis names sit beyond the tips, each with its
figure when one region is shown; a legend names the regions when there are several."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen, QPolygonF

from cockpit.model.numbers import LEVEL_COLORS, NumberStyle
from cockpit.panels.viewmodels import RADAR_CAP, RadarVM
from widgets.base import make_font, qcolor
from widgets.ring import ALIGN_LEFT, ChartFrame

#: The series' colours: the first region in the data colour, then the second and third.
SERIES = ("accent", "accent_2", "accent_5")


class RadarPanel(ChartFrame):
    vm: RadarVM | None

    def shown(self) -> dict[str, object]:
        """The axes' names, each series' name, figures as text and points (0..120)."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"axes": [], "series": [], "badge": self.badge}
        series = []
        for i, s in enumerate(vm.series):
            texts = []
            for axis, v in zip(vm.axes, s.values, strict=True):
                style = vm.style if vm.style.unit or len({a.unit for a in vm.axes}) == 1 else None
                texts.append(style.text(v, vm.default_decimals) if style else
                             _plain(v, axis.unit, vm.default_decimals))
            color = self.theme.colors[SERIES[i % len(SERIES)]]
            levels = [vm.style.level(v) for v in s.values]
            series.append({"name": s.name, "values": texts, "points": s.scaled, "color": color,
                           "value_colors": [self.theme.colors[LEVEL_COLORS[lv]] if lv else color
                                            for lv in levels]})
        note = f"另{len(vm.left_out)}个区县未显示" if vm.left_out else None
        return {"axes": [a.name for a in vm.axes], "series": series, "note": note,
                "full": "目标" if vm.scale == "target" else "最高", "badge": self.badge}

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        shown = self.shown()
        axes, series = shown["axes"], shown["series"]
        if not axes:
            return
        c = self.theme.colors
        floor = self.label_floor()
        area = QRectF(rect)
        px = max(floor, min(self.px("small"), int(area.height() * 0.075)))
        font = make_font(px)
        num = make_font(px, bold=True, numbers=True)
        fm, nfm = QFontMetrics(font), QFontMetrics(num)
        legend_h = fm.height() * 1.3 if len(series) > 1 or shown["note"] else 0
        if legend_h:
            self._paint_legend(p, QRectF(area.left(), area.bottom() - legend_h, area.width(),
                                         legend_h), series if len(series) > 1 else [], font,
                               shown["note"])
        plot = area.adjusted(0, 0, 0, -legend_h)
        with_values = len(series) == 1
        label_h = fm.height() + (nfm.height() if with_values else 0)
        # room for the labels: a column on each side (name over figure), a row above and below
        # (name and figure on one line)
        side_w = min(plot.width() * 0.26, max(fm.horizontalAdvance(a) for a in axes) + px)
        radius = max(10.0, min((plot.width() - 2 * side_w) / 2,
                               plot.height() / 2 - fm.height() - px * 0.4))
        center = plot.center()
        n = len(axes)
        full = radius * 100 / RADAR_CAP if self.vm.scale == "target" else radius
        self.geometry = {"center": center, "full": full, "vertices": []}

        def at(i: int, r: float) -> QPointF:
            a = math.pi / 2 - 2 * math.pi * i / n
            return QPointF(center.x() + r * math.cos(a), center.y() - r * math.sin(a))

        # the web: rings at 25/50/75/100 % (the whole dashed in the second colour), spokes
        p.setBrush(Qt.BrushStyle.NoBrush)
        for k in (0.25, 0.5, 0.75, 1.0):
            poly = QPolygonF([at(i, full * k) for i in range(n)])
            if k == 1.0:
                pen = QPen(qcolor(c["accent_2"], 0.8), max(1.0, 1.5 * self.scale), Qt.PenStyle.DashLine)
            else:
                pen = QPen(qcolor(c["grid"]), max(1.0, self.scale))
            p.setPen(pen)
            p.drawPolygon(poly)
        if self.vm.scale == "target":
            p.setPen(QPen(qcolor(c["grid"], 0.6), max(1.0, self.scale), Qt.PenStyle.DotLine))
            p.drawPolygon(QPolygonF([at(i, radius) for i in range(n)]))
        p.setPen(QPen(qcolor(c["grid"]), max(1.0, self.scale)))
        for i in range(n):
            p.drawLine(center, at(i, radius))
        # the polygons, the first region on top
        for s in reversed(series):
            pts = [at(i, full * min(v or 0.0, RADAR_CAP) / 100) for i, v in enumerate(s["points"])]
            self.geometry["vertices"].insert(0, pts)  # in the order of the series
            p.setPen(QPen(qcolor(s["color"]), max(1.5, 2 * self.scale)))
            p.setBrush(qcolor(s["color"], 0.22 if len(series) == 1 else 0.1))
            p.drawPolygon(QPolygonF(pts))
            p.setBrush(qcolor(s["color"]))
            dot = max(2.0, 3 * self.scale)
            for pt, v in zip(pts, s["points"], strict=True):
                if v is not None:
                    p.drawEllipse(pt, dot, dot)
        # the axes' names (and figures) beyond the tips, never over each other or the edge
        for i, name in enumerate(axes):
            tip = at(i, radius + px * 0.5)
            a = math.pi / 2 - 2 * math.pi * i / n
            cos = math.cos(a)
            value = series[0]["values"][i] if with_values else ""
            value_color = series[0]["value_colors"][i]
            if abs(cos) < 0.2:  # top or bottom: one line centred on the spoke
                w = min(plot.width(), max(side_w * 2, plot.width() / max(1, n // 2)))
                left = max(plot.left(), min(tip.x() - w / 2, plot.right() - w))
                top = tip.y() - fm.height() if math.sin(a) > 0 else tip.y()
                top = max(plot.top(), min(top, plot.bottom() - fm.height()))
                gap = px * 0.4 if value else 0.0
                name_w = fm.horizontalAdvance(name)
                value_w = nfm.horizontalAdvance(value) if value else 0
                if name_w + gap + value_w > w:  # too long: the name gives way
                    name_w = max(0.0, w - gap - value_w)
                x = left + (w - name_w - gap - value_w) / 2
                self.text(p, QRectF(x, top, name_w, fm.height()), ALIGN_LEFT, name, font, c["text"])
                if value:
                    self.text(p, QRectF(x + name_w + gap, top, value_w + 1, fm.height()),
                              ALIGN_LEFT, value, num, value_color, elide=False)
                continue
            w = (plot.right() - tip.x()) if cos > 0 else (tip.x() - plot.left())
            left = tip.x() if cos > 0 else tip.x() - w
            top = max(plot.top(), min(tip.y() - label_h / 2, plot.bottom() - label_h))
            flags = ALIGN_LEFT if cos > 0 else Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
            self.text(p, QRectF(left, top, w, fm.height()), flags, name, font, c["text"])
            if value:
                self.text(p, QRectF(left, top + fm.height(), w, nfm.height()), flags, value, num,
                          value_color)

    def _paint_legend(self, p: QPainter, box: QRectF, series: list[dict], font,
                      note: str | None) -> None:
        """The regions side by side, centred, then what was left out; each name cut only where
        the panel is too narrow."""
        fm = QFontMetrics(font)
        mark = fm.height() * 0.5
        items = [(s["name"], s["color"], mark * 1.6 + 6 + fm.horizontalAdvance(s["name"]))
                 for s in series]
        if note:
            items.append((note, None, fm.horizontalAdvance(note)))
        space = fm.height()
        slot = box.width() / len(items)
        fits = sum(w for *_, w in items) + space * (len(items) - 1) <= box.width()
        x = box.left() + (box.width() - sum(w for *_, w in items) - space * (len(items) - 1)) / 2 \
            if fits else box.left()
        for name, color, need in items:
            w = need if fits else slot - 4
            lead = mark * 1.6 + 6 if color else 0
            if color:
                p.fillRect(QRectF(x, box.center().y() - mark / 2, mark * 1.6, mark), qcolor(color))
            self.text(p, QRectF(x + lead, box.top(), w - lead, box.height()), ALIGN_LEFT, name,
                      font, self.theme.colors["text" if color else "text_dim"])
            x += w + (space if fits else 4)


def _plain(value: float | None, unit: str, decimals: int) -> str:
    return NumberStyle(unit=unit).text(value, decimals)
