"""The site config (TOML) declared whole: ``[wall]``, ``[store]``, ``[[feeds]]``, ``[map]`` and the
control sections. :class:`Site` is what ``cockpit schema site`` prints and what
:func:`cockpit.model.config.load_config` validates with; the checks that need the files around
(layouts that exist, node screens that some layout has) are the loader's. Pure: no Qt.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from cockpit.model.schema.base import Strict, fail, field
from cockpit.model.schema.control import Carousel, Control, Mqtt, Takeover
from cockpit.model.schema.feeds import Feed
from cockpit.model.schema.map import Map
from cockpit.model.schema.values import CONFIG_VERSION, RETENTION_RANGE, parse_time

LayoutId = Annotated[str, StringConstraints(min_length=1)]
Screen = Annotated[int, Field(ge=0)]


class Wall(Strict):
    """``[wall]``: which layouts the wall shows, on which screens, and where it keeps its cache."""

    layouts_dir: str | None = field(None, example="layouts",
                                    description="The layouts folder, relative to this file "
                                                "(default: the bundled layouts).")
    layouts: list[LayoutId] | None = field(None, min_length=1, example=["overview", "safety"],
                                           description="Which layouts and in what order "
                                                       "(default: all, by their order).")
    screen_map: list[Screen] | None = field(None, example=[1, 0],
                                            description="Layout screen i shows on physical "
                                                        "screen screen_map[i].")
    cache: str | None = field(None, example="/var/lib/cockpit/wall.duckdb",
                              description="The cache file, relative to this file (default: the "
                                          "user's data folder).")
    nodes: dict[str, list[Screen]] | None = field(
        None, min_length=1, example={"left": [0], "right": [1]},
        description="Multi-PC wall: node name = the layout screens it shows (needs [mqtt]).")
    warm: int | str = field(
        1, example=1,
        description="Layouts kept drawn either side of the one on show, besides the carousel's "
                    "next (a switch to them only copies pixels; each other layout is drawn when "
                    "a switch brings it near, about 7 MiB saved per layout on two 1080p "
                    "screens); \"all\" keeps every layout drawn.")
    daily_restart: str | None = field(None, example="04:30",
                                      description="Restart every day at this local time "
                                                  "(HH:MM or HH:MM:SS).")

    @field_validator("warm", mode="before")
    @classmethod
    def _warm(cls, value: object) -> object:
        if value == "all" or (type(value) is int and 0 <= value <= 50):
            return value
        raise ValueError(f"expected a number of layouts from 0 to 50 or \"all\", found {value!r}")

    @field_validator("daily_restart")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and parse_time(value) is None:
            raise ValueError(f"expected a local time of day such as \"04:30\" (HH:MM or "
                             f"HH:MM:SS), found {value!r}")
        return value


class Store(Strict):
    """``[store]``: the cache's upkeep."""

    retention_days: float | None = field(None, ge=RETENTION_RANGE[0], le=RETENTION_RANGE[1],
                                         unit="days", example=30,
                                         description="Observations older than this are pruned "
                                                     "(default: 30; the demo keeps 3).")


class Site(Strict):
    """A site config: the wall, its feeds, its control. Every section is optional."""

    version: int = field(CONFIG_VERSION, example=1,
                         description=f"The config format's version (up to {CONFIG_VERSION}).")
    wall: Wall = field(default_factory=Wall, example={"layouts": ["overview"]},
                       description="The wall.")
    store: Store | None = field(None, example={"retention_days": 30}, description="The cache.")
    feeds: list[Feed] = field(default_factory=list, example=[{"name": "demo", "kind": "snapshot",
                                                              "path": "snapshot"}],
                              description="The live feeds ([[feeds]] tables), one kind each.")
    map: Map | None = field(None, example={"tile_url": "https://t.example.cn/{z}/{x}/{y}.png"},
                            description="The city's own tile layer.")
    control: Control | None = field(None, example={"tokens": {"tablet": "…"}},
                                    description="The control page and API.")
    carousel: Carousel | None = field(None, example={"playlist": [{"layout": "overview"}]},
                                      description="Layouts shown in turn.")
    takeover: Takeover | None = field(None, example={"default_layout": "safety"},
                                      description="Alerts that bring up a layout.")
    mqtt: Mqtt | None = field(None, example={"host": "10.0.0.5"},
                              description="The broker linking a multi-PC wall's nodes.")

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value > CONFIG_VERSION:
            raise ValueError(f"expected a config version up to {CONFIG_VERSION}, found {value!r}")
        return value

    @model_validator(mode="after")
    def _shared_secrets(self) -> Site:
        """A wall of several PCs ([wall.nodes]) copies one file to every node (and to whoever
        keeps it): secrets in it come from each PC's environment, never from the file."""
        if not self.wall.nodes:
            return self
        inline = []
        if self.control is not None and self.control.tokens:
            inline += [(f"control.tokens.{name}", "control.tokens_env") for name in self.control.tokens]
        if self.mqtt is not None and self.mqtt.password:
            inline.append(("mqtt.password", "mqtt.password_env"))
        for i, feed in enumerate(self.feeds):
            if getattr(feed, "password", None):
                inline.append((f"feeds[{i}].password", f"feeds[{i}].password_env"))
            auth = getattr(feed, "auth", None)
            for key in ("token", "password", "secret"):
                if auth is not None and getattr(auth, key, None):
                    inline.append((f"feeds[{i}].auth.{key}", f"feeds[{i}].auth.{key}_env"))
        fail(*((where, f"a secret written in a file shared by every node of the wall "
                       f"([wall.nodes]); give {instead} (the name of an environment variable "
                       f"set on each PC) instead") for where, instead in inline))
        return self


TOP_KEYS = tuple(Site.model_fields)
WALL_KEYS = tuple(Wall.model_fields)
