"""MQTT (paho-mqtt): subscribe to topics (wildcards allowed), map JSON payloads like the REST
adapter (:mod:`feeds.mapping`; the topic's levels are there as ``topic.0``, ``topic.1``, …, a
payload that is a JSON array is a list of records).

**Nothing is acknowledged before it is in the cache.** paho's network thread receives each
message into a bounded queue *without* acknowledging it (``manual_ack``). The runner takes the
queue as pages, writes each page in one transaction (``Store.ingest``) and then calls
:meth:`MqttFeed.committed`, which sends the QoS 1 PUBACKs of that page's messages, in the order
they arrived (MQTT 3.1.1 §4.6). A stop, a crash or a daily restart therefore leaves every
message not yet written unacknowledged, and the broker delivers it again on the next connection
(persistent session: a fixed client id, ``clean_session`` off, or in MQTT 5 ``clean_start`` off
with a session expiry). Written again, it is deduplicated by the store. A message the mapping
refuses is acknowledged with its page: it can never succeed, and its one log line names feed,
topic and field. On stop the runner drains the queue (one last load) before :meth:`close`
disconnects.

Packet ids belong to a connection: a message received before a reconnect is still written but
not acknowledged (the broker redelivers it in the new session, and that copy is acknowledged),
so an acknowledgement never lands on another message that reuses the id.

The broker lets only so many unacknowledged messages wait (its in-flight window: 20 in
Mosquitto for MQTT 3.1.1; in MQTT 5, the default here, the Receive Maximum we announce,
:data:`RECEIVE_MAX`) and queues the rest up to its own limit (Mosquitto: 1,000), dropping what a
burst brings beyond that before we could write and acknowledge it. So the feed does not wait
for its interval when messages arrive: :meth:`due` tells the runner to
load once a burst has settled (no new message for :data:`QUIET_S`) or its first message has
waited :data:`GATHER_S`. ``interval`` is then how often an idle feed checks its connection.

QoS 2 is not offered: paho answers PUBREC, taking the message over from the broker, before the
application sees it, so it could not be kept from loss either. No Qt.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from feeds.auth import resolve
from feeds.base import LiveFeed, Page
from feeds.common import Batch
from feeds.errors import FetchError
from feeds.mapping import MessageMapping

log = logging.getLogger(__name__)
QUEUE_MAX = 100_000
#: messages per page (one transaction each)
PAGE_MAX = 5_000
#: MQTT 5: how many unacknowledged messages the broker may send us at once (the protocol's most)
RECEIVE_MAX = 65_535
#: a burst is loaded once no message came for this long …
QUIET_S = 0.2
#: … or its first message has waited this long
GATHER_S = 1.0
#: MQTT 5: how long the broker keeps the session (and messages for us) while we are away
SESSION_EXPIRY_S = 7 * 86400


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    received: datetime
    mid: int
    qos: int
    connection: int  # which connection it arrived on (its packet id is only good there)


@dataclass
class MqttPage(Page):
    messages: list[Message] = field(default_factory=list)


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
        self.mapping = MessageMapping.from_config(options.get("mappings") or options["mapping"])
        self.reconnect_max = int(options.get("reconnect_max", 60))
        self.protocol = str(options.get("protocol", "5"))
        self.session_expiry = int(options.get("session_expiry", SESSION_EXPIRY_S))
        persistent = self.qos > 0
        self.client_id = options.get("client_id") or (f"cockpit-{name}" if persistent else "")
        self.queue: queue.Queue[Message] = queue.Queue(QUEUE_MAX)
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.disconnected = threading.Event()
        self.settled = threading.Event()  # the first connection subscribed, or failed
        self.arrived = threading.Event()  # a message was queued since the last load began
        self.last_error: str | None = None
        self.dropped = 0
        self.acked = 0  # messages acknowledged to the broker (QoS 1) since the start
        self._connection = 0
        self._held: list[Message] = []  # taken from the queue, not yet committed
        self._lock = threading.Lock()
        v5 = self.protocol == "5"
        if v5:
            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                      protocol=mqtt.MQTTv5, manual_ack=True)
        else:
            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                      clean_session=not persistent, manual_ack=True)
        username = resolve(options, "username", env)
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=self.reconnect_max)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_connect_fail = self._on_connect_fail
        self._started = False

    def _describe(self) -> dict[str, Any]:
        session = ("persistent session, acknowledged after commit" if self.qos else
                   "QoS 0: no session, nothing acknowledged")
        return {"broker": f"{self.host}:{self.port}", "topics": self.topics, "qos": self.qos,
                "form": f"MQTT {self.protocol} push, {session}",
                "paging": f"queue written once a burst settles (at most {GATHER_S:g} s)"}

    # -- paho's thread --------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker refused the connection: {reason_code}" + (
                " (a broker that speaks only MQTT 3.1.1: set protocol = \"3.1.1\")"
                if self.protocol == "5" and "protocol" in str(reason_code).lower() else "")
            self.settled.set()
            return
        with self._lock:
            self._connection += 1
        self.last_error = None
        self.disconnected.clear()
        self.connected.set()
        if self.protocol == "5":  # retained messages only for a new subscription
            options = SubscribeOptions(qos=self.qos, retainHandling=1)
            client.subscribe([(t, options) for t in self.topics])
        else:
            client.subscribe([(t, self.qos) for t in self.topics])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [t for t, code in zip(self.topics, reason_codes, strict=False)
                   if getattr(code, "is_failure", False)]
        if refused:
            self.last_error = f"broker refused the subscription to {', '.join(refused)}"
            log.warning("feed %s: %s", self.name, self.last_error)
        self.subscribed.set()
        self.settled.set()

    def _on_connect_fail(self, client, userdata) -> None:
        self.last_error = "could not connect"
        self.settled.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        self.disconnected.set()
        if reason_code != 0:
            self.last_error = f"disconnected from the broker: {reason_code}"
            log.warning("feed %s: %s (reconnecting)", self.name, self.last_error)

    def _on_message(self, client, userdata, msg) -> None:
        try:
            self.queue.put_nowait(Message(msg.topic, bytes(msg.payload), datetime.now(UTC),
                                          msg.mid, msg.qos, self._connection))
        except queue.Full:  # not acknowledged: the broker keeps it for the next connection
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("feed %s: queue full (%d messages); %d left unacknowledged for the "
                            "broker to send again", self.name, QUEUE_MAX, self.dropped)
            return
        self.arrived.set()

    # -- the runner's thread --------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._started = True
            if self.protocol == "5":
                props = Properties(PacketTypes.CONNECT)
                props.ReceiveMaximum = RECEIVE_MAX
                if self.qos:
                    props.SessionExpiryInterval = self.session_expiry
                self.client.connect_async(self.host, self.port, keepalive=30,
                                          clean_start=not self.qos, properties=props)
            else:
                self.client.connect_async(self.host, self.port, keepalive=30)
            self.client.loop_start()

    def due(self, timeout: float, halt: threading.Event) -> None:
        """Block until a load is due: messages wait and their burst has settled (or its first
        message waited :data:`GATHER_S`), or ``timeout`` passed, or ``halt`` is set."""
        end = time.monotonic() + timeout
        while not halt.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            if not self.arrived.wait(min(left, 0.25)):  # 0.25: how soon halt is seen
                continue
            first = time.monotonic()
            while not halt.is_set() and time.monotonic() - first < GATHER_S:
                self.arrived.clear()
                if not self.arrived.wait(QUIET_S):
                    break
            return

    def committed(self, page: Page) -> None:
        """The runner wrote ``page``: acknowledge its QoS 1 messages, in arrival order (those
        of an earlier connection are left to their redelivery)."""
        if not isinstance(page, MqttPage):
            return
        with self._lock:
            n = len(page.messages)
            if self._held[:n] == page.messages:
                del self._held[:n]
            else:  # not the oldest held page (cannot happen with one runner): by identity
                ids = {id(m) for m in page.messages}
                self._held = [m for m in self._held if id(m) not in ids]
            connection = self._connection
        for m in page.messages:
            if m.qos and m.connection == connection:
                self.client.ack(m.mid, m.qos)
                self.acked += 1

    @property
    def waiting(self) -> int:
        """Messages received and not yet written (queued or held by a failed load)."""
        return self.queue.qsize() + len(self._held)

    def close(self) -> None:
        """Disconnect (after the runner's last load: acknowledgements already queued go out
        before the DISCONNECT) and stop paho's thread."""
        if self._started:
            self._started = False
            if self.connected.is_set():
                self.client.disconnect()
                self.disconnected.wait(3.0)
            else:
                self.client.disconnect()
            self.client.loop_stop()

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        if not self._started:
            self.start()
            self.settled.wait(3.0)  # the first load: give the connection a moment
        self.arrived.clear()
        with self._lock:  # what a failed load left, then what arrived since, up to QUEUE_MAX
            while len(self._held) < QUEUE_MAX:
                try:
                    self._held.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            taken = list(self._held)
        if not taken and not self.connected.is_set():
            raise FetchError(f"feed {self.name}: not connected to {self.host}:{self.port}"
                             + (f" ({self.last_error})" if self.last_error else ""))
        newest = datetime.fromisoformat(since) if since else None
        for start in range(0, max(len(taken), 1), PAGE_MAX):
            chunk = taken[start:start + PAGE_MAX]
            batch = Batch(self.name)
            for m in chunk:
                ts = self._map(m, batch, now)
                if ts is not None and (newest is None or ts > newest):
                    newest = ts
            yield MqttPage(batch, newest.astimezone(UTC).isoformat() if newest else None,
                           messages=chunk)

    def _map(self, m: Message, batch: Batch, now: datetime) -> datetime | None:
        where = f"topic {m.topic}"
        try:
            payload = json.loads(m.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            batch.rejected.append(f"feed {self.name}: {where}: payload is not JSON "
                                  f"({m.payload[:30]!r})")
            return None
        except RecursionError:  # one such payload must not cost the batch taken with it
            batch.rejected.append(f"feed {self.name}: {where}: payload is JSON nested "
                                  f"too deeply ({m.payload[:30]!r})")
            return None
        try:
            newest, _ = self.mapping.apply_payload(payload, batch, where=where, now=now,
                                                   context={"topic": m.topic.split("/")},
                                                   received=m.received)
        except Exception as exc:  # noqa: BLE001 - one message must never block the queue
            batch.rejected.append(f"feed {self.name}: {where}: (payload): could not be mapped "
                                  f"({type(exc).__name__}: {str(exc)[:80]})")
            return None
        return newest
