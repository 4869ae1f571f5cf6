"""The demo's time grid and its shapes, shared by the generators of the demo snapshot.

Two full local days at 5-minute resolution (2026-11-26 00:00 to 2026-11-27 23:55
Asia/Shanghai), Weifang's 12 districts with a rough profile each (centre, population, how
urban), and the building blocks of every series: daily profiles, slow random walks, Poisson
arrivals split by district and hour, counters since local midnight, online counts with outages.
:mod:`cockpit.demo.city` makes the core metrics, :mod:`cockpit.demo.topical` those of the
topical walls. Pure Python + numpy; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import numpy as np

from cockpit.model.metrics import DISTRICTS

FEED = "demo"
#: Asia/Shanghai as a fixed offset (China has no DST; avoids needing tzdata on Windows).
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DAYS = 2
STEP = timedelta(minutes=5)
STEPS_PER_DAY = 288
N_STEPS = DAYS * STEPS_PER_DAY
START = datetime(2026, 11, 26, tzinfo=LOCAL_TZ).astimezone(UTC)
#: The last observation timestamp (2026-11-27 23:55 local); nothing in the demo is later.
END = START + (N_STEPS - 1) * STEP


@dataclass(frozen=True)
class District:
    lat: float  # approximate centre, WGS-84
    lon: float
    population: float  # 10k residents, roughly
    urban: float  # 0 (rural county) .. 1 (city core)
    streets: tuple[str, ...]
    places: tuple[str, ...]


PROFILES: dict[str, District] = {
    "370702": District(36.728, 119.025, 52, 0.95, ("胜利西街", "和平路", "向阳路", "北宫西街"),
                       ("十笏园文化街区", "人民广场")),
    "370703": District(36.775, 119.219, 42, 0.60, ("民主街", "通亭街", "海龙路"),
                       ("杨家埠民俗艺术大观园", "寒亭汽车站")),
    "370704": District(36.654, 119.166, 54, 0.60, ("凤山路", "北海南路", "龙泉街"),
                       ("坊子炭矿遗址文化园", "潍坊北站")),
    "370705": District(36.707, 119.132, 72, 1.00, ("东风东街", "胜利东街", "新华路", "北海路"),
                       ("世界风筝博物馆", "潍坊站站前广场", "白浪河湿地公园")),
    "370724": District(36.512, 118.542, 78, 0.35, ("民主路", "骈邑路", "东城街"),
                       ("沂山风景区", "老龙湾景区")),
    "370725": District(36.707, 118.830, 60, 0.40, ("方山路", "新城街", "首阳山路"),
                       ("昌乐宝石城", "方山公园")),
    "370781": District(36.685, 118.479, 96, 0.55, ("范公亭路", "云门山南路", "海岱路"),
                       ("云门山景区", "青州古城")),
    "370782": District(35.996, 119.410, 108, 0.55, ("密州路", "和平街", "东坡南街"),
                       ("恐龙公园", "超然台")),
    "370783": District(36.856, 118.791, 116, 0.55, ("农圣街", "圣城街", "金海路"),
                       ("蔬菜高科技示范园", "农产品物流园")),
    "370784": District(36.478, 119.219, 90, 0.45, ("青云山路", "潍徐路", "新安路"),
                       ("青云山民俗游乐园", "汶河湿地公园")),
    "370785": District(36.383, 119.756, 88, 0.50, ("凤凰大街", "夷安大道", "康成大街"),
                       ("凤凰公园", "高密站")),
    "370786": District(36.859, 119.398, 57, 0.40, ("北海路", "奎聚路", "利民街"),
                       ("绿博园", "潍河公园")),
}
CODES = tuple(DISTRICTS)
assert set(PROFILES) == set(DISTRICTS), "PROFILES must cover exactly cockpit.model.metrics.DISTRICTS"


# -- time grid and helpers ------------------------------------------------------------------
def times() -> np.ndarray:
    """The observation timestamps as UTC datetime64[us]."""
    start = np.datetime64(START.replace(tzinfo=None), "us")
    return start + np.arange(N_STEPS) * np.timedelta64(5, "m")


def hours() -> np.ndarray:
    """Local hour of day (0 .. 23.917) of every step."""
    return (np.arange(N_STEPS) % STEPS_PER_DAY) / 12.0


def profile(hours: np.ndarray, knots: dict[float, float]) -> np.ndarray:
    """A daily shape, linear between ``{hour: value}`` knots (0 and 24 should match)."""
    return np.interp(hours, list(knots), list(knots.values()))


def ar1(rng: np.random.Generator, n: int, phi: float, sigma: float) -> np.ndarray:
    """(N_STEPS, n) slow random walks, mean-reverting with factor ``phi``."""
    shocks = rng.normal(0.0, sigma, (N_STEPS, n))
    out = np.empty_like(shocks)
    acc = np.zeros(n)
    for t in range(N_STEPS):
        acc = phi * acc + shocks[t]
        out[t] = acc
    return out


def per_step_rate(rng: np.random.Generator, daily_total: float, share: np.ndarray,
                   hour_weight: np.ndarray) -> np.ndarray:
    """(N_STEPS, D) Poisson rates: a city daily total split by district share and time of day."""
    totals = daily_total * rng.normal(1.0, 0.05, DAYS)
    day = np.arange(N_STEPS) // STEPS_PER_DAY
    w = hour_weight / hour_weight[:STEPS_PER_DAY].sum()
    return (totals[day] * w)[:, None] * (share / share.sum())[None, :]


def cumulative_cases(rng: np.random.Generator, rate: np.ndarray,
                      close_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Opened/closed counts since local midnight; each open case closes with ``close_p``."""
    arrivals = rng.poisson(rate)
    opened = np.empty_like(arrivals)
    closed = np.empty_like(arrivals)
    o = np.zeros(rate.shape[1], dtype=np.int64)
    c = np.zeros_like(o)
    for t in range(N_STEPS):
        if t % STEPS_PER_DAY == 0:
            o[:] = 0
            c[:] = 0
        o = o + arrivals[t]
        c = c + rng.binomial(o - c, close_p[t])
        opened[t] = o
        closed[t] = c
    return opened, closed


def with_dips(rng: np.random.Generator, installed: np.ndarray) -> np.ndarray:
    """Online device counts: ~96-98% of installed, with a few short outages per district."""
    frac = 0.97 + rng.normal(0, 0.004, len(installed)) + ar1(rng, len(installed), 0.97, 0.001)
    for d, n_dips in enumerate(rng.poisson(1.5, len(installed))):
        for _ in range(n_dips):
            start = rng.integers(0, N_STEPS)
            frac[start:start + rng.integers(3, 19), d] -= rng.uniform(0.02, 0.08)
    return np.round(installed * np.clip(frac, 0.8, 1.0))
