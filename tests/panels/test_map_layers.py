"""The map panel's query (no Qt): layers from the cache, converted, coloured and escaped."""

from __future__ import annotations

import json
from dataclasses import replace

from support import NOW, ROOT

from cockpit.model.layout import load_layout
from cockpit.model.metrics import DISTRICTS
from cockpit.panels.map import map_layers
from maps.coords import distance_m
from maps.layers import AQI_CLASSES, STATUS_COLORS, choropleth


def map_spec(**params):
    layout = load_layout(ROOT / "layouts" / "overview.toml")
    spec = next(p for p in layout.panels() if p.kind == "map")
    return replace(spec, params={**spec.params, **params})


def test_map_query_on_the_demo(demo_store):
    vm = map_layers(demo_store.reader(), map_spec(layers=["districts", "devices", "alerts", "heat"]), NOW)
    payload = json.loads(vm.payload)
    assert set(payload["districts"]) == set(DISTRICTS)
    aqi_colors = {col for _, _, col in AQI_CLASSES}
    assert all(d["color"] in aqi_colors for d in payload["districts"].values())
    assert payload["legend"]["title"] == "空气质量指数"
    assert vm.devices == len(payload["devices"]) > 30
    kinds = {d["kind"] for d in payload["devices"]}
    assert {"patrol_robot", "disinfect_robot", "sensor"} <= kinds
    assert all(d["robot"] == (d["kind"] != "sensor") for d in payload["devices"])
    assert {d["color"] for d in payload["devices"]} <= set(STATUS_COLORS.values())
    assert vm.alerts == len(payload["alerts"]) > 0
    assert len(payload["heat"]) == len(payload["alerts"])
    assert vm.as_of is not None and vm.as_of <= NOW


def test_device_coordinates_are_converted_to_the_maps_system(demo_store):
    cur = demo_store.reader()
    raw = {r[0]: (r[1], r[2]) for r in cur.execute(
        "SELECT entity_id, lon, lat FROM entities WHERE entity_type <> 'district'").fetchall()}
    wgs = json.loads(map_layers(cur, map_spec(source_crs="wgs84"), NOW).payload)["devices"]
    gcj = json.loads(map_layers(cur, map_spec(source_crs="gcj02"), NOW).payload)["devices"]
    for a, b in zip(wgs, gcj, strict=True):
        lon, lat = raw[a["id"]]
        assert (b["lon"], b["lat"]) == (round(lon, 6), round(lat, 6))  # already in GCJ-02
        assert 200 < distance_m(a["lon"], a["lat"], lon, lat) < 1000  # WGS-84 moved onto it


def test_choropleth_of_a_plain_metric_ramps_low_to_high():
    colors, legend = choropleth({"370702": 1.0, "370703": 2.0, "370705": 3.0}, "congestion")
    assert colors["370702"] != colors["370705"]
    assert len(legend["items"]) == 5 and legend["title"] == "交通拥堵指数"


def test_feed_text_reaches_the_payload_escaped(tmp_path):
    from cockpit.data.store import Store

    store = Store(tmp_path / "x.duckdb")
    try:
        store.write(lambda con: con.execute(
            "INSERT INTO entities VALUES (?, 'camera', ?, '370705', 36.7, 119.1, 'online', '{}', ?)",
            ["cam-`${x}`", "<img src=x onerror=alert(1)>", NOW]))
        payload = map_layers(store.reader(), map_spec(layers=["devices"]), NOW).payload
    finally:
        store.close()
    device = json.loads(payload)["devices"][0]
    assert "<img" not in device["tip"] and "&lt;img" in device["tip"]
    assert "`" not in device["id"] and "$" not in device["id"]


