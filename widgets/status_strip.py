"""The status strip along the bottom of each layout's first screen: how many panels of the
layout on show are stale or failed, the node's incidents (disk full, a damaged cache set aside,
the map's renderer restarted, a GUI stall — see cockpit/model/incidents.py), worst first, then every
feed's state, problems first. Readable from across the room, no keyboard needed.

It is handed plain values by the pump (feed_health as last read off the GUI thread, the
summary line, the incidents) and only draws them; it repaints only when what it shows changed.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from cockpit.model.incidents import Incident
from cockpit.model.layout import DEFAULT_STALE_AFTER
from cockpit.model.numbers import format_age
from cockpit.model.theme import theme
from cockpit.panels.freshness import (
    FAILED,
    FEED_STATE_TEXT,
    FRESH,
    STALE,
    WAITING,
    FeedHealth,
    short_error,
    summary,
)
from widgets.base import make_font, qcolor

FEED_ORDER = {FAILED: 0, STALE: 1, WAITING: 2, FRESH: 3}
FEED_COLOR = {FAILED: "failed", STALE: "stale", WAITING: "text_dim", FRESH: "good"}
LEVEL_COLOR = {"error": "failed", "warning": "stale", "info": "text_dim"}
LEVEL_MARK = {"error": "✖", "warning": "⚠", "info": "ℹ"}
STRIP_HEIGHT = 40  # px at 1080 lines (text ~20 px, as the header's side text); grows with the screen


def feed_items(health: tuple[FeedHealth, ...], now: datetime) -> list[tuple[str, str, str, str]]:
    """(feed, state, state text, detail) per feed, failed first, then stale, waiting, fresh."""
    out = []
    for h in health:
        state = h.state(now, DEFAULT_STALE_AFTER)
        if state == FAILED:
            detail = short_error(h.error, 28)
        elif state == WAITING:
            detail = ""
        else:
            detail = format_age((now - h.last_success).total_seconds())
        out.append((h.feed, state, FEED_STATE_TEXT[state], detail))
    out.sort(key=lambda r: FEED_ORDER[r[1]])
    return out


class StatusStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme()
        self.summary = "等待数据…"
        self.summary_role = "text_dim"  # colour: failed, stale (or waiting), good
        self.incidents: tuple[tuple[str, str], ...] = ()  # (level, text), worst first
        self.feeds: tuple[tuple[str, str, str, str], ...] = ()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFixedHeight(STRIP_HEIGHT)

    def set_status(self, health: tuple[FeedHealth, ...], panel_states: list[str],
                   found: list[Incident], now: datetime) -> bool:
        """Show the feeds, the summary of ``panel_states`` (the panels of the layout on show)
        and the incidents; repaints (and returns True) only if something shown changed."""
        role = ("failed" if FAILED in panel_states else
                "stale" if set(panel_states) - {FRESH} else "good")
        state = (summary(panel_states), role, tuple((i.level, i.text) for i in found),
                 tuple(feed_items(health, now)))
        if state == (self.summary, self.summary_role, self.incidents, self.feeds):
            return False
        self.summary, self.summary_role, self.incidents, self.feeds = state
        self.update()
        return True

    def shown(self) -> dict[str, object]:
        """What the strip says, in the order drawn."""
        return {"summary": self.summary, "incidents": [t for _, t in self.incidents],
                "feeds": [(f, text, detail) for f, _, text, detail in self.feeds]}

    def text(self) -> str:
        """The whole line as one string (before it is cut to the strip's width)."""
        return " ｜ ".join(text for _, text in self._segments())

    def _segments(self) -> list[tuple[str, str]]:
        """(colour role, text) of each piece, left to right."""
        out = [(self.summary_role, self.summary)]
        out += [(LEVEL_COLOR[level], f"{LEVEL_MARK[level]} {text}") for level, text in self.incidents]
        if self.feeds:
            out.append(("text_dim", "数据源"))
        out += [(FEED_COLOR[state], f"● {feed} {text}" + (f" {detail}" if detail else ""))
                for feed, state, text, detail in self.feeds]
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        c = self.theme.colors
        p = QPainter(self)
        try:
            r = QRectF(self.rect())
            p.fillRect(r, qcolor(c["title_strip"]))
            p.fillRect(QRectF(0, 0, r.width(), 2), qcolor(c["card_edge"], 0.55))
            h = r.height()
            font = make_font(max(self.theme.sizes["small_min"], int(h * 0.5)))
            p.setFont(font)
            fm = QFontMetrics(font)
            gap = fm.horizontalAdvance("　　")
            x, right = 16.0, r.width() - 16
            for role, text in self._segments():
                room = right - x
                if room < fm.horizontalAdvance("…") * 3:
                    break
                shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(room))
                p.setPen(qcolor(c[role]))
                p.drawText(QRectF(x, 2, room, h - 2),
                           Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)
                x += fm.horizontalAdvance(shown) + gap
        finally:
            p.end()
