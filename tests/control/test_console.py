"""The tablet console end to end: a real wall (``cockpit run``, offscreen) and headless Chromium
driven with touch events at a tablet's size. What a leader does — tap a layout, drag the replay
scrubber, tap a district, acknowledge an alert — is checked on the wall itself (its status,
its log), and feed text in an alert title stays text. First, what the console reads (the
alert list, the district outlines), without a browser."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from datetime import timedelta

import duckdb
import pytest
from support.browser import CHROMIUM, Browser
from support.waiting import eventually
from support.walls import DEMO, TOKEN, WallProcess, free_port

in_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (bootstrap.sh installs it)")

# -- what the console reads ---------------------------------------------------------------------
@pytest.mark.parametrize(("query", "field"), [
    ({"from": "1700000000"}, "to"), ({"to": "1700000000"}, "from"),
    ({"from": "1700000600", "to": "1700000000"}, "to"), ({"from": "nan", "to": "1700000000"}, "from"),
    ({"from": "1e300", "to": "1e301"}, "from"), ({"from": "0", "to": "1700000000"}, "from"),
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "-1"}, "limit"),
    ({"limit": "9" * 40}, "limit"), ({"limit": "²"}, "limit"), ({"state": "open"}, "state")])
def test_a_bad_alert_query_is_refused_naming_the_parameter(query, field):
    from cockpit.control.readings import QueryError, alert_query

    with pytest.raises(QueryError) as refused:
        alert_query(query)
    assert refused.value.field == field, str(refused.value)


def test_the_alert_list_is_open_and_acknowledged_newest_first_or_a_span_in_every_state(tmp_path):
    import pyarrow as pa
    from support import NOW

    from cockpit.control.readings import alert_list, alert_query
    from cockpit.data.store import Store

    with Store(tmp_path / "alerts.duckdb") as store:
        store.upsert("alerts", pa.table({
            "alert_id": ["old", "acked", "cleared", "open", "future"],
            "ts": [NOW - timedelta(days=3), NOW - timedelta(hours=2), NOW - timedelta(hours=1),
                   NOW - timedelta(minutes=5), NOW + timedelta(minutes=5)],
            "severity": ["minor", "major", "critical", "critical", "info"],
            "category": ["fire"] * 5, "title": ["a", "b", "c", "d", "e"],
            "district": ["370705"] * 5, "state": ["open", "acked", "cleared", "open", "open"]}))
        listed = store.read(lambda cur: alert_list(cur, now=NOW, **alert_query({})))
        assert [a["id"] for a in listed["alerts"]] == ["open", "acked", "old"]
        assert listed["alerts"][0] == {"id": "open", "ts": (NOW - timedelta(minutes=5)).timestamp(),
                                       "severity": "critical", "category": "fire", "title": "d",
                                       "district": "370705", "state": "open"}
        span = alert_query({"from": str((NOW - timedelta(days=1)).timestamp()),
                            "to": str(NOW.timestamp()), "limit": "2"})
        marked = store.read(lambda cur: alert_list(cur, now=NOW, **span))
        assert [a["id"] for a in marked["alerts"]] == ["open", "cleared"] and marked["truncated"]


def test_the_districts_are_the_wall_map_s_own_as_svg_outlines():
    from cockpit.control.readings import district_outlines
    from maps.page import districts

    out = district_outlines()
    features = districts()["features"]
    assert [(d["code"], d["name"]) for d in out["districts"]] == [
        (f["properties"]["adcode"], f["properties"]["name"]) for f in features]
    assert len(out["districts"]) == 12 and out["width"] == 1000 and 900 < out["height"] < 1200
    for d in out["districts"]:
        assert d["path"].startswith("M") and d["path"].endswith("Z")
        assert set(d["path"]) <= set("MLZ0123456789.,-")  # numbers only: nothing to escape
        xs = [float(v.split(",")[0]) for v in d["path"].replace("M", "L").replace("Z", "").split("L") if v]
        assert 0 <= min(xs) and max(xs) <= 1000
        assert 0 <= d["label"][0] <= 1000 and 0 <= d["label"][1] <= out["height"]
    assert len(json.dumps(out)) < 60_000  # small enough for a tablet on the wall's Wi-Fi


# -- in Chromium -------------------------------------------------------------------------------
XSS = '<img src=x onerror="window.__xss=1">'
XSS_ID = "demo-000317"  # the recording's last alert (open): at the wall's start with align = "now"


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    """A wall of two layouts on the demo, its last alert's title a script, placed at now;
    ready once it has loaded the recording."""
    tmp = tmp_path_factory.mktemp("console")
    snap = tmp / "snapshot"
    shutil.copytree(DEMO, snap)
    con = duckdb.connect()
    alerts = (snap / "alerts.parquet").as_posix()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN alert_id = ? THEN ? ELSE title END AS title) "
                f"FROM read_parquet('{alerts}')) TO '{tmp.as_posix()}/alerts.parquet' (FORMAT parquet)",
                [XSS_ID, XSS])
    shutil.move(tmp / "alerts.parquet", snap / "alerts.parquet")
    meta = (snap / "meta.parquet").as_posix()  # the digests no longer hold: an unverified snapshot
    con.execute(f"COPY (SELECT * FROM read_parquet('{meta}') WHERE key = 'schema_version') "
                f"TO '{tmp.as_posix()}/meta.parquet' (FORMAT parquet)")
    shutil.move(tmp / "meta.parquet", snap / "meta.parquet")
    con.close()
    port = free_port()
    config = tmp / "site.toml"
    config.write_text(f"""version = 1
