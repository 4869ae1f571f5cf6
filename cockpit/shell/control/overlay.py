"""What the control machinery shows over the wall: the takeover banner across the top of
every window, a status line at the bottom (the broker lost), and the token's QR code."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QWidget

BANNER_CSS = ("background: rgba(200, 30, 40, 235); color: white; font-size: 30px; "
              "font-weight: bold; padding: 8px 24px; border-bottom: 3px solid #ffd166;")
STATUS_CSS = "background: rgba(30, 40, 60, 220); color: #ffd166; font-size: 18px; padding: 4px 16px;"


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
        self.banners = [self._label(w, BANNER_CSS) for w in shell.windows]
        self.statuses = [self._label(w, STATUS_CSS) for w in shell.windows]
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
        for window, banner, status in zip(self.shell.windows, self.banners, self.statuses, strict=True):
            w, h = window.width(), window.height()
            banner.setGeometry(0, 0, w, max(56, h // 14))
            status.setGeometry(0, h - 34, w, 34)
        if self.qr is not None:
            window = self.shell.windows[0]
            side = min(window.width(), window.height()) // 2
            self.qr.setGeometry((window.width() - side) // 2, (window.height() - side) // 2,
                                side, side + 40)

    def set_banner(self, text: str | None) -> None:
        for banner in self.banners:
            banner.setText(text or "")
            banner.setVisible(bool(text))
            banner.raise_()
        self._place()

    def set_status(self, text: str | None) -> None:
        for status in self.statuses:
            status.setText(text or "")
            status.setVisible(bool(text))
            status.raise_()
        self._place()

    @property
    def banner_text(self) -> str | None:
        return None if self.banners[0].isHidden() else self.banners[0].text()

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
