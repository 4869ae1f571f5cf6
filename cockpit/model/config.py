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

Every key of every section and feed kind is declared once, as pydantic models in
:mod:`cockpit.model.schema` (docs/config-reference.md is generated from them): unknown keys are
errors at any depth, with "did you mean" when a known key is close. This module adds the checks
that need the files around (layouts that exist, node screens some layout has) and builds the
runtime objects: the frozen dataclasses of :mod:`cockpit.model.config_control` and
:mod:`cockpit.model.config_map`, and a :class:`FeedSpec` per feed whose ``options`` are the
feed table's own keys as written (what the adapters in ``feeds/`` read).
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from cockpit.model import resources
from cockpit.model.config_control import (
    MIN_TOKEN,
    CarouselSettings,
    ControlSettings,
    MqttSettings,
    Stop,
    TakeoverSettings,
)
from cockpit.model.config_map import TileSettings
from cockpit.model.files import parse_toml_checked, read_text_checked
from cockpit.model.layout_spec import MAX_PROBLEMS, WHOLE_FILE, Problem
from cockpit.model.schema.values import (  # noqa: F401 (re-exported)
    COMMON,
    CONFIG_VERSION,
    RETENTION_RANGE,
    parse_interval,
    parse_time,
)

#: Names re-exported from the models, imported when first asked for: the wall's start path
#: (which loads no site config) then neither imports pydantic nor builds the config's models.
_LAZY = {"FEED_KINDS": "feeds", "WORDS": "feeds", "TOP_KEYS": "site", "WALL_KEYS": "site",
         "Site": "site"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"cockpit.model.schema.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


BUNDLED_LAYOUTS = resources.layouts_dir()
DEMO_SNAPSHOT = resources.demo_snapshot()


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
    warm: int | None = 1  # [wall] warm: layouts kept drawn either side of the one on show (None: all)
    retention_days: float | None = None  # [store]; None: the command's default (run 30, demo 3)


def demo_config(snapshot: Path = DEMO_SNAPSHOT) -> SiteConfig:
    return SiteConfig(feeds=(FeedSpec("demo", "snapshot", snapshot, 5.0),))


class ConfigError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def is_site_config(data: dict) -> bool:
    from cockpit.model.schema.site import TOP_KEYS

    return any(key in data for key in TOP_KEYS if key != "version")


def _table(data: Any, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _screen_counts(layouts_dir: Path, names: list[str] | None) -> dict[str, int]:
    """Layout id -> its number of screens, for the chosen layouts that read as TOML."""
    files = ([layouts_dir / f"{n}.toml" for n in names] if names
             else sorted(layouts_dir.glob("*.toml")))
    out = {}
    for file in files:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            continue  # the layout's own validation says why
        screens = data.get("screens")
        if not is_site_config(data) and isinstance(screens, list):
            out[file.stem] = len(screens)
    return out


def _around(data: dict, base: Path, bad) -> tuple[Path, list[str] | None]:
    """The checks that need the files around the config; the layouts folder and chosen ids."""
    wall = _table(data, "wall")
    layouts_dir = BUNDLED_LAYOUTS
    if isinstance(wall.get("layouts_dir"), str):
        layouts_dir = (base / wall["layouts_dir"]).resolve()
        if not layouts_dir.is_dir():
            bad("wall.layouts_dir", f"folder {layouts_dir} does not exist")
    layouts = wall.get("layouts")
    if not (isinstance(layouts, list) and layouts and all(isinstance(x, str) for x in layouts)):
        layouts = None
    for i, name in enumerate(layouts or ()):
        if name in layouts[:i]:
            bad(f"wall.layouts[{i}]", f"duplicate layout {name!r} "
                                      f"(already at wall.layouts[{layouts.index(name)}])")
        elif layouts_dir.is_dir() and not (layouts_dir / f"{name}.toml").is_file():
            bad(f"wall.layouts[{i}]", f"no layout file {name}.toml in {layouts_dir}")

    def layout_ok(name: object) -> bool:
        return isinstance(name, str) and layouts_dir.is_dir() and (
            layouts_dir / f"{name}.toml").is_file() and (not layouts or name in layouts)

    names: set[str] = set()
    raw_feeds = data.get("feeds")
    for i, raw in enumerate(raw_feeds if isinstance(raw_feeds, list) else ()):
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name:
            if name in names:
                bad(f"feeds[{i}].name", f"duplicate feed name {name!r}")
            names.add(name)
    playlist = _table(data, "carousel").get("playlist")
    for i, stop in enumerate(playlist if isinstance(playlist, list) else ()):
        if isinstance(stop, dict) and "layout" in stop and not layout_ok(stop["layout"]):
            bad(f"carousel.playlist[{i}].layout", f"no such layout {stop['layout']!r}")
    takeover = _table(data, "takeover")
    for cat, layout in _table(takeover, "categories").items():
        if not layout_ok(layout):
            bad(f"takeover.categories.{cat}", f"no such layout {layout!r}")
    if "default_layout" in takeover and not layout_ok(takeover["default_layout"]):
        bad("takeover.default_layout", f"no such layout {takeover['default_layout']!r}")
    nodes = wall.get("nodes")
    if isinstance(nodes, dict) and nodes:
        if "mqtt" not in data:
            bad("mqtt", "a wall of several nodes ([wall.nodes]) needs the [mqtt] broker that "
                        "links them")
        counts = _screen_counts(layouts_dir, layouts) if layouts_dir.is_dir() else {}
        most = max(counts.values(), default=0)
        for node, screens in nodes.items():
            for screen in screens if isinstance(screens, list) and counts else ():
                if isinstance(screen, int) and not isinstance(screen, bool) and screen >= most:
                    bad(f"wall.nodes.{node}",
                        f"screen {screen} is in none of the chosen layouts (they have at most "
                        f"{most} screen(s), numbered from 0): the node would show only a clock")
    return layouts_dir, layouts


def _env_tokens(tokens_env: dict[str, str], bad) -> dict[str, str]:
    """``[control] tokens_env``'s secrets from this PC's environment (never shown)."""
    out = {}
    for name, var in tokens_env.items():
        secret = os.environ.get(var, "")
        if len(secret) < MIN_TOKEN:
            bad(f"control.tokens_env.{name}",
                f"the environment variable {var} is {'too short' if secret else 'not set'} here "
                f"(the token needs {MIN_TOKEN}+ characters; the wall reads it at start)")
        else:
            out[name] = secret
    return out


def load_config(path: str | Path) -> SiteConfig:
    """The site config at ``path``, validated; :class:`ConfigError` lists every problem."""
    site, data, layouts_dir, layouts = _validate(Path(path))
    return _build(site, data, Path(path), layouts_dir, layouts)


def load_config_apart(path: str | Path, timeout: float = 60.0) -> SiteConfig:
    """:func:`load_config`, validated in a child process (``python -m
    cockpit.model.config_apart``), so a wall never imports pydantic nor builds the config's
    models: ~11 MiB it would keep all its life for one look at a file. The same problems are
    raised; a child that cannot run leaves the config validated here, with a warning."""
    import logging
    import pickle
    import subprocess

    from cockpit.model.child import last_error, run_module

    path = Path(path)
    answer = None
    try:
        done = run_module("cockpit.model.config_apart", str(path), timeout=timeout)
        if done.returncode == 0:
            answer = pickle.loads(done.stdout)
        why = last_error(done) or f"exit status {done.returncode}, no answer"
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        why = str(exc)
    if not (isinstance(answer, tuple) and answer and answer[0] in ("ok", "problems")):
        logging.getLogger(__name__).warning(
            "the site config could not be checked in a child process (%s); checked here", why)
        return load_config(path)
    if answer[0] == "problems":
        raise ConfigError(answer[1])
    _, site, data, layouts_dir, layouts = answer
    return _build(site, data, path, layouts_dir, layouts)


def _validate(path: Path) -> tuple[dict, dict, Path, list[str] | None]:
    """The config's checks: its dumped model (plain values), its TOML, the layouts folder and
    chosen ids; :class:`ConfigError` lists every problem."""
    from pydantic import ValidationError

    from cockpit.model.schema import base as schema_base
    from cockpit.model.schema.feeds import WORDS
    from cockpit.model.schema.site import Site

    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        problems.append(Problem(str(path), where, message))

    def refuse(message: str) -> ConfigError:
        return ConfigError([Problem(str(path), WHOLE_FILE, message)])

    data = parse_toml_checked(read_text_checked(path, refuse), refuse)
    base = path.parent
    site: Site | None = None
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        for where, message in schema_base.problems(exc, Site, WORDS):
            bad(where, message)
    layouts_dir, layouts = _around(data, base, bad)
    if site is not None and site.control is not None:
        _env_tokens(site.control.tokens_env, bad)
    if problems or site is None:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS],
                        Problem(str(path), WHOLE_FILE, f"and {len(problems) - MAX_PROBLEMS:,} "
                                                       f"more problem(s) not listed")]
        raise ConfigError(problems)
    return site.model_dump(), data, layouts_dir, layouts


