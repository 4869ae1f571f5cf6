"""``feeds``: the status strip of the data sources — one row per feed with a coloured state,
how long ago it last delivered, and its last error (already redacted), failing ones first."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter

from cockpit.model.numbers import format_age
from cockpit.panels.freshness import short_error
from cockpit.panels.viewmodels import FeedsVM
from widgets.base import PanelFrame, make_font, qcolor

STATE_TEXT = {"ok": "正常", "partial": "部分", "failing": "故障"}
STATE_COLOR = {"ok": "good", "partial": "stale", "failing": "failed"}


class FeedsPanel(PanelFrame):
    vm: FeedsVM | None

    def shown(self, now: datetime | None = None) -> list[tuple[str, str, str, str]]:
        """The rows as drawn: (feed, state text, age text, detail text)."""
        vm = self.vm
        if vm is None:
            return []
        now = now or self._now
        row_h = self.theme.sizes["small_min"] * 1.6
        fit = max(1, int(self.content_rect().height() // row_h))
        out = []
        for r in vm.rows[:fit]:
            age = (format_age((now - r.last_success).total_seconds()) if r.last_success
                   else "从未成功")
            detail = short_error(r.error, 200) if r.error else f"累计 {r.rows:,} 行"
            out.append((r.feed, STATE_TEXT[r.state], age, detail))
        return out

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        rows = self.shown()
        c = self.theme.colors
        if not rows:
            p.setFont(make_font(self.px("body")))
            p.setPen(qcolor(c["text_dim"]))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "尚未接入数据源")
            return
        states = [r.state for r in self.vm.rows[: len(rows)]]
        # rows stack from the top at a readable pitch; a few feeds do not spread over the panel
        row_h = min(rect.height() / max(len(rows), 1), self.px("body") * 2.4)
        px = max(self.theme.sizes["small_min"], min(self.px("body"), int(row_h * 0.5)))
        font, bold = make_font(px), make_font(px, bold=True)
        fm = QFontMetrics(font)
        name_w = max(QFontMetrics(bold).horizontalAdvance(r[0]) for r in rows) + 16
        state_w = fm.horizontalAdvance("故障") + 16
        age_w = max(fm.horizontalAdvance(r[2]) for r in rows) + 16
        for i, ((feed, state_text, age, detail), state) in enumerate(zip(rows, states,
                                                                          strict=True)):
            y = rect.top() + i * row_h
            colour = qcolor(c[STATE_COLOR[state]])
            d = px * 0.6
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawEllipse(QRectF(rect.left(), y + (row_h - d) / 2, d, d))
            x = rect.left() + d + 8
            mid = Qt.AlignmentFlag.AlignVCenter
            p.setFont(bold)
            p.setPen(qcolor(c["text"]))
            p.drawText(QRectF(x, y, name_w, row_h), mid | Qt.AlignmentFlag.AlignLeft, feed)
            x += name_w
            p.setPen(colour)
            p.drawText(QRectF(x, y, state_w, row_h), mid | Qt.AlignmentFlag.AlignLeft, state_text)
            x += state_w
            p.setFont(font)
            p.setPen(qcolor(c["text"] if state == "ok" else c["stale"]))
            p.drawText(QRectF(x, y, age_w, row_h), mid | Qt.AlignmentFlag.AlignLeft, age)
            x += age_w
            p.setPen(qcolor(c["text_dim"] if state == "ok" else c["failed"]))
            room = max(0, int(rect.right() - x))
            p.drawText(QRectF(x, y, room, row_h), mid | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(detail, Qt.TextElideMode.ElideRight, room))
