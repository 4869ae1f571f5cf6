"""The site config's control sections, validated like the rest of it. Pure: no Qt.

```toml
[control]                       # the control page and API
bind = "127.0.0.1"              # a LAN address to let a tablet in; default loopback
port = 8765
max_age = 30                    # seconds: older (or future) commands are ignored and logged
failures_per_minute = 5         # wrong tokens from one address before it is refused for a while
audit_days = 90                 # the audit log keeps this many days (pruned at start and daily)
[control.tokens]                # token name (what the audit log records) = secret (>= 16 chars)
tablet = "…"

[carousel]
autostart = true
idle_resume = 120               # seconds after a manual switch
playlist = [{ layout = "overview", dwell = 60 }, { layout = "safety", dwell = 30 }]

[takeover]
min_severity = "critical"       # critical, major, minor, info
default_layout = "safety"
poll = 5                        # seconds between looks at the open alerts
sound = false
[takeover.categories]           # alert category = layout to bring up
fire = "safety"

[wall.nodes]                    # multi-PC wall: node name = the layout screens it shows
left = [0]
right = [1]

[mqtt]                          # the broker that keeps the nodes in step
host = "127.0.0.1"
port = 1883
wall = "weifang"                # topic prefix: cockpit/<wall>/…
username = "left"
password_env = "COCKPIT_MQTT_PASSWORD"   # or password = "…" (never logged)
```
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

SEVERITIES = ("info", "minor", "major", "critical")  # ascending
Bad = Callable[[str, str], None]


@dataclass(frozen=True)
class Stop:
    """One stop of the carousel's playlist: a layout and how long it shows."""

    layout: str
    dwell: float  # seconds


@dataclass(frozen=True)
class ControlSettings:
    bind: str = "127.0.0.1"
    port: int = 8765
    tokens: dict[str, str] = field(default_factory=dict)  # name -> secret
    max_age: float = 30.0
    failures_per_minute: int = 5
    audit_days: int = 90

    def __repr__(self) -> str:  # secrets never reach a log line
        return (f"ControlSettings(bind={self.bind!r}, port={self.port}, "
                f"tokens={sorted(self.tokens)}, max_age={self.max_age})")


@dataclass(frozen=True)
class CarouselSettings:
    playlist: tuple[Stop, ...] = ()
    autostart: bool = False
    idle_resume: float = 120.0


@dataclass(frozen=True)
class TakeoverSettings:
    min_severity: str = "critical"
    categories: dict[str, str] = field(default_factory=dict)
    default_layout: str | None = None
    poll: float = 5.0
    sound: bool = False


@dataclass(frozen=True)
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    wall: str = "weifang"
    username: str | None = None
    password: str | None = None
    password_env: str | None = None

    def __repr__(self) -> str:
        return (f"MqttSettings(host={self.host!r}, port={self.port}, wall={self.wall!r}, "
                f"username={self.username!r})")


def _number(raw: dict, key: str, where: str, default: float, bad: Bad, *, minimum: float = 0.0,
            integer: bool = False) -> float:
    value = raw.get(key, default)
    ok = isinstance(value, int if integer else int | float) and not isinstance(value, bool)
    if not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        bad(f"{where}.{key}", f"expected {kind} >= {minimum:g}, found {value!r}")
        return default
    return value


def _table(data: dict, key: str, bad: Bad) -> dict:
    raw = data.get(key, {})
    if not isinstance(raw, dict):
        bad(key, "expected a table")
        return {}
    return raw


def _unknown(raw: dict, where: str, known: tuple[str, ...], bad: Bad) -> None:
    for key in raw:
        if key not in known:
            bad(f"{where}.{key}", f"unknown key (expected {', '.join(known)})")


def parse_control(data: dict, bad: Bad) -> ControlSettings | None:
    if "control" not in data:
        return None
    raw = _table(data, "control", bad)
    _unknown(raw, "control", ("bind", "port", "tokens", "max_age", "failures_per_minute",
                                   "audit_days"), bad)
    bind = raw.get("bind", "127.0.0.1")
    try:
        address = ipaddress.ip_address(bind if isinstance(bind, str) else "")
    except ValueError:
        bad("control.bind", f"expected an IP address such as 127.0.0.1, found {bind!r}")
        bind = "127.0.0.1"
    else:
        if address.is_unspecified:
            bad("control.bind", f"{bind} listens everywhere, so Host cannot be checked "
                                "(DNS rebinding): give the LAN address itself")
    port = int(_number(raw, "port", "control", 8765, bad, integer=True))
    if port > 65535:
        bad("control.port", f"expected a port number up to 65535, found {port}")
    tokens = raw.get("tokens", {})
    if not isinstance(tokens, dict) or not tokens:
        bad("control.tokens", "expected a table of at least one token: name = \"secret\"")
        tokens = {}
    owners: dict[str, str] = {}
    for name, secret in tokens.items():
        if not isinstance(secret, str) or len(secret) < 16:
            bad(f"control.tokens.{name}", "expected a secret string of at least 16 characters")
        elif secret in owners:  # the audit could not tell them apart (the secret is not shown)
            bad(f"control.tokens.{name}", f"duplicate secret: the same as control.tokens."
                                          f"{owners[secret]}; each name needs its own")
        else:
            owners[secret] = name
    return ControlSettings(
        bind=bind, port=port, tokens={k: v for k, v in tokens.items() if isinstance(v, str)},
        max_age=float(_number(raw, "max_age", "control", 30.0, bad, minimum=1)),
        failures_per_minute=int(_number(raw, "failures_per_minute", "control", 5, bad,
                                        minimum=1, integer=True)),
        audit_days=int(_number(raw, "audit_days", "control", 90, bad, minimum=1, integer=True)))


