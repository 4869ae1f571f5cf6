"""The multi-PC wall: nodes kept in step through an MQTT broker (Mosquitto; paho-mqtt).

Topics, under ``cockpit/<wall>/``:

* ``state`` (retained, QoS 1): ``{"layout", "ts", "sender"}`` — the layout the wall shows. Any
  node that switches (a key, the control page, the CLI, the carousel) publishes it; every node
  follows it; a node that (re)starts gets the retained copy and comes back on it.
* ``nodes/<node>`` (retained): the node's health (layout, uptime, memory, online); the broker
  publishes ``online: false`` for a node that vanishes (its last will).
* ``takeover`` (retained): ``{"alert", "ts", "sender"}`` — the alert holding the wall (the
  lead node decides), or null; every node shows its banner.
* ``ack``: ``{"alert_ids", "ts", "sender"}`` — an acknowledgement made on any node; the lead
  records it and releases the takeover.
* ``carousel`` (retained): ``{"running", "state", "position", "ts", "sender"}`` — the lead's
  carousel, so a node that takes the lead over continues it rather than restarting it.
* ``replay`` (retained): a replay's record (:meth:`cockpit.model.timeline.Timeline.record`,
  wall-clock anchored) with ``ts`` and ``sender``, or ``{"live": true}``: every node shows the
  same replayed moment, and a node that (re)starts joins a replay under way.
* ``shots/ask/<node>`` and ``shots/reply/<node>``: a screenshot of one screen of ``<node>``,
  asked for by another node (``{"id", "screen", "ts", "sender"}``) and answered to the asker's
  reply topic (``{"id", "node", "screen", "png"}`` base64, or ``"error"``), capped at
  ``MAX_SHOT_BYTES``. The PNG travels in the MQTT payload: no node needs to reach another's
  control port (loopback by default), and the broker's credentials and per-wall ACLs already
  authenticate the node-to-node path, so no control token is shared between PCs.
* ``command`` and ``command/reply/<node>``: a carousel command (start/stop) made on a node that
  does not lead, forwarded to the lead (``{"id", "action", "carousel", "token_name", "ts",
  "sender"}``); only the lead acts on it, audits it (the token name, ``node:<sender>``) and
  answers on the asker's reply topic (``{"id", "node", "result"}`` or ``"error"``).

Ordering: a state is applied only if its ``(ts, sender)`` is newer than the last one this node
applied or published, so two nodes switching at once agree on the later one. A live (not
retained) state older than ``max_age`` is stale; stale and malformed messages are ignored and
logged. paho runs its network loop on its own thread and reconnects by itself.

This module is the protocol, without Qt: the client, the topics, checking what arrives, the
node table, the lead's view of the nodes, request and reply, the carousel and health records.
What it hears it hands to plain callbacks (``on_remote_layout``, ``on_connection``,
``on_takeover``, ``on_ack``, ``on_shot_asked``, ``on_command_asked``), called on paho's thread;
the wall's adapter (cockpit/shell/control/link.py) passes them to the GUI thread through queued
signals, switches the shell, grabs screenshots and keeps the heartbeat. While the broker is away
the node keeps showing, and says so on its status line (the adapter's overlay).
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future

import paho.mqtt.client as mqtt

from cockpit.control.health import rss_mb
from cockpit.model.config_control import MqttSettings

log = logging.getLogger(__name__)
LOST = "与控制总线（MQTT）断开，正在自动重连；画面保持当前内容"
MAX_SHOT_BYTES = 6 * 1024 * 1024  # a PNG of one screen; bigger ones are refused, not sent
MAX_MESSAGE_BYTES = 64 * 1024  # any other message (ours are a few hundred bytes)
SEVERITIES = ("critical", "major", "minor", "info")


def _is_time(ts: object) -> bool:
    """A usable ``ts``: a finite number (JSON allows 1e999 and, in Python, NaN)."""
    if isinstance(ts, int) and not isinstance(ts, bool):  # bounded before any arithmetic: a
        return -1e11 < ts < 1e11  # 401-digit integer overflows math.isfinite
    return isinstance(ts, float) and math.isfinite(ts)


def _check_alert(alert: object) -> None:
    """A takeover's alert, as the banner shows it: raise TypeError naming the bad field."""
    if not isinstance(alert, dict):
        raise TypeError("alert is not an object")
    for key in ("alert_id", "title"):
        if not isinstance(alert.get(key), str) or not 0 < len(alert[key]) <= 500:
            raise TypeError(f"alert.{key} is not a string of 1 to 500 characters")
    if alert.get("severity") not in SEVERITIES:
        raise TypeError(f"alert.severity is not one of {', '.join(SEVERITIES)}")


