"""Alarm takeover: an open alert at or above the configured severity interrupts the carousel,
brings up the layout for its category (district highlighted through the shell's drill signal)
and holds it, with a banner (and a beep where configured), until it is acknowledged; then the
carousel resumes where it was, or the wall goes back to what it showed.

The alerts are read on the pump's worker threads; only the result comes to the GUI thread.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from cockpit.model.config_control import SEVERITIES, TakeoverSettings

log = logging.getLogger(__name__)
SEVERITY_NAMES = {"critical": "紧急", "major": "重要", "minor": "一般", "info": "提示"}


def open_alerts(cur, min_severity: str, now: datetime) -> list[dict]:
    """Open alerts at or above ``min_severity`` (worker thread), most severe and newest first."""
    wanted = list(SEVERITIES[SEVERITIES.index(min_severity):])
    rows = cur.execute(
        "SELECT alert_id, ts, severity, category, title, district FROM alerts "
        "WHERE state = 'open' AND ts <= ? AND severity IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY ts DESC, alert_id LIMIT 50", [now, wanted]).fetchall()
    out = [{"alert_id": r[0], "ts": r[1].isoformat(), "severity": r[2], "category": r[3],
            "title": r[4], "district": r[5]} for r in rows]
    out.sort(key=lambda a: -SEVERITIES.index(a["severity"]))  # stable: newest first within
    return out


#: The banner's fixed ends: never shortened, whatever the title's length.
ACK_HINT = "请确认（按 A 键或控制页）"


def banner_parts(alert: dict, more: int = 0) -> tuple[str, str, str]:
    """The banner as (tag, title, tail): the tag and the tail (how many more alerts hold the
    wall, and how to acknowledge) are always shown whole; only the title may be shortened."""
    tag = f"【{SEVERITY_NAMES.get(alert['severity'], '')}告警】"
    tail = (f"（另有 {more} 条待确认）" if more else "") + f"　— {ACK_HINT}"
    return tag, str(alert["title"]), tail


def banner_text(alert: dict, more: int = 0) -> str:
    return "".join(banner_parts(alert, more))


def held_states(cur, alert_ids: list[str]) -> dict[str, dict]:
    """State and severity of the alerts holding the wall (worker thread): an alert may leave
    the takeover's query by being cleared at the source, or by a lowered severity."""
    if not alert_ids:
        return {}
    rows = cur.execute("SELECT alert_id, state, severity, cleared_at FROM alerts "
                       "WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))", [alert_ids]).fetchall()
    return {r[0]: {"state": r[1], "severity": r[2], "cleared": r[3] is not None} for r in rows}


def poll_alerts(cur, min_severity: str, now: datetime, held: list[str]) -> tuple[list, dict]:
    return open_alerts(cur, min_severity, now), held_states(cur, held)


