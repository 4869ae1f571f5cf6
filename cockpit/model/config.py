"""The site config (TOML): which layouts the wall shows, on which screens, from which feeds.

Validated like a layout file: every problem at once, each naming the file, the key path and
what is wrong. Pure: no Qt.

```toml
version = 1
[wall]
layouts_dir = "layouts"            # relative to this file; default: the bundled layouts
layouts = ["overview", "safety"]   # which layouts and in what order; default: all, by order
screen_map = [1, 0]                # layout screen i -> physical screen screen_map[i]
cache = "/var/lib/cockpit/wall.duckdb"   # default: the user's data folder
daily_restart = "04:30"            # optional: restart every day at this local time (HH:MM[:SS])
[store]
retention_days = 30                # observations older than this are pruned (default 30;
                                   # the demo keeps 3)
[[feeds]]
name = "demo"
kind = "snapshot"                  # or rest, ngsi, sensorthings, thingsboard, mqtt
path = "../assets/demo/snapshot"   # relative to this file
interval = 5                       # seconds between ticks (or "30s", "5m", "1h")
[map]                              # optional: the city's own tile server under the districts
tile_url = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
```

The control sections ([control], [carousel], [takeover], [wall.nodes], [mqtt]) are described
and parsed in cockpit/model/config_control.py. Each live feed kind's keys are declared and checked
in :mod:`feeds.kinds`; see examples/site-simulator.toml for one of each. The [map] keys
(tile_url, tile_crs, tile_cache, tile_cache_max_mb) are described and parsed in cockpit/model/config_map.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from platformdirs import user_data_path

from cockpit.model import resources
from cockpit.model.config_control import (
    CarouselSettings,
    ControlSettings,
    MqttSettings,
    TakeoverSettings,
    parse_carousel,
    parse_control,
    parse_mqtt,
    parse_nodes,
    parse_takeover,
)
from cockpit.model.config_map import TileSettings, parse_map
from cockpit.model.files import parse_toml_checked, read_text_checked
from cockpit.model.layout import Problem
from feeds import kinds

BUNDLED_LAYOUTS = resources.layouts_dir()
DEMO_SNAPSHOT = resources.demo_snapshot()
CONFIG_VERSION = 1
FEED_KINDS = kinds.FEED_KINDS
WALL_KEYS = ("layouts_dir", "layouts", "screen_map", "cache", "nodes", "daily_restart")
TOP_KEYS = ("version", "wall", "feeds", "control", "carousel", "takeover", "mqtt", "map",
            "store")
#: [store] retention_days: the allowed range (a day of data at least, ten years at most).
RETENTION_RANGE = (1, 3650)


def parse_time(value: object) -> time | None:
    """``"04:30"`` or ``"04:30:15"`` as a time of day; None when it is not one."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m, s = (int(p) for p in parts + ["00"] * (3 - len(parts)))
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def default_cache(name: str = "wall") -> Path:
    return user_data_path("weifang-cockpit", appauthor=False) / f"{name}.duckdb"


@dataclass(frozen=True)
class FeedSpec:
    name: str
    kind: str
    path: Path | None = None  # the snapshot kind's folder
    interval: float = 5.0
    options: dict = field(default_factory=dict, compare=False)  # the kind's own keys


@dataclass(frozen=True)
class SiteConfig:
    layouts_dir: Path = BUNDLED_LAYOUTS
    layouts: tuple[str, ...] | None = None
    screen_map: tuple[int, ...] | None = None
    cache: Path | None = None
    feeds: tuple[FeedSpec, ...] = field(default_factory=tuple)
    source: Path | None = None
    control: ControlSettings | None = None
    carousel: CarouselSettings | None = None
    takeover: TakeoverSettings | None = None
    nodes: dict[str, tuple[int, ...]] | None = None  # node name -> layout screens it shows
    mqtt: MqttSettings | None = None
    tiles: TileSettings | None = None  # [map] tile_url: a tile layer under the districts
    daily_restart: time | None = None  # [wall] daily_restart: local time of the daily restart
    retention_days: float | None = None  # [store]; None: the command's default (run 30, demo 3)


def demo_config(snapshot: Path = DEMO_SNAPSHOT) -> SiteConfig:
    return SiteConfig(feeds=(FeedSpec("demo", "snapshot", snapshot, 5.0),))


class ConfigError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def is_site_config(data: dict) -> bool:
    return any(key in data for key in TOP_KEYS if key != "version")


