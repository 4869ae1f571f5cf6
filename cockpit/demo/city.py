"""Seeded demo data for the wall: Weifang's 12 districts, written as a snapshot folder.

The data cover TWO full local days at 5-minute resolution, 2026-11-26 00:00 to 2026-11-27 23:55
Asia/Shanghai (the grid: :mod:`cockpit.demo.grid`), so the wall always has "the same time
yesterday" to compare with. Timestamps are stored as timezone-aware UTC. Every metric of
:data:`cockpit.model.metrics.METRICS` is produced for every district at every step, with
realistic shapes (daily cycles, rush hours, counters that reset at local midnight); ~60 IoT
devices plus one entity per district; ~150 alerts a day. The core metrics are made here
(:data:`CORE_METRICS`), those of the topical walls of issue 17 (fire, health, community,
education, social security, tourism) with their alerts and the fire service's key units in
:mod:`cockpit.demo.topical`. The topical walls' reported figures (``indicators``) and lists
(key projects, enterprises, ...) come from :mod:`cockpit.demo.registers` and
:mod:`cockpit.demo.topical_registers`.

The same seed gives identical table contents. Pure Python + numpy + pyarrow; no Qt.

    python -m cockpit.demo.city --out assets/demo/snapshot [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from cockpit.data.snapshot import SnapshotError, export_snapshot, snapshot_info
from cockpit.data.store import Store
from cockpit.demo import registers as demo_topical
from cockpit.demo import topical as demo_live
from cockpit.demo import topical_registers
from cockpit.demo.grid import (  # noqa: F401 (re-exported: the demo's clock and districts)
    CODES,
    DAYS,
    END,
    FEED,
    LOCAL_TZ,
    N_STEPS,
    PROFILES,
    START,
    STEP,
    STEPS_PER_DAY,
    District,
    ar1,
    cumulative_cases,
    hours,
    per_step_rate,
    profile,
    times,
    with_dips,
)
from cockpit.model.metrics import ALERT_CATEGORIES, DISTRICTS, METRICS, SEVERITIES

#: The metrics of the city's running state (air, traffic, cases, devices, services): what the
#: simulated sources serve too (cockpit.demo.world). The topical walls' metrics come from
#: cockpit.demo.topical, in the snapshot only.
CORE_METRICS: tuple[str, ...] = (
    "aqi", "pm25", "congestion", "parking_occupancy", "hotline_opened", "hotline_closed",
    "citycase_opened", "citycase_closed", "iot_sensors_online", "iot_cameras_online",
    "robots_patrol_online", "robots_disinfect_online", "wst_users", "online_service_rate")
assert set(CORE_METRICS) | set(demo_live.TOPICAL_METRICS) == set(METRICS)


# -- observations ---------------------------------------------------------------------------
def _series(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every metric as a (N_STEPS, D) float array, districts in CODES order."""
    d = len(CODES)
    h = hours()
    day = np.arange(N_STEPS) // STEPS_PER_DAY
    urban = np.array([PROFILES[c].urban for c in CODES])
    pop = np.array([PROFILES[c].population for c in CODES])
    s: dict[str, np.ndarray] = {}

    # Air: worse at night / early morning and with evening heating, best mid-afternoon.
    cycle = profile(h, {0: 1.15, 3: 1.25, 6: 1.3, 9: 1.05, 12: 0.8, 15: 0.7, 17: 0.85,
                         20: 1.15, 22: 1.25, 24: 1.15})
    base = 72 + 22 * urban + rng.normal(0, 6, d)
    drift = ar1(rng, 1, 0.995, 0.015) + ar1(rng, d, 0.99, 0.015)
    aqi = base * cycle[:, None] * np.exp(drift) + rng.normal(0, 3, (N_STEPS, d))
    s["aqi"] = np.clip(aqi, 30, 180).round()
    ratio = rng.uniform(0.6, 0.75, d) * (1 + rng.normal(0, 0.03, (N_STEPS, d)))
    s["pm25"] = np.clip(s["aqi"] * ratio, 15, 140).round()

    # Traffic: morning 7:30-9:00 and evening 17:00-19:00 peaks; Friday evening a bit worse.
    rush = (np.exp(-0.5 * ((h - 8.25) / 0.45) ** 2)
            + (1.1 + 0.08 * day) * np.exp(-0.5 * ((h - 18.0) / 0.6) ** 2))
    daytime = profile(h, {0: 0, 6: 0, 7.5: 0.35, 20.5: 0.35, 22.5: 0, 24: 0})
    amp = 0.3 + 0.65 * urban
    congestion = (1.05 + 0.05 * urban + (rush + daytime)[:, None] * amp
                  + ar1(rng, d, 0.9, 0.015) + rng.normal(0, 0.025, (N_STEPS, d)))
    s["congestion"] = np.clip(congestion, 1.0, 2.6).round(2)

    busy = profile(h, {0: 0, 6: 0, 8: 0.5, 10: 0.95, 12: 0.85, 13: 0.9, 17: 1.0, 19: 0.75,
                        21: 0.3, 24: 0})
    night, high = 25 + 10 * urban, 55 + 35 * urban
    parking = (night + (high - night) * busy[:, None] + ar1(rng, d, 0.95, 0.6)
               + rng.normal(0, 1.0, (N_STEPS, d)))
    s["parking_occupancy"] = np.clip(parking, 20, 95).round(1)

    # 12345 hotline and city-management cases: cumulative since local midnight.
    office = profile(h, {0: 0.15, 6: 0.15, 8: 0.8, 9: 1.0, 11.5: 1.0, 12.5: 0.7, 14: 1.0,
                          17.5: 1.0, 19: 0.6, 22: 0.3, 24: 0.15})
    close = profile(h, {0: 0.002, 7.5: 0.002, 8.5: 0.025, 17.5: 0.025, 19: 0.008, 24: 0.002})
    rate = per_step_rate(rng, 3800, pop * rng.lognormal(0, 0.1, d), office)
    s["hotline_opened"], s["hotline_closed"] = cumulative_cases(rng, rate, close)
    patrol = profile(h, {0: 0.05, 6: 0.05, 7: 0.6, 8: 1.0, 17.5: 1.0, 19: 0.4, 21: 0.1, 24: 0.05})
    rate = per_step_rate(rng, 2000, pop * (0.5 + urban) * rng.lognormal(0, 0.1, d), patrol)
    s["citycase_opened"], s["citycase_closed"] = cumulative_cases(
        rng, rate, 1.6 * np.maximum(close, 0.002))

    # IoT and robots.
    sensors = np.round(3000 + 8500 * urban + rng.normal(0, 300, d)).clip(3000, 12000)
    cameras = np.round(1500 + 4300 * urban + rng.normal(0, 150, d)).clip(1500, 6000)
    s["iot_sensors_online"] = with_dips(rng, sensors)
    s["iot_cameras_online"] = with_dips(rng, cameras)
    fleet = np.round(6 + 18 * urban)
    on_duty = profile(h, {0: 0.35, 6: 0.35, 7.5: 0.9, 20: 0.9, 22: 0.35, 24: 0.35})
    robots = fleet * on_duty[:, None] + ar1(rng, d, 0.95, 0.3)
    s["robots_patrol_online"] = np.clip(np.round(robots), 3, fleet).astype(float)
    fleet = np.round(4 + 11 * urban)
    on_duty = profile(h, {0: 0.3, 5: 0.3, 6.5: 0.9, 9: 0.9, 10: 0.5, 18: 0.5, 19: 0.9,
                           22: 0.9, 23: 0.3, 24: 0.3})
    robots = fleet * on_duty[:, None] + ar1(rng, d, 0.95, 0.3)
    s["robots_disinfect_online"] = np.clip(np.round(robots), 2, fleet).astype(float)

    # 潍事通 registered users: ~6.4 million in total, a few thousand new a day.
    share = pop * (0.8 + 0.4 * urban) * rng.lognormal(0, 0.03, d)
    share /= share.sum()
    start_users = np.round(6_380_000 * rng.normal(1, 0.01) * share)
    rate = per_step_rate(rng, 7000, share, office)
    s["wst_users"] = start_users + np.cumsum(rng.poisson(rate), axis=0)

    service = 95.5 + 2 * urban + rng.normal(0, 0.6, d) + ar1(rng, d, 0.995, 0.04)
    s["online_service_rate"] = np.clip(service, 92, 99.5).round(1)
    return {code: s[code].astype(np.float64) for code in CORE_METRICS}