class TakeoverController(QObject):
    """Holds the wall while alerts at or above the severity wait for acknowledgement.

    Every such alert that is open and not acknowledged *holds* the wall (``held``, most severe
    and newest first); the first to arrive is ``active``: its layout and district are shown.
    The banner names it and counts the others. Acknowledging the active alert moves the wall
    straight on to the next held one (no release in between); the last acknowledgement
    releases the wall. A lowered severity does not release it (the hold lasts until
    acknowledged); an alert cleared at the source ends its hold, and the wall says so. Every
    end is announced on ``ended`` (alert, "acknowledged" | "cleared"), for the audit.
    """

    alerts_polled = Signal(object)  # from a worker thread; queued to the GUI thread
    changed = Signal(object)  # the alert holding the wall (with "more": the others), or None
    ended = Signal(object, str)  # an alert's hold ended: acknowledged, or cleared at the source

    def __init__(self, shell, settings: TakeoverSettings, *, submit, carousel=None,
                 overlay=None, clock=lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.shell = shell
        self.settings = settings
        self.submit = submit  # runs a function of a store cursor off the GUI thread
        self.carousel = carousel
        self.overlay = overlay
        self.clock = clock
        self.active: dict | None = None
        self.held: list[dict] = []  # every alert holding the wall, the active one first
        self._before: str | None = None
        self._acked: set[str] = set()
        self._in_flight = False
        self._polling = True  # False once stopped: a poll answered after that is dropped
        self.alerts_polled.connect(self._on_alerts_polled)
        shell.acknowledge_requested.connect(self.acknowledged)
        self._timer = QTimer(self)
        self._timer.setInterval(int(settings.poll * 1000))
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._polling = True
        self._timer.start()
        self.poll()

    def stop(self) -> None:
        self._polling = False
        self._timer.stop()

    def poll(self) -> None:
        if self._in_flight:
            return
        self._in_flight = True
        future = self.submit(poll_alerts, self.settings.min_severity, self.clock(),
                             [a["alert_id"] for a in self.held])
        future.add_done_callback(
            lambda f: self.alerts_polled.emit(f.result() if f.exception() is None else None))

    def _on_alerts_polled(self, result: tuple[list, dict] | None) -> None:
        self._in_flight = False
        if result is None or not self._polling:  # stopped meanwhile (another node leads)
            return
        alerts, states = result
        fresh = [a for a in alerts if a["alert_id"] not in self._acked
                 and self.layout_for(a) is not None]
        if self.active is None:
            if fresh:
                self.held = fresh
                self._take_over(fresh[0])
            return
        # an alert that left the query: cleared at the source ends its hold (and says so);
        # one whose severity was lowered keeps holding until acknowledged
        kept = []
        for alert in self.held:
            state = states.get(alert["alert_id"])
            if any(a["alert_id"] == alert["alert_id"] for a in fresh):
                continue  # still open at its severity: listed from ``fresh`` below
            if state is not None and state["state"] == "acked":
                self._acked.add(alert["alert_id"])  # acknowledged elsewhere (recorded there)
                self.ended.emit(alert, "acknowledged")
                continue
            if state is None or state["state"] != "open":
                self.ended.emit(alert, "cleared")
                log.warning("alarm takeover: %s (%s) was cleared at the source",
                            alert["title"], alert["alert_id"])
                if self.overlay is not None:
                    self.overlay.set_notice(f"告警已在源头解除：{alert['title']}")
                continue
            kept.append(alert)
        ids = {a["alert_id"] for a in kept}
        self._hold([*kept, *(a for a in fresh if a["alert_id"] not in ids)])

    def layout_for(self, alert: dict) -> str | None:
        return self.settings.categories.get(alert["category"] or "", self.settings.default_layout)

    def _hold(self, held: list[dict]) -> None:
        """Hold the wall for ``held`` (the active alert first when it is still among them)."""
        if self.active is not None and any(a["alert_id"] == self.active["alert_id"] for a in held):
            held.sort(key=lambda a: a["alert_id"] != self.active["alert_id"])  # stable
            before = [a["alert_id"] for a in self.held]
            self.held = held
            if [a["alert_id"] for a in held] != before:
                self._show_banner()
                self.changed.emit(self.announced())
            return
        self.held = held
        if held:
            self._take_over(held[0])  # straight on to the next: the wall is not released
        else:
            self._release()

    def announced(self) -> dict | None:
        if self.active is None:
            return None
        return {**self.active, "more": len(self.held) - 1,
                "held": [a["alert_id"] for a in self.held]}

    def _show_banner(self) -> None:
        self.shell.held_alert_ids = tuple(a["alert_id"] for a in self.held)
        if self.overlay is not None and self.active is not None:
            self.overlay.set_banner(banner_parts(self.active, len(self.held) - 1))

    def _take_over(self, alert: dict) -> None:
        layout = self.layout_for(alert)
        if layout is None:
            return
        first = self.active is None
        self.active = alert
        if first:
            self._before = self.shell.current_layout.id
            if self.carousel is not None:
                self.carousel.hold()
        log.warning("alarm takeover: %s %s (%s) in %s -> %s", alert["severity"], alert["title"],
                    alert["alert_id"], alert["district"], layout)
        if self.shell.current_layout.id != layout:
            self._switch(layout)
        if alert["district"]:
            self.shell.drill_requested.emit(alert["district"])
        self._show_banner()
        if self.settings.sound and first:
            QApplication.beep()
        self.changed.emit(self.announced())

    def acknowledged(self, alert_ids: list) -> None:
        """Alerts acknowledged (by id; any of the held ones, one by one or all at once)."""
        self._acked.update(alert_ids)
        if self.active is None:
            return
        done = [a for a in self.held if a["alert_id"] in alert_ids]
        if not done:
            return
        for alert in done:
            self.ended.emit(alert, "acknowledged")
        self._hold([a for a in self.held if a["alert_id"] not in alert_ids])

    def _release(self) -> None:
        log.info("alarm takeover ends: %s", self.active["alert_id"] if self.active else "-")
        self.active = None
        self.held = []
        self.shell.held_alert_ids = ()
        if self.overlay is not None:
            self.overlay.set_banner(None)
        resumed = self.carousel.carousel.running if self.carousel is not None else False
        if self.carousel is not None:
            self.carousel.release()
        if not resumed and self._before is not None:
            self._switch(self._before)
        self._before = None
        self.changed.emit(None)

    def _switch(self, layout_id: str) -> None:
        if self.carousel is not None:
            self.carousel.switch_as_carousel(layout_id)
            return
        try:
            self.shell.switch_to(self.shell.layout_index(layout_id))
        except KeyError:
            log.warning("takeover: no layout %r on this wall", layout_id)
