"""``ring``: a ring (环形图) of shares. Each indicator is a slice, clockwise from the top; the
legend names every slice with its share and figure; the total sits in the hole.

Also the small base the chart kinds of issue 17 share (``funnel``, ``radar``): the palette of
series colours and a record of every text drawn with its box, so a test checks that labels
neither overlap nor leave the panel.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen

from cockpit.model.numbers import LEVEL_COLORS, PLACEHOLDER
from cockpit.panels.viewmodels import RingVM
from widgets.base import PanelFrame, fit_font, make_font, qcolor

#: Theme colours of the slices (stages, polygons) in order.
PALETTE = ("accent", "accent_6", "accent_2", "accent_3", "accent_4", "accent_5", "accent_7",
           "accent_8", "accent_9", "accent_10")
ALIGN_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
ALIGN_RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter


class ChartFrame(PanelFrame):
    """A panel that keeps what its last paint wrote: ``drawn`` is a list of (text, box)."""

    drawn: list[tuple[str, QRectF]]
    #: the shapes of the last paint, by kind (the ring's centre and radii, a funnel's bands, a
    #: radar's vertices), for tests that look at pixels
    geometry: dict[str, object]

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.drawn = []
        self.geometry = {}

    def render_panel(self, p: QPainter) -> None:
        self.drawn = []
        self.geometry = {}
        super().render_panel(p)

    def label_floor(self) -> int:
        """The smallest size a label is drawn at (as the bar kinds: a little under small_min)."""
        return self.theme.sizes["small_min"] - 3

    def color(self, i: int) -> str:
        return self.theme.colors[PALETTE[i % len(PALETTE)]]

    def text(self, p: QPainter, box: QRectF, flags, text: str, font: QFont, color: str,
             *, elide: bool = True) -> QRectF:
        """Draw ``text`` in ``box`` (cut with "…" to its width unless ``elide`` is false) and
        record where it went."""
        fm = QFontMetrics(font)
        if elide:
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(box.width()))
        p.setFont(font)
        p.setPen(qcolor(color))
        p.drawText(box, flags, text)
        # where the ink went: the line's box as Qt aligns it, narrowed to the glyphs' bounds
        w, h = fm.horizontalAdvance(text), fm.height()
        if flags & Qt.AlignmentFlag.AlignRight:
            left = box.right() - w
        elif flags & Qt.AlignmentFlag.AlignHCenter:
            left = box.center().x() - w / 2
        else:
            left = box.left()
        if flags & Qt.AlignmentFlag.AlignVCenter:
            top = box.center().y() - h / 2
        elif flags & Qt.AlignmentFlag.AlignBottom:
            top = box.bottom() - h
        else:
            top = box.top()
        where = QRectF(fm.tightBoundingRect(text)).translated(left, top + fm.ascent())
        if text:
            self.drawn.append((text, where))
        return where

    def texts(self) -> list[str]:
        return [t for t, _ in self.drawn]


class RingPanel(ChartFrame):
    vm: RingVM | None

    def shown(self) -> dict[str, object]:
        """What the ring says: the total with its unit, the text under it, and each slice's
        name, share, figure and colour (beyond the palette, the rest are one "其他" slice)."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"total": None, "slices": [], "badge": self.badge}
        slices = list(vm.slices)
        rows = []
        keep = slices if len(slices) <= len(PALETTE) else slices[: len(PALETTE) - 1]
        for i, s in enumerate(keep):
            rows.append({"name": s.name, "share": _pct(s.share), "percent": s.share,
                         "value": vm.style.text(s.value, vm.default_decimals),
                         "color": self.color(i)})
        rest = slices[len(keep):]
        if rest:
            values = [s.value for s in rest if s.value is not None]
            shares = [s.share for s in rest if s.share is not None]
            value = sum(values) if values else None
            share = sum(shares) if shares else None
            rows.append({"name": f"其他{len(rest)}项", "share": _pct(share), "percent": share,
                         "value": vm.style.text(value, vm.default_decimals),
                         "color": self.color(len(PALETTE) - 1)})
        digits, unit = vm.style.parts(vm.total, vm.default_decimals)
        level = vm.style.level(vm.total)
        return {"total": digits, "unit": unit, "center": vm.center, "slices": rows,
                "compare": vm.style.comparison(vm.total, vm.previous),
                "color": self.theme.colors[LEVEL_COLORS[level]] if level else self.theme.colors["text"],
                "badge": self.badge}

    def compare_color(self, text: str) -> str:
        """A rise is good unless higher_is_better is false (as the gauge colours it)."""
        c = self.theme.colors
        good = self.vm.style.higher_is_better
        if "▲" in text:
            return c["good" if good else "bad"]
        if "▼" in text:
            return c["bad" if good else "good"]
        return c["neutral"]

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        shown = self.shown()
        rows = shown["slices"]
        area = QRectF(rect)
        wide = area.width() >= area.height() * 1.15
        # the legend's rows: as large as the theme's small text, smaller where many must fit
        n = max(1, len(rows))
        if wide:
            # the legend as wide as its longest row needs (a wide strip does not spread it),
            # the ring giving up some room for it, ring and legend centred together
            need = self._legend_width(rows, self.px("small"))
            pad = max(8.0, area.width() * 0.035)
            side = min(area.height(), area.width() * 0.46)
            if area.width() - side - pad < need:
                side = max(area.width() * 0.36, area.width() - pad - need)
            legend_w = min(area.width() - side - pad, need * 1.1)
            left = area.left() + (area.width() - side - pad - legend_w) / 2
            ring_box = QRectF(left, area.center().y() - side / 2, side, side)
            legend = QRectF(left + side + pad, area.top(), legend_w, area.height())
        else:
            row_px = max(self.label_floor(), min(self.px("small"), int(area.height() * 0.45 / n / 1.4)))
            legend_h = min(area.height() * 0.5, n * row_px * 1.4 + 1)
            side = min(area.width(), area.height() - legend_h - 4)
            ring_box = QRectF(area.center().x() - side / 2, area.top(), side, side)
            legend_w = min(area.width(), self._legend_width(rows, row_px) * 1.1)
            legend = QRectF(area.center().x() - legend_w / 2, area.bottom() - legend_h, legend_w,
                            legend_h)
        self._paint_ring(p, ring_box, shown)
        self._paint_legend(p, legend, rows)

    def _paint_ring(self, p: QPainter, box: QRectF, shown: dict) -> None:
        c = self.theme.colors
        thick = max(6.0, box.width() * 0.14)
        ring = box.adjusted(thick / 2 + 3, thick / 2 + 3, -thick / 2 - 3, -thick / 2 - 3)
        self.geometry = {"center": ring.center(), "radius": ring.width() / 2, "thick": thick}
        p.setBrush(Qt.BrushStyle.NoBrush)
        # a thin outer circle, then the track under the slices
        p.setPen(QPen(qcolor(c["grid"]), max(1.0, self.scale)))
        outer = thick / 2 + 2
        p.drawEllipse(ring.adjusted(-outer, -outer, outer, outer))
        pen = QPen(qcolor(c["grid"], 0.6), thick)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        p.drawEllipse(ring)
        start = 90.0
        gap = 1.2 if sum(1 for r in shown["slices"] if r["percent"]) > 1 else 0.0
        for row in shown["slices"]:
            share = row["percent"]
            if not share:
                continue
            span = 360.0 * share / 100
            cut = min(gap, span / 2)  # a sliver keeps half of itself
            pen.setColor(qcolor(row["color"]))
            p.setPen(pen)
            p.drawArc(ring, round((start - cut / 2) * 16), -max(1, round((span - cut) * 16)))
            start -= span
        # the total and its words in the hole
        inner = ring.adjusted(thick / 2, thick / 2, -thick / 2, -thick / 2)
        hole = inner.width() * 0.84
        words, compare = shown["center"], shown["compare"]
        word_px = max(self.label_floor(), int(inner.height() * (0.11 if compare else 0.13)))
        word_font = fit_font(words, make_font(word_px), hole, self.label_floor()) if words else None
        word_h = QFontMetrics(word_font).height() if word_font else 0
        compare_font = (fit_font(compare, make_font(word_px), hole * 0.9, self.label_floor())
                        if compare else None)
        compare_h = QFontMetrics(compare_font).height() if compare_font else 0
        unit = shown["unit"]
        unit_font = make_font(max(self.label_floor(), int(inner.height() * 0.12)))
        unit_w = QFontMetrics(unit_font).horizontalAdvance(unit) + 2 if unit else 0
        big = make_font(int(inner.height() * 0.28), bold=True, numbers=True)
        big = fit_font(shown["total"], big, hole - unit_w, self.label_floor())
        fm = QFontMetrics(big)
        vw = fm.horizontalAdvance(shown["total"])
        top = inner.center().y() - (fm.height() + word_h + compare_h) / 2
        x = inner.center().x() - (vw + unit_w) / 2
        self.text(p, QRectF(x, top, vw + 1, fm.height()), ALIGN_LEFT, shown["total"], big,
                  shown["color"], elide=False)
        if unit:
            self.text(p, QRectF(x + vw + 2, top, unit_w, fm.height() - fm.descent() * 0.6),
                      Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, unit, unit_font,
                      c["text_dim"], elide=False)
        if words:
            self.text(p, QRectF(inner.center().x() - hole / 2, top + fm.height(), hole, word_h),
                      ALIGN_CENTER, words, word_font, c["text_dim"])
        if compare:
            self.text(p, QRectF(inner.center().x() - hole / 2, top + fm.height() + word_h, hole,
                                compare_h), ALIGN_CENTER, compare, compare_font,
                      self.compare_color(compare))

    def _legend_width(self, rows: list[dict], px: int) -> float:
        """The width the legend's longest row takes at ``px``: mark, name, share and figure."""
        if not rows:
            return 0.0
        fm, nfm = QFontMetrics(make_font(px)), QFontMetrics(make_font(px, bold=True, numbers=True))
        return (px * 1.2 + max(fm.horizontalAdvance(r["name"]) for r in rows)
                + max(nfm.horizontalAdvance(r["share"]) for r in rows) + px * 0.6
                + max(fm.horizontalAdvance(r["value"]) for r in rows) + px * 0.6)

    def _paint_legend(self, p: QPainter, box: QRectF, rows: list[dict]) -> None:
        if not rows or box.height() <= 0 or box.width() <= 0:
            return
        c = self.theme.colors
        floor = self.label_floor()
        px = max(floor, min(self.px("small"), int(box.height() / len(rows) / 1.4)))
        # a size or two smaller rather than leave the figures out
        smaller = max(floor, int(px * 0.85))
        while px > smaller and self._legend_width(rows, px) > box.width():
            px -= 1
        fit = max(1, int(box.height() / (px * 1.4) + 1e-6))
        if fit < len(rows):  # the rest in one line that says how many are not listed
            rows = rows[: fit - 1] + [{"name": f"…另{len(rows) - fit + 1}项", "share": "",
                                       "value": "", "color": None}]
        row_h = min(box.height() / len(rows), px * 2.0)
        top = box.top() + (box.height() - row_h * len(rows)) / 2
        font = make_font(px)
        num = make_font(px, bold=True, numbers=True)
        fm, nfm = QFontMetrics(font), QFontMetrics(num)
        mark = px * 0.7
        share_w = max(nfm.horizontalAdvance(r["share"]) for r in rows) + px * 0.6
        value_w = max(fm.horizontalAdvance(r["value"]) for r in rows) + px * 0.6
        name_room = box.width() - mark - px * 0.5 - share_w - value_w
        if name_room < max(fm.horizontalAdvance(r["name"]) for r in rows):
            # narrow: the figures give way before the names are cut
            value_w = 0
            name_room = box.width() - mark - px * 0.5 - share_w
        for i, r in enumerate(rows):
            y = top + i * row_h
            line = QRectF(box.left(), y, box.width(), row_h)
            if r["color"]:
                p.fillRect(QRectF(line.left(), line.center().y() - mark / 2, mark, mark),
                           qcolor(r["color"]))
            name_box = QRectF(line.left() + mark + px * 0.5, y, max(0.0, name_room), row_h)
            self.text(p, name_box, ALIGN_LEFT, r["name"], font, c["text"])
            if r["share"]:
                self.text(p, QRectF(name_box.right(), y, share_w, row_h), ALIGN_RIGHT, r["share"],
                          num, r["color"] or c["text"], elide=False)
            if value_w and r["value"]:
                self.text(p, QRectF(line.right() - value_w, y, value_w, row_h), ALIGN_RIGHT,
                          r["value"], font, c["text_dim"], elide=False)


def _pct(share: float | None) -> str:
    return PLACEHOLDER if share is None else f"{share:.1f}%"
