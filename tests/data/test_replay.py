"""The snapshot replay feed and the feed runner, against a real cache file (no Qt)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from support import DEMO_SNAPSHOT, NOW
from support.waiting import eventually

from cockpit.data.ingest import FeedRunner
from cockpit.data.replay import RESET_COUNTERS, SnapshotReplay
from cockpit.data.snapshot import snapshot_info
from cockpit.data.store import Store
from cockpit.model.metrics import DISTRICTS, METRICS

N_SERIES = len(DISTRICTS) * len(METRICS)  # 12 x 14
STEP = 300.0  # the recording's sample spacing, seconds
COUNTERS = ("hotline_opened", "hotline_closed", "citycase_opened", "citycase_closed")


@pytest.fixture(scope="module")
def recording() -> dict[str, list[tuple[float, float]]]:
    """entity_id -> [(epoch, value), ...] straight from the snapshot file."""
    con = duckdb.connect()
    rows = con.execute(
        "SELECT entity_id, list((epoch(ts), value) ORDER BY ts) FROM read_parquet(?) "
        "GROUP BY 1", [str(DEMO_SNAPSHOT / "observations.parquet")]).fetchall()
    con.close()
    return {e: [(float(t), float(v)) for t, v in pairs] for e, pairs in rows}


@pytest.fixture
def live(tmp_path: Path):
    store = Store(tmp_path / "replay.duckdb")
    replay = SnapshotReplay(DEMO_SNAPSHOT)
    counts = replay.backfill(store, NOW)
    yield store, replay, counts
    store.close()


def _at(store: Store, ts: datetime) -> dict[str, float]:
    return dict(store.reader().execute(
        "SELECT entity_id, value FROM observations WHERE ts = ?", [ts]).fetchall())


def _by_hand(samples: list[tuple[float, float]], snap_t: float) -> float:
    """The value between two recorded samples, linear, computed here without numpy."""
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        if t0 <= snap_t <= t1:
            return v0 + (v1 - v0) * (snap_t - t0) / (t1 - t0)
    raise AssertionError(f"{snap_t} outside the recording")


def test_backfill_puts_the_last_observation_at_now(live):
    store, _, counts = live
    assert counts["observations"] == 2 * 288 * N_SERIES and counts["alerts"] > 0
    first, last, n = store.reader().execute(
        "SELECT min(ts), max(ts), count(*) FILTER (WHERE ts = ?) FROM observations",
        [NOW]).fetchone()
    assert last == NOW
    assert n == N_SERIES
    assert NOW - first == timedelta(days=2) - timedelta(minutes=5)


def test_first_tick_writes_every_series_between_its_neighbours(live, recording):
    store, replay, _ = live
    t1 = NOW + timedelta(seconds=5)
    assert replay.tick(store, t1) == N_SERIES  # no recorded alert is due yet
    got = _at(store, t1)
    assert len(got) == N_SERIES
    assert {e.split(":")[1] for e in got} == set(METRICS)
    # 5 s after the recording's last sample (day 2, 23:55 local) comes the wrap to its first
    # (day 1, 00:00 local), one sample step later.
    for entity, value in got.items():
        last, first = recording[entity][-1][1], recording[entity][0][1]
        if entity.split(":")[1] in RESET_COUNTERS:
            assert value == last, entity  # held: no value half-way down to midnight's reset
        else:
            assert min(last, first) - 0.01 <= value <= max(last, first) + 0.01, entity
    aqi = recording["370705:aqi"]
    by_hand = aqi[-1][1] + (aqi[0][1] - aqi[-1][1]) * 5 / STEP
    assert got["370705:aqi"] == pytest.approx(by_hand, abs=0.005)
    # one row per series per tick, in the shape the backfilled rows have
    assert store.reader().execute(
        "SELECT count(DISTINCT entity_id), bool_and(feed = 'demo'), "
        "bool_and(entity_id = district || ':' || metric), count(*) FILTER (WHERE lat IS NULL) "
        "FROM observations WHERE ts = ?", [t1]).fetchone() == (N_SERIES, True, True, 0)


def test_values_move_between_ticks_and_meet_the_samples(live, recording):
    store, replay, _ = live
    ticks = [NOW + timedelta(seconds=s) for s in (5, 150, 295, 300)]
    for t in ticks:
        replay.tick(store, t)
    a, mid, c, exact = (_at(store, t) for t in ticks)
    moving = [e for e in a if e.split(":")[1] not in RESET_COUNTERS
              and abs(recording[e][-1][1] - recording[e][0][1]) >= 0.1]
    # the core metrics move every five minutes; many topical ones (beds, enrolment) step slowly
    assert len(moving) >= 12 * 10
    for e in moving:
        assert a[e] != mid[e] != c[e], e
        lo, hi = sorted((a[e], c[e]))
        assert lo <= mid[e] <= hi, e  # steadily from one sample to the next
        assert mid[e] == pytest.approx((recording[e][-1][1] + recording[e][0][1]) / 2, abs=0.006)
    for e, value in exact.items():  # on a sample's own time: the sample itself
        assert value == pytest.approx(recording[e][0][1], abs=0.005), e


def test_replay_continues_past_the_wrap_without_a_gap(live, recording):
    store, replay, _ = live
    period = timedelta(days=2)
    times = [NOW + timedelta(minutes=m) for m in range(0, 15)]  # 1st wrap at NOW + 5 min
    times += [NOW + period + timedelta(minutes=m) for m in range(-5, 12)]  # the 2nd
    times += [NOW + 5 * period + timedelta(seconds=5)]  # much later
    for t in times[1:]:
        assert replay.tick(store, t) >= N_SERIES
    cur = store.reader()
    per_tick = cur.execute("SELECT ts, count(*) FROM observations WHERE ts > ? GROUP BY 1 "
                           "ORDER BY 1", [NOW]).fetchall()
    assert [ts for ts, _ in per_tick] == times[1:]
    assert {n for _, n in per_tick} == {N_SERIES}
    # after a whole period the same moment of the recording comes back
    a, b = _at(store, NOW + timedelta(minutes=7)), _at(store, NOW + period + timedelta(minutes=7))
    assert a == b
    # the wrap point shows the recording's first sample, one step later its second
    first = _at(store, NOW + period + timedelta(minutes=5))
    assert first["370705:aqi"] == pytest.approx(recording["370705:aqi"][0][1], abs=0.005)
    second = _at(store, NOW + period + timedelta(minutes=10))
    assert second["370705:aqi"] == pytest.approx(recording["370705:aqi"][1][1], abs=0.005)


def test_counters_are_not_interpolated_across_midnight(live, recording):
    store, replay, _ = live
    # day 1 23:57:30 local in the recording: half-way between 23:55 and the reset at 00:00
    t = NOW + timedelta(days=1, seconds=150)
    replay.tick(store, t)
    got = _at(store, t)
    snap_t = recording["370705:aqi"][0][0] + 86400 - 150
    for d in DISTRICTS:
        for m in COUNTERS:
            samples = recording[f"{d}:{m}"]
            i = next(k for k, (ts, _) in enumerate(samples) if ts > snap_t)
            before, after = samples[i - 1][1], samples[i][1]
            assert after < before  # the reset
            assert got[f"{d}:{m}"] == before, (d, m)
        aqi = recording[f"{d}:aqi"]
        assert got[f"{d}:aqi"] == pytest.approx(_by_hand(aqi, snap_t), abs=0.005)
    # within a day counters still rise smoothly between their samples
    t2 = NOW + timedelta(days=1, hours=10, seconds=150)
    replay.tick(store, t2)
    snap2 = snap_t + 10 * 3600  # day 2, 09:57:30 local
    samples = recording["370705:hotline_opened"]
    assert _at(store, t2)["370705:hotline_opened"] == pytest.approx(
        _by_hand(samples, snap2), abs=0.005)


def test_recorded_alerts_come_round_as_new_open_alerts_and_later_clear(live, recording):
    store, replay, _ = live
    cur = store.reader()
    rows = duckdb.connect().execute(
        "SELECT alert_id, epoch(ts), epoch(ack_at) - epoch(ts), epoch(cleared_at) - epoch(ts), "
        "ack_by FROM read_parquet(?)", [str(DEMO_SNAPSHOT / "alerts.parquet")]).fetchall()
    recorded = {r[0]: r[1:4] for r in rows}
    recorded_by = {r[0]: r[4] for r in rows}
    before = cur.execute("SELECT count(*) FROM alerts").fetchone()[0]
    replay.tick(store, NOW + timedelta(seconds=5))
    assert cur.execute("SELECT count(*) FROM alerts").fetchone()[0] == before
    # two hours on: the recording's first two hours (day 1, 00:00-01:55 local) came round
    t = NOW + timedelta(hours=2)
    replay.tick(store, t)
    fresh = cur.execute("SELECT alert_id, ts, state, feed, title FROM alerts "
                        "WHERE alert_id LIKE '%~%' ORDER BY alert_id").fetchall()
    snap_t = recording["370705:aqi"][0][0] + 2 * 3600 - STEP  # where NOW + 2 h falls
    due = sorted(a for a, v in recorded.items() if v[0] <= snap_t)
    assert [r[0] for r in fresh] == [f"{a}~1" for a in due] and due
    assert all(r[1] == t and r[2] == "open" and r[3] == "demo" for r in fresh)
    # each is acknowledged and cleared after the delays it had when recorded
    cleared = [a for a in due if recorded[a][2] is not None]
    quick = min(cleared, key=lambda a: recorded[a][2])
    ack_after, clear_after = recorded[quick][1:]
    clear_after = max(clear_after, 60.0)

    def state(alert_id: str) -> tuple:
        return cur.execute("SELECT state, ack_by, cleared_at FROM alerts WHERE alert_id = ?",
                           [alert_id]).fetchone()

    if ack_after is not None and ack_after + 1 < clear_after - 1:
        replay.tick(store, t + timedelta(seconds=ack_after + 1))
        assert state(f"{quick}~1")[:2] == ("acked", recorded_by[quick])
    replay.tick(store, t + timedelta(seconds=clear_after - 1))
    assert state(f"{quick}~1")[0] != "cleared"
    t_clear = t + timedelta(seconds=clear_after + 1)
    replay.tick(store, t_clear)
    assert state(f"{quick}~1")[0::2] == ("cleared", t_clear)
    # every one of them clears in the end, also those still open when the recording ended
    replay.tick(store, t + timedelta(days=2, seconds=1))
    rows = cur.execute("SELECT state FROM alerts WHERE alert_id LIKE '%~1' AND ts = ?",
                       [t]).fetchall()
    assert len(rows) == len(due) and {r[0] for r in rows} == {"cleared"}


def test_backfill_twice_does_not_duplicate(live):
    store, replay, _ = live
    again = replay.backfill(store, NOW)
    assert again["observations"] == 0
    assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == \
        2 * 288 * N_SERIES


# -- the feed runner ------------------------------------------------------------------------
class FailingFeed:
    """A feed whose backfill works but every tick fails (a source gone away)."""

    def __init__(self, name: str = "broken", *, fail_backfill: bool = False) -> None:
        self.name = name
        self.interval_s = 0.02
        self.fail_backfill = fail_backfill
        self.backfills = 0
        self.ticks = 0

    def describe(self) -> dict[str, object]:
        return {"kind": "test", "name": self.name}

    def backfill(self, store: Store, now: datetime) -> dict[str, int]:
        self.backfills += 1
        if self.fail_backfill:
            raise ConnectionError("middle-platform unreachable")
        return {"observations": 0}

    def tick(self, store: Store, now: datetime) -> int:
        self.ticks += 1
        raise RuntimeError("boom")


def test_feed_runner_backfills_ticks_records_health_and_survives_failures(tmp_path: Path):
    steps = itertools.count()
    clock_lock = threading.Lock()

    def clock() -> datetime:
        with clock_lock:
            return NOW + timedelta(seconds=5 * next(steps))

    batches: list[tuple[str, int]] = []
    replay = SnapshotReplay(DEMO_SNAPSHOT, interval_s=0.02)
    broken, unreachable = FailingFeed(), FailingFeed("unreachable", fail_backfill=True)

    def on_batch(feed: str, rows: int) -> None:
        batches.append((feed, rows))
        if feed == "demo" and rows == N_SERIES:
            raise ValueError("a listener failing must not stop the runner either")

    with Store(tmp_path / "runner.duckdb") as store:
        runner = FeedRunner(store, [replay, broken, unreachable], on_batch=on_batch, clock=clock)
        runner.start()
        try:
            assert runner.backfilled.wait(10)
            eventually(lambda: sum(1 for f, _ in batches if f == "demo") >= 4
                        and broken.ticks >= 3 and unreachable.backfills >= 3)
        finally:
            runner.stop()
        assert not runner.is_alive()
        health = {r[0]: r[1:] for r in store.reader().execute(
            "SELECT feed, last_attempt, last_success, last_error, rows, latency_ms "
            "FROM feed_health").fetchall()}
        demo_ticks = [n for f, n in batches if f == "demo"][1:]
        attempt, success, error, rows, latency = health["demo"]
        assert error is None and success == attempt and latency >= 0
        recorded = snapshot_info(DEMO_SNAPSHOT).rows
        assert rows == 2 * 288 * N_SERIES + sum(n for t, n in recorded.items()
                                                if t != "observations") + sum(demo_ticks)
        assert store.reader().execute(
            "SELECT count(*) FROM observations WHERE ts > ?", [NOW]).fetchone()[0] == \
            N_SERIES * len(demo_ticks)
        # the failing feed: recorded, with its last success (the backfill) kept
        attempt, success, error, rows, _ = health["broken"]
        assert error == "RuntimeError: boom" and success is not None and success < attempt
        assert rows == 0
        # the feed whose backfill fails is retried, never ticked
        attempt, success, error, rows, _ = health["unreachable"]
        assert success is None and error == "ConnectionError: middle-platform unreachable"
        assert unreachable.ticks == 0
        ticks_seen = broken.ticks
    time.sleep(0.1)  # the test: a while in which a runner not really stopped would tick again
    assert broken.ticks == ticks_seen  # stopped means stopped


def test_stop_before_start_and_backfill_without_thread(tmp_path: Path):
    with Store(tmp_path / "c.duckdb") as store:
        runner = FeedRunner(store, [FailingFeed()], clock=lambda: NOW)
        runner.backfill_all()
        assert runner.backfilled.is_set()
        runner.stop()  # never started: returns at once
        assert not runner.is_alive()
        assert store.reader().execute(
            "SELECT last_success, last_error FROM feed_health").fetchone() == (NOW, None)


class HangingFeed(FailingFeed):
    """A source that answers nothing until let go (a request stuck to its deadline)."""

    def __init__(self) -> None:
        super().__init__("hanging")
        self.inside = threading.Event()
        self.let_go = threading.Event()

    def tick(self, store: Store, now: datetime) -> int:
        self.ticks += 1
        self.inside.set()
        self.let_go.wait(30)
        return 0


def test_a_hanging_source_delays_no_other_feed(tmp_path: Path):
    """Each feed runs on its own thread: while one source hangs in a request, the others keep
    their schedule (one thread for all used to hold every feed for the whole deadline)."""
    replay = SnapshotReplay(DEMO_SNAPSHOT, interval_s=0.05)
    hanging = HangingFeed()
    batches: list[str] = []
    with Store(tmp_path / "runner.duckdb") as store:
        runner = FeedRunner(store, [hanging, replay], clock=lambda: NOW,
                            on_batch=lambda feed, rows: batches.append(feed))
        runner.start()
        try:
            assert runner.backfilled.wait(30) and hanging.inside.wait(10)
            before = batches.count("demo")
            eventually(lambda: batches.count("demo") - before >= 5, 10,
                       message="the replay ticks on beside a hung source")
        finally:
            hanging.let_go.set()
            started = time.monotonic()
            runner.stop()
        assert time.monotonic() - started < 5 and not runner.is_alive()
