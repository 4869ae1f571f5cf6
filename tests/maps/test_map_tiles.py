"""A site tile server under the districts: the [map] config, the disk cache, the fetch, and the
page in a real QWebEngineView loading tiles through cockpit:// from a loopback tile server,
then from the disk cache alone once that server is gone."""

from __future__ import annotations

import http.server
import os
import struct
import threading
import time
import zlib
from dataclasses import replace

import pytest
from support.mapview import evaluate
from support.waiting import eventually

from cockpit.model.config import ConfigError, load_config
from maps.tiles import (
    TileCache,
    TileFetchError,
    TileSettings,
    fetch_tile,
    redact,
    template_problem,
    tile_address,
)


def png(rgb: tuple[int, int, int] = (30, 60, 90), size: int = 4) -> bytes:
    """A tiny valid PNG, one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class TileServer:
    """A loopback tile server: PNGs at /z/x/y.png, and a few misbehaving paths; counts requests."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server API)
                outer.hits.append(self.path)
                path = self.path.split("?")[0]
                if path.startswith("/slow"):
                    time.sleep(1.5)  # a slow tile server: the sleep is the fault under test
                if path.startswith("/drip"):
                    self.send_response(200)
                    self.end_headers()
                    for _ in range(30):
                        self.wfile.write(b"\x89")
                        self.wfile.flush()
                        time.sleep(0.1)  # a dripping answer: the fault under test
                    return
                if path.startswith("/big"):
                    body = png() + b"\0" * (3 * 1024 * 1024)
                elif path.startswith("/html"):
                    body = b"<html>quota exceeded</html>"
                elif path.startswith("/missing"):
                    self.send_response(404)
                    self.end_headers()
                    return
                else:
                    body = png()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="tile-server",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def tile_server():
    server = TileServer()
    yield server
    if server.thread.is_alive():
        server.stop()


# -- the [map] section ---------------------------------------------------------------------

def _load(tmp_path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_no_map_section_means_no_tiles(tmp_path):
    assert _load(tmp_path, "version = 1\n[wall]\n").tiles is None


def test_a_tile_url_with_its_defaults(tmp_path):
    config = _load(tmp_path, '[map]\ntile_url = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"\n')
    tiles = config.tiles
    assert tiles.url == "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    assert tiles.crs == "gcj02" and tiles.max_mb == 500 and tiles.cache_dir is None
    assert tiles.folder.parent.name == "tiles"  # the user cache dir's tiles folder
    config = _load(tmp_path, '[map]\ntile_url = "http://{s}.t.example/{z}/{x}/{y}.png?tk=k"\n'
                             'tile_crs = "wgs84"\ntile_cache = "cache/tiles"\n'
                             'tile_cache_max_mb = 50\n')
    assert config.tiles.crs == "wgs84" and config.tiles.max_mb == 50
    assert config.tiles.cache_dir == (tmp_path / "cache" / "tiles").resolve()
    assert config.tiles.tile_url(8, 215, 98) in (
        f"http://{s}.t.example/8/215/98.png?tk=k" for s in "abc")
    assert "tk=k" not in repr(config.tiles)


def test_map_section_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '[map]\ntile_url = "ftp://tiles.example/{z}/{x}/{y}.png"\n'
                        'tile_crs = "bd09"\ntile_cache = 3\ntile_cache_max_mb = -1\nzoom = 8\n')
    where = {p.path: p.message for p in err.value.problems}
    assert set(where) == {"map.tile_url", "map.tile_crs", "map.tile_cache",
                          "map.tile_cache_max_mb", "map.zoom"}
    assert "http" in where["map.tile_url"] and "unknown key" in where["map.zoom"]
    assert all(p.file == str(tmp_path / "site.toml") for p in err.value.problems)
    with pytest.raises(ConfigError, match=r"map.tile_crs: needs map.tile_url"):
        _load(tmp_path, '[map]\ntile_crs = "gcj02"\n')
    with pytest.raises(ConfigError, match=r"map: expected a table"):
        _load(tmp_path, 'map = "x"\n')


