"""The header bar on the first screen of each layout: city, layout title, date and time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QLinearGradient,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from cockpit.model.theme import theme
from widgets.base import SITE_ZONE, fit_font, make_font, qcolor

WEEKDAYS = "一二三四五六日"
CITY = "潍坊市城市大脑 · 数据调度展示中心"
CITY_SHORT = "潍坊市城市大脑"


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
    clock_moved = Signal()  # the time it shows changed (a standby face follows it)

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
            self.clock_moved.emit()

    def set_notice(self, text: str) -> None:
        self.notice = text
        self.update()

    def arrange(self, width: float, height: float) -> list[tuple[str, QRectF, str, QFont, int]]:
        """Where the city, the title and the clock go: (role, box, text, font, alignment).

        On a full screen all three sit on one line at their full size. On a narrow one (a
        two-screen layout tiled onto one laptop screen, 960 px a screen) the sides shorten first
        (the city to its name, the clock to the time), then the title shrinks to its least
        readable size, then the city goes and, last, the title is cut with "…": nothing
        overlaps whatever the width."""
        h, margin = height, 24.0
        name = self.layout_name + (f" · {self.screen_title}" if self.screen_title else "")
        side = make_font(max(self.theme.sizes["body_min"], int(h * (0.4 if self.notice else 0.3))))
        sfm = QFontMetrics(side)
        local = self._now.astimezone(SITE_ZONE)
        # under a notice the line has 70 % of the bar: the title a little smaller to fit it
        full_title = max(self.theme.sizes["title_min"], int(h * (0.62 if self.notice else 0.5)))
        tries = [(CITY, self.clock_text(), full_title),
                 (CITY_SHORT, local.strftime("%H:%M:%S"), full_title),
                 (CITY_SHORT, local.strftime("%H:%M:%S"), self.theme.sizes["title_min"]),
                 ("", local.strftime("%H:%M:%S"), self.theme.sizes["title_min"])]
        for city, clock, size in tries:
            title = make_font(size, bold=True)
            tw = QFontMetrics(title).horizontalAdvance(name)
            cw, kw = (sfm.horizontalAdvance(city) if city else 0), sfm.horizontalAdvance(clock)
            gap = sfm.horizontalAdvance("　")
            # the title stays centred: each half must clear the wider side
            if tw / 2 + gap + margin + max(cw, kw) <= width / 2:
                break
        room = max(0.0, width - 2 * (margin + max(cw, kw) + gap))
        shown = QFontMetrics(title).elidedText(name, Qt.TextElideMode.ElideRight, int(room))
        left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        out = [("title", QRectF((width - room) / 2, 0, room, h), shown, title,
                Qt.AlignmentFlag.AlignCenter)]
        if city:
            out.append(("city", QRectF(margin, 0, cw, h), city, side, left))
        out.append(("clock", QRectF(width - margin - kw, 0, kw, h), clock, side, right))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        c = self.theme.colors
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            r = QRectF(self.rect())
            paint_backdrop(p, r, c)
            h = r.height()
            # a notice takes the bottom third: the line above it is laid out in the rest
            for role, box, text, font, align in self.arrange(r.width(),
                                                             h * 0.7 if self.notice else h):
                p.setFont(font)
                p.setPen(qcolor(c["title" if role == "title" else "text_dim"]))
                p.drawText(box, align, text)
            if self.notice:
                p.setFont(make_font(self.theme.sizes["small_min"]))
                p.setPen(qcolor(c["stale"]))
                p.drawText(QRectF(24, h * 0.7, r.width() - 48, h * 0.3),
                           Qt.AlignmentFlag.AlignCenter, self.notice)
        finally:
            p.end()


class StandbyFace(QWidget):
    """A screen the layout on show does not use: the time, the date and why the screen waits,
    each fitted to the width so nothing is cut on a small screen. It follows the clock of the
    header above it (which the pump advances)."""

    def __init__(self, header: HeaderBar, line: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme()
        self.header = header
        self.line = line
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        header.clock_moved.connect(self.update)
        # Its lines are too big for Qt's glyph cache (a quarter and a fourteenth of the screen
        # high) and were filled as paths at every paint: 5.8 ms a paint at 1080p in a new second,
        # at every switch to a layout that leaves this screen waiting. Now the time is put
        # together from one picture per character (drawn once per font and colour), and the
        # date and the reason are kept as pictures while their text and box stay: 0.8 ms a
        # paint, 1.5 ms in a new second (the time's new characters placed again).
        self._glyph_key: tuple | None = None
        self._glyphs: dict[str, QPixmap] = {}
        self._pictures: dict[int, tuple[tuple, QPixmap]] = {}

    def arrange(self, width: float, height: float) -> list[tuple[QRectF, str, QFont]]:
        """(box, text, font) of the time, the date and the line, centred, each within
        ``width`` (less a margin) and the three within ``height``."""
        local = self.header._now.astimezone(SITE_ZONE)
        texts = [local.strftime("%H:%M:%S"),
                 local.strftime("%Y年%m月%d日 ") + f"星期{WEEKDAYS[local.weekday()]}", self.line]
        room = max(1.0, width - 48)
        floor = self.theme.sizes["small_min"]
        sizes = [height * 0.28, height * 0.07, height * 0.05]
        fonts = [fit_font(text, make_font(max(floor, int(px)), numbers=i == 0), room, floor)
                 for i, (text, px) in enumerate(zip(texts, sizes, strict=True))]
        heights = [QFontMetrics(f).height() * (1.2 if i else 1.0) for i, f in enumerate(fonts)]
        top = max(0.0, (height - sum(heights)) / 2)
        out = []
        for text, font, h in zip(texts, fonts, heights, strict=True):
            shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, int(room))
            out.append((QRectF(24, top, room, h), shown, font))
            top += h
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        c = self.theme.colors
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.fillRect(self.rect(), qcolor(c["background"]))
            for i, (box, text, font) in enumerate(self.arrange(self.width(), self.height())):
                if i == 0:
                    self._draw_time(p, box, text, font, c["title"])
                else:
                    p.drawPixmap(box.topLeft(), self._picture(i, box, text, font, c["text_dim"]))
        finally:
            p.end()

    def _text_picture(self, width: float, height: float, font: QFont, color: str,
                      draw: Callable[[QPainter], None]) -> QPixmap:
        """A transparent picture of ``width`` × ``height`` at the screen's pixel ratio, with
        ``draw(painter)`` run on it in ``font`` and ``color``: text drawn once, copied at each
        paint."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        q = QPainter(pixmap)
        try:
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            q.setFont(font)
            q.setPen(qcolor(color))
            draw(q)
        finally:
            q.end()
        return pixmap

    def _picture(self, slot: int, box: QRectF, text: str, font: QFont, color: str) -> QPixmap:
        """The line ``slot`` drawn centred in a picture of ``box``'s size, kept while the text,
        the font, the box and the colour stay."""
        key = (text, font.key(), box.width(), box.height(), color, self.devicePixelRatioF())
        kept = self._pictures.get(slot)
        if kept is None or kept[0] != key:
            area = QRectF(0, 0, box.width(), box.height())
            pixmap = self._text_picture(
                area.width(), area.height(), font, color,
                lambda q: q.drawText(area, Qt.AlignmentFlag.AlignCenter, text))
            kept = self._pictures[slot] = (key, pixmap)
        return kept[1]

    def _draw_time(self, p: QPainter, box: QRectF, text: str, font: QFont, color: str) -> None:
        """The time centred in ``box``, a picture per character placed where the whole text's
        layout puts it (the advances of the text before it)."""
        key = (font.key(), color, self.devicePixelRatioF())
        if key != self._glyph_key:
            self._glyph_key, self._glyphs = key, {}
        fm = QFontMetricsF(font)
        pad = fm.height() * 0.25  # room for a glyph's ink beyond its advance
        left = box.left() + (box.width() - fm.horizontalAdvance(text)) / 2
        top = box.top() + (box.height() - fm.height()) / 2
        for i, ch in enumerate(text):
            glyph = self._glyphs.get(ch)
            if glyph is None:
                glyph = self._glyphs[ch] = self._text_picture(
                    fm.horizontalAdvance(ch) + 2 * pad, fm.height(), font, color,
                    lambda q, ch=ch: q.drawText(QPointF(pad, fm.ascent()), ch))
            p.drawPixmap(QPointF(left + fm.horizontalAdvance(text[:i]) - pad, top), glyph)
