"""OGC SensorThings (FROST-like) for the simulator: a Thing per district, a Datastream per
district and metric, Observations on the 5-minute grid, in both forms the spec defines: the
navigation ``Datastreams(id)/Observations`` and the top-level ``Observations`` (with
``$filter=Datastream/@iot.id eq id and phenomenonTime ge …``). Entities are addressed as
``Things(1)``, ``Datastreams(101)``, with their navigation (``Datastreams(101)/Thing``,
``…/ObservedProperty``, ``…/Sensor``, ``Things(1)/Locations``). ``@iot.nextLink`` is relative on
the top-level collection (``Observations?…``, as some servers send it) and absolute-path on the
navigation (``/v1.1/Datastreams(101)/Observations?…``); cumulative counters carry an interval
``phenomenonTime`` (since the previous step); 潍事通 users come as a numeric string."""

from __future__ import annotations

import re
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
        ds["ObservedProperty"] = _observed_property(world, m)
    if "Thing" in expand:
        ds["Thing"] = _thing(world, d, "Locations" in expand)
    if "Sensor" in expand:
        ds["Sensor"] = _sensor(world, m)
    ds["Observations@iot.navigationLink"] = f"Datastreams({ds['@iot.id']})/Observations"
    return ds


def _sensor(world: World, m: int) -> dict:
    return {"@iot.id": m + 1, "name": f"{world.metrics[m]} 监测仪",
            "encodingType": "application/pdf", "metadata": ""}


def _observed_property(world: World, m: int) -> dict:
    metric = world.metrics[m]
    return {"@iot.id": m + 1, "name": metric, "definition": f"urn:weifang:metric:{metric}",
            "description": METRICS[metric].name}


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


_CLAUSE = re.compile(r"^(?:(?P<field>phenomenonTime) (?P<op>ge|gt) (?P<time>\S+)|"
                     r"Datastream/(?:@iot\.)?id eq (?P<ds>\d+))$")
_ENTITY = re.compile(r"^(?P<set>Things|Datastreams)\((?P<id>\d+)\)(?:/(?P<nav>\w+))?$")
NOT_FOUND = {"code": 404, "type": "error", "message": "Nothing found."}


def _filter(flt: str) -> tuple[str | None, datetime | None, int | None] | str:
    """``phenomenonTime ge|gt T`` and ``Datastream/@iot.id eq N``, joined by ``and``: (op,
    time, datastream), or the reason it is refused."""
    op = since = ds = None
    for clause in flt.split(" and "):
        found = _CLAUSE.match(clause.strip())
        if found is None:
            return f"unsupported $filter {flt!r}"
        if found["ds"]:
            ds = int(found["ds"])
        else:
            op = found["op"]
            since = datetime.fromisoformat(found["time"].replace("Z", "+00:00"))
    return op, since, ds


def _locate(world: World, ds: int) -> tuple[int, int] | None:
    d, m = divmod(ds - 1, 100)
    if 0 <= d < len(world.codes) and 0 <= m < len(world.metrics):
        return d, m
    return None


def _observations(world: World, query: dict[str, str], base: str,
                  only: int | None) -> tuple[int, Any, dict[str, str]]:
    op = since = ds = None
    if query.get("$filter"):
        parsed = _filter(query["$filter"])
        if isinstance(parsed, str):
            return 400, {"code": 400, "type": "error", "message": parsed}, {}
        op, since, ds = parsed
    if only is not None:
        ds = only
    where: dict[str, list[str]] = {}
    if ds is not None:
        place = _locate(world, ds)
        if place is None:
            return 200, _page([], query, base), {}
        where = {"districts": [world.codes[place[0]]], "metrics": [world.metrics[place[1]]]}
    readings = world.readings(since, **where)
    if since is not None and op == "gt":
        readings = [r for r in readings if r.ts > since]
    expand = query.get("$expand", "")
    items = []
    for r in readings:
        d, m = world.codes.index(r.district), world.metrics.index(r.metric)
        ident = datastream_id(world, d, m)
        step = world.step_at(r.ts.timestamp())
        time = (f"{_iso(r.ts - timedelta(minutes=5))}/{_iso(r.ts)}"
                if r.metric in INTERVAL_METRICS else _iso(r.ts))
        result: Any = f"{r.value:.0f}" if r.metric in STRING_METRICS else r.value
        obs: dict[str, Any] = {"@iot.id": step * 10_000 + ident, "phenomenonTime": time,
                               "resultTime": _iso(r.ts), "result": result}
        if "Datastream" in expand:
            obs["Datastream"] = {"@iot.id": ident}
        items.append(obs)
    if query.get("$orderby", "phenomenonTime asc").endswith("desc"):
        items.reverse()
    return 200, _page(items, query, base), {}


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
    if kind == "Observations":
        return _observations(world, query, "Observations", None)
    found = _ENTITY.match(kind)
    if found is None:
        return 404, NOT_FOUND, {}
    ident, nav = int(found["id"]), found["nav"]
    if found["set"] == "Things":
        d = ident - 1
        if not 0 <= d < len(world.codes) or nav not in (None, "Locations"):
            return 404, NOT_FOUND, {}
        if nav is None:
            return 200, _thing(world, d, "Locations" in expand), {}
        return 200, _page(_thing(world, d, True)["Locations"], query, kind), {}
    place = _locate(world, ident)
    if place is None:
        return 404, NOT_FOUND, {}
    d, m = place
    if nav is None:
        return 200, _datastream(world, d, m, expand), {}
    if nav == "Thing":
        return 200, _thing(world, d, "Locations" in expand), {}
    if nav == "ObservedProperty":
        return 200, _observed_property(world, m), {}
    if nav == "Sensor":
        return 200, _sensor(world, m), {}
    if nav == "Observations":  # absolute-path nextLinks, as FROST's documentation shows
        return _observations(world, query, f"/v1.1/{kind}", ident)
    return 404, NOT_FOUND, {}
