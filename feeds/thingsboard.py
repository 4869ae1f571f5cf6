"""ThingsBoard: telemetry of a tenant's devices, per ThingsBoard's REST API.

* **Login**: ``POST /api/auth/login`` gives a JWT pair (``token``, ``refreshToken``); the token
  goes out as ``X-Authorization: Bearer …``. It is renewed with ``POST /api/auth/token`` (the
  refresh token) a minute before its ``exp`` claim, and whenever the server answers 401 (its
  clock, a restart); if the refresh is refused too, the feed logs in again. Once per request.
* **Devices**: ``GET /api/tenant/devices?pageSize=&page=``, a PageData (``data``,
  ``totalPages``, ``totalElements``, ``hasNext``); a listing that ends short of
  ``totalElements`` makes the load partial. Each device's name (its ``label`` when it has one),
  type and attributes (``…/values/attributes``: location, district, activity) go to
  ``entities``.
* **Telemetry**: ``GET /api/plugins/telemetry/DEVICE/{id}/values/timeseries?keys=&startTs=
  &endTs=&limit=&orderBy=ASC`` → ``{key: [{ts, value}]}``; values arrive as strings (or typed,
  with ``useStrictDataTypes``), both parsed. ``limit`` caps the points *per key*: a key that
  returns exactly ``limit`` points is read on from its last timestamp (or, from a server that
  ignored ``orderBy=ASC``, back from its first) until a page comes back short — never cut
  silently; a key that still has more after ``max_pages`` pages makes the load partial.

**Checkpoints per device and key.** The checkpoint is a JSON object ``{"v": 2, "series":
{device id: {key: high-water ts in ms}}}``. Each key of each device is read from its own mark
minus ``lookback_s`` (late data: a gateway uploads its buffered minutes after the others; a
device's points can arrive out of order), or ``backfill_s`` back when it has none; the store's
deduplication on ``(ts, feed, entity_id, metric)`` keeps a re-read point from being added
twice. A device's marks move when its rows are stored (one page per device), so a load cut off
mid-way resumes per device. The old checkpoint, one ISO timestamp for the whole feed, is read as
that mark for every series. No Qt.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from feeds.auth import resolve
from feeds.base import LiveFeed, Page
from feeds.common import Batch, parse_coord, parse_epoch_ms, parse_number
from feeds.errors import FetchError, Malformed
from feeds.http import HttpClient, HttpPolicy

DEVICE_PAGE = 100
REFRESH_MARGIN_S = 60  # renew a token this long before its exp claim


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (epoch seconds), read without checking the signature (the
    server checks it); None when the token is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    except (IndexError, ValueError, TypeError):
        return None


def read_checkpoint(text: str | None) -> tuple[dict[str, dict[str, int]], int | None]:
    """(per device and key marks in ms, the old single mark in ms or None) from a checkpoint
    string of either form; an unreadable one starts afresh (the store dedups re-reads)."""
    if not text:
        return {}, None
    try:
        body = json.loads(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return {}, None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return {}, int(when.timestamp() * 1000)
    series = body.get("series") if isinstance(body, dict) else None
    if not isinstance(series, dict):
        return {}, None
    return {str(dev): {str(k): int(ts) for k, ts in keys.items()
                       if isinstance(ts, int) and not isinstance(ts, bool)}
            for dev, keys in series.items() if isinstance(keys, dict)}, None


def write_checkpoint(series: Mapping[str, Mapping[str, int]]) -> str:
    return json.dumps({"v": 2, "series": series}, sort_keys=True, separators=(",", ":"))


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
        self.max_pages = int(options.get("max_pages", 100))
        self.lookback_ms = int(float(options.get("lookback_s", 900)) * 1000)
        backfill = options.get("backfill_s")
        self.backfill_ms = int(float(7200 if backfill is None else backfill) * 1000)
        self.http = HttpClient(session, name, policy or HttpPolicy(), secrets=self.secrets)
        self._token: str | None = None
        self._refresh: str | None = None
        self._expires: float | None = None
        self.clock = time.time  # the token's expiry is held against it

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url, "keys": self.keys, "lookback_s": self.lookback_ms / 1000}

    # -- the JWT pair ---------------------------------------------------------------------
    def _take(self, body: Any, what: str) -> None:
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Malformed(self.name, "token", f"{what} answer without a token")
        refresh = body.get("refreshToken")
        self._token = token
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self._expires = jwt_expiry(token)
        if self._expires is not None and self._expires - REFRESH_MARGIN_S <= self.clock():
            self._expires = None  # a new token already "expired": our clocks differ; use 401s
        self.http.secrets = (*self.secrets, token, *([self._refresh] if self._refresh else []))

    def _login(self) -> None:
        resp = self.http.get(f"{self.url}/api/auth/login", method="POST",
                             json_body={"username": self.username, "password": self.password})
        self._take(resp.json(self.name), "login")

    def _renew(self) -> None:
        """A new token from the refresh token; a login when there is none or it is refused."""
        if self._refresh:
            resp = self.http.get(f"{self.url}/api/auth/token", method="POST",
                                 json_body={"refreshToken": self._refresh}, ok=(200, 401, 403))
            if resp.status == 200:
                self._take(resp.json(self.name), "token refresh")
                return
        self._login()

    def _authorized(self) -> str:
        if self._token is None:
            self._login()
        elif self._expires is not None and self.clock() >= self._expires - REFRESH_MARGIN_S:
            self._renew()
        assert self._token is not None
        return self._token

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        for attempt in (0, 1):
            token = self._authorized()
            resp = self.http.get(f"{self.url}{path}", params=params, ok=(200, 401),
                                 headers={"X-Authorization": f"Bearer {token}"})
            if resp.status == 401:
                if attempt:
                    raise FetchError(f"feed {self.name}: HTTP 401 from {path} with a new token")
                self._renew()  # expired early (server clock, restart): renew once
                continue
            return resp.json(self.name)
        raise AssertionError("unreachable")

    # -- devices ----------------------------------------------------------------------------
    def _devices(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        page, total = 0, None
        while True:
            body = self._get("/api/tenant/devices", {"pageSize": DEVICE_PAGE, "page": page})
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise Malformed(self.name, "data", "expected a PageData of devices")
            if isinstance(body.get("totalElements"), int):
                total = body["totalElements"]
            fresh = 0
            for dev in body["data"]:
                ident = dev.get("id") if isinstance(dev, dict) else None
                dev_id = ident.get("id") if isinstance(ident, dict) else None
                if not isinstance(dev_id, str) or not dev_id:
                    raise Malformed(self.name, f"data[{len(out)}].id.id",
                                    f"device without id: {str(dev)[:80]}")
                if dev_id not in seen:
                    seen.add(dev_id)
                    out.append(dev)
                    fresh += 1
            if not body.get("hasNext"):
                break
            if not fresh:  # a server that ignores ``page`` repeats itself: stop, say so
                self.partial = f"设备列表第 {page + 1} 页与前页重复，停止翻页"
                break
            page += 1
        if total is not None and len(out) < total:
            self.partial = self.partial or f"设备列表只取到 {len(out)}/{total} 台"
        return out

    # -- one load ---------------------------------------------------------------------------
    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        marks, legacy = read_checkpoint(since)
        end_ms = int(now.timestamp() * 1000)
        truncated: list[str] = []
        for dev in self._devices():
            dev_id = dev["id"]["id"]
            base = f"/api/plugins/telemetry/DEVICE/{dev_id}/values"
            batch = Batch(self.name)
            where = self._where(dev_id, self._get(f"{base}/attributes", {}), batch)
            label = dev.get("label") if isinstance(dev.get("label"), str) else None
            name = label or (dev.get("name") if isinstance(dev.get("name"), str) else dev_id)
            batch.entity(dev_id, "tb_device", name=name, status=where.pop("status"),
                         updated_at=now, **where,
                         attrs={"source": "thingsboard", "tb_name": dev.get("name"),
                                "tb_type": dev.get("type"), "label": label})
            mine = dict(marks.get(dev_id, {}))
            starts = {}
            for key in self.keys:
                mark = mine.get(key, legacy)
                starts[key] = (end_ms - self.backfill_ms if mark is None
                               else mark - self.lookback_ms)
            for key, points in self._series(base, dev_id, starts, end_ms, truncated):
                for p in points:
                    try:
                        ts = parse_epoch_ms(p.get("ts") if isinstance(p, dict) else None,
                                            self.name, f"{dev_id}.{key}.ts", now=now)
                        value = parse_number(p.get("value"), self.name, f"{dev_id}.{key}.value")
                    except Malformed as exc:
                        batch.rejected.append(str(exc))
                        continue
                    batch.observe(ts, dev_id, key, value, entity_type="tb_device", **where)
                    mine[key] = max(mine.get(key, 0), int(p["ts"]))
            marks[dev_id] = mine
            yield Page(batch, write_checkpoint(marks))
        if truncated:
            self.partial = (f"达到 limit={self.limit}×{self.max_pages} 页上限，可能缺数："
                            f"{', '.join(truncated[:3])}")

    def _series(self, base: str, dev_id: str, starts: dict[str, int], end_ms: int,
                truncated: list[str]) -> Iterator[tuple[str, list]]:
        """Each key's points in [start, end]: one request for every key, then a key whose
        answer filled ``limit`` is read on alone until an answer comes back short."""
        first = min(starts.values())
        body = self._timeseries(base, self.keys, first, end_ms)
        for key in self.keys:
            points = [p for p in body.get(key, []) if _ts(p) is None or _ts(p) >= starts[key]]
            yield key, points
            got, lo, hi, pages = body.get(key, []), first, end_ms, 1
            while len(got) >= self.limit:
                stamps = [t for t in map(_ts, got) if t is not None]
                if not stamps:
                    break
                if _ts(got[0]) is not None and _ts(got[-1]) is not None and \
                        _ts(got[0]) > _ts(got[-1]):
                    nxt = (lo, min(stamps) - 1)  # newest first: the server ignored ASC
                else:
                    nxt = (max(stamps) + 1, hi)
                if nxt == (lo, hi) or nxt[0] > nxt[1]:
                    break
                if pages >= self.max_pages:
                    truncated.append(f"{dev_id}.{key}")
                    break
                lo, hi = nxt
                got = self._timeseries(base, [key], lo, hi).get(key, [])
                pages += 1
                yield key, got

    def _timeseries(self, base: str, keys: list[str], start: int, end: int) -> dict[str, list]:
        body = self._get(f"{base}/timeseries", {
            "keys": ",".join(keys), "startTs": start, "endTs": end, "limit": self.limit,
            "orderBy": "ASC", "useStrictDataTypes": "false"})
        if not isinstance(body, dict):
            raise Malformed(self.name, "timeseries", "expected an object of keys")
        out = {}
        for key, points in body.items():
            if not isinstance(points, list):
                raise Malformed(self.name, f"timeseries.{key}", "expected a list of points")
            out[key] = points
        return out

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
            active = values["active"]
            where["status"] = "online" if active in (True, "true") else "offline"
        return where


def _ts(point: Any) -> int | None:
    ts = point.get("ts") if isinstance(point, dict) else None
    return ts if isinstance(ts, int) and not isinstance(ts, bool) else None
