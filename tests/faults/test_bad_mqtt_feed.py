"""A deeply nested payload on a topic an MQTT feed subscribes to (a real Mosquitto on
loopback) is refused on its own, with its topic: the good messages that arrived with it are
still cached."""

from __future__ import annotations

import json

import pytest
from support.feedkit import count
from support.mqtt import MAPPING, MOSQUITTO, OpenBroker, load_until, publish

from cockpit.data.ingest import load
from feeds.mqtt import MqttFeed

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto binary not installed")



@pytest.fixture
def broker(tmp_path):
    b = OpenBroker(tmp_path)
    b.start()
    yield b
    b.stop()


def test_a_nested_payload_is_rejected_alone_and_the_batch_is_kept(broker, store, clock):
    feed = MqttFeed("实时推送", 5, {"port": broker.port, "topics": ["weifang/#"], "qos": 1,
                                   "mapping": MAPPING})
    try:
        load(feed, store, clock.now())
        assert feed.subscribed.wait(10)
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        good = [(f"weifang/{d}/aqi", json.dumps({"ts": stamp, "value": v}).encode())
                for d, v in (("370702", 41), ("370705", 57))]
        publish(broker.port, [good[0], ("weifang/370703/aqi", b"[" * 100_000 + b"]" * 100_000),
                              good[1]])
        reasons = load_until(feed, store, clock.now(), 2, rejects=1)
        assert count(store) == 2
        assert reasons == ["feed 实时推送: topic weifang/370703/aqi: payload is JSON nested too "
                           "deeply (b'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[')"]
        assert feed.connected.is_set()
    finally:
        feed.close()