def load_config(path: str | Path) -> SiteConfig:
    path = Path(path)
    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        problems.append(Problem(str(path), where, message))

    def refuse(message: str) -> ConfigError:
        return ConfigError([Problem(str(path), "(file)", message)])

    data = parse_toml_checked(read_text_checked(path, refuse), refuse)
    base = path.parent
    version = data.get("version", CONFIG_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > CONFIG_VERSION:
        bad("version", f"expected a config version up to {CONFIG_VERSION}, found {version!r}")
    for key in data:
        if key not in TOP_KEYS:
            bad(key, f"unknown key (expected {', '.join(TOP_KEYS)})")
    wall = data.get("wall", {})
    if not isinstance(wall, dict):
        bad("wall", "expected a table")
        wall = {}
    for key in wall:
        if key not in WALL_KEYS:
            bad(f"wall.{key}", f"unknown key (expected {', '.join(WALL_KEYS)})")
    layouts_dir = BUNDLED_LAYOUTS
    if "layouts_dir" in wall:
        if isinstance(wall["layouts_dir"], str):
            layouts_dir = (base / wall["layouts_dir"]).resolve()
            if not layouts_dir.is_dir():
                bad("wall.layouts_dir", f"folder {layouts_dir} does not exist")
        else:
            bad("wall.layouts_dir", "expected a string (a folder path)")
    layouts = wall.get("layouts")
    if layouts is not None and not (isinstance(layouts, list) and layouts
                                    and all(isinstance(x, str) for x in layouts)):
        bad("wall.layouts", "expected a non-empty list of layout ids (file names without .toml)")
        layouts = None
    if layouts:
        for i, name in enumerate(layouts):
            if name in layouts[:i]:
                bad(f"wall.layouts[{i}]", f"duplicate layout {name!r} "
                                          f"(already at wall.layouts[{layouts.index(name)}])")
            elif layouts_dir.is_dir() and not (layouts_dir / f"{name}.toml").is_file():
                bad(f"wall.layouts[{i}]", f"no layout file {name}.toml in {layouts_dir}")
    screen_map = wall.get("screen_map")
    if screen_map is not None and not (isinstance(screen_map, list) and all(
            isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in screen_map)):
        bad("wall.screen_map", "expected a list of physical screen numbers (0, 1, …)")
        screen_map = None
    cache = wall.get("cache")
    if cache is not None and not isinstance(cache, str):
        bad("wall.cache", "expected a string (a file path)")
        cache = None
    daily_restart = None
    if "daily_restart" in wall:
        daily_restart = parse_time(wall["daily_restart"])
        if daily_restart is None:
            bad("wall.daily_restart", f"expected a local time of day such as \"04:30\" "
                                      f"(HH:MM or HH:MM:SS), found {wall['daily_restart']!r}")
    feeds: list[FeedSpec] = []
    raw_feeds = data.get("feeds", [])
    if not isinstance(raw_feeds, list):
        bad("feeds", "expected an array of tables ([[feeds]])")
        raw_feeds = []
    names: set[str] = set()
    for i, raw in enumerate(raw_feeds):
        where = f"feeds[{i}]"
        if not isinstance(raw, dict):
            bad(where, "expected a table")
            continue
        name, kind = raw.get("name"), raw.get("kind")
        if not isinstance(name, str) or not name:
            bad(f"{where}.name", "missing or not a string")
        elif name in names:
            bad(f"{where}.name", f"duplicate feed name {name!r}")
        names.add(name if isinstance(name, str) else "")
        if kind not in FEED_KINDS:
            bad(f"{where}.kind", f"unknown feed kind {kind!r} (known: {', '.join(FEED_KINDS)})")
            continue
        found = kinds.check(kind, raw)
        for key, message in found:
            bad(f"{where}.{key}", message)
        if found:
            continue
        interval = kinds.parse_interval(raw.get("interval", 5)) or 5.0
        options = {k: v for k, v in raw.items() if k not in kinds.COMMON}
        fpath = None
        if kind == "snapshot":
            if not isinstance(raw["path"], str):
                bad(f"{where}.path", "expected a string (a folder path)")
                continue
            fpath = (base / raw["path"]).resolve()
        feeds.append(FeedSpec(str(name), str(kind), fpath, interval, options))

    def layout_ok(name: str) -> bool:
        return layouts_dir.is_dir() and (layouts_dir / f"{name}.toml").is_file() and (
            not layouts or name in layouts)

    control = parse_control(data, bad)
    carousel = parse_carousel(data, bad, layout_ok)
    takeover = parse_takeover(data, bad, layout_ok)
    nodes = parse_nodes(wall, bad)
    mqtt = parse_mqtt(data, bad)
    tiles = parse_map(data, bad, base)
    retention = parse_store(data, bad)
    if nodes and mqtt is None:
        bad("mqtt", "a wall of several nodes ([wall.nodes]) needs the [mqtt] broker that links them")
    if problems:
        raise ConfigError(problems)
    return SiteConfig(
        layouts_dir=layouts_dir, layouts=tuple(layouts) if layouts else None,
        screen_map=tuple(screen_map) if screen_map is not None else None,
        cache=(base / cache).resolve() if cache else None, feeds=tuple(feeds), source=path,
        control=control, carousel=carousel, takeover=takeover, nodes=nodes, mqtt=mqtt, tiles=tiles,
        daily_restart=daily_restart, retention_days=retention)


def parse_store(data: dict, bad) -> float | None:
    """[store] retention_days: a number of days within :data:`RETENTION_RANGE`."""
    if "store" not in data:
        return None
    store = data["store"]
    if not isinstance(store, dict):
        bad("store", "expected a table")
        return None
    for key in store:
        if key != "retention_days":
            bad(f"store.{key}", "unknown key (expected retention_days)")
    days = store.get("retention_days")
    if days is None:
        return None
    low, high = RETENTION_RANGE
    if isinstance(days, bool) or not isinstance(days, int | float) or not low <= days <= high:
        bad("store.retention_days", f"expected a number of days from {low} to {high}, "
                                    f"found {days!r}")
        return None
    return float(days)
