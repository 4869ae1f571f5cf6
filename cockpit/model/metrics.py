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


METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("aqi", "空气质量指数", "", "avg", good="down"),
        Metric("pm25", "PM2.5浓度", "μg/m³", "avg", good="down"),
        Metric("congestion", "交通拥堵指数", "", "avg", good="down", decimals=2),
        Metric("parking_occupancy", "停车位占用率", "%", "avg", decimals=1),
        Metric("hotline_opened", "12345热线受理", "件", "sum"),
        Metric("hotline_closed", "12345热线办结", "件", "sum", good="up"),
        Metric("citycase_opened", "城管案件立案", "件", "sum"),
        Metric("citycase_closed", "城管案件结案", "件", "sum", good="up"),
        Metric("iot_sensors_online", "在线传感器", "台", "sum", good="up"),
        Metric("iot_cameras_online", "在线摄像头", "路", "sum", good="up"),
        Metric("robots_patrol_online", "巡逻机器人在岗", "台", "sum", good="up"),
        Metric("robots_disinfect_online", "消杀机器人在岗", "台", "sum", good="up"),
        Metric("wst_users", "潍事通注册用户", "人", "sum", good="up", economic=True),
        Metric("online_service_rate", "一次办好网办率", "%", "avg", good="up", decimals=1),
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
}