def observations(rng: np.random.Generator, topical_seed: int | None = None) -> pa.Table:
    """The observations table, ordered by (ts, district, metric): the core metrics, and with
    ``topical_seed`` the topical walls' too (:mod:`cockpit.demo.topical`, its own streams)."""
    series = _series(rng)
    if topical_seed is not None:
        series |= demo_live.series(topical_seed)
    codes, metrics = np.array(CODES), np.array([m for m in METRICS if m in series])
    n_d, n_m = len(codes), len(metrics)
    per_step = n_d * n_m
    values = np.stack([series[m] for m in metrics], axis=-1)  # (T, D, M)
    district = np.repeat(codes, n_m)
    metric = np.tile(metrics, n_d)
    entity = np.array([f"{c}:{m}" for c, m in zip(district, metric, strict=True)])
    unit = np.array([METRICS[m].unit for m in metric])
    lat = np.array([PROFILES[c].lat for c in district])
    lon = np.array([PROFILES[c].lon for c in district])

    def tile(a: np.ndarray) -> np.ndarray:
        return np.tile(a, N_STEPS)

    return pa.table({
        "ts": pa.array(np.repeat(times(), per_step), pa.timestamp("us", tz="UTC")),
        "feed": pa.array([FEED] * (N_STEPS * per_step), pa.string()),
        "entity_id": tile(entity),
        "entity_type": pa.array(["district"] * (N_STEPS * per_step), pa.string()),
        "metric": tile(metric),
        "value": values.reshape(-1),
        "unit": tile(unit),
        "district": tile(district),
        "lat": tile(lat),
        "lon": tile(lon),
    })


