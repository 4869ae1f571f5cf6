"""NGSI-v2, SensorThings and ThingsBoard adapters against the simulator (and scripted servers
for their edge cases) on loopback: paging, incremental loads, both NGSI forms, untidy
payloads, partial loads (no Qt)."""

from __future__ import annotations

import pytest
import requests
from support.feedkit import count, reply

from cockpit.data.ingest import load
from cockpit.demo.simulator import Faults
from feeds.errors import FetchError
from feeds.http import HttpPolicy
from feeds.ngsi import NgsiFeed
from feeds.sensorthings import SensorThingsFeed
from feeds.thingsboard import ThingsBoardFeed

POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=3, retries=1, backoff=0.01)
TYPES = ["AirQualityObserved", "TrafficFlowObserved", "OffStreetParking", "Alert", "Device"]


def _ngsi(url: str, **options) -> NgsiFeed:
    return NgsiFeed("物联感知", 5, {"url": url, "types": TYPES, "limit": 7, **options},
                    requests.Session(), policy=POLICY)


def _rows(store) -> list[tuple]:
    return store.reader().execute(
        "SELECT ts, entity_id, metric, value, unit, district, lat, lon FROM observations "
        "ORDER BY ALL").fetchall()


# -- NGSI-v2 ----------------------------------------------------------------------------
def test_ngsi_normalized_and_key_values_give_the_same_rows(sim, tmp_path, clock):
    from cockpit.data.store import Store

    # alerts come round in real time and are rare at night: a half-day window always has some
    sim.sim.world.history_s = 12 * 3600
    results = []
    for kv in (False, True):
        with Store(tmp_path / f"kv{kv}.duckdb") as st:
            feed = _ngsi(sim.url, key_values=kv, service="weifang", service_path="/city")
            load(feed, st, clock.now())
            assert feed.partial is None
            results.append((_rows(st), count(st, "entities"), count(st, "alerts")))
    (normal, n_ent, n_alert), (kv_rows, kv_ent, kv_alert) = results
    metrics = {r[2] for r in normal}
    assert metrics == {"aqi", "pm25", "congestion", "parking_occupancy"}
    assert len(normal) == 12 * 4
    # keyValues has no metadata: pm25's unit (in metadata) and parking's own TimeInstant go,
    # so compare what both forms carry
    assert [(r[1], r[2], r[3]) for r in normal] == [(r[1], r[2], r[3]) for r in kv_rows]
    assert (n_ent, n_alert) == (kv_ent, kv_alert) and n_ent > 40 and n_alert > 0
    assert all("Fiware-Service" not in p for p in sim.sim.log)  # headers, not the query


def test_ngsi_untidy_values_are_parsed_as_intended(sim, store, clock):
    load(_ngsi(sim.url), store, clock.now())
    world = sim.sim.world
    aqi = world.latest("370705", "aqi")
    row = store.reader().execute(
        "SELECT ts, value, lat, lon FROM observations WHERE metric = 'aqi' AND district = "
        "'370705'").fetchone()
    assert row[0].timestamp() == aqi.ts.timestamp()  # dateObserved interval: its end
    assert row[1] == aqi.value and (row[2], row[3]) == (36.707, 119.132)  # geo:json [lon, lat]
    unit = store.reader().execute(
        "SELECT DISTINCT unit FROM observations WHERE metric = 'pm25'").fetchall()
    assert unit == [("μg/m³",)]  # unitCode GQ in metadata without a type
    park_ts = store.reader().execute(
        "SELECT DISTINCT ts FROM observations WHERE metric = 'parking_occupancy'").fetchall()
    assert [t[0].timestamp() for t in park_ts] == [aqi.ts.timestamp()]  # zone-less local time
    sev = dict(store.reader().execute(
        "SELECT severity, count(*) FROM alerts GROUP BY 1").fetchall())
    assert set(sev) <= {"critical", "major", "minor", "info"}


def test_ngsi_paging_counts_and_partial_when_short(scripted, store, clock):
    stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def ent(i):
        return {"id": f"aq{i}", "type": "AirQualityObserved", "dateObserved": stamp,
                "airQualityIndex": str(80 + i), "areaServed": "370702"}

    def handler(h, n):
        page = [ent(1), ent(2)] if n == 0 else []
        reply(h, 200, page, {"Fiware-Total-Count": "5"})

    server = scripted(handler)
    feed = NgsiFeed("物联感知", 5, {"url": server.url, "types": ["AirQualityObserved"],
                                   "limit": 2, "key_values": True}, requests.Session(),
                    policy=POLICY)
    assert load(feed, store, clock.now()) == 2
    assert feed.partial == "只取到 2/5 条（服务端声明的总数）"
    assert "offset=0" in server.seen[0][0] and "offset=2" in server.seen[1][0]
    assert "options=count%2CkeyValues" in server.seen[0][0]


def test_ngsi_entity_without_a_time_is_rejected_not_stamped_now(scripted, store, clock):
    server = scripted(lambda h, n: reply(h, 200, [
        {"id": "aq1", "type": "AirQualityObserved", "airQualityIndex": 90}], {
        "Fiware-Total-Count": "1"}))
    feed = NgsiFeed("物联感知", 5, {"url": server.url}, requests.Session(), policy=POLICY)
    assert load(feed, store, clock.now()) == 0
    assert "aq1.airQualityIndex: no time" in feed.rejected[0]


