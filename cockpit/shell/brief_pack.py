"""``cockpit brief pack``: the briefing pack a leader carries out of the room — every step's
screens rendered offscreen at the wall's resolution into one PDF (Qt's own PDF writer), each
page titled with the step, layout, district and data time, after a cover with the title, the
date and the headline figures.

The data comes from the site config's feeds (loaded into a temporary cache, as ``cockpit
screenshot`` does) or from a cache file given with ``--cache`` (opened read-only).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cockpit.model.briefing import Brief, BriefStep
from cockpit.model.config import SiteConfig
from cockpit.model.layout import Layout
from cockpit.model.metrics import district_name
from cockpit.model.timeline import local_text

log = logging.getLogger(__name__)

#: The page: 16:9 like the screens, 338.7 x 190.5 mm (13.33 x 7.5 in, a widescreen slide).
PAGE_MM = (338.7, 190.5)
DPI = 150


class PackError(RuntimeError):
    pass


@dataclass(frozen=True)
class PackPage:
    step: BriefStep
    layout: Layout
    screen: int  # from 0
    moment: datetime
    title: str


def steps_of_layouts(layout_ids: list[str]) -> Brief:
    """A briefing of one step per layout (``--layouts a,b,c``), live data, the whole city."""
    return Brief("大屏简报", tuple(BriefStep(i, lid, None, None, None, None)
                                  for i, lid in enumerate(layout_ids)), "--layouts")


def data_moment(step: BriefStep, now: datetime) -> datetime:
    """The moment a step's pages show: the end of its replayed span, or now."""
    return step.replay[1] if step.replay is not None else now


def make_pack(brief: Brief, config: SiteConfig, out: Path, size: tuple[int, int], *,
              cache: Path | None = None, now: datetime | None = None) -> list[PackPage]:
    """Render ``brief`` into the PDF ``out``; returns the pages written after the cover."""
    from cockpit.data.ingest import FeedRunner
    from cockpit.data.store import Store
    from cockpit.shell.app import make_feeds, pick_layouts

    layouts, errors = pick_layouts(config)
    by_id = {layout.id: layout for layout in layouts}
    missing = sorted({s.layout for s in brief.steps} - set(by_id))
    if missing:
        raise PackError(f"no layout {', '.join(missing)} on this wall (known: "
                        f"{', '.join(sorted(by_id))})")
    now = now or datetime.now(UTC)
    intervals = {f.name: f.interval for f in config.feeds}
    with tempfile.TemporaryDirectory(prefix="cockpit-pack-") as tmp:
        if cache is not None:
            store = Store(cache, read_only=True)
        else:
            store = Store(Path(tmp) / "pack.duckdb")
            FeedRunner(store, make_feeds(config), clock=lambda: now).backfill_all()
        try:
            return _write(brief, by_id, store, out, size, now, intervals)
        finally:
            store.close()


