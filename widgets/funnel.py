"""``funnel``: a case or service flow (漏斗图). Each stage is a band, top to bottom, as wide as
its figure against the largest; the figure sits in the band, the stage's name and its rate
from the stage before beside it, the overall rate under the funnel."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QLinearGradient, QPainter, QPolygonF

from cockpit.model.numbers import LEVEL_COLORS, PLACEHOLDER
from cockpit.panels.viewmodels import FunnelVM
from widgets.base import fit_font, make_font, qcolor
from widgets.ring import ALIGN_CENTER, ALIGN_LEFT, ChartFrame

#: The narrowest band, as a share of the funnel's width (so a small stage still holds a figure).
MIN_WIDTH = 0.34


class FunnelPanel(ChartFrame):
    vm: FunnelVM | None

    def shown(self) -> dict[str, object]:
        """Each stage's name, figure and rate from the stage before ("转化率 64.2%"), and the
        overall rate; "—" where a figure is missing."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"stages": [], "overall": None, "badge": self.badge}
        stages = []
        for i, s in enumerate(vm.stages):
            rate = None if i == 0 else f"转化率 {_pct(s.rate)}"
            stages.append({"name": s.name, "value": vm.style.text(s.value, vm.default_decimals),
                           "raw": s.value, "rate": rate, "color": self.color(i),
                           "rate_color": self._rate_color(s.rate)})
        overall = f"总转化率 {_pct(vm.overall)}" if len(vm.stages) > 1 else None
        return {"stages": stages, "overall": overall, "overall_color": self._rate_color(vm.overall),
                "badge": self.badge}

    def _rate_color(self, rate: float | None) -> str:
        """The thresholds' colour of a conversion rate, or the second data colour without."""
        if rate is None:
            return self.theme.colors["text_dim"]
        level = self.vm.style.level(rate)
        return self.theme.colors[LEVEL_COLORS[level] if level else "accent_2"]

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        shown = self.shown()
        stages = shown["stages"]
        if not stages:
            return
        c = self.theme.colors
        area = QRectF(rect)
        floor = self.label_floor()
        small = make_font(self.px("small"))
        foot_h = QFontMetrics(small).height() * 1.3 if shown["overall"] else 0
        body = QRectF(area.left(), area.top(), area.width(), area.height() - foot_h)
        n = len(stages)
        band_h = body.height() / n
        gap = max(2.0, band_h * 0.08)
        name_px = max(floor, min(self.px("body"), int(band_h * 0.36)))
        rate_px = max(floor, min(self.px("small"), int(band_h * 0.3)))
        # the funnel on the left, the names and rates in a column on the right; on a wide
        # panel both as wide as they need and centred together (a strip does not stretch them)
        funnel_w = min(body.width() * 0.58, body.height() * 1.4)
        leader = max(16.0, body.width() * 0.04)
        fm_name, fm_rate = QFontMetrics(make_font(name_px)), QFontMetrics(make_font(rate_px))
        need = max(max(fm_name.horizontalAdvance(s["name"]) for s in stages),
                   max(fm_rate.horizontalAdvance(s["rate"] or "") for s in stages)) + 4
        label_w = min(body.width() - funnel_w - leader, need)
        left = body.left() + (body.width() - funnel_w - leader - label_w) / 2
        label_x = left + funnel_w + leader
        cx = left + funnel_w / 2
        values = [s["raw"] for s in stages]
        top_value = max((v for v in values if v is not None and v > 0), default=0.0)

        def width(v: float | None) -> float:
            if v is None or top_value <= 0:
                return funnel_w * MIN_WIDTH
            return funnel_w * (MIN_WIDTH + (1 - MIN_WIDTH) * max(0.0, min(v / top_value, 1.0)))

        widths = [width(v) for v in values]
        self.geometry = {"bands": []}
        one_line = band_h < (name_px + rate_px) * 1.25  # too low for two lines: name only
        for i, s in enumerate(stages):
            y = body.top() + i * band_h
            w_top = widths[i]
            w_bottom = widths[i + 1] if i + 1 < n else w_top * 0.82
            w_bottom = min(w_bottom, w_top)  # a funnel only narrows
            band = QPolygonF([QPointF(cx - w_top / 2, y), QPointF(cx + w_top / 2, y),
                              QPointF(cx + w_bottom / 2, y + band_h - gap),
                              QPointF(cx - w_bottom / 2, y + band_h - gap)])
            color = s["color"] if s["raw"] is not None else c["grid"]
            self.geometry["bands"].append(QRectF(cx - w_top / 2, y, w_top, band_h - gap))
            grad = QLinearGradient(cx - w_top / 2, 0, cx + w_top / 2, 0)
            grad.setColorAt(0.0, qcolor(color, 0.55))
            grad.setColorAt(0.5, qcolor(color, 0.95))
            grad.setColorAt(1.0, qcolor(color, 0.55))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(grad)
            p.drawPolygon(band)
            # the figure inside the band, as large as the band's narrow end lets it be
            inside = min(w_top, w_bottom) * 0.88
            num = make_font(max(floor, min(int(self.px("body") * 1.25), int((band_h - gap) * 0.5))),
                            bold=True, numbers=True)
            num = fit_font(s["value"], num, inside, floor)
            self.text(p, QRectF(cx - inside / 2, y, inside, band_h - gap), ALIGN_CENTER,
                      s["value"], num, c["text"])
            # a thin leader from the band's edge to its label
            edge = cx + (w_top + w_bottom) / 4
            mid = y + (band_h - gap) / 2
            p.setPen(qcolor(color, 0.7))
            p.drawLine(QPointF(edge + 4, mid), QPointF(label_x - 4, mid))
            name_font = fit_font(s["name"], make_font(name_px), label_w, floor)
            rate_font = make_font(rate_px)
            if one_line or s["rate"] is None:
                self.text(p, QRectF(label_x, y, label_w, band_h - gap), ALIGN_LEFT, s["name"],
                          name_font, c["text"])
                if s["rate"] is not None and one_line:  # the rate goes into the name's line
                    self.drawn.pop()
                    self.text(p, QRectF(label_x, y, label_w, band_h - gap), ALIGN_LEFT,
                              f"{s['name']} {s['rate'].removeprefix('转化率 ')}",
                              name_font, c["text"])
                continue
            name_h = QFontMetrics(name_font).height()
            rate_h = QFontMetrics(rate_font).height()
            top = mid - (name_h + rate_h) / 2
            self.text(p, QRectF(label_x, top, label_w, name_h), ALIGN_LEFT, s["name"], name_font,
                      c["text"])
            self.text(p, QRectF(label_x, top + name_h, label_w, rate_h), ALIGN_LEFT, s["rate"],
                      rate_font, s["rate_color"])
        if shown["overall"]:
            self.text(p, QRectF(area.left(), body.bottom(), area.width(), foot_h), ALIGN_CENTER,
                      shown["overall"], small, shown["overall_color"])


def _pct(rate: float | None) -> str:
    return PLACEHOLDER if rate is None else f"{rate:.1f}%"
