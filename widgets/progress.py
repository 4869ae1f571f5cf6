"""``progress``: indicators against their annual targets (年度目标完成率), sorted, with the line of
the year's elapsed time (序时进度); a row behind that line is drawn in the warning colour."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen

from cockpit.model.numbers import LEVEL_COLORS, NumberStyle
from cockpit.panels.viewmodels import ProgressVM
from widgets.base import PanelFrame, make_font, qcolor


class ProgressPanel(PanelFrame):
    vm: ProgressVM | None
    #: what the last paint drew: each row's figures (text, right edge, top, bottom) and the
    #: pace line (x, its dashes' spans top to bottom), or None before a paint
    drawn: dict[str, object] | None = None

    def _rows_that_fit(self, rect: QRect) -> int:
        legend = self.theme.sizes["small_min"] * 1.5
        return max(1, int((rect.height() - legend) // (self.theme.sizes["small_min"] * 2.2)))

    def shown(self) -> list[dict[str, object]]:
        """The rows as drawn, top to bottom: name, rate text, figure text, colour role."""
        vm = self.vm
        if vm is None or not vm.rows:
            return []
        out = []
        # one number of decimals for the whole panel (set, or one where any figure has a fraction)
        fraction = {r.unit for r in vm.rows for v in (r.value, r.target)
                    if v is not None and abs(v) < 100 and v != int(v)}  # units that need them
        decimals = vm.style.decimals
        for row in vm.rows[: self._rows_that_fit(self.content_rect())]:
            pct = row.percent
            by_value = vm.measure == "value"
            level = vm.style.level(row.value if by_value else pct)
            if level is None and vm.pace is not None and pct is not None:
                level = "good" if pct >= vm.pace else "warn"
            plain = NumberStyle(unit=row.unit)
            places = decimals if decimals is not None else (1 if row.unit == "%" or row.unit in fraction else 0)
            value, target = plain.text(row.value, places), plain.text(row.target, places)
            if by_value:  # the figure itself on the right, the bar full at the target
                out.append({"name": row.name, "rate": value, "level": level,
                            "percent": None if pct is None else min(pct, 100.0),
                            "figures": f"目标 {target}"})
                continue
            # the unit once, after the target, when both figures have it: "2,156 / 2,400亿元"
            digits, unit = plain.parts(row.value, places)
            figures = f"{digits if unit and target.endswith(unit) else value} / {target}"
            out.append({"name": row.name, "rate": "—" if pct is None else f"{pct:.1f}%",
                        "percent": pct, "figures": figures, "level": level})
        return out

    def pace_text(self) -> str | None:
        vm = self.vm
        return None if vm is None or vm.pace is None else f"序时进度 {vm.pace:.1f}%"

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        rows = self.shown()
        if not rows:
            return
        c = self.theme.colors
        small = make_font(self.px("small"))
        sfm = QFontMetrics(small)
        legend_h = int(self.px("small") * 1.5)
        body = rect.adjusted(0, 0, 0, -legend_h)
        row_h = body.height() / len(rows)
        px = max(self.theme.sizes["small_min"], min(self.px("body"), int(row_h * 0.36)))
        font = make_font(px)
        num = make_font(px, bold=True, numbers=True)
        fm, nfm = QFontMetrics(font), QFontMetrics(num)
        name_w = min(int(body.width() * 0.34), max(fm.horizontalAdvance(r["name"]) for r in rows) + 10)
        rate_w = max(nfm.horizontalAdvance(r["rate"]) for r in rows) + 10
        bar_x = body.left() + name_w
        bar_w = max(20, body.width() - name_w - rate_w)
        full = max(100.0, max((r["percent"] or 0) for r in rows))
        texts: list[tuple[str, float, float, float]] = []  # figures: text, right, top, bottom
        for i, r in enumerate(rows):
            y = body.top() + i * row_h
            p.setFont(font)
            p.setPen(qcolor(c["text"]))
            p.drawText(QRectF(body.left(), y, name_w - 8, row_h * 0.6),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       fm.elidedText(r["name"], Qt.TextElideMode.ElideRight, name_w - 8))
            track = QRectF(bar_x, y + row_h * 0.18, bar_w, row_h * 0.26)
            p.fillRect(track, qcolor(c["grid"], 0.6))
            color = c[LEVEL_COLORS[r["level"]]] if r["level"] else c["accent"]
            frac = 0.0 if r["percent"] is None else max(0.0, min(r["percent"] / full, 1.0))
            p.fillRect(QRectF(track.left(), track.top(), track.width() * frac, track.height()),
                       qcolor(color))
            p.setFont(num)
            p.setPen(qcolor(color))
            p.drawText(QRectF(bar_x + bar_w + 6, y, rate_w - 6, row_h * 0.6),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, r["rate"])
            p.setFont(small)
            p.setPen(qcolor(c["text_dim"]))
            figures = sfm.elidedText(r["figures"], Qt.TextElideMode.ElideRight, int(bar_w))
            p.drawText(QRectF(bar_x, y + row_h * 0.46, bar_w, row_h * 0.5),
                       Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, figures)
            texts.append((figures, bar_x + sfm.horizontalAdvance(figures), y + row_h * 0.46,
                          y + row_h * 0.46 + sfm.height()))
        pace = self.vm.pace
        if pace is not None:
            x = bar_x + bar_w * min(pace / full, 1.0)
            pen = QPen(qcolor(c["accent_2"]), max(1.5, 2 * self.scale), Qt.PenStyle.DashLine)
            p.setPen(pen)
            # from top to bottom, but never through a row's figures (the line stops short)
            top, segments = body.top(), []
            for _, right, text_top, text_bottom in texts:
                if x <= right + 4:
                    p.drawLine(QPointF(x, top), QPointF(x, text_top))
                    segments.append((top, text_top))
                    top = text_bottom
            p.drawLine(QPointF(x, top), QPointF(x, body.bottom()))
            segments.append((top, body.bottom()))
            p.setFont(small)
            p.setPen(qcolor(c["accent_2"]))
            text = self.pace_text()
            tw = sfm.horizontalAdvance(text)
            p.drawText(QRectF(min(x - tw / 2, rect.right() - tw), body.bottom(), tw + 4, legend_h),
                       Qt.AlignmentFlag.AlignCenter, text)
        self.drawn = {"figures": texts, "pace": (x, segments) if pace is not None else None}
