"""Mapping a JSON record to observations by dotted paths (the REST and MQTT adapters).

Two shapes of record are common on the city's gateway:

* wide: one record per station and time, one field per metric
  (``{"stationCode": "…", "monitorTime": "…", "aqi": "85", "pm25": 61}``) — give ``metrics``,
  metric code -> path;
* long: one record per value (``{"indexCode": "aqi", "indexValue": "85", …}``) — give
  ``metric`` and ``value`` paths.

``fixed`` supplies constants (an entity type, a district) the records lack; ``units`` gives a
unit per metric where the record carries none. A record missing a mapped field, or with a value
that is not a number, is rejected with the feed and field named; its siblings still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from feeds.common import SITE_TZ, Batch, dig, parse_coord, parse_epoch_ms, parse_number, parse_time
from feeds.errors import Malformed

MAPPING_KEYS = ("ts", "entity_id", "entity_type", "district", "lat", "lon", "metric", "value",
                "unit", "metrics", "units", "fixed", "time_format")


@dataclass(frozen=True)
class RecordMapping:
    ts: str
    entity_id: str
    metrics: Mapping[str, str] = field(default_factory=dict)  # wide: metric -> path
    metric: str | None = None  # long: path of the metric code
    value: str | None = None  # long: path of the value
    unit: str | None = None
    entity_type: str | None = None
    district: str | None = None
    lat: str | None = None
    lon: str | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)
    time_format: str = "iso"  # or "epoch_ms"

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> RecordMapping:
        return cls(**{k: v for k, v in raw.items() if k in MAPPING_KEYS})

    def problems(self) -> list[tuple[str, str]]:
        """(key, problem) for a mapping that cannot work; used by config validation."""
        out = []
        if bool(self.metrics) == bool(self.metric or self.value):
            out.append(("metrics", "give either metrics (wide records) or metric and value "
                                   "(long records)"))
        if (self.metric is None) != (self.value is None):
            out.append(("value" if self.value is None else "metric",
                        "metric and value go together"))
        if self.time_format not in ("iso", "epoch_ms"):
            out.append(("time_format", f"expected 'iso' or 'epoch_ms', found {self.time_format!r}"))
        return out

    def _get(self, record: Any, key: str, path: str | None, feed: str, *,
             required: bool = False) -> Any:
        if key in self.fixed:
            return self.fixed[key]
        if path is None:
            if required:
                raise Malformed(feed, key, "no path mapped for it")
            return None
        value = dig(record, path, None)
        if value is None and required:
            raise Malformed(feed, path, "missing")
        return value

    def apply(self, record: Any, batch: Batch, *, tz: tzinfo = SITE_TZ,
              now: datetime | None = None) -> datetime | None:
        """Add the record's observations to ``batch`` (or its rejection); return its time."""
        feed = batch.feed
        try:
            if not isinstance(record, Mapping):
                raise Malformed(feed, "(record)", f"expected an object, found {type(record).__name__}")
            raw_ts = self._get(record, "ts", self.ts, feed, required=True)
            if self.time_format == "epoch_ms":
                ts = parse_epoch_ms(raw_ts, feed, self.ts, now=now)
            else:
                ts = parse_time(raw_ts, feed, self.ts, tz=tz, now=now)
            entity = self._get(record, "entity_id", self.entity_id, feed, required=True)
            if not isinstance(entity, str | int) or isinstance(entity, bool):
                raise Malformed(feed, self.entity_id, f"expected an id, found {entity!r}")
            common = {
                "entity_type": _text(self._get(record, "entity_type", self.entity_type, feed)),
                "district": _text(self._get(record, "district", self.district, feed)),
                "lat": _coord(self._get(record, "lat", self.lat, feed), feed, self.lat, -90, 90),
                "lon": _coord(self._get(record, "lon", self.lon, feed), feed, self.lon, -180, 180),
            }
            if self.metrics:
                values = []
                for metric, path in self.metrics.items():
                    raw = dig(record, path, None)
                    if raw is None:
                        continue  # this station does not measure it
                    values.append((metric, parse_number(raw, feed, path), self.units.get(metric)))
                if not values:
                    raise Malformed(feed, "metrics", "none of the mapped metrics present")
            else:
                metric = _text(self._get(record, "metric", self.metric, feed, required=True))
                value = parse_number(self._get(record, "value", self.value, feed, required=True),
                                     feed, self.value or "value")
                unit = _text(self._get(record, "unit", self.unit, feed)) or self.units.get(metric)
                values = [(metric, value, unit)]
        except Malformed as exc:
            batch.rejected.append(str(exc))
            return None
        except (TypeError, AttributeError, ValueError) as exc:
            batch.rejected.append(f"feed {feed}: (record {str(record)[:60]}): unexpected shape "
                                  f"({type(exc).__name__}: {str(exc)[:80]})")
            return None
        for metric, value, unit in values:
            batch.observe(ts, str(entity), metric, value, unit=unit, **common)
        return ts


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _coord(value: Any, feed: str, path: str | None, low: float, high: float) -> float | None:
    return None if value is None else parse_coord(value, feed, path or "?", low, high)