# -- SensorThings -------------------------------------------------------------------------
def test_sensorthings_follows_relative_next_links_and_loads_incrementally(sim, store, clock):
    feed = SensorThingsFeed("传感器网", 5, {"url": sim.url + "/v1.1", "top": 4},
                            requests.Session(), policy=POLICY)
    assert load(feed, store, clock.now()) == 6 * 12 * 14 + 12  # and the 12 Things
    assert feed.partial is None
    # one query per Datastream, 6 observations each: a page of 4, then its nextLink
    assert sum("/Observations" in p for p in sim.sim.log) == 2 * 12 * 14
    row = store.reader().execute(
        "SELECT count(DISTINCT ts), min(value) > 1e5 FROM observations "
        "WHERE metric = 'wst_users'").fetchone()
    assert row == (6, True)
    assert store.reader().execute(
        "SELECT count(DISTINCT ts) FROM observations WHERE metric = 'hotline_opened'"
    ).fetchone()[0] == 6
    sim.sim.log.clear()
    clock.advance()
    assert load(feed, store, clock.now()) == 12 * 14 + 12
    assert any("phenomenonTime+ge+" in p for p in sim.sim.log)


def test_sensorthings_rejects_results_that_are_not_numbers(scripted, store, clock):
    stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    ds = {"@iot.id": 1, "Thing": {"@iot.id": 1, "properties": {"district": "370702"}},
          "ObservedProperty": {"name": "aqi"}, "unitOfMeasurement": {"symbol": ""}}
    obs = [{"@iot.id": i, "phenomenonTime": stamp, "result": r}
           for i, r in enumerate([85, "86.5", {"v": 1}, None, "high", [1]])]

    def handler(h, n):
        if "/Observations" in h.path:
            return reply(h, 200, {"@iot.count": 6, "value": obs})
        reply(h, 200, {"value": [ds]})

    feed = SensorThingsFeed("传感器网", 5, {"url": scripted(handler).url}, requests.Session(),
                            policy=POLICY)
    assert load(feed, store, clock.now()) == 1 + 1  # 85 and "86.5" share (ts, entity, metric); the Thing
    assert len(feed.rejected) == 4 and "result: not a number: dict" in feed.rejected[0]


# -- ThingsBoard ----------------------------------------------------------------------------
def _tb(url: str, password: str = "tenant", **options) -> ThingsBoardFeed:
    return ThingsBoardFeed("设备平台", 5, {"url": url, "username": "tenant@weifang.gov.cn",
                                       "password": password, "keys": ["aqi", "congestion"],
                                       "lookback_s": 1800, **options},
                           requests.Session(), policy=POLICY)


def test_thingsboard_login_string_values_attributes_and_incremental(sim, store, clock):
    feed = _tb(sim.url)
    assert load(feed, store, clock.now()) == 12 * 2 * 6 + 12  # observations + device entities
    assert count(store) == 12 * 2 * 6
    row = store.reader().execute(
        "SELECT lat, lon, district, status FROM entities WHERE name LIKE '奎文区%'").fetchone()
    assert row == (36.707, 119.132, "370705", "online")
    value = store.reader().execute(
        "SELECT arg_max(value, ts) FROM observations WHERE metric = 'aqi' AND district = "
        "'370705'").fetchone()[0]
    assert value == sim.sim.world.latest("370705", "aqi").value  # sent as a string
    clock.advance()
    load(feed, store, clock.now())
    assert count(store) == 12 * 2 * 7
    assert store.checkpoint("设备平台") is not None


def test_thingsboard_wrong_password_never_shows_it(sim, store, clock):
    feed = _tb(sim.url, password="very-secret-pw")
    with pytest.raises(FetchError) as err:
        load(feed, store, clock.now())
    assert "401" in str(err.value) and "very-secret-pw" not in str(err.value)


def test_thingsboard_limit_reached_is_flagged_partial(sim, store, clock):
    feed = _tb(sim.url, limit=3, max_pages=1)
    load(feed, store, clock.now())
    assert feed.partial and "limit=3" in feed.partial


def test_faults_from_the_simulator_fail_the_load_but_keep_the_cache(sim, store, clock):
    feed = _tb(sim.url)
    load(feed, store, clock.now())
    before = count(store)
    for faults in (Faults(error=1.0), Faults(drop=1.0), Faults(garbage=1.0)):
        sim.sim.set_faults(faults)
        with pytest.raises(Exception) as err:
            load(feed, store, clock.now())
        assert "设备平台" in str(err.value)
        assert count(store) == before


def test_thingsboard_logs_in_again_when_its_token_expires(sim, store, clock):
    feed = _tb(sim.url)
    load(feed, store, clock.now())
    logins = sum(p == "/api/auth/login" for p in sim.sim.log)
    sim.sim.tb_tokens.clear()  # the server forgets every session (expiry, restart)
    clock.advance()
    load(feed, store, clock.now())
    assert sum(p == "/api/auth/login" for p in sim.sim.log) == logins + 1
    assert count(store) == 12 * 2 * 7