def parse_carousel(data: dict, bad: Bad, layout_ok: Callable[[str], bool]) -> CarouselSettings | None:
    if "carousel" not in data:
        return None
    raw = _table(data, "carousel", bad)
    _unknown(raw, "carousel", ("playlist", "autostart", "idle_resume"), bad)
    stops = []
    playlist = raw.get("playlist", [])
    if not isinstance(playlist, list) or not playlist:
        bad("carousel.playlist", "expected a non-empty list of { layout = \"id\", dwell = seconds }")
        playlist = []
    for i, item in enumerate(playlist):
        where = f"carousel.playlist[{i}]"
        if not isinstance(item, dict):
            bad(where, "expected a table { layout = \"id\", dwell = seconds }")
            continue
        _unknown(item, where, ("layout", "dwell"), bad)
        layout = item.get("layout")
        if not isinstance(layout, str) or not layout_ok(layout):
            bad(f"{where}.layout", f"no such layout {layout!r}")
            continue
        stops.append(Stop(layout, float(_number(item, "dwell", where, 60, bad, minimum=0.1))))
    autostart = raw.get("autostart", False)
    if not isinstance(autostart, bool):
        bad("carousel.autostart", f"expected true or false, found {autostart!r}")
        autostart = False
    return CarouselSettings(tuple(stops), autostart,
                            float(_number(raw, "idle_resume", "carousel", 120, bad, minimum=0)))


def parse_takeover(data: dict, bad: Bad, layout_ok: Callable[[str], bool]) -> TakeoverSettings | None:
    if "takeover" not in data:
        return None
    raw = _table(data, "takeover", bad)
    _unknown(raw, "takeover", ("min_severity", "categories", "default_layout", "poll", "sound"), bad)
    severity = raw.get("min_severity", "critical")
    if severity not in SEVERITIES:
        bad("takeover.min_severity", f"expected one of {', '.join(SEVERITIES)}, found {severity!r}")
        severity = "critical"
    categories = raw.get("categories", {})
    if not isinstance(categories, dict):
        bad("takeover.categories", "expected a table: category = \"layout id\"")
        categories = {}
    for cat, layout in categories.items():
        if not isinstance(layout, str) or not layout_ok(layout):
            bad(f"takeover.categories.{cat}", f"no such layout {layout!r}")
    default = raw.get("default_layout")
    if default is not None and (not isinstance(default, str) or not layout_ok(default)):
        bad("takeover.default_layout", f"no such layout {default!r}")
        default = None
    if not categories and default is None:
        bad("takeover", "expected categories or a default_layout to bring up")
    sound = raw.get("sound", False)
    if not isinstance(sound, bool):
        bad("takeover.sound", f"expected true or false, found {sound!r}")
        sound = False
    return TakeoverSettings(severity, {k: v for k, v in categories.items() if isinstance(v, str)},
                            default, float(_number(raw, "poll", "takeover", 5, bad, minimum=0.05)),
                            sound)


def parse_nodes(wall: dict, bad: Bad) -> dict[str, tuple[int, ...]] | None:
    nodes = wall.get("nodes")
    if nodes is None:
        return None
    if not isinstance(nodes, dict) or not nodes:
        bad("wall.nodes", "expected a table: node name = [layout screen numbers]")
        return None
    out = {}
    for name, screens in nodes.items():
        if not (isinstance(screens, list) and all(
                isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in screens)):
            bad(f"wall.nodes.{name}", "expected a list of layout screen numbers (0, 1, …)")
            continue
        out[name] = tuple(screens)
    return out


def parse_mqtt(data: dict, bad: Bad) -> MqttSettings | None:
    if "mqtt" not in data:
        return None
    raw = _table(data, "mqtt", bad)
    _unknown(raw, "mqtt", ("host", "port", "wall", "username", "password", "password_env"), bad)
    strings = {}
    for key in ("host", "wall", "username", "password", "password_env"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            bad(f"mqtt.{key}", "expected a non-empty string")
            value = None
        strings[key] = value
    wall = strings["wall"] or "weifang"
    if any(c in wall for c in "/#+"):
        bad("mqtt.wall", f"a topic level cannot hold / # or +, found {wall!r}")
    port = int(_number(raw, "port", "mqtt", 1883, bad, minimum=1, integer=True))
    return MqttSettings(strings["host"] or "127.0.0.1", port, wall, strings["username"],
                        strings["password"], strings["password_env"])