# -- entities -------------------------------------------------------------------------------
#: entity_type -> ((name label, vendor, model), ...)
DEVICE_KINDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sensor": (("空气监测站", "先河环保", "XH-AQMS-3000"), ("水质监测点", "聚光科技", "SIA-2000"),
               ("积水监测点", "歌尔股份", "GW-LS20"), ("噪声监测点", "聚光科技", "AWA-6228")),
    "camera": (("高清摄像头", "海康威视", "DS-2DE7432"), ("高点摄像头", "大华股份", "SD-6C3432")),
    "patrol_robot": (("巡逻机器人", "优必选", "ATRIS-2"),),
    "disinfect_robot": (("消杀机器人", "高仙机器人", "Scrubber-50"),),
}


def _near(code: str, dlat: float, dlon: float) -> dict[str, float]:
    """A device's or alert's place: the district's label point moved by the drawn offset (or
    less, so it stays inside the district's outline; cockpit.demo.topical.place)."""
    lat, lon = demo_live.place(code, dlat, dlon)
    return {"lat": lat, "lon": lon}


def _ts_array(values: list[datetime | None]) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def entities(rng: np.random.Generator) -> pa.Table:
    """One entity per district plus ~60 IoT devices (2 sensors, 1-2 cameras, 2 robots each)."""
    rows: list[dict[str, object]] = []
    for code in CODES:
        p, name = PROFILES[code], DISTRICTS[code]
        rows.append({"entity_id": code, "entity_type": "district", "name": name,
                     "district": code, "lat": p.lat, "lon": p.lon, "status": "online",
                     "attrs": json.dumps({"population_10k": p.population}, ensure_ascii=False)})
        counts = {"sensor": 2, "camera": 2 if p.urban >= 0.9 else 1,
                  "patrol_robot": 1, "disinfect_robot": 1}
        for etype, count in counts.items():
            first = int(rng.integers(1, 9))  # shown numbers: first, first + 1, ...
            for i in range(1, count + 1):
                kinds = DEVICE_KINDS[etype]
                label, vendor, model = kinds[rng.integers(len(kinds))]
                number = first + i - 1
                rows.append({
                    "entity_id": f"{etype}-{code}-{i:02d}", "entity_type": etype,
                    "name": f"{name}{label}{number:02d}", "district": code,
                    **_near(code, rng.normal(0, 0.02), rng.normal(0, 0.025)),
                    "status": str(rng.choice(["online", "offline", "fault"], p=[0.86, 0.09, 0.05])),
                    "attrs": json.dumps({"vendor": vendor, "model": model, "kind": label,
                                         "installed": f"202{rng.integers(2, 6)}-"
                                                      f"{rng.integers(1, 13):02d}-15"},
                                        ensure_ascii=False, sort_keys=True),
                })
    table = pa.Table.from_pylist(rows)
    return table.append_column("updated_at", _ts_array([END] * table.num_rows))


