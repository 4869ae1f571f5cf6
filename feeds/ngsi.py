"""FIWARE NGSI-v2 (Orion Context Broker): ``GET /v2/entities`` into observations, entities
and alerts.

Paging by ``limit``/``offset`` with ``options=count`` (the total in ``Fiware-Total-Count``);
a load is complete when as many *distinct* entities arrived as the total says, else partial; a
page that only repeats entities already read (a server ignoring ``offset``) stops the load,
partial. Both the normalized form (``{"attr": {"type", "value", "metadata"}}``) and
``keyValues``; ``Fiware-Service``/``Fiware-ServicePath`` headers (tenants); ``location`` as a
``geo:json`` Point (``[lon, lat]``) or a ``geo:point`` text (``"lat, lon"``). The time of a
value is its attribute's ``TimeInstant`` metadata, else the entity's ``dateObserved`` (an
interval stands for its end), else its ``TimeInstant`` attribute; a zone-less time is local
(Asia/Shanghai); a value with none of them is rejected, not stamped with "now".

Every entity that brought data also lands in ``entities``: its name (``name``, else
``stationName``), type and descriptive attributes (``address`` with ``addressLocality`` and
``streetAddress``, ``description``, ``stationCode`` …) in ``attrs``, so panels show the
station's name rather than its URN.

**Incremental reading is an Orion feature.** Orion holds the current state of each entity, not
its history, and stamps every entity with the builtin ``dateModified`` (its own clock, at
arrival). With ``modified_since = true`` the feed asks for it (``attrs=…,dateModified``),
keeps it per entity in the checkpoint (``{"v": 2, "modified": {entity id: dateModified}}``),
asks only for entities modified since the newest mark minus ``lookback_s``
(``q=dateModified>=…``), and skips an entity whose ``dateModified`` has not moved. Since
``dateModified`` is stamped on arrival, a late upload is newer than the mark and is read. A
broker without the builtin (other NGSI-v2 servers) does not render it: the feed says so, once
per load, and reads everything, as it does by default; re-read values are not added twice (the
store deduplicates).

Smart Data Models mapped (the attribute -> metric table is configurable per feed):
AirQualityObserved, TrafficFlowObserved, OffStreetParking (occupancy from free/total spots)
-> observations; ParkingSpot and Device -> entities (status); Alert -> alerts (its
``alertSource``, the id of the entity that raised it, in ``detail``: panels show that entity's
name). No Qt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
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
#: descriptive attributes kept in ``entities.attrs`` (Smart Data Models' common properties)
DESCRIPTIVE = ("description", "alternateName", "stationName", "stationCode", "dataProvider",
               "owner", "source", "refPointOfInterest", "category")
log = logging.getLogger(__name__)


def read_marks(text: str | None) -> dict[str, str]:
    """The per-entity ``dateModified`` marks of a checkpoint ("type\\x1fid" -> ISO time); an
    old or unreadable checkpoint (one ISO time) gives none: one full read."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return {}
    marks = body.get("modified") if isinstance(body, dict) else None
    return {str(k): v for k, v in marks.items() if isinstance(v, str)} \
        if isinstance(marks, dict) else {}


