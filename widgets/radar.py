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
from widgets.ring import ALIGN_LEFT, ALIGN_RIGHT, ChartFrame

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
        fm = QFontMetrics(font)
        keyed = series if len(series) > 1 else []
        plot = area
        if keyed or shown["note"]:
            mark = fm.height() * 0.5
            column = max([mark * 1.6 + 6 + fm.horizontalAdvance(s["name"]) for s in keyed]
                         + [fm.horizontalAdvance(shown["note"] or "")]) + px
            if area.width() - column >= area.height() * 1.5:  # wide: a column on the right,
                # radar and column centred together
                width = min(area.width() - column, area.height() * 2.0)
                left = area.left() + (area.width() - width - column) / 2
                plot = QRectF(left, area.top(), width, area.height())
                self._paint_key_column(p, QRectF(plot.right(), area.top(), column, area.height()),
                                       keyed, font, shown["note"])
            else:  # a row under the radar
                legend_h = fm.height() * 1.3
                plot = area.adjusted(0, 0, 0, -legend_h)
                self._paint_legend(p, QRectF(area.left(), plot.bottom(), area.width(), legend_h),
                                   keyed, font, shown["note"])
        with_values = len(series) == 1
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
        self._paint_labels(p, plot, axes, series[0] if with_values else None, at, radius, px)

    def _paint_labels(self, p: QPainter, plot: QRectF, axes: list[str], one: dict | None,
                      at, radius: float, px: int) -> None:
        """Names at the tips: on the sides name over figure, stacked so that none runs into
        the next; at the top and bottom name and figure on one line, as wide as the side labels
        beside them allow. Where the sides hold too many for two lines, one line each (name,
        then figure), then a smaller size."""
        n = len(axes)
        sides: dict[str, list[tuple[int, QPointF]]] = {"l": [], "r": []}
        centre: list[tuple[int, QPointF, bool]] = []
        for i in range(n):
            a = math.pi / 2 - 2 * math.pi * i / n
            tip = at(i, radius + px * 0.5)
            if abs(math.cos(a)) < 0.2:
                centre.append((i, tip, math.sin(a) > 0))
            else:
                sides["r" if math.cos(a) > 0 else "l"].append((i, tip))
        most = max(len(v) for v in sides.values())
        room = plot.height() - (2 if centre else 0) * QFontMetrics(make_font(px)).height()
        two_lines = one is not None
        while True:
            font, num = make_font(px), make_font(px, bold=True, numbers=True)
            line = max(QFontMetrics(font).height(), QFontMetrics(num).height())
            if two_lines and most * 2 * line > room:
                two_lines = False
                continue
            if most * line <= room or px <= self.label_floor():
                break
            px -= 1
        label_h = line * (2 if two_lines else 1)
        placed: dict[int, tuple[QRectF, str]] = {}
        for key, items in sides.items():
            items.sort(key=lambda t: t[1].y())
            tops = [tip.y() - label_h / 2 for _, tip in items]
            for k in range(len(tops)):  # down: each below the one above
                if k:
                    tops[k] = max(tops[k], tops[k - 1] + label_h)
                tops[k] = max(tops[k], plot.top())
            for k in reversed(range(len(tops))):  # up: each above the one below, and the edge
                limit = plot.bottom() - label_h if k == len(tops) - 1 else tops[k + 1] - label_h
                tops[k] = max(plot.top(), min(tops[k], limit))
            for (i, tip), top in zip(items, tops, strict=True):
                if key == "r":
                    box = QRectF(tip.x(), top, plot.right() - tip.x(), label_h)
                else:
                    box = QRectF(plot.left(), top, tip.x() - plot.left(), label_h)
                placed[i] = (box, key)
                self._label(p, box, key, axes[i], one, i, font, num, two_lines, line)
        for i, tip, above in centre:
            top = tip.y() - line if above else tip.y()
            top = max(plot.top(), min(top, plot.bottom() - line))
            half = min(tip.x() - plot.left(), plot.right() - tip.x())
            for box, key in placed.values():
                if box.top() < top + line and box.bottom() > top:  # a side label beside it
                    edge = box.left() if key == "r" else box.right()
                    half = min(half, abs(edge - tip.x()) - px * 0.3)
            box = QRectF(tip.x() - max(0.0, half), top, 2 * max(0.0, half), line)
            self._label(p, box, "c", axes[i], one, i, font, num, False, line)

    def _label(self, p: QPainter, box: QRectF, side: str, name: str, one: dict | None, i: int,
               font, num, two_lines: bool, line: float) -> None:
        """One axis label in ``box``: name over figure, or name and figure on one line (the
        name cut first), aligned away from the radar."""
        text = self.theme.colors["text"]
        value = one["values"][i] if one is not None else ""
        color = one["value_colors"][i] if one is not None else text
        fm, nfm = QFontMetrics(font), QFontMetrics(num)
        if two_lines:
            flags = ALIGN_LEFT if side == "r" else ALIGN_RIGHT
            self.text(p, QRectF(box.left(), box.top(), box.width(), line), flags, name, font, text)
            self.text(p, QRectF(box.left(), box.top() + line, box.width(), line), flags, value,
                      num, color)
            return
        gap = fm.height() * 0.25 if value else 0.0
        value_w = min(nfm.horizontalAdvance(value) + 1, box.width()) if value else 0
        name_w = min(fm.horizontalAdvance(name), max(0.0, box.width() - gap - value_w - 1))
        if name_w < fm.horizontalAdvance("…"):  # no room for a name: the figure alone
            name_w, gap = 0.0, 0.0
        whole = name_w + gap + value_w
        x = {"r": box.left(), "l": box.right() - whole}.get(side, box.center().x() - whole / 2)
        if name_w:
            self.text(p, QRectF(x, box.top(), name_w + 1, line), ALIGN_LEFT, name, font, text)
        if value:
            self.text(p, QRectF(x + name_w + gap, box.top(), value_w, line), ALIGN_LEFT, value,
                      num, color)

    def _paint_key_column(self, p: QPainter, box: QRectF, series: list[dict], font,
                          note: str | None) -> None:
        """The regions one under the other, centred in height, then what was left out."""
        fm = QFontMetrics(font)
        mark, line = fm.height() * 0.5, fm.height() * 1.4
        rows = [(s["name"], s["color"]) for s in series] + ([(note, None)] if note else [])
        top = box.center().y() - line * len(rows) / 2
        for k, (name, color) in enumerate(rows):
            y = top + k * line
            lead = mark * 1.6 + 6 if color else 0
            if color:
                p.fillRect(QRectF(box.left(), y + (line - mark) / 2, mark * 1.6, mark), qcolor(color))
            self.text(p, QRectF(box.left() + lead, y, box.width() - lead, line), ALIGN_LEFT, name,
                      font, self.theme.colors["text" if color else "text_dim"])

    def _paint_legend(self, p: QPainter, box: QRectF, series: list[dict], font,
                      note: str | None) -> None:
        """The regions side by side, centred, then what was left out; each name cut only where
        the panel is too narrow."""
        fm = QFontMetrics(font)
        mark = fm.height() * 0.5
        # a few pixels of slack: the advance measured here and the one the text is drawn with
        # differ by rounding at some sizes (at 4K "全市" was elided to "…" in a rect of its width)
        slack = 4
        items = [(s["name"], s["color"], mark * 1.6 + 6 + fm.horizontalAdvance(s["name"]) + slack)
                 for s in series]
        if note:
            items.append((note, None, fm.horizontalAdvance(note) + slack))
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
