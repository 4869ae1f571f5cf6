"""ThingsBoard for the simulator: login and token refresh (JWTs with an ``exp`` claim), the
tenant's devices (one monitoring station per district: a serial as ``name``, the Chinese
station name as ``label``), their timeseries (values as strings unless
``useStrictDataTypes=true``; ``orderBy`` ASC or DESC, DESC by default as in ThingsBoard;
``limit`` per key) and their attributes (location, district, activity).

A gateway's late upload can be played: ``sim.tb_late_s = {district code: seconds}`` holds back
that station's points until they are that many seconds old, as a gateway that forwards its
buffer late does."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from cockpit.demo.city import PROFILES
from cockpit.demo.world import World
from cockpit.model.metrics import DISTRICTS

NAMESPACE = uuid.UUID("6f1c1c3e-5a0b-4c55-9a7e-2f1e8b9d0c11")
TOKEN_S = 9000  # ThingsBoard's default JWT_TOKEN_EXPIRATION_TIME


def device_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, code))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def make_jwt(subject: str, expires: float) -> str:
    """A token shaped like ThingsBoard's (HS512 header, sub/scopes/exp claims); the signature
    is random, as only this server checks it (by remembering the token)."""
    return ".".join((_b64({"alg": "HS512"}),
                     _b64({"sub": subject, "scopes": ["TENANT_ADMIN"], "iss": "thingsboard.io",
                           "exp": int(expires)}), secrets.token_urlsafe(32)))


def _error(status: int, message: str, code: int) -> tuple[int, Any, dict[str, str]]:
    return status, {"status": status, "message": message, "errorCode": code,
                    "timestamp": 0}, {}


def _pair(sim, world: World) -> dict[str, str]:
    token = make_jwt(sim.tb_user[0], world.clock() + TOKEN_S)
    refresh = make_jwt(sim.tb_user[0], world.clock() + 7 * 86400)
    if not hasattr(sim, "tb_refresh"):
        sim.tb_refresh = set()
    sim.tb_refresh.add(refresh)
    sim.tb_tokens |= {token, refresh}  # clearing tb_tokens forgets every session
    return {"token": token, "refreshToken": refresh}


def handle(sim, method: str, path: str, query: dict[str, str], body: bytes,
           headers) -> tuple[int, Any, dict[str, str]]:
    world: World = sim.world
    if path in ("/api/auth/login", "/api/auth/token") and method == "POST":
        try:
            cred = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "Invalid request body", 31)
        if path == "/api/auth/token":
            refresh = cred.get("refreshToken")
            if refresh not in getattr(sim, "tb_refresh", set()) or refresh not in sim.tb_tokens:
                return _error(401, "Invalid refresh token", 10)
            return 200, _pair(sim, world), {}
        if (cred.get("username"), cred.get("password")) != sim.tb_user:
            return _error(401, "Invalid username or password", 10)
        return 200, _pair(sim, world), {}
    auth = headers.get("X-Authorization", "")
    if not auth.startswith("Bearer ") or auth[7:] not in sim.tb_tokens or \
            auth[7:] in getattr(sim, "tb_refresh", set()):
        return _error(401, "Token has expired", 11)
    if path == "/api/tenant/devices":
        size, page = int(query["pageSize"]), int(query["page"])
        devices = [{"id": {"entityType": "DEVICE", "id": device_id(c)},
                    "name": f"WF-STATION-{c}", "label": f"{DISTRICTS[c]}城市运行监测站",
                    "type": "district-station"} for c in world.codes]
        chunk = devices[page * size:(page + 1) * size]
        pages = -(-len(devices) // size)
        return 200, {"data": chunk, "totalPages": pages, "totalElements": len(devices),
                     "hasNext": page + 1 < pages}, {}
    parts = path.split("/")
    # /api/plugins/telemetry/DEVICE/{id}/values/{timeseries|attributes}
    if len(parts) != 8 or parts[3] != "telemetry" or parts[4] != "DEVICE":
        return _error(404, "Not found", 32)
    by_id = {device_id(c): c for c in world.codes}
    code = by_id.get(parts[5])
    if code is None:
        return _error(404, "Requested item wasn't found!", 32)
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
    descending = query.get("orderBy", "DESC").upper() != "ASC"
    # a late gateway: its points reach the server only once they are this old
    arrived = int((world.clock() - getattr(sim, "tb_late_s", {}).get(code, 0)) * 1000)
    readings = world.readings(datetime.fromtimestamp(start / 1000, UTC), metrics=keys,
                              districts=[code])
    out: dict[str, list] = {}
    for r in sorted(readings, key=lambda r: r.ts, reverse=descending):
        ms = int(r.ts.timestamp() * 1000)
        if start <= ms <= min(end, arrived) and len(out.setdefault(r.metric, [])) < limit:
            out[r.metric].append({"ts": ms, "value": r.value if strict else f"{r.value:g}"})
    return 200, {k: v for k, v in out.items() if v}, {}
