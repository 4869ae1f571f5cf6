"""The panel card every kind shares: background, accent edge, title strip, freshness.

A panel is built from its PanelSpec and handed view-models; it never reads the store. It
repaints only when a new view-model differs from the one it shows, and when its freshness
changes (fresh -> stale, or the age written on the badge moves on).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from cockpit.model.metrics import district_name
from cockpit.model.theme import Theme, theme
from cockpit.panels.freshness import FAILED, SITE_ZONE, STALE, Freshness, Verdict, has_data, judge

__all__ = ["SITE_ZONE", "PanelFrame", "RenderQueue", "fit_font", "make_font", "qcolor"]


def qcolor(value: str, alpha: float | None = None) -> QColor:
    c = QColor(value)
    if alpha is not None:
        c.setAlphaF(alpha)
    return c


def make_font(px: int, *, bold: bool = False, numbers: bool = False, th: Theme | None = None) -> QFont:
    th = th or theme()
    f = QFont()
    f.setFamilies(list(th.number_families if numbers else th.families))
    f.setPixelSize(max(1, int(px)))
    f.setBold(bold)
    if numbers:
        f.setStyleHint(QFont.StyleHint.SansSerif)
    return f


def fit_font(text: str, font: QFont, width: float, floor: int) -> QFont:
    """Shrink ``font`` until ``text`` fits ``width`` (never below ``floor`` px)."""
    f = QFont(font)
    while f.pixelSize() > floor and QFontMetrics(f).horizontalAdvance(text) > width:
        f.setPixelSize(max(floor, int(f.pixelSize() * 0.92)))
    return f


_FAILED_BADGE = re.compile(r"^(?P<feed>.+? 故障)：(?P<error>.*?)(?P<tail> · 数据截至 .+)?$")


def fit_badge(text: str, fm: QFontMetrics, width: int) -> str:
    """A badge cut to ``width``. A failed feed's badge gives up its error before the feed's
    name and the time of the data: "数据中台 故障：HTTP 5… · 数据截至 12:03", then
    "数据中台 故障 · 数据截至 12:03"; anything else is cut at its end."""
    m = _FAILED_BADGE.match(text)
    if m is None or fm.horizontalAdvance(text) <= width:
        return fm.elidedText(text, Qt.TextElideMode.ElideRight, width)
    head, tail = m["feed"], m["tail"] or ""
    room = width - fm.horizontalAdvance(f"{head}：{tail}")
    if room >= fm.horizontalAdvance("HTTP…"):
        return f"{head}：{fm.elidedText(m['error'], Qt.TextElideMode.ElideRight, room)}{tail}"
    return fm.elidedText(head + tail, Qt.TextElideMode.ElideRight, width)


class PanelFrame(QWidget):
    """Base of every panel widget. Subclasses implement ``paint_content``."""

    def __init__(self, spec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.theme = theme()
        self.vm = None
        self.freshness: Freshness | None = None  # the feeds behind the data, from the pump
        self._now = datetime.now(UTC)
        self._verdict = judge(None, spec, None, self._now)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(120, 80)

    # -- data in ---------------------------------------------------------------------------
    def set_view_model(self, vm) -> bool:
        """Show ``vm``; returns whether anything changed (and so was repainted)."""
        if vm == self.vm:
            return False
        self.vm = vm
        self._verdict = self._judge()
        self.on_view_model(vm)
        self.invalidate()
        return True

    def on_view_model(self, vm) -> None:
        """Hook for kinds that keep child widgets (plots) in step with the data."""

    def set_now(self, now: datetime) -> bool:
        """Advance the panel's clock; repaints only if its freshness text changed."""
        self._now = now
        return self._rejudge()

    def set_freshness(self, freshness: Freshness | None) -> bool:
        """The state of the feeds behind the data (read by the pump off the GUI thread);
        repaints only if the panel's state or badge changed."""
        if freshness == self.freshness:
            return False
        self.freshness = freshness
        return self._rejudge()

    def _rejudge(self) -> bool:
        verdict = self._judge()
        if verdict == self._verdict:
            return False
        self._verdict = verdict
        self.on_freshness_changed()
        self.invalidate()
        return True

    def on_freshness_changed(self) -> None:
        """Hook for kinds with child widgets that must dim too."""

    # -- freshness -------------------------------------------------------------------------
    def _judge(self) -> Verdict:
        return judge(self.vm, self.spec, self.freshness, self._now)

    @property
    def freshness_state(self) -> str:
        """fresh, stale, failed, waiting (no data yet) or empty (no feed carries it)."""
        return self._verdict.state

    @property
    def stale(self) -> bool:
        """Whether the content is dimmed: its data is stale, or its feed failed."""
        return self._verdict.state in (STALE, FAILED) and has_data(self.vm)

    @property
    def badge(self) -> str | None:
        """The freshness text shown on the panel, or None when its data is fresh."""
        return self._verdict.badge

    @property
    def _badge(self) -> str | None:
        return self._verdict.badge

    # -- geometry --------------------------------------------------------------------------
    #: Text grows with a big cell only so far: a panel spanning many cells shows more rows,
    #: not giant letters. Hero numbers fit their box instead (see the kpi kind).
    MAX_CELL_GROWTH = 1.3
    screen_scale = 1.0  # the screen page's size against 1920x1080, set by the page

    def set_screen_scale(self, scale: float) -> None:
        if abs(scale - self.screen_scale) > 1e-3:
            self.screen_scale = scale
            self.on_scale_changed()
            self.invalidate()

    def on_scale_changed(self) -> None:
        """Hook for kinds with child widgets whose fonts follow the scale."""

    @property
    def cell_scale(self) -> float:
        """How big this panel is against the reference cell (one cell of 4x3 at 1920x1080)."""
        s = self.theme.sizes
        return max(0.5, min(self.width() / s["ref_width"], self.height() / s["ref_height"]))

    @property
    def scale(self) -> float:
        """Text scale: the screen's, adjusted for this cell within bounds."""
        relative = self.cell_scale / self.screen_scale
        return self.screen_scale * min(max(relative, 0.5), self.MAX_CELL_GROWTH)

    def px(self, name: str) -> int:
        return self.theme.scaled(name, self.scale)

    def title_height(self) -> int:
        return int(self.px("title") * 1.7)

    def content_rect(self) -> QRect:
        pad = max(8, int(12 * self.scale))
        top = self.title_height() + pad // 2
        bottom = self.badge_height() if self._badge else 0
        return QRect(pad, top, self.width() - 2 * pad, self.height() - top - pad - bottom)

    def badge_height(self) -> int:
        return int(self.px("small") * 1.6)

    # -- painting --------------------------------------------------------------------------
    # A panel is drawn once per change into a cached pixmap; every other paint (a layout
    # switch bringing it forward, a window exposed) only copies that pixmap. The pixmap is
    # drawn over in place while its size holds (no new allocation per redraw: a wall redraws
    # thousands of times an hour, and fresh pixmaps of a megabyte each fragment the heap).

    #: A cold panel (a layout the wall does not expect to show next: cockpit/shell/wall.py's
    #: warm policy) keeps no picture: it is drawn when shown, and its data still comes in.
    cold = False
    _cache: QPixmap | None = None
    _dirty = True

    def invalidate(self) -> None:
        """Something drawn changed: the picture is redrawn soon, one panel per event-loop
        turn (see RenderQueue), also for panels of layouts not on show but kept warm, so that
        a switch to them only copies pixels."""
        self._dirty = True
        if not self.cold:
            RenderQueue.instance().schedule(self)

    def set_cold(self, cold: bool) -> bool:
        """Drop the pictures (cold) or draw them ahead of a switch (warm, on the render queue);
        returns whether anything changed."""
        if cold == self.cold:
            return False
        self.cold = cold
        if cold:
            self._cache = None
            self._dirty = True
            self.drop_pictures()
        elif self._cache is None or self._dirty:
            RenderQueue.instance().schedule(self)
        return True

    def drop_pictures(self) -> None:
        """Hook for kinds that keep pictures of their own besides the panel's (dropped cold)."""

    def ensure_cache(self) -> QPixmap:
        dpr = self.devicePixelRatioF()
        cache = self._cache
        if cache is None or cache.size() != self.size() * dpr:
            cache = QPixmap(self.size() * dpr)
            cache.setDevicePixelRatio(dpr)
            self._dirty = True
        if self._dirty:
            p = QPainter(cache)
            try:
                self.render_panel(p)  # the card's background covers every pixel first
            finally:
                p.end()
            self._cache = cache
            self._dirty = False
        return cache

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        cache = self.ensure_cache()
        p = QPainter(self)
        try:
            p.drawPixmap(0, 0, cache)
        finally:
            p.end()

    def render_panel(self, p: QPainter) -> None:
        """Draw the whole panel: card, content (dimmed when stale) and freshness badge."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_card(p)
        if has_data(self.vm):
            rect = self.content_rect()
            self.paint_content(p, rect)
            if self.stale:  # dim what is old: a veil of the card's colour over the content
                p.fillRect(rect, qcolor(self.theme.colors["card"], 0.6))
        if self._badge:
            self._paint_badge(p)

    def _paint_card(self, p: QPainter) -> None:
        c = self.theme.colors
        p.fillRect(self.rect(), qcolor(c["background"]))
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        radius = self.theme.sizes["radius"]
        p.setPen(QPen(qcolor(c["card_edge"], 0.55), self.theme.sizes["edge"]))
        p.setBrush(qcolor(c["card"]))
        p.drawRoundedRect(r, radius, radius)
        th = self.title_height()
        strip = QRectF(r.left() + 1, r.top() + 1, r.width() - 2, th)
        p.fillRect(strip, qcolor(c["title_strip"]))
        p.fillRect(QRectF(strip.left(), strip.top(), max(4, 6 * self.scale), th), qcolor(c["card_edge"]))
        p.setPen(qcolor(c["title"]))
        font = make_font(self.px("title"), bold=True)
        p.setFont(font)
        text_rect = strip.adjusted(16 * self.scale + 6, 0, -8, 0)
        title = QFontMetrics(font).elidedText(self.display_title(), Qt.TextElideMode.ElideRight,
                                              int(text_rect.width()))
        # a title cut short keeps its whole text as the tooltip
        tip = self.display_title() if title != self.display_title() else ""
        if self.toolTip() != tip:
            self.setToolTip(tip)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)

    def display_title(self) -> str:
        if self.focus_district:
            return f"{self.spec.title}（{district_name(self.focus_district)}）"
        return self.spec.title

    # -- colour of change -----------------------------------------------------------------
    #: The screen's convention for colouring changes (cockpit.model.numbers.screen_convention),
    #: set by the page; None: the figure's own rule (a panel shown alone).
    change_convention: str | None = None

    def set_change_convention(self, convention: str | None) -> None:
        if convention != self.change_convention:
            self.change_convention = convention
            self.invalidate()

    def change_color(self, delta: float | None, good: str, economic: bool) -> str:
        """The colour of a change of ``delta`` of a figure, by the screen's convention."""
        from cockpit.model.numbers import change_role

        return self.theme.colors[change_role(delta, good=good, economic=economic,
                                             convention=self.change_convention,
                                             up_is_red=self.theme.up_is_red)]

    # -- drill-down ------------------------------------------------------------------------
    focus_district: str | None = None  # the district this panel is narrowed to, for its title

    def set_focus_district(self, code: str | None) -> bool:
        """Show this panel as narrowed to ``code`` (None: to what its layout says), as the
        screen model decided (cockpit/model/screen.py: only some panels follow a drill-down;
        the pump queries them by the model, not by this). Returns whether it changed."""
        if code == self.focus_district:
            return False
        self.focus_district = code
        self.invalidate()
        return True

    def _paint_badge(self, p: QPainter) -> None:
        c = self.theme.colors
        failed = self._verdict.state == FAILED
        if has_data(self.vm):
            h = self.badge_height()
            rect = QRect(8, self.height() - h - 6, self.width() - 16, h)
            color = c["failed" if failed else "stale"]
            font = make_font(self.px("small"))
        else:  # nothing to show yet: say why, in the middle of the card, never a bare blank
            rect = self.content_rect()
            color = c["failed" if failed else "text_dim"]
            font = make_font(self.px("body"))
        p.setFont(font)
        p.setPen(qcolor(color))
        text = fit_badge(self._badge or "", QFontMetrics(font), rect.width())
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        raise NotImplementedError


