"""The map panel's query: the layer data a map shows, as one JSON payload for the page.

Runs on a worker thread like every panel query ((cursor, spec, now) -> view-model) and does all
the work there: reading the cache, converting each feed's coordinates into the system the map
draws in (:mod:`maps.layers`), colouring, escaping every feed text with
:func:`maps.escape.safe_text`, and encoding the JSON. The GUI thread only hands the finished
string to the page. No Qt.

Names before ids: a device's tooltip gives its name (its id only when it has none). A record
without a status of its own (an NGSI station, which reports values, not a state) counts as
online while it reported within :data:`REPORTED_ONLINE`, offline after.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import duckdb

from cockpit.model.metrics import (
    DISTRICTS,
    METRICS,
    SEVERITIES,
    SEVERITY_NAMES,
    district_name,
)
from cockpit.model.theme import theme
from cockpit.panels.alerts import ALERTS_OPEN_AT
from cockpit.panels.observations import latest_by_district
from maps.escape import safe_text
from maps.layers import (
    LAYERS,
    ROBOTS,
    STATUS_COLORS,
    STATUS_NAMES,
    MapVM,
    _color,
    _point,
    choropleth,
    format_value,
)

REPORTED_ONLINE = timedelta(hours=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


#: Each device's JSON as last drawn, with everything it was drawn from, by the feeds'
#: coordinate system and the map's device types (a fire map's few units and the city map's
#: thousands do not evict each other), then entity id: a city has thousands of devices (6,407
#: in the 50 M benchmark cache) and a refresh changes few, so converting, escaping and
#: encoding each of them at every refresh cost 220-280 ms (issue 18). One entry per device (a
#: robot that moves replaces its own); the devices gone from the cache are forgotten at the
#: next refresh. Read and written by the pump's workers; a dict's get, set and pop are atomic.
_DEVICES: dict[tuple, dict[str, tuple[tuple, str]]] = {}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _device_json(eid, etype, name, district, lat, lon, status, src) -> str:
    """One device marker as JSON ("" when it has no position to draw)."""
    pt = _point(lat, lon, src)
    if pt is None:
        return ""
    return _dumps({"id": safe_text(eid), "robot": etype in ROBOTS,
                   "kind": etype if etype in ROBOTS else "sensor",
                   "lat": pt[0], "lon": pt[1], "color": STATUS_COLORS[status],
                   "tip": safe_text(name or eid) + "<br>" + safe_text(
                       f"{district_name(district)} · {STATUS_NAMES[status]}")})


#: The devices layer as last encoded, by (coordinate system, device types): its JSON, device
#: count and newest report, with the fingerprint of the rows it was made from. A refresh whose
#: rows have the same fingerprint reuses it without fetching them (at 6,407 devices the fetch
#: alone is ~8 ms a refresh, every 5 s).
_LAYERS: dict[tuple, tuple] = {}

#: A device's status as drawn (SQL; parameters: the statuses with a colour, the moment one
#: hour before the refresh in epoch µs): its own if it has one of them, else online while it
#: reported within the hour (an NGSI station reports values, not a state), offline after.
_DRAWN_STATUS = """CASE WHEN status IN (SELECT unnest(?::VARCHAR[])) THEN status
     WHEN status IS NULL AND epoch_us(updated_at) >= ? THEN 'online' ELSE 'offline' END"""
_DEVICE_ROWS = """FROM entities WHERE entity_type <> 'district'
     AND (len(?::VARCHAR[]) = 0 OR entity_type IN (SELECT unnest(?::VARCHAR[])))"""


def _devices_layer(cur: duckdb.DuckDBPyConnection, src: str, types: list[str],
                   now: datetime) -> tuple[str, int, int | None]:
    """The devices layer: (its JSON array, devices drawn, newest report in epoch µs)."""
    status_args = [list(STATUS_COLORS), _epoch_us(now - REPORTED_ONLINE)]
    fingerprint = cur.execute(
        f"""SELECT count(*), sum(hash(entity_id, entity_type, name, district, lat, lon,
                                      {_DRAWN_STATUS}, updated_at))::VARCHAR
            {_DEVICE_ROWS}""", [*status_args, types, types]).fetchone()
    memo = (src, tuple(sorted(types)))
    last = _LAYERS.get(memo)
    if last is not None and last[0] == fingerprint:
        return last[1:]
    # times as microseconds: a TIMESTAMPTZ made into a datetime costs ~2 µs a row, and only
    # the newest is needed
    rows = cur.execute(
        f"""SELECT entity_id, entity_type, name, district, lat, lon, {_DRAWN_STATUS},
                   epoch_us(updated_at)
            {_DEVICE_ROWS} ORDER BY entity_id""", [*status_args, types, types]).fetchall()
    known = _DEVICES.setdefault(memo, {})
    devices: list[str] = []
    newest_us = None
    for eid, etype, name, district, lat, lon, status, updated in rows:
        key = (eid, etype, name, district, lat, lon, status, src)
        kept = known.get(eid)
        if kept is not None and kept[0] == key:
            fragment = kept[1]
        else:
            fragment = _device_json(*key)
            known[eid] = (key, fragment)
        if fragment:
            devices.append(fragment)
            if updated is not None and (newest_us is None or updated > newest_us):
                newest_us = updated
    if len(known) > len(rows):  # devices removed from the cache since: forget them
        present = {r[0] for r in rows}
        for gone in [eid for eid in list(known) if eid not in present]:
            known.pop(gone, None)
    layer = ("[" + ",".join(devices) + "]", len(devices), newest_us)
    _LAYERS[memo] = (fingerprint, *layer)
    return layer


def map_layers(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> MapVM:
    layers = set(spec.get("layers") or LAYERS)
    src = spec.get("source_crs") or "wgs84"
    payload: dict = {"legend": None}
    stamps: list[datetime] = []
    feeds: set[str] = set()
    n_dev = n_alert = 0
    encoded: dict[str, str] = {}  # layers already in JSON (the devices, from their cache)
    if "districts" in layers and spec.get("metric"):
        metric = spec["metric"]
        m = METRICS[metric]
        rows = latest_by_district(cur, metric, now)  # from the rollups (issue 18)
        # a value that is not a finite number shows as no data (snapshots and feeds refuse them)
        values = {r[0]: float(r[1]) for r in rows
                  if r[0] in DISTRICTS and r[1] is not None and math.isfinite(r[1])}
        stamps += [r[2] for r in rows]
        feeds |= {r[3] for r in rows if r[3]}
        colors, legend = choropleth(values, metric)
        unit = f" {m.unit}" if m.unit else ""
        payload["districts"] = {
            code: {"color": _color(colors.get(code, "")),
                   "tip": safe_text(f"{name}：{m.name} ") +
                   safe_text(f"{format_value(values[code], m.decimals)}{unit}" if code in values else "无数据")}
            for code, name in DISTRICTS.items()}
        payload["legend"] = legend
    if "devices" in layers:
        types = [str(t) for t in spec.get("device_types") or ()]
        encoded["devices"], n_dev, newest_us = _devices_layer(cur, src, types, now)
        if newest_us is not None:
            stamps.append(_EPOCH + timedelta(microseconds=newest_us))
    if "alerts" in layers or "heat" in layers:
        c = theme().colors
        severities = list(spec.get("severities") or SEVERITIES)
        categories = [str(cat) for cat in spec.get("categories") or ()]  # none: every one
        rows = cur.execute(  # as they stood at the moment shown (a replay's, or now)
            f"""SELECT alert_id, ts, severity, title, district, lat, lon, feed FROM {ALERTS_OPEN_AT}
               WHERE state IN ('open', 'acked') AND severity IN (SELECT unnest(?::VARCHAR[]))
                 AND (len(?::VARCHAR[]) = 0 OR category IN (SELECT unnest(?::VARCHAR[])))
               ORDER BY ts DESC LIMIT ?""",
            [now, now, now, severities, categories, categories,
             int(spec.get("limit") or 200)]).fetchall()
        marks, heat = [], []
        for aid, ts, sev, title, district, lat, lon, feed in rows:
            pt = _point(lat, lon, src)
            if feed:
                feeds.add(feed)
            stamps.append(ts)
            if pt is None:
                continue
            sev = sev if sev in SEVERITIES else "info"
            marks.append({"id": safe_text(aid), "severity": sev, "lat": pt[0], "lon": pt[1],
                          "color": _color(c[sev]),
                          "tip": safe_text(f"【{SEVERITY_NAMES[sev]}】{title}") + "<br>" +
                          safe_text(f"{district_name(district)} · {ts:%m-%d %H:%M}")})
            weight = {"critical": 4, "major": 3, "minor": 2}.get(sev, 1)
            heat.append({"id": safe_text(aid), "lat": pt[0], "lon": pt[1],
                         "radius": 1500 * weight, "color": _color(c["critical"])})
        if "alerts" in layers:
            payload["alerts"] = marks
            n_alert = len(marks)
        if "heat" in layers:
            payload["heat"] = heat
    as_of = max(stamps) if stamps else None
    encoded.update((k, _dumps(v)) for k, v in payload.items())
    return MapVM(payload="{" + ",".join(f"{_dumps(k)}:{v}" for k, v in encoded.items()) + "}",
                 as_of=as_of, source="、".join(sorted(feeds)), devices=n_dev, alerts=n_alert)
