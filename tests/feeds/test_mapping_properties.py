"""Property-based tests of the feed mappers (issue 16): ``RecordMapping.apply`` and the value
readers under it (``parse_time``, ``parse_epoch_ms``, ``parse_number``).

For any JSON-like record (what ``json.loads`` can give: its integers stay under Python's
4,300-digit limit) a record either becomes rows with finite values and UTC-aware times, or one
rejection naming the feed and the field; nothing but ``Malformed`` ever leaves the readers, and
nothing at all leaves ``apply``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from feeds.common import Batch, parse_epoch_ms, parse_number, parse_time, parse_time_as
from feeds.errors import Malformed
from feeds.mapping import EPOCH_MS_FROM, MessageMapping, RecordMapping

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
FEED = "prop"
KEYS = ["t", "e", "v", "m", "lat", "lon", "0", "1", "a"]


def _from_json(value) -> bool:
    """Whether ``json.loads`` could have given ``value`` (its integers have at most 4,300
    digits; an example saved before that bound could otherwise come back)."""
    if isinstance(value, int):
        return abs(value) < 10 ** 4300
    if isinstance(value, list):
        return all(map(_from_json, value))
    if isinstance(value, dict):
        return all(map(_from_json, value.values()))
    return True

# times: plausible ones, the edges of datetime's range, intervals, zones, and any text
_aware = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                      timezones=st.sampled_from([UTC, None]))
_time_text = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 28)).map(
        lambda d: d.isoformat()),
    _aware.map(lambda d: d.isoformat()),
    st.tuples(_aware, st.sampled_from(["Z", "+14:00", "-12:00", "+08:00", ""])).map(
        lambda p: p[0].replace(tzinfo=None).isoformat() + p[1]),
    st.tuples(_aware, _aware).map(lambda p: f"{p[0].isoformat()}/{p[1].isoformat()}"),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                     "0001-01-01T00:00", "2026-11-28T10:00Z/", "/", "Z", " "]),
    st.text(max_size=30),
)
_numbers = st.one_of(
    st.integers(), st.floats(),
    st.integers(min_value=300, max_value=4299).map(lambda n: 10 ** n),
    st.integers(min_value=300, max_value=4299).map(lambda n: -(10 ** n)),
    st.sampled_from(["1e400", "-1e400", " 42.5 ", "NaN", "inf", ".5", "5.", "1" * 400, "0x10"]),
    st.floats().map(str), st.integers().map(str),
)
_leaf = st.one_of(st.none(), st.booleans(), _numbers, _time_text, st.text(max_size=12))
_json = st.recursive(_leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)),
    max_leaves=10)
_records = st.one_of(st.dictionaries(st.sampled_from(KEYS), _json, max_size=8), _json)
_plain = st.one_of(st.sampled_from(KEYS),
                   st.lists(st.sampled_from(KEYS), min_size=1, max_size=3).map(".".join),
                   st.text(max_size=8))
# a path may also be a template of several, or a list of candidates
_paths = st.one_of(_plain, _plain,
                   st.lists(_plain, min_size=1, max_size=3).map(
                       lambda ps: "-".join("{" + p + "}" for p in ps)),
                   st.lists(_plain, min_size=1, max_size=3))
TIME_FORMATS = ["iso", "epoch_ms", "epoch_s", "epoch", "auto", "received", "%Y-%m-%d %H:%M:%S"]


@st.composite
def mappings(draw):
    wide = draw(st.booleans())
    optional = {k: draw(st.one_of(st.none(), _paths)) for k in ("lat", "lon", "district",
                                                                  "entity_type")}
    fixed = draw(st.dictionaries(st.sampled_from(["ts", "entity_id", "metric", "value", "unit",
                                                  "lat", "lon", "district"]),
                                 st.one_of(st.text(max_size=8), _numbers.map(str)), max_size=2))
    return RecordMapping(
        ts=draw(_paths), entity_id=draw(_paths),
        metrics=draw(st.dictionaries(st.text(min_size=1, max_size=6), _paths, min_size=1,
                                     max_size=3)) if wide else {},
        metric=None if wide else draw(_paths), value=None if wide else draw(_paths),
        unit=draw(st.one_of(st.none(), _paths)), units={}, fixed=fixed,
        time_format=draw(st.sampled_from(TIME_FORMATS)), **optional)


_good_iso = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 28),
                         timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat())
_good_ms = st.integers(min_value=946_771_200_000, max_value=1_795_000_000_000)


@st.composite
def matched(draw):
    """A mapping and a record made for it (mostly well formed), so that rows come out too."""
    wide = draw(st.booleans())
    epoch = draw(st.booleans())
    mapping = RecordMapping(
        ts="t", entity_id="e", metrics={"aqi": "v", "pm25": "a.0"} if wide else {},
        metric=None if wide else "m", value=None if wide else "v",
        lat=draw(st.sampled_from([None, "lat"])), lon=draw(st.sampled_from([None, "lon"])),
        time_format="epoch_ms" if epoch else "iso")
    good = draw(st.integers(0, 3)) > 0
    record = {
        "t": draw((_good_ms if epoch else _good_iso) if good else _leaf),
        "e": draw(st.one_of(st.text(min_size=1, max_size=6), st.integers()) if good else _json),
        "m": draw(st.text(min_size=1, max_size=6) if good else _json),
        "v": draw(_numbers),
        "a": draw(st.lists(_numbers, max_size=2)),
        "lat": draw(st.one_of(st.floats(-90, 90), _numbers)),
        "lon": draw(st.one_of(st.floats(-180, 180), _numbers)),
    }
    return mapping, record


def _names(path) -> set[str]:
    """What a rejection may call a path: itself (a list: its candidates joined by |), and a
    template's parts (``[n]`` read as ``.n``) and every candidate's names."""
    if path is None:
        return set()
    if not isinstance(path, str):
        return {"|".join(path)}.union(*(_names(p) for p in path))
    parts = re.findall(r"\{([^{}]*)\}", path)
    return {path} | {re.sub(r"\[(\d+)\]", r".\1", p.strip()) for p in parts}


def _fields(mapping: RecordMapping) -> set[str]:
    """What a rejection may name: a mapped path, a mapping key, or the record itself."""
    paths = [mapping.ts, mapping.entity_id, mapping.metric, mapping.value, mapping.unit,
             mapping.lat, mapping.lon, mapping.district, mapping.entity_type,
             *mapping.metrics.values()]
    return set().union(*(_names(p) for p in paths)) | {
        "(record)", "metrics", "value", "?", "ts", "entity_id", "metric"}


@settings(max_examples=400, deadline=None)
@given(case=st.one_of(matched(), st.tuples(mappings(), _records)))
@example(case=(RecordMapping(ts="t", entity_id="e", metric="m", value="v"),
               {"t": "2026-11-28T09:00Z", "e": "a", "m": "x", "v": 10 ** 400}))
@example(case=(RecordMapping(ts="t", entity_id="e", metric="m", value="v"),
               {"t": "0001-01-01T00:00:00+01:00", "e": "a", "m": "x", "v": 1}))
@example(case=(RecordMapping(ts="t", entity_id="e", metric="m", value="v"),
               {"t": "0001-01-01T00:00", "e": "a", "m": "x", "v": 1}))
def test_a_record_becomes_finite_rows_or_one_rejection_naming_its_field(case):
    mapping, record = case
    assume(_from_json(record))
    batch = Batch(FEED)
    when = mapping.apply(record, batch, now=NOW)
    if when is None:
        assert not batch.observations
        assert len(batch.rejected) == 1, batch.rejected
        reason = batch.rejected[0]
        prefix = f"feed {FEED}: "
        assert reason.startswith(prefix), reason
        assert any(reason[len(prefix):].startswith(f"{f}: ") for f in _fields(mapping)), reason
    else:
        assert not batch.rejected
        assert batch.observations
        assert when.utcoffset() == timedelta(0)
        assert datetime(2000, 1, 1, tzinfo=UTC) <= when <= NOW + timedelta(days=1)
        for row in batch.observations:
            assert row["ts"] is when
            assert isinstance(row["value"], float) and math.isfinite(row["value"])
            for coord in ("lat", "lon"):
                assert row[coord] is None or math.isfinite(row[coord])
        assert batch.table("observations") is not None


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(_time_text, _json))
@example(value="0001-01-01T00:00:00+01:00")
@example(value="9999-12-31T23:59:59-01:00")
@example(value="0001-01-01T00:00")
def test_parse_time_gives_an_aware_utc_time_or_malformed(value):
    assume(_from_json(value))
    try:
        when = parse_time(value, FEED, "when", now=NOW)
    except Malformed as exc:
        assert exc.field == "when" and exc.feed == FEED
    else:
        assert when.utcoffset() == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(_numbers, _json))
def test_parse_epoch_ms_gives_an_aware_utc_time_or_malformed(value):
    assume(_from_json(value))
    try:
        when = parse_epoch_ms(value, FEED, "when", now=NOW)
    except Malformed as exc:
        assert exc.field == "when"
    else:
        assert when.utcoffset() == timedelta(0)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(_numbers, _json),
       fmt=st.sampled_from(["epoch_s", "epoch_ms", "iso", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"]))
@example(value=10 ** 400, fmt="epoch_ms")
@example(value=-(10 ** 400), fmt="epoch_s")
@example(value="1" * 400, fmt="epoch_ms")
@example(value=10 ** 5000, fmt="epoch_ms")  # beyond JSON's digits: still no crash
def test_parse_time_as_gives_an_aware_utc_time_or_malformed(value, fmt):
    """Whatever a source sends under any time format: a UTC time, or one Malformed naming the
    field (10**400 as epoch milliseconds was an OverflowError)."""
    try:
        when = parse_time_as(value, fmt, FEED, "when", now=NOW)
    except Malformed as exc:
        assert exc.field == "when" and exc.feed == FEED
        assert len(str(exc)) < 300  # a huge number is named by its size, not printed whole
    else:
        assert when.utcoffset() == timedelta(0)


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(_numbers, _json))
@example(value=10 ** 400)
@example(value=-(10 ** 309))
def test_parse_number_gives_a_finite_float_or_malformed(value):
    assume(_from_json(value))
    try:
        number = parse_number(value, FEED, "n")
    except Malformed as exc:
        assert exc.field == "n"
    else:
        assert isinstance(number, float) and math.isfinite(number)


_when = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 28),
                     timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(when=_when, unit=st.sampled_from(["s", "ms"]), as_text=st.booleans(),
       named=st.booleans(), fmt=st.sampled_from(["epoch", "auto"]))
def test_epoch_times_in_either_unit_as_number_or_text_are_read_as_that_moment(
        when, unit, as_text, named, fmt):
    """Seconds or milliseconds, a number or its text: the format naming the unit, or ``epoch``
    and ``auto`` telling them apart by magnitude (every time from 2000 on is unambiguous)."""
    number = int(when.timestamp()) if unit == "s" else int(when.timestamp() * 1000)
    assert (number >= EPOCH_MS_FROM) == (unit == "ms")
    mapping = RecordMapping(ts="t", entity_id="e", metric="m", value="v",
                            time_format=f"epoch_{unit}" if named else fmt)
    batch = Batch(FEED)
    got = mapping.apply({"t": str(number) if as_text else number, "e": "a", "m": "x", "v": 1},
                        batch, now=NOW)
    assert not batch.rejected, batch.rejected
    expected = when.replace(microsecond=0 if unit == "s" else when.microsecond // 1000 * 1000)
    assert got == expected


@settings(max_examples=120, deadline=None)
@given(payload=st.one_of(st.lists(_records, max_size=4), _records),
       case=st.lists(mappings(), min_size=1, max_size=3),
       topic=st.lists(st.text(max_size=4), min_size=1, max_size=4).map("/".join))
def test_a_payload_of_any_shape_gives_rows_or_one_line_per_record_naming_the_topic(
        payload, case, topic):
    """Alternatives, arrays and topic levels: every record of a message becomes rows or exactly
    one rejection line that names the feed and the topic; nothing raises."""
    assume(_from_json(payload))
    batch = Batch(FEED)
    newest, refused = MessageMapping(tuple(case)).apply_payload(
        payload, batch, where=f"topic {topic}", now=NOW,
        context={"topic": topic.split("/")}, received=NOW)
    records = len(payload) if isinstance(payload, list) else 1
    assert len(batch.rejected) == refused <= records
    for line in batch.rejected:
        assert line.startswith(f"feed {FEED}: topic {topic}"), line
    if refused < records:
        assert newest is not None and batch.observations
        assert all(row["ts"] <= newest for row in batch.observations)
