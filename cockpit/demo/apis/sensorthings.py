"""OGC SensorThings (FROST-like) for the simulator: a Thing per district, a Datastream per
district and metric, Observations on the 5-minute grid. ``@iot.nextLink`` is relative (as some
servers send it); cumulative counters carry an interval ``phenomenonTime`` (since the previous
step); 潍事通 users come as a numeric string."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cockpit.demo.city import PROFILES
from cockpit.demo.world import World
from cockpit.model.metrics import DISTRICTS, METRICS

INTERVAL_METRICS = {"hotline_opened", "hotline_closed", "citycase_opened", "citycase_closed"}
STRING_METRICS = {"wst_users"}


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _thing(world: World, d: int, expand_locations: bool) -> dict:
    code = world.codes[d]
    thing: dict[str, Any] = {"@iot.id": d + 1, "name": DISTRICTS[code],
                             "description": f"{DISTRICTS[code]}城市运行监测",
                             "properties": {"district": code}}
    if expand_locations:
        p = PROFILES[code]
        thing["Locations"] = [{"@iot.id": d + 1, "name": DISTRICTS[code],
                               "encodingType": "application/geo+json",
                               "location": {"type": "Point", "coordinates": [p.lon, p.lat]}}]
    return thing


def datastream_id(world: World, d: int, m: int) -> int:
    return d * 100 + m + 1


def _datastream(world: World, d: int, m: int, expand: str) -> dict:
    metric = world.metrics[m]
    ds: dict[str, Any] = {"@iot.id": datastream_id(world, d, m),
                          "name": f"{world.codes[d]}:{metric}",
                          "unitOfMeasurement": {"name": METRICS[metric].unit or "index",
                                                "symbol": METRICS[metric].unit, "definition": ""}}
    if "ObservedProperty" in expand:
        ds["ObservedProperty"] = {"@iot.id": m + 1, "name": metric,
                                  "description": METRICS[metric].name}
    if "Thing" in expand:
        ds["Thing"] = _thing(world, d, "Locations" in expand)
    return ds


def _page(items: list, query: dict[str, str], base: str) -> dict:
    top, skip = int(query.get("$top", 100)), int(query.get("$skip", 0))
    out: dict[str, Any] = {}
    if query.get("$count") == "true":
        out["@iot.count"] = len(items)
    out["value"] = items[skip:skip + top]
    if skip + top < len(items):
        nxt = {**query, "$skip": str(skip + top), "$top": str(top)}
        out["@iot.nextLink"] = f"{base}?{urlencode(nxt)}"  # relative, as some servers send
    return out


def _since(flt: str) -> tuple[str, datetime] | None:
    parts = flt.split()
    if len(parts) == 3 and parts[0] == "phenomenonTime" and parts[1] in ("gt", "ge"):
        return parts[1], datetime.fromisoformat(parts[2].replace("Z", "+00:00"))
    return None


def handle(sim, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    world: World = sim.world
    kind = path.removeprefix("/v1.1/")
    expand = query.get("$expand", "")
    if kind == "Things":
        items = [_thing(world, d, "Locations" in expand) for d in range(len(world.codes))]
        return 200, _page(items, query, "Things"), {}
    if kind == "Datastreams":
        items = [_datastream(world, d, m, expand) for d in range(len(world.codes))
                 for m in range(len(world.metrics))]
        return 200, _page(items, query, "Datastreams"), {}
    if kind != "Observations":
        return 404, {"code": 404, "type": "error", "message": "Not a valid path"}, {}
    since = None
    if query.get("$filter"):
        since = _since(query["$filter"])
        if since is None:
            return 400, {"code": 400, "type": "error",
                         "message": f"unsupported $filter {query['$filter']!r}"}, {}
    readings = world.readings(since[1] if since else None)
    if since and since[0] == "gt":
        readings = [r for r in readings if r.ts > since[1]]
    items = []
    for r in readings:
        d, m = world.codes.index(r.district), world.metrics.index(r.metric)
        ds = datastream_id(world, d, m)
        step = world.step_at(r.ts.timestamp())
        time = (f"{_iso(r.ts - timedelta(minutes=5))}/{_iso(r.ts)}"
                if r.metric in INTERVAL_METRICS else _iso(r.ts))
        result: Any = f"{r.value:.0f}" if r.metric in STRING_METRICS else r.value
        obs: dict[str, Any] = {"@iot.id": step * 10_000 + ds, "phenomenonTime": time,
                               "resultTime": _iso(r.ts), "result": result}
        if "Datastream" in expand:
            obs["Datastream"] = {"@iot.id": ds}
        items.append(obs)
    if query.get("$orderby", "phenomenonTime asc").endswith("desc"):
        items.reverse()
    return 200, _page(items, query, "Observations"), {}