[wall]
layouts = ["overview", "safety"]
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{snap.as_posix()}"
align = "now"
[control]
port = {port}
tokens = {{ tablet = "{TOKEN}" }}
""", encoding="utf-8")
    proc = WallProcess(config, tmp / "wall.duckdb")
    proc.wait_for("control on", timeout=60)
    proc.port = port
    try:
        eventually(lambda: get(proc, "/api/alerts")["alerts"], 30, 0.2, message="no alerts loaded")
        yield proc
    finally:
        proc.stop()


def get(wall, path: str):  # the wall's API as the CLI would ask it
    req = urllib.request.Request(f"http://127.0.0.1:{wall.port}{path}",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=15) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def page(wall, tmp_path_factory):
    """The console at 1280x800 with the token entered (once: the tab keeps it)."""
    b = Browser(tmp_path_factory.mktemp("profile"))
    b.call("Page.enable")
    b.size(1280, 800)
    b.call("Page.navigate", url=f"http://127.0.0.1:{wall.port}/")
    b.wait_js("document.readyState === 'complete' && !document.getElementById('login').hidden")
    b.js(f"document.getElementById('token').value = {json.dumps(TOKEN)}; "
         "document.getElementById('save').click(); true")
    b.wait_js("document.querySelectorAll('#layouts .card').length === 2")
    yield b
    b.close()


def view(page, name: str) -> None:
    page.tap(f".rail-btn[data-view={name}]")
    page.wait_js(f"!document.getElementById('view-{name}').hidden")


@pytest.mark.slow
@in_chromium
def test_a_tap_on_a_thumbnail_switches_the_wall(wall, page):
    assert page.js("document.cookie") == "" and page.js("location.href").endswith("/")  # no token
    view(page, "layouts")
    assert get(wall, "/api/status")["layout"] == "overview"
    card = ".card[data-layout=safety]"
    # every target a finger may aim at is 48 px or more each way
    small = page.js("""[...document.querySelectorAll('button, .btn, #track')].filter(e => e.offsetParent)
        .map(e => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48).map(([name]) => name)""")
    assert small == []
    mark = wall.mark()
    page.tap(card)
    wall.wait_for(r"showing safety at", start=mark, timeout=30)
    assert get(wall, "/api/status")["layout"] == "safety"
    page.wait_js(f"document.querySelector('{card}').classList.contains('current')")
    page.wait_js("document.getElementById('chip-layout').textContent.includes('平安')")


@pytest.mark.slow
@in_chromium
def test_dragging_the_scrubber_replays_the_wall_at_the_dragged_moment(wall, page):
    page.wait_js("Number(document.getElementById('marks').dataset.count) > 0")  # alerts marked
    page.tap("#speeds [data-speed='1']")
    box = page.js("(() => { const r = document.getElementById('track-inner').getBoundingClientRect();"
                  " return [r.left, r.width, r.top + r.height / 2]; })()")
    left, width, y = box
    page.drag([(left + width * 0.3, y), (left + width * 0.45, y), (left + width * 0.6, y)])
    # the moment 60 % along the last 24 hours, as the finger left it
    wanted = time.time() - 24 * 3600 * 0.4
    per_px = 24 * 3600 / width
    status = None

    def replaying():
        nonlocal status
        status = get(wall, "/api/status")
        return status["replay"]["state"] == "playing"

    eventually(replaying, 15, 0.2, message="the wall never replayed")
    moment = datetime_of(status["replay"]["moment"])
    assert abs(moment - wanted) < 2 * per_px + 30, (status["replay"], wanted)
    assert status["replay"]["speed"] == 1
    page.wait_js("document.getElementById('chip-time').textContent.startsWith('回放')")
    # inside the replay under way, a drag seeks: same span, the moment where the finger left
    started = status["replay"]["from"]
    page.drag([(left + width * 0.7, y), (left + width * 0.8, y)])
    wanted = time.time() - 24 * 3600 * 0.2

    def sought():
        nonlocal status
        status = get(wall, "/api/status")
        return abs(datetime_of(status["replay"]["moment"]) - wanted) < 2 * per_px + 30

    eventually(sought, 15, 0.2, message="the drag did not seek the replay")
    assert status["replay"]["from"] == started and status["replay"]["state"] == "playing"
    page.tap("#live")
    eventually(lambda: get(wall, "/api/status")["replay"]["state"] == "live", 15, 0.2,
               message="返回实时 did not bring the wall back to live")


def datetime_of(text: str) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


@pytest.mark.slow
@in_chromium
def test_a_tap_on_a_district_drills_the_wall_and_the_city_button_returns(wall, page):
    view(page, "map")
    page.wait_js("document.querySelectorAll('#map path').length === 12")
    # the label point of 奎文区, where a finger would tap it
    x, y = page.js("""(() => {
        const t = [...document.querySelectorAll('#map text')].find(t => t.textContent === '奎文区');
        const r = t.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()""")
    assert page.js(f"document.elementFromPoint({x}, {y}).dataset.code") == "370705"
    mark = wall.mark()
    page.call("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}])
    page.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])
    wall.wait_for(r"control: drill 370705 by tablet", start=mark, timeout=15)
    page.tap("#city")
    wall.wait_for(r"control: drill 370700 by tablet", start=mark, timeout=15)


@pytest.mark.slow
@in_chromium
def test_an_alert_is_acknowledged_from_the_list(wall, page):
    view(page, "alerts")
    page.wait_js("document.querySelectorAll('#alerts li.alert button.ack').length > 0")
    alert_id = page.js(f"document.querySelector('#alerts li.alert:not([data-id=\"{XSS_ID}\"]) "
                       "button.ack').closest('li').dataset.id")
    page.tap(f"#alerts li[data-id='{alert_id}'] button.ack")
    page.wait_js(f"document.querySelector(\"#alerts li[data-id='{alert_id}']\").textContent.includes('已确认')")
    listed = {a["id"]: a["state"] for a in get(wall, "/api/alerts")["alerts"]}
    assert listed[alert_id] == "acked"
    assert any(e["action"] == "ack" and e["detail"] == alert_id and e["outcome"] == "ok"
               for e in get(wall, "/api/log")["entries"])


@pytest.mark.slow
@in_chromium
def test_feed_text_in_an_alert_title_is_shown_as_text(wall, page):
    view(page, "alerts")
    page.wait_js(f"!!document.querySelector(\"#alerts li[data-id='{XSS_ID}']\")")
    assert page.js(f"document.querySelector(\"#alerts li[data-id='{XSS_ID}'] .title\").textContent") == XSS
    assert page.js("document.querySelectorAll('#alerts img').length") == 0
    assert page.js("window.__xss === undefined")


@pytest.mark.slow
@in_chromium
def test_the_alert_api_refuses_a_bad_span_and_marks_the_replay_span(wall):
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(wall, "/api/alerts?from=1700000000")
    assert refused.value.code == 400 and json.load(refused.value)["field"] == "to"
    now = time.time()
    marks = get(wall, f"/api/alerts?from={now - 86400:.0f}&to={now:.0f}&limit=500")["alerts"]
    assert marks and all(now - 86400 - 1 <= m["ts"] <= now + 1 for m in marks)
    assert {m["state"] for m in marks} >= {"open", "cleared"}  # every state: the span's history