@pytest.mark.parametrize(("url", "problem"), [
    ("https://t.example/{z}/{x}.png", "lacks {y}"),
    ("https://t.example/{z}/{x}/{y}/{q}.png", "unknown placeholder"),
    ("https://t.example/{z}/{x}/{y.png", "unbalanced"),
    ("file:///srv/tiles/{z}/{x}/{y}.png", "scheme 'file'"),
    ("tiles.example/{z}/{x}/{y}.png", "http"),
    ("https://user:pw@t.example/{z}/{x}/{y}.png", "user:password"),
    (42, "expected a string"),
])
def test_bad_tile_templates(url, problem):
    assert problem in (template_problem(url) or "")


def test_good_tile_templates():
    for url in ("https://t.example/{z}/{x}/{y}.png", "http://{s}.t.example:8080/t?z={z}&x={x}&y={y}",
                "https://t.example/{z}/{y}/{x}"):
        assert template_problem(url) is None, url


def test_redact_drops_the_query_string():
    assert redact("https://t.example/8/1/2.png?tk=SECRET&x=1") == "https://t.example/8/1/2.png?…"
    assert redact("http://t.example:81/8/1/2.png") == "http://t.example:81/8/1/2.png"


def test_tile_addresses():
    assert tile_address("/8/215/98") == (8, 215, 98)
    assert tile_address("/1/2/0") is None  # x out of range at zoom 1
    assert tile_address("/8/215/98/../x") is None and tile_address("/8/-1/2") is None


# -- the disk cache ------------------------------------------------------------------------

def test_the_cache_writes_atomically_and_prunes_least_recently_used(tmp_path):
    settings = TileSettings("https://t.example/{z}/{x}/{y}.png", cache_dir=tmp_path)
    tile = png() + b"\0" * 1000
    cache = TileCache(settings.folder, max_bytes=5 * len(tile))
    for i in range(5):
        cache.put(5, i, 0, tile)
        os.utime(cache.path(5, i, 0), (1000 + i, 1000 + i))  # written one after the other
    assert cache.get(5, 0, 0) == tile  # the oldest, used again: now the most recent
    assert not list(tmp_path.rglob("*.part"))
    cache.put(5, 5, 0, tile)  # over the limit: prune down to 90 %
    left = {p.parent.name for p in tmp_path.rglob("*.tile")}
    assert "0" in left and "5" in left
    assert "1" not in left and "2" not in left  # the least recently used went
    assert sum(p.stat().st_size for p in tmp_path.rglob("*.tile")) <= 0.9 * 5 * len(tile)


