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


def banner_text(alert: dict) -> str:
    return (f"【{SEVERITY_NAMES.get(alert['severity'], '')}告警】{alert['title']}"
            "　— 请确认（按 A 键或控制页）")


def pick_alert(alerts: list[dict], acknowledged: set[str]) -> dict | None:
    return next((a for a in alerts if a["alert_id"] not in acknowledged), None)


class TakeoverController(QObject):
    alerts_polled = Signal(object)  # from a worker thread; queued to the GUI thread
    changed = Signal(object)  # the alert holding the wall, or None

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
        future = self.submit(open_alerts, self.settings.min_severity, self.clock())
        future.add_done_callback(
            lambda f: self.alerts_polled.emit(f.result() if f.exception() is None else None))

    def _on_alerts_polled(self, alerts: list[dict] | None) -> None:
        self._in_flight = False
        if alerts is None or not self._polling:  # stopped meanwhile (another node leads)
            return
        if self.active is not None:
            if all(a["alert_id"] != self.active["alert_id"] for a in alerts):
                self._release()  # acknowledged or cleared elsewhere
            return
        alert = pick_alert(alerts, self._acked)
        if alert is not None:
            self._take_over(alert)

    def layout_for(self, alert: dict) -> str | None:
        return self.settings.categories.get(alert["category"] or "", self.settings.default_layout)

    def _take_over(self, alert: dict) -> None:
        layout = self.layout_for(alert)
        if layout is None:
            return
        self.active = alert
        self._before = self.shell.current_layout.id
        log.warning("alarm takeover: %s %s (%s) in %s -> %s", alert["severity"], alert["title"],
                    alert["alert_id"], alert["district"], layout)
        if self.carousel is not None:
            self.carousel.hold()
        self._switch(layout)
        if alert["district"]:
            self.shell.drill_requested.emit(alert["district"])
        if self.overlay is not None:
            self.overlay.set_banner(banner_text(alert))
        if self.settings.sound:
            QApplication.beep()
        self.changed.emit(alert)

    def acknowledged(self, alert_ids: list) -> None:
        self._acked.update(alert_ids)
        if self.active is not None and self.active["alert_id"] in alert_ids:
            self._release()

    def _release(self) -> None:
        log.info("alarm takeover ends: %s", self.active["alert_id"] if self.active else "-")
        self.active = None
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
