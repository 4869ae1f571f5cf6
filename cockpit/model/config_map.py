"""The ``[map]`` section of the site config: a site's own tile layer. Pure: no Qt.

```toml
[map]
tile_url = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"   # {z} {x} {y}, optional {s}
tile_crs = "gcj02"            # or "wgs84": what the tile server draws in (the map is GCJ-02)
tile_cache = "/var/cache/cockpit/tiles"   # default: a tiles folder in the user cache dir
tile_cache_max_mb = 500       # least recently used tiles are pruned beyond this
```

The keys are declared and checked in :mod:`cockpit.model.schema.map`. The URL's query string (often an API key) never reaches a log line: see :func:`redact`. The
cache and the fetch are :mod:`maps.tiles`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_cache_path

#: What the page asks for (served by widgets.map_view's scheme handler).
TILE_PAGE_URL = "cockpit://tiles/{z}/{x}/{y}"
MAP_KEYS = ("tile_url", "tile_crs", "tile_cache", "tile_cache_max_mb")
TILE_CRS = ("gcj02", "wgs84")
PLACEHOLDERS = {"z", "x", "y", "s"}
MAX_ZOOM = 22
SUBDOMAINS = "abc"  # what {s} takes, as Leaflet does by default


def default_tile_cache() -> Path:
    return user_cache_path("weifang-cockpit", appauthor=False) / "tiles"


def redact(url: str) -> str:
    """``url`` fit for a log line: no query string, fragment or user info (keys live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")


@dataclass(frozen=True)
class TileSettings:
    url: str
    crs: str = "gcj02"
    cache_dir: Path | None = None  # None: default_tile_cache()
    max_mb: float = 500.0

    @property
    def folder(self) -> Path:
        """This tile server's own folder in the cache (a new URL never serves old tiles)."""
        root = self.cache_dir or default_tile_cache()
        return root / hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:16]

    def tile_url(self, z: int, x: int, y: int) -> str:
        sub = SUBDOMAINS[(x + y) % len(SUBDOMAINS)]
        return (self.url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
                .replace("{s}", sub))

    def __repr__(self) -> str:  # the URL's key never reaches a log line
        return (f"TileSettings(url={redact(self.url)!r}, crs={self.crs!r}, "
                f"cache_dir={self.cache_dir!r}, max_mb={self.max_mb})")


def template_problem(url: object) -> str | None:
    """What is wrong with a tile URL template, or None."""
    if not isinstance(url, str) or not url.strip():
        return "expected a string: a tile URL template such as https://host/{z}/{x}/{y}.png"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"expected an http:// or https:// URL, found scheme {parts.scheme or '(none)'!r}"
    if not parts.hostname or "{" in parts.netloc.replace("{s}", ""):
        return "expected a host name (only {s} may stand in it)"
    if parts.username or parts.password:
        return "user:password in the URL is not supported (put a key in the query string)"
    found = re.findall(r"\{([^{}]*)\}", url)
    unknown = sorted(set(found) - PLACEHOLDERS)
    if unknown:
        return f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)} " \
               "(known: {z} {x} {y} {s})"
    rest = re.sub(r"\{[zxys]\}", "", url)
    if "{" in rest or "}" in rest:
        return "unbalanced { or } in the template"
    missing = [p for p in ("z", "x", "y") if p not in found]
    if missing:
        return f"the template lacks {' '.join('{' + m + '}' for m in missing)}"
    return None
