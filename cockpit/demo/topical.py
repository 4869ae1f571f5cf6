"""The live side of the topical walls of issue 17 in the demo: the 5-minute series of their
metrics (fire, health, community, education, social security, tourism), their alerts (elderly
care, hospitals, campuses, crowded scenic spots, fires at key units) and the fire service's key
units (重点单位) with coordinates inside their districts.

Everything here draws from its own random streams (``[seed, 7]``, ``[seed, 8]``), so the core
series, devices and alerts of :mod:`cockpit.demo.city` stay exactly what they were. Points are
drawn inside the district outlines of ``assets/maps`` (GCJ-02, as the map draws them) and stored
as WGS-84, the cache's default. Pure Python + numpy + pyarrow; no Qt.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache

import numpy as np
import pyarrow as pa

from cockpit.demo.grid import (
    CODES,
    END,
    FEED,
    LOCAL_TZ,
    N_STEPS,
    PROFILES,
    START,
    STEPS_PER_DAY,
    ar1,
    cumulative_cases,
    hours,
    per_step_rate,
    profile,
    with_dips,
)
from cockpit.model.metrics import DISTRICT_SHORT, DISTRICTS, METRICS, SEVERITIES
from cockpit.model.resources import districts_file
from maps.coords import gcj02_to_wgs84

#: The metrics this module makes, in the catalogue's order.
TOPICAL_METRICS: tuple[str, ...] = (
    "fire_alarms_today", "smoke_sensors_online", "hydrants_online", "fire_arrival_min",
    "outpatient_today", "emergency_today", "bed_occupancy", "robots_guide_online",
    "access_passes_today", "community_parking", "robots_companion_online", "robots_service_online",
    "edu_platform_online", "robots_education_online", "medins_settled_today", "social_online_today",
    "scenic_visitors", "scenic_load", "hotel_occupancy", "visitors_today",
)
assert set(TOPICAL_METRICS) <= set(METRICS)

#: How much each district draws visitors (its A-level scenic spots), and what they hold at once.
TOURISM = dict(zip(CODES, (0.8, 0.7, 0.35, 0.9, 1.0, 0.45, 1.0, 0.6, 0.4, 0.4, 0.45, 0.3),
                   strict=True))


# -- series -----------------------------------------------------------------------------------
def _fleet(rng: np.random.Generator, fleet: np.ndarray, duty: np.ndarray, floor: int) -> np.ndarray:
    """Robots at work: the fleet times the share on duty, with a little noise."""
    at_work = fleet * duty[:, None] + ar1(rng, len(fleet), 0.95, 0.3)
    return np.clip(np.round(at_work), floor, fleet).astype(float)


def _arrivals(rng: np.random.Generator, daily: float, share: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """A count since local midnight of Poisson arrivals (visits, passes, settlements)."""
    opened, _ = cumulative_cases(rng, per_step_rate(rng, daily, share, shape),
                                 np.zeros(N_STEPS))
    return opened.astype(float)


def series(seed: int) -> dict[str, np.ndarray]:
    """Every metric of :data:`TOPICAL_METRICS` as a (N_STEPS, D) array, districts in CODES order."""
    rng = np.random.default_rng([seed, 7])
    d = len(CODES)
    h = hours()
    urban = np.array([PROFILES[c].urban for c in CODES])
    pop = np.array([PROFILES[c].population for c in CODES])
    tour = np.array([TOURISM[c] for c in CODES])
    s: dict[str, np.ndarray] = {}

    # 智慧消防: alarms received today (cooking hours and the heating evening), sensors online,
    # arrival times (longer in the counties and in the rush hours).
    fire_hours = profile(h, {0: 0.4, 6: 0.3, 10: 0.8, 12: 1.2, 14: 0.8, 17: 1.2, 19: 1.4,
                             22: 0.8, 24: 0.4})
    s["fire_alarms_today"] = _arrivals(rng, 36, pop * (0.6 + urban), fire_hours)
    smoke = np.round(89_200 * pop * (0.4 + urban) / (pop * (0.4 + urban)).sum())
    s["smoke_sensors_online"] = with_dips(rng, smoke)
    hydrants = np.round(12_600 * pop * (0.3 + urban) / (pop * (0.3 + urban)).sum())
    s["hydrants_online"] = with_dips(rng, hydrants)
    rush = profile(h, {0: 0, 7: 0, 8: 1.5, 9.5: 0, 17: 0, 18: 1.8, 19.5: 0, 24: 0})
    arrival = (6.8 + 6.5 * (1 - urban))[None, :] + rush[:, None] * (0.4 + urban) \
        + ar1(rng, d, 0.97, 0.15)
    s["fire_arrival_min"] = np.clip(arrival, 5.5, 16.5).round(1)

    # 智慧健康: outpatients in the clinic hours, emergencies round the clock, beds emptied in
    # the morning's discharges and filled in the afternoon's admissions; guide robots in clinics.
    clinic = profile(h, {0: 0.02, 7: 0.05, 8: 1.0, 11: 1.0, 12: 0.3, 14: 0.9, 17: 0.6,
                         18: 0.05, 24: 0.02})
    s["outpatient_today"] = _arrivals(rng, 68_000, pop * (0.5 + urban), clinic)
    emergency = profile(h, {0: 0.5, 5: 0.3, 9: 0.9, 12: 1.0, 19: 1.3, 22: 1.0, 24: 0.5})
    s["emergency_today"] = _arrivals(rng, 3_600, pop * (0.5 + urban), emergency)
    beds = profile(h, {0: 0.6, 8: 0.6, 11: -0.8, 14: -0.6, 18: 0.6, 24: 0.6})
    occupancy = (82 + 9 * urban + rng.normal(0, 2, d))[None, :] + 2.5 * beds[:, None] \
        + ar1(rng, d, 0.99, 0.12)
    s["bed_occupancy"] = np.clip(occupancy, 70, 98).round(1)
    s["robots_guide_online"] = _fleet(rng, np.round(2 + 10 * urban), profile(
        h, {0: 0.15, 7: 0.15, 7.5: 0.95, 17.5: 0.95, 18: 0.15, 24: 0.15}), 1)

    # 智慧社区: gate passes with the commuting peaks, parking full at night, robots by day.
    gates = profile(h, {0: 0.1, 5: 0.1, 7: 1.2, 8.5: 1.4, 10: 0.6, 12: 0.8, 14: 0.5, 17: 1.0,
                        18.5: 1.5, 20: 0.8, 22: 0.4, 24: 0.1})
    s["access_passes_today"] = _arrivals(rng, 1_900_000, pop * (0.3 + urban), gates)
    home = profile(h, {0: 1.0, 6: 1.0, 8.5: 0.55, 16: 0.5, 19: 0.9, 21: 1.0, 24: 1.0})
    full, low = 80 + 14 * urban, 40 + 15 * urban
    parking = low + (full - low) * home[:, None] + ar1(rng, d, 0.95, 0.6)
    s["community_parking"] = np.clip(parking, 30, 99).round(1)
    day_care = profile(h, {0: 0.3, 6.5: 0.3, 7.5: 0.9, 20.5: 0.9, 21.5: 0.3, 24: 0.3})
    s["robots_companion_online"] = _fleet(rng, np.round(3 + 9 * urban), day_care, 1)
    s["robots_service_online"] = _fleet(rng, np.round(4 + 12 * urban), profile(
        h, {0: 0.1, 7.5: 0.1, 8.5: 0.9, 19.5: 0.9, 20.5: 0.1, 24: 0.1}), 1)

    # 智慧教育: the platform in lessons and, more, at homework time; robots in school hours.
    study = profile(h, {0: 0.01, 6: 0.01, 7.5: 0.1, 8.5: 0.45, 11.5: 0.45, 12.5: 0.15, 14: 0.4,
                        17: 0.35, 18.5: 0.5, 19.5: 1.0, 21.5: 0.9, 22.5: 0.2, 24: 0.01})
    users = 180_000 * (pop / pop.sum())[None, :] * study[:, None] \
        * np.exp(ar1(rng, d, 0.95, 0.03))
    s["edu_platform_online"] = np.round(users)
    s["robots_education_online"] = _fleet(rng, np.round(2 + 8 * urban), profile(
        h, {0: 0.0, 7.5: 0.0, 8: 0.9, 11.5: 0.9, 12: 0.4, 14: 0.9, 17: 0.9, 17.5: 0.0, 24: 0.0}), 0)

    # 智慧社保: settlements in clinics and pharmacies (evenings too), 潍事通 in office hours.
    pharmacy = profile(h, {0: 0.05, 7: 0.1, 8: 0.9, 11: 1.0, 12: 0.5, 14: 0.9, 17: 0.8, 20: 0.6,
                           22: 0.15, 24: 0.05})
    s["medins_settled_today"] = _arrivals(rng, 95_000, pop, pharmacy)
    office = profile(h, {0: 0.05, 7: 0.1, 9: 1.0, 11.5: 1.0, 12.5: 0.6, 14: 1.0, 17.5: 0.9,
                         20: 0.7, 23: 0.2, 24: 0.05})
    s["social_online_today"] = _arrivals(rng, 14_000, pop * (0.6 + urban), office)

    # 文旅消费: visitors in the scenic spots from opening to closing, the load against what the
    # spots hold (Friday busier), hotels filling in the evening, arrivals since midnight.
    day = np.arange(N_STEPS) // STEPS_PER_DAY
    opening = profile(h, {0: 0, 7.5: 0, 8.5: 0.35, 10: 0.85, 11.5: 1.0, 14.5: 1.0, 16: 0.6,
                          17.5: 0.1, 18: 0, 24: 0})
    capacity = np.round(9_000 * tour * rng.uniform(0.8, 1.2, d), -2)
    peak = capacity * np.clip(0.5 + 0.45 * tour + rng.normal(0, 0.05, d), 0.35, 0.93)
    visitors = peak[None, :] * opening[:, None] * (1 + 0.08 * day)[:, None] \
        * np.exp(ar1(rng, d, 0.95, 0.03))
    s["scenic_visitors"] = np.round(np.clip(visitors, 0, capacity))
    s["scenic_load"] = (s["scenic_visitors"] / capacity * 100).round(1)
    stay = profile(h, {0: 1.0, 8: 0.9, 11: 0.6, 14: 0.55, 17: 0.75, 21: 0.95, 24: 1.0})
    hotel = (58 + 14 * urban + 8 * tour)[None, :] * (0.85 + 0.15 * stay)[:, None] \
        + ar1(rng, d, 0.97, 0.3)
    s["hotel_occupancy"] = np.clip(hotel, 35, 96).round(1)
    arrivals = profile(h, {0: 0.02, 7: 0.1, 9: 0.9, 11: 1.0, 14: 0.8, 17: 0.4, 20: 0.2, 24: 0.02})
    s["visitors_today"] = _arrivals(rng, 120_000, 0.2 + tour, arrivals)
    return {code: s[code].astype(np.float64) for code in TOPICAL_METRICS}


# -- places inside the districts -----------------------------------------------------------------
def _inside(x: float, y: float, ring: list[list[float]]) -> bool:
    """Ray casting: is (x, y) inside the closed ``ring`` of [x, y] points?"""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@cache
def outlines() -> dict[str, tuple[tuple[float, float], list[list[list[float]]]]]:
    """district -> (label point (lon, lat), exterior rings), GCJ-02 as the bundled file has it."""
    data = json.loads(districts_file().read_text("utf-8"))
    out = {}
    for f in data["features"]:
        geom = f["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        lat, lon = f["properties"]["label"]
        out[f["properties"]["adcode"]] = ((lon, lat), [p[0] for p in polygons])
    return out


def _well_inside(x: float, y: float, rings: list[list[list[float]]]) -> bool:
    """(x, y) and its neighbours 300 m away all fall inside the outline."""
    m = 0.003
    return all(any(_inside(px, py, r) for r in rings)
               for px, py in ((x, y), (x + m, y), (x - m, y), (x, y + m), (x, y - m)))


def place(code: str, dlat: float, dlon: float) -> tuple[float, float]:
    """A WGS-84 (lat, lon) inside district ``code``: its label point moved by (dlat, dlon)
    degrees, the move halved until the point lies well inside the outline (GCJ-02, as drawn)."""
    (lx, ly), rings = outlines()[code]
    for _ in range(8):
        if _well_inside(lx + dlon, ly + dlat, rings):
            break
        dlat, dlon = dlat / 2, dlon / 2
    else:
        dlat = dlon = 0.0  # the label point is inside by construction
    lon, lat = gcj02_to_wgs84(lx + dlon, ly + dlat)
    return round(lat, 6), round(lon, 6)


def _point_in(rng: np.random.Generator, code: str, spread: float = 0.06) -> tuple[float, float]:
    """A random WGS-84 (lat, lon) well inside district ``code``, around its label point."""
    (lx, ly), rings = outlines()[code]
    for _ in range(50):
        dlon, dlat = rng.normal(0, spread), rng.normal(0, spread * 0.8)
        if _well_inside(lx + dlon, ly + dlat, rings):
            return place(code, dlat, dlon)
    return place(code, 0.0, 0.0)


# -- the fire service's key units ------------------------------------------------------------------
#: (name template, category); {s} is the district's short name.
KEY_UNITS = (("{s}人民医院", "医疗机构"), ("{s}第一中学", "学校"), ("{s}购物中心", "商业综合体"),
             ("{s}社会福利中心", "养老机构"), ("{s}汽车站", "交通枢纽"), ("{s}化工园区", "危化品企业"))


def _unit_names(code: str) -> list[tuple[str, str]]:
    short = DISTRICT_SHORT[code]
    names = [(t.format(s=short), cat) for t, cat in KEY_UNITS]
    names += [(place, "人员密集场所") for place in PROFILES[code].places]
    return names


def entities(seed: int) -> pa.Table:
    """The key units (重点单位) the fire service watches: 4 or 5 a district, inside it."""
    rng = np.random.default_rng([seed, 8])
    rows = []
    n = 0
    for code in CODES:
        names = _unit_names(code)
        pick = rng.choice(len(names), size=4 + int(PROFILES[code].urban >= 0.9), replace=False)
        for i in sorted(pick):
            n += 1
            name, category = names[i]
            lat, lon = _point_in(rng, code)
            status = str(rng.choice(["online", "fault", "offline"], p=[0.88, 0.08, 0.04]))
            rows.append({"entity_id": f"fire_unit-{n:03d}", "entity_type": "fire_unit",
                         "name": name, "district": code, "lat": lat, "lon": lon,
                         "status": status,
                         "attrs": json.dumps({"category": category, "kind": "消防重点单位",
                                              "level": "一级" if category in ("危化品企业", "医疗机构")
                                              else "二级",
                                              "smoke_sensors": int(rng.integers(60, 900))},
                                             ensure_ascii=False, sort_keys=True)})
    table = pa.Table.from_pylist(rows)
    return table.append_column("updated_at", pa.array([END] * table.num_rows,
                                                      pa.timestamp("us", tz="UTC")))


# -- alerts ---------------------------------------------------------------------------------------
#: category -> (alerts a day, hourly weights {hour: w}, titles, detail, severity weights).
#: Titles: {u} a key unit, {c} a community, {h} a hospital, {x} a school, {p} a scenic spot.
ALERTS: dict[str, tuple[int, dict[float, float], tuple[str, ...], str, tuple[float, ...]]] = {
    "fire": (10, {0: 0.5, 8: 1.0, 18: 1.2, 22: 0.8, 24: 0.5},
             ("{u}烟感报警", "{u}电气火灾监控报警", "{u}消防水压异常", "{u}消防通道占用"),
             "{t}，{title}。重点单位物联感知设备报警，已推送辖区消防救援站与单位消防控制室，请核实处置。",
             (0.1, 0.3, 0.4, 0.2)),
    "elderly": (12, {0: 0.4, 6: 0.6, 8: 1.0, 20: 1.0, 23: 0.5, 24: 0.4},
                ("{c}独居老人超12小时无活动", "{c}老人智能手环SOS求助", "{c}老人跌倒报警",
                 "{c}助餐点今日未送达"),
                "{t}，{title}。社区养老服务平台已通知网格员和家属上门查看，并同步社区卫生服务站。",
                (0.15, 0.35, 0.35, 0.15)),
    "health": (6, {0: 0.3, 8: 1.0, 12: 1.0, 20: 0.8, 24: 0.3},
               ("{h}急诊候诊人数超限", "{h}病床使用率超95%", "{h}发热门诊就诊人数上升",
                "{h}消毒机器人离线"),
               "{t}，{title}。已通知医院医务科及市卫健委值班室，启动分流与床位调配。",
               (0.05, 0.3, 0.45, 0.2)),
    "campus": (8, {0: 0.05, 6.5: 0.1, 7.5: 1.5, 8.5: 0.4, 12: 0.6, 16.5: 1.2, 17.5: 1.2,
                   18.5: 0.2, 24: 0.05},
               ("{x}周边上学高峰拥堵", "{x}校园周界入侵报警", "{x}明厨亮灶操作不规范",
                "{x}放学时段校门口人员聚集"),
               "{t}，{title}。已推送属地派出所、交警中队和学校安保，护学岗到位处置。",
               (0.05, 0.25, 0.45, 0.25)),
    "crowding": (6, {0: 0.0, 8.5: 0.0, 9: 0.2, 10.5: 1.0, 14.5: 1.0, 16: 0.2, 16.5: 0.0, 24: 0.0},
                 ("{p}游客接近最大承载量", "{p}入口排队超30分钟", "{p}停车场已满"),
                 "{t}，{title}。景区已启动限流与分时预约，文旅、交警部门到场疏导。",
                 (0.1, 0.4, 0.4, 0.1)),
}
HOSPITALS = dict(zip(CODES, ("潍坊市人民医院", "寒亭区人民医院", "坊子区人民医院", "潍坊医学院附属医院",
                             "临朐县人民医院", "昌乐县人民医院", "青州市人民医院", "诸城市人民医院",
                             "寿光市人民医院", "安丘市人民医院", "高密市人民医院", "昌邑市人民医院"),
                     strict=True))
#: The A-level scenic spots of each district (crowding alerts name them).
SCENIC_SPOTS = dict(zip(CODES, (
    ("十笏园文化街区", "潍坊市博物馆"), ("杨家埠民俗艺术大观园",), ("坊子炭矿遗址文化园",),
    ("世界风筝博物馆", "白浪河湿地公园"), ("沂山风景区", "老龙湾景区"), ("昌乐宝石城", "方山公园"),
    ("云门山景区", "青州古城"), ("恐龙公园", "超然台"), ("蔬菜高科技示范园",), ("青云山民俗游乐园",),
    ("凤凰公园",), ("绿博园",)), strict=True))
COMMUNITY_WORDS = ("阳光", "和平", "幸福", "康乐", "金桥", "福寿", "新华", "东方")


def _hour_weights(knots: dict[float, float]) -> np.ndarray:
    w = profile(hours()[:STEPS_PER_DAY], knots)
    return w / w.sum()


def alerts(seed: int) -> pa.Table:
    """The topical walls' alerts over the two days, states by age like the core ones."""
    rng = np.random.default_rng([seed, 9])
    end = (END - START).total_seconds()
    weights = np.array([PROFILES[c].population * (0.5 + PROFILES[c].urban) for c in CODES])
    rows: list[dict[str, object]] = []
    units = {}
    for u in entities(seed).to_pylist():
        units.setdefault(u["district"], []).append(u)
    for cat, (per_day, knots, titles, detail, sev_w) in ALERTS.items():
        w = _hour_weights(knots)
        for day in range(2):
            n = int(rng.poisson(per_day))
            steps = rng.choice(STEPS_PER_DAY, size=n, p=w)
            secs = np.minimum(day * 86400 + steps * 300 + rng.integers(0, 300, n), end)
            for sec in secs:
                p = weights if cat != "crowding" else np.array([TOURISM[c] for c in CODES])
                code = CODES[int(rng.choice(len(CODES), p=p / p.sum()))]
                prof = PROFILES[code]
                unit = units[code][int(rng.integers(len(units[code])))]
                street = prof.streets[int(rng.integers(len(prof.streets)))]
                title = titles[int(rng.integers(len(titles)))].format(
                    u=unit["name"], h=HOSPITALS[code],
                    c=f"{DISTRICTS[code]}{street}{COMMUNITY_WORDS[int(rng.integers(8))]}社区",
                    x=f"{DISTRICT_SHORT[code]}{('实验', '第一', '第二', '育才')[int(rng.integers(4))]}"
                      f"{('小学', '中学')[int(rng.integers(2))]}",
                    p=SCENIC_SPOTS[code][int(rng.integers(len(SCENIC_SPOTS[code])))])
                lat, lon = ((unit["lat"], unit["lon"]) if cat == "fire"
                            else _point_in(rng, code, 0.04))
                rows.append(_alert_row(rng, cat, int(sec), end, title, detail, code, lat, lon,
                                       sev_w))
    rows.sort(key=lambda r: r["ts"])
    for i, r in enumerate(rows, 1):
        r["alert_id"] = f"demo-t{i:05d}"
    schema = pa.schema([
        ("alert_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("feed", pa.string()),
        ("severity", pa.string()), ("category", pa.string()), ("title", pa.string()),
        ("detail", pa.string()), ("district", pa.string()), ("lat", pa.float64()),
        ("lon", pa.float64()), ("state", pa.string()), ("ack_by", pa.string()),
        ("ack_at", pa.timestamp("us", tz="UTC")), ("cleared_at", pa.timestamp("us", tz="UTC")),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


OPERATORS = ("值班员张伟", "值班员李娜", "值班员王磊", "值班员刘洋", "值班员陈静", "值班员赵强")


def _alert_row(rng: np.random.Generator, cat: str, sec: int, end: float, title: str,
               detail: str, code: str, lat: float, lon: float, sev_w: tuple[float, ...]) -> dict:
    """One alert: recent ones mostly open, older ones mostly cleared; more stay acknowledged
    than among the core alerts (a fall, a crowded spot or a hazard is followed up for hours),
    so each topical wall's list has cases in hand at any time of day."""
    age_h = (end - sec) / 3600
    p_open, p_acked = (0.7, 0.22) if age_h < 2 else (0.1, 0.4) if age_h < 8 else (0.03, 0.3)
    u = rng.random()
    state = "open" if u < p_open else "acked" if u < p_open + p_acked else "cleared"
    ack_s = sec + min(rng.exponential(8 * 60), 0.5 * (end - sec))
    clear_s = ack_s + min(rng.exponential(50 * 60), rng.uniform(0.3, 1) * (end - ack_s))
    ts = START + timedelta(seconds=sec)
    local = ts.astimezone(LOCAL_TZ)
    acked = state != "open"
    return {
        "alert_id": "", "ts": ts, "feed": FEED,
        "severity": SEVERITIES[int(rng.choice(len(SEVERITIES), p=sev_w))], "category": cat,
        "title": title, "detail": detail.format(t=f"{local.month}月{local.day}日{local:%H:%M}",
                                                title=title),
        "district": code, "lat": lat, "lon": lon, "state": state,
        "ack_by": OPERATORS[int(rng.integers(len(OPERATORS)))] if acked else None,
        "ack_at": START + timedelta(seconds=int(ack_s)) if acked else None,
        "cleared_at": START + timedelta(seconds=int(clear_s)) if state == "cleared" else None,
    }
