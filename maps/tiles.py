"""A site's own tile layer: the ``[map]`` settings, the disk cache and the fetch. No Qt.

```toml
[map]
tile_url = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"   # {z} {x} {y}, optional {s}
tile_crs = "gcj02"            # or "wgs84": what the tile server draws in (the map is GCJ-02)
tile_cache = "/var/cache/cockpit/tiles"   # default: a tiles folder in the user cache dir
tile_cache_max_mb = 500       # least recently used tiles are pruned beyond this
```

The page never asks the tile host itself: it asks ``cockpit://tiles/{z}/{x}/{y}`` and the
scheme handler (:mod:`widgets.map_view`) answers from :class:`TileCache`, or fetches with
:func:`fetch_tile` on a worker thread and stores the tile for the day the network is gone.
The URL's query string (often an API key) never reaches a log line: see :func:`redact`.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
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


def parse_map(data: dict, bad: Callable[[str, str], None], base: Path) -> TileSettings | None:
    """The ``[map]`` section; relative ``tile_cache`` paths are relative to the config file."""
    section = data.get("map")
    if section is None:
        return None
    if not isinstance(section, dict):
        bad("map", "expected a table")
        return None
    ok = True
    for key in section:
        if key not in MAP_KEYS:
            bad(f"map.{key}", f"unknown key (expected {', '.join(MAP_KEYS)})")
            ok = False
    url = section.get("tile_url")
    if url is None:
        for key in ("tile_crs", "tile_cache", "tile_cache_max_mb"):
            if key in section:
                bad(f"map.{key}", "needs map.tile_url (without it there is no tile layer)")
                ok = False
        return None
    problem = template_problem(url)
    if problem:
        bad("map.tile_url", problem)
        ok = False
    crs = section.get("tile_crs", "gcj02")
    if crs not in TILE_CRS:
        bad("map.tile_crs", f"expected one of {', '.join(TILE_CRS)}, found {crs!r}")
        ok = False
    cache_dir = section.get("tile_cache")
    if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir):
        bad("map.tile_cache", "expected a string (a folder path)")
        ok = False
    max_mb = section.get("tile_cache_max_mb", 500)
    if isinstance(max_mb, bool) or not isinstance(max_mb, int | float) or not max_mb > 0:
        bad("map.tile_cache_max_mb", f"expected a positive number of megabytes, found {max_mb!r}")
        ok = False
    if not ok:
        return None
    return TileSettings(url=url, crs=crs,
                        cache_dir=(base / cache_dir).resolve() if cache_dir else None,
                        max_mb=float(max_mb))


def tile_address(path: str) -> tuple[int, int, int] | None:
    """``/z/x/y`` (from ``cockpit://tiles/z/x/y``) as numbers, if it names a real tile."""
    m = re.fullmatch(r"/(\d{1,2})/(\d{1,8})/(\d{1,8})", path)
    if not m:
        return None
    z, x, y = (int(g) for g in m.groups())
    if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
        return None
    return z, x, y


def image_type(data: bytes) -> bytes | None:
    """The MIME type of a tile image by its first bytes (a 200 with an HTML error page is not)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return b"image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return b"image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return b"image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return b"image/gif"
    return None


class TileCache:
    """Tiles on disk, ``<folder>/<z>/<x>/<y>.tile``, written atomically (a temporary file
    renamed into place), pruned least-recently-used first (a hit refreshes the file's mtime)
    when the folder's parent (every tile server's tiles) grows past ``max_bytes``."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.root = folder.parent
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._size: int | None = None  # bytes under root, counted on the first write

    def path(self, z: int, x: int, y: int) -> Path:
        return self.folder / str(z) / str(x) / f"{y}.tile"

    def get(self, z: int, x: int, y: int) -> bytes | None:
        path = self.path(z, x, y)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # recently used
        except OSError:
            pass
        return data

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        path = self.path(z, x, y)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{y}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            old = path.stat().st_size if path.exists() else 0
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            if self._size is None:
                self._size = self._count()
            else:
                self._size += len(data) - old
            if self._size > self.max_bytes:
                self._prune()

    def _files(self) -> list[tuple[float, int, Path]]:
        out = []
        for p in self.root.rglob("*.tile"):
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((st.st_mtime, st.st_size, p))
        return out

    def _count(self) -> int:
        return sum(size for _m, size, _p in self._files())

    def _prune(self) -> None:
        """Oldest first, down to 90 % of the limit (so it does not run on every write)."""
        files = sorted(self._files(), key=lambda f: f[0])
        total = sum(size for _m, size, _p in files)
        target = int(self.max_bytes * 0.9)
        for _mtime, size, p in files:
            if total <= target:
                break
            try:
                p.unlink()
                total -= size
            except OSError:
                pass
        self._size = total


class TileFetchError(Exception):
    """A tile could not be fetched; the message names the URL without its query string."""


def fetch_tile(url: str, *, connect_s: float = 3.0, read_s: float = 5.0, total_s: float = 10.0,
               max_bytes: int = 2 * 1024 * 1024) -> bytes:
    """GET one tile: connect, read and total timeouts, a size cap, an image or an error.
    Redirects are not followed. Errors never carry the query string."""
    parts = urlsplit(url)
    where = redact(url)
    deadline = time.monotonic() + total_s
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=connect_s)
    try:
        try:
            conn.connect()
            conn.sock.settimeout(read_s)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers={"User-Agent": "weifang-cockpit",
                                                 "Accept": "image/*"})
            resp = conn.getresponse()
            if resp.status != 200:
                raise TileFetchError(f"{where}: HTTP {resp.status}")
            length = resp.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise TileFetchError(f"{where}: {length} bytes, over the {max_bytes} cap")
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise TileFetchError(f"{where}: took longer than {total_s:g} s")
                chunk = resp.read1(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TileFetchError(f"{where}: over the {max_bytes} byte cap")
                chunks.append(chunk)
        except (OSError, http.client.HTTPException) as exc:
            raise TileFetchError(f"{where}: {type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
    data = b"".join(chunks)
    if image_type(data) is None:
        raise TileFetchError(f"{where}: not an image ({len(data)} bytes)")
    return data