def write_marks(marks: Mapping[str, str]) -> str:
    return json.dumps({"v": 2, "modified": dict(marks)}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def alert_id(entity_id: str) -> str:
    """An Alert entity's id in the cache: the last part of its URN
    (``urn:ngsi-ld:Alert:WF-0042`` -> ``WF-0042``)."""
    return entity_id.rsplit(":", 1)[-1]


def _modified(entity: Mapping[str, Any]) -> str | None:
    """The entity's ``dateModified`` as an aware ISO time, or None (not rendered)."""
    value, _ = _attr(entity, "dateModified")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


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
        self.modified_since = bool(options.get("modified_since", False))
        self.lookback = timedelta(seconds=float(options.get("lookback_s", 60)))
        self.http = HttpClient(session, name, policy or HttpPolicy())

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url, "types": self.types, "key_values": self.key_values,
                "modified_since": self.modified_since}

    def _params(self, etype: str, offset: int, marks: Mapping[str, str]) -> dict[str, Any]:
        params: dict[str, Any] = {"type": etype, "limit": self.limit, "offset": offset,
                                  "options": "count,keyValues" if self.key_values else "count"}
        attrs = list(self.attrs)
        q = [self.q] if self.q else []
        if self.modified_since:
            attrs = [*(attrs or ["*"]), "dateModified"]
            if marks:
                newest = max(datetime.fromisoformat(m) for m in marks.values())
                since = (newest - self.lookback).astimezone(UTC)
                q.append(f"dateModified>={since.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z")
        if attrs:
            params["attrs"] = ",".join(attrs)
        if q:
            params["q"] = ";".join(q)
        return params

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        """The load's pages; with ``Alert`` among the types, the last page of a load proven
        complete carries the ids of every alert the broker lists (:attr:`Page.open_alerts`),
        so the runner clears the ones it dropped. The last page is held back until the load
        has ended to know that."""
        listed: set[str] = set()
        held: Page | None = None
        try:
            for page in self._pages(since, now, listed):
                if held is not None:
                    yield held
                held = page
        except Exception:
            if held is not None:  # fetched before the failure: still written, then the error
                yield held
            raise
        if held is None:
            return
        if "Alert" in self.types and self.partial is None:
            held.open_alerts = listed
        yield held

    def _pages(self, since: str | None, now: datetime, listed: set[str]) -> Iterator[Page]:
        headers = {"Accept": "application/json"}
        if self.service:
            headers["Fiware-Service"] = self.service
        if self.service_path:
            headers["Fiware-ServicePath"] = self.service_path
        marks = read_marks(since) if self.modified_since else {}
        unmarked = 0
        for etype in self.types:
            seen: set[str] = set()
            got, total, page_no = 0, None, 0
            # Alerts are always listed in full (they are few): an alert the broker no longer
            # lists is known only from a whole listing, never from one filtered by dateModified
            type_marks = {} if etype == "Alert" else {
                k: v for k, v in marks.items() if k.split("\x1f")[0] == etype}
            while True:
                resp = self.http.get(f"{self.url}/v2/entities", headers=headers,
                                     params=self._params(etype, got, type_marks))
                body = resp.json(self.name)
                if not isinstance(body, list):
                    raise Malformed(self.name, "(body)", f"expected a list of entities, found "
                                                         f"{type(body).__name__}")
                count = resp.headers.get("Fiware-Total-Count")
                if count is not None:
                    if not count.strip().isdigit():
                        raise Malformed(self.name, "Fiware-Total-Count", f"not a count: {count!r}")
                    total = int(count)
                batch = Batch(self.name)
                fresh, page_no = 0, page_no + 1
                for entity in body:
                    eid = entity.get("id") if isinstance(entity, Mapping) else None
                    if isinstance(eid, str):
                        if eid in seen:
                            continue
                        seen.add(eid)
                        fresh += 1
                        if etype == "Alert":
                            listed.add(alert_id(eid))
                    if self.modified_since and isinstance(eid, str):
                        key = f"{etype}\x1f{eid}"
                        modified = _modified(entity)
                        if modified is None:
                            unmarked += 1
                        elif marks.get(key) == modified:
                            continue  # unchanged since the last load
                        else:
                            self._entity(entity, batch, now)
                            marks[key] = modified
                            continue
                    self._entity(entity, batch, now)
                got += len(body)
                yield Page(batch, write_marks(marks) if self.modified_since else None)
                if body and not fresh:
                    self.partial = f"{etype} 第 {page_no} 页只重复已读实体，停止翻页"
                    break
                if not body or (total is not None and got >= total) or (
                        total is None and len(body) < self.limit):
                    break
            if self.partial is None:
                self.short_of(len(seen), total)
        if unmarked:
            log.warning("feed %s: %d entities came without dateModified: the server does not "
                        "render Orion's builtin, every load reads them all", self.name, unmarked)

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
        """(lat, lon) from a ``geo:json`` Point (``coordinates`` are ``[lon, lat]``) or a
        ``geo:point`` text (``"lat, lon"``, the other order, as the NGSI-v2 spec has it)."""
        value, _ = _attr(entity, "location")
        if value is None:
            return None, None
        where = f"{entity.get('id')}.location"
        if isinstance(value, str) and value.count(",") == 1:
            lat, lon = (part.strip() for part in value.split(","))
        elif (isinstance(value, Mapping) and value.get("type") == "Point"
                and isinstance(value.get("coordinates"), list) and len(value["coordinates"]) >= 2):
            lon, lat = value["coordinates"][:2]
        else:
            raise Malformed(self.name, where, "expected a geo:json Point or a geo:point text")
        return (parse_coord(lat, self.name, where, -90, 90),
                parse_coord(lon, self.name, where, -180, 180))

    def _describe_entity(self, entity: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The entity's name and descriptive attributes (for ``entities``)."""
        name, _ = _attr(entity, "name")
        if not isinstance(name, str) or not name.strip():
            name, _ = _attr(entity, "stationName")
        attrs: dict[str, Any] = {"ngsi_type": entity.get("type"), "source": "ngsi"}
        address, _ = _attr(entity, "address")
        if isinstance(address, Mapping):
            attrs["address"] = {k: v for k, v in address.items()
                                if isinstance(v, str | int | float) and not isinstance(v, bool)}
        for key in DESCRIPTIVE:
            value, _ = _attr(entity, key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                attrs[key] = value
        return (name.strip() if isinstance(name, str) and name.strip() else None), attrs

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
            name, attrs = self._describe_entity(entity)
            # an entity's row goes with its data, when the broker says more of it than its id
            if newest is not None and (name or lat is not None or len(attrs) > 2):
                batch.entity(eid, etype, name=name, updated_at=newest, attrs=attrs, **where)
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
        name, attrs = self._describe_entity(entity)
        category, _ = _attr(entity, "category")
        if isinstance(category, list):  # Smart Data Models' Device: an array of categories
            category = category[0] if category else None
        ts = self._time(entity, {}, state_attr, now)
        batch.entity(entity["id"], str(category or entity.get("type")), name=name,
                     status=None if status is None else str(status), updated_at=ts,
                     attrs=attrs, **where)
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
        source, _ = _attr(entity, "alertSource")  # the entity that raised it (its id)
        batch.alert(alert_id(eid), ts, severity=SEVERITY[severity],
                    category=None if category is None else str(category),
                    title=str(title or category or "告警"),
                    detail=source if isinstance(source, str) else None, **where)
        return ts
