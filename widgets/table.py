"""``table``: rows of a list (key projects, key enterprises, milestones). When there are more
rows than fit, they move up one row every ``scroll_seconds`` — a step, not a continuous crawl,
so the motion stays sparing — and wrap round. The header row stays put."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter

from cockpit.model.numbers import LEVEL_COLORS
from cockpit.panels.viewmodels import TableVM
from widgets.base import PanelFrame, make_font, qcolor


class TablePanel(PanelFrame):
    vm: TableVM | None

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.offset = 0
        self._timer = QTimer(self)
        self._timer.setInterval(int(float(spec.get("scroll_seconds") or 6) * 1000))
        self._timer.timeout.connect(self.step)

    # -- motion: only while shown, only when needed -------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._update_timer()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._timer.stop()

    def on_view_model(self, vm) -> None:
        if vm is None or not vm.rows:
            self.offset = 0
        else:
            self.offset %= len(vm.rows)
        self._update_timer()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._update_timer()

    @property
    def scrolling(self) -> bool:
        return self.vm is not None and len(self.vm.rows) > self.rows_that_fit()

    def _update_timer(self) -> None:
        if self.isVisible() and self.scrolling:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
            self.offset = 0 if not self.scrolling else self.offset

    def step(self) -> None:
        """Move the rows up by one (wrapping round)."""
        if not self.scrolling:
            return
        self.offset = (self.offset + 1) % len(self.vm.rows)
        self.invalidate()

    # -- geometry and content ---------------------------------------------------------------------
    def row_height(self) -> int:
        return int(max(self.theme.sizes["small_min"], self.px("small")) * 1.9)

    def rows_that_fit(self) -> int:
        return max(1, self.content_rect().height() // self.row_height() - 1)

    def shown(self) -> dict[str, object]:
        """The header and the rows on screen now, top to bottom."""
        vm = self.vm
        if vm is None or vm.as_of is None:
            return {"headers": (), "rows": ()}
        n = len(vm.rows)
        fit = self.rows_that_fit()
        if n <= fit:
            idx = list(range(n))
        else:
            idx = [(self.offset + i) % n for i in range(fit)]
        return {"headers": vm.headers, "rows": tuple(vm.rows[i] for i in idx),
                "levels": tuple(vm.levels[i] for i in idx), "total": n}

    def _widths(self, fm: QFontMetrics, hfm: QFontMetrics, width: int) -> list[float]:
        vm = self.vm
        want = []
        for j, h in enumerate(vm.headers):
            cells = [fm.horizontalAdvance(r[j]) for r in vm.rows] or [0]
            want.append(max(hfm.horizontalAdvance(h), max(cells)) + 16)
        total = sum(want)
        if total <= width:
            extra = (width - total) / len(want)
            return [w + extra for w in want]
        # too wide: numbers keep what they need, text columns share the rest (and elide)
        fixed = sum(w for w, a in zip(want, vm.aligns, strict=True) if a == "right")
        text_cols = [w for w, a in zip(want, vm.aligns, strict=True) if a == "left"]
        room = max(width - fixed, width * 0.4)
        scale = room / max(1.0, sum(text_cols))
        out = [w if a == "right" else w * scale for w, a in zip(want, vm.aligns, strict=True)]
        if sum(out) > width:
            out = [w * width / sum(out) for w in out]
        return out

    def paint_content(self, p: QPainter, rect: QRect) -> None:
        shown = self.shown()
        if not shown["headers"]:
            return
        c = self.theme.colors
        px = max(self.theme.sizes["small_min"], self.px("small"))
        font, head = make_font(px), make_font(px, bold=True)
        fm, hfm = QFontMetrics(font), QFontMetrics(head)
        widths = self._widths(fm, hfm, rect.width())
        rh = self.row_height()
        y = rect.top()
        p.fillRect(QRectF(rect.left(), y, rect.width(), rh), qcolor(c["title_strip"], 0.8))
        self._row(p, shown["headers"], widths, rect.left(), y, rh, head, hfm, c["accent"], True)
        for i, (row, level) in enumerate(zip(shown["rows"], shown["levels"], strict=True)):
            y = rect.top() + (i + 1) * rh
            if i % 2:
                p.fillRect(QRectF(rect.left(), y, rect.width(), rh), qcolor(c["grid"], 0.35))
            color = c[LEVEL_COLORS[level]] if level == "bad" else c["text"]
            self._row(p, row, widths, rect.left(), y, rh, font, fm, color, False)

    def _row(self, p, cells, widths, x, y, rh, font, fm, color, header: bool) -> None:
        p.setFont(font)
        p.setPen(qcolor(color))
        for j, text in enumerate(cells):
            w = widths[j]
            right = self.vm.aligns[j] == "right"  # a header sits over its column's figures
            align = (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft) \
                | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRectF(x + 8, y, w - 16, rh), align,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, int(w - 16)))
            x += w
