"""ThingsBoard for the simulator: login, the tenant's devices (one monitoring station per
district), their timeseries (values as strings unless ``useStrictDataTypes=true``, newest first,
``limit`` per key) and their attributes (location, district, activity)."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from cockpit.demo.city import PROFILES
from cockpit.demo.world import World
from cockpit.model.metrics import DISTRICTS

NAMESPACE = uuid.UUID("6f1c1c3e-5a0b-4c55-9a7e-2f1e8b9d0c11")


def device_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, code))


def _unauthorized() -> tuple[int, Any, dict[str, str]]:
    return 401, {"status": 401, "message": "Authentication failed", "errorCode": 10}, {}


def handle(sim, method: str, path: str, query: dict[str, str], body: bytes,
           headers) -> tuple[int, Any, dict[str, str]]:
    world: World = sim.world
    if path == "/api/auth/login" and method == "POST":
        try:
            cred = json.loads(body or b"{}")
        except ValueError:
            return 400, {"status": 400, "message": "Invalid request body"}, {}
        if (cred.get("username"), cred.get("password")) != sim.tb_user:
            return 401, {"status": 401, "message": "Invalid username or password",
                         "errorCode": 10}, {}
        token = secrets.token_hex(16)
        sim.tb_tokens.add(token)
        return 200, {"token": token, "refreshToken": secrets.token_hex(16)}, {}
    auth = headers.get("X-Authorization", "")
    if not auth.startswith("Bearer ") or auth[7:] not in sim.tb_tokens:
        return _unauthorized()
    if path == "/api/tenant/devices":
        size, page = int(query["pageSize"]), int(query["page"])
        devices = [{"id": {"entityType": "DEVICE", "id": device_id(c)},
                    "name": f"{DISTRICTS[c]}城市运行监测站", "type": "district-station"}
                   for c in world.codes]
        chunk = devices[page * size:(page + 1) * size]
        pages = -(-len(devices) // size)
        return 200, {"data": chunk, "totalPages": pages, "totalElements": len(devices),
                     "hasNext": page + 1 < pages}, {}
    parts = path.split("/")
    # /api/plugins/telemetry/DEVICE/{id}/values/{timeseries|attributes}
    if len(parts) != 8 or parts[3] != "telemetry" or parts[4] != "DEVICE":
        return 404, {"status": 404, "message": "Not found"}, {}
    by_id = {device_id(c): c for c in world.codes}
    code = by_id.get(parts[5])
    if code is None:
        return 404, {"status": 404, "message": "Requested item wasn't found!", "errorCode": 32}, {}
    keys = [k for k in query.get("keys", "").split(",") if k]
    if parts[7] == "attributes":
        p = PROFILES[code]
        now_ms = int(world.clock() * 1000)
        attrs = {"latitude": p.lat, "longitude": p.lon, "district": code, "active": True}
        return 200, [{"lastUpdateTs": now_ms, "key": k, "value": v} for k, v in attrs.items()
                     if not keys or k in keys], {}
    start, end = int(query["startTs"]), int(query["endTs"])
    limit = int(query.get("limit", 100))
    strict = query.get("useStrictDataTypes") == "true"
    from datetime import UTC, datetime
    readings = world.readings(datetime.fromtimestamp(start / 1000, UTC), metrics=keys,
                              districts=[code])
    out: dict[str, list] = {}
    for r in sorted(readings, key=lambda r: r.ts, reverse=True):
        ms = int(r.ts.timestamp() * 1000)
        if start <= ms <= end and len(out.setdefault(r.metric, [])) < limit:
            out[r.metric].append({"ts": ms, "value": r.value if strict else f"{r.value:g}"})
    return 200, out, {}
