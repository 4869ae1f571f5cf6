"""``[control]``, ``[carousel]``, ``[takeover]``, ``[mqtt]``: the control sections, declared.

The runtime objects stay the frozen dataclasses of :mod:`cockpit.model.config_control`
(secret-safe reprs, what the control server, the carousel and the wall link take); these models
declare and check the keys, and :func:`cockpit.model.config.load_config` builds the former from
the latter. Layout names are checked against the layouts folder by the loader. Pure: no Qt.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import StringConstraints, field_validator, model_validator

from cockpit.model.config_control import MIN_TOKEN
from cockpit.model.schema.base import Strict, fail, field

Token = Annotated[str, StringConstraints(min_length=MIN_TOKEN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
#: The name of an environment variable (where a secret comes from in a shared file).
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


def bind_problem(bind: str) -> str | None:
    """Why the control page cannot listen on ``bind``, or None (it serves IPv4 only)."""
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        return f"expected an IP address such as 127.0.0.1, found {bind!r}"
    if address.version == 6:
        return (f"{bind} is an IPv6 address: the control page listens on IPv4 only; give "
                f"127.0.0.1 or the wall PC's IPv4 LAN address")
    if address.is_unspecified:
        return (f"{bind} listens everywhere, so Host cannot be checked (DNS rebinding): give "
                f"the LAN address itself")
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return f"{bind} is a multicast or broadcast address: nothing can listen on it"
    return None


class Control(Strict):
    """``[control]``: the control page and API (a tablet or the CLI drives the wall)."""

    bind: str = field("127.0.0.1", example="192.168.10.5",
                      description="The IPv4 address the control page listens on: loopback, or "
                                  "the wall PC's LAN address to let a tablet in (not 0.0.0.0).")
    port: int = field(8765, ge=0, le=65535, example=8765,
                      description="The control page's TCP port (0: any free port).")
    tokens: dict[str, Token] = field(default_factory=dict, example={"tablet": "…"},
                                     description=f"Token name (what the audit log records) = "
                                                 f"secret of {MIN_TOKEN}+ characters, each its "
                                                 f"own. Not in a file shared by several PCs "
                                                 f"([wall.nodes]): use tokens_env there.")
    tokens_env: dict[str, EnvName] = field(
        default_factory=dict, example={"tablet": "COCKPIT_TOKEN_TABLET"},
        description=f"Token name = the environment variable holding its secret ({MIN_TOKEN}+ "
                    f"characters), read when the config is loaded. At least one token, in "
                    f"tokens or here.")
    max_age: float = field(30.0, ge=1, unit="s", example=30,
                           description="Older (or future) commands are ignored and logged.")
    failures_per_minute: int = field(5, ge=1, example=5,
                                     description="Wrong tokens from one address before it is "
                                                 "refused for a while.")
    audit_days: int = field(90, ge=1, unit="days", example=90,
                            description="The audit log keeps this many days.")

    @field_validator("bind")
    @classmethod
    def _bind(cls, value: str) -> str:
        problem = bind_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Control:
        owners: dict[str, str] = {}
        out = []
        if not self.tokens and not self.tokens_env:
            out.append(("tokens", f"missing: token name (what the audit log records) = secret "
                                  f"of {MIN_TOKEN}+ characters, or tokens_env = the environment "
                                  f"variable holding it"))
        for name in self.tokens_env:
            if name in self.tokens:
                out.append((f"tokens_env.{name}", f"the token {name!r} is in tokens already; "
                                                  f"give it one way"))
        for name, secret in self.tokens.items():
            if secret in owners:  # the audit could not tell them apart (the secret is not shown)
                out.append((f"tokens.{name}", f"duplicate secret: the same as control.tokens."
                                              f"{owners[secret]}; each name needs its own"))
            else:
                owners[secret] = name
        fail(*out)
        return self


class Stop(Strict):
    """One stop of the carousel's playlist."""

    layout: str = field(description="A layout id (the file name without .toml).",
                        example="overview")
    dwell: float = field(60, ge=0.1, unit="s", example=60,
                         description="How long the layout shows.")


class Carousel(Strict):
    """``[carousel]``: the layouts shown in turn."""

    playlist: list[Stop] = field(min_length=1, example=[{"layout": "overview", "dwell": 60}],
                                 description="The stops in order: { layout = \"id\", dwell = "
                                             "seconds }.")
    autostart: bool = field(False, example=True, description="Start turning when the wall starts.")
    idle_resume: float = field(120, ge=0, unit="s", example=120,
                               description="Resume turning this long after a manual switch.")


class Takeover(Strict):
    """``[takeover]``: an alert of this severity or worse brings up its layout."""

    min_severity: Literal["info", "minor", "major", "critical"] = field(
        "critical", example="major", description="The least severity that takes over.")
    categories: dict[str, str] = field(default_factory=dict, example={"fire": "safety"},
                                       description="Alert category = layout to bring up.")
    default_layout: str | None = field(None, example="safety",
                                       description="The layout for other categories.")
    poll: float = field(5, ge=0.05, unit="s", example=5,
                        description="Time between looks at the open alerts.")
    sound: bool = field(False, example=True, description="Sound the alarm on a takeover.")

    @model_validator(mode="after")
    def _something(self) -> Takeover:
        if not self.categories and self.default_layout is None:
            fail(("", "expected categories or a default_layout to bring up"))
        return self


class Mqtt(Strict):
    """``[mqtt]``: the broker that keeps the nodes of a multi-PC wall in step."""

    host: NonEmpty = field("127.0.0.1", example="10.0.0.5", description="The broker's host.")
    port: int = field(1883, ge=1, le=65535, example=1883, description="The broker's port.")
    wall: NonEmpty = field("weifang", example="weifang",
                           description="Topic prefix: cockpit/<wall>/….")
    username: NonEmpty | None = field(None, example="left", description="The broker user.")
    password: NonEmpty | None = field(None, example="…",
                                      description="The password (secret; never logged).")
    password_env: NonEmpty | None = field(None, example="COCKPIT_MQTT_PASSWORD",
                                          description="Environment variable holding the "
                                                      "password.")

    @field_validator("wall")
    @classmethod
    def _topic(cls, value: str) -> str:
        if any(c in value for c in "/#+"):
            raise ValueError(f"a topic level cannot hold / # or +, found {value!r}")
        return value
