"""An MQTT feed acknowledges a QoS 1 message only once it is in the cache, so no stop loses one:
``cockpit ingest`` (a real process) on a real Mosquitto is stopped by SIGTERM or SIGINT at
random moments during and after bursts of publishing, once killed outright (a crash), and
started again; in the end every message published is in the cache exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import paho.mqtt.client as mqtt
import pytest
from support import ROOT
from support.mqtt import MOSQUITTO, OpenBroker, load_until

from cockpit.data.store import Store
from feeds.mqtt import MqttFeed

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto binary not installed")

FEED = "推送"
ROUNDS = 4
BURST = 60
MAPPING = {"ts": "ts", "entity_id": "{topic[1]}-{n}", "metric": "m", "value": "v"}


@pytest.fixture
def broker(tmp_path):
    b = OpenBroker(tmp_path)
    b.start()
    yield b
    b.stop()


def site(tmp_path: Path, port: int, protocol: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(f'''version = 1
[[feeds]]
name = "{FEED}"
kind = "mqtt"
interval = "5s"
port = {port}
topics = ["ack/#"]
qos = 1
protocol = "{protocol}"
mapping = {{ ts = "ts", entity_id = "{{topic[1]}}-{{n}}", metric = "m", value = "v" }}
''', encoding="utf-8")
    return path


def make_session(port: int, protocol: str) -> None:
    """The feed's persistent session exists at the broker before anything is published (what a
    first run of the wall leaves behind), so the broker keeps messages for it from the start."""
    done = threading.Event()
    if protocol == "5":
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cockpit-{FEED}",
                             protocol=mqtt.MQTTv5)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        client.connect("127.0.0.1", port, clean_start=False, properties=props)
    else:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cockpit-{FEED}",
                             clean_session=False)
        client.connect("127.0.0.1", port)
    client.on_subscribe = lambda *a: done.set()
    client.loop_start()
    client.subscribe("ack/#", qos=1)
    assert done.wait(5)
    client.disconnect()
    client.loop_stop()


class Publisher:
    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.sent = 0
        self.stamp = datetime.now(UTC) - timedelta(minutes=5)

    def burst(self, n: int, pause: threading.Event) -> None:
        """``n`` QoS 1 messages over about half a second, each acknowledged by the broker."""
        for _ in range(n):
            i = self.sent
            payload = {"ts": (self.stamp + timedelta(seconds=i)).isoformat(), "n": i,
                       "m": "aqi", "v": i % 500}
            self.client.publish(f"ack/s{i % 7}", json.dumps(payload), qos=1).wait_for_publish(5)
            self.sent += 1
            pause.wait(0.008)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def start_ingest(config: Path, cache: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "cockpit.cli", "ingest", "--config",
                             str(config), "--cache", str(cache), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    # the signal handlers are in place once it says where it writes
    line = proc.stderr.readline()
    assert "SIGTERM" in line, line + proc.stderr.read()
    return proc


def cached(cache: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(cache), read_only=True) as con:
        return con.execute("SELECT entity_id, count(*) FROM observations GROUP BY entity_id"
                           ).fetchall()


@pytest.mark.slow  # about 10 s per protocol: four restarts of a real process
@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_no_qos1_message_is_lost_when_ingest_is_stopped_at_random_moments(broker, tmp_path,
                                                                          protocol):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    config, cache = site(tmp_path, broker.port, protocol), tmp_path / "cache.duckdb"
    make_session(broker.port, protocol)
    publisher = Publisher(broker.port)
    never = threading.Event()
    kill_round = rng.randrange(ROUNDS)
    try:
        for round_ in range(ROUNDS):
            proc = start_ingest(config, cache)
            sender = threading.Thread(target=publisher.burst, args=(BURST, never))
            sender.start()
            # during the burst or after it (the burst takes about 0.5 s)
            never.wait(rng.uniform(0.0, 1.0))
            if round_ == kill_round:  # a crash: nothing drains, nothing is acknowledged late
                proc.kill()
                assert proc.wait(10) == -signal.SIGKILL
            else:  # SIGTERM (a service manager), or SIGINT (Ctrl+C) every other round
                proc.send_signal(signal.SIGINT if round_ % 2 else signal.SIGTERM)
                out, err = proc.communicate(timeout=15)
                assert proc.returncode == 0, (seed, err)
                assert out.startswith(FEED) and "added" in out, (seed, out, err)
            sender.join(10)
    finally:
        publisher.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # started again (the same feed, in this process, so the cache can be watched): what was
    # not acknowledged comes back
    want = publisher.sent
    feed = MqttFeed(FEED, 5, {"port": broker.port, "topics": ["ack/#"], "qos": 1,
                              "protocol": protocol, "mapping": MAPPING})
    try:
        with Store(cache) as store:
            load_until(feed, store, datetime.now(UTC), want, timeout=20)
            feed.close()
    finally:
        feed.close()
    rows = dict(cached(cache))
    expected = {f"s{i % 7}-{i}" for i in range(want)}
    assert set(rows) == expected, (seed, sorted(expected - set(rows))[:10])
    assert set(rows.values()) == {1}, seed  # each once: redelivered copies deduplicated
