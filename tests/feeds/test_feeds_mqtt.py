"""The MQTT adapter against a real Mosquitto broker started on a free loopback port
(bootstrap.sh installs it; without the binary these tests skip and say why)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support.feedkit import count
from support.mqtt import MAPPING, MOSQUITTO, OpenBroker, load_until, publish
from support.waiting import eventually

from cockpit.data.ingest import FeedRunner, load
from cockpit.data.store import ReadOnlyStore, Store
from cockpit.demo.apis.mqttpub import MqttPublisher
from cockpit.demo.world import World
from feeds.errors import FetchError
from feeds.mqtt import MqttFeed

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto binary not installed "
                                                          "(./bootstrap.sh setup installs it)")


@pytest.fixture
def broker(tmp_path):
    b = OpenBroker(tmp_path)
    b.start()
    yield b
    b.stop()



def test_wildcard_topics_json_mapping_and_rejects(broker, store, clock):
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["weifang/+/aqi",
                                                                  "weifang/+/pm25"],
                                   "qos": 1, "mapping": MAPPING})
    try:
        load(feed, store, clock.now())  # connects and subscribes
        assert feed.subscribed.wait(10)
        world = World(clock)
        publisher = MqttPublisher(world, "127.0.0.1", broker.port, metrics=("aqi", "pm25",
                                                                             "congestion"))
        publisher.client.loop_start()
        eventually(publisher.client.is_connected, 10, message="the publisher connects")
        assert publisher.publish_once(wait=2) == 36
        publisher.client.disconnect()
        publisher.client.loop_stop()
        publish(broker.port, [("weifang/370702/aqi", b"{not json"),
                              ("weifang/370702/aqi", json.dumps({"value": "1"}).encode())])
        reasons = " | ".join(load_until(feed, store, clock.now(), 24, rejects=2))
        assert count(store) == 24  # congestion is not subscribed to
        assert store.reader().execute(
            "SELECT count(DISTINCT district), min(unit IS NULL) FROM observations "
            "WHERE metric = 'aqi'").fetchone() == (12, True)
        assert "topic weifang/370702/aqi: payload is not JSON" in reasons
        assert "ts: missing" in reasons
    finally:
        feed.close()


def test_reconnects_after_the_broker_restarts(broker, store, clock):
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["weifang/#"], "qos": 1,
                                   "mapping": MAPPING, "reconnect_max": 2})
    try:
        load(feed, store, clock.now())
        assert feed.subscribed.wait(10)
        broker.stop()
        eventually(lambda: not feed.connected.is_set(), 10, message="the feed sees the broker go")
        with pytest.raises(FetchError, match="not connected"):
            load(feed, store, clock.now())
        broker.start()
        assert feed.subscribed.wait(15), "did not reconnect"
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        publish(broker.port, [("weifang/370705/aqi",
                                json.dumps({"ts": stamp, "value": 77}).encode())])
        load_until(feed, store, clock.now(), 1)
        assert store.reader().execute("SELECT value FROM observations").fetchall() == [(77.0,)]
    finally:
        feed.close()


SHAPES = [  # tried in order per record; the first that fits is used
    {"ts": "t", "time_format": "epoch", "entity_id": "{topic[1]}-{station}",
     "district": "topic.1", "metrics": {"pm25": "pm25"}, "units": {"pm25": "μg/m³"}},
    {"ts": "data.time", "entity_id": "{topic[1]}-{data.dev}", "district": "topic.1",
     "metric": "data.kind", "value": ["data.value", "data.val"]},
    {"time_format": "received", "entity_id": "{topic[1]}-{id}", "district": "topic.1",
     "metrics": {"noise": "db"}},
]


def test_payloads_of_several_shapes_under_one_topic_filter(broker, store, clock):
    now = clock.now()
    secs = int(now.timestamp()) - 600
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["city/#"], "qos": 1,
                                   "mappings": SHAPES})
    try:
        load(feed, store, now)
        assert feed.subscribed.wait(10)
        publish(broker.port, [
            # an array of records; epoch seconds as a number, milliseconds as text
            ("city/370702/air", json.dumps([{"station": "S1", "t": secs, "pm25": "61"},
                                            {"station": "S2", "t": str(secs * 1000),
                                             "pm25": 70},
                                            {"station": "S3", "pm25": 1}]).encode()),
            # the same station number in another district stays another station
            ("city/370703/air", json.dumps({"station": "S1", "t": secs, "pm25": 40}).encode()),
            # another device's envelope, its value under either name
            ("city/370705/air", json.dumps({"data": {"dev": "D7", "time": "2026-11-28 08:00:00",
                                                     "kind": "no2", "val": "33.5"}}).encode()),
            # no time at all: the moment it arrived
            ("city/370705/noise", json.dumps({"id": "N1", "db": 52}).encode()),
        ])
        reasons = load_until(feed, store, now, 5, rejects=1)
    finally:
        feed.close()
    rows = store.reader().execute(
        "SELECT entity_id, district, metric, value, unit, epoch(ts) FROM observations "
        "ORDER BY entity_id").fetchall()
    by_id = {r[0]: r for r in rows}
    assert sorted(by_id) == ["370702-S1", "370702-S2", "370703-S1", "370705-D7", "370705-N1"]
    assert by_id["370702-S1"][1:5] == ("370702", "pm25", 61.0, "μg/m³")
    assert by_id["370703-S1"][1:4] == ("370703", "pm25", 40.0)
    assert by_id["370702-S1"][5] == by_id["370702-S2"][5] == secs  # s and ms alike
    assert by_id["370705-D7"][2:4] == ("no2", 33.5)
    arrived = by_id["370705-N1"][5]
    assert abs(arrived - datetime.now(UTC).timestamp()) < 60  # received just now
    # the one refused record: its feed, topic, place in the array and each shape's field
    assert len(reasons) == 1
    assert reasons[0].startswith("feed 实时推送: topic city/370702/air [2]: (mapping): "
                                 "no mapping fits: 1) t: missing; 2) data.time: missing; "
                                 "3) id: missing"), reasons


def test_a_message_not_written_is_not_acknowledged(broker, store, clock, tmp_path):
    """The acknowledgement waits for the commit: a load whose write fails (a cache open
    read-only) leaves its messages unacknowledged and held; the next load writes and
    acknowledges them."""
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["weifang/#"], "qos": 1,
                                   "mapping": MAPPING})
    try:
        load(feed, store, clock.now())
        assert feed.subscribed.wait(10)
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        publish(broker.port, [(f"weifang/37070{i}/aqi",
                               json.dumps({"ts": stamp, "value": i}).encode()) for i in range(2, 5)])
        eventually(lambda: feed.waiting == 3, 10, message="three messages arrive")

        other = tmp_path / "read-only.duckdb"
        Store(other).close()
        with Store(other, read_only=True) as read_only, pytest.raises(ReadOnlyStore):
            load(feed, read_only, clock.now())  # the write is refused
        assert feed.acked == 0 and feed.waiting == 3  # held for the next load
        load(feed, store, clock.now())
        assert count(store) == 3 and feed.acked == 3 and feed.waiting == 0
    finally:
        feed.close()


def test_the_runner_writes_and_acknowledges_what_is_queued_when_it_stops(broker, store, clock):
    """The wall's and ``cockpit ingest``'s stop: FeedRunner.stop drains an MQTT feed (writes
    what it holds, then acknowledges it) before the cache closes."""
    feed = MqttFeed("实时推送", 300, {"port": broker.port, "topics": ["weifang/#"], "qos": 1,
                                     "mapping": MAPPING})
    runner = FeedRunner(store, [feed], clock=clock.now)
    runner.start()
    try:
        assert runner.backfilled.wait(10) and feed.subscribed.wait(10)
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        publish(broker.port, [(f"weifang/3707{i:02d}/aqi",
                               json.dumps({"ts": stamp, "value": i}).encode())
                              for i in range(40)])
        eventually(lambda: feed.waiting + count(store) >= 40, 10, message="40 messages arrive")
    finally:
        runner.stop()
    assert count(store) == 40 and feed.acked == 40 and feed.waiting == 0
    assert not feed.client.is_connected()


def test_a_one_page_load_writes_its_health_with_its_rows(broker, store, clock):
    """A tick of one page is one commit: its rows, its checkpoint and the feed's health (here
    partial, naming the refused message's topic) land together."""
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["weifang/#"], "qos": 1,
                                   "mapping": MAPPING})
    try:
        load(feed, store, clock.now())
        assert feed.subscribed.wait(10)
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        publish(broker.port, [("weifang/370702/aqi", json.dumps({"ts": stamp, "value": 1}).encode()),
                              ("weifang/370703/aqi", b"{not json"),
                              ("weifang/370705/aqi", json.dumps({"ts": stamp, "value": 2}).encode())])
        eventually(lambda: feed.waiting == 3, 10, message="three messages arrive")
        FeedRunner(store, [feed], clock=clock.now).backfill_all()
        health = store.reader().execute(
            "SELECT last_success = last_attempt, partial, rows, last_error FROM feed_health "
            "WHERE feed = '实时推送'").fetchone()
    finally:
        feed.close()
    assert health[:3] == (True, True, 2), health
    assert "topic weifang/370703/aqi: payload is not JSON" in health[3]
    assert count(store) == 2 and feed.acked == 3
