"""``ticker``: one line of headlines moving slowly from right to left.

The card and the line of text are each drawn once into a picture; a moving frame only copies
the text picture at its new offset into the content area (a few hundred pixels high at most),
every display frame (~60 a second) and only while the panel is on show. The line moves by the
time that passed, not by frames counted, so a frame the GUI thread delivers late does not slow
the text down, it only makes that one step longer (issue 18: smooth motion)."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPixmap

from cockpit.panels.viewmodels import TickerVM
from widgets.base import PanelFrame, make_font, qcolor

FRAME_MS = 16  # the timer: about one display frame
STEP_MS = 50  # what advance() counts in: a step is 50 ms of motion
#: A longer gap (the panel hidden, the GUI thread held) moves the line on by this much at most:
#: the text resumes where it was rather than jumping.
MAX_GAP_S = 0.25
SEPARATOR = "　　◆　　"


class TickerPanel(PanelFrame):
    vm: TickerVM | None

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.offset = 0.0  # pixels the line has moved left
        self._line: QPixmap | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._last_frame: float | None = None  # perf_counter of the last frame moved

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.vm is not None and self.vm.items:
            self._timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._timer.stop()
        self._last_frame = None

    def on_view_model(self, vm) -> None:
        self._line = None
        if vm is not None and vm.items and self.isVisible():
            self._timer.start()

    def on_scale_changed(self) -> None:
        self._line = None

    def drop_pictures(self) -> None:
        self._line = None

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._line = None

    def text(self) -> str:
        return SEPARATOR.join(self.vm.items) + SEPARATOR if self.vm and self.vm.items else ""

    def shown(self) -> dict[str, object]:
        return {"items": self.vm.items if self.vm else (), "offset": self.offset,
                "text": self.text()}

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        last, self._last_frame = self._last_frame, now
        gap = FRAME_MS / 1000 if last is None else min(now - last, MAX_GAP_S)
        self.advance(gap * 1000 / STEP_MS)

    def advance(self, frames: float = 1) -> None:
        """Move the line on by ``frames`` steps of STEP_MS at the panel's speed."""
        speed = float(self.spec.get("speed") or 40) * self.screen_scale
        self.offset += speed * STEP_MS / 1000 * frames
        line = self._ensure_line()
        if line is not None and line.width() > 0:
            self.offset %= line.width() / line.devicePixelRatio()
        self.update(self.content_rect())

    def _font(self):
        return make_font(max(self.px("body"), min(int(self.content_rect().height() * 0.5),
                                                  int(self.px("body") * 1.6))))

    def _ensure_line(self) -> QPixmap | None:
        if self._line is None and self.text():
            font = self._font()
            fm = QFontMetrics(font)
            dpr = self.devicePixelRatioF()
            h = self.content_rect().height()
            pix = QPixmap(max(1, int(fm.horizontalAdvance(self.text()) * dpr)), max(1, int(h * dpr)))
            pix.setDevicePixelRatio(dpr)
            pix.fill(qcolor(self.theme.colors["card"]))
            p = QPainter(pix)
            try:
                p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
                p.setFont(font)
                p.setPen(qcolor(self.theme.colors["text"]))
                p.drawText(QPointF(0, (h + fm.ascent() - fm.descent()) / 2), self.text())
            finally:
                p.end()
            self._line = pix
        return self._line

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        """Nothing static inside the card: the line is laid over it in paintEvent."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if self.vm is None or self.vm.as_of is None:
            return
        line = self._ensure_line()
        if line is None:
            return
        rect = self.content_rect()
        width = line.width() / line.devicePixelRatio()
        p = QPainter(self)
        try:
            p.setClipRect(rect)
            x = rect.left() - self.offset
            while x < rect.right():
                p.drawPixmap(QPointF(x, rect.top()), line)
                x += width
            if self.stale:
                p.fillRect(rect, qcolor(self.theme.colors["card"], 0.6))
        finally:
            p.end()
