"""Issue 16, finding 2: ids drawn from JavaScript's built-in property names (``constructor``,
``__proto__``, ``toString``, ``hasOwnProperty``, …) through the real query into the real map
page. Every device and alert is shown, and a later push still applies: the page keeps its
markers in ``Map``s, so no id collides with a property every plain object has."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from support import NOW, ROOT
from support.mapview import evaluate

pytestmark = pytest.mark.slow

#: Every built-in name the page's engine knows, asked of the page itself.
BUILTINS_JS = ("JSON.stringify(Array.from(new Set(Object.getOwnPropertyNames(Object.prototype)"
               ".concat(Object.getOwnPropertyNames(Function.prototype), ['__proto__']))))")


@pytest.fixture(scope="module")
def view(qapp):
    from widgets.map_view import MapView, wait_until_drawn

    v = MapView()
    v.resize(900, 700)
    v.show()
    assert wait_until_drawn([v], settle_ms=50)
    yield v
    v.close()
    v.deleteLater()


def _payload(tmp_path, ids: list[str], status: str) -> str:
    from cockpit.data.store import Store
    from cockpit.model.layout import load_layout
    from cockpit.panels.map import map_layers

    store = Store(tmp_path / f"{status}.duckdb")
    try:
        def fill(con):
            for i, name in enumerate(ids):
                lat = 36.4 + (i % 20) * 0.02
                con.execute("INSERT INTO entities VALUES (?, 'camera', ?, '370705', ?, 119.1, ?, "
                            "'{}', ?)", [name, name, lat, status, NOW])
                con.execute("INSERT INTO alerts (alert_id, ts, feed, severity, category, title, "
                            "detail, district, lat, lon, state) VALUES (?, ?, 'demo', 'major', "
                            "'fire', ?, ?, '370705', ?, 119.2, 'open')", [name, NOW, name, name, lat])
        store.write(fill)
        layout = load_layout(ROOT / "layouts" / "overview.toml")
        spec = next(p for p in layout.panels() if p.kind == "map")
        spec = replace(spec, params={**spec.params, "layers": ["districts", "devices", "alerts"],
                                     "limit": 1000})
        vm = map_layers(store.reader(), spec, NOW)
    finally:
        store.close()
    assert vm.devices == len(ids) and vm.alerts == len(ids)
    return vm.payload


def test_builtin_property_names_as_ids_all_show_and_later_pushes_apply(view, tmp_path):
    ids = json.loads(evaluate(view, BUILTINS_JS))
    assert {"constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "call",
            "apply", "bind", "name", "length"} <= set(ids)
    view.push(_payload(tmp_path, ids, "online"))
    shown = json.loads(evaluate(view, "JSON.stringify(cockpit.ids())"))
    assert sorted(shown["devices"]) == sorted(ids)
    assert sorted(shown["alerts"]) == sorted(ids)
    assert evaluate(view, "cockpit.markerFill('constructor')") in ("#22c55e", "rgb(34, 197, 94)")
    tips = json.loads(evaluate(view, "JSON.stringify(cockpit.openAll())"))
    for name in ("constructor", "__proto__", "toString", "hasOwnProperty"):
        assert any(t and t.startswith(name) for t in tips), name

    # a later push still applies in full: every device's colour changes
    view.push(_payload(tmp_path, ids, "fault"))
    fills = json.loads(evaluate(view, f"JSON.stringify({json.dumps(ids)}"
                                      ".map(id => cockpit.markerFill(id)))"))
    # markerFill looks devices up first, so each fill is its device's
    assert all(f in ("#ef4444", "rgb(239, 68, 68)") for f in fills), fills
    # and one that removes them all empties the map
    view.push(json.dumps({"devices": [], "alerts": []}))
    assert json.loads(evaluate(view, "JSON.stringify(cockpit.counts())")) == {
        "devices": 0, "alerts": 0, "heat": 0}
    assert evaluate(view, "document.title") == "map-ready"
