"""The demo's replay follows the clock on the wall (issue 17): whenever the demo starts, the
morning rush peaks at 08:00 and the evening one at 18:00 local time, and the day's counters
restart at local midnight, not at whatever moment the recording's end was placed on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from support import DEMO_SNAPSHOT

from cockpit.data.replay import RESET_COUNTERS, SnapshotReplay
from cockpit.data.store import Store
from feeds.errors import FeedError

LOCAL = timezone(timedelta(hours=8))
#: start times a node might be switched on at: before dawn (the 04:50 of the report), mid
#: morning (the 10:00 demo whose evening peak showed at 05:00), a minute before midnight
STARTS = [datetime(2026, 12, 4, 4, 50, tzinfo=LOCAL), datetime(2026, 12, 9, 10, 0, tzinfo=LOCAL),
          datetime(2026, 12, 6, 23, 59, tzinfo=LOCAL)]


@pytest.fixture(scope="module", params=STARTS, ids=lambda t: t.strftime("%H%M"))
def started(request, tmp_path_factory):
    """A cache the demo was started on at one of :data:`STARTS` (read only by the tests)."""
    store = Store(tmp_path_factory.mktemp("clock") / "demo.duckdb")
    replay = SnapshotReplay(DEMO_SNAPSHOT, align="time_of_day")
    replay.backfill(store, request.param)
    yield store, replay, request.param
    store.close()


def _peak_hours(store: Store) -> tuple[int, int]:
    """The local hours of the city's worst congestion, before noon and after."""
    by_hour = dict(store.reader().execute(
        "SELECT hour(ts AT TIME ZONE 'Asia/Shanghai'), avg(value) FROM observations "
        "WHERE metric = 'congestion' GROUP BY 1").fetchall())
    am = max(range(12), key=lambda h: by_hour.get(h, 0))
    pm = max(range(12, 24), key=lambda h: by_hour.get(h, 0))
    return am, pm


def test_the_rush_hours_of_the_history_fall_at_8_and_18_local(started):
    store, _, now = started
    am, pm = _peak_hours(store)
    assert abs(am - 8) <= 1 and abs(pm - 18) <= 1, (now, am, pm)


def test_nothing_is_recorded_after_now(started):
    store, _, now = started
    cur = store.reader()
    assert cur.execute("SELECT max(ts) FROM observations").fetchone()[0] <= now
    assert cur.execute("SELECT max(ts) FROM alerts").fetchone()[0] <= now
    late = cur.execute("SELECT count(*) FROM alerts WHERE ack_at > ? OR cleared_at > ? "
                       "OR (state = 'open' AND (ack_at IS NOT NULL OR cleared_at IS NOT NULL))",
                       [now, now]).fetchone()[0]
    assert late == 0
    # a day of history at least: the 24-hour charts and "the same time yesterday" have data
    first = cur.execute("SELECT min(ts) FROM observations").fetchone()[0]
    assert now - first >= timedelta(days=1)


def test_the_replayed_peak_follows_the_clock(started):
    """The live values the replay emits over the next day peak at 08 and 18 local too."""
    _, replay, now = started
    i = [k[2] for k in replay._bank.keys].index("congestion")
    moments = [now + timedelta(minutes=5 * k) for k in range(288)]
    values = [replay.values_at(t)[i] for t in moments]
    am = [(v, t.astimezone(LOCAL).hour) for v, t in zip(values, moments, strict=True)
          if t.astimezone(LOCAL).hour < 12]
    pm = [(v, t.astimezone(LOCAL).hour) for v, t in zip(values, moments, strict=True)
          if t.astimezone(LOCAL).hour >= 12]
    assert abs(max(am)[1] - 8) <= 1 and abs(max(pm)[1] - 18) <= 1


