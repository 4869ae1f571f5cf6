"""The ``feeds`` status strip and stale data on the wall, from feed_health written by the real
runner against loopback servers; widgets built from a layout spec like the wall builds them."""

from __future__ import annotations

import socket
from datetime import timedelta

import requests
from support.feedkit import reply

from cockpit.data.ingest import FeedRunner, tick
from cockpit.demo.simulator import Faults
from cockpit.model.layout import parse_layout
from cockpit.model.registry import PANEL_KINDS
from cockpit.panels.feed_health import feeds as feeds_query
from cockpit.panels.observations import kpi
from feeds.http import HttpPolicy
from feeds.rest import RestFeed

POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=3, retries=0)
LAYOUT = """version = 1
name = "数据源"
[[screens]]
title = "数据源状态"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "feeds"
  kind = "feeds"
  title = "数据源状态"
  cell = { col = 0, row = 0 }
  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 1, row = 0 }
  stale_after = "10m"
  metric = "aqi"
"""
MAPPING = {"ts": "monitorTime", "entity_id": "areaCode", "district": "areaCode",
           "metric": "indexCode", "value": "indexValue", "fixed": {"entity_type": "district"}}


def _rest(name: str, url: str, **paging) -> RestFeed:
    return RestFeed(name, 5, {"url": url, "mapping": MAPPING, "since_param": "startTime",
                              "paging": paging or {"type": "page", "size": 500}},
                    requests.Session(), policy=POLICY)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make(qtbot, spec):
    widget = PANEL_KINDS.get(spec.kind).widget_class()(spec)
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_status_strip_shows_failing_partial_and_ok_feeds(qtbot, sim, scripted, store, clock):
    stamp = clock.now().strftime("%Y-%m-%d %H:%M:%S")
    short = scripted(lambda h, n: reply(h, 200, {"code": 0, "data": {"total": 9, "list": [
        {"monitorTime": stamp, "areaCode": "370702", "indexCode": "aqi", "indexValue": "1"}]
        if n == 0 else []}}))
    feeds = [_rest("数据中台", sim.url + "/api/v1/indicators"),
             _rest("旧网关", f"http://127.0.0.1:{_closed_port()}/api"),
             _rest("区县平台", short.url + "/api", type="page", size=1)]
    FeedRunner(store, feeds, clock=clock.now).backfill_all()
    layout = parse_layout(LAYOUT, "status.toml")
    spec = layout.panel("feeds")
    vm = feeds_query(store.reader(), spec, clock.now())
    assert [(r.feed, r.state) for r in vm.rows] == [
        ("旧网关", "failing"), ("区县平台", "partial"), ("数据中台", "ok")]
    panel = _make(qtbot, spec)
    panel.set_now(clock.now() + timedelta(minutes=3))
    panel.set_view_model(vm)
    shown = panel.shown()
    assert [r[:3] for r in shown] == [("旧网关", "故障", "从未成功"),
                                      ("区县平台", "部分", "3分钟前"),
                                      ("数据中台", "正常", "3分钟前")]
    assert shown[0][3].startswith("ConnectionError") and "只取到 1/9 条" in shown[1][3]
    assert shown[2][3] == f"累计 {6 * 12 * 14:,} 行"
    panel.grab()  # paints without a Qt warning


def test_panel_of_a_failing_feed_keeps_its_data_and_shows_it_stale(qtbot, sim, store, clock):
    feed = _rest("数据中台", sim.url + "/api/v1/indicators")
    runner = FeedRunner(store, [feed], clock=clock.now)
    runner.backfill_all()
    spec = parse_layout(LAYOUT, "status.toml").panel("aqi")
    panel = _make(qtbot, spec)
    panel.set_now(clock.now())
    panel.set_view_model(kpi(store.reader(), spec, clock.now()))
    assert panel.badge is None and panel.vm.value is not None
    sim.sim.set_faults(Faults(error=1.0))
    clock.advance(30 * 60)  # half an hour of a failing source
    assert not runner._attempt(feed, lambda now: tick(feed, store, now))
    later = kpi(store.reader(), spec, clock.now())
    assert later.value is not None  # the last data stays
    panel.set_now(clock.now())
    panel.set_view_model(later)
    assert panel.badge.startswith("数据截至") and "数据中台" in panel.badge
    strip = feeds_query(store.reader(), parse_layout(LAYOUT, "s.toml").panel("feeds"),
                        clock.now())
    assert strip.rows[0].state == "failing" and "HTTP 500" in strip.rows[0].error
