"""The simulated city behind ``cockpit simulate``: the demo generator's Weifang, advancing in
real time.

The demo generator's two days of 5-minute values (same seed, same numbers) repeat forever,
aligned on local midnight, so the simulated 10:05 of any day shows the demo's 10:05 and the
rush hours fall where they should. Every core metric (:data:`cockpit.demo.city.CORE_METRICS`:
the city's running state the simulated sources stand for) of every district is a series; the
demo's devices and alerts come round with the two-day cycle too. The topical walls' metrics,
alerts and key units (:mod:`cockpit.demo.topical`) are in the demo snapshot only. The clock is injectable so tests can
move time forward. Pure Python + numpy; no Qt, no network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from cockpit.demo import city as demo_gen
from cockpit.model.metrics import METRICS

STEP_S = 300
PERIOD_S = demo_gen.N_STEPS * STEP_S
#: A local midnight: step 0 of the demo's first day (any later local midnight 2 days apart
#: is the same moment of the cycle).
EPOCH = datetime(2026, 1, 1, tzinfo=demo_gen.LOCAL_TZ).timestamp()


@dataclass(frozen=True)
class Reading:
    ts: datetime
    district: str
    metric: str
    value: float
    unit: str


class World:
    def __init__(self, clock: Callable[[], float] = time.time, *, seed: int = 2026,
                 history_s: float = 2 * 3600) -> None:
        rng = np.random.default_rng(seed)
        table = demo_gen.observations(rng)
        self.codes: list[str] = list(demo_gen.CODES)
        # the core metrics only: the topical walls' figures come with the demo snapshot
        self.metrics: list[str] = [m for m in METRICS if m in demo_gen.CORE_METRICS]
        self.values = np.asarray(table.column("value").to_numpy(zero_copy_only=False)).reshape(
            demo_gen.N_STEPS, len(self.codes), len(self.metrics))
        self.devices = demo_gen.entities(rng).to_pylist()
        alerts = demo_gen.alerts(rng).to_pylist()
        start = demo_gen.START.timestamp()
        self.alerts = [{**a, "offset": (a["ts"].timestamp() - start)} for a in alerts]
        self.clock = clock
        self.history_s = history_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    @staticmethod
    def step_at(t: float) -> int:
        """The absolute 5-minute step at or before epoch seconds ``t``."""
        return int((t - EPOCH) // STEP_S)

    @staticmethod
    def step_time(step: int) -> datetime:
        return datetime.fromtimestamp(EPOCH + step * STEP_S, UTC)

    def value(self, step: int, district: int, metric: int) -> float:
        return float(self.values[step % demo_gen.N_STEPS, district, metric])

    def readings(self, since: datetime | None = None, *, metrics: list[str] | None = None,
                 districts: list[str] | None = None) -> list[Reading]:
        """Every reading from ``since`` (inclusive; default: the history window) to now,
        ordered by time, district, metric."""
        now = self.clock()
        first = self.step_at(now - self.history_s) + 1
        if since is not None:
            first = max(first, -(-int(since.timestamp() - EPOCH) // STEP_S))
        last = self.step_at(now)
        mi = [self.metrics.index(m) for m in (metrics or self.metrics) if m in self.metrics]
        di = [self.codes.index(d) for d in (districts or self.codes) if d in self.codes]
        out = []
        for step in range(first, last + 1):
            ts = self.step_time(step)
            for d in di:
                for m in mi:
                    code = self.metrics[m]
                    out.append(Reading(ts, self.codes[d], code, self.value(step, d, m),
                                       METRICS[code].unit))
        return out

    def latest(self, district: str, metric: str) -> Reading:
        step = self.step_at(self.clock())
        d, m = self.codes.index(district), self.metrics.index(metric)
        return Reading(self.step_time(step), district, metric, self.value(step, d, m),
                       METRICS[metric].unit)

    def current_alerts(self) -> list[dict]:
        """The demo's alerts that appeared in the history window, in real time, with ids that
        stay the same for the same appearance (``<id>~<cycle>``)."""
        now = self.clock()
        out = []
        for cycle in (int((now - EPOCH) // PERIOD_S) - 1, int((now - EPOCH) // PERIOD_S)):
            for a in self.alerts:
                t = EPOCH + cycle * PERIOD_S + a["offset"]
                if now - self.history_s < t <= now:
                    out.append({**a, "alert_id": f"{a['alert_id']}~{cycle}",
                                "ts": datetime.fromtimestamp(t, UTC)})
        return sorted(out, key=lambda a: (a["ts"], a["alert_id"]))

    def since_start(self) -> timedelta:
        return timedelta(seconds=self.clock() - EPOCH)
