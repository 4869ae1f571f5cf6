"""``cockpit screenshot``: render every screen of a layout offscreen to one PNG each, with the
demo data (or a site config's snapshot feed) replayed so that its last moment is now."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cockpit.data.ingest import FeedRunner
from cockpit.model.config import SiteConfig
from cockpit.model.layout import Layout

log = logging.getLogger(__name__)


class ScreenshotError(RuntimeError):
    pass


def find_layout(config: SiteConfig, name: str) -> Layout:
    from cockpit.shell.app import pick_layouts

    layouts, errors = pick_layouts(config)
    for layout in layouts:
        if name in (layout.id, layout.name):
            return layout
    for err in errors:
        if Path(err.file).stem == name:
            raise ScreenshotError(str(err))
    known = ", ".join(f"{lay.id} ({lay.name})" for lay in layouts)
    raise ScreenshotError(f"no layout {name!r}; known layouts: {known}")


def render_layout(layout: Layout, config: SiteConfig, out: Path, size: tuple[int, int],
                  now: datetime | None = None, store=None) -> list[Path]:
    """One PNG per screen of ``layout``. With ``store`` (a cache already holding the data, for
    rendering many layouts in one go) the config's feeds are not loaded again."""
    if config is not None:
        from widgets.map_view import configure_tiles

        configure_tiles(config.tiles)
    intervals = {f.name: f.interval for f in config.feeds} if config is not None else None
    if store is not None:
        return _render_screens(layout, store, out, size, now or datetime.now(UTC), intervals)
    from cockpit.data.store import Store
    from cockpit.shell.app import make_feeds

    now = now or datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="cockpit-shot-") as tmp:
        store = Store(Path(tmp) / "shot.duckdb")
        try:
            FeedRunner(store, make_feeds(config), clock=lambda: now).backfill_all()
            return _render_screens(layout, store, out, size, now, intervals)
        finally:
            store.close()


def _render_screens(layout: Layout, store, out: Path, size: tuple[int, int],
                    now: datetime, intervals: dict[str, float] | None = None) -> list[Path]:
    from cockpit.data.atomic import write_atomic
    from cockpit.shell.control.bridge import png_bytes

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for screen, image in render_images(layout, store, size, now, intervals):
        path = out / f"{layout.id}-{screen.index + 1}.png"
        try:  # a full disk or a kill mid-write leaves the previous PNG whole
            write_atomic(path, png_bytes(image))
        except OSError as exc:
            raise ScreenshotError(f"could not write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written


def render_images(layout: Layout, store, size: tuple[int, int], now: datetime,
                  intervals: dict[str, float] | None = None, district: str | None = None) -> list:
    """Every screen of ``layout`` as the wall would paint it at ``now`` from ``store``, drilled
    into ``district`` (None: the whole city): ``[(ScreenSpec, QImage)]``."""
    from PySide6.QtWidgets import QApplication

    from cockpit.model import incidents
    from cockpit.model.screen import ScreenModel
    from cockpit.shell.app import make_app
    from cockpit.shell.pump import run_layout_job
    from cockpit.shell.wall import ScreenPage
    from cockpit.shell.wording import worded

    make_app()
    model = ScreenModel([layout])
    if district:
        model.drill(layout.id, district)
    # The whole layout's panels, as the live wall reads them: the strip's summary on the first
    # screen counts every screen's panels, not just its own.
    results = run_layout_job(store, model.query_specs(layout.id), now, intervals)
    pages = []
    for screen in layout.screens:
        page = ScreenPage(layout, screen, model=model)
        page.resize(*size)
        page.show()
        QApplication.processEvents()
        for pid, panel in page.panels.items():
            panel.set_now(now)
            if pid in results.vms:
                panel.set_freshness(results.freshness.get(pid))
                panel.set_view_model(results.vms[pid])
        if page.header is not None:
            page.header.set_now(now)
        pages.append((screen, page))
    states = [p.freshness_state for _, page in pages for p in page.panels.values()]
    images = []
    try:
        for screen, page in pages:
            if page.strip is not None:
                page.strip.set_status(results.health or (), states, worded(incidents.current()[1]),
                                      now)
            for _ in range(3):
                QApplication.processEvents()
            maps = [p.view for p in page.panels.values() if hasattr(p, "view")]
            if maps:
                from widgets.map_view import wait_until_drawn

                if not wait_until_drawn(maps):
                    log.warning("the map of %s did not finish drawing in time", screen.title)
            image = page.grab().toImage()
            if image.width() != size[0] or image.height() != size[1]:
                raise ScreenshotError(f"rendered {image.width()}x{image.height()}, "
                                      f"asked for {size[0]}x{size[1]}")
            images.append((screen, image))
    finally:
        for _, page in pages:
            page.close()
            page.deleteLater()
    return images
