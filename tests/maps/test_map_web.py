"""The map in a real QWebEngineView, offscreen: it loads over cockpit://, takes pushed updates,
reports district clicks, runs no feed-supplied script and reaches no network.

One page is shared by the module (QtWebEngine takes a few seconds to start)."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import replace

import pytest
from support import NOW, ROOT
from support.mapview import evaluate, wait_ms

from maps.escape import safe_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def view(qapp):
    from widgets.map_view import MapView, wait_until_drawn

    v = MapView()
    v.resize(900, 700)
    v.show()
    assert wait_until_drawn([v], settle_ms=50)
    yield v
    v.close()
    v.deleteLater()


def test_page_loads_over_the_scheme_with_the_districts(view):
    assert view.url().toString() == "cockpit://map/page/map.html"
    assert evaluate(view, "document.title") == "map-ready"
    assert evaluate(view, "typeof L") == "object"  # Leaflet from the local package
    assert evaluate(view, "cockpit.districtFill('370705')") is not None


def test_a_pushed_update_changes_colours_without_a_reload(view):
    loads = []
    view.loadStarted.connect(lambda: loads.append(1))
    view.push(json.dumps({"districts": {"370705": {"color": "#123456", "tip": "奎文区"}},
                          "devices": [{"id": "d1", "robot": False, "kind": "sensor", "lat": 36.7,
                                       "lon": 119.1, "color": "#00ff00", "tip": "d1"}]}))
    assert evaluate(view, "cockpit.districtFill('370705')") == "#123456"
    assert evaluate(view, "cockpit.markerFill('d1')") == "#00ff00"
    view.push(json.dumps({"districts": {"370705": {"color": "#abcdef", "tip": "奎文区"}},
                          "devices": [{"id": "d1", "robot": False, "kind": "sensor", "lat": 36.7,
                                       "lon": 119.1, "color": "#ff0000", "tip": "d1"}]}))
    assert evaluate(view, "cockpit.districtFill('370705')") == "#abcdef"
    assert evaluate(view, "cockpit.markerFill('d1')") == "#ff0000"
    view.push(json.dumps({"devices": [], "heat": [{"id": "h1", "lat": 36.7, "lon": 119.1,
                                                   "radius": 3000, "color": "#ef4444"}]}))
    assert evaluate(view, "cockpit.counts().devices") == 0
    assert evaluate(view, "cockpit.counts().heat") == 1
    view.push(json.dumps({"heat": []}))
    assert evaluate(view, "cockpit.counts().heat") == 0
    assert loads == []


def test_points_stay_where_they_belong_when_the_map_is_laid_out_again(view, qtbot):
    from widgets.map_view import wait_until_drawn

    device = {"id": "d9", "robot": False, "kind": "sensor", "lat": 36.72, "lon": 119.16,
              "color": "#00ff00", "tip": "奎文区站"}
    view.push(json.dumps({"devices": [device]}))
    try:
        # a wide strip's map cell, then a 4K one, then back, each laid out twice in a row before a
        # frame is drawn (as a page being built is): every layout refits the districts
        for w, h in ((2400, 900), (1800, 1600), (900, 700)):
            view.resize(w // 2, h // 2)
            evaluate(view, "window.dispatchEvent(new Event('resize')); 1")
            view.resize(w, h)
            assert wait_until_drawn([view], settle_ms=50)
            qtbot.waitUntil(lambda: evaluate(view, "cockpit.drift('d9')") is not None, timeout=5000)
            assert evaluate(view, "cockpit.drift('d9')") <= 1, (w, h)
    finally:
        view.resize(900, 700)
        view.push(json.dumps({"devices": []}))


def test_robots_are_drawn_apart_from_sensors(view):
    robot = {"id": "r1", "robot": True, "kind": "patrol_robot", "lat": 36.7, "lon": 119.0,
             "color": "#22c55e", "tip": "巡逻机器人"}
    sensor = {"id": "s1", "robot": False, "kind": "sensor", "lat": 36.7, "lon": 119.2,
              "color": "#22c55e", "tip": "传感器"}
    view.push(json.dumps({"devices": [robot, sensor]}))
    shapes = json.loads(evaluate(view, "JSON.stringify([document.querySelectorAll("
                                       "'.robot-icon.patrol').length, document.querySelectorAll("
                                       "'path.leaflet-interactive[fill=\"#22c55e\"]').length])"))
    assert shapes[0] == 1 and shapes[1] >= 1
    assert evaluate(view, "cockpit.markerFill('r1')") in ("#22c55e", "rgb(34, 197, 94)")
    view.push(json.dumps({"devices": [{**robot, "color": "#ef4444"}, sensor]}))
    assert evaluate(view, "cockpit.markerFill('r1')") in ("#ef4444", "rgb(239, 68, 68)")
    view.push(json.dumps({"devices": []}))
    assert evaluate(view, "document.title") == "map-ready"


HOSTILE = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "</script><script>document.title='pwned'</script>",
    "`; document.title='pwned'; `",
    "${document.title='pwned'}",
    "\\`${(document.title='pwned')}\\`",
    "<svg onload=\"document.title='pwned'\">",
    "<a href=javascript:document.title='pwned'>x</a>",
]


def test_hostile_feed_text_shows_verbatim_and_runs_nothing(view, tmp_path):
    from cockpit.data.store import Store
    from cockpit.model.layout import load_layout
    from cockpit.panels.map import map_layers

    store = Store(tmp_path / "x.duckdb")
    try:
        for i, text in enumerate(HOSTILE):
            store.write(lambda con, i=i, text=text: con.execute(
                "INSERT INTO entities VALUES (?, 'camera', ?, '370705', ?, 119.1, 'fault', '{}', ?)",
                [f"x{i}{text}", text, 36.6 + i * 0.01, NOW]))
            store.write(lambda con, i=i, text=text: con.execute(
                "INSERT INTO alerts (alert_id, ts, feed, severity, category, title, detail, district,"
                " lat, lon, state) VALUES (?, ?, 'demo', 'critical', 'fire', ?, ?, '370705', ?, 119.2,"
                " 'open')", [f"a{i}{text}", NOW, text, text, 36.6 + i * 0.01]))
        layout = load_layout(ROOT / "layouts" / "overview.toml")
        spec = next(p for p in layout.panels() if p.kind == "map")
        spec = replace(spec, params={**spec.params, "layers": ["districts", "devices", "alerts"]})
        vm = map_layers(store.reader(), spec, NOW)
    finally:
        store.close()
    view.push(vm.payload)
    shown = json.loads(evaluate(view, "JSON.stringify(cockpit.openAll())"))  # each tooltip opened, its text read back
    assert len(shown) >= 2 * len(HOSTILE)
    for text in HOSTILE:
        assert any(text in s for s in shown), text
    assert evaluate(view, "document.querySelectorAll('.leaflet-tooltip img, .leaflet-tooltip svg,"
                          " .leaflet-tooltip script, .leaflet-tooltip a').length") == 0
    assert evaluate(view, "document.title") == "map-ready"
    view.push(json.dumps({"devices": [], "alerts": []}))


def test_legend_text_is_escaped(view):
    view.push(json.dumps({"legend": {"title": safe_text(HOSTILE[1]),
                                     "items": [["#ff0000", safe_text(HOSTILE[6])]]}}))
    assert evaluate(view, "document.querySelector('.legend').textContent").startswith(HOSTILE[1])
    assert evaluate(view, "document.querySelectorAll('.legend img, .legend svg').length") == 0
    assert evaluate(view, "document.title") == "map-ready"
    view.push(json.dumps({"legend": None}))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server API)
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"//")

    def log_message(self, *args):
        pass


def test_the_interceptor_blocks_a_loopback_server(view):
    """The measurement in the issue: a page loaded by setHtml reaches a loopback server. On the
    map's profile the interceptor stops it; the map page itself reaches nothing either."""
    import shiboken6
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

    from widgets.map_view import map_profile

    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, name="loopback-http")
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    html = f"<img src='{base}/leak?img'><script src='{base}/leak?script'></script>"
    pages = []
    try:
        evaluate(view, f"fetch('{base}/leak?fetch').catch(() => 0); new Image().src = "
                       f"'{base}/leak?map-img'; 1")
        guarded = QWebEnginePage(map_profile())
        guarded.setHtml(html, QUrl(base + "/"))
        pages.append(guarded)
        wait_ms(1500)
        assert _Recorder.hits == []
        blocked = list(map_profile().interceptor.blocked)
        assert f"{base}/leak?img" in blocked and f"{base}/leak?script" in blocked, blocked
        # the control: the same page on a profile without the interceptor does reach it
        plain_profile = QWebEngineProfile()
        plain = QWebEnginePage(plain_profile)
        plain.setHtml(html, QUrl(base + "/"))
        pages.append(plain)
        for _ in range(30):
            if _Recorder.hits:
                break
            wait_ms(100)
        assert any("img" in h or "script" in h for h in _Recorder.hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        for page in pages:
            shiboken6.delete(page)
        if len(pages) == 2:
            shiboken6.delete(plain_profile)


def test_a_click_on_a_district_drills_in_and_a_second_returns(qtbot, qapp):
    from cockpit.model.layout import load_layout
    from widgets.map import MapPanel
    from widgets.map_view import wait_until_drawn

    layout = load_layout(ROOT / "layouts" / "overview.toml")
    spec = next(p for p in layout.panels() if p.kind == "map")
    panel = MapPanel(spec)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    assert wait_until_drawn([panel.view], settle_ms=50)
    with qtbot.waitSignal(panel.district_selected, timeout=5000) as blocker:
        panel.view.run("cockpit.clickDistrict('370705')")
    assert blocker.args == ["370705"]
    assert panel.display_title().endswith("（奎文区）")
    assert evaluate(panel.view, "cockpit.selected()") == "370705"
    with qtbot.waitSignal(panel.district_selected, timeout=5000) as blocker:
        panel.view.run("cockpit.clickDistrict('370705')")
    assert blocker.args == ["370700"]
    assert evaluate(panel.view, "cockpit.selected() || 'city'") == 'city'
    assert panel.display_title() == spec.title


def test_screenshot_of_the_overview_shows_the_districts(tmp_path):
    """``cockpit screenshot`` captures the live map: its cyan district boundaries and the AQI
    choropleth fills are in the PNG, inside the map's cells (the centre of the first screen)."""
    import subprocess
    import sys

    from PySide6.QtGui import QColor, QImage

    result = subprocess.run([sys.executable, "-m", "cockpit.cli", "screenshot", "--layout",
                             "overview", "--out", str(tmp_path), "--size", "1920x1080"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "did not finish drawing" not in result.stderr
    img = QImage(str(tmp_path / "overview-1.png"))
    assert (img.width(), img.height()) == (1920, 1080)
    boundary = fills = 0
    for y in range(int(1080 * 0.15), int(1080 * 0.65), 2):
        for x in range(int(1920 * 0.30), int(1920 * 0.70), 2):
            c = QColor(img.pixel(x, y))
            r, g, b = c.red(), c.green(), c.blue()
            if r < 120 and g > 160 and b > 190:  # the boundary colour, #1fd5f9 over the fills
                boundary += 1
            elif r > 90 and r > b + 40:  # an AQI class colour (green ... maroon) over the card
                fills += 1
            elif g > 90 and g > b + 40:
                fills += 1
    assert boundary > 500, boundary
    assert fills > 5000, fills


def test_stale_data_dims_the_map_and_says_so(qtbot, qapp):
    from datetime import timedelta

    from cockpit.model.layout import load_layout
    from maps.layers import MapVM
    from widgets.map import MapPanel
    from widgets.map_view import wait_until_drawn

    layout = load_layout(ROOT / "layouts" / "overview.toml")
    spec = next(p for p in layout.panels() if p.kind == "map")
    panel = MapPanel(spec)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    panel.set_now(NOW)
    panel.set_view_model(MapVM(payload="{}", as_of=NOW - timedelta(hours=5), source="demo",
                               devices=0, alerts=0))
    assert wait_until_drawn([panel.view], settle_ms=0)
    assert panel.stale and panel.badge and "demo" in panel.badge
    assert evaluate(panel.view, "document.body.classList.contains('stale')") is True
    assert panel.view.geometry().bottom() < panel.height() - panel.badge_height()  # badge visible
    panel.set_view_model(MapVM(payload="{}", as_of=NOW, source="demo", devices=0, alerts=0))
    assert evaluate(panel.view, "document.body.classList.contains('stale')") is False


def test_the_interceptor_lets_through_only_the_scheme(qapp):
    """Even with a site tile server the page asks for tiles through cockpit://tiles (the fetch
    is ours, off the page), so the tile host is blocked to the page like any other."""
    from PySide6.QtCore import QUrl

    from widgets.map_view import OfflineInterceptor

    gate = OfflineInterceptor()
    assert gate.allows(QUrl("cockpit://map/static/leaflet/leaflet.js"))
    assert gate.allows(QUrl("cockpit://tiles/8/215/98"))
    assert not gate.allows(QUrl("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"))
    assert not gate.allows(QUrl("http://127.0.0.1:8080/x"))
    assert not gate.allows(QUrl("file:///etc/passwd"))
    assert not gate.allows(QUrl("https://tiles.weifang.example/8/215/98.png"))


def test_a_map_squeezed_to_nothing_and_back_keeps_working(view):
    """A page with no area (its window parked while a screen is unplugged, a tile squeezed):
    the map used to fit a NaN zoom, throw at every later fit and push, and stay blank after
    it had its size back."""
    before = len(view.page().errors)
    for w, h in ((0, 0), (1, 1), (900, 0), (900, 700)):
        view.resize(w, h)
        wait_ms(200)
    zoom = evaluate(view, "(function () { for (var k in window) { var m = window[k]; "
                          "if (k.indexOf('map_') === 0 && m && m.getZoom) return m.getZoom(); } "
                          "return null; })()")
    assert isinstance(zoom, int | float) and 5 < zoom < 15, zoom
    view.push(json.dumps({"districts": {"370705": {"color": "#13579b", "tip": "奎文区"}}}))
    assert evaluate(view, "cockpit.districtFill('370705')") == "#13579b"
    assert view.page().errors[before:] == []  # nothing the page reported as an error


#: Pairs of district names whose boxes overlap on the page, counted from the DOM.
LABEL_OVERLAPS = """(function () {
  var e = document.querySelectorAll('.district-label'), n = 0;
  for (var i = 0; i < e.length; i++) for (var j = i + 1; j < e.length; j++) {
    var a = e[i].getBoundingClientRect(), b = e[j].getBoundingClientRect();
    if (Math.min(a.right, b.right) > Math.max(a.left, b.left) &&
        Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top)) n++;
  }
  return e.length * 1000 + n;
})()"""


def test_no_two_district_names_overlap_at_any_wall_size(view):
    """潍城区 and 奎文区 lie side by side in the centre: at a wall's zoom their names ran into
    one ("潍城奎文区"). At the map cells of 1080p, 4K and a strip, every name stands apart."""
    from widgets.map_view import wait_until_drawn

    try:
        for w, h in ((620, 400), (900, 700), (1300, 820), (1800, 1600), (2400, 900)):
            view.resize(w, h)
            assert wait_until_drawn([view], settle_ms=50)
            assert evaluate(view, LABEL_OVERLAPS) == 12 * 1000, (w, h)  # 12 names, none overlap
    finally:
        view.resize(900, 700)
        assert wait_until_drawn([view], settle_ms=50)
