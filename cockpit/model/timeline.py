"""The wall's timeline: live, or a replay (回放) of a past span at a chosen speed.

Every panel query takes the moment it shows (``now``); a replay hands the queries a moment in
the past that advances at ``speed`` times real time, so every panel, the map and the alert
lists show the city as it was, from the cache, and nothing is written. Pause, seek and step
move the moment; the end of the span (or ``live()``) returns to live.

Time is wall-clock (``time.time()`` seconds, passed in by the caller), so the nodes of a
multi-PC wall that share a replay record (:meth:`Timeline.record`, :meth:`Timeline.adopt`)
show the same moment without talking further. Pure: no Qt, no DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

#: Zone-less times people type ("2026-12-02 07:30") are the city's local time.
LOCAL = ZoneInfo("Asia/Shanghai")
MIN_SPEED, MAX_SPEED = 1.0, 3600.0
#: The longest span a replay may cover (the cache keeps weeks; a briefing wants hours).
MAX_SPAN = timedelta(days=31)


class TimelineError(ValueError):
    """A replay that cannot be: a bad time, an empty or reversed span, a speed out of range."""


def parse_moment(text: object, what: str = "time") -> datetime:
    """``2026-12-02 07:30`` (local time), ``2026-12-02T07:30:00+08:00``, or a datetime."""
    if isinstance(text, datetime):
        moment = text
    elif isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text.strip().replace("/", "-"))
        except ValueError:
            raise TimelineError(f"{what} {text[:40]!r} is not a time like '2026-12-02 07:30'") from None
    else:
        raise TimelineError(f"{what} must be a time like '2026-12-02 07:30', not {type(text).__name__}")
    return (moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment).astimezone(UTC)


def local_text(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Timeline:
    """Live (``start is None``) or replaying ``start``..``end`` at ``speed``."""

    start: datetime | None = None
    end: datetime | None = None
    speed: float = 1.0
    paused: bool = False
    #: the replayed moment at wall-clock time ``anchor_at`` (seconds since the epoch)
    anchor: datetime | None = None
    anchor_at: float = 0.0

    # -- what is shown --------------------------------------------------------------------
    @property
    def live(self) -> bool:
        return self.start is None

    def moment(self, real: float) -> datetime | None:
        """The moment shown at wall-clock ``real``; None when live."""
        if self.start is None or self.anchor is None:
            return None
        if self.paused:
            return self.anchor
        moment = self.anchor + timedelta(seconds=(real - self.anchor_at) * self.speed)
        return min(moment, self.end)

    def finished(self, real: float) -> bool:
        """The replay reached the end of its span (the wall goes back to live)."""
        moment = self.moment(real)
        return moment is not None and not self.paused and moment >= self.end

    # -- commands ---------------------------------------------------------------------------
    def replay(self, start: object, end: object, speed: float, real: float) -> None:
        begin, stop = parse_moment(start, "from"), parse_moment(end, "to")
        if not stop > begin:
            raise TimelineError(f"to ({local_text(stop)}) must be after from ({local_text(begin)})")
        if stop - begin > MAX_SPAN:
            raise TimelineError(f"a replay spans at most {MAX_SPAN.days} days")
        if stop > datetime.fromtimestamp(real, UTC) + timedelta(minutes=1):
            raise TimelineError(f"to ({local_text(stop)}) is in the future: a replay shows the past")
        self._check_speed(speed)
        self.start, self.end, self.speed, self.paused = begin, stop, float(speed), False
        self.anchor, self.anchor_at = begin, real

    def pause(self, real: float) -> None:
        self._replaying()
        if not self.paused:
            self.anchor, self.anchor_at, self.paused = self.moment(real), real, True

    def resume(self, real: float) -> None:
        self._replaying()
        if self.paused:
            self.anchor_at, self.paused = real, False

    def seek(self, moment: object, real: float) -> None:
        self._replaying()
        target = parse_moment(moment, "seek")
        if not self.start <= target <= self.end:
            raise TimelineError(f"{local_text(target)} is outside the replay "
                                f"({local_text(self.start)} – {local_text(self.end)})")
        self.anchor, self.anchor_at = target, real

    def step(self, seconds: float, real: float) -> None:
        """Move by ``seconds`` of replayed time (negative: back), within the span; pauses."""
        self._replaying()
        moment = self.moment(real) + timedelta(seconds=seconds)
        self.anchor = max(self.start, min(self.end, moment))
        self.anchor_at, self.paused = real, True

    def set_speed(self, speed: float, real: float) -> None:
        self._replaying()
        self._check_speed(speed)
        self.anchor, self.anchor_at, self.speed = self.moment(real), real, float(speed)

    def go_live(self) -> None:
        self.start = self.end = self.anchor = None
        self.paused, self.speed, self.anchor_at = False, 1.0, 0.0

    # -- sharing ------------------------------------------------------------------------------
    def record(self) -> dict:
        """What another node needs to show the same moment (JSON-ready)."""
        if self.live:
            return {"live": True}
        return {"live": False, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "speed": self.speed, "paused": self.paused, "anchor": self.anchor.isoformat(),
                "anchor_at": self.anchor_at}

    def adopt(self, record: dict) -> None:
        """Follow another node's :meth:`record`; raises TimelineError when it is malformed."""
        if not isinstance(record, dict):
            raise TimelineError("a replay record is an object")
        if record.get("live") is True:
            self.go_live()
            return
        try:
            start, end, anchor = (parse_moment(record[k], k) for k in ("start", "end", "anchor"))
            speed, paused, at = record["speed"], record["paused"], record["anchor_at"]
        except KeyError as exc:
            raise TimelineError(f"a replay record lacks {exc}") from None
        if not (isinstance(paused, bool) and isinstance(at, int | float) and not isinstance(at, bool)
                and start < end and start <= anchor <= end):
            raise TimelineError("a replay record's fields do not fit together")
        self._check_speed(speed)
        self.start, self.end, self.speed, self.paused = start, end, float(speed), paused
        self.anchor, self.anchor_at = anchor, float(at)

    def describe(self, real: float) -> dict:
        """For the status API: live, or the span, speed, state and the moment shown."""
        if self.live:
            return {"state": "live"}
        moment = self.moment(real)
        return {"state": "paused" if self.paused else "playing", "from": local_text(self.start),
                "to": local_text(self.end), "speed": self.speed, "moment": local_text(moment),
                "progress": round((moment - self.start) / (self.end - self.start), 4)}

    # -- helpers ------------------------------------------------------------------------------
    def _replaying(self) -> None:
        if self.live:
            raise TimelineError("the wall is live: start a replay first")

    @staticmethod
    def _check_speed(speed: object) -> None:
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not (
                MIN_SPEED <= speed <= MAX_SPEED):
            raise TimelineError(f"speed must be a number from {MIN_SPEED:g} to {MAX_SPEED:g}, "
                                f"not {speed!r}")


def banner(moment: datetime, speed: float, paused: bool) -> str:
    """The line every screen shows during a replay, so nobody takes it for live."""
    state = "已暂停" if paused else f"{speed:g}×"
    return f"回放 {local_text(moment)}（{state}）— 按 Esc 或控制页返回实时"
