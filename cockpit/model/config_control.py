"""The site config's control sections: the runtime objects. Pure: no Qt.

The keys are declared and checked in :mod:`cockpit.model.schema.control` (pydantic models);
:func:`cockpit.model.config.load_config` builds these frozen dataclasses from them (secret-safe
reprs, what the control server, the carousel, the takeover and the wall link take).

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

from dataclasses import dataclass, field

#: A control token's least length (a guessable token opens the wall to the LAN).
MIN_TOKEN = 16

SEVERITIES = ("info", "minor", "major", "critical")  # ascending


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
