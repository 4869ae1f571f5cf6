"""Every bundled layout has demo data behind every panel, and renders at the wall sizes we ship
for: 1920x1080, 3840x2160 and a 5760x1080 LED strip."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage
from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.shell.pump import run_layout_queries

SIZES = [(1920, 1080), (3840, 2160), (5760, 1080)]


def _layouts():
    layouts, errors = load_layouts(ROOT / "layouts")
    assert errors == []
    return layouts


def _has_content(vm) -> bool:
    for name in ("rows", "series", "items", "categories", "summary", "devices"):  # devices: map
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

    written = []
    for layout in _layouts():
        for w, h in SIZES:
            paths = render_layout(layout, None, tmp_path / f"{w}x{h}", (w, h), now=NOW,
                                  store=demo_store)
            assert len(paths) == len(layout.screens)
            written += paths
            RenderQueue.instance().drain()
    for path in written:
        image = QImage(str(path))
        assert (image.width(), image.height()) in SIZES, path
