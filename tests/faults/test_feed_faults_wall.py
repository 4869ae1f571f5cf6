"""The live feeds' faults run through the whole wall: WallShell on the offscreen screens, the
DataPump, the FeedRunner's own thread, a real DuckDB cache and two simulators on loopback, one
per feed. For each fault of the feed behind some panels (slow past the deadline, HTTP 500, a
garbage body, a dropped connection, Retry-After) those panels go failed — last data kept,
dimmed, the feed and its error on the badge, the status strip saying so — while the panels of
the other feed stay fresh and unchanged, to the pixel; when the fault ends they are fresh again.

The wall's clock is the tests' clock (feedkit): it moves only when the test moves it, so a busy
machine cannot make a panel stale by itself; the runner still runs on real time."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage
from support.feedkit import shared_world

from cockpit.data.ingest import FeedRunner
from cockpit.data.store import Store
from cockpit.demo.simulator import Faults, SimServer, Simulator
from cockpit.model.layout import parse_layout
from feeds.http import HttpPolicy
from feeds.rest import RestFeed

AIR, TRAFFIC = "数据中台", "交通平台"
INTERVAL = 0.4  # seconds between a feed's attempts (the runner's real schedule)
POLICY = HttpPolicy(connect_timeout=1, read_timeout=1, deadline=1.5, retries=0)
LAYOUT = """version = 1
name = "故障演练"
[[screens]]
title = "数据源故障"
grid = { columns = 2, rows = 2 }
  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "全市空气质量指数"
  cell = { col = 0, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "air_series"
  kind = "timeseries"
  title = "空气质量24小时"
  cell = { col = 0, row = 1 }
  metrics = ["aqi", "pm25"]
  hours = 1
  bucket_minutes = 5
  [[screens.panels]]
  id = "congestion"
  kind = "kpi"
  title = "交通拥堵指数"
  cell = { col = 1, row = 0 }
  metric = "congestion"
  [[screens.panels]]
  id = "congestion_rank"
  kind = "ranking"
  title = "区县拥堵排行"
  cell = { col = 1, row = 1 }
  metric = "congestion"
"""
MAPPING = {"ts": "monitorTime", "entity_id": "areaCode", "district": "areaCode",
           "metric": "indexCode", "value": "indexValue", "unit": "unit",
           "fixed": {"entity_type": "district"}}
AIR_PANELS, TRAFFIC_PANELS = ("aqi", "air_series"), ("congestion", "congestion_rank")
#: fault -> (what the simulator does, words of the error the badge must carry)
FAULTS = {
    "slow": (Faults(slow=1.0, trickle_s=0.2), "deadline"),
    "http_500": (Faults(error=1.0), "HTTP 500"),
    "garbage": (Faults(garbage=1.0), "not JSON"),
    "dropped": (Faults(drop=1.0), "Connection"),
    "retry_after": (Faults(retry_after=1.0), "HTTP 503"),
}


def _rest(name: str, url: str, metrics: str) -> RestFeed:
    return RestFeed(name, INTERVAL, {
        "url": url, "mapping": MAPPING, "since_param": "startTime",
        "params": {"indexCodes": metrics}, "paging": {"type": "page", "size": 500}},
        requests.Session(), policy=POLICY)


@dataclass
class Wall:
    shell: object
    pump: object
    runner: FeedRunner
    air: SimServer | None
    traffic: SimServer

    def panel(self, pid: str):
        return self.shell.slots[0].pages[0].panels[pid]

    @property
    def strip(self):
        return self.shell.slots[0].strips()[0]

    def states(self, pids) -> list[str]:
        return [self.panel(p).freshness_state for p in pids]


@contextmanager
def running_wall(qtbot, clock, tmp_path, *, air_port: int | None = None):
    """The whole wall on two simulators; with ``air_port``, the air feed's address has nothing
    listening yet (the test starts its server there when it likes)."""
    from PySide6.QtWidgets import QApplication

    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    world = shared_world(clock, 30 * 60)
    air = None if air_port else SimServer(Simulator(world)).start()
    traffic = SimServer(Simulator(world)).start()
    air_url = f"http://127.0.0.1:{air_port}" if air_port else air.url
    store = Store(tmp_path / "wall.duckdb")
    feeds = [_rest(AIR, air_url + "/api/v1/indicators", "aqi,pm25"),
             _rest(TRAFFIC, traffic.url + "/api/v1/indicators", "congestion")]
    shell = WallShell([parse_layout(LAYOUT, "faults.toml")],
                      [s.geometry() for s in QApplication.screens()])
    shell.show()
    qtbot.waitExposed(shell.windows[0])
    pump = DataPump(store, shell, interval_ms=300, clock=clock.now,
                    feeds={f.name: f.interval_s for f in feeds})
    runner = FeedRunner(store, feeds, on_batch=pump.data_arrived.emit, clock=clock.now)
    pump.start()
    runner.start()
    try:
        yield Wall(shell, pump, runner, air, traffic)
    finally:
        runner.stop()
        pump.stop()
        shell.close()
        for server in (air, traffic):
            if server is not None:
                server.stop()
        store.close()


@pytest.fixture
def wall(qtbot, clock, tmp_path):
    with running_wall(qtbot, clock, tmp_path) as w:
        qtbot.waitUntil(lambda: w.states([*AIR_PANELS, *TRAFFIC_PANELS]) == ["fresh"] * 4,
                        timeout=20000)
        yield w


def _said(panel) -> object:
    """What a panel shows, as text (figures as drawn; a line's points and last value)."""
    shown = panel.shown()
    if isinstance(shown, dict):
        return {k: v for k, v in shown.items() if k != "badge"}
    if shown and isinstance(shown[0], dict):  # timeseries
        return [(s["label"], s["points"], round(s["last"], 6)) for s in shown]
    return shown


def _content(panel) -> QImage:
    """The panel as drawn, above its badge line (what the badge covers is checked as text)."""
    panel.ensure_cache()
    image = panel.grab().toImage()
    r = panel.content_rect()
    return image.copy(QRect(r.left(), r.top(), r.width(), r.height()))


def _brightness(image: QImage) -> int:
    """The lightest pixel: the white figure, or what the veil left of it."""
    return max(image.pixelColor(x, y).lightness()
               for y in range(0, image.height(), 2) for x in range(0, image.width(), 2))


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_feed_fault_fails_its_panels_only_and_they_recover(qtbot, clock, wall, fault):
    faults, words = FAULTS[fault]
    before = {pid: _said(wall.panel(pid)) for pid in (*AIR_PANELS, *TRAFFIC_PANELS)}
    traffic_pixels = {pid: _content(wall.panel(pid)) for pid in TRAFFIC_PANELS}
    air_light = _brightness(_content(wall.panel("aqi")))
    aqi_value = wall.panel("aqi").shown()["value"]
    assert "全部 4 个面板数据正常" in wall.strip.text()

    wall.air.sim.set_faults(faults)
    clock.advance(0.2)  # the next attempt is later than the last success: well inside bounds
    qtbot.waitUntil(lambda: wall.states(AIR_PANELS) == ["failed", "failed"], timeout=15000)

    for pid in AIR_PANELS:  # the last good data stays, dimmed, with the feed and its error
        panel = wall.panel(pid)
        assert _said(panel) == before[pid] and panel.stale
        assert panel.badge.startswith(f"{AIR} 故障：") and words in panel.badge, panel.badge
        assert "数据截至" in panel.badge and "http://" not in panel.badge  # no address shown
    assert wall.panel("aqi").shown()["value"] == aqi_value is not None
    assert _brightness(_content(wall.panel("aqi"))) < air_light * 0.7  # the veil dims it
    for pid in TRAFFIC_PANELS:  # the other feed's panels: fresh and exactly as they were
        panel = wall.panel(pid)
        assert panel.freshness_state == "fresh" and panel.badge is None
        assert _said(panel) == before[pid]
        assert _content(panel) == traffic_pixels[pid]
    qtbot.waitUntil(lambda: "2 个面板数据失败" in wall.strip.text(), timeout=5000)
    feeds = {f: (text, detail) for f, text, detail in wall.strip.shown()["feeds"]}
    assert feeds[AIR][0] == "故障" and feeds[AIR][1][:12] in wall.panel("aqi").badge
    assert feeds[TRAFFIC][0] == "正常"
    assert wall.strip.shown()["feeds"][0][0] == AIR  # the failing feed comes first

    wall.air.sim.set_faults(Faults())
    clock.advance(0.2)
    qtbot.waitUntil(lambda: wall.states(AIR_PANELS) == ["fresh", "fresh"], timeout=15000)
    assert all(wall.panel(pid).badge is None for pid in AIR_PANELS)
    qtbot.waitUntil(lambda: "全部 4 个面板数据正常" in wall.strip.text(), timeout=5000)
    assert {f: t for f, t, _ in wall.strip.shown()["feeds"]} == {AIR: "正常", TRAFFIC: "正常"}


def test_panels_go_stale_as_time_passes_without_their_feeds(qtbot, clock, wall):
    wall.runner.stop()  # the node's feeds stop reporting in (a hung runner, a cut network)
    clock.advance(7 * 60)
    qtbot.waitUntil(lambda: wall.states([*AIR_PANELS, *TRAFFIC_PANELS]) == ["stale"] * 4,
                    timeout=10000)
    for pid in (*AIR_PANELS, *TRAFFIC_PANELS):
        badge = wall.panel(pid).badge
        assert badge.startswith("数据截至 ") and "（7分钟前）" in badge, badge
    assert wall.panel("aqi").shown()["value"] is not None  # never blank
    qtbot.waitUntil(lambda: "4 个面板数据过期" in wall.strip.text(), timeout=5000)
    assert [t for _, t, _ in wall.strip.shown()["feeds"]] == ["过期", "过期"]


def test_a_feed_that_never_delivers_says_so_instead_of_waiting_forever(qtbot, clock, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with running_wall(qtbot, clock, tmp_path, air_port=port) as wall:
        qtbot.waitUntil(lambda: wall.states(AIR_PANELS) == ["failed", "failed"], timeout=15000)
        for pid in AIR_PANELS:
            badge = wall.panel(pid).badge
            assert badge.startswith(f"无数据 · {AIR}：ConnectionError"), badge
        qtbot.waitUntil(lambda: wall.states(TRAFFIC_PANELS) == ["fresh", "fresh"], timeout=15000)
        assert wall.panel("congestion").shown()["value"] is not None
        qtbot.waitUntil(lambda: "2 个面板数据失败" in wall.strip.text(), timeout=5000)

        wall.air = SimServer(Simulator(shared_world(clock, 30 * 60)), port=port).start()  # it comes up
        clock.advance(0.2)
        qtbot.waitUntil(lambda: wall.states(AIR_PANELS) == ["fresh", "fresh"], timeout=15000)
        assert wall.panel("aqi").shown()["value"] is not None and wall.panel("aqi").badge is None
