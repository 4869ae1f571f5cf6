"""What the control machinery shows over the wall: the takeover banner across the top of
every window, a status line at the bottom (the broker lost), and the token's QR code."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QWidget
from shiboken6 import isValid

from cockpit.model.theme import theme


def _css(background: str, color: str, px: int, extra: str = "") -> str:
    return (f"background: {background}; color: {color}; font-size: {px}px; {extra}")


def banner_css(px: int) -> str:
    """Opaque, in the theme's colours: nothing of the screen shows through the banner."""
    t = theme()
    return _css(t.color("critical"), t.color("text"), px,
                f"font-weight: bold; padding: 4px 24px; border-bottom: 3px solid {t.color('accent_2')};")


def replay_css(px: int) -> str:
    """The replay band: amber, unlike anything live, so nobody takes the past for now."""
    t = theme()
    return _css(t.color("accent_2"), t.color("background"), px,
                "font-weight: bold; padding: 2px 24px;")


def status_css(px: int) -> str:
    t = theme()
    return _css(t.color("title_strip"), t.color("stale"), px, "padding: 4px 16px;")


class QrPanel(QWidget):
    """A QR code drawn square by square with QPainter, a caption beneath."""

    def __init__(self, matrix: list[list[bool]], caption: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.matrix = matrix
        self.caption = caption

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), QColor("white"))
            n = len(self.matrix)
            side = min(self.width(), self.height() - 40)
            cell = side / max(n, 1)
            x0 = (self.width() - side) / 2
            for y, row in enumerate(self.matrix):
                for x, on in enumerate(row):
                    if on:
                        p.fillRect(QRectF(x0 + x * cell, y * cell, cell + 0.5, cell + 0.5), QColor("black"))
            p.setPen(QColor("black"))
            p.drawText(QRectF(0, side, self.width(), 40), Qt.AlignmentFlag.AlignCenter, self.caption)
        finally:
            p.end()


def qr_matrix(text: str) -> list[list[bool]]:
    import qrcode

    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


