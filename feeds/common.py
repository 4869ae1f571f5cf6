"""What every adapter shares: reading untidy values (times, numbers, dotted paths) strictly,
and collecting normalized rows into the Arrow batches the store writes.

Real payloads are untidy; each case is parsed as intended or rejected with a reason naming
the feed and the field, never guessed:

* a timestamp without a zone is read in the site's zone (Asia/Shanghai by default);
* an interval ``start/end`` stands for its end (the moment the value is known);
* epoch numbers are accepted only where the source defines them (ThingsBoard's ms) or the
  config names the format (:func:`parse_time_as`: ``iso``, ``epoch_s``, ``epoch_ms`` or a
  strftime pattern; :func:`format_time` writes the same formats), never inferred from a bare
  number in an ISO field;
* a path is dotted with quoted keys (``data."@iot.count"``) or a JSON Pointer
  (``/data/@iot.count``), :func:`split_path`;
* numbers given as strings are parsed; NaN, infinities, booleans and other text are refused.
No Qt.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pyarrow as pa

from feeds.errors import Malformed
from feeds.syntax import TIME_FORMATS, PathError, split_path  # noqa: F401 (part of this API)

SITE_TZ = ZoneInfo("Asia/Shanghai")
_MIN_TS = datetime(2000, 1, 1, tzinfo=UTC)
_MAX_AHEAD = timedelta(days=1)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MISSING = object()


def dig(record: Any, path: str, default: Any = _MISSING) -> Any:
    """``record`` followed along a path (:func:`split_path`: ``a.b.0.c``, ``a."b.c"`` or the
    JSON Pointer ``/a/b.c``; digits index lists)."""
    cur = record
    for part in split_path(path):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            if default is _MISSING:
                raise KeyError(path)
            return default
    return cur


def parse_time(value: Any, feed: str, field_name: str, *, tz: tzinfo = SITE_TZ,
               now: datetime | None = None) -> datetime:
    """An ISO 8601 time (or interval ``start/end``: its end) as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        raise Malformed(feed, field_name, f"expected an ISO 8601 time, found {brief(value)}")
    text = value.strip()
    if "/" in text:
        start, _, end = text.partition("/")
        try:
            begin = parse_time(start, feed, field_name, tz=tz, now=now)
            stop = parse_time(end, feed, field_name, tz=tz, now=now)
        except Malformed as exc:
            raise Malformed(feed, field_name, f"not an ISO 8601 time or interval: {brief(text)} "
                                              f"({exc.reason})") from None
        if stop < begin:
            raise Malformed(feed, field_name, f"interval {brief(text)} ends before it starts")
        return stop
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Malformed(feed, field_name, f"not an ISO 8601 time: {brief(text)}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        raise Malformed(feed, field_name, f"absurd time {brief(text)} (out of range)") from None
    return check_time(when, feed, field_name, now=now)


def parse_epoch_ms(value: Any, feed: str, field_name: str, *,
                   now: datetime | None = None) -> datetime:
    """Epoch milliseconds given as a JSON number (ThingsBoard's ``ts``): :func:`parse_time_as`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(feed, field_name, f"expected epoch milliseconds, found {brief(value)}")
    return parse_time_as(value, "epoch_ms", feed, field_name, now=now)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time_as(value: Any, fmt: str, feed: str, field_name: str, *, tz: tzinfo = SITE_TZ,
                  now: datetime | None = None) -> datetime:
    """A time written in ``fmt``, as an aware UTC datetime (the shared reader of every adapter
    and mapping that lets a site name its sources' time format):

    * ``iso``: ISO 8601 (an interval ``start/end`` stands for its end), :func:`parse_time`;
    * ``epoch_s`` / ``epoch_ms``: seconds or milliseconds since 1970, a number or a numeric
      string (``"1764551400000"``);
    * a strftime pattern such as ``%Y-%m-%d %H:%M:%S`` (the ``yyyy-MM-dd HH:mm:ss`` of Chinese
      gateways); a time without ``%z`` is read in ``tz``.
    Anything else is a :class:`Malformed` naming the feed, the field and the format."""
    if fmt == "iso":
        return parse_time(value, feed, field_name, tz=tz, now=now)
    if fmt in ("epoch_s", "epoch_ms"):
        unit = "seconds" if fmt == "epoch_s" else "milliseconds"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Malformed(feed, field_name, f"expected epoch {unit}, found {brief(value)}")
        try:  # an integer too long for a float is refused here, never an OverflowError
            number = parse_number(value, feed, field_name)
        except Malformed:
            numeric = isinstance(value, int) or bool(_NUMBER.match(str(value).strip()))
            raise Malformed(feed, field_name, f"epoch {unit} out of range: {brief(value)}"
                            if numeric else f"expected epoch {unit}, found {brief(value)}"
                            ) from None
        try:
            when = datetime.fromtimestamp(number / (1 if fmt == "epoch_s" else 1000), UTC)
        except (OverflowError, OSError, ValueError):
            raise Malformed(feed, field_name, f"epoch {unit} out of range: "
                                              f"{brief(value)}") from None
        return check_time(when, feed, field_name, now=now)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # 20261120083000 for %Y%m%d%H%M%S
    if not isinstance(value, str):
        raise Malformed(feed, field_name, f"expected a time like {fmt!r}, found {brief(value)}")
    try:
        when = datetime.strptime(value.strip(), fmt)
    except ValueError:
        raise Malformed(feed, field_name, f"not a time in the format {fmt!r}: {brief(value)}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        raise Malformed(feed, field_name, f"absurd time {brief(value)} (out of range)") from None
    return check_time(when, feed, field_name, now=now)


def format_time(when: datetime, fmt: str, tz: tzinfo = SITE_TZ) -> str:
    """``when`` written in ``fmt`` (see :func:`parse_time_as`), in ``tz`` where the format has
    a local time. Precision the format lacks is cut off, so the text never stands for a later
    moment than ``when`` (an inclusive lower bound stays inclusive)."""
    if fmt == "epoch_ms":
        return str((when - _EPOCH) // timedelta(milliseconds=1))
    if fmt == "epoch_s":
        return str((when - _EPOCH) // timedelta(seconds=1))
    local = when.astimezone(tz)
    return local.isoformat() if fmt == "iso" else local.strftime(fmt)


def check_time(when: datetime, feed: str, field_name: str, *,
               now: datetime | None = None) -> datetime:
    if when < _MIN_TS:
        raise Malformed(feed, field_name, f"absurd time {when.isoformat()} (before 2000)")
    if when > (now or datetime.now(UTC)) + _MAX_AHEAD:
        raise Malformed(feed, field_name, f"absurd time {when.isoformat()} (over a day ahead)")
    return when


def brief(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters; an integer too long to print (Python refuses
    to write one of over 4,300 digits) is named by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # holds an integer too long, or nested too deeply
        return f"a {type(value).__name__} too large to print"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_number(value: Any) -> bool:
    """True for a finite number or a numeric string that :func:`parse_number` accepts."""
    try:
        parse_number(value, "", "")
    except Malformed:
        return False
    return True


def parse_number(value: Any, feed: str, field_name: str) -> float:
    """A finite number, also from a numeric string (``" 42.5 "``); never from a boolean."""
    if isinstance(value, bool):
        raise Malformed(feed, field_name, f"expected a number, found a boolean {brief(value)}")
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:  # JSON integers go to 4,300 digits, floats to about 1e308
            raise Malformed(feed, field_name, "expected a finite number, found "
                                              f"{brief(value)}") from None
    elif isinstance(value, float):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
    else:
        raise Malformed(feed, field_name, f"expected a number, found {brief(value)}")
    if not math.isfinite(number):
        raise Malformed(feed, field_name, f"expected a finite number, found {brief(value)}")
    return number


def parse_coord(value: Any, feed: str, field_name: str, low: float, high: float) -> float:
    number = parse_number(value, feed, field_name)
    if not low <= number <= high:
        raise Malformed(feed, field_name, f"coordinate {number} outside {low}..{high}")
    return number


def _s(value: Any) -> str | None:
    """Text columns take text: anything else a source sends there is written as its text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


@functools.cache
def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of one of the cache's input tables (pyarrow loads with the first page,
    not before the wall's first frame)."""
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    columns = {
        "observations": [("ts", ts), ("feed", pa.string()), ("entity_id", pa.string()),
                         ("entity_type", pa.string()), ("metric", pa.string()),
                         ("value", pa.float64()), ("unit", pa.string()),
                         ("district", pa.string()), ("lat", pa.float64()), ("lon", pa.float64())],
        "entities": [("entity_id", pa.string()), ("entity_type", pa.string()),
                     ("name", pa.string()), ("district", pa.string()), ("lat", pa.float64()),
                     ("lon", pa.float64()), ("status", pa.string()), ("attrs", pa.string()),
                     ("updated_at", ts)],
        "alerts": [("alert_id", pa.string()), ("ts", ts), ("feed", pa.string()),
                   ("severity", pa.string()), ("category", pa.string()), ("title", pa.string()),
                   ("detail", pa.string()), ("district", pa.string()), ("lat", pa.float64()),
                   ("lon", pa.float64()), ("state", pa.string())],
    }
    return pa.schema(columns[name])


@dataclass
class Batch:
    """Rows of one page, normalized, with what was rejected on the way."""

    feed: str
    observations: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # reasons, already naming feed and field

    def observe(self, ts: datetime, entity_id: str, metric: str, value: float | None, *,
                entity_type: str | None = None, unit: str | None = None,
                district: str | None = None, lat: float | None = None,
                lon: float | None = None) -> None:
        self.observations.append({"ts": ts, "feed": self.feed, "entity_id": _s(entity_id),
                                  "entity_type": _s(entity_type), "metric": _s(metric),
                                  "value": value, "unit": _s(unit), "district": _s(district),
                                  "lat": lat, "lon": lon})

    def entity(self, entity_id: str, entity_type: str | None, *, name: str | None = None,
               district: str | None = None, lat: float | None = None, lon: float | None = None,
               status: str | None = None, attrs: Mapping[str, Any] | None = None,
               updated_at: datetime | None = None) -> None:
        self.entities.append({"entity_id": _s(entity_id), "entity_type": _s(entity_type),
                              "name": _s(name), "district": _s(district), "lat": lat, "lon": lon,
                              "status": _s(status),
                              "attrs": json.dumps(attrs or {}, ensure_ascii=False, sort_keys=True),
                              "updated_at": updated_at})

    def alert(self, alert_id: str, ts: datetime, *, severity: str, category: str | None,
              title: str, detail: str | None = None, district: str | None = None,
              lat: float | None = None, lon: float | None = None, state: str = "open") -> None:
        self.alerts.append({"alert_id": _s(alert_id), "ts": ts, "feed": self.feed,
                            "severity": _s(severity), "category": _s(category),
                            "title": _s(title), "detail": _s(detail), "district": _s(district),
                            "lat": lat, "lon": lon, "state": state})

    def table(self, name: str) -> pa.Table | None:
        rows = getattr(self, name)
        if not rows:
            return None
        import pyarrow as pa

        try:
            return pa.Table.from_pylist(rows, schema=arrow_schema(name))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise Malformed(self.feed, name, f"rows do not fit the cache: {exc}") from None

    def __len__(self) -> int:
        return len(self.observations) + len(self.entities) + len(self.alerts)

    def extend(self, other: Batch) -> None:
        self.observations += other.observations
        self.entities += other.entities
        self.alerts += other.alerts
        self.rejected += other.rejected
