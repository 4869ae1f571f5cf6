"""Snapshot replay: the demo's feed. Makes a recorded snapshot look live.

The snapshot is loaded time-shifted so that its last timestamp is "now" (the wall starts with the
recorded history), then every tick emits each series' value at the current moment, interpolated
from the recording, which repeats with the snapshot's own period (two days for the bundled one,
so daily cycles stay continuous). Recorded alerts come round again as new alerts and clear after
the same delay they had when recorded. No Qt; the store does all writing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cockpit.snapshot import import_snapshot, snapshot_info
from cockpit.store import Store

log = logging.getLogger(__name__)


@dataclass
class _SeriesBank:
    keys: list[tuple[str, str, str, str, str, float, float]]  # entity, type, metric, unit, district, lat, lon
    times: list[np.ndarray]
    values: list[np.ndarray]


@dataclass
class SnapshotReplay:
    snapshot: Path
    name: str = "demo"
    interval_s: float = 5.0
    _shift: timedelta | None = None
    _first: float = 0.0
    _period: float = 0.0
    _bank: _SeriesBank | None = None
    _alerts: list[dict] = field(default_factory=list)
    _last_snap_t: float | None = None
    _pending_clear: dict[str, float] = field(default_factory=dict)  # alert id -> epoch due

    def describe(self) -> dict[str, object]:
        return {"kind": "snapshot", "name": self.name, "path": str(self.snapshot),
                "interval_s": self.interval_s}

    # -- start ----------------------------------------------------------------------------
    def backfill(self, store: Store, now: datetime) -> dict[str, int]:
        """Load the recording so its last timestamp lands on ``now``; read it for replay."""
        info = snapshot_info(self.snapshot)
        if info.last_ts is None:
            raise ValueError(f"{self.snapshot}: snapshot holds no observations")
        self._shift = now - info.last_ts
        counts = import_snapshot(store, self.snapshot, shift=self._shift)
        self._load_bank(info.first_ts.timestamp(), info.last_ts.timestamp())
        self._last_snap_t = info.last_ts.timestamp()
        return counts

    def _load_bank(self, first: float, last: float) -> None:
        con = duckdb.connect(":memory:")
        try:
            obs = con.execute(
                f"""SELECT entity_id, any_value(entity_type), metric, any_value(unit),
                           any_value(district), any_value(lat), any_value(lon),
                           list(epoch(ts) ORDER BY ts), list(value ORDER BY ts)
                    FROM read_parquet('{self.snapshot / 'observations.parquet'}')
                    GROUP BY entity_id, metric ORDER BY entity_id, metric""").fetchall()
            alerts = con.execute(
                f"""SELECT alert_id, epoch(ts), severity, category, title, detail, district, lat,
                           lon, epoch(coalesce(cleared_at, ack_at)) - epoch(ts)
                    FROM read_parquet('{self.snapshot / 'alerts.parquet'}') ORDER BY ts""").fetchall()
        finally:
            con.close()
        steps = [np.median(np.diff(r[7])) for r in obs if len(r[7]) > 1]
        step = float(np.median(steps)) if steps else self.interval_s
        self._first = first
        self._period = (last - first) + step
        self._bank = _SeriesBank(
            keys=[(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in obs],
            times=[np.asarray(r[7], dtype=float) for r in obs],
            values=[np.asarray(r[8], dtype=float) for r in obs])
        self._alerts = [
            {"alert_id": r[0], "t": float(r[1]), "severity": r[2], "category": r[3],
             "title": r[4], "detail": r[5], "district": r[6], "lat": r[7], "lon": r[8],
             "lasts": r[9]} for r in alerts]

    # -- every tick -----------------------------------------------------------------------
    def _snap_time(self, now: datetime) -> tuple[float, int]:
        """Where ``now`` falls in the recording, and which repetition of it we are in."""
        t = (now - self._shift).timestamp()
        offset = t - self._first
        cycle = int(offset // self._period)
        return self._first + offset - cycle * self._period, cycle

    def tick(self, store: Store, now: datetime) -> int:
        if self._bank is None:
            raise RuntimeError("backfill() must run before tick()")
        snap_t, cycle = self._snap_time(now)
        bank = self._bank
        values = np.empty(len(bank.keys))
        for i, (times, vals) in enumerate(zip(bank.times, bank.values, strict=True)):
            # wrap: the first sample comes again one period after itself
            values[i] = np.interp(snap_t, np.append(times, times[0] + self._period),
                                  np.append(vals, vals[0]))
        keys = bank.keys
        rows = pa.table({
            "ts": pa.array([now] * len(keys), pa.timestamp("us", tz="UTC")),
            "feed": [self.name] * len(keys),
            "entity_id": [k[0] for k in keys],
            "entity_type": [k[1] for k in keys],
            "metric": [k[2] for k in keys],
            "value": np.round(values, 2),
            "unit": [k[3] for k in keys],
            "district": [k[4] for k in keys],
            "lat": [k[5] for k in keys],
            "lon": [k[6] for k in keys],
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
        for a in due:
            alert_id = f"{a['alert_id']}~{cycle}"
            fresh.append({**a, "alert_id": alert_id})
            if a["lasts"] is not None:
                self._pending_clear[alert_id] = now.timestamp() + max(float(a["lasts"]), 60.0)
        if fresh:
            store.upsert("alerts", pa.table({
                "alert_id": [a["alert_id"] for a in fresh],
                "ts": pa.array([now] * len(fresh), pa.timestamp("us", tz="UTC")),
                "feed": [self.name] * len(fresh),
                "severity": [a["severity"] for a in fresh],
                "category": [a["category"] for a in fresh],
                "title": [a["title"] for a in fresh],
                "detail": [a["detail"] for a in fresh],
                "district": [a["district"] for a in fresh],
                "lat": [a["lat"] for a in fresh],
                "lon": [a["lon"] for a in fresh],
                "state": ["open"] * len(fresh),
            }))
        ripe = [k for k, t in self._pending_clear.items() if t <= now.timestamp()]
        if ripe:
            store.clear_alerts(ripe, now)
            for k in ripe:
                del self._pending_clear[k]
        return len(fresh)


def utcnow() -> datetime:
    return datetime.now(UTC)