class RenderQueue(QObject):
    """Redraws invalidated panels one per event-loop turn.

    A data tick changes most panels of a screen at once; drawing them all in one go would hold
    the GUI thread for tens of milliseconds (pyqtgraph plots cost ~10 ms each). Spread out,
    no single turn holds it longer than the dearest panel, so the clock, a pulsing alert and
    the keys stay responsive. Panels of hidden layouts are drawn too, in the same way.
    """

    _instance: RenderQueue | None = None

    def __init__(self) -> None:
        super().__init__()
        self._queue: dict[int, PanelFrame] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.longest_ms = 0.0  # the dearest single redraw so far (for benchmarks and doctor)

    @classmethod
    def instance(cls) -> RenderQueue:
        if cls._instance is None or not isValid(cls._instance):
            cls._instance = RenderQueue()
        return cls._instance

    def schedule(self, panel: PanelFrame) -> None:
        self._queue[id(panel)] = panel
        if not self._timer.isActive():
            self._timer.start()

    def pending(self) -> int:
        return len(self._queue)

    def drain(self) -> None:
        """Redraw everything queued now (screenshots, tests)."""
        while self._queue:
            self._on_timer_timeout()

    def _on_timer_timeout(self) -> None:
        while self._queue:
            _, panel = self._queue.popitem()
            if not isValid(panel) or panel.cold:  # cooled since: drawn when shown
                continue
            stale = panel._cache is None or panel._dirty
            started = time.perf_counter()
            panel.ensure_cache()
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)
            # a copy of the new picture, merged into the window's next paint; not when a paint
            # drew it first (a switch shows a panel before its turn here comes): that was a
            # second paint of the same picture after 29 of 72 switches
            if stale and panel.isVisible():
                panel.update()
            break
        if self._queue:
            self._timer.start()
