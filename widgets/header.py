"""The header bar on the first screen of each layout: city, layout title, date and time."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QLinearGradient, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from cockpit.theme import theme
from widgets.base import SITE_ZONE, make_font, qcolor

WEEKDAYS = "一二三四五六日"
CITY = "潍坊市城市大脑 · 数据调度展示中心"


def paint_backdrop(p: QPainter, r: QRectF, colors: dict[str, str]) -> None:
    """The title bar's look, shared by the wall's header and the ``header`` panel kind:
    a strip fading into the background, closed by the accent line."""
    grad = QLinearGradient(r.topLeft(), r.bottomLeft())
    grad.setColorAt(0, qcolor(colors["title_strip"]))
    grad.setColorAt(1, qcolor(colors["background"]))
    p.fillRect(r, grad)
    p.setPen(QPen(qcolor(colors["card_edge"]), 2))
    p.drawLine(QPointF(r.left(), r.bottom() - 1), QPointF(r.right(), r.bottom() - 1))


class HeaderBar(QWidget):
    def __init__(self, layout_name: str, screen_title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme()
        self.layout_name = layout_name
        self.screen_title = screen_title
        self.notice = ""  # a transient line (e.g. a layout file that failed to load)
        self._now = datetime.now(UTC)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def clock_text(self) -> str:
        local = self._now.astimezone(SITE_ZONE)
        return local.strftime("%Y年%m月%d日 ") + f"星期{WEEKDAYS[local.weekday()]} " + local.strftime("%H:%M:%S")

    def set_now(self, now: datetime) -> None:
        before = self.clock_text()
        self._now = now
        if self.clock_text() != before:
            self.update()

    def set_notice(self, text: str) -> None:
        self.notice = text
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        c = self.theme.colors
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            r = QRectF(self.rect())
            paint_backdrop(p, r, c)
            h = r.height()
            side = make_font(max(self.theme.sizes["body_min"], int(h * 0.3)))
            p.setFont(side)
            p.setPen(qcolor(c["text_dim"]))
            third = r.width() / 3.4
            p.drawText(QRectF(24, 0, third, h), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, CITY)
            p.drawText(QRectF(r.width() - third - 24, 0, third, h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.clock_text())
            title = make_font(max(self.theme.sizes["title_min"], int(h * 0.5)), bold=True)
            p.setFont(title)
            p.setPen(qcolor(c["title"]))
            name = self.layout_name + (f" · {self.screen_title}" if self.screen_title else "")
            p.drawText(QRectF(third + 24, 0, r.width() - 2 * third - 48, h), Qt.AlignmentFlag.AlignCenter, name)
            if self.notice:
                p.setFont(make_font(self.theme.sizes["small_min"]))
                p.setPen(qcolor(c["stale"]))
                p.drawText(QRectF(24, h * 0.7, r.width() - 48, h * 0.3),
                           Qt.AlignmentFlag.AlignCenter, self.notice)
        finally:
            p.end()
