"""The freshness rules (cockpit/panels/freshness.py), pure: no Qt. The view-models come from the real
queries over a real cache the runner's health records were written into."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from support import DEMO_SNAPSHOT

from cockpit.data.replay import SnapshotReplay
from cockpit.data.store import Store
from cockpit.model.layout import parse_layout
from cockpit.panels.freshness import (
    FeedHealth,
    Freshness,
    for_panel,
    judge,
    read_health,
    short_error,
    summary,
)
from cockpit.panels.observations import kpi

T = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in Weifang
LAYOUT = """version = 1
name = "新鲜度"
[[screens]]
title = "t"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "derived"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 0, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "explicit"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 1, row = 0 }
  stale_after = "10m"
  metric = "aqi"
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The demo data (feed "demo") replayed up to T, and a second feed that never worked."""
    with Store(tmp_path_factory.mktemp("fresh") / "c.duckdb") as store:
        SnapshotReplay(DEMO_SNAPSHOT).backfill(store, T)
        store.record_health("demo", attempt=T, success=True, error=None, rows=1, latency_ms=1)
        store.record_health("旧网关", attempt=T, success=False, rows=0, latency_ms=1,
                            error="FetchError: feed 旧网关: ConnectionError: refused")
        yield store


@pytest.fixture(scope="module")
def specs():
    layout = parse_layout(LAYOUT, "fresh.toml")
    return layout.panel("derived"), layout.panel("explicit")


def _h(feed="demo", *, attempt=T, success=T, error=None, interval=60.0) -> FeedHealth:
    return FeedHealth(feed, attempt, success, error, interval)


def test_the_layout_says_whether_it_set_the_bound(specs):
    derived, explicit = specs
    assert not derived.stale_explicit and explicit.stale_explicit
    assert explicit.stale_after == 600


def test_the_feeds_behind_a_panel_come_from_its_data(cache, specs):
    health = read_health(cache.reader(), {"demo": 60.0, "数据中台": 30.0})
    assert [h.feed for h in health] == ["demo", "数据中台"]  # the config's feeds, in its order
    assert health[1].last_attempt is None and not health[1].failing  # not tried yet
    vm = kpi(cache.reader(), specs[0], T)
    assert vm.source == "demo"  # the feed column of the rows the figure was read from
    assert for_panel(vm, health).feeds == ("demo",)
    every = read_health(cache.reader())  # no config: every feed feed_health knows
    assert {h.feed: h.failing for h in every} == {"demo": False, "旧网关": True}


def test_default_bound_is_twice_the_feeds_interval_from_their_last_success(cache, specs):
    derived, _ = specs
    vm = kpi(cache.reader(), derived, T)
    fr = Freshness(("demo",), (_h(interval=60.0),))
    assert judge(vm, derived, fr, T + timedelta(seconds=119)).state == "fresh"
    later = judge(vm, derived, fr, T + timedelta(minutes=7))
    assert later.state == "stale"
    assert later.badge == "数据截至 12:00（7分钟前） · demo"
    # a success confirms the data as current, even when the source had nothing newer
    confirmed = Freshness(("demo",), (_h(success=T + timedelta(minutes=7),
                                          attempt=T + timedelta(minutes=7)),))
    assert judge(vm, derived, confirmed, T + timedelta(minutes=8)).state == "fresh"


def test_an_explicit_bound_holds_against_the_datas_own_time(cache, specs):
    _, explicit = specs
    vm = kpi(cache.reader(), explicit, T)
    # the feed answers every minute, but the figure itself is 11 minutes old: stale
    fr = Freshness(("demo",), (_h(success=T + timedelta(minutes=11),
                                  attempt=T + timedelta(minutes=11)),))
    verdict = judge(vm, explicit, fr, T + timedelta(minutes=11))
    assert verdict.state == "stale" and verdict.badge.startswith("数据截至 ")
    assert judge(vm, explicit, fr, T + timedelta(minutes=9)).state == "fresh"


def test_a_failed_feed_keeps_the_data_and_names_itself_and_its_error(cache, specs):
    derived, _ = specs
    vm = kpi(cache.reader(), derived, T)
    error = ("FetchError: feed demo: HTTP 502 from http://gw.example/api?key=*** "
             "bad gateway upstream timed out while reading (after 3 attempts)")
    fr = Freshness(("demo",), (_h(attempt=T + timedelta(seconds=30), error=error),))
    verdict = judge(vm, derived, fr, T + timedelta(seconds=31))
    assert verdict.state == "failed"  # at once, not only once the bound has passed
    assert verdict.badge.startswith("demo 故障：HTTP 502 bad gateway")
    assert verdict.badge.endswith("· 数据截至 12:00")
    assert "http://" not in verdict.badge and "attempts" not in verdict.badge
    # another feed failing does not touch a panel whose data does not come from it
    other = Freshness(("demo",), (_h(), _h("旧网关", success=None, error="refused")))
    assert judge(vm, derived, other, T + timedelta(seconds=31)).state == "fresh"


def test_no_data_waits_then_says_which_feed_failed(specs, tmp_path):
    derived, _ = specs
    with Store(tmp_path / "empty.duckdb") as empty:
        vm = kpi(empty.reader(), derived, T)
    assert vm.as_of is None
    assert judge(None, derived, None, T).badge == "等待数据…"
    waiting = Freshness((), (_h(attempt=None, success=None),))
    assert judge(vm, derived, waiting, T).badge == "等待数据…"
    failed = Freshness((), (_h(success=None, error="FetchError: feed demo: ConnectionError: "
                                                    "refused"),))
    verdict = judge(vm, derived, failed, T)
    assert verdict.state == "failed" and verdict.badge == "无数据 · demo：ConnectionError: refused"
    delivered = Freshness((), (_h(),))  # every feed delivered, none carries this figure
    assert judge(vm, derived, delivered, T).state == "empty"


def test_without_the_pump_a_widget_keeps_the_layouts_bound(cache, specs):
    derived, _ = specs
    vm = kpi(cache.reader(), derived, T)
    assert judge(vm, derived, None, T + timedelta(seconds=299)).state == "fresh"
    assert judge(vm, derived, None, T + timedelta(seconds=301)).state == "stale"
    unknown = replace(derived, stale_after=30.0)  # a feed not in the config: its own bound
    fr = Freshness(("demo",), (_h(interval=None),))
    assert judge(vm, unknown, fr, T + timedelta(seconds=31)).state == "stale"


def test_errors_are_cut_to_fit_and_summary_counts_panels():
    assert short_error(None) == "未知错误"
    long = short_error("Malformed: feed x: (body): " + "y" * 200)
    assert len(long) == 40 and long.endswith("…") and long.startswith("(body): yyy")
    assert summary(["fresh", "stale", "stale", "failed", "fresh"]) == \
        "2 个面板数据过期 · 1 个面板数据失败"
    assert summary(["fresh", "waiting"]) == "1 个面板等待数据"
    assert summary(["fresh", "empty"]) == "1 个面板暂无数据"
    assert summary(["fresh", "fresh"]) == "全部 2 个面板数据正常"
