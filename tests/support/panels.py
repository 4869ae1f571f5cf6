"""Panels as the wall builds them, for the widget tests: a bundled layout's panel spec, its
widget shown at a size, and the latest value per district read straight from the cache."""

from __future__ import annotations

from cockpit.model.layout import load_layout
from support import ROOT


def panel_spec(layout: str, panel_id: str):
    return load_layout(ROOT / "layouts" / f"{layout}.toml").panel(panel_id)


def make(qtbot, spec, size=(470, 300)):
    from cockpit.model.registry import PANEL_KINDS

    widget = PANEL_KINDS.get(spec.kind).widget_class()(spec)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def latest_by_district(store, metric, at):
    return dict(store.reader().execute(
        "SELECT district, arg_max(value, ts) FROM observations WHERE metric = ? AND ts <= ? "
        "GROUP BY district", [metric, at]).fetchall())
