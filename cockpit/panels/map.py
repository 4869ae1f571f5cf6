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
from datetime import datetime, timedelta

import duckdb

from cockpit.model.metrics import (
    DISTRICTS,
    METRICS,
    SEVERITIES,
    SEVERITY_NAMES,
    district_name,
)
from cockpit.model.theme import theme
from cockpit.panels.alerts import ALERTS_AT
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


def _status(status: str | None, updated: datetime | None, now: datetime) -> str:
    if status in STATUS_COLORS:
        return status
    if status is None and updated is not None and now - updated <= REPORTED_ONLINE:
        return "online"
    return "offline"


def map_layers(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> MapVM:
    layers = set(spec.get("layers") or LAYERS)
    src = spec.get("source_crs") or "wgs84"
    payload: dict = {"legend": None}
    stamps: list[datetime] = []
    feeds: set[str] = set()
    n_dev = n_alert = 0
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
        devices = []
        for eid, etype, name, district, lat, lon, status, updated in cur.execute(
                """SELECT entity_id, entity_type, name, district, lat, lon, status, updated_at
                   FROM entities WHERE entity_type <> 'district' ORDER BY entity_id""").fetchall():
            pt = _point(lat, lon, src)
            if pt is None:
                continue
            status = _status(status, updated, now)
            devices.append({"id": safe_text(eid), "robot": etype in ROBOTS,
                            "kind": etype if etype in ROBOTS else "sensor",
                            "lat": pt[0], "lon": pt[1], "color": STATUS_COLORS[status],
                            "tip": safe_text(name or eid) + "<br>" + safe_text(
                                f"{district_name(district)} · {STATUS_NAMES[status]}")})
            if updated is not None:
                stamps.append(updated)
        payload["devices"] = devices
        n_dev = len(devices)
    if "alerts" in layers or "heat" in layers:
        c = theme().colors
        severities = list(spec.get("severities") or SEVERITIES)
        rows = cur.execute(  # as they stood at the moment shown (a replay's, or now)
            f"""SELECT alert_id, ts, severity, title, district, lat, lon, feed FROM {ALERTS_AT}
               WHERE state IN ('open', 'acked') AND severity IN (SELECT unnest(?::VARCHAR[]))
               ORDER BY ts DESC LIMIT ?""",
            [now, now, now, severities, int(spec.get("limit") or 200)]).fetchall()
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
    return MapVM(payload=json.dumps(payload, ensure_ascii=True, separators=(",", ":")),
                 as_of=as_of, source="、".join(sorted(feeds)), devices=n_dev, alerts=n_alert)
