"""The map page: generated once with folium, as a pure function returning the HTML string.

The page is one generic Leaflet map of Weifang's districts (folium draws the map and the
district GeoJSON); every live layer (choropleth colours, devices, alerts, heat) is pushed into
it afterwards by :mod:`widgets.map_view`'s bridge, so the page never has to be regenerated or reloaded
to show new data. Every script and style comes from the ``cockpit://`` scheme (Leaflet from the
xstatic-leaflet package, ours from ``maps/static``): folium's CDN links are replaced, and the
page references no remote URL. No Qt here.

The wall never imports folium: :func:`page_html` builds the page in a short child process
(``python -m maps.page``, the page's inputs as JSON on its standard input, the HTML on its
output), because folium, jinja2, branca and xyzservices would otherwise stay in the wall's
memory for weeks to be used once (11 MiB of PSS in a wall that holds everything else). If the
child cannot run, the page is built in the process, and the log says why.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path

from cockpit.model import resources
from cockpit.model.child import last_error, run_module
from cockpit.model.theme import theme
from maps.escape import safe_text

DISTRICTS_FILE = resources.districts_file()
#: What the map draws in: the boundaries' own system (AMap, Chinese tile servers use it too).
DRAW_CRS = "gcj02"
STATIC = "cockpit://map/static"
STATIC_FILES = Path(__file__).resolve().parent / "static"  # maps.static, package data
LEAFLET_JS = f"{STATIC}/leaflet/leaflet.js"
LEAFLET_CSS = f"{STATIC}/leaflet/leaflet.css"
PAGE_URL = "cockpit://map/page/map.html"
#: The theme's colours the page takes (the districts' fill and edge, the markers, the labels).
PAGE_COLORS = ("card_edge", "title_strip", "text", "text_dim", "critical", "major", "minor",
               "info", "background", "card")
#: Seconds the child that builds the page may take (it takes ~1 s: Python and folium's imports).
CHILD_TIMEOUT_S = 60.0

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def districts() -> dict:
    return json.loads(DISTRICTS_FILE.read_text("utf-8"))


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element (no ``</``, no line separators)."""
    return (json.dumps(value, ensure_ascii=True, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def build_page(*, tile_url: str | None = None, version: str = "",
               colors: dict[str, str] | None = None) -> str:
    """The whole page as HTML. ``tile_url`` (a site's own tile server) adds a base layer;
    ``colors``: the theme's (:data:`PAGE_COLORS`), the bundled theme's if not given."""
    import folium  # noqa: PLC0415 (only the page builder needs it)

    c = colors if colors is not None else theme().colors
    data = districts()
    m = folium.Map(location=[36.45, 119.1], zoom_start=8, tiles=None, zoom_control=False,
                   attribution_control=False, prefer_canvas=False, control_scale=False,
                   zoom_snap=0.1)
    # Offline: Leaflet from the local package instead of folium's CDN links, nothing else.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr="city tiles", name="tiles", max_zoom=18).add_to(m)
    features = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"adcode": f["properties"]["adcode"]},
                      "geometry": f["geometry"]} for f in data["features"]],
    }
    base = {"color": c["card_edge"], "weight": 1.5, "fillColor": c["title_strip"],
            "fillOpacity": 0.55, "opacity": 0.9}
    layer = folium.GeoJson(features, name="districts", style_function=lambda _f: base,
                           embed=True, zoom_on_click=False)
    layer.add_to(m)
    meta = [{"code": f["properties"]["adcode"], "name": safe_text(f["properties"]["name"]),
             "label": f["properties"]["label"]} for f in data["features"]]
    config = {"map": m.get_name(), "districts": layer.get_name(), "meta": meta,
              "colors": {k: c[k] for k in PAGE_COLORS},
              "crs": DRAW_CRS}
    root = m.get_root()
    root.header.add_child(folium.CssLink(f"{STATIC}/cockpit_map.css?v={version}"), name="cockpit_css")
    root.html.add_child(folium.Element(
        f'<script src="{STATIC}/qwebchannel.js"></script>'
        f'<script src="{STATIC}/cockpit_map.js?v={version}"></script>'))
    root.script.add_child(folium.Element(
        f"window.addEventListener('load', () => cockpit.init({_script_json(config)}));"))
    return root.render()


_lock = threading.Lock()


def page_html(*, tile_url: str | None = None) -> str:
    """The page, built once per process (see :func:`prebuild`)."""
    with _lock:
        return _cached_page(tile_url)


@lru_cache(maxsize=4)
def _cached_page(tile_url: str | None) -> str:
    version = str(int(max(p.stat().st_mtime for p in STATIC_FILES.iterdir())))
    inputs = {"tile_url": tile_url, "version": version,
              "colors": {k: theme().colors[k] for k in PAGE_COLORS}}
    try:
        return build_in_child(inputs)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("the map page could not be built in a child process (%s); built here, "
                    "and folium stays in this process's memory", exc)
        return build_page(**inputs)


def build_in_child(inputs: dict) -> str:
    """:func:`build_page` in a child process (``python -m maps.page``): the HTML, or an
    exception naming what went wrong (its exit status and last line of errors)."""
    done = run_module("maps.page", input=json.dumps(inputs).encode("utf-8"),
                      timeout=CHILD_TIMEOUT_S)
    html = done.stdout.decode("utf-8")  # not UTF-8: a ValueError, as any other failure
    if done.returncode != 0 or "</html>" not in html:
        error = last_error(done)
        raise ValueError(f"python -m maps.page exited with status {done.returncode}"
                         + (f": {error[:300]}" if error else ""))
    return html


_built: set[str | None] = set()  # tile URLs whose page is built (None: no tile layer)


def is_built(tile_url: str | None = None) -> bool:
    return tile_url in _built


def prebuild(tile_url: str | None = None, on_done=None) -> threading.Thread:
    """Build the page on a background thread, so the GUI thread never waits on folium;
    ``on_done()`` is called (on that thread) once it is built."""
    def build() -> None:
        page_html(tile_url=tile_url)
        _built.add(tile_url)
        if on_done is not None:
            on_done()

    t = threading.Thread(target=build, name="map-page-build", daemon=True)
    t.start()
    return t


def main() -> int:
    """``python -m maps.page``: the page's inputs (``tile_url``, ``version``, ``colors``) as a
    JSON object on standard input, the HTML on standard output."""
    sys.stdout.write(build_page(**json.loads(sys.stdin.read())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
