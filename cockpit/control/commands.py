"""Control commands, as the API and the wall link carry them. Pure: no Qt.

Every command carries the time it was issued (``ts``, seconds since the epoch) and its sender;
one older than ``max_age`` (or as far in the future) is stale, one with a wrong field is
malformed. Both are refused with a :class:`CommandError` saying why, so the caller can log it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from cockpit.model.metrics import CITY_CODE, DISTRICTS

ACTIONS = ("switch", "carousel", "drill", "ack", "replay", "brief")
#: What a briefing command may do (cockpit.shell.control.briefing) and the fields each op takes.
BRIEF_OPS = {"load": ("text", "name"), "next": (), "prev": (), "goto": ("step",), "end": ()}
#: What a replay command may do (cockpit.model.timeline) and the fields each op takes.
REPLAY_OPS = {"start": ("from", "to", "speed"), "pause": (), "resume": (), "seek": ("at",),
              "step": ("seconds",), "speed": ("speed",), "live": ()}
DISTRICT = re.compile(r"^37\d{4}$")  # Weifang's administrative codes (370700 the city)
MAX_TS = 1e11  # seconds since the epoch: a ts beyond (the year 5138) is refused before arithmetic
# C0 and C1 controls, DEL, and the Unicode marks that reorder or break a terminal's line
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with its control characters written out (``\\x1b``, ``\\n``, ``\\u202e``):
    what a client sent cannot retitle a terminal or forge a line in a log. Linear time."""
    return _CONTROLS.sub(_escape_one, text)