class WallOverlay(QObject):
    def __init__(self, shell) -> None:
        super().__init__()
        self.shell = shell
        self.banners = [self._label(w, banner_css(30)) for w in shell.windows]
        self.statuses = [self._label(w, status_css(18)) for w in shell.windows]
        self.notices = [self._label(w, status_css(18)) for w in shell.windows]
        self.replays = [self._label(w, replay_css(24)) for w in shell.windows]
        self.brief = self._label(shell.windows[0], status_css(18))  # the step counter
        for banner in self.banners:
            banner.setWordWrap(True)  # a long title wraps to a second line before it is cut
        self._parts: tuple[str, str, str] | None = None
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(lambda: self.set_notice(None))
        # a wall closed while a notice shows: its labels go with the windows, and so does
        # the timer that would take the notice down
        shell.windows[0].destroyed.connect(self._notice_timer.stop)
        self.qr: QrPanel | None = None
        for window in shell.windows:
            window.installEventFilter(self)

    @staticmethod
    def _label(window: QWidget, css: str) -> QLabel:
        label = QLabel(window)
        label.setTextFormat(Qt.TextFormat.PlainText)  # alert titles are feed text: never HTML
        label.setStyleSheet(css)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.hide()
        return label

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        for window, banner, status, notice in zip(self.shell.windows, self.banners, self.statuses,
                                                  self.notices, strict=True):
            w, h = window.width(), window.height()
            px = max(20, min(h // 36, w // 40))  # 30 px at 1080p, 60 at 4K, smaller when narrow
            small = max(16, px * 3 // 5)
            banner.setStyleSheet(banner_css(px))
            status.setStyleSheet(status_css(small))
            notice.setStyleSheet(status_css(small))
            text = self._fit(banner, w) if self._parts is not None else ""
            banner.setText(text)
            lines = 1 if banner.fontMetrics().horizontalAdvance(text) <= w - 60 else 2
            banner.setGeometry(0, 0, w, max(56, lines * int(px * 1.5) + 16))
            status.setGeometry(0, h - 2 * small, w, 2 * small)
            replay = self.replays[self.shell.windows.index(window)]
            replay.setStyleSheet(replay_css(small + 4))
            top = banner.height() if banner.isVisible() else 0
            replay.setGeometry(0, top, w, 2 * small + 8)
            if window is self.shell.windows[0]:
                self.brief.setStyleSheet(status_css(small + 2))
                text_w = self.brief.fontMetrics().horizontalAdvance(self.brief.text()) + 48
                width = min(w, text_w)
                self.brief.setGeometry(w - width, h - 4 * small - 8 - 2 * small, width, 2 * small + 4)
            notice.setGeometry(0, h - 4 * small - 4, w, 2 * small)
        if self.qr is not None:
            window = self.shell.windows[0]
            side = min(window.width(), window.height()) // 2
            self.qr.setGeometry((window.width() - side) // 2, (window.height() - side) // 2,
                                side, side + 40)

    def _fit(self, banner: QLabel, width: int) -> str:
        """The banner's text for a window ``width`` wide: the tag and the tail whole, the title
        on up to two lines, shortened in the middle (where it says least) when even two lines
        cannot hold it."""
        tag, title, tail = self._parts
        metrics = banner.fontMetrics()
        room = 2 * (width - 60) - metrics.horizontalAdvance(tag + tail) - metrics.averageCharWidth() * 4
        if metrics.horizontalAdvance(title) > room:
            title = metrics.elidedText(title, Qt.TextElideMode.ElideMiddle, max(room, 0))
        return tag + title + tail

    def set_banner(self, parts: tuple[str, str, str] | str | None) -> None:
        """The takeover banner on every screen: (tag, title, tail) from
        ``takeover.banner_parts`` (or plain text), or None to take it down."""
        self._parts = ("", parts, "") if isinstance(parts, str) else parts
        for banner in self.banners:
            banner.setVisible(bool(parts))
            banner.raise_()
        self._place()

    def set_replay(self, text: str | None) -> None:
        """The replay band on every screen (回放 and the replayed time), or None when live."""
        for band in self.replays:
            band.setText(text or "")
            band.setVisible(bool(text))
            band.raise_()
        self._place()

    def set_brief(self, text: str | None) -> None:
        """The briefing's step counter on the first screen, or None when no briefing runs."""
        self.brief.setText(text or "")
        self.brief.setVisible(bool(text))
        self.brief.raise_()
        self._place()

    @property
    def replay_text(self) -> str | None:
        return None if self.replays[0].isHidden() else self.replays[0].text()

    def set_notice(self, text: str | None, seconds: float = 30.0) -> None:
        """A line above the status line for a while (e.g. an alert cleared at the source)."""
        if not all(isValid(n) for n in self.notices):  # the wall was closed meanwhile
            return
        for notice in self.notices:
            notice.setText(text or "")
            notice.setVisible(bool(text))
            notice.raise_()
        if text:
            self._notice_timer.start(int(seconds * 1000))
        self._place()

    def set_status(self, text: str | None) -> None:
        for status in self.statuses:
            status.setText(text or "")
            status.setVisible(bool(text))
            status.raise_()
        self._place()

    @property
    def banner_text(self) -> str | None:
        """The banner's whole text (not shortened), or None when there is none."""
        if self.banners[0].isHidden() or self._parts is None:
            return None
        return "".join(self._parts)

    def toggle_qr(self, secret: str | None, caption: str = "扫码获取大屏控制口令 · 再按 F2 关闭") -> bool:
        """Show the QR code of ``secret`` on the first screen, or hide it; whether it shows."""
        if self.qr is not None:
            self.qr.deleteLater()
            self.qr = None
            return False
        if not secret:
            return False
        self.qr = QrPanel(qr_matrix(secret), caption, self.shell.windows[0])
        self._place()
        self.qr.show()
        self.qr.raise_()
        return True
