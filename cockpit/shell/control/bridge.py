"""The bridge between the control API (its own threads) and the wall (the GUI thread).

The server's threads never touch a widget: a command goes to the GUI thread as a queued
signal carrying a future, and the server waits for that future. Store work (audit, feed health)
runs on one worker thread of its own; thumbnails come from ``cockpit screenshot`` in a child
process, rendered once per layout on first request.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, Signal

from cockpit.control import audit
from cockpit.control.commands import NO_LEAD, Command, CommandError, LeadUnavailable
from cockpit.control.health import feed_health, rss_mb
from cockpit.control.readings import alert_list
from cockpit.data.atomic import write_atomic

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[3]


def png_bytes(image) -> bytes:
    """A QImage as PNG bytes (QImage works on any thread)."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


#: The size a layout is drawn at for its console thumbnail (then scaled to 480 px wide): a wall
#: screen's. At 1280x720 a 12-column screen's cells fell under the smallest a panel is drawn at
#: and the thumbnail said "屏幕太小" (too small) instead of showing the layout.
THUMB_SOURCE = (1920, 1080)


class WallBridge(QObject):
    _called = Signal(object)

    def __init__(self, shell, store, *, pump=None, carousel=None, takeover=None, link=None,
                 config_source: Path | None = None, node: str | None = None,
                 overlay=None, replay=None, briefing=None) -> None:
        super().__init__()
        self.shell = shell
        self.store = store
        self.pump = pump
        self.carousel = carousel  # a CarouselDriver, or None
        self.takeover = takeover  # a TakeoverController, or None
        self.link = link  # a WallLink, or None
        self.node = node
        self.overlay = overlay
        self.replay = replay  # a ReplayController, or None
        self.briefing = briefing  # a BriefingController, or None
        self.config_source = config_source
        self.started = time.monotonic()
        self._layouts = [(s.layout.id, s.layout.name, len(s.layout.screens)) for s in shell.slots]
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="control-db")
        # made on the first thumbnail asked for: most walls are never asked, and a wall killed
        # (kill -9, a crash) cannot remove it
        self._thumbs: Path | None = None
        self._thumb_lock = threading.Lock()
        self._called.connect(self._on_called, Qt.ConnectionType.QueuedConnection)

    def close(self) -> None:
        self._db.shutdown(wait=True, cancel_futures=True)
        if self._thumbs is not None:  # not under the lock: a thumbnail may take a minute
            shutil.rmtree(self._thumbs, ignore_errors=True)

    # -- the GUI thread ---------------------------------------------------------------------
    def on_gui(self, fn, timeout: float = 5.0):
        future: Future = Future()
        self._called.emit((fn, future))
        return future.result(timeout)

    def _on_called(self, item) -> None:
        fn, future = item
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting thread
            future.set_exception(exc)

    # -- Backend ----------------------------------------------------------------------------
    def layout_ids(self) -> list[str]:
        return [lid for lid, _, _ in self._layouts]

    def execute(self, command: Command, token_name: str) -> dict:
        if (command.action == "carousel" and self.carousel is not None and self.link is not None
                and not self.link.lead):
            return self._forward(command, token_name)
        if command.action == "ack" and command.alert_ids:
            self._check_open(command.alert_ids)
        return self.on_gui(lambda: self._execute(command, token_name))

    def _check_open(self, alert_ids: tuple[str, ...]) -> None:
        """An acknowledgement names open alerts only: any other id is refused (and audited as
        refused), never recorded as acknowledged. Asked of the cache on its own thread."""
        held = {self.link.takeover_alert["alert_id"]} if (
            self.link is not None and self.link.takeover_alert) else set()
        if self.takeover is not None and self.takeover.active is not None:
            held.add(self.takeover.active["alert_id"])
        found = self._db.submit(lambda: self.store.read(audit.open_alert_ids,
                                                        list(alert_ids))).result(10)
        unknown = [a for a in alert_ids if a not in found and a not in held]
        if unknown:
            shown = ", ".join(repr(a[:40]) for a in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise CommandError(f"no open alert {shown} (unknown, already acknowledged or "
                               f"cleared): nothing acknowledged", "alert_ids")

    def _forward(self, command: Command, token_name: str) -> dict:
        """The carousel is the lead's: a node that does not lead forwards the command to it
        over the broker and returns its answer (the server's thread, never the GUI's)."""
        lead = self.link.lead_node()
        if lead is None or not self.link.connected:
            raise LeadUnavailable(NO_LEAD)
        try:
            reply = self.link.request_command({"action": "carousel", "carousel": command.carousel,
                                               "token_name": token_name})
        except TimeoutError as exc:
            raise LeadUnavailable(f"{NO_LEAD} ({lead}: {exc})") from exc
        if reply.get("error"):
            raise CommandError(f"the lead {reply['node']} refused: {reply['error']}")
        return {**reply["result"], "forwarded_to": reply["node"]}

    def _execute(self, command: Command, token_name: str) -> dict:  # GUI thread
        shell = self.shell
        if command.action == "switch":
            shell.switch_to(shell.layout_index(command.layout))
            return {"layout": shell.current_layout.id}
        if command.action == "carousel":
            if self.carousel is None:
                raise CommandError("no carousel configured on this wall ([carousel] in the site config)")
            if self.link is not None and not self.link.lead:  # lost the lead meanwhile
                raise LeadUnavailable(NO_LEAD)
            self.carousel.start() if command.carousel == "start" else self.carousel.stop()
            return {"carousel": self.carousel.carousel.state}
        if command.action == "drill":
            shell.drill_requested.emit(command.district)
            return {"district": command.district}
        if command.action == "replay":
            if self.replay is None:
                raise CommandError("replay is not available on this wall")
            fields = dict(command.replay)
            return self.replay.command(fields.pop("op"), fields)
        if command.action == "brief":
            if self.briefing is None:
                raise CommandError("briefings are not available on this wall")
            fields = dict(command.replay)
            op = fields["op"]
            b = self.briefing
            result = (b.load_text(fields["text"], fields["name"]) if op == "load" else
                      b.step(+1) if op == "next" else b.step(-1) if op == "prev" else
                      b.goto(fields["step"]) if op == "goto" else b.end())
            return {"brief": result}
        if getattr(self.store, "read_only", False):
            raise CommandError("this wall is read-only (--read-only): acknowledgements are not "
                               "recorded")
        by = f"{token_name}（远程控制）"
        lead = self.link is None or self.link.lead
        # no ids: what is on show — in a takeover every alert the banner announces (all at
        # once, as the A key does); named ids acknowledge one by one
        if lead and self.takeover is not None and self.takeover.active is not None and not command.alert_ids:
            ids = [a["alert_id"] for a in self.takeover.held]
        elif self.link is not None and self.link.takeover_alert and not command.alert_ids:
            ids = list(shell.held_alert_ids or [self.link.takeover_alert["alert_id"]])  # the lead's
        else:
            ids = list(command.alert_ids) or sorted({a for p in shell.visible_panels()
                                                     for a in getattr(p.vm, "unacked_critical", ())})
        if self.takeover is not None and lead:
            self.takeover.acknowledged(ids)
        if self.pump is not None and ids:
            self.pump.acknowledge(ids, by=by)
        if self.link is not None and not (lead and self.takeover is not None):
            self.link.publish_ack(ids)  # the lead holds the takeover and records it
        return {"acknowledged": ids}

    def status(self) -> dict:
        gui = self.on_gui(self._gui_status)
        feeds = self._db.submit(lambda: self.store.read(feed_health, datetime.now(UTC))).result(10)
        out = {**gui, "node": self.node, "uptime_s": round(time.monotonic() - self.started),
               "memory_mb": rss_mb(), "feeds": feeds,
               "layouts": [{"id": i, "name": n, "screens": k} for i, n, k in self._layouts]}
        out["nodes"] = self.link.nodes() if self.link is not None else {}
        if self.link is not None:
            out["broker"] = self.link.connected
        return out

    def _gui_status(self) -> dict:
        now = time.monotonic()
        return {"layout": self.shell.current_layout.id, "screens": len(self.shell.windows),
                "carousel": self._carousel_status(now),
                "lead": self.link.lead if self.link is not None else True,
                "takeover": (self.takeover.announced() if self.takeover is not None
                             and (self.link is None or self.link.lead)
                             else self.link.takeover_alert if self.link is not None else None),
                "banner": self.overlay.banner_text if self.overlay is not None else None,
                "replay": (self.replay.timeline.describe(time.time()) if self.replay is not None
                           else {"state": "live"}),
                "brief": self.briefing.describe() if self.briefing is not None else None}

    def _carousel_status(self, now: float) -> dict:
        """The wall's carousel, the same on every node: the lead's own, or, on a node that
        follows, the lead's retained record (``unknown`` while cut off from the broker, when
        what it last heard may no longer be true). ``none``: no carousel is configured."""
        if self.carousel is None:
            return {"state": "none"}
        if self.link is None or self.link.lead:
            return self.carousel.carousel.describe(now)
        record = self.link.carousel_record
        playlist = [{"layout": s.layout, "dwell": s.dwell} for s in self.carousel.carousel.stops]
        if not self.link.connected or record is None:
            return {"state": "unknown", "playlist": playlist, "next_in": None, "resume_in": None,
                    "last_known": record.get("state") if record else None,
                    "lead": self.link.lead_node()}
        return {"state": record.get("state", "unknown"), "position": record.get("position"),
                "playlist": playlist, "next_in": None, "resume_in": None,
                "lead": record.get("sender") or self.link.lead_node()}

    def screen_png(self, index: int) -> bytes | None:
        def grab():
            if not 0 <= index < len(self.shell.windows):
                return None
            return self.shell.windows[index].grab().toImage()

        image = self.on_gui(grab)
        return None if image is None else png_bytes(image)

    def node_screen_png(self, node: str, index: int) -> bytes | None:
        """Screen ``index`` of any node of the wall: this one's directly, another's asked
        for over the broker. None: no such screen; TimeoutError: the node did not answer."""
        if node == self.node or (self.link is None and node in (None, "wall")):
            return self.screen_png(index)
        if self.link is None or node not in self.link.nodes() or self.link.known_dead(node):
            return None
        from cockpit.control.link import ShotError  # (lazy: paho only where a link is used)

        try:
            return self.link.request_screen(node, index)
        except ShotError as exc:
            log.info("screenshot of %s/%d refused: %s", node, index, exc)
            return None

    def thumbnail(self, layout_id: str) -> bytes | None:
        """The first screen of a layout, rendered at 1280x720 (panels have minimum sizes)
        and scaled down here, off the GUI thread (QImage works on any thread)."""
        with self._thumb_lock:
            if self._thumbs is None:
                self._thumbs = Path(tempfile.mkdtemp(prefix="cockpit-thumbs-"))
            small = self._thumbs / f"{layout_id}.thumb.png"
            if not small.exists():
                self._render_thumbnail(layout_id, small)
        return small.read_bytes() if small.exists() else None

    def _render_thumbnail(self, layout_id: str, small: Path) -> None:
        from PySide6.QtGui import QImage

        path = self._thumbs / f"{layout_id}-1.png"
        if not path.exists():
            cmd = [sys.executable, "-m", "cockpit.cli", "screenshot", "--layout", layout_id,
                   "--out", str(self._thumbs), "--size", "x".join(map(str, THUMB_SOURCE))]
            if self.config_source is not None:
                cmd += ["--config", str(self.config_source)]
            try:
                subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=60, check=True)
            except (subprocess.SubprocessError, OSError) as exc:
                log.warning("thumbnail of %s failed: %s", layout_id, exc)
                return
        image = QImage(str(path))
        if not image.isNull():
            small_image = image.scaledToWidth(480, Qt.TransformationMode.SmoothTransformation)
            try:  # never a half-written thumbnail served from then on (a full disk)
                write_atomic(small, png_bytes(small_image))
            except OSError as exc:
                log.warning("thumbnail of %s not saved: %s", layout_id, exc)

    def audit(self, *, token_name: str | None, action: str, detail: str, client: str,
              outcome: str) -> None:
        self._db.submit(audit.record, self.store, at=datetime.now(UTC), token_name=token_name,
                        action=action, detail=detail, client=client, outcome=outcome).result(10)

    def audit_log(self, limit: int) -> list[dict]:
        return self._db.submit(audit.recent, self.store, limit).result(10)

    def alerts(self, start: datetime | None, end: datetime | None, limit: int) -> dict:
        """The console's alert list (``GET /api/alerts``), read on the cache's own thread."""
        return self._db.submit(lambda: self.store.read(lambda cur: alert_list(
            cur, now=datetime.now(UTC), start=start, end=end, limit=limit))).result(10)
