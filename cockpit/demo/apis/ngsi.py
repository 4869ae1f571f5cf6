"""NGSI-v2 (Orion) for the simulator: the city's Smart Data Models entities, current state.

Deliberately untidy in the ways real brokers are: AirQualityObserved's ``dateObserved`` is an
interval; ``pm25``'s unit sits in metadata without a type; OffStreetParking's free spots are a
numeric string with a zone-less ``TimeInstant`` in metadata (local time). Stations carry a
Chinese ``name`` and a PostalAddress ``address`` (``addressLocality``, ``streetAddress``).

Orion's builtin ``dateModified`` (the moment the broker last took an update of the entity) is
rendered only when ``attrs`` names it, and ``q=dateModified>=…`` filters on it, as in Orion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cockpit.demo.city import LOCAL_TZ, PROFILES
from cockpit.model.metrics import DISTRICTS

SEVERITY = {"critical": "critical", "major": "high", "minor": "medium", "info": "informational"}


def _iso(ts) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _point(lat: float, lon: float) -> dict:
    return {"type": "geo:json", "value": {"type": "Point", "coordinates": [lon, lat]}}


def _address(code: str, street: str) -> dict:
    return {"type": "PostalAddress", "value": {"addressCountry": "CN", "addressRegion": "山东省",
                                               "addressLocality": DISTRICTS[code],
                                               "streetAddress": street}}


def entities(sim) -> list[dict[str, Any]]:
    world = sim.world
    out: list[dict[str, Any]] = []
    for code in world.codes:
        p = PROFILES[code]
        aqi, pm25 = world.latest(code, "aqi"), world.latest(code, "pm25")
        out.append({
            "id": f"urn:ngsi-ld:AirQualityObserved:weifang-{code}", "type": "AirQualityObserved",
            "name": {"type": "Text", "value": f"{DISTRICTS[code]}空气质量监测站"},
            "address": _address(code, f"{p.places[0]}"),
            "dateModified": _iso(aqi.ts),
            "airQualityIndex": {"type": "Number", "value": aqi.value, "metadata": {}},
            "pm25": {"type": "Number", "value": pm25.value,
                     "metadata": {"unitCode": {"value": "GQ"}}},
            "dateObserved": {"type": "Text", "value":
                             f"{_iso(aqi.ts - timedelta(minutes=5))}/{_iso(aqi.ts)}"},
            "areaServed": {"type": "Text", "value": code},
            "location": _point(p.lat, p.lon)})
        cong = world.latest(code, "congestion")
        out.append({
            "id": f"urn:ngsi-ld:TrafficFlowObserved:weifang-{code}", "type": "TrafficFlowObserved",
            "name": {"type": "Text", "value": f"{DISTRICTS[code]}交通流量监测点"},
            "dateModified": _iso(cong.ts),
            "congestionIndex": {"type": "Number", "value": cong.value, "metadata": {}},
            "dateObserved": {"type": "DateTime", "value": _iso(cong.ts)},
            "areaServed": {"type": "Text", "value": code},
            "location": _point(p.lat + 0.003, p.lon + 0.003)})
        park = world.latest(code, "parking_occupancy")
        total = 400 + int(600 * p.urban)
        free = round(total * (1 - park.value / 100))
        local = park.ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M:%S")
        out.append({
            "id": f"urn:ngsi-ld:OffStreetParking:weifang-{code}", "type": "OffStreetParking",
            "name": {"type": "Text", "value": f"{p.places[0]}停车场"},
            "address": _address(code, f"{p.places[0]}"),
            "dateModified": _iso(park.ts),
            "totalSpotNumber": {"type": "Number", "value": total, "metadata": {}},
            "availableSpotNumber": {"type": "Text", "value": str(free),
                                    "metadata": {"TimeInstant": {"type": "DateTime",
                                                                 "value": local}}},
            "TimeInstant": {"type": "DateTime", "value": _iso(park.ts)},  # what keyValues keeps
            "areaServed": {"type": "Text", "value": code},
            "location": _point(p.lat - 0.004, p.lon + 0.002)})
    for d in world.devices:
        if d["entity_type"] == "district":
            continue
        out.append({
            "id": f"urn:ngsi-ld:Device:{d['entity_id']}", "type": "Device",
            "name": {"type": "Text", "value": d["name"]},
            "category": {"type": "Text", "value": d["entity_type"]},
            "deviceState": {"type": "Text", "value": d["status"]},
            "dateModified": _iso(world.now()),
            "dateLastValueReported": {"type": "DateTime", "value": _iso(world.now())},
            "areaServed": {"type": "Text", "value": d["district"]},
            "location": _point(d["lat"], d["lon"])})
    for a in sim.world.current_alerts():
        out.append({
            "id": f"urn:ngsi-ld:Alert:{a['alert_id']}", "type": "Alert",
            "category": {"type": "Text", "value": a["category"]},
            "severity": {"type": "Text", "value": SEVERITY[a["severity"]]},
            "description": {"type": "Text", "value": a["title"]},
            "dateIssued": {"type": "DateTime", "value": _iso(a["ts"])},
            "dateModified": _iso(a["ts"]),
            "areaServed": {"type": "Text", "value": a["district"]},
            "location": _point(a["lat"], a["lon"])})
    return out


def _key_values(entity: dict) -> dict:
    return {k: (v["value"] if isinstance(v, dict) and "value" in v else v)
            for k, v in entity.items()}


def _matches(entity: dict, q: str) -> bool:
    for cond in filter(None, q.split(";")):
        for op in (">=", "<=", "==", ">", "<"):
            if op in cond:
                attr, _, value = cond.partition(op)
                have = entity.get(attr)
                if isinstance(have, dict):
                    have = have.get("value")
                elif attr != "dateModified":  # the builtin is a bare text here
                    have = None
                if have is None:
                    return False
                have = str(have).split("/")[-1]
                ok = {">=": have >= value, "<=": have <= value, "==": have == value,
                      ">": have > value, "<": have < value}[op]
                if not ok:
                    return False
                break
    return True


def handle(sim, path: str, query: dict[str, str], headers) -> tuple[int, Any, dict[str, str]]:
    if path != "/v2/entities":
        return 404, {"error": "NotFound", "description": "The requested entity has not been found."}, {}
    if sim.fiware_service and headers.get("Fiware-Service") != sim.fiware_service:
        found: list[dict] = []
    else:
        found = entities(sim)
    if query.get("type"):
        types = set(query["type"].split(","))
        found = [e for e in found if e["type"] in types]
    if query.get("q"):
        found = [e for e in found if _matches(e, query["q"])]
    found.sort(key=lambda e: e["id"])
    limit = int(query.get("limit", 20))
    if not 1 <= limit <= 1000:
        return 400, {"error": "BadRequest", "description": "Bad pagination limit"}, {}
    offset = int(query.get("offset", 0))
    page = found[offset:offset + limit]
    asked = set(query["attrs"].split(",")) if query.get("attrs") else {"*"}
    page = [{k: v for k, v in e.items() if k in ("id", "type") or
             (k in asked if k == "dateModified" else "*" in asked or k in asked)} for e in page]
    page = [{k: ({"type": "DateTime", "value": v, "metadata": {}} if k == "dateModified" else v)
             for k, v in e.items()} for e in page]
    options = set(query.get("options", "").split(","))
    if "keyValues" in options:
        page = [_key_values(e) for e in page]
    headers_out = {"Fiware-Total-Count": str(len(found))} if "count" in options else {}
    return 200, page, headers_out
