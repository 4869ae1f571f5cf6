"""The MQTT adapter against a real Mosquitto broker started on a free loopback port
(bootstrap.sh installs it; without the binary these tests skip and say why)."""

from __future__ import annotations

import json

import pytest
from support.feedkit import count
from support.mqtt import MAPPING, MOSQUITTO, OpenBroker, load_until, publish
from support.waiting import eventually

from cockpit.data.ingest import load
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
