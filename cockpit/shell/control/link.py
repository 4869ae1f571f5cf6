"""The wall's side of the multi-PC link: the Qt adapter of the MQTT protocol.

The protocol — topics, checking what arrives, the node table, request and reply, the carousel
and health records — is Qt-free in :mod:`cockpit.control.link` (see there for the topics).
This adapter owns one :class:`~cockpit.control.link.LinkProtocol` and adds what needs Qt: what
the protocol hears on paho's thread reaches the GUI thread through queued signals; a newer wall
state switches the shell, and the shell's own switches are published; another node's
screenshot request is answered with a grab of the window (PNG encoding stays on the Qt side);
a timer publishes the node's health; the overlay says when the broker is away.

The rest of the shell (cockpit/shell/control/wiring.py, bridge.py) uses this class as it used
the link before the split: the protocol's state and calls are passed through.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, QTimer, Signal

from cockpit.control.link import LOST, MAX_SHOT_BYTES, LinkProtocol, ShotError
from cockpit.model.config_control import MqttSettings
from cockpit.shell.control.bridge import png_bytes

__all__ = ["LOST", "MAX_SHOT_BYTES", "ShotError", "WallLink"]

log = logging.getLogger(__name__)


class WallLink(QObject):
    remote_layout = Signal(str)  # from paho's thread, queued to the GUI thread
    connection_changed = Signal(bool)
    takeover_changed = Signal(object)  # the alert holding the wall, or None
    ack_received = Signal(list)  # alert ids acknowledged on another node
    shot_asked = Signal(object)  # a screenshot request from another node, to the GUI thread
    command_asked = Signal(object)  # a command forwarded to the lead, to the GUI thread
    replay_changed = Signal(object)  # another node's replay record (cockpit.model.timeline)

    def __init__(self, settings: MqttSettings, shell, node: str, *, overlay=None,
                 max_age: float = 30.0, heartbeat_s: float = 5.0) -> None:
        super().__init__()
        self.protocol = LinkProtocol(settings, node, max_age=max_age, heartbeat_s=heartbeat_s)
        self.settings = settings
        self.shell = shell
        self.node = node
        self.overlay = overlay
        self._applying = False
        p = self.protocol  # its callbacks run on paho's thread: signals carry them across
        p.on_remote_layout = self.remote_layout.emit
        p.on_connection = self.connection_changed.emit
        p.on_takeover = self.takeover_changed.emit
        p.on_ack = self.ack_received.emit
        p.on_shot_asked = self.shot_asked.emit
        p.on_command_asked = self.command_asked.emit
        p.on_replay = self.replay_changed.emit
        self.remote_layout.connect(self._on_remote_layout)
        self.connection_changed.connect(self._on_connection_changed)
        self.shot_asked.connect(self._on_shot_asked)
        shell.layout_changed.connect(self._on_shell_layout_changed)
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(int(heartbeat_s * 1000))
        self._heartbeat.timeout.connect(self.publish_health)

    # -- life -------------------------------------------------------------------------------
    def start(self) -> None:
        self.protocol.start()
        self._heartbeat.start()
        if self.overlay is not None and not self.connected:
            self.overlay.set_status(LOST)

    def stop(self) -> None:
        self._heartbeat.stop()
        self.protocol.stop()

    # -- the protocol's state, as the wiring and the bridge read (and set) it ----------------
    @property
    def connected(self) -> bool:
        return self.protocol.connected

    @property
    def connected_since(self) -> float | None:
        return self.protocol.connected_since

    @property
    def lead(self) -> bool:
        return self.protocol.lead

    @lead.setter
    def lead(self, value: bool) -> None:
        self.protocol.lead = value

    @property
    def feed_probe(self):
        return self.protocol.feed_probe

    @feed_probe.setter
    def feed_probe(self, probe) -> None:
        self.protocol.feed_probe = probe

    @property
    def takeover_alert(self) -> dict | None:
        return self.protocol.takeover_alert

    @property
    def carousel_record(self) -> dict | None:
        return self.protocol.carousel_record

    def nodes(self) -> dict[str, dict]:
        return self.protocol.nodes()

    def lead_node(self) -> str | None:
        return self.protocol.lead_node()

    def known_dead(self, node: str) -> bool:
        return self.protocol.known_dead(node)

    def last_state(self) -> tuple[str | None, float]:
        return self.protocol.last_state()

    def request_screen(self, node: str, index: int, timeout: float = 5.0) -> bytes:
        return self.protocol.request_screen(node, index, timeout)

    def request_command(self, command: dict, timeout: float = 4.0) -> dict:
        return self.protocol.request_command(command, timeout)

    def reply_command(self, asker: str, rid: str, *, result: dict | None = None,
                      error: str | None = None) -> None:
        self.protocol.reply_command(asker, rid, result=result, error=error)

    def publish_takeover(self, alert: dict | None) -> None:
        self.protocol.publish_takeover(alert)

    def publish_ack(self, alert_ids: list[str]) -> None:
        self.protocol.publish_ack(alert_ids)

    def publish_carousel(self, record: dict) -> None:
        self.protocol.publish_carousel(record)

    def publish_replay(self, record: dict) -> None:
        self.protocol.publish_replay(record)

    def publish_health(self) -> None:
        self.protocol.publish_health(self.shell.current_layout.id, len(self.shell.windows))

    # -- the GUI thread ---------------------------------------------------------------------
    def _on_remote_layout(self, layout_id: str) -> None:
        try:
            index = self.shell.layout_index(layout_id)
        except KeyError:
            log.warning("wall state names layout %r, which this node does not have", layout_id)
            return
        self._applying = True
        try:
            self.shell.switch_to(index)
        finally:
            self._applying = False
        self.publish_health()

    def _on_shell_layout_changed(self, layout_id: str) -> None:
        if self._applying:
            return
        self.protocol.publish_switch(layout_id)
        self.publish_health()

    def _on_shot_asked(self, ask: dict) -> None:
        windows = self.shell.windows
        if not 0 <= ask["screen"] < len(windows):
            self.protocol.answer_shot(ask, error=f"node {self.node} has no screen {ask['screen']}")
        else:
            self.protocol.answer_shot(ask, png=png_bytes(windows[ask["screen"]].grab().toImage()))

    def _on_connection_changed(self, up: bool) -> None:
        if not self.protocol.set_connected(up):
            return
        if up:
            self.publish_health()
        print(f"cockpit: broker {'connected' if up else 'lost'}", file=sys.stderr, flush=True)
        if self.overlay is not None:
            self.overlay.set_status(None if up else LOST)