# -- alerts ---------------------------------------------------------------------------------
TITLES: dict[str, tuple[str, ...]] = {
    "fire": ("{d}{s}某小区烟感报警", "{d}{s}某商铺电气线路温度异常", "{d}{p}消防通道占用",
             "{d}{s}某仓库可燃气体浓度超限"),
    "security": ("{d}{p}人员聚集预警", "{d}{s}某厂区周界入侵报警", "{d}{p}走失人员求助"),
    "traffic": ("{d}{s}与{s2}交叉口拥堵", "{d}{s}发生两车剐蹭事故", "{d}{s}与{s2}路口信号灯故障",
                "{d}{s}路面积水影响通行"),
    "environment": ("{d}某企业废气排放超标", "{d}{s}建筑工地扬尘超标", "{d}{s}夜间施工噪声超标",
                    "{d}某河段水质氨氮超标"),
    "device": ("{d}{n}号监测站离线", "{d}{s}视频监控离线", "{d}巡逻机器人{n:02d}电量过低",
               "{d}{s}积水监测点通信中断"),
}
DETAILS: dict[str, str] = {
    "fire": "{t}，{title}。物联网感知设备触发报警，已推送辖区消防救援站及物业，请核实现场情况并反馈处置结果。",
    "security": "{t}，{title}。视频智能分析发现异常，已通知属地派出所和网格员前往核查。",
    "traffic": "{t}，{title}。路段平均车速明显下降，已通知交警中队到场疏导，并同步优化信号配时。",
    "environment": "{t}，{title}。在线监测数据连续超过限值，已通知生态环境分局执法人员到场检查。",
    "device": "{t}，{title}。设备心跳中断，已派单运维单位排查网络与供电情况。",
}
OPERATORS = ("值班员张伟", "值班员李娜", "值班员王磊", "值班员刘洋", "值班员陈静", "值班员赵强")
CATEGORY_WEIGHTS = {"fire": 0.12, "security": 0.2, "traffic": 0.3, "environment": 0.16,
                    "device": 0.22}
SEVERITY_WEIGHTS = (0.05, 0.2, 0.4, 0.35)
assert set(TITLES) == set(DETAILS) == set(CATEGORY_WEIGHTS) <= set(ALERT_CATEGORIES)
assert set(TITLES) | set(demo_live.ALERTS) == set(ALERT_CATEGORIES)


def _alert_times(rng: np.random.Generator) -> np.ndarray:
    """Sorted alert times in seconds after START: ~150 a day, more in the daytime."""
    w = profile(hours()[:STEPS_PER_DAY], {0: 0.3, 6: 0.3, 8: 1.0, 18: 1.0, 22: 0.6, 24: 0.3})
    end = (END - START).total_seconds()
    secs = []
    for day in range(DAYS):
        steps = rng.choice(STEPS_PER_DAY, size=int(rng.integers(140, 161)), p=w / w.sum())
        secs.append(day * 86400 + steps * 300 + rng.integers(0, 300, len(steps)))
    return np.sort(np.minimum(np.concatenate(secs), end))


