"""ThingsBoard: telemetry of a tenant's devices.

Log in (``POST /api/auth/login``) for a JWT sent as ``X-Authorization: Bearer …`` (logged in
again once when it is refused); list the devices (``/api/tenant/devices``, paged); read each
device's attributes for its location, district and activity (``…/values/attributes``) into
``entities``, and its timeseries since the checkpoint (``…/values/timeseries`` with ``keys``,
``startTs``/``endTs``, ``limit``) into ``observations``. Values arrive as strings unless
``useStrictDataTypes=true``: both are parsed, anything else rejected. A key that returns
``limit`` values may have more: the load is flagged partial rather than silently cut. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from feeds.auth import resolve
from feeds.base import LiveFeed, Page
from feeds.common import Batch, parse_coord, parse_epoch_ms, parse_number
from feeds.errors import FetchError, Malformed
from feeds.http import HttpClient, HttpPolicy


class ThingsBoardFeed(LiveFeed):
    kind = "thingsboard"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any],
                 session: requests.Session, *, policy: HttpPolicy | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.username = resolve(options, "username", env) or ""
        self.password = resolve(options, "password", env) or ""
        super().__init__(name, interval_s, secrets=(self.password,))
        self.url = options["url"].rstrip("/")
        self.keys: list[str] = list(options["keys"])
        self.limit = int(options.get("limit", 1000))
        self.lookback = timedelta(seconds=float(options.get("lookback_s", 7200)))
        self.http = HttpClient(session, name, policy or HttpPolicy(), secrets=self.secrets)
        self._token: str | None = None

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url, "keys": self.keys}

    def _login(self) -> str:
        resp = self.http.get(f"{self.url}/api/auth/login", method="POST",
                             json_body={"username": self.username, "password": self.password})
        body = resp.json(self.name)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Malformed(self.name, "token", "login answer without a token")
        self.http.secrets = (*self.secrets, token)
        return token

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        for attempt in (0, 1):
            if self._token is None:
                self._token = self._login()
            resp = self.http.get(f"{self.url}{path}", params=params, ok=(200, 401),
                                 headers={"X-Authorization": f"Bearer {self._token}"})
            if resp.status == 401:
                self._token = None  # expired: log in again once
                if attempt:
                    raise FetchError(f"feed {self.name}: refused after logging in again")
                continue
            return resp.json(self.name)
        raise AssertionError("unreachable")

    def _devices(self) -> list[tuple[str, str]]:
        out, page = [], 0
        while True:
            body = self._get("/api/tenant/devices", {"pageSize": 100, "page": page})
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise Malformed(self.name, "data", "expected a page of devices")
            for dev in body["data"]:
                try:
                    out.append((str(dev["id"]["id"]), str(dev.get("name") or dev["id"]["id"])))
                except (KeyError, TypeError):
                    raise Malformed(self.name, "data[].id.id", f"device without id: "
                                                               f"{str(dev)[:80]}") from None
            if not body.get("hasNext"):
                return out
            page += 1

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        start = datetime.fromisoformat(since) if since else now - self.lookback
        start_ms, end_ms = int(start.timestamp() * 1000), int(now.timestamp() * 1000)
        newest = datetime.fromisoformat(since) if since else None
        truncated = []
        for dev_id, dev_name in self._devices():
            base = f"/api/plugins/telemetry/DEVICE/{dev_id}/values"
            attrs = self._get(f"{base}/attributes", {})
            batch = Batch(self.name)
            where = self._where(dev_id, attrs, batch)
            batch.entity(dev_id, "tb_device", name=dev_name, status=where.pop("status"),
                         updated_at=now, attrs={"source": "thingsboard"}, **where)
            series = self._get(f"{base}/timeseries", {
                "keys": ",".join(self.keys), "startTs": start_ms, "endTs": end_ms,
                "limit": self.limit, "useStrictDataTypes": "false"})
            if not isinstance(series, dict):
                raise Malformed(self.name, "timeseries", "expected an object of keys")
            for key, points in series.items():
                if not isinstance(points, list):
                    batch.rejected.append(f"feed {self.name}: {dev_id}.{key}: not a list")
                    continue
                if len(points) >= self.limit:
                    truncated.append(f"{dev_name}.{key}")
                for p in points:
                    try:
                        ts = parse_epoch_ms(p.get("ts") if isinstance(p, dict) else None,
                                            self.name, f"{dev_id}.{key}.ts", now=now)
                        value = parse_number(p.get("value"), self.name, f"{dev_id}.{key}.value")
                    except Malformed as exc:
                        batch.rejected.append(str(exc))
                        continue
                    batch.observe(ts, dev_id, key, value, entity_type="tb_device", **where)
                    newest = ts if newest is None or ts > newest else newest
            # The checkpoint moves once every device is read: the devices share one window.
            yield Page(batch, None)
        if newest is not None:
            yield Page(Batch(self.name), newest.astimezone(UTC).isoformat())
        if truncated:
            self.partial = f"达到 limit={self.limit} 上限，可能缺数：{', '.join(truncated[:3])}"

    def _where(self, dev_id: str, attrs: Any, batch: Batch) -> dict[str, Any]:
        values = {}
        if isinstance(attrs, list):
            values = {a.get("key"): a.get("value") for a in attrs if isinstance(a, dict)}
        where: dict[str, Any] = {"district": None, "lat": None, "lon": None, "status": None}
        try:
            if values.get("latitude") is not None and values.get("longitude") is not None:
                where["lat"] = parse_coord(values["latitude"], self.name, f"{dev_id}.latitude",
                                           -90, 90)
                where["lon"] = parse_coord(values["longitude"], self.name,
                                           f"{dev_id}.longitude", -180, 180)
        except Malformed as exc:
            batch.rejected.append(str(exc))
            where["lat"] = where["lon"] = None
        if values.get("district") is not None:
            where["district"] = str(values["district"])
        if "active" in values:
            where["status"] = "online" if values["active"] is True else "offline"
        return where