def test_a_refresh_shows_each_devices_change_and_nothing_stale(tmp_path):
    """Devices are encoded once and reused while nothing they are drawn from changes: a new
    status, name, position, a device gone or one that falls silent shows at the next refresh."""
    from datetime import timedelta

    from cockpit.data.store import Store

    store = Store(tmp_path / "x.duckdb")

    def devices(now=NOW):
        return {d["id"]: d for d in json.loads(
            map_layers(store.reader(), map_spec(layers=["devices"]), now).payload)["devices"]}

    def put(eid, name, lat, status, updated):
        store.write(lambda con: con.execute(
            "INSERT OR REPLACE INTO entities VALUES (?, 'camera', ?, '370705', ?, 119.1, ?, "
            "'{}', ?)", [eid, name, lat, status, updated]))

    try:
        put("cam-1", "一号", 36.7, "online", NOW - timedelta(minutes=5))
        put("cam-2", "二号", 36.71, None, NOW - timedelta(minutes=5))  # no status: by its reports
        first = devices()
        assert first == devices()  # the same answer from the encoded devices
        assert first["cam-1"]["color"] == STATUS_COLORS["online"]
        assert first["cam-2"]["color"] == STATUS_COLORS["online"]
        put("cam-1", "一号（东门）", 36.72, "fault", NOW - timedelta(minutes=1))
        second = devices()
        assert second["cam-1"]["color"] == STATUS_COLORS["fault"]
        assert "一号（东门）" in second["cam-1"]["tip"] and second["cam-1"]["lat"] != first["cam-1"]["lat"]
        # cam-2 falls silent: an hour and more later it is offline, with nothing written
        assert devices(NOW + timedelta(hours=2))["cam-2"]["color"] == STATUS_COLORS["offline"]
        store.write(lambda con: con.execute("DELETE FROM entities WHERE entity_id = 'cam-1'"))
        assert set(devices()) == {"cam-2"}
    finally:
        store.close()


def test_the_encoded_devices_stay_one_per_device(tmp_path):
    """A robot reporting a new position every tick replaces its own encoded entry; devices
    removed from the cache are forgotten: what is kept does not grow over a long run."""
    from datetime import timedelta

    from cockpit.data.store import Store
    from cockpit.panels import map as map_panel

    store = Store(tmp_path / "x.duckdb")
    spec = map_spec(layers=["devices"], source_crs="gcj02")
    try:
        ids = [f"robot-{i}" for i in range(40)]
        for tick in range(60):
            store.write(lambda con, tick=tick: con.executemany(
                "INSERT OR REPLACE INTO entities VALUES (?, 'patrol_robot', ?, '370705', ?, "
                "119.1, 'online', '{}', ?)",
                [[eid, eid, 36.7 + tick * 1e-4, NOW + timedelta(seconds=tick)] for eid in ids]))
            map_layers(store.reader(), spec, NOW + timedelta(seconds=tick))
        known = map_panel._DEVICES[("gcj02", ())]
        kept = [eid for eid in known if eid.startswith("robot-")]
        assert len(kept) == 40
        assert all(known[eid][0][4] == 36.7 + 59 * 1e-4 for eid in kept)  # the last position
        store.write(lambda con: con.execute("DELETE FROM entities"))
        store.write(lambda con: con.execute(
            "INSERT INTO entities VALUES ('cam-1', 'camera', NULL, '370705', 36.7, 119.1, "
            "'online', '{}', ?)", [NOW]))
        payload = json.loads(map_layers(store.reader(), spec, NOW).payload)
        assert [d["id"] for d in payload["devices"]] == ["cam-1"]
        assert list(map_panel._DEVICES[("gcj02", ())]) == ["cam-1"]  # the robots gone are forgotten
    finally:
        store.close()


def test_a_map_can_show_only_some_device_types_and_alert_categories(demo_store):
    """The fire wall's map shows the key fire units and fire alerts, not every camera, park and
    traffic jam of the city; left empty, both filters show everything."""
    cur = demo_store.reader()
    everything = json.loads(map_layers(cur, map_spec(), NOW).payload)
    fire = json.loads(map_layers(cur, map_spec(device_types=["fire_unit"], categories=["fire"]),
                                 NOW).payload)
    types = dict(cur.execute("SELECT entity_id, entity_type FROM entities").fetchall())
    categories = dict(cur.execute("SELECT alert_id, category FROM alerts").fetchall())
    assert {types[d["id"]] for d in everything["devices"]} > {"fire_unit"}
    assert fire["devices"] and {types[d["id"]] for d in fire["devices"]} == {"fire_unit"}
    assert {categories[a["id"]] for a in everything["alerts"]} > {"fire"}
    assert fire["alerts"] and {categories[a["id"]] for a in fire["alerts"]} == {"fire"}
