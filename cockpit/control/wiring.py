"""Attaching the control machinery to a running wall (called by cockpit.app.run_wall)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import replace

from cockpit.config import SiteConfig

log = logging.getLogger(__name__)


def node_share(layouts: list, screens: tuple[int, ...]) -> list:
    """Each layout cut down to the screens this node of a multi-PC wall shows."""
    return [replace(lay, screens=tuple(s for s in lay.screens if s.index in screens))
            for lay in layouts]


class Control:
    """Everything ``[carousel]``, ``[takeover]``, ``[control]`` and ``[mqtt]`` switch on."""

    def __init__(self, config: SiteConfig, shell, store, pump, *, node: str | None = None,
                 control_port: int | None = None) -> None:
        from cockpit.control.overlay import WallOverlay

        self.shell = shell
        self.overlay = WallOverlay(shell)
        self.driver = self.takeover = self.server = self.bridge = self.link = None
        lead = node is None or not config.nodes or node == next(iter(config.nodes))
        shell.layout_changed.connect(self._on_shell_layout_changed)
        if config.mqtt is not None and config.nodes:
            from cockpit.control.link import WallLink

            self.link = WallLink(config.mqtt, shell, node or "wall", overlay=self.overlay,
                                 max_age=config.control.max_age if config.control else 30.0)
        if config.carousel is not None and lead:
            from cockpit.control.carousel import Carousel
            from cockpit.control.driver import CarouselDriver

            self.driver = CarouselDriver(shell, Carousel(config.carousel.playlist,
                                                         idle_resume=config.carousel.idle_resume))
        if config.takeover is not None and lead:
            from cockpit.control.takeover import TakeoverController

            self.takeover = TakeoverController(
                shell, config.takeover, carousel=self.driver, overlay=self.overlay,
                submit=lambda fn, *args: pump.submit(lambda: fn(store.reader(), *args)))
        if self.link is not None:
            self._link_takeover(pump, lead)
        if config.control is not None:  # every node serves a page; the carousel is the lead's
            from cockpit.control.bridge import WallBridge
            from cockpit.control.server import ControlServer

            if control_port is not None:
                config = replace(config, control=replace(config.control, port=control_port))
            self.bridge = WallBridge(shell, store, pump=pump, carousel=self.driver,
                                     takeover=self.takeover, link=self.link,
                                     config_source=config.source, node=node,
                                     overlay=self.overlay)
            self.server = ControlServer(config.control, self.bridge)
        secret = next(iter(config.control.tokens.values()), None) if config.control else None
        shell.qr_requested.connect(lambda: self.overlay.toggle_qr(secret))

    def _link_takeover(self, pump, lead: bool) -> None:
        """The lead decides takeovers and records acknowledgements; every node shows the
        banner, and an acknowledgement on any node (its A key, its page) reaches the lead."""
        from cockpit.control.takeover import banner_text

        link = self.link
        if lead and self.takeover is not None:
            self.takeover.changed.connect(link.publish_takeover)
            link.ack_received.connect(self.takeover.acknowledged)
            link.ack_received.connect(lambda ids: pump.acknowledge(ids, by="值班员（其他节点）"))
        elif not lead:
            link.takeover_changed.connect(
                lambda alert: self.overlay.set_banner(banner_text(alert) if alert else None))
            self.shell.acknowledge_requested.connect(lambda ids: link.publish_ack(
                sorted({*ids, *([link.takeover_alert["alert_id"]] if link.takeover_alert else [])})))

    def start(self) -> None:
        if self.link is not None:
            self.link.start()
        if self.server is not None:
            self.server.start()
            print(f"cockpit: control on {self.server.url}", file=sys.stderr, flush=True)
        if self.takeover is not None:
            self.takeover.start()

    def autostart_carousel(self, config: SiteConfig) -> None:
        if self.driver is not None and config.carousel is not None and config.carousel.autostart:
            self.driver.start()

    def stop(self) -> None:
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

    def _on_shell_layout_changed(self, layout_id: str) -> None:
        # One line per switch, with the wall-clock time: what the multi-node tests and the
        # switch-latency benchmark read.
        print(f"cockpit: showing {layout_id} at {time.time():.6f}", file=sys.stderr, flush=True)