def _ignore(*_args) -> None:
    """A callback nobody set."""


class ShotError(RuntimeError):
    """A node's screenshot could not be had (no such node or screen, too large)."""


class LinkProtocol:
    """One node's side of the wall link. The ``on_*`` callbacks are called on paho's thread;
    every other method may be called from the thread that owns the node (the GUI thread on a
    wall), except ``request_screen`` and ``request_command``, which wait for an answer and so
    must not be called from the thread that has to produce one."""

    def __init__(self, settings: MqttSettings, node: str, *, max_age: float = 30.0,
                 heartbeat_s: float = 5.0) -> None:
        self.settings = settings
        self.node = node
        self.max_age = max_age
        self.heartbeat_s = heartbeat_s
        self.started = time.monotonic()
        self.connected = False
        self.prefix = f"cockpit/{settings.wall}"
        self._last: tuple[float, str] = (0.0, "")
        self._last_layout: str | None = None
        self._nodes: dict[str, dict] = {}
        self._heard: dict[str, float] = {}  # node -> monotonic time of its last live record
        self.takeover_alert: dict | None = None
        self.carousel_record: dict | None = None  # the lead's retained carousel
        self.connected_since: float | None = None  # monotonic, while connected
        self.lead = False  # set by the election (cockpit.shell.control.wiring)
        self.feed_probe: Callable[[], Future] | None = None  # a future of its feed health
        self._feeds: list | None = None
        self._asked: dict[str, list] = {}  # request id -> [Event, reply]
        self._asked_lock = threading.Lock()
        # what the node hears (paho's thread)
        self.on_remote_layout: Callable[[str], None] = _ignore  # a newer wall state
        self.on_connection: Callable[[bool], None] = _ignore  # the broker came or went
        self.on_takeover: Callable[[dict | None], None] = _ignore  # the alert holding the wall
        self.on_ack: Callable[[list], None] = _ignore  # alert ids acknowledged on another node
        self.on_shot_asked: Callable[[dict], None] = _ignore  # answer with answer_shot
        self.on_command_asked: Callable[[dict], None] = _ignore  # answer with reply_command
        self.on_replay: Callable[[dict], None] = _ignore  # another node's replay record
        self._replay_seen: tuple[float, str] = (0.0, "")
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"cockpit-{settings.wall}-{node}-{os.getpid()}")
        password = settings.password
        if settings.password_env:
            password = os.environ.get(settings.password_env, password)
        username = os.environ.get("COCKPIT_MQTT_USERNAME", settings.username)
        if username:
            self.client.username_pw_set(username, password)
        self.client.will_set(f"{self.prefix}/nodes/{node}",
                             json.dumps({"node": node, "online": False}), qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=2)
        self.client.on_connect = self._on_client_connect
        self.client.on_disconnect = self._on_client_disconnect
        self.client.on_message = self._on_client_message

    # -- life -------------------------------------------------------------------------------
    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=3)
        self.client.loop_start()

    def stop(self) -> None:
        if self.connected:
            info = self.client.publish(f"{self.prefix}/nodes/{self.node}",
                                       json.dumps({"node": self.node, "online": False}), qos=1,
                                       retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()

    def set_connected(self, up: bool) -> bool:
        """Take note that the broker came (or went), as told by ``on_connection``; returns
        whether that is news (then the caller publishes its health and says so)."""
        if up == self.connected:
            return False
        self.connected = up
        self.connected_since = time.monotonic() if up else None
        if up:
            log.info("node %s joined the wall through %s:%s", self.node, self.settings.host,
                     self.settings.port)
        else:
            log.warning("node %s lost the broker %s:%s; keeps showing, reconnecting",
                        self.node, self.settings.host, self.settings.port)
        return True

    def nodes(self) -> dict[str, dict]:
        """Every node heard of, each with ``state``: ``online``, ``offline`` (it said it left,
        or the broker said so for it) or ``unknown`` (this node is cut off from the broker, so
        what it last heard may no longer be true, or the node's heartbeat is overdue). This
        node itself is what it knows first-hand: online, leading or not as it decided."""
        out: dict[str, dict] = {}
        overdue = 3 * self.heartbeat_s
        now = time.monotonic()
        for name, n in list(self._nodes.items()):
            record = dict(n)
            if name == self.node:
                state = "online"
                record.update(online=True, lead=self.lead)
            elif not self.connected:
                state = "unknown"
            elif record.get("online") is False:
                state = "offline"
            elif now - self._heard.get(name, -overdue - 1) > overdue and not (
                    self.connected_since is not None and now - self.connected_since <= overdue):
                state = "unknown"  # no heartbeat for three periods (after our own settling)
            else:
                state = "online"
            record["state"] = state
            out[name] = record
        if self.node not in out:
            out[self.node] = {"node": self.node, "online": True, "lead": self.lead,
                              "state": "online"}
        return out

    # -- paho's thread ----------------------------------------------------------------------
    def _on_client_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused node %s: %s", self.settings.host, self.settings.port,
                      self.node, reason)
            return
        client.subscribe([(f"{self.prefix}/state", 1), (f"{self.prefix}/nodes/+", 1),
                          (f"{self.prefix}/takeover", 1), (f"{self.prefix}/ack", 1),
                          (f"{self.prefix}/carousel", 1), (f"{self.prefix}/replay", 1),
                          (f"{self.prefix}/shots/ask/{self.node}", 1),
                          (f"{self.prefix}/shots/reply/{self.node}", 1),
                          (f"{self.prefix}/command", 1),
                          (f"{self.prefix}/command/reply/{self.node}", 1)])
        if self._last_layout is not None:  # a restarted broker has lost the retained state
            self._publish_state(self._last_layout, *self._last)
        self.on_connection(True)

    def _on_client_disconnect(self, client, userdata, flags, reason, properties) -> None:
        self.on_connection(False)

    def _on_client_message(self, client, userdata, msg) -> None:
        """Whatever arrives, nothing escapes to paho: an exception here would end its network
        thread, and the node would stop hearing the wall without a word."""
        try:
            if len(msg.payload) > MAX_MESSAGE_BYTES and "/shots/" not in msg.topic:
                log.warning("oversized message on %s ignored (%d bytes)", msg.topic,
                            len(msg.payload))
                return
            self._on_message(msg)
        except RecursionError:
            log.warning("malformed message on %s ignored (JSON nested too deeply)", msg.topic)
        except Exception as exc:  # a bug meeting odd input must not cost the link
            log.warning("malformed message on %s ignored (%s: %s)", msg.topic,
                        type(exc).__name__, exc)

    def _on_message(self, msg) -> None:
        if msg.topic.startswith(f"{self.prefix}/nodes/"):
            try:
                status = json.loads(msg.payload)
                if not isinstance(status, dict):
                    raise TypeError("not an object")
                name = msg.topic.rsplit("/", 1)[1]
                self._nodes[name] = dict(status)
                if not msg.retain:  # a retained copy may be old: only a live one is a heartbeat
                    self._heard[name] = time.monotonic()
            except (ValueError, TypeError):
                log.warning("malformed node status on %s ignored", msg.topic)
            return
        if msg.topic in (f"{self.prefix}/takeover", f"{self.prefix}/ack"):
            self._on_event(msg)
            return
        if msg.topic == f"{self.prefix}/carousel":
            try:
                record = json.loads(msg.payload)
                if not isinstance(record, dict) or not isinstance(record.get("running"), bool):
                    raise TypeError("running")
                self.carousel_record = record
            except (ValueError, TypeError):
                log.warning("malformed carousel record ignored")
            return
        if msg.topic == f"{self.prefix}/replay":
            self._on_replay_message(msg)
            return
        if msg.topic.startswith(f"{self.prefix}/shots/"):
            self._on_shot_message(msg)
            return
        if msg.topic.startswith(f"{self.prefix}/command"):
            self._on_command_message(msg)
            return
        try:
            state = json.loads(msg.payload)
            layout, ts, sender = state["layout"], state["ts"], state["sender"]
            if not (isinstance(layout, str) and isinstance(sender, str) and _is_time(ts)):
                raise TypeError("wrong types")
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("malformed wall state ignored (%s): %.200r", exc, msg.payload)
            return
        if not msg.retain and abs(time.time() - ts) > self.max_age:
            log.warning("stale wall state ignored: %s from %s, %.0f s old", layout, sender,
                        time.time() - ts)
            return
        if ts > time.time() + self.max_age:  # retained too: it would outrank every later switch
            log.warning("wall state from the future ignored: %s from %s, ts %r", layout, sender, ts)
            return
        if (ts, sender) <= self._last:
            return  # our own, or older than what we show
        self._last = (ts, sender)
        self._last_layout = layout
        self.on_remote_layout(layout)

    def _on_event(self, msg) -> None:
        """A takeover (retained) or an acknowledgement (live) from another node."""
        try:
            event = json.loads(msg.payload)
            ts, sender = event["ts"], event["sender"]
            if not _is_time(ts) or not isinstance(sender, str):
                raise TypeError("wrong types")
            if msg.topic.endswith("/takeover"):
                alert = event["alert"]
                if alert is not None:
                    _check_alert(alert)
            else:
                ids = event["alert_ids"]
                if not (isinstance(ids, list) and all(isinstance(x, str) for x in ids)):
                    raise TypeError("alert_ids")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("malformed message on %s ignored (%s)", msg.topic, exc)
            return
        if sender == self.node:
            return
        if msg.topic.endswith("/takeover"):
            self.takeover_alert = alert
            self.on_takeover(alert)
        elif abs(time.time() - ts) > self.max_age:
            log.warning("stale acknowledgement from %s ignored", sender)
        else:
            self.on_ack(list(ids))

    def publish_takeover(self, alert: dict | None) -> None:
        self.takeover_alert = alert
        self.client.publish(f"{self.prefix}/takeover", json.dumps(
            {"alert": alert, "ts": time.time(), "sender": self.node}), qos=1, retain=True)

    def publish_ack(self, alert_ids: list[str]) -> None:
        if alert_ids:
            self.client.publish(f"{self.prefix}/ack", json.dumps(
                {"alert_ids": list(alert_ids), "ts": time.time(), "sender": self.node}), qos=1)

    # -- screenshots of other nodes ---------------------------------------------------------
    def request_screen(self, node: str, index: int, timeout: float = 5.0) -> bytes:
        """What screen ``index`` of ``node`` shows now, asked over the broker (any thread but
        the GUI thread's). Raises ShotError (refused) or TimeoutError (no answer)."""
        reply = self._ask(f"{self.prefix}/shots/ask/{node}", {"screen": index}, timeout,
                          f"node {node}")
        if reply.get("error"):
            raise ShotError(reply["error"])
        return reply["png"]

    def _on_shot_message(self, msg) -> None:  # paho's thread
        if len(msg.payload) > MAX_SHOT_BYTES * 4 // 3 + 4096:
            log.warning("oversized message on %s ignored (%d bytes)", msg.topic, len(msg.payload))
            return
        try:
            body = json.loads(msg.payload)
            rid = body["id"]
            if not isinstance(rid, str) or len(rid) > 64:
                raise TypeError("id")
            if msg.topic.endswith(f"/ask/{self.node}"):
                screen, ts, sender = body["screen"], body["ts"], body["sender"]
                if not (isinstance(screen, int) and not isinstance(screen, bool)
                        and isinstance(sender, str) and _is_time(ts)) or not 0 <= screen < 100:
                    raise TypeError("screen, ts or sender")
                if abs(time.time() - ts) > self.max_age:
                    log.warning("stale screenshot request from %s ignored", sender)
                    return
                self.on_shot_asked({"id": rid, "screen": screen, "sender": sender})
                return
            reply = {"error": str(body["error"])} if body.get("error") else {
                "png": base64.b64decode(body["png"], validate=True)}
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            log.warning("malformed message on %s ignored (%s)", msg.topic, exc)
            return
        self._file_reply(rid, reply)

    def answer_shot(self, ask: dict, *, png: bytes | None = None, error: str | None = None) -> None:
        """Answer a screenshot request heard through ``on_shot_asked``: the PNG of the screen,
        or why there is none (a PNG over MAX_SHOT_BYTES is refused, not sent)."""
        reply = {"id": ask["id"], "node": self.node, "screen": ask["screen"]}
        if error is None and png is not None and len(png) > MAX_SHOT_BYTES:
            error = f"screenshot of {len(png)} bytes exceeds {MAX_SHOT_BYTES}"
        if error is not None or png is None:
            reply["error"] = error or f"node {self.node} took no screenshot"
        else:
            reply["png"] = base64.b64encode(png).decode("ascii")
        self.client.publish(f"{self.prefix}/shots/reply/{ask['sender']}", json.dumps(reply), qos=1)

    # -- commands forwarded to the lead -----------------------------------------------------
    def lead_node(self) -> str | None:
        """The node that leads the wall now, as the nodes' health says (or None)."""
        if self.lead:
            return self.node
        for name, status in sorted(self._nodes.items()):
            if status.get("lead") is True and status.get("online") is not False:
                return name
        return None

    def request_command(self, command: dict, timeout: float = 4.0) -> dict:
        """Forward ``command`` (``{"action": "carousel", "carousel": "start", "token_name"}``)
        to the lead and wait for its answer (any thread but the GUI thread's). Returns the
        lead's reply: ``{"node", "result"}`` or ``{"node", "error"}``; raises TimeoutError."""
        return self._ask(f"{self.prefix}/command", command, timeout, "the lead")

    def _ask(self, topic: str, body: dict, timeout: float, whom: str) -> dict:
        """Publish ``body`` with a fresh correlation id, the time and this node as sender, and
        wait for the reply a message handler files under that id. Raises TimeoutError."""
        if not self.connected:
            raise TimeoutError("the control bus (MQTT) is not connected")
        rid = uuid.uuid4().hex
        slot = [threading.Event(), None]
        with self._asked_lock:
            self._asked[rid] = slot
        try:
            self.client.publish(topic, json.dumps(
                {**body, "id": rid, "ts": time.time(), "sender": self.node}), qos=1)
            if not slot[0].wait(timeout):
                raise TimeoutError(f"{whom} did not answer within {timeout:g} s")
        finally:
            with self._asked_lock:
                self._asked.pop(rid, None)
        return slot[1]

    def _file_reply(self, rid: str, reply: dict) -> None:
        """Hand a reply to the ``_ask`` waiting for it (paho's thread)."""
        with self._asked_lock:
            slot = self._asked.get(rid)
        if slot is not None:  # else: answered too late, or not ours
            slot[1] = reply
            slot[0].set()

    def _on_command_message(self, msg) -> None:  # paho's thread
        if len(msg.payload) > 4096:
            log.warning("oversized message on %s ignored (%d bytes)", msg.topic, len(msg.payload))
            return
        try:
            body = json.loads(msg.payload)
            rid = body["id"]
            if not isinstance(rid, str) or len(rid) > 64:
                raise TypeError("id")
            if msg.topic == f"{self.prefix}/command":
                ts, sender, token = body["ts"], body["sender"], body.get("token_name")
                if not (isinstance(sender, str) and 0 < len(sender) <= 64 and _is_time(ts)
                        and (token is None or isinstance(token, str) and len(token) <= 64)):
                    raise TypeError("ts, sender or token_name")
                if body.get("action") != "carousel" or body.get("carousel") not in ("start", "stop"):
                    raise TypeError("only carousel start/stop is forwarded")
                if sender == self.node or not self.lead:
                    return  # the lead answers
                if abs(time.time() - ts) > self.max_age:
                    log.warning("stale forwarded command from %s ignored", sender)
                    return
                self.on_command_asked({"id": rid, "sender": sender, "token_name": token,
                                       "carousel": body["carousel"]})
                return
            reply = {"node": str(body.get("node", "?"))}
            if body.get("error"):
                reply["error"] = str(body["error"])
            elif isinstance(body.get("result"), dict):
                reply["result"] = body["result"]
            else:
                raise TypeError("result")
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("malformed message on %s ignored (%s)", msg.topic, exc)
            return
        self._file_reply(rid, reply)

    def reply_command(self, asker: str, rid: str, *, result: dict | None = None,
                      error: str | None = None) -> None:
        body = {"id": rid, "node": self.node}
        body.update({"error": error} if error else {"result": result or {}})
        self.client.publish(f"{self.prefix}/command/reply/{asker}", json.dumps(body), qos=1)

    # -- the wall's state, the carousel and the node's health -------------------------------
    def publish_carousel(self, record: dict) -> None:
        self.carousel_record = record
        self.client.publish(f"{self.prefix}/carousel", json.dumps(
            {**record, "ts": time.time(), "sender": self.node}), qos=1, retain=True)

    def publish_replay(self, record: dict) -> None:
        ts = max(time.time(), self._replay_seen[0] + 1e-6)
        self._replay_seen = (ts, self.node)
        self.client.publish(f"{self.prefix}/replay", json.dumps(
            {**record, "ts": ts, "sender": self.node}), qos=1, retain=True)

    def _on_replay_message(self, msg) -> None:
        """Another node's replay (checked here for shape; the timeline checks its times)."""
        try:
            record = json.loads(msg.payload)
            if not isinstance(record, dict) or not isinstance(record.get("sender"), str) \
                    or not _is_time(record.get("ts")):
                raise TypeError("ts or sender")
        except (ValueError, TypeError) as exc:
            log.warning("malformed replay record ignored (%s)", exc)
            return
        if record["sender"] == self.node or (record["ts"], record["sender"]) <= self._replay_seen:
            return  # our own, or older than the one we follow
        self._replay_seen = (record["ts"], record["sender"])
        self.on_replay({k: v for k, v in record.items() if k not in ("ts", "sender")})

    def last_state(self) -> tuple[str | None, float]:
        """The layout the wall state names and its wall-clock time."""
        return self._last_layout, self._last[0]

    def known_dead(self, node: str) -> bool:
        """Whether ``node`` said it left, or the broker said so for it (its last will), or
        it has not been heard of at all (a broker that lost its retained messages)."""
        status = self._nodes.get(node)
        if status is None:  # never heard of, three heartbeats after we joined: not there
            since = self.connected_since
            return since is not None and time.monotonic() - since > 3 * self.heartbeat_s
        return status.get("online") is False

    def publish_switch(self, layout_id: str) -> None:
        """This node switched to ``layout_id`` (a key, the control page, the carousel): make
        it the wall's state, newer than any this node has seen."""
        ts = time.time()
        if (ts, self.node) <= self._last:
            ts = self._last[0] + 1e-6
        self._last = (ts, self.node)
        self._last_layout = layout_id
        self._publish_state(layout_id, ts, self.node)

    def _publish_state(self, layout_id: str, ts: float, sender: str) -> None:
        self.client.publish(f"{self.prefix}/state",
                            json.dumps({"layout": layout_id, "ts": ts, "sender": sender}),
                            qos=1, retain=True)

    def publish_health(self, layout_id: str, screens: int) -> None:
        """The node's retained health record (while connected): what it shows on how many
        screens, its uptime and memory, whether it leads, its feeds as last probed."""
        if not self.connected:
            return
        status = {"node": self.node, "online": True, "layout": layout_id,
                  "uptime_s": round(time.monotonic() - self.started), "memory_mb": rss_mb(),
                  "screens": screens, "lead": self.lead, "feeds": self._feeds,
                  "ts": time.time()}
        if self.feed_probe is not None:  # read off the caller's thread; published next time
            future = self.feed_probe()
            future.add_done_callback(lambda f: setattr(self, "_feeds", f.result())
                                     if not f.cancelled() and f.exception() is None else None)
        self.client.publish(f"{self.prefix}/nodes/{self.node}", json.dumps(status), qos=1,
                            retain=True)
