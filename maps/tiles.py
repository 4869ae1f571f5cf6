"""A site's own tile layer: the disk cache and the fetch (the ``[map]`` settings are
:mod:`cockpit.model.config_map`). No Qt.

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

import http.client
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from cockpit.model.config_map import (  # noqa: F401 (re-exported for the map's view)
    MAP_KEYS,
    MAX_ZOOM,
    PLACEHOLDERS,
    SUBDOMAINS,
    TILE_CRS,
    TILE_PAGE_URL,
    TileSettings,
    default_tile_cache,
    redact,
    template_problem,
)


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
