"""Property tests (Hypothesis) of the map payload builder, :func:`cockpit.panels.map.map_layers`:
whatever ids, names, titles and numbers the cache holds, the payload is strict JSON (no NaN or
Infinity, which the page's JSON.parse refuses, dropping the whole push) and every feed text in
it is escaped (issue 16, findings 2 and 8).

Each example's rows are written into one real DuckDB cache (emptied between examples) and the
builder reads them as the wall does, through the store's own queries and rollups: a stand-in
cursor could not answer the rollups' SQL, and would test a reader the wall never uses."""

from __future__ import annotations

import html
import json
import math
from dataclasses import replace
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import NOW, ROOT

from cockpit.model.metrics import DISTRICTS, SEVERITIES
from maps.escape import safe_text

#: What safe_text never lets through raw (the page sets feed text as HTML).
RAW = set("<>\"'`$\\\u2028\u2029\x00")
BUILTIN_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf",
                 "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "__defineGetter__",
                 "__lookupSetter__", "call", "apply", "bind", "length", "name", "prototype"]
texts = st.one_of(st.text(), st.sampled_from(BUILTIN_NAMES),
                  st.builds(lambda a, b: a + b, st.text(max_size=5), st.sampled_from(BUILTIN_NAMES)),
                  st.sampled_from(["</script>", "${x}", "`", "\\", "<img src=x onerror=alert(1)>"]))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none())
positions = st.one_of(st.floats(min_value=30, max_value=40), st.floats(), st.none())


@lru_cache(maxsize=1)
def _store():
    import atexit
    import tempfile
    from pathlib import Path

    from cockpit.data.store import Store

    folder = tempfile.TemporaryDirectory(prefix="map-props-")
    store = Store(Path(folder.name) / "props.duckdb")
    atexit.register(folder.cleanup)
    atexit.register(store.close)
    return store


def _fill(observations, entities, alerts) -> None:
    """The example's rows, and nothing else, in the cache (written as a raw statement: the
    generated values include NaN and ±inf, which the feeds' own path refuses)."""

    def write(con) -> None:
        for table in ("observations", "entities", "alerts"):
            con.execute(f"DELETE FROM {table}")
        if observations:
            con.executemany("INSERT INTO observations (ts, feed, entity_id, entity_type, metric, "
                            "value, district) VALUES (?, ?, ?, 'district', ?, ?, ?)", observations)
        if entities:
            con.executemany("INSERT INTO entities (entity_id, entity_type, name, district, lat, "
                            "lon, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", entities)
        if alerts:
            con.executemany("INSERT INTO alerts (alert_id, ts, severity, title, district, lat, lon, "
                            "feed, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')", alerts)

    _store().write(write)


@lru_cache(maxsize=4)
def _spec(metric: str):
    from cockpit.model.layout import load_layout

    layout = load_layout(ROOT / "layouts" / "overview.toml")
    spec = next(p for p in layout.panels() if p.kind == "map")
    return replace(spec, params={**spec.params, "metric": metric, "limit": 1000,
                                 "layers": ["districts", "devices", "alerts", "heat"]})


def _refuse_constant(name):
    raise AssertionError(f"{name} in the payload: not JSON")


def _assert_escaped(text: str, original: str | None = None) -> None:
    for part in text.split("<br>"):  # the builder's own line break is the only markup
        assert not RAW & set(part), part
    if original is not None:
        assert html.unescape(text) == original.replace("\x00", "\ufffd")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric=st.sampled_from(["aqi", "pm25"]),
       values=st.lists(st.tuples(st.sampled_from(sorted(DISTRICTS)), numbers), max_size=12),
       devices=st.lists(st.tuples(texts, texts, positions, positions,
                                  st.sampled_from(["online", "fault", "odd", None]),
                                  st.sampled_from(["camera", "patrol_robot", "x"])), max_size=8),
       alerts=st.lists(st.tuples(texts, texts, positions, positions,
                                 st.sampled_from(["critical", "major", "minor", "info", "??"])),
                       max_size=8))
def test_any_ids_and_texts_give_strict_json_with_escaped_text(metric, values, devices, alerts):
    from cockpit.panels.map import map_layers

    values = list({code: v for code, v in values}.items())  # one newest value per district
    devices = list({d[0].replace("\x00", "\ufffd"): d for d in devices}.values())  # ids are keys
    alerts = list({a[0].replace("\x00", "\ufffd"): a for a in alerts}.values())
    obs = [(NOW, "feed", f"district-{code}", metric, v, code) for code, v in values]
    ents = [(eid.replace("\x00", "\ufffd"), etype, name, "370705", lat, lon, status, NOW)
            for eid, name, lat, lon, status, etype in devices]
    alts = [(aid.replace("\x00", "\ufffd"), NOW, sev, title, "370705", lat, lon, "feed")
            for aid, title, lat, lon, sev in alerts]
    _fill(obs, ents, alts)
    vm = _store().read(map_layers, _spec(metric), NOW)
    payload = json.loads(vm.payload, parse_constant=_refuse_constant)
    assert vm.payload.isascii()
    for r in payload["devices"] + payload["alerts"] + payload["heat"]:
        assert math.isfinite(r["lat"]) and math.isfinite(r["lon"])
        _assert_escaped(r["id"])
        _assert_escaped(r.get("tip", ""))
    assert sorted(html.unescape(r["id"]) for r in payload["devices"]) == sorted(
        e[0].replace("\x00", "\ufffd") for e in devices if _drawn(e[2], e[3]))
    # the map draws the severities it knows, each alert once (all at one time: in any order)
    drawn = [a for a in alerts if _drawn(a[2], a[3]) and a[4] in SEVERITIES]
    assert len(payload["alerts"]) == len(drawn)
    assert sorted(html.unescape(r["id"]) for r in payload["alerts"]) == sorted(
        a[0].replace("\x00", "\ufffd") for a in drawn)
    for d in payload["districts"].values():
        _assert_escaped(d["tip"])
        assert d["color"].startswith("#") and len(d["color"]) == 7
    legend = payload["legend"]
    _assert_escaped(legend["title"])
    for color, label in legend["items"]:
        _assert_escaped(label)
        assert color.startswith("#")


def _drawn(lat, lon) -> bool:
    return lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon)


@given(st.text())
def test_safe_text_is_inert_and_reversible(text):
    out = safe_text(text)
    assert not RAW & set(out)
    assert html.unescape(out) == text.replace("\x00", "\ufffd")
