"""``header``: a title bar as a panel — city and the panel's title (the layout's name) on the
left, date and time in the middle, a weather-style summary of live metrics on the right. The
clock shows minutes, so the bar is redrawn once a minute, not every second."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter

from cockpit.model.numbers import LEVEL_COLORS
from cockpit.panels.freshness import FAILED
from cockpit.panels.viewmodels import HeaderVM
from widgets.base import SITE_ZONE, PanelFrame, fit_font, make_font, qcolor
from widgets.title_bar import WEEKDAYS, paint_backdrop

CITY = "潍坊市"


class HeaderPanel(PanelFrame):
    vm: HeaderVM | None

    def clock_text(self) -> str:
        local = self._now.astimezone(SITE_ZONE)
        return local.strftime("%Y年%m月%d日 ") + f"星期{WEEKDAYS[local.weekday()]} " + local.strftime("%H:%M")

    def set_now(self, now: datetime) -> bool:
        before = self.clock_text()
        changed = super().set_now(now)
        if not changed and self.clock_text() != before:
            self.invalidate()
            return True
        return changed

    def summary_text(self) -> str:
        if self.vm is None:
            return ""
        return "　".join(f"{label} {value}" for label, value, _ in self.vm.summary)

    def shown(self) -> dict[str, object]:
        return {"title": f"{CITY} · {self.spec.title}", "clock": self.clock_text(),
                "summary": self.summary_text(), "badge": self.badge}

    def content_rect(self) -> QRect:
        pad = max(6, int(8 * self.scale))
        return self.rect().adjusted(pad, pad, -pad, -pad)

    def render_panel(self, p: QPainter) -> None:
        c = self.theme.colors
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        paint_backdrop(p, r, c)
        rect = self.content_rect()
        shown = self.shown()
        thirds = [QRectF(rect.left() + i * rect.width() / 3, rect.top(), rect.width() / 3,
                         rect.height()) for i in range(3)]
        px = max(self.theme.sizes["body_min"], min(int(rect.height() * 0.42), self.px("title") * 2))
        title = fit_font(shown["title"], make_font(px, bold=True), thirds[0].width() - 8,
                         self.theme.sizes["body_min"])
        p.setFont(title)
        p.setPen(qcolor(c["title"]))
        p.drawText(thirds[0], Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   QFontMetrics(title).elidedText(shown["title"], Qt.TextElideMode.ElideRight,
                                                  int(thirds[0].width() - 8)))
        body = fit_font(shown["clock"], make_font(int(px * 0.75)), thirds[1].width() - 8,
                        self.theme.sizes["small_min"])
        p.setFont(body)
        p.setPen(qcolor(c["text"]))
        p.drawText(thirds[1], Qt.AlignmentFlag.AlignCenter, shown["clock"])
        self._paint_summary(p, thirds[2], int(px * 0.6))

    def _paint_summary(self, p: QPainter, box: QRectF, px: int) -> None:
        c = self.theme.colors
        if self.vm is None or self.vm.as_of is None:
            p.setFont(make_font(max(self.theme.sizes["small_min"], px)))
            p.setPen(qcolor(c["text_dim"]))
            p.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       self.badge or "")
            return
        if self.stale and self.badge:  # old or failed: the figures dimmed, the reason beneath
            role = "failed" if self.freshness_state == FAILED else "stale"
            small = make_font(self.theme.sizes["small_min"])
            below = QRectF(box.left(), box.bottom() - box.height() * 0.4, box.width(),
                           box.height() * 0.4)
            box = QRectF(box.left(), box.top(), box.width(), box.height() * 0.6)
            p.setFont(small)
            p.setPen(qcolor(c[role]))
            p.drawText(below, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       QFontMetrics(small).elidedText(self.badge, Qt.TextElideMode.ElideRight,
                                                      int(below.width())))
        font = fit_font(self.summary_text(), make_font(px), box.width() - 8, self.theme.sizes["small_min"])
        fm = QFontMetrics(font)
        p.setFont(font)
        parts = [(f"{label} ", c["text_dim"]) for label, _, _ in self.vm.summary]
        values = [(f"{value}　", c[LEVEL_COLORS[role]] if role else c["text"])
                  for _, value, role in self.vm.summary]
        pieces = [x for pair in zip(parts, values, strict=True) for x in pair]
        total = sum(fm.horizontalAdvance(t) for t, _ in pieces)
        x = box.right() - min(total, box.width())
        for text, color in pieces:
            w = fm.horizontalAdvance(text)
            if x + w > box.right() + 1:
                break  # never past the edge (the font has already shrunk as far as it may)
            p.setPen(qcolor(c["text_dim"] if self.stale else color))
            p.drawText(QRectF(x, box.top(), w + 2, box.height()),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            x += w

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        """Drawn by render_panel as a whole."""
