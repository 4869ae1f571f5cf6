"""The carousel (轮播): a playlist of layouts, each shown for its dwell time. Pure: no Qt.

A manual switch pauses it; after ``idle_resume`` seconds without another manual switch it
resumes where it was (the stop it was on, shown afresh for its full dwell). An alarm takeover
holds it; on release it resumes where it was. Time comes from the caller (``now`` in seconds of
a monotonic clock), so tests drive it with a fake clock.
"""

from __future__ import annotations

from cockpit.model.config_control import Stop  # declared with the [carousel] section


class Carousel:
    def __init__(self, stops: list[Stop] | tuple[Stop, ...], *, idle_resume: float = 120.0) -> None:
        self.stops: tuple[Stop, ...] = tuple(stops)
        self.idle_resume = idle_resume
        self.running = False
        self.held = False
        self.position = 0
        self.due: float | None = None  # when the current stop ends
        self.paused_until: float | None = None  # a manual switch paused it until then

    # -- commands ---------------------------------------------------------------------------
    def start(self, now: float) -> str | None:
        """Start (or restart) at the current position; returns the layout to show."""
        if not self.stops:
            return None
        self.running = True
        self.paused_until = None
        if self.held:
            return None
        self.due = now + self.stops[self.position].dwell
        return self.stops[self.position].layout

    def stop(self) -> None:
        self.running = False
        self.due = None
        self.paused_until = None

    def manual_switch(self, now: float) -> None:
        """Someone switched by hand: pause until they have left the wall alone a while."""
        if self.running:
            self.paused_until = now + self.idle_resume

    def hold(self) -> None:
        self.held = True

    def release(self, now: float) -> str | None:
        """The takeover ended: resume where it was (the layout to show, if running)."""
        self.held = False
        self.paused_until = None
        if not self.running or not self.stops:
            return None
        self.due = now + self.stops[self.position].dwell
        return self.stops[self.position].layout

    # -- time -------------------------------------------------------------------------------
    def tick(self, now: float) -> str | None:
        """The layout to switch to now, if any."""
        if not self.running or self.held or not self.stops:
            return None
        if self.paused_until is not None:
            if now < self.paused_until:
                return None
            self.paused_until = None
            self.due = now + self.stops[self.position].dwell
            return self.stops[self.position].layout
        if self.due is None or now >= self.due:
            if self.due is not None:
                self.position = (self.position + 1) % len(self.stops)
            self.due = now + self.stops[self.position].dwell
            return self.stops[self.position].layout
        return None

    def upcoming(self) -> str | None:
        """The layout the carousel shows next (the wall keeps it drawn), if it is running and
        not held (a takeover or a briefing has the wall)."""
        if not self.running or self.held or not self.stops:
            return None
        return self.stops[(self.position + 1) % len(self.stops)].layout

    @property
    def state(self) -> str:
        if not self.running:
            return "stopped"
        if self.held:
            return "held"
        return "paused" if self.paused_until is not None else "running"

    def describe(self, now: float) -> dict:
        return {
            "state": self.state,
            "position": self.position,
            "playlist": [{"layout": s.layout, "dwell": s.dwell} for s in self.stops],
            "next_in": (round(max(0.0, self.due - now), 1)
                        if self.state == "running" and self.due is not None else None),
            "resume_in": (round(max(0.0, self.paused_until - now), 1)
                          if self.paused_until is not None else None),
        }