def _write(brief: Brief, layouts: dict[str, Layout], store, out: Path, size: tuple[int, int],
           now: datetime, intervals: dict[str, float]) -> list[PackPage]:
    from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
    from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter

    from cockpit.model.theme import theme
    from cockpit.shell.app import make_app
    from cockpit.shell.pump import run_layout_job
    from cockpit.shell.screenshot import render_images

    make_app()
    t = theme()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")  # a failed pack leaves no half PDF behind
    writer = QPdfWriter(str(partial))
    writer.setResolution(DPI)
    writer.setTitle(brief.title)
    writer.setCreator("cockpit brief pack")
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(*PAGE_MM), QPageSize.Unit.Millimeter),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):
        raise PackError(f"could not write {out}")
    pages: list[PackPage] = []
    try:
        page_w = writer.width()
        page_h = writer.height()
        from PySide6.QtWidgets import QApplication

        family = QApplication.font().family()  # the wall's CJK family, as make_app chose it

        def font(px: float, bold: bool = False) -> QFont:
            f = QFont(family)
            f.setPixelSize(max(8, int(px)))
            f.setBold(bold)
            return f

        def background() -> None:
            painter.fillRect(QRectF(0, 0, page_w, page_h), QColor(t.color("background")))

        # -- the cover: title, date, headline figures, the steps --------------------------------
        background()
        first = brief.steps[0]
        headline = _headline(store, layouts[first.layout], data_moment(first, now), intervals,
                             run_layout_job)
        painter.setPen(QColor(t.color("title")))
        painter.setFont(font(page_h * 0.075, bold=True))
        painter.drawText(QRectF(0, page_h * 0.08, page_w, page_h * 0.12),
                         Qt.AlignmentFlag.AlignCenter, brief.title)
        painter.setPen(QColor(t.color("text_dim")))
        painter.setFont(font(page_h * 0.03))
        painter.drawText(QRectF(0, page_h * 0.2, page_w, page_h * 0.06),
                         Qt.AlignmentFlag.AlignCenter,
                         f"潍坊市城市大脑 · 数据调度展示中心　{local_text(now)[:16]} 生成")
        cell_w = page_w * 0.8 / max(1, min(4, len(headline)))
        for i, (label, value) in enumerate(headline[:8]):
            x = page_w * 0.1 + (i % 4) * cell_w
            y = page_h * (0.32 + 0.2 * (i // 4))
            painter.fillRect(QRectF(x + 8, y, cell_w - 16, page_h * 0.17), QColor(t.color("card")))
            painter.setPen(QColor(t.color("accent")))
            painter.setFont(font(page_h * 0.055, bold=True))
            painter.drawText(QRectF(x + 8, y + page_h * 0.015, cell_w - 16, page_h * 0.09),
                             Qt.AlignmentFlag.AlignCenter, value)
            painter.setPen(QColor(t.color("text_dim")))
            painter.setFont(font(page_h * 0.025))
            painter.drawText(QRectF(x + 8, y + page_h * 0.105, cell_w - 16, page_h * 0.05),
                             Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(QColor(t.color("text")))
        painter.setFont(font(page_h * 0.024))
        agenda = "　".join(f"{s.index + 1}. {s.note or layouts[s.layout].name}"
                          for s in brief.steps[:12])
        painter.drawText(QRectF(page_w * 0.05, page_h * 0.78, page_w * 0.9, page_h * 0.16),
                         int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap), agenda)

        # -- a page per screen of every step ------------------------------------------------------
        for step in brief.steps:
            layout = layouts[step.layout]
            moment = data_moment(step, now)
            images = render_images(layout, store, size, moment, intervals, step.district)
            for screen, image in images:
                writer.newPage()
                background()
                title = (f"第 {step.index + 1} 步 · {layout.name}"
                         + (f"（第 {screen.index + 1}/{len(layout.screens)} 屏）"
                            if len(layout.screens) > 1 else "")
                         + f" · {district_name(step.district)} · 数据时间 {local_text(moment)[:16]}"
                         + (f" · 回放 {local_text(step.replay[0])[5:16]} 起" if step.replay else ""))
                bar = page_h * 0.08
                painter.setPen(QColor(t.color("title")))
                painter.setFont(font(bar * 0.42, bold=True))
                painter.drawText(QRectF(page_w * 0.02, 0, page_w * 0.96, bar),
                                 int(Qt.AlignmentFlag.AlignVCenter) | int(Qt.AlignmentFlag.AlignLeft),
                                 title)
                if step.note:
                    painter.setPen(QColor(t.color("text_dim")))
                    painter.setFont(font(bar * 0.32))
                    painter.drawText(QRectF(page_w * 0.02, 0, page_w * 0.96, bar),
                                     int(Qt.AlignmentFlag.AlignVCenter)
                                     | int(Qt.AlignmentFlag.AlignRight), step.note)
                room = QRectF(0, bar, page_w, page_h - bar)
                scale = min(room.width() / image.width(), room.height() / image.height())
                w, h = image.width() * scale, image.height() * scale
                target = QRectF((page_w - w) / 2, bar + (room.height() - h) / 2, w, h)
                painter.drawImage(target, image)
                pages.append(PackPage(step, layout, screen.index, moment, title))
    finally:
        painter.end()
    if not partial.exists() or partial.stat().st_size == 0:
        raise PackError(f"could not write {out}")
    partial.replace(out)
    return pages


def _headline(store, layout: Layout, moment: datetime, intervals, run_layout_job) -> list:
    """The cover's headline figures: the KPI tiles of the first step's layout at its moment."""
    specs = [p for s in layout.screens for p in s.panels if p.kind == "kpi"]
    vms = run_layout_job(store, specs, moment, intervals).vms if specs else {}
    out = []
    for spec in specs:
        vm = vms.get(spec.id)
        if vm is None or vm.value is None:
            continue
        out.append((spec.title, f"{vm.value:,.{vm.decimals}f}{vm.unit}"))
    return out
