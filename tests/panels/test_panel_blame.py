"""A panel without data names only the feeds that could feed it (issue 15): the feeds that
have written its metrics or alerts to the cache. The view-models and the feeds' health come
from a real cache the feeds' rows and the runner's health records were written into; no Qt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.data.store import Store
from cockpit.model.layout import parse_layout
from cockpit.panels import freshness
from cockpit.panels.alerts import alerts
from cockpit.panels.freshness import for_panel, judge, read_health
from cockpit.panels.observations import kpi
from feeds.common import Batch

T = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
FEEDS = {"数据中台": 30.0, "物联感知": 60.0, "传感器网": 60.0, "设备平台": 60.0}
LAYOUT = """version = 1
name = "归因"
[[screens]]
title = "t"
grid = { columns = 4, rows = 1 }
  [[screens.panels]]
  id = "hotline"
  kind = "kpi"
  title = "今日12345受理"
  cell = { col = 0, row = 0 }
  metric = "hotline_opened"
  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 1, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "alerts"
  kind = "alerts"
  title = "告警"
  cell = { col = 2, row = 0 }
  [[screens.panels]]
  id = "users"
  kind = "kpi"
  title = "爱山东用户"
  cell = { col = 3, row = 0 }
  metric = "wst_users"
"""


def _write(store: Store, feed: str, metric: str | None, at: datetime, *,
           alert: bool = False) -> None:
    batch = Batch(feed)
    if metric:
        batch.observe(at, "370700", metric, 42.0, entity_type="district", district="370700")
    if alert:
        batch.alert(f"{feed}-1", at, severity="major", category="environment", title="PM2.5 超标",
                    district="370705")
    store.ingest(feed, observations=batch.table("observations"), alerts=batch.table("alerts"),
                 at=at)


def _ok(store: Store, feed: str, at: datetime = T) -> None:
    store.record_health(feed, attempt=at, success=True, error=None, rows=1, latency_ms=1)


def _fail(store: Store, feed: str, error: str) -> None:
    store.record_health(feed, attempt=T + timedelta(seconds=30), success=False, rows=0,
                        latency_ms=1,
                        error=f"FetchError: feed {feed}: {error}")


@pytest.fixture
def cache(tmp_path):
    """数据中台 wrote the hotline figures, 物联感知 an alert, both longer ago than any panel
    looks back (so those panels have no data now); 传感器网 writes the air figures and has just
    failed; 设备平台 never delivered anything and fails too."""
    freshness._supplies.clear()
    old = T - timedelta(days=10)
    with Store(tmp_path / "c.duckdb") as store:
        _write(store, "数据中台", "hotline_opened", old)
        _write(store, "物联感知", None, old, alert=True)
        store.acknowledge_alerts(["物联感知-1"], "值班员", old)
        store.clear_alerts(["物联感知-1"], old)
        _write(store, "传感器网", "aqi", T - timedelta(days=9))
        for feed in ("数据中台", "物联感知"):
            _ok(store, feed)
        _ok(store, "传感器网", T - timedelta(minutes=5))
        _fail(store, "传感器网", "HTTP 404 from http://127.0.0.1/v1.1/Observations")
        _fail(store, "设备平台", "ConnectionError: refused")
        yield store


def _verdict(store: Store, panel_id: str, query) -> freshness.Verdict:
    spec = parse_layout(LAYOUT, "blame.toml").panel(panel_id)
    with store.reading() as cur:
        vm = query(cur, spec, T)
        health = read_health(cur, FEEDS)
    assert vm.as_of is None  # the panel has no data: the case this is about
    return judge(vm, spec, for_panel(vm, health), T)


def test_a_panel_without_data_does_not_blame_a_feed_that_cannot_feed_it(cache):
    hotline = _verdict(cache, "hotline", kpi)
    assert hotline.state == "empty" and "传感器网" not in hotline.badge, hotline
    assert "设备平台" not in hotline.badge
    alert_list = _verdict(cache, "alerts", alerts)
    assert alert_list.state == "empty" and "传感器网" not in alert_list.badge, alert_list


def test_it_names_its_own_failing_feed(cache):
    aqi = _verdict(cache, "aqi", kpi)
    assert aqi == freshness.Verdict("failed", "无数据 · 传感器网：HTTP 404")
    _fail(cache, "数据中台", "ReadTimeout: read timed out")
    hotline = _verdict(cache, "hotline", kpi)
    assert hotline == freshness.Verdict("failed", "无数据 · 数据中台：ReadTimeout: read timed out")


def test_data_no_feed_has_written_blames_only_feeds_that_wrote_nothing(cache):
    users = _verdict(cache, "users", kpi)  # nobody has written wst_users: 设备平台 might
    assert users == freshness.Verdict("failed", "无数据 · 设备平台：ConnectionError: refused")


def test_suppliers_are_read_only_while_a_feed_fails_and_then_reused(cache):
    _ok(cache, "传感器网")
    _ok(cache, "设备平台")
    with cache.reading() as cur:
        health = read_health(cur, FEEDS)
    assert all(not h.supplies for h in health) and not freshness._supplies
    _fail(cache, "设备平台", "ConnectionError: refused")
    with cache.reading() as cur:
        supplies = {h.feed: h.supplies for h in read_health(cur, FEEDS)}
    assert supplies == {"数据中台": {"hotline_opened"}, "物联感知": {"alerts"},
                        "传感器网": {"aqi"}, "设备平台": frozenset()}
    _write(cache, "设备平台", "wst_users", T)  # within the reuse time: not read again
    with cache.reading() as cur:
        assert read_health(cur, FEEDS)[3].supplies == frozenset()
        assert freshness.read_supplies(cur, ttl=0)["设备平台"] == {"wst_users"}
