"""Snapshot replay: the demo's feed. Makes a recorded snapshot look live.

The snapshot is loaded time-shifted so that the wall starts with the recorded history. How far
it is shifted is the ``align`` rule. ``time_of_day`` (what a site config's snapshot feed and the
demo use): by whole local days — whole weeks when the recording is whole weeks long, so
weekdays match too — so the recording's 08:00 is shown at 08:00 whatever the moment the wall
starts, its rush hours fall at the rush hours and its counters restart at midnight; the
recording's end then falls up to a day after now, and what it has later than now is held back
(alerts acknowledged or cleared later are open until then), while the observations of the
repetition before fill the history to a whole recording's length. ``now`` puts its last timestamp at
"now" (tests and benchmarks, whose figures are those of the recording's end). Then every tick emits each series' value at the current moment, interpolated
from the recording, which repeats with the snapshot's own period (two days for the bundled one,
so daily cycles stay continuous). Counters that restart at local midnight
(:data:`RESET_COUNTERS`) are never interpolated across their reset: between the day's last
sample and the restart the last value is held. Recorded alerts come round again as new alerts
(id ``<recorded id>~<repetition>``), are acknowledged and cleared after the same delays they had
when recorded; one still open or unacknowledged when the recording ends clears after it had
been open by then, or after the recording's typical time to clear if that is longer. No Qt; the
store does all writing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from cockpit.data.snapshot import SnapshotError, import_snapshot, literal, snapshot_info
from cockpit.data.store import Store
from cockpit.model.metrics import METRICS
from feeds.errors import FeedError

log = logging.getLogger(__name__)

#: Cumulative counts since local midnight: they drop to about 0 once a day.
RESET_COUNTERS = frozenset(m.code for m in METRICS.values() if m.resets_daily)
#: No replayed alert clears sooner than this after it appeared.
MIN_ALERT_S = 60.0
#: The ways to place the recording on the wall's clock (see the module's docstring).
ALIGNS = ("time_of_day", "now")
DAY_S = 86400.0


@dataclass
class _SeriesBank:
    keys: list[tuple[str, str, str, str, str, float, float]]  # entity, type, metric, unit, district, lat, lon
    #: per series, the recorded times (epoch s) with one wrapped sample added at either end:
    #: the last one a period earlier, the first one a period later
    times: list[np.ndarray]
    values: list[np.ndarray]
    hold_drops: list[bool]  # a reset counter: hold the value where the next sample is lower


def _value_at(times: np.ndarray, values: np.ndarray, t: float, hold_drops: bool) -> float:
    """The series at ``t``: linear between the samples around it, or held across a drop."""
    j = int(np.searchsorted(times, t, side="right")) - 1
    j = min(max(j, 0), len(times) - 2)
    t0, t1, v0, v1 = times[j], times[j + 1], values[j], values[j + 1]
    if t <= t0 or t1 <= t0:
        return float(v0)
    if t >= t1:
        return float(v1)
    if hold_drops and v1 < v0:
        return float(v0)  # a counter's midnight reset: no fake half-way value
    return float(v0 + (v1 - v0) * (t - t0) / (t1 - t0))


@dataclass
class SnapshotReplay:
    snapshot: Path
    name: str = "demo"
    interval_s: float = 5.0
    align: str = "now"
    _shift: timedelta | None = None
    _first: float = 0.0
    _period: float = 0.0
    _bank: _SeriesBank | None = None
    _alerts: list[dict] = field(default_factory=list)
    _last_snap_t: float | None = None
    _pending_ack: dict[str, tuple[float, str]] = field(default_factory=dict)  # id -> (due, by)
    _pending_clear: dict[str, float] = field(default_factory=dict)  # alert id -> epoch due

    def describe(self) -> dict[str, object]:
        return {"kind": "snapshot", "name": self.name, "path": str(self.snapshot),
                "interval_s": self.interval_s, "align": self.align}

    # -- start ----------------------------------------------------------------------------
    def backfill(self, store: Store, now: datetime) -> dict[str, int]:
        """Load the recording so its last timestamp lands on ``now``; read it for replay."""
        if self.align not in ALIGNS:
            raise FeedError(f"snapshot feed {self.name}: align {self.align!r} is not one of "
                            f"{', '.join(ALIGNS)}")
        try:  # a damaged snapshot is expected trouble: its message says it all
            info = snapshot_info(self.snapshot)  # refuses a snapshot without observations
            self._load_bank(info.first_ts.timestamp(), info.last_ts.timestamp())
            self._shift = self._shift_for(now, info.last_ts)
            until = now if self._shift > now - info.last_ts else None
            counts = import_snapshot(store, self.snapshot, shift=self._shift, info=info,
                                     until=until)
            if until is not None:  # the repetition before, so a whole recording of history
                earlier = import_snapshot(store, self.snapshot, info=info,
                                          shift=self._shift - timedelta(seconds=self._period),
                                          tables=("observations",))
                counts["observations"] += earlier["observations"]
        except SnapshotError as exc:
            raise FeedError(str(exc)) from None
        self._last_snap_t = (now - self._shift).timestamp()
        self._pending_ack.clear()
        self._pending_clear.clear()
        if until is not None:
            self._resume_alerts(now)
        return counts

    def _shift_for(self, now: datetime, last: datetime) -> timedelta:
        """How far the recording moves: its end to now, or (``time_of_day``) to the first
        moment at or after now that is a whole number of days (weeks) later, so every sample
        keeps its local time of day (and weekday). A recording that is not whole days long
        cannot repeat in step with the clock: it is placed at now, as the log says."""
        exact = now - last
        if self.align == "now":
            return exact
        unit = 7 * DAY_S if self._period % (7 * DAY_S) == 0 else DAY_S
        if self._period % DAY_S != 0:
            log.info("snapshot %s lasts %.0f s, not whole days: its end is placed at now, its "
                     "daily cycle does not follow the clock", self.snapshot, self._period)
            return exact
        return timedelta(seconds=math.ceil(exact.total_seconds() / unit) * unit)

    def _resume_alerts(self, now: datetime) -> None:
        """Alerts the recording acknowledges or clears after ``now`` (the import left them
        open): they are acknowledged and cleared when the recording says, as replayed ones."""
        epoch = now.timestamp()
        shift = self._shift.total_seconds()
        for a in self._alerts:
            t = a["t"] + shift
            if t > epoch:
                continue
            if a["ack_after"] is not None and t + a["ack_after"] > epoch:
                self._pending_ack[a["alert_id"]] = (t + a["ack_after"], a["ack_by"])
            if t + a["lasts"] > epoch:
                self._pending_clear[a["alert_id"]] = t + a["lasts"]

    def _load_bank(self, first: float, last: float) -> None:
        con = duckdb.connect(":memory:")
        try:
            obs = con.execute(
                """SELECT entity_id, any_value(entity_type), metric, any_value(unit),
                          any_value(district), any_value(lat), any_value(lon),
                          list(epoch(ts) ORDER BY ts), list(value ORDER BY ts)
                   FROM read_parquet(?)
                   GROUP BY entity_id, metric ORDER BY entity_id, metric""",
                [literal(self.snapshot / "observations.parquet")]).fetchall()
            alerts = con.execute(
                """SELECT alert_id, epoch(ts), severity, category, title, detail, district, lat,
                          lon, epoch(ack_at) - epoch(ts), ack_by, epoch(cleared_at) - epoch(ts)
                   FROM read_parquet(?) ORDER BY ts, alert_id""",
                [literal(self.snapshot / "alerts.parquet")]).fetchall()
        finally:
            con.close()
        steps = [np.median(np.diff(r[7])) for r in obs if len(r[7]) > 1]
        step = float(np.median(steps)) if steps else self.interval_s
        self._first = first
        self._period = (last - first) + step
        period = self._period
        times, values = [], []
        for r in obs:
            t = np.asarray(r[7], dtype=float)
            v = np.asarray([np.nan if x is None else x for x in r[8]], dtype=float)
            times.append(np.concatenate(([t[-1] - period], t, [t[0] + period])))
            values.append(np.concatenate(([v[-1]], v, [v[0]])))
        self._bank = _SeriesBank(
            keys=[(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in obs],
            times=times, values=values, hold_drops=[r[2] in RESET_COUNTERS for r in obs])
        cleared = [r[11] for r in alerts if r[11] is not None]
        typical = float(np.median(cleared)) if cleared else 3600.0
        self._alerts = []
        for r in alerts:
            t = float(r[1])
            lasts = float(r[11]) if r[11] is not None else max(last - t, typical)
            lasts = max(lasts, MIN_ALERT_S)
            ack_after = min(float(r[9]), lasts) if r[9] is not None else None
            self._alerts.append(
                {"alert_id": r[0], "t": t, "severity": r[2], "category": r[3], "title": r[4],
                 "detail": r[5], "district": r[6], "lat": r[7], "lon": r[8],
                 "ack_after": ack_after, "ack_by": r[10] or "值班员", "lasts": lasts})

    # -- every tick -----------------------------------------------------------------------
    def _snap_time(self, now: datetime) -> tuple[float, int]:
        """Where ``now`` falls in the recording, and which repetition of it we are in."""
        t = (now - self._shift).timestamp()
        offset = t - self._first
        cycle = int(offset // self._period)
        return self._first + offset - cycle * self._period, cycle

    def values_at(self, now: datetime) -> np.ndarray:
        """Every series' replayed value at ``now`` (in the order of the bank's keys)."""
        if self._bank is None:
            raise RuntimeError("backfill() must run before tick()")
        snap_t, _ = self._snap_time(now)
        bank = self._bank
        return np.array([_value_at(t, v, snap_t, hold) for t, v, hold
                         in zip(bank.times, bank.values, bank.hold_drops, strict=True)])

    def tick(self, store: Store, now: datetime) -> int:
        if self._bank is None:
            raise RuntimeError("backfill() must run before tick()")
        import pyarrow as pa  # with the first tick, not before the wall's first frame

        snap_t, cycle = self._snap_time(now)
        values = self.values_at(now)
        keys = self._bank.keys
        rows = pa.table({
            "ts": pa.array([now] * len(keys), pa.timestamp("us", tz="UTC")),
            "feed": [self.name] * len(keys),
            "entity_id": [k[0] for k in keys],
            "entity_type": [k[1] for k in keys],
            "metric": [k[2] for k in keys],
            "value": pa.array(np.round(values, 2), pa.float64(), from_pandas=True),  # NaN: NULL
            "unit": [k[3] for k in keys],
            "district": [k[4] for k in keys],
            "lat": pa.array([k[5] for k in keys], pa.float64()),
            "lon": pa.array([k[6] for k in keys], pa.float64()),
        })
        written = store.append("observations", rows)
        written += self._replay_alerts(store, now, snap_t, cycle)
        self._last_snap_t = snap_t
        return written

    def _replay_alerts(self, store: Store, now: datetime, snap_t: float, cycle: int) -> int:
        prev = self._last_snap_t if self._last_snap_t is not None else snap_t
        if snap_t >= prev:
            due = [a for a in self._alerts if prev < a["t"] <= snap_t]
        else:  # the recording wrapped round since the last tick
            due = [a for a in self._alerts if a["t"] > prev or a["t"] <= snap_t]
        fresh = []
        epoch = now.timestamp()
        for a in due:
            # an alert recorded after the wrap point belongs to the repetition just begun
            alert_id = f"{a['alert_id']}~{cycle if a['t'] <= snap_t else cycle - 1}"
            fresh.append({**a, "alert_id": alert_id})
            if a["ack_after"] is not None:
                self._pending_ack[alert_id] = (epoch + a["ack_after"], a["ack_by"])
            self._pending_clear[alert_id] = epoch + a["lasts"]
        if fresh:
            import pyarrow as pa

            store.upsert("alerts", pa.table({
                "alert_id": [a["alert_id"] for a in fresh],
                "ts": pa.array([now] * len(fresh), pa.timestamp("us", tz="UTC")),
                "feed": [self.name] * len(fresh),
                "severity": [a["severity"] for a in fresh],
                "category": [a["category"] for a in fresh],
                "title": [a["title"] for a in fresh],
                "detail": [a["detail"] for a in fresh],
                "district": [a["district"] for a in fresh],
                "lat": pa.array([a["lat"] for a in fresh], pa.float64()),
                "lon": pa.array([a["lon"] for a in fresh], pa.float64()),
                "state": ["open"] * len(fresh),
                "ack_by": pa.nulls(len(fresh), pa.string()),
                "ack_at": pa.nulls(len(fresh), pa.timestamp("us", tz="UTC")),
                "cleared_at": pa.nulls(len(fresh), pa.timestamp("us", tz="UTC")),
            }))
        by_operator: dict[str, list[str]] = {}
        for k, (t, by) in list(self._pending_ack.items()):
            if t <= epoch:
                by_operator.setdefault(by, []).append(k)
                del self._pending_ack[k]
        for by, ids in by_operator.items():
            store.acknowledge_alerts(ids, by, now)
        ripe = [k for k, t in self._pending_clear.items() if t <= epoch]
        if ripe:
            store.clear_alerts(ripe, now)
            for k in ripe:
                del self._pending_clear[k]
                self._pending_ack.pop(k, None)
        return len(fresh)


def utcnow() -> datetime:
    return datetime.now(UTC)
