"""An alert list shows the alerts as they stood at the moment it shows: a replay (回放) of
yesterday morning lists the flood alert as open, though it was acknowledged and cleared since."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
from support import NOW


def test_the_alert_list_at_a_past_moment_shows_states_as_they_were(tmp_path):
    from cockpit.data.store import Store
    from cockpit.model.layout_spec import Cell, PanelSpec
    from cockpit.panels.alerts import alerts

    spec = PanelSpec("a", "alerts", "告警", Cell(0, 0), 60.0,
                     {"district": "370700", "severities": ["critical", "major"],
                      "categories": ["fire", "environment"], "limit": 30}, 0, "safety")
    with Store(tmp_path / "c.duckdb") as store:
        store.upsert("alerts", pa.table({
            "alert_id": ["W1", "F1"], "ts": [NOW - timedelta(hours=2), NOW - timedelta(hours=1)],
            "severity": ["critical", "major"], "category": ["environment", "fire"],
            "title": ["白浪河水位超警戒", "仓库烟感"], "district": ["370705", "370702"],
            "state": ["open", "open"], "feed": ["数据中台", "数据中台"]}))
        store.acknowledge_alerts(["W1"], "值班员", NOW - timedelta(minutes=90))
        store.clear_alerts(["W1"], NOW - timedelta(minutes=30))

        def at(moment):
            vm = store.read(lambda cur: alerts(cur, spec, moment))
            return [(r.alert_id, r.state) for r in vm.rows], dict(vm.counts)

        assert at(NOW - timedelta(hours=3)) == ([], {"critical": 0, "major": 0})  # not yet raised
        assert at(NOW - timedelta(minutes=100)) == ([("W1", "open")], {"critical": 1, "major": 0})
        assert at(NOW - timedelta(minutes=45)) == ([("F1", "open"), ("W1", "acked")],
                                                   {"critical": 0, "major": 1})
        assert at(NOW) == ([("F1", "open")], {"critical": 0, "major": 1})  # live: as the table is


def test_an_alert_holding_the_wall_is_listed_whatever_the_panels_filters(tmp_path):
    from dataclasses import replace

    from cockpit.data.store import Store
    from cockpit.model.layout_spec import Cell, PanelSpec
    from cockpit.panels.alerts import alerts

    spec = PanelSpec("a", "alerts", "告警", Cell(0, 0), 60.0,
                     {"district": "370702", "severities": ["major"], "categories": ["fire"],
                      "limit": 30}, 0, "safety")
    with Store(tmp_path / "c.duckdb") as store:
        store.upsert("alerts", pa.table({
            "alert_id": ["W1", "F1"], "ts": [NOW - timedelta(hours=2), NOW - timedelta(hours=1)],
            "severity": ["critical", "major"], "category": ["flood", "fire"],
            "title": ["白浪河水位超警戒", "仓库烟感"], "district": ["370705", "370702"],
            "state": ["open", "open"], "feed": ["数据中台", "数据中台"]}))
        plain = store.read(lambda cur: alerts(cur, spec, NOW))
        assert [r.alert_id for r in plain.rows] == ["F1"]  # a flood alert is not this list's
        held = store.read(lambda cur: alerts(cur, replace(spec, params={**spec.params,
                                                                       "held": ["W1"]}), NOW))
        assert [r.alert_id for r in held.rows] == ["W1", "F1"]  # what holds the wall, first
        assert dict(held.counts) == {"critical": 1, "major": 1} and held.unacked_critical == ("W1",)


def test_the_map_marks_the_alerts_open_at_the_moment_it_shows(tmp_path):
    import json
    from dataclasses import replace

    from support import ROOT

    from cockpit.data.store import Store
    from cockpit.model.layout import load_layout
    from cockpit.panels.map import map_layers

    layout = load_layout(ROOT / "layouts" / "overview.toml")
    spec = next(p for p in layout.panels() if p.kind == "map")
    spec = replace(spec, params={**spec.params, "layers": ["alerts"]})
    with Store(tmp_path / "c.duckdb") as store:
        store.upsert("alerts", pa.table({
            "alert_id": ["W1"], "ts": [NOW - timedelta(hours=2)], "severity": ["critical"],
            "category": ["environment"], "title": ["白浪河水位超警戒"], "district": ["370705"],
            "lat": [36.70], "lon": [119.16], "state": ["open"], "feed": ["数据中台"]}))
        store.clear_alerts(["W1"], NOW - timedelta(hours=1))

        def marked(moment):
            payload = json.loads(store.read(map_layers, spec, moment).payload)
            return [a["id"] for a in payload["alerts"]]

        assert marked(NOW - timedelta(minutes=90)) == ["W1"]  # a replay of the hour it was open
        assert marked(NOW) == []  # live: cleared since


def test_the_open_alerts_at_a_moment_are_those_of_every_state_not_cleared_by_then():
    """ALERTS_OPEN_AT (the lists' and the map's) leaves the cleared alerts out in the scan; it
    must keep exactly the rows ALERTS_AT says are open or acknowledged, for every combination
    of state, acknowledgement and clearing before, at and after the moment (and NULLs)."""
    import itertools

    import duckdb

    from cockpit.panels.alerts import ALERTS_AT, ALERTS_OPEN_AT

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE alerts (alert_id VARCHAR, ts TIMESTAMPTZ, state VARCHAR, "
                "ack_at TIMESTAMPTZ, cleared_at TIMESTAMPTZ)")
    times = [None, NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=1)]
    rows = [(f"A{i}", NOW - timedelta(hours=2), state, ack, cleared) for i, (state, ack, cleared)
            in enumerate(itertools.product([None, "open", "acked", "cleared"], times, times))]
    rows.append(("late", NOW + timedelta(hours=1), "open", None, None))  # raised after the moment
    con.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?)", rows)
    for moment in (NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=2)):
        everything = set(con.execute(
            f"SELECT alert_id, state FROM {ALERTS_AT} WHERE state IN ('open', 'acked')",
            [moment] * 3).fetchall())
        open_only = set(con.execute(f"SELECT alert_id, state FROM {ALERTS_OPEN_AT}",
                                    [moment] * 3).fetchall())
        assert open_only == everything and everything, moment