def test_a_failed_cache_write_leaves_no_partial_file(tmp_path, monkeypatch):
    cache = TileCache(tmp_path / "src", max_bytes=10**6)

    def boom(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        cache.put(3, 1, 1, png())
    assert cache.get(3, 1, 1) is None
    assert not list(tmp_path.rglob("*.part"))


# -- the fetch -----------------------------------------------------------------------------

def test_fetch_gets_a_tile(tile_server):
    assert fetch_tile(f"{tile_server.base}/3/1/2.png?key=SECRET") == png()
    assert tile_server.hits == ["/3/1/2.png?key=SECRET"]


@pytest.mark.parametrize(("path", "options", "problem"), [
    ("/missing", {}, "HTTP 404"),
    ("/html", {}, "not an image"),
    ("/big", {}, "cap"),
    ("/slow", {"read_s": 0.3}, "timed out"),
    ("/drip", {"read_s": 1.0, "total_s": 0.5}, "longer than 0.5 s"),
])
def test_fetch_refuses_bad_answers_without_leaking_the_key(tile_server, path, options, problem):
    with pytest.raises(TileFetchError) as err:
        fetch_tile(f"{tile_server.base}{path}?key=SECRET", **options)
    assert problem in str(err.value)
    assert "SECRET" not in str(err.value) and "?…" in str(err.value)


def test_fetch_from_nowhere_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(TileFetchError, match="Connection"):
        fetch_tile("http://127.0.0.1:9/1/0/0.png")  # discard port: refused
    assert time.monotonic() - t0 < 3


def test_the_tiled_page_asks_only_the_scheme():
    import re

    from maps.page import build_page
    from maps.tiles import TILE_PAGE_URL

    html_text = build_page(tile_url=TILE_PAGE_URL)
    assert "cockpit://tiles/{z}/{x}/{y}" in html_text
    assert not re.findall(r"https?://[^\s\"'<>)]+", html_text)


# -- in a real web view --------------------------------------------------------------------

TILE_COUNT = ("JSON.stringify([document.querySelectorAll('img.leaflet-tile').length, "
              "[...document.querySelectorAll('img.leaflet-tile-loaded')]"
              ".filter(i => i.complete && i.naturalWidth > 0).length])")


def _tiles_loaded(view, timeout_s: float = 20.0) -> tuple[int, int]:
    """(tile images in the page, of them loaded) once every one has loaded; fails on timeout."""
    import json

    from support.mapview import wait_ms

    def counts():
        total, loaded = json.loads(evaluate(view, TILE_COUNT))
        return (total, loaded) if total and loaded == total else None

    return eventually(counts, timeout_s, 0.2, sleep=lambda s: wait_ms(int(s * 1000)),
                      message="every tile image loaded")


def _view(tiles):
    from widgets.map_view import MapView, wait_until_drawn

    v = MapView(tiles=tiles)
    v.resize(900, 700)
    v.show()
    assert wait_until_drawn([v], settle_ms=50)
    return v


def _close(view) -> None:
    import shiboken6

    view.close()
    shiboken6.delete(view)


@pytest.mark.slow
def test_tiles_load_through_the_scheme_then_from_the_disk_cache_offline(qapp, tile_server,
                                                                         tmp_path, caplog):
    from widgets.map_view import map_profile

    settings = TileSettings(f"{tile_server.base}/{{z}}/{{x}}/{{y}}.png?key=SECRET",
                            cache_dir=tmp_path)
    view = _view(settings)
    try:
        total, loaded = _tiles_loaded(view)
        assert total > 0 and loaded == total, (total, loaded)
        srcs = evaluate(view, "[...document.querySelectorAll('img.leaflet-tile')].map(i => i.src)")
        assert all(s.startswith("cockpit://tiles/") for s in srcs), srcs[:3]
        assert tile_server.hits and all(h.endswith("?key=SECRET") for h in tile_server.hits)
        # the page asked for the tiles only through cockpit://: the host itself stays out of
        # its reach (the interceptor, or Chromium's mixed-content rule before it)
        evaluate(view, f"new Image().src = '{tile_server.base}/1/0/0.png?direct'; 1")
        from support.mapview import wait_ms

        wait_ms(1000)
    finally:
        _close(view)
    assert not any("direct" in h for h in tile_server.hits)
    cached = sorted(settings.folder.rglob("*.tile"))
    assert len(cached) == len(set(tile_server.hits)) >= loaded
    assert all(p.read_bytes() == png() for p in cached)
    assert not list(tmp_path.rglob("*.part"))

    tile_server.stop()  # the network is gone
    before = len(tile_server.hits)
    fresh = replace(settings, max_mb=499.0)  # same cache folder, a new profile: nothing in memory
    assert fresh.folder == settings.folder
    view = _view(fresh)
    try:
        total, loaded = _tiles_loaded(view)
        assert total > 0 and loaded == total, (total, loaded)
        service = map_profile(fresh).handler.tiles
        assert service.fetches == 0  # every tile came from the disk cache
        # a tile never cached fails cleanly, and the key stays out of the log
        evaluate(view, "const i = new Image(); i.onload = () => document.body.dataset.t = 'ok';"
                       " i.onerror = () => document.body.dataset.t = 'failed';"
                       " i.src = 'cockpit://tiles/2/1/1'; 1")
        from support.mapview import wait_ms

        for _ in range(50):
            if evaluate(view, "document.body.dataset.t || ''"):
                break
            wait_ms(100)
        assert evaluate(view, "document.body.dataset.t") == "failed"
        assert service.fetches == 1
    finally:
        _close(view)
    assert len(tile_server.hits) == before
    assert "map tile not fetched" in caplog.text and "SECRET" not in caplog.text


@pytest.mark.slow
def test_no_tile_url_no_tile_layer_and_no_requests(qapp, tile_server):
    from widgets.map_view import map_profile

    view = _view(None)
    try:
        assert evaluate(view, "document.querySelectorAll('.leaflet-tile, .leaflet-tile-pane img')"
                              ".length") == 0
        assert map_profile(None).handler.tiles is None
        evaluate(view, "new Image().src = 'cockpit://tiles/1/0/0'; 1")
    finally:
        _close(view)
    assert tile_server.hits == []
