"""The catalogue of metrics the wall knows, and Weifang's districts.

Layout files name metrics by code; validation checks them against this catalogue, and the demo
generator produces exactly these. Pure data: no Qt, no DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY_CODE = "370700"

#: The 12 county-level districts of Weifang, administrative code -> name.
DISTRICTS: dict[str, str] = {
    "370702": "潍城区",
    "370703": "寒亭区",
    "370704": "坊子区",
    "370705": "奎文区",
    "370724": "临朐县",
    "370725": "昌乐县",
    "370781": "青州市",
    "370782": "诸城市",
    "370783": "寿光市",
    "370784": "安丘市",
    "370785": "高密市",
    "370786": "昌邑市",
}

#: Short names used where space is tight (ranking bars).
DISTRICT_SHORT: dict[str, str] = {code: name[:-1] if len(name) == 3 else name for code, name in DISTRICTS.items()}


def district_name(code: str | None) -> str:
    if not code or code == CITY_CODE:
        return "全市"
    return DISTRICTS.get(code, code)


@dataclass(frozen=True)
class Metric:
    code: str
    name: str  # Chinese label shown on the wall
    unit: str
    #: How districts combine into the city figure: "avg" or "sum".
    city_agg: str
    #: Whether a rise is good ("up"), bad ("down") or neither ("neutral") — picks delta colours.
    good: str = "neutral"
    #: True for an economic figure, whose delta follows the theme's red-up convention.
    economic: bool = False
    decimals: int = 0
    #: The feed that supplies it in the demo (and the default staleness bound's source).
    feed: str = "demo"
    entity_type: str = "district"
    #: A count since local midnight that restarts at 0 every day (today's cases, visitors, ...).
    resets_daily: bool = False


METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("aqi", "空气质量指数", "", "avg", good="down"),
        Metric("pm25", "PM2.5浓度", "μg/m³", "avg", good="down"),
        Metric("congestion", "交通拥堵指数", "", "avg", good="down", decimals=2),
        Metric("parking_occupancy", "停车位占用率", "%", "avg", decimals=1),
        Metric("hotline_opened", "12345热线受理", "件", "sum", resets_daily=True),
        Metric("hotline_closed", "12345热线办结", "件", "sum", good="up", resets_daily=True),
        Metric("citycase_opened", "城管案件立案", "件", "sum", resets_daily=True),
        Metric("citycase_closed", "城管案件结案", "件", "sum", good="up", resets_daily=True),
        Metric("iot_sensors_online", "在线传感器", "台", "sum", good="up"),
        Metric("iot_cameras_online", "在线摄像头", "路", "sum", good="up"),
        Metric("robots_patrol_online", "巡逻机器人在岗", "台", "sum", good="up"),
        Metric("robots_disinfect_online", "消杀机器人在岗", "台", "sum", good="up"),
        Metric("wst_users", "潍事通注册用户", "人", "sum", good="up", economic=True),
        Metric("online_service_rate", "一次办好网办率", "%", "avg", good="up", decimals=1),
        # -- the topical walls of issue 17 (cockpit/demo/topical.py makes their demo series) --
        # 智慧消防
        Metric("fire_alarms_today", "今日火警接警", "起", "sum", good="down", resets_daily=True),
        Metric("smoke_sensors_online", "智能烟感在线", "台", "sum", good="up"),
        Metric("hydrants_online", "智慧消火栓在线", "个", "sum", good="up"),
        Metric("fire_arrival_min", "平均到场时间", "分钟", "avg", good="down", decimals=1),
        # 智慧健康
        Metric("outpatient_today", "今日门诊量", "人次", "sum", resets_daily=True),
        Metric("emergency_today", "今日急诊量", "人次", "sum", resets_daily=True),
        Metric("bed_occupancy", "病床使用率", "%", "avg", good="down", decimals=1),
        Metric("robots_guide_online", "导诊机器人在岗", "台", "sum", good="up"),
        # 智慧社区
        Metric("access_passes_today", "社区门禁通行", "人次", "sum", resets_daily=True),
        Metric("community_parking", "社区车位占用率", "%", "avg", decimals=1),
        Metric("robots_companion_online", "陪护机器人在岗", "台", "sum", good="up"),
        Metric("robots_service_online", "服务机器人在岗", "台", "sum", good="up"),
        # 智慧教育
        Metric("edu_platform_online", "教育平台在线", "人", "sum", good="up"),
        Metric("robots_education_online", "教育机器人在岗", "台", "sum", good="up"),
        # 智慧社保
        Metric("medins_settled_today", "今日医保结算", "笔", "sum", resets_daily=True),
        Metric("social_online_today", "潍事通社保办件", "件", "sum", good="up", resets_daily=True),
        # 文旅消费
        Metric("scenic_visitors", "景区在园游客", "人", "sum"),
        Metric("scenic_load", "景区承载率", "%", "avg", good="down", decimals=1),
        Metric("hotel_occupancy", "酒店入住率", "%", "avg", good="up", economic=True, decimals=1),
        Metric("visitors_today", "今日接待游客", "人次", "sum", good="up", economic=True,
               resets_daily=True),
    ]
}


def metric(code: str) -> Metric:
    return METRICS[code]


#: Alert categories and severities, shared by the generator, the store and the alerts panel.
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "info")
SEVERITY_NAMES: dict[str, str] = {"critical": "紧急", "major": "重要", "minor": "一般", "info": "提示"}
ALERT_CATEGORIES: dict[str, str] = {
    "fire": "消防",
    "security": "治安",
    "traffic": "交通",
    "environment": "环保",
    "device": "设备",
    "elderly": "养老",
    "health": "卫健",
    "campus": "校园",
    "crowding": "客流",
}