def _escape_one(m: re.Match) -> str:
    c = ord(m.group())
    return {10: "\\n", 13: "\\r", 9: "\\t"}.get(c) or (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")


class CommandError(ValueError):
    """A refused command; ``field`` names the body's field at fault, when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LeadUnavailable(CommandError):
    """A command for the lead of a multi-PC wall found no lead to take it (the API's 503)."""


NO_LEAD = ("当前没有主控节点在线（正在选举或与控制总线断开），轮播命令未能转发，请稍后重试 / "
           "no node leads the wall now (an election is under way or the broker is unreachable): "
           "the carousel command was not forwarded; try again shortly")


@dataclass(frozen=True)
class Command:
    action: str
    ts: float
    sender: str
    layout: str | None = None  # switch
    carousel: str | None = None  # start / stop
    district: str | None = None  # drill
    alert_ids: tuple[str, ...] = field(default_factory=tuple)  # ack (empty: what is on show)
    replay: tuple[tuple[str, object], ...] = ()  # replay, brief: ("op", ...), the op's fields

    def describe(self) -> str:
        """What the audit log records as the detail."""
        if self.action == "replay":
            return " ".join(f"{k}={v}" for k, v in self.replay)
        if self.action == "brief":  # the file's name, never its whole text
            return " ".join(f"{k}={v}" for k, v in self.replay if k != "text")
        return {"switch": self.layout, "carousel": self.carousel, "drill": self.district,
                "ack": ",".join(self.alert_ids) or "(on show)"}[self.action] or ""


def parse_command(action: str, body: object, *, now: float, max_age: float,
                  layouts: Collection[str]) -> Command:
    if action not in ACTIONS:
        raise CommandError(f"unknown action {action!r}")
    if not isinstance(body, dict):
        raise CommandError(f"expected a JSON object, found {type(body).__name__}")
    if action in ("replay", "brief"):
        op = body.get("op")
        known = {"ts", "sender", "op", *(REPLAY_OPS if action == "replay" else BRIEF_OPS).get(op, ())}
    else:
        known = {"ts", "sender", {"switch": "layout", "carousel": "action", "drill": "district",
                                  "ack": "alert_ids"}[action]}
    extra = sorted(set(body) - known)
    if extra:
        raise CommandError(f"unknown field(s) {', '.join(extra)}", extra[0])
    ts = body.get("ts")
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        raise CommandError("missing or non-numeric ts (seconds since the epoch)", "ts")
    if isinstance(ts, int) and not -MAX_TS < ts < MAX_TS:  # before any arithmetic on it
        raise CommandError(f"ts out of range: an integer of {len(str(abs(ts)))} digits is no time "
                           f"(seconds since the epoch, under {MAX_TS:.0e})", "ts")
    if not math.isfinite(ts):
        raise CommandError("missing or non-numeric ts (seconds since the epoch)", "ts")
    if abs(now - ts) > max_age:
        when = f"{now - ts:.0f} s ago" if ts < now else f"{ts - now:.0f} s in the future"
        raise CommandError(f"stale command: issued {when} (allowed ±{max_age:g} s)", "ts")
    sender = body.get("sender")
    if not isinstance(sender, str) or not 0 < len(sender) <= 64:
        raise CommandError("missing sender (a name up to 64 characters)", "sender")
    sender = escape_controls(sender)  # it is logged and audited
    if action == "switch":
        layout = body.get("layout")
        if not isinstance(layout, str) or layout not in layouts:
            raise CommandError(f"layout: no layout {_short(layout)} on this wall "
                               f"(known: {', '.join(layouts)})", "layout")
        return Command(action, float(ts), sender, layout=layout)
    if action == "carousel":
        what = body.get("action")
        if what not in ("start", "stop"):
            raise CommandError(f"carousel action must be start or stop, found {_short(what)}",
                               "action")
        return Command(action, float(ts), sender, carousel=what)
    if action == "drill":
        district = body.get("district")
        if not isinstance(district, str) or not DISTRICT.fullmatch(district):
            raise CommandError(f"district must be a 6-digit code such as 370705, found "
                               f"{_short(district)}", "district")
        if district != CITY_CODE and district not in DISTRICTS:
            raise CommandError(f"district {district} is not a district of Weifang (known: "
                               f"{CITY_CODE} the city, {', '.join(DISTRICTS)})", "district")
        return Command(action, float(ts), sender, district=district)
    if action == "replay":
        return Command(action, float(ts), sender, replay=_replay_fields(body))
    if action == "brief":
        return Command(action, float(ts), sender, replay=_brief_fields(body))
    ids = body.get("alert_ids", [])
    if not isinstance(ids, list) or not all(isinstance(x, str) and 0 < len(x) <= 128 for x in ids) \
            or len(ids) > 100:
        raise CommandError("alert_ids must be a list of up to 100 alert ids", "alert_ids")
    return Command(action, float(ts), sender, alert_ids=tuple(ids))


def _replay_fields(body: dict) -> tuple[tuple[str, object], ...]:
    """A replay command's op and fields, checked for type (the timeline checks the times)."""
    op = body.get("op")
    if op not in REPLAY_OPS:
        raise CommandError(f"replay op must be one of {', '.join(REPLAY_OPS)}, found "
                           f"{_short(op)}", "op")
    out: list[tuple[str, object]] = [("op", op)]
    for name in REPLAY_OPS[op]:
        value = body.get(name)
        if name in ("from", "to", "at"):
            if not isinstance(value, str) or not 0 < len(value) <= 40:
                raise CommandError(f"{name} must be a time like '2026-12-02 07:30', found "
                                   f"{_short(value)}", name)
        elif value is None and name == "speed" and op == "start":
            value = 10
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value) or abs(value) > 31 * 86400:
            raise CommandError(f"{name} must be a number, found {_short(value)}", name)
        out.append((name, value))
    return tuple(out)


def _brief_fields(body: dict) -> tuple[tuple[str, object], ...]:
    """A briefing command's op and fields, checked for type (the wall checks the file)."""
    op = body.get("op")
    if op not in BRIEF_OPS:
        raise CommandError(f"brief op must be one of {', '.join(BRIEF_OPS)}, found {_short(op)}",
                           "op")
    out: list[tuple[str, object]] = [("op", op)]
    if op == "load":
        text, name = body.get("text"), body.get("name", "briefing.toml")
        if not isinstance(text, str) or not text.strip():
            raise CommandError("text must be the briefing file's TOML text", "text")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise CommandError("name must be the briefing file's name", "name")
        out += [("name", escape_controls(name)), ("text", text)]
    elif op == "goto":
        step = body.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 1000:
            raise CommandError(f"step must be a step number from 1, found {_short(step)}", "step")
        out.append(("step", step))
    return tuple(out)


def _short(value: object, limit: int = 60) -> str:
    """A refused value for the message: its repr, cut (a body may carry a long string)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
