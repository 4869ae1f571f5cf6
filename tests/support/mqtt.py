"""A Mosquitto of the feed tests' own on a free loopback port (anonymous, no persistence), and
a publisher: enough for an MQTT feed to subscribe to. The multi-PC walls' broker, with
passwords and ACLs, is ``support.walls.Broker``."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import paho.mqtt.client as mqtt

from cockpit.data.ingest import load
from support.feedkit import count
from support.waiting import eventually

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)


MAPPING = {"ts": "ts", "entity_id": "topic.1", "district": "topic.1", "metric": "topic.2",
           "value": "value", "unit": "unit", "fixed": {"entity_type": "district"}}


class OpenBroker:
    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             f"persistence false\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        eventually(lambda: socket.create_connection(("127.0.0.1", self.port), 0.2).close() or True,
                   5, ignoring=(OSError,), message="mosquitto did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


def publish(port: int, items: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in items:
        client.publish(topic, payload, qos=1).wait_for_publish(2)
    client.disconnect()
    client.loop_stop()


def load_until(feed, store, now, want: int, rejects: int = 0, timeout: float = 15.0) -> list[str]:
    """Load ``feed`` until the cache holds ``want`` rows and ``rejects`` records were refused,
    and return the refusals (each load starts its own list of them, so they are collected here)."""
    rejected: list[str] = []

    def enough() -> bool:
        load(feed, store, now)
        rejected.extend(feed.rejected)
        return count(store) >= want and len(rejected) >= rejects

    eventually(enough, timeout, message=f"{want} rows and {rejects} refusals: {rejected}")
    return rejected
