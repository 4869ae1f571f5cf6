"""Every bundled layout has demo data behind every panel, and renders at the wall sizes we ship
for: 1920x1080, 3840x2160 and a 5760x1080 LED strip — a picture of the data, not a blank: many
colours on every screen, and something drawn inside every panel's place on it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.shell.pump import run_layout_queries

SIZES = [(1920, 1080), (3840, 2160), (5760, 1080)]
#: Distinct colours (sampled) a rendered screen has at least: text, charts, maps and their
#: anti-aliasing give 2,500 to 13,000 (measured on the bundled layouts); a blank or
#: background-only screen has a handful.
MIN_SCREEN_COLOURS = 500
#: ... and each panel's body (below its title): a figure, a bar, a line or a table row gives 30
#: or more (measured); an empty card is one or two colours.
MIN_PANEL_COLOURS = 12
#: Kinds whose rows start under the title and may be few (the demo has one feed): their body
#: is taken from the top of the panel.
TOP_ALIGNED = {"feeds"}


def _layouts():
    layouts, errors = load_layouts(ROOT / "layouts")
    assert errors == []
    return layouts


def _has_content(vm) -> bool:
    for name in ("rows", "series", "items", "categories", "summary", "devices",  # devices: map
                 "slices", "stages", "axes"):  # ring, funnel, radar
        if hasattr(vm, name):
            return bool(getattr(vm, name))
    return getattr(vm, "value", None) is not None


def test_every_panel_of_every_layout_has_demo_data(demo_store):
    empty = []
    for layout in _layouts():
        specs = list(layout.panels())
        results = run_layout_queries(demo_store, specs, NOW)
        for spec in specs:
            vm = results.get(spec.id)
            if vm is None or vm.as_of is None or not _has_content(vm):
                empty.append(f"{layout.id}/{spec.id}")
    assert empty == []


@pytest.mark.slow
def test_every_layout_renders_at_every_wall_size(qtbot, demo_store, tmp_path):
    from cockpit.shell.screenshot import render_layout
    from widgets.base import RenderQueue

    for layout in _layouts():
        for w, h in SIZES:
            paths = render_layout(layout, None, tmp_path / f"{w}x{h}", (w, h), now=NOW,
                                  store=demo_store)
            assert len(paths) == len(layout.screens)
            RenderQueue.instance().drain()
            for screen, path in zip(layout.screens, paths, strict=True):
                image = QImage(str(path))
                assert (image.width(), image.height()) == (w, h), path
                pixels = _pixels(image)
                colours = len(np.unique(pixels[::2, ::2]))
                assert colours >= MIN_SCREEN_COLOURS, f"{path}: {colours} colours, a blank render"
                arr = screen.arrangement(w / h)  # a wide strip may place panels its own way
                blank = [spec.id for spec in screen.panels
                         if len(np.unique(_panel_body(pixels, arr, arr.cells[spec.id],
                                                      spec.kind in TOP_ALIGNED))) <
                         MIN_PANEL_COLOURS]
                assert blank == [], f"{path}: nothing drawn in the middle of {blank}"


def _pixels(image: QImage) -> np.ndarray:
    """The image's pixels as a (height, width) array of 0xAARRGGBB."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    row = rgb.bytesPerLine() // 4
    data = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=row * rgb.height())
    return data.reshape(rgb.height(), row)[:, :rgb.width()].copy()


def _panel_body(pixels: np.ndarray, screen, cell, whole: bool = False) -> np.ndarray:
    """A panel's place below its title: its grid cells (``screen``: anything with ``columns``
    and ``rows``, a screen or the arrangement it takes at a size), the grid spread over the whole screen,
    less a tenth at the sides and the bottom and the top fifth (the title; the header and the
    status strip shift the grid a little, the margins keep this inside the panel). ``whole``
    keeps the top: the title and the first rows."""
    h, w = pixels.shape
    x0, x1 = w * cell.col / screen.columns, w * (cell.col + cell.colspan) / screen.columns
    y0, y1 = h * cell.row / screen.rows, h * (cell.row + cell.rowspan) / screen.rows
    dx, dy = (x1 - x0) / 10, (y1 - y0) / 10
    top = y0 + (dy / 2 if whole else 2 * dy)
    return pixels[int(top):int(y1 - dy), int(x0 + dx):int(x1 - dx)]


def test_console_thumbnails_are_drawn_at_a_wall_size_every_layout_renders_at(qtbot):
    """The console's layout thumbnails are screenshots at THUMB_SOURCE: one of the sizes every
    bundled layout is shown above to render at with something in every panel (at 1280x720 the
    12-column screens said "屏幕太小" instead), and a 16:9 one like the wall it previews."""
    from cockpit.shell.control.bridge import THUMB_SOURCE
    from cockpit.shell.page import MIN_PANEL, ScreenPage

    assert THUMB_SOURCE in SIZES and THUMB_SOURCE[0] * 9 == THUMB_SOURCE[1] * 16
    w, h = THUMB_SOURCE
    for layout in _layouts():
        for screen in layout.screens:
            page = ScreenPage(layout, screen)
            try:
                page._arrange(screen.arrangement(w / h))
                smallest = page.smallest_panel(w, h - 120)  # less a header and a status strip
                assert all(map(float.__ge__, smallest, map(float, MIN_PANEL))), \
                    (layout.id, screen.title, smallest)
            finally:
                page.close()
