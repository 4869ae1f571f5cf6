"""FIWARE NGSI-v2 (Orion Context Broker): ``GET /v2/entities`` into observations, entities
and alerts.

Paging by ``limit``/``offset`` with ``options=count`` (the total in ``Fiware-Total-Count``);
both the normalized form (``{"attr": {"type", "value", "metadata"}}``) and ``keyValues``;
``Fiware-Service``/``Fiware-ServicePath`` headers; ``location`` as a ``geo:json`` Point. The
time of a value is its attribute's ``TimeInstant`` metadata, else the entity's
``dateObserved`` (an interval stands for its end), else its ``TimeInstant`` attribute; a value
with none of them is rejected, not stamped with "now".

Smart Data Models mapped (the attribute -> metric table is configurable per feed):
AirQualityObserved, TrafficFlowObserved, OffStreetParking (occupancy from free/total spots)
-> observations; ParkingSpot and Device -> entities (status); Alert -> alerts. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from feeds.base import LiveFeed, Page
from feeds.common import Batch, parse_coord, parse_number, parse_time
from feeds.errors import Malformed
from feeds.http import HttpClient, HttpPolicy

#: Smart Data Model -> attribute -> metric code (the wall's catalogue)
DEFAULT_METRICS: dict[str, dict[str, str]] = {
    "AirQualityObserved": {"airQualityIndex": "aqi", "aqi": "aqi", "pm25": "pm25"},
    "TrafficFlowObserved": {"congestionIndex": "congestion"},
}
#: UN/CEFACT unit codes seen in metadata
UNIT_CODES = {"GQ": "μg/m³", "GP": "mg/m³", "P1": "%", "KMH": "km/h", "CEL": "°C"}
SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "info",
            "informational": "info"}
PAGE_LIMIT = 100


def _attr(entity: Mapping[str, Any], name: str) -> tuple[Any, Mapping[str, Any]]:
    """(value, metadata) of an attribute in either form; (None, {}) when absent."""
    raw = entity.get(name)
    if isinstance(raw, Mapping) and "value" in raw and ("type" in raw or "metadata" in raw):
        meta = raw.get("metadata") or {}
        return raw["value"], meta if isinstance(meta, Mapping) else {}
    return raw, {}


def _meta_value(meta: Mapping[str, Any], key: str) -> Any:
    item = meta.get(key)
    return item.get("value") if isinstance(item, Mapping) else item  # typed or not


class NgsiFeed(LiveFeed):
    kind = "ngsi"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any],
                 session: requests.Session, *, policy: HttpPolicy | None = None) -> None:
        super().__init__(name, interval_s)
        self.url = options["url"].rstrip("/")
        self.types: list[str] = list(options.get("types") or ["AirQualityObserved"])
        self.attrs: list[str] = list(options.get("attrs") or [])
        self.q = options.get("q")
        self.key_values = bool(options.get("key_values", False))
        self.service = options.get("service")
        self.service_path = options.get("service_path")
        self.limit = int(options.get("limit", PAGE_LIMIT))
        self.metrics = {t: {**DEFAULT_METRICS.get(t, {}), **(options.get("metrics") or {})}
                        for t in self.types}
        self.district_attr = options.get("district_attr", "areaServed")
        self.http = HttpClient(session, name, policy or HttpPolicy())

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url, "types": self.types, "key_values": self.key_values}

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        headers = {"Accept": "application/json"}
        if self.service:
            headers["Fiware-Service"] = self.service
        if self.service_path:
            headers["Fiware-ServicePath"] = self.service_path
        newest = datetime.fromisoformat(since) if since else None
        for etype in self.types:
            got, total = 0, None
            while True:
                params: dict[str, Any] = {"type": etype, "limit": self.limit, "offset": got,
                                          "options": "count,keyValues" if self.key_values
                                          else "count"}
                if self.attrs:
                    params["attrs"] = ",".join(self.attrs)
                if self.q:
                    params["q"] = self.q
                resp = self.http.get(f"{self.url}/v2/entities", params=params, headers=headers)
                body = resp.json(self.name)
                if not isinstance(body, list):
                    raise Malformed(self.name, "(body)", f"expected a list of entities, found "
                                                         f"{type(body).__name__}")
                count = resp.headers.get("Fiware-Total-Count")
                if count is not None:
                    if not count.isdigit():
                        raise Malformed(self.name, "Fiware-Total-Count", f"not a count: {count!r}")
                    total = int(count)
                batch = Batch(self.name)
                for entity in body:
                    ts = self._entity(entity, batch, now)
                    if ts is not None and (newest is None or ts > newest):
                        newest = ts
                got += len(body)
                yield Page(batch, newest.astimezone(UTC).isoformat() if newest else None)
                if not body or (total is not None and got >= total) or (
                        total is None and len(body) < self.limit):
                    break
            if self.partial is None:
                self.short_of(got, total)

    # -- one entity -----------------------------------------------------------------------
    def _time(self, entity: Mapping[str, Any], meta: Mapping[str, Any], field: str,
              now: datetime) -> datetime:
        instant = _meta_value(meta, "TimeInstant")
        if instant is not None:
            return parse_time(instant, self.name, f"{field}.metadata.TimeInstant", now=now)
        for name in ("dateObserved", "TimeInstant", "dateIssued", "dateLastValueReported"):
            value, _ = _attr(entity, name)
            if value is not None:
                return parse_time(value, self.name, f"{entity.get('id')}.{name}", now=now)
        raise Malformed(self.name, f"{entity.get('id')}.{field}",
                        "no time (no TimeInstant metadata, dateObserved or TimeInstant)")

    def _location(self, entity: Mapping[str, Any]) -> tuple[float | None, float | None]:
        value, _ = _attr(entity, "location")
        if value is None:
            return None, None
        where = f"{entity.get('id')}.location"
        if not (isinstance(value, Mapping) and value.get("type") == "Point"
                and isinstance(value.get("coordinates"), list) and len(value["coordinates"]) >= 2):
            raise Malformed(self.name, where, "expected a geo:json Point")
        lon, lat = value["coordinates"][:2]
        return (parse_coord(lat, self.name, where, -90, 90),
                parse_coord(lon, self.name, where, -180, 180))

    def _entity(self, entity: Any, batch: Batch, now: datetime) -> datetime | None:
        try:
            if not isinstance(entity, Mapping) or not isinstance(entity.get("id"), str):
                raise Malformed(self.name, "(entity)", "expected an object with an id")
            etype = entity.get("type")
            eid = entity["id"]
            if not isinstance(etype, str):
                raise Malformed(self.name, f"{eid}.type", f"expected a type name, found {etype!r}")
            lat, lon = self._location(entity)
            district, _ = _attr(entity, self.district_attr)
            district = str(district) if district is not None else None
            where = {"district": district, "lat": lat, "lon": lon}
            if etype == "Alert":
                return self._alert(entity, batch, now, where)
            if etype in ("Device", "ParkingSpot"):
                return self._status(entity, batch, now, where)
            newest = None
            rows = []
            for attr, metric in self.metrics.get(etype, {}).items():
                value, meta = _attr(entity, attr)
                if value is None:
                    continue
                number = parse_number(value, self.name, f"{eid}.{attr}")
                unit = _meta_value(meta, "unitCode")
                rows.append((self._time(entity, meta, attr, now), metric, number,
                             UNIT_CODES.get(unit, unit)))
            if etype == "OffStreetParking":
                free, meta = _attr(entity, "availableSpotNumber")
                total, _ = _attr(entity, "totalSpotNumber")
                if free is not None and total is not None:
                    free = parse_number(free, self.name, f"{eid}.availableSpotNumber")
                    total = parse_number(total, self.name, f"{eid}.totalSpotNumber")
                    if total <= 0 or not 0 <= free <= total:
                        raise Malformed(self.name, f"{eid}.availableSpotNumber",
                                        f"absurd: {free:g} free of {total:g}")
                    rows.append((self._time(entity, meta, "availableSpotNumber", now),
                                 "parking_occupancy", round(100 * (1 - free / total), 1), "%"))
            for ts, metric, number, unit in rows:
                batch.observe(ts, eid, metric, number, entity_type=etype, unit=unit, **where)
                newest = ts if newest is None or ts > newest else newest
            return newest
        except Malformed as exc:
            batch.rejected.append(str(exc))
            return None
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            batch.rejected.append(f"feed {self.name}: (entity {str(entity)[:60]}): unexpected shape "
                                  f"({type(exc).__name__}: {str(exc)[:80]})")
            return None

    def _status(self, entity: Mapping[str, Any], batch: Batch, now: datetime,
                where: dict) -> datetime:
        state_attr = "status" if entity.get("type") == "ParkingSpot" else "deviceState"
        status, _ = _attr(entity, state_attr)
        name, _ = _attr(entity, "name")
        category, _ = _attr(entity, "category")
        ts = self._time(entity, {}, state_attr, now)
        batch.entity(entity["id"], str(category or entity.get("type")), name=name,
                     status=None if status is None else str(status), updated_at=ts,
                     attrs={"ngsi_type": entity.get("type")}, **where)
        return ts

    def _alert(self, entity: Mapping[str, Any], batch: Batch, now: datetime,
               where: dict) -> datetime:
        eid = entity["id"]
        severity, _ = _attr(entity, "severity")
        if not isinstance(severity, str) or severity not in SEVERITY:
            raise Malformed(self.name, f"{eid}.severity",
                            f"unknown severity {severity!r} (known: {', '.join(SEVERITY)})")
        title, _ = _attr(entity, "description")
        category, _ = _attr(entity, "category")
        ts = self._time(entity, {}, "dateIssued", now)
        batch.alert(eid.rsplit(":", 1)[-1], ts, severity=SEVERITY[severity],
                    category=None if category is None else str(category),
                    title=str(title or category or "告警"), **where)
        return ts