def test_day_counters_only_restart_at_local_midnight(started):
    """Stored history, then a day of replayed values: a counter never falls, except across
    local midnight (the report: 今日城管立案 1,972 at 04:50, 2 at 04:55)."""
    store, replay, now = started
    rows = store.reader().execute(
        "SELECT entity_id, metric, list(ts ORDER BY ts), list(value ORDER BY ts) "
        "FROM observations WHERE metric IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1, 2",
        [sorted(RESET_COUNTERS)]).fetchall()
    assert rows
    moments = [now + timedelta(minutes=5 * k) for k in range(1, 289)]
    live = np.array([replay.values_at(t) for t in moments])
    index = {(k[0], k[2]): j for j, k in enumerate(replay._bank.keys)}
    for entity, metric, times, values in rows:
        series = list(zip(times, values, strict=True))
        series += list(zip(moments, live[:, index[(entity, metric)]], strict=True))
        for (t0, v0), (t1, v1) in zip(series, series[1:], strict=False):
            if v1 < v0:
                days = (t0.astimezone(LOCAL).date(), t1.astimezone(LOCAL).date())
                assert days[0] != days[1], f"{entity}/{metric} fell {v0} -> {v1} at {t1}"


def test_alerts_open_at_start_are_closed_when_the_recording_closes_them(tmp_path: Path):
    store = Store(tmp_path / "alerts.duckdb")
    try:
        now = STARTS[1]
        replay = SnapshotReplay(DEMO_SNAPSHOT, align="time_of_day")
        replay.backfill(store, now)
        cur = store.reader()
        open_before = {a for (a,) in cur.execute(
            "SELECT alert_id FROM alerts WHERE state != 'cleared'").fetchall()}
        replay.tick(store, now + timedelta(days=1))
        still = {a for (a,) in cur.execute(
            "SELECT alert_id FROM alerts WHERE state != 'cleared' AND alert_id IN "
            "(SELECT unnest(?::VARCHAR[]))", [sorted(open_before)]).fetchall()}
        assert open_before and not still
    finally:
        store.close()


def test_now_alignment_places_the_end_at_now(tmp_path: Path):
    """The other rule, which tests and benchmarks use: the recording's end is now."""
    store = Store(tmp_path / "now.duckdb")
    try:
        now = STARTS[0]
        SnapshotReplay(DEMO_SNAPSHOT, align="now").backfill(store, now)
        assert store.reader().execute("SELECT max(ts) FROM observations").fetchone()[0] == now
    finally:
        store.close()


def test_an_unknown_alignment_is_refused_by_name(tmp_path: Path):
    store = Store(tmp_path / "bad.duckdb")
    try:
        with pytest.raises(FeedError, match="align 'noon' is not one of time_of_day, now"):
            SnapshotReplay(DEMO_SNAPSHOT, align="noon").backfill(store, STARTS[0])
    finally:
        store.close()


@pytest.mark.parametrize(("period_days", "unit_days"), [(2, 1), (14, 7), (7, 7)])
def test_a_recording_of_whole_weeks_keeps_its_weekdays(period_days, unit_days):
    replay = SnapshotReplay(DEMO_SNAPSHOT, align="time_of_day")
    replay._period = period_days * 86400.0
    last = datetime(2026, 11, 27, 23, 55, tzinfo=LOCAL)
    for now in STARTS:
        shift = replay._shift_for(now, last)
        assert shift.total_seconds() % (unit_days * 86400) == 0
        assert timedelta(0) <= last + shift - now < timedelta(days=unit_days)


def test_a_recording_not_of_whole_days_is_placed_at_now():
    replay = SnapshotReplay(DEMO_SNAPSHOT, align="time_of_day")
    replay._period = 5 * 3600.0
    last = datetime(2026, 11, 27, 23, 55, tzinfo=LOCAL)
    assert last + replay._shift_for(STARTS[0], last) == STARTS[0]


def test_a_site_configs_snapshot_feed_follows_the_clock_unless_told_otherwise():
    from cockpit.data import sources
    from cockpit.model.config import FeedSpec

    assert sources.build(FeedSpec("demo", "snapshot", DEMO_SNAPSHOT)).align == "time_of_day"
    assert sources.build(FeedSpec("demo", "snapshot", DEMO_SNAPSHOT, 5.0,
                                  {"align": "now"})).align == "now"