def alerts(rng: np.random.Generator) -> pa.Table:
    secs = _alert_times(rng)
    n = len(secs)
    end = (END - START).total_seconds()
    weights = np.array([PROFILES[c].population * (0.5 + PROFILES[c].urban) for c in CODES])
    districts = rng.choice(len(CODES), size=n, p=weights / weights.sum())
    cats = list(CATEGORY_WEIGHTS)
    categories = rng.choice(len(cats), size=n, p=list(CATEGORY_WEIGHTS.values()))
    severities = rng.choice(len(SEVERITIES), size=n, p=SEVERITY_WEIGHTS)
    # Recent alerts are mostly still open, older ones mostly cleared.
    age_h = (end - secs) / 3600
    p_open = np.select([age_h < 2, age_h < 8], [0.7, 0.1], 0.02)
    p_acked = np.select([age_h < 2, age_h < 8], [0.22, 0.3], 0.08)
    u = rng.random(n)
    state = np.where(u < p_open, "open", np.where(u < p_open + p_acked, "acked", "cleared"))
    ack_s = secs + np.minimum(rng.exponential(8 * 60, n), 0.5 * (end - secs))
    clear_s = ack_s + np.minimum(rng.exponential(50 * 60, n), rng.uniform(0.3, 1, n) * (end - ack_s))
    rows: list[dict[str, object]] = []
    for i in range(n):
        code = CODES[districts[i]]
        p, cat = PROFILES[code], cats[categories[i]]
        s, s2 = rng.choice(len(p.streets), size=2, replace=False)
        template = TITLES[cat][rng.integers(len(TITLES[cat]))]
        title = template.format(d=DISTRICTS[code], s=p.streets[s], s2=p.streets[s2],
                                p=p.places[rng.integers(len(p.places))],
                                n=int(rng.integers(1, 13)))
        ts = START + timedelta(seconds=int(secs[i]))
        local = ts.astimezone(LOCAL_TZ)
        detail = DETAILS[cat].format(t=f"{local.month}月{local.day}日{local:%H:%M}", title=title)
        acked = state[i] != "open"
        rows.append({
            "alert_id": f"demo-{i + 1:06d}", "ts": ts, "feed": FEED,
            "severity": SEVERITIES[severities[i]], "category": cat, "title": title,
            "detail": detail, "district": code,
            **_near(code, rng.normal(0, 0.02), rng.normal(0, 0.025)),
            "state": str(state[i]),
            "ack_by": OPERATORS[rng.integers(len(OPERATORS))] if acked else None,
            "ack_at": START + timedelta(seconds=int(ack_s[i])) if acked else None,
            "cleared_at": (START + timedelta(seconds=int(clear_s[i]))
                           if state[i] == "cleared" else None),
        })
    schema = pa.schema([
        ("alert_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("feed", pa.string()),
        ("severity", pa.string()), ("category", pa.string()), ("title", pa.string()),
        ("detail", pa.string()), ("district", pa.string()), ("lat", pa.float64()),
        ("lon", pa.float64()), ("state", pa.string()), ("ack_by", pa.string()),
        ("ack_at", pa.timestamp("us", tz="UTC")), ("cleared_at", pa.timestamp("us", tz="UTC")),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


# -- entry points ---------------------------------------------------------------------------
def generate(store: Store, seed: int = 2026) -> None:
    """Fill ``store`` (meant to be empty) with the demo observations, entities, alerts and
    indicators."""
    rng = np.random.default_rng(seed)
    store.append("observations", observations(rng, topical_seed=seed))
    store.upsert("entities", entities(rng))
    store.upsert("alerts", alerts(rng))
    store.upsert("indicators", demo_topical.indicators(seed))
    store.upsert("entities", demo_topical.entities(seed, END))
    store.upsert("entities", demo_live.entities(seed))
    store.upsert("alerts", demo_live.alerts(seed))
    store.upsert("indicators", topical_registers.indicators(seed))


def _looks_like_snapshot(path: Path) -> bool:
    """Only Parquet files and the two import scripts: safe to replace wholesale."""
    return path.is_dir() and all(
        p.is_file() and (p.suffix == ".parquet" or p.name in ("schema.sql", "load.sql"))
        for p in path.iterdir())


def build_snapshot(out: Path, seed: int = 2026, *, replace: bool = False) -> Path:
    """Generate the demo into a temporary store and export it as a snapshot folder at ``out``.

    With ``replace``, an existing snapshot folder at ``out`` (only .parquet files inside) is
    replaced once the new one is complete; anything else there is refused.
    """
    out = Path(out)
    if out.exists() and not replace:
        raise SnapshotError(f"{out}: exists (use replace=True / the CLI to overwrite it)")
    if out.exists() and not _looks_like_snapshot(out):
        raise SnapshotError(f"{out}: not a snapshot folder, refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cockpit-demo-") as work:
        with Store(Path(work) / "demo.duckdb") as store:
            generate(store, seed)
            staged = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
            try:
                export_snapshot(store, staged / "snapshot")
                if out.exists():
                    shutil.rmtree(out)
                (staged / "snapshot").rename(out)
            finally:
                shutil.rmtree(staged, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cockpit.demo.city",
                                     description="Write the seeded demo snapshot.")
    parser.add_argument("--out", type=Path, required=True, help="snapshot folder to (re)write")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        out = build_snapshot(args.out, args.seed, replace=True)
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = snapshot_info(out).rows
    print(f"{out}: seed {args.seed}, " + ", ".join(f"{t} {n}" for t, n in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
