"""Attaching the control machinery to a running wall (called by cockpit.shell.app.run_wall).

The lead of a multi-PC wall runs the carousel and decides takeovers. It is the first node of
``[wall.nodes]`` (config order) that is alive: a node leads once it has been connected to the
broker for ``SETTLE_S`` (so it has the retained state) and every node before it is known dead
(it said so on leaving, or the broker published its last will); it stops leading as soon as it
hears an earlier node online. A node that loses the broker keeps the role it had. The handover
leaves a brief gap with no lead — the broker's will comes up to 1.5 keep-alives (about 5 s)
after a node vanishes, and a returning node waits ``SETTLE_S`` — and never two leads while the
broker reaches everyone.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cockpit.control import audit
from cockpit.model.config import SiteConfig

log = logging.getLogger(__name__)
SETTLE_S = 1.0
PRUNE_EVERY_MS = 24 * 3600 * 1000  # the audit log is pruned at start and then daily


def node_share(layouts: list, screens: tuple[int, ...]) -> list:
    """Each layout cut down to the screens this node of a multi-PC wall shows."""
    return [replace(lay, screens=tuple(s for s in lay.screens if s.index in screens))
            for lay in layouts]


class Control:
    """Everything ``[carousel]``, ``[takeover]``, ``[control]`` and ``[mqtt]`` switch on."""

    def __init__(self, config: SiteConfig, shell, store, pump, *, node: str | None = None,
                 control_port: int | None = None) -> None:
        from cockpit.shell.control.overlay import WallOverlay

        self.shell = shell
        self.store = store
        self.overlay = WallOverlay(shell)
        self.driver = self.takeover = self.server = self.bridge = self.link = None
        self.config = config
        self.node = node or "wall"
        self.order = list(config.nodes or ())
        self.is_lead = False
        self._published_record: dict | None = None
        shell.layout_changed.connect(self._on_shell_layout_changed)
        # the audit's writes and its pruning, off the GUI thread
        self._audit_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="control-audit")
        self.audit_days = config.control.audit_days if config.control is not None else 90
        shell.key_action.connect(self._on_key_action)
        if config.mqtt is not None and config.nodes:
            from datetime import UTC, datetime

            from cockpit.control.health import feed_health
            from cockpit.shell.control.link import WallLink

            self.link = WallLink(config.mqtt, shell, self.node, overlay=self.overlay,
                                 max_age=config.control.max_age if config.control else 30.0)
            self.link.feed_probe = lambda: pump.submit(
                lambda: store.read(feed_health, datetime.now(UTC)))
        if config.carousel is not None:
            from cockpit.control.carousel import Carousel
            from cockpit.shell.control.driver import CarouselDriver

            self.driver = CarouselDriver(shell, Carousel(config.carousel.playlist,
                                                         idle_resume=config.carousel.idle_resume))
        if config.takeover is not None:
            from cockpit.shell.control.takeover import TakeoverController

            self.takeover = TakeoverController(
                shell, config.takeover, carousel=self.driver, overlay=self.overlay,
                submit=lambda fn, *args: pump.submit(lambda: store.read(fn, *args)))
            # an acknowledgement is audited where it is made (key, page, API); an alert
            # cleared at the source ends its hold with nobody's action: recorded here
            self.takeover.ended.connect(
                lambda alert, how: how == "cleared" and self.audit(
                    token_name=None, action="takeover", client="wall",
                    detail=f"ended: alert {alert['alert_id']} ({alert['title']}) cleared at the source"))
        if self.link is not None:
            self._link_takeover(pump)
            self.link.command_asked.connect(self._on_command_asked)
        from cockpit.shell.control.replay import ReplayController

        # replay needs the pump's queries (a control rig without a pump has none)
        self.replay = (ReplayController(shell, pump, overlay=self.overlay, takeover=self.takeover,
                                        link=self.link) if pump is not None else None)
        from cockpit.shell.control.briefing import BriefingController

        self.briefing = BriefingController(shell, replay=self.replay, carousel=self.driver,
                                           overlay=self.overlay)
        if config.control is not None:  # every node serves a page; the carousel is the lead's
            from cockpit.control.server import ControlServer
            from cockpit.shell.control.bridge import WallBridge

            if control_port is not None:
                config = replace(config, control=replace(config.control, port=control_port))
            self.bridge = WallBridge(shell, store, pump=pump, carousel=self.driver,
                                     takeover=self.takeover, link=self.link,
                                     config_source=config.source, node=node,
                                     overlay=self.overlay, replay=self.replay,
                                     briefing=self.briefing)
            self.server = ControlServer(config.control, self.bridge)
        secret = next(iter(config.control.tokens.values()), None) if config.control else None
        shell.qr_requested.connect(lambda: self.overlay.toggle_qr(secret))

    def _link_takeover(self, pump) -> None:
        """The lead decides takeovers and records acknowledgements; every node shows the
        banner, and an acknowledgement on any node (its A key, its page) reaches the lead.
        Which node leads changes (the election), so every connection asks whether it leads."""
        from cockpit.shell.control.takeover import banner_parts

        link = self.link
        if self.takeover is not None:
            self.takeover.changed.connect(
                lambda alert: link.publish_takeover(alert) if self.is_lead else None)

            def on_ack(ids: list) -> None:
                if self.is_lead:
                    self.takeover.acknowledged(ids)
                    pump.acknowledge(ids, by="值班员（其他节点）")

            link.ack_received.connect(on_ack)
        def on_takeover(alert: dict | None) -> None:  # the lead's takeover, as a follower shows it
            if self.is_lead and self.takeover:
                return
            more = alert.get("more") if alert else 0
            more = more if isinstance(more, int) and not isinstance(more, bool) and 0 <= more < 10_000 else 0
            held = alert.get("held") if alert else None
            if not (isinstance(held, list) and all(isinstance(x, str) and len(x) <= 500 for x in held)
                    and len(held) <= 10_000):
                held = [alert["alert_id"]] if alert else []
            self.shell.held_alert_ids = tuple(held)
            self.overlay.set_banner(banner_parts(alert, more) if alert else None)

        link.takeover_changed.connect(on_takeover)
        self.shell.acknowledge_requested.connect(lambda ids: None if self.is_lead and self.takeover
                                                 else link.publish_ack(sorted(
            {*ids, *([link.takeover_alert["alert_id"]] if link.takeover_alert else [])})))

    # -- the audit --------------------------------------------------------------------------
    def audit(self, *, token_name: str | None, action: str, detail: str, client: str,
              outcome: str = "ok") -> None:
        """Record a control action made here (not waited for: called on the GUI thread)."""
        future = self._audit_pool.submit(audit.record, self.store, at=datetime.now(UTC),
                                         token_name=token_name, action=action, detail=detail,
                                         client=client, outcome=outcome)
        future.add_done_callback(lambda f: f.exception() and log.error(
            "control: audit failed: %s", f.exception()))

    def _on_key_action(self, action: str, detail: str) -> None:
        """A switch or an acknowledgement with this PC's keys. A switch that arrives from
        another node comes through the link, not the keys, so only the node where it was made
        records it."""
        self.audit(token_name="keyboard", action=action, detail=detail,
                   client=f"node:{self.node}")

    def prune_audit(self) -> None:
        """Drop audit entries older than ``[control] audit_days`` (on the audit thread)."""
        before = datetime.now(UTC) - timedelta(days=self.audit_days)

        def prune() -> None:
            n = audit.prune(self.store, before)
            if n:
                log.info("control audit: %d entr%s older than %d days pruned", n,
                         "y" if n == 1 else "ies", self.audit_days)

        future = self._audit_pool.submit(prune)
        future.add_done_callback(lambda f: f.exception() and log.error(
            "control: audit pruning failed: %s", f.exception()))

    def _on_command_asked(self, ask: dict) -> None:
        """A carousel command made on a node that does not lead (the GUI thread)."""
        if not self.is_lead:
            return  # not ours to answer: the lead does
        client = f"node:{ask['sender']}"
        if self.driver is None:
            why = "no carousel configured on this wall ([carousel] in the site config)"
            self.audit(token_name=ask["token_name"], action="carousel", detail=ask["carousel"],
                       client=client, outcome=f"refused: {why}")
            self.link.reply_command(ask["sender"], ask["id"], error=why)
            return
        self.driver.start() if ask["carousel"] == "start" else self.driver.stop()
        self.audit(token_name=ask["token_name"], action="carousel", detail=ask["carousel"],
                   client=client)
        log.info("control: carousel %s by %s, forwarded by node %s", ask["carousel"],
                 ask["token_name"], ask["sender"])
        self.link.reply_command(ask["sender"], ask["id"],
                                result={"carousel": self.driver.carousel.state})

    # -- the election -----------------------------------------------------------------------
    def _elect(self) -> None:
        link = self.link
        if not link.connected:
            return  # cut off: keep the role we had
        settled = time.monotonic() - (link.connected_since or time.monotonic()) >= SETTLE_S
        mine = self.order.index(self.node) if self.node in self.order else 0
        lead = ((self.is_lead or settled)  # settling is for taking the lead, not keeping it
                and all(link.known_dead(n) for n in self.order[:mine]))
        if lead != self.is_lead:
            self._set_lead(lead)
        if self.is_lead and self.driver is not None:
            record = self.driver.record()
            if record != self._published_record:
                self._published_record = record
                link.publish_carousel(record)

    def _set_lead(self, lead: bool) -> None:
        self.is_lead = lead
        if self.link is not None:
            self.link.lead = lead
        print(f"cockpit: node {self.node} {'leads' if lead else 'follows'}", file=sys.stderr,
              flush=True)
        log.info("node %s %s the wall", self.node, "leads" if lead else "no longer leads")
        if lead:
            if self.driver is not None:
                current, shown_at = (self.link.last_state() if self.link is not None
                                     else (None, None))
                self.driver.adopt(self.link.carousel_record if self.link is not None else None,
                                  current or self.shell.current_layout.id, shown_at or None,
                                  autostart=bool(self.config.carousel.autostart))
                self._published_record = None
            if self.takeover is not None:
                self.takeover.start()
        else:
            if self.takeover is not None:
                self.takeover.stop()
                self.takeover.active = None  # the new lead holds it (and its banner) now
            if self.driver is not None:
                self.driver.abdicate()
        if self.link is not None:
            self.link.publish_health()

    def start(self) -> None:
        from PySide6.QtCore import QTimer

        self.prune_audit()
        self._pruning = QTimer()
        self._pruning.setInterval(PRUNE_EVERY_MS)
        self._pruning.timeout.connect(self.prune_audit)
        self._pruning.start()
        if self.link is not None:
            self.link.start()
        if self.server is not None:
            self.server.start()
            print(f"cockpit: control on {self.server.url}", file=sys.stderr, flush=True)
        if self.link is None:  # a wall of one PC leads itself
            self.is_lead = True
            if self.takeover is not None:
                self.takeover.start()
        else:
            self._election = QTimer()
            self._election.setInterval(250)
            self._election.timeout.connect(self._elect)
            self._election.start()

    def autostart_carousel(self, config: SiteConfig) -> None:
        """A wall of one PC starts its carousel; a multi-PC wall's lead does when elected."""
        if (self.link is None and self.driver is not None and config.carousel is not None
                and config.carousel.autostart):
            self.driver.start()

    def stop(self) -> None:
        if hasattr(self, "_pruning"):
            self._pruning.stop()
        if self.link is not None:
            self._election.stop()
        if self.server is not None:
            self.server.stop()
        if self.bridge is not None:
            self.bridge.close()
        if self.takeover is not None:
            self.takeover.stop()
        if self.driver is not None:
            self.driver.shutdown()
        if self.link is not None:
            self.link.stop()
        self._audit_pool.shutdown(wait=True)

    def _on_shell_layout_changed(self, layout_id: str) -> None:
        # One line per switch, with the wall-clock time: what the multi-node tests and the
        # switch-latency benchmark read.
        print(f"cockpit: showing {layout_id} at {time.time():.6f}", file=sys.stderr, flush=True)