def _raise(where: str, message: str) -> None:  # checked already by load_config
    raise ConfigError([Problem("(environment)", where, message)])


def _build(site: dict, data: dict, path: Path, layouts_dir: Path,
           layouts: list[str] | None) -> SiteConfig:
    """The runtime objects of a validated config (``site``: its model dumped as plain values,
    so that building them needs no pydantic)."""
    base, wall = path.parent, site["wall"]
    feeds = []
    for feed, raw in zip(site["feeds"], data.get("feeds", []), strict=True):
        fpath = (base / feed["path"]).resolve() if feed["kind"] == "snapshot" else None
        feeds.append(FeedSpec(feed["name"], feed["kind"], fpath,
                              parse_interval(feed["interval"]) or 5.0,
                              {k: v for k, v in raw.items() if k not in COMMON}))
    c, k, t, q, m = (site[key] for key in ("control", "carousel", "takeover", "mqtt", "map"))
    store = site["store"]
    return SiteConfig(
        layouts_dir=layouts_dir, layouts=tuple(layouts) if layouts else None,
        screen_map=tuple(wall["screen_map"]) if wall["screen_map"] is not None else None,
        cache=(base / wall["cache"]).resolve() if wall["cache"] else None, feeds=tuple(feeds),
        source=path,
        control=c and ControlSettings(
            bind=c["bind"], port=c["port"],
            tokens={**c["tokens"], **_env_tokens(c["tokens_env"], _raise)},
            max_age=float(c["max_age"]), failures_per_minute=c["failures_per_minute"],
            audit_days=c["audit_days"]),
        carousel=k and CarouselSettings(
            tuple(Stop(s["layout"], float(s["dwell"])) for s in k["playlist"]), k["autostart"],
            float(k["idle_resume"])),
        takeover=t and TakeoverSettings(t["min_severity"], dict(t["categories"]),
                                        t["default_layout"], float(t["poll"]), t["sound"]),
        nodes={n: tuple(s) for n, s in wall["nodes"].items()} if wall["nodes"] else None,
        mqtt=q and MqttSettings(q["host"], q["port"], q["wall"], q["username"], q["password"],
                                q["password_env"]),
        tiles=TileSettings(url=m["tile_url"], crs=m["tile_crs"],
                           cache_dir=(base / m["tile_cache"]).resolve() if m["tile_cache"]
                           else None,
                           max_mb=float(m["tile_cache_max_mb"])) if m and m["tile_url"] else None,
        daily_restart=parse_time(wall["daily_restart"]) if wall["daily_restart"] else None,
        warm=None if wall["warm"] == "all" else wall["warm"],
        retention_days=float(store["retention_days"])
        if store and store["retention_days"] is not None else None)
