"""``alerts``: open alerts, newest first, coloured by severity. Unacknowledged critical alerts
pulse until an operator acknowledges them (the wall's acknowledge key for now).

The pulse is smooth and cheap: the panel is drawn twice per change of its data, into its cached
picture with the critical rows dim and into a second picture with them lit; every display
frame (~60 a second, only while shown) cross-fades the lit rows over the dim ones by the time
in the pulse's cycle. A frame copies a few rows of pixels; it never redraws the panel (which
it did twice a second before, issue 18)."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPixmap

from cockpit.model.metrics import ALERT_CATEGORIES, SEVERITY_NAMES
from cockpit.panels.viewmodels import AlertsVM
from widgets.base import SITE_ZONE, PanelFrame, RenderQueue, make_font, qcolor

PULSE_MS = 600  # dim to lit (and lit to dim again): a cycle is twice this
FRAME_MS = 16  # the pulse's timer: about one display frame


class AlertsPanel(PanelFrame):
    vm: AlertsVM | None

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self._pulse_on = False  # drawing the lit picture (render_panel reads it)
        self._lit: QPixmap | None = None  # the panel with its critical rows lit
        self._hot: list[QRectF] = []  # the critical open rows, where the two pictures differ
        self._pulse = QTimer(self)
        self._pulse.setTimerType(Qt.TimerType.PreciseTimer)
        self._pulse.setInterval(FRAME_MS)
        self._pulse.timeout.connect(self._on_pulse_timeout)
        self._pulse_started = time.perf_counter()

    @property
    def flashing(self) -> bool:
        """Whether the panel is pulsing now (it has unacknowledged critical alerts and is shown)."""
        return self._pulse.isActive()

    @property
    def needs_attention(self) -> bool:
        """Unacknowledged critical alerts: the panel pulses while it is on show."""
        return bool(self.vm is not None and self.vm.unacked_critical)

    def on_view_model(self, vm: AlertsVM) -> None:
        self._sync_pulse()

    def _sync_pulse(self) -> None:
        # pulse only on screen: a hidden layout's panel would redraw twice a second for nobody
        if self.needs_attention and self.isVisible():
            if not self._pulse.isActive():
                self._pulse_started = time.perf_counter()
                self._pulse.start()
                if self._lit is None or self._lit_dirty:
                    RenderQueue.instance().schedule(self)  # (the dim picture is kept)
        elif self._pulse.isActive():
            self._pulse.stop()
            if not self.needs_attention:
                self._lit = None  # nothing to light: one picture
            # hidden but warm, both pictures stay (a switch back only copies pixels: drawing
            # the lit one again cost ~5 ms at every switch to a layout with critical alerts);
            # a cold panel drops both (drop_pictures)
            self.update()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._sync_pulse()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._sync_pulse()

    def _on_pulse_timeout(self) -> None:
        for rect in self._hot:
            self.update(rect.toAlignedRect())

    def glow(self) -> float:
        """How lit the critical rows are now: 0 (dim) … 1 (lit), a cosine over 2 × PULSE_MS."""
        t = (time.perf_counter() - self._pulse_started) * 1000 / (2 * PULSE_MS)
        return 0.5 - 0.5 * math.cos(2 * math.pi * t)

    def invalidate(self) -> None:
        self._lit_dirty = True
        super().invalidate()

    def drop_pictures(self) -> None:
        self._lit = None

    _lit_dirty = True

    def ensure_cache(self) -> QPixmap:
        """The dim picture first; the lit one on the render queue's next turn, so that no
        turn holds the GUI thread for two redraws."""
        fresh = self._cache is None or self._dirty
        cache = super().ensure_cache()
        if not (self._hot and self.needs_attention and not self.cold):
            self._lit = None
        elif self._lit is None or self._lit_dirty or self._lit.size() != cache.size():
            if fresh:
                RenderQueue.instance().schedule(self)
            else:
                self._lit = self._render_lit(cache)
                self._lit_dirty = False
        return cache

    def _render_lit(self, like: QPixmap) -> QPixmap:
        lit = self._lit
        if lit is None or lit.size() != like.size():
            lit = QPixmap(like.size())
            lit.setDevicePixelRatio(like.devicePixelRatio())
        p = QPainter(lit)
        self._pulse_on = True
        try:
            self.render_panel(p)
        finally:
            self._pulse_on = False
            p.end()
        return lit

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        lit = self._lit
        if not self._pulse.isActive() or lit is None or self._lit_dirty or not self._hot:
            return
        p = QPainter(self)
        try:
            p.setClipRegion(event.region())
            p.setOpacity(self.glow())
            dpr = lit.devicePixelRatio()
            for rect in self._hot:
                src = QRectF(rect.left() * dpr, rect.top() * dpr, rect.width() * dpr,
                             rect.height() * dpr)
                p.drawPixmap(rect, lit, src)
        finally:
            p.end()

    def _row_height(self) -> float:
        return max(self.px("body") * 1.75, self.theme.sizes["body_min"] * 1.75)

    def shown(self) -> list[dict[str, str]]:
        """The rows as drawn, top to bottom (only those that fit)."""
        vm = self.vm
        if vm is None:
            return []
        rect = self.content_rect()
        fit = max(0, int((rect.height() - self._row_height()) // self._row_height()))
        out = []
        for r in vm.rows[:fit]:
            out.append({
                "alert_id": r.alert_id, "severity": r.severity,
                "label": SEVERITY_NAMES.get(r.severity, r.severity),
                "time": self._when(r.ts),
                "title": r.title, "district": r.district, "state": r.state,
                "category": ALERT_CATEGORIES.get(r.category, r.category)})
        return out

    def _when(self, ts) -> str:
        """HH:MM today; earlier days carry their date so yesterday's alerts don't read as today's."""
        local = ts.astimezone(SITE_ZONE)
        today = self._now.astimezone(SITE_ZONE).date()
        if local.date() == today:
            return local.strftime("%H:%M")
        return f"{local.month}/{local.day} " + local.strftime("%H:%M")

    #: The alert's title keeps at least this much of a row: four characters and "…".
    TITLE_MIN = "某某某某…"

    def columns(self, width: float, rows: list[dict[str, str]]) -> tuple[float, float, float]:
        """Widths of the severity chip, the time and the district (or 已确认) columns in a row
        ``width`` wide; the title has the rest. Where the title would get less than
        :attr:`TITLE_MIN`, the district column goes first, then the time: the title says what
        happened, the chip how bad it is (an acknowledged alert's title is dimmed)."""
        fm = QFontMetrics(make_font(self.px("body")))
        chip_w = QFontMetrics(make_font(self.px("small"), bold=True)).horizontalAdvance("紧急") + 18
        time_w = max((fm.horizontalAdvance(r["time"]) for r in rows), default=0) + 16
        district_w = fm.horizontalAdvance("青州市") + 12
        room = width - (chip_w + 16) - fm.horizontalAdvance(self.TITLE_MIN)
        if room < time_w + district_w:
            district_w = 0
        if room < time_w:
            time_w = 0
        return chip_w, time_w, district_w

    def shown_columns(self) -> list[str]:
        """The columns the rows show at this size, left to right."""
        rows = self.shown()
        _, time_w, district_w = self.columns(self.content_rect().width(), rows)
        return ["severity"] + (["time"] if time_w else []) + ["title"] + (
            ["district"] if district_w else [])

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        c = self.theme.colors
        row_h = self._row_height()
        px = self.px("body")
        font = make_font(px)
        chip_font = make_font(self.px("small"), bold=True)
        # summary line: open alerts per severity
        x = rect.left()
        p.setFont(chip_font)
        for sev, n in self.vm.counts:
            text = f"● {SEVERITY_NAMES[sev]} {n}"
            w = QFontMetrics(chip_font).horizontalAdvance(text) + 4
            if x + w > rect.right():
                break
            p.setPen(qcolor(c[sev]))
            p.drawText(QRectF(x, rect.top(), w, row_h), Qt.AlignmentFlag.AlignVCenter, text)
            x += w + 16
        rows = self.shown()
        hot: list[QRectF] = []
        self._hot = hot
        if not rows:
            p.setFont(font)
            p.setPen(qcolor(c["text_dim"]))
            p.drawText(QRectF(rect.left(), rect.top() + row_h, rect.width(), row_h * 2),
                       Qt.AlignmentFlag.AlignCenter, "当前无未处置告警")
            return
        fm = QFontMetrics(font)
        chip_w, time_w, district_w = self.columns(rect.width(), rows)
        for i, r in enumerate(rows):
            y = rect.top() + (i + 1) * row_h
            row = QRectF(rect.left(), y + 2, rect.width(), row_h - 4)
            color = c[r["severity"]] if r["severity"] in c else c["info"]
            if r["severity"] == "critical" and r["state"] == "open":
                p.fillRect(row, qcolor(color, 0.42 if self._pulse_on else 0.16))
                hot.append(row)
            else:
                p.fillRect(row, qcolor(c["title_strip"], 0.55))
            chip = QRectF(row.left() + 6, row.top() + row.height() * 0.15, chip_w, row.height() * 0.7)
            p.setBrush(qcolor(color))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(chip, 4, 4)
            p.setFont(chip_font)
            p.setPen(qcolor("#ffffff"))
            p.drawText(chip, Qt.AlignmentFlag.AlignCenter, r["label"])
            p.setFont(font)
            p.setPen(qcolor(c["text_dim"]))
            left = chip.right() + 10
            if time_w:
                p.drawText(QRectF(left, row.top(), time_w, row.height()),
                           Qt.AlignmentFlag.AlignVCenter, r["time"])
            title_rect = QRectF(left + time_w, row.top(),
                                max(0.0, row.right() - left - time_w - district_w), row.height())
            p.setPen(qcolor(c["text"] if r["state"] == "open" else c["text_dim"]))
            title = fm.elidedText(r["title"], Qt.TextElideMode.ElideRight, int(title_rect.width()))
            p.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter, title)
            if district_w:
                p.setPen(qcolor(c["text_dim"]))
                p.drawText(QRectF(row.right() - district_w, row.top(), district_w - 6, row.height()),
                           Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                           "已确认" if r["state"] == "acked" else r["district"])
