"""MQTT (paho-mqtt): subscribe to topics (wildcards allowed), map JSON payloads like the REST
adapter (:mod:`feeds.mapping`; the topic's levels are there as ``topic.0``, ``topic.1``, …).

paho's own network thread receives; messages wait in a bounded queue until the runner's next
tick writes them as one batch, so the store keeps one writer. Reconnects back off
exponentially (1 s doubling to ``reconnect_max`` s). With QoS 1 the session is persistent
(fixed client id, ``clean_session`` off), so the broker keeps what arrives while we are away.
A payload that is not JSON or does not map is rejected with the topic named. No Qt.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt

from feeds.auth import resolve
from feeds.base import LiveFeed, Page
from feeds.common import Batch
from feeds.errors import FetchError
from feeds.mapping import RecordMapping

log = logging.getLogger(__name__)
QUEUE_MAX = 100_000


class MqttFeed(LiveFeed):
    kind = "mqtt"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any], *,
                 env: Mapping[str, str] | None = None) -> None:
        password = resolve(options, "password", env)
        super().__init__(name, interval_s, secrets=(password,) if password else ())
        self.host = options.get("host", "127.0.0.1")
        self.port = int(options.get("port", 1883))
        self.topics: list[str] = list(options["topics"])
        self.qos = int(options.get("qos", 0))
        self.mapping = RecordMapping.from_config(options["mapping"])
        self.reconnect_max = int(options.get("reconnect_max", 60))
        self.queue: queue.Queue[tuple[str, bytes]] = queue.Queue(QUEUE_MAX)
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.last_error: str | None = None
        self.dropped = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"cockpit-{name}" if self.qos else "",
                                  clean_session=self.qos == 0)
        username = resolve(options, "username", env)
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=self.reconnect_max)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._started = False

    def _describe(self) -> dict[str, Any]:
        return {"broker": f"{self.host}:{self.port}", "topics": self.topics, "qos": self.qos}

    # -- paho's thread --------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker refused the connection: {reason_code}"
            return
        self.last_error = None
        self.connected.set()
        client.subscribe([(t, self.qos) for t in self.topics])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if reason_code != 0:
            self.last_error = f"disconnected from the broker: {reason_code}"
            log.warning("feed %s: %s (reconnecting)", self.name, self.last_error)

    def _on_message(self, client, userdata, msg) -> None:
        try:
            self.queue.put_nowait((msg.topic, bytes(msg.payload)))
        except queue.Full:
            self.dropped += 1

    # -- the runner's thread --------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._started = True
            self.client.connect_async(self.host, self.port, keepalive=30)
            self.client.loop_start()

    def close(self) -> None:
        if self._started:
            self._started = False
            self.client.disconnect()
            self.client.loop_stop()

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        if not self._started:
            self.start()
            self.subscribed.wait(3.0)  # the first load: give the connection a moment
        batch = Batch(self.name)
        newest = datetime.fromisoformat(since) if since else None
        taken = 0
        while taken < QUEUE_MAX:
            try:
                topic, payload = self.queue.get_nowait()
            except queue.Empty:
                break
            taken += 1
            try:
                record = json.loads(payload.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                batch.rejected.append(f"feed {self.name}: topic {topic}: payload is not JSON "
                                      f"({payload[:30]!r})")
                continue
            except RecursionError:  # one such payload must not cost the batch taken with it
                batch.rejected.append(f"feed {self.name}: topic {topic}: payload is JSON "
                                      f"nested too deeply ({payload[:30]!r})")
                continue
            if isinstance(record, dict):
                record = {**record, "topic": topic.split("/")}
            ts = self.mapping.apply(record, batch, now=now)
            if ts is not None and (newest is None or ts > newest):
                newest = ts
        if not taken and not self.connected.is_set():
            raise FetchError(f"feed {self.name}: not connected to {self.host}:{self.port}"
                             + (f" ({self.last_error})" if self.last_error else ""))
        yield Page(batch, newest.astimezone(UTC).isoformat() if newest else None)
