"""OGC SensorThings API (e.g. FROST-Server): Datastreams and their Observations.

First the Datastreams, with ``$expand=Thing($expand=Locations),ObservedProperty`` (one round
trip for what each value means and where it is); then the Observations since the checkpoint,
``$filter=phenomenonTime ge …`` (inclusive; the store drops the overlap),
``$orderby=phenomenonTime asc``, ``$expand=Datastream($select=id)``, ``$count=true``, following
``@iot.nextLink`` (absolute or relative). ``result`` may be a number or a numeric string (both
loaded) or another JSON type (rejected with a reason); ``phenomenonTime`` may be an interval
(``start/end``: stands for its end). A load that ends short of ``@iot.count`` is partial.

The observed property's name is the metric code; ``metrics`` in the config maps other names. A
Thing's ``properties.district`` is its district. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import requests

from feeds.base import LiveFeed, Page
from feeds.common import Batch, parse_coord, parse_number, parse_time
from feeds.errors import Malformed
from feeds.http import HttpClient, HttpPolicy

MAX_LINKS = 10_000


@dataclass(frozen=True)
class Stream:
    entity_id: str
    metric: str
    unit: str | None
    district: str | None
    lat: float | None
    lon: float | None


class SensorThingsFeed(LiveFeed):
    kind = "sensorthings"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any],
                 session: requests.Session, *, policy: HttpPolicy | None = None) -> None:
        super().__init__(name, interval_s)
        self.url = options["url"].rstrip("/") + "/"
        self.top = int(options.get("top", 200))
        self.metrics: Mapping[str, str] = options.get("metrics") or {}
        self.http = HttpClient(session, name, policy or HttpPolicy())
        self.streams: dict[int, Stream] = {}

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url}

    def _walk(self, url: str, params: dict[str, Any] | None) -> Iterator[tuple[list, int | None]]:
        """Each page's ``value`` and ``@iot.count``, following ``@iot.nextLink``."""
        for _ in range(MAX_LINKS):
            resp = self.http.get(url, params=params, headers={"Accept": "application/json"})
            body = resp.json(self.name)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise Malformed(self.name, "value", "expected an object with a value list")
            count = body.get("@iot.count")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                raise Malformed(self.name, "@iot.count", f"not a count: {count!r}")
            yield body["value"], count
            link = body.get("@iot.nextLink")
            if not link:
                return
            if not isinstance(link, str):
                raise Malformed(self.name, "@iot.nextLink", f"not a link: {link!r}")
            url, params = urljoin(resp_base(url), link), None

    def _load_streams(self) -> None:
        streams: dict[int, Stream] = {}
        params = {"$expand": "Thing($expand=Locations),ObservedProperty", "$top": self.top}
        for values, _ in self._walk(urljoin(self.url, "Datastreams"), params):
            for ds in values:
                try:
                    streams[ds["@iot.id"]] = self._stream(ds)
                except (KeyError, TypeError, AttributeError, IndexError):
                    raise Malformed(self.name, "Datastreams", f"datastream without "
                                    f"@iot.id, Thing or ObservedProperty: {str(ds)[:80]}") from None
        self.streams = streams

    def _stream(self, ds: Mapping[str, Any]) -> Stream:
        thing = ds["Thing"]
        prop = ds["ObservedProperty"]["name"]
        lat = lon = None
        for loc in thing.get("Locations") or []:
            geo = loc.get("location") or {}
            if geo.get("type") == "Point" and len(geo.get("coordinates") or []) >= 2:
                lon = parse_coord(geo["coordinates"][0], self.name, "Locations.location", -180, 180)
                lat = parse_coord(geo["coordinates"][1], self.name, "Locations.location", -90, 90)
                break
        unit = (ds.get("unitOfMeasurement") or {}).get("symbol") or None
        district = (thing.get("properties") or {}).get("district")
        return Stream(f"thing-{thing['@iot.id']}", self.metrics.get(prop, prop), unit,
                      None if district is None else str(district), lat, lon)

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        if not self.streams:
            self._load_streams()
        params: dict[str, Any] = {"$orderby": "phenomenonTime asc", "$top": self.top,
                                  "$expand": "Datastream($select=id)", "$count": "true"}
        if since:
            stamp = datetime.fromisoformat(since).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            params["$filter"] = f"phenomenonTime ge {stamp}"
        newest = datetime.fromisoformat(since) if since else None
        got, total = 0, None
        for values, count in self._walk(urljoin(self.url, "Observations"), params):
            total = count if count is not None else total
            batch = Batch(self.name)
            for obs in values:
                ts = self._observation(obs, batch, now)
                if ts is not None and (newest is None or ts > newest):
                    newest = ts
            got += len(values)
            yield Page(batch, newest.astimezone(UTC).isoformat() if newest else None)
        self.short_of(got, total)

    def _observation(self, obs: Any, batch: Batch, now: datetime) -> datetime | None:
        try:
            if not isinstance(obs, Mapping):
                raise Malformed(self.name, "Observations", "expected an object")
            oid = obs.get("@iot.id")
            ds_id = (obs.get("Datastream") or {}).get("@iot.id")
            stream = self.streams.get(ds_id)
            if stream is None:
                raise Malformed(self.name, f"Observation {oid}.Datastream",
                                f"unknown datastream {ds_id!r}")
            ts = parse_time(obs.get("phenomenonTime"), self.name,
                            f"Observation {oid}.phenomenonTime", now=now)
            result = obs.get("result")
            if not isinstance(result, int | float | str) or isinstance(result, bool):
                raise Malformed(self.name, f"Observation {oid}.result",
                                f"not a number: {type(result).__name__} {str(result)[:40]}")
            value = parse_number(result, self.name, f"Observation {oid}.result")
        except Malformed as exc:
            batch.rejected.append(str(exc))
            return None
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            batch.rejected.append(f"feed {self.name}: (observation {str(obs)[:60]}): unexpected shape "
                                  f"({type(exc).__name__}: {str(exc)[:80]})")
            return None
        batch.observe(ts, stream.entity_id, stream.metric, value, entity_type="thing",
                      unit=stream.unit, district=stream.district, lat=stream.lat, lon=stream.lon)
        return ts


def resp_base(url: str) -> str:
    """The base a relative ``@iot.nextLink`` resolves against (the collection's URL)."""
    return url.split("?", 1)[0]
