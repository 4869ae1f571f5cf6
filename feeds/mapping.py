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

Where a path is given it may also be

* a **template** of several fields: any text with ``{path}`` parts, such as
  ``"{district}-{station}"`` (two stations of the same number in two districts stay two) or
  ``"{topic[2]}"`` (``[n]`` indexes a list, like ``.n``); every part must be present and be text
  or a number;
* a **list of candidate paths**, the first present one is used (payloads that name a field
  differently under one topic).

MQTT adds a context: ``topic.N`` (or ``{topic[N]}``) is the message topic's Nth level, and a
payload that is a JSON array is a list of records. A list of whole mappings
(:class:`MessageMapping`) is tried in order per record, the first that fits is used.

Times (``time_format``): ``iso`` (ISO 8601; zone-less is the site's zone), ``epoch_s`` and
``epoch_ms`` (a number or a numeric string), ``epoch`` (either: a magnitude of 1e11 or more is
milliseconds, less is seconds — 1e11 s is the year 5138 and 1e11 ms is 1973, so no time this
cache accepts, 2000 to tomorrow, is ambiguous), ``auto`` (a number or numeric string as
``epoch``, any other text as ``iso``), ``received`` (no time in the record: the moment the
message arrived, or the load ran), or a ``strftime`` pattern such as ``%Y-%m-%d %H:%M:%S``
(zone-less: the site's zone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from feeds import syntax
from feeds.common import SITE_TZ, Batch, dig, is_number, parse_coord, parse_number, parse_time_as
from feeds.errors import Malformed

MAPPING_KEYS = ("ts", "entity_id", "entity_type", "district", "lat", "lon", "metric", "value",
                "unit", "metrics", "units", "fixed", "time_format")
#: the named time formats (anything with ``%`` is a strftime pattern, read by
#: :func:`feeds.common.parse_time_as` like iso, epoch_s and epoch_ms)
TIME_FORMATS = (*syntax.TIME_FORMATS, "epoch", "auto", "received")
#: a magnitude from here up is epoch milliseconds under ``epoch``/``auto`` (see the docstring)
EPOCH_MS_FROM = 1e11
#: how many records one array payload may carry (the rest are refused, named)
MAX_RECORDS = 10_000
_PART = re.compile(r"\{([^{}]*)\}")
_INDEX = re.compile(r"\[(\d+)\]")

Path = str | Sequence[str]


def _path_name(path: Path) -> str:
    return path if isinstance(path, str) else "|".join(path)


def is_template(path: Path) -> bool:
    return isinstance(path, str) and "{" in path


def template_problem(path: str) -> str | None:
    """Why ``path`` is not a usable template, or None."""
    parts = _PART.findall(path)
    rest = _PART.sub("", path)
    if not parts or "{" in rest or "}" in rest:
        return f"unbalanced braces in template {path!r}"
    if any(not p.strip() for p in parts):
        return f"empty {{}} in template {path!r}"
    return None


def lookup(record: Any, path: str, context: Mapping[str, Any] | None = None) -> Any:
    """``path`` in the message context (``topic.N``) when its first part is a context key, else
    in the record; None when absent."""
    first = path[1:].split("/", 1)[0] if path.startswith("/") else path.split(".", 1)[0]
    if context and first in context:
        return dig(context, path, None)
    return dig(record, path, None)


def resolve(record: Any, path: Path, feed: str, context: Mapping[str, Any] | None = None) -> Any:
    """The value at ``path``: a dotted path, a template (text) or the first present of a list
    of candidates. None when absent; a template with a part absent or not a scalar is refused."""
    if isinstance(path, str) and (not is_template(path) or template_problem(path)):
        try:
            return lookup(record, path, context)
        except syntax.PathError as exc:  # the config check refuses it; a mapping built in code
            raise Malformed(feed, path, str(exc)) from None
    if not isinstance(path, str):
        for candidate in path:
            value = resolve(record, candidate, feed, context)
            if value is not None:
                return value
        return None

    def part(match: re.Match) -> str:
        name = _INDEX.sub(r".\1", match.group(1).strip())  # topic[2] is topic.2
        try:
            value = lookup(record, name, context)
        except syntax.PathError as exc:
            raise Malformed(feed, name, str(exc)) from None
        if value is None:
            raise Malformed(feed, name, f"missing (part of {path!r})")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Malformed(feed, name, f"expected text or a number for {path!r}, found "
                                        f"{str(value)[:40]!r}")
        return str(value)

    return _PART.sub(part, path)


def parse_epoch(value: Any, feed: str, field_name: str, unit: str = "auto", *,
                now: datetime | None = None) -> datetime:
    """Epoch seconds (``epoch_s``), milliseconds (``epoch_ms``) or either told apart by
    magnitude (``auto``, :data:`EPOCH_MS_FROM`), from a number or a numeric string; read by
    :func:`feeds.common.parse_time_as` (which refuses what is no number or out of range)."""
    if unit == "auto":
        unit = "epoch_ms" if is_number(value) and abs(
            parse_number(value, feed, field_name)) >= EPOCH_MS_FROM else "epoch_s"
    return parse_time_as(value, unit, feed, field_name, now=now)


def time_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a mapping's time format, or None."""
    if fmt in TIME_FORMATS:
        return None
    return syntax.time_format_problem(fmt)


@dataclass(frozen=True)
class Rows:
    """What one record maps to."""

    ts: datetime
    entity: str
    common: dict[str, Any]
    values: list[tuple[str, float, str | None]]


@dataclass(frozen=True)
class RecordMapping:
    ts: Path | None = None
    entity_id: Path | None = None
    metrics: Mapping[str, Path] = field(default_factory=dict)  # wide: metric -> path
    metric: Path | None = None  # long: path of the metric code
    value: Path | None = None  # long: path of the value
    unit: Path | None = None
    entity_type: Path | None = None
    district: Path | None = None
    lat: Path | None = None
    lon: Path | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    time_format: str = "iso"

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
        problem = time_format_problem(self.time_format)
        if problem:
            out.append(("time_format", problem))
        return out

    def _get(self, record: Any, key: str, path: Path | None, feed: str,
             context: Mapping[str, Any] | None, *, required: bool = False) -> Any:
        if key in self.fixed:
            return self.fixed[key]
        if path is None:
            if required:
                raise Malformed(feed, key, "no path mapped for it")
            return None
        value = resolve(record, path, feed, context)
        if value is None and required:
            raise Malformed(feed, _path_name(path), "missing")
        return value

    def _time(self, record: Any, feed: str, context: Mapping[str, Any] | None, *, tz: tzinfo,
              now: datetime | None, received: datetime | None) -> datetime:
        if self.time_format == "received" and "ts" not in self.fixed:
            when = received or now or datetime.now(UTC)
            return when.astimezone(UTC)
        raw = self._get(record, "ts", self.ts, feed, context, required=True)
        name = _path_name(self.ts) if self.ts is not None else "ts"
        fmt = self.time_format
        if fmt == "epoch" or (fmt == "auto" and is_number(raw)):
            return parse_epoch(raw, feed, name, now=now)
        # iso, epoch_s, epoch_ms and strftime patterns: the common reader
        return parse_time_as(raw, "iso" if fmt == "auto" else fmt, feed, name, tz=tz, now=now)

    def rows(self, record: Any, feed: str, *, tz: tzinfo = SITE_TZ, now: datetime | None = None,
             context: Mapping[str, Any] | None = None,
             received: datetime | None = None) -> Rows:
        """The record's rows, or :class:`Malformed` naming the field; adds nothing anywhere."""
        if not isinstance(record, Mapping):
            raise Malformed(feed, "(record)", f"expected an object, found {type(record).__name__}")
        ts = self._time(record, feed, context, tz=tz, now=now, received=received)
        entity = self._get(record, "entity_id", self.entity_id, feed, context, required=True)
        if not isinstance(entity, str | int) or isinstance(entity, bool):
            raise Malformed(feed, _path_name(self.entity_id or "entity_id"),
                            f"expected an id, found {entity!r}")
        common = {
            "entity_type": _text(self._get(record, "entity_type", self.entity_type, feed,
                                           context)),
            "district": _text(self._get(record, "district", self.district, feed, context)),
            "lat": _coord(self._get(record, "lat", self.lat, feed, context), feed, self.lat,
                          -90, 90),
            "lon": _coord(self._get(record, "lon", self.lon, feed, context), feed, self.lon,
                          -180, 180),
        }
        if self.metrics:
            values = []
            for metric, path in self.metrics.items():
                raw = resolve(record, path, feed, context)
                if raw is None:
                    continue  # this station does not measure it
                values.append((metric, parse_number(raw, feed, _path_name(path)),
                               self.units.get(metric)))
            if not values:
                raise Malformed(feed, "metrics", "none of the mapped metrics present")
        else:
            metric = _text(self._get(record, "metric", self.metric, feed, context, required=True))
            value = parse_number(self._get(record, "value", self.value, feed, context,
                                           required=True),
                                 feed, _path_name(self.value or "value"))
            unit = (_text(self._get(record, "unit", self.unit, feed, context))
                    or self.units.get(metric))
            values = [(metric, value, unit)]
        return Rows(ts, str(entity), common, values)

    def apply(self, record: Any, batch: Batch, *, tz: tzinfo = SITE_TZ,
              now: datetime | None = None, context: Mapping[str, Any] | None = None,
              received: datetime | None = None) -> datetime | None:
        """Add the record's observations to ``batch`` (or its rejection); return its time."""
        try:
            rows = self.rows(record, batch.feed, tz=tz, now=now, context=context,
                             received=received)
        except Exception as exc:  # noqa: BLE001 - one line per record, never a crash
            batch.rejected.append(_reason(batch.feed, record, exc))
            return None
        add(batch, rows)
        return rows.ts


def add(batch: Batch, rows: Rows) -> None:
    for metric, value, unit in rows.values:
        batch.observe(rows.ts, rows.entity, metric, value, unit=unit, **rows.common)


def _reason(feed: str, record: Any, exc: Exception, where: str = "") -> str:
    """The one line a refused record leaves: feed, where (``topic T``, ``[3]``), field."""
    lead = f"feed {feed}: {where + ': ' if where else ''}"
    if isinstance(exc, Malformed):
        return f"{lead}{exc.field}: {exc.reason}"
    if isinstance(exc, TypeError | AttributeError | ValueError | KeyError | IndexError
                  | ArithmeticError):
        return (f"{lead}(record {_brief(record)}): unexpected shape "
                f"({type(exc).__name__}: {str(exc)[:80]})")
    raise exc


@dataclass(frozen=True)
class MessageMapping:
    """The mapping(s) of a feed's messages: one, or alternatives tried in order per record
    (different payload shapes under one topic filter). A payload that is a JSON array is a list
    of records, each mapped on its own."""

    alternatives: tuple[RecordMapping, ...]

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> MessageMapping:
        items = [raw] if isinstance(raw, Mapping) else list(raw)
        return cls(tuple(RecordMapping.from_config(m) for m in items))

    def map_record(self, record: Any, feed: str, *, tz: tzinfo = SITE_TZ,
                   now: datetime | None = None, context: Mapping[str, Any] | None = None,
                   received: datetime | None = None) -> Rows:
        """The first alternative's rows that fit; else :class:`Malformed` naming each one's
        field (one alternative: its own rejection unchanged)."""
        failures: list[Malformed] = []
        for mapping in self.alternatives:
            try:
                return mapping.rows(record, feed, tz=tz, now=now, context=context,
                                    received=received)
            except Malformed as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        raise Malformed(feed, "(mapping)", "no mapping fits: " + "; ".join(
            f"{i}) {exc.field}: {exc.reason}" for i, exc in enumerate(failures, 1)))

    def apply_payload(self, payload: Any, batch: Batch, *, where: str = "",
                      tz: tzinfo = SITE_TZ, now: datetime | None = None,
                      context: Mapping[str, Any] | None = None,
                      received: datetime | None = None) -> tuple[datetime | None, int]:
        """Add the rows of a payload (one record, or a JSON array of them) to ``batch``; each
        refused record leaves one line naming feed, ``where`` (the topic), its index in an
        array and its field. Returns the newest time mapped and how many records were refused."""
        records = payload if isinstance(payload, list) else [payload]
        many = isinstance(payload, list)
        newest: datetime | None = None
        refused = 0
        for i, record in enumerate(records):
            at = f"{where} [{i}]" if many else where
            if i >= MAX_RECORDS:
                batch.rejected.append(f"feed {batch.feed}: {at}: (payload): more than "
                                      f"{MAX_RECORDS} records in one message; the rest "
                                      f"({len(records) - MAX_RECORDS}) are refused")
                refused += len(records) - MAX_RECORDS
                break
            try:
                rows = self.map_record(record, batch.feed, tz=tz, now=now, context=context,
                                       received=received)
            except Exception as exc:  # noqa: BLE001 - one line per record, never a crash
                batch.rejected.append(_reason(batch.feed, record, exc, at))
                refused += 1
                continue
            add(batch, rows)
            if newest is None or rows.ts > newest:
                newest = rows.ts
        return newest, refused


def _brief(record: Any) -> str:
    try:
        return str(record)[:60]
    except (RecursionError, ValueError):  # nested too deeply, an integer of 5,000 digits
        return f"a {type(record).__name__}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _coord(value: Any, feed: str, path: Path | None, low: float, high: float) -> float | None:
    return None if value is None else parse_coord(value, feed, _path_name(path or "?"), low, high)
