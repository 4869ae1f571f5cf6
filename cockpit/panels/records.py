"""The list panels' queries: tables of named records (key projects, enterprises, parks,
milestones, risk points, device faults) and the scrolling ticker (12345 topics, public opinion,
alerts). Records are ``entities`` rows with their details in ``attrs``; a record without a
name shows its id. (cursor, PanelSpec, now)
-> view-model, on worker threads; no Qt.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from cockpit.model.metrics import district_name
from cockpit.panels.viewmodels import TableVM, TickerVM

#: source -> (entity type, ((column key, header, attrs key, format), ...), default sort key).
#: Formats: "text", "district", "n0" / "n1" / "n2" (number with decimals), "pct" (a rate in %).
TABLE_SOURCES: dict[str, tuple[str, tuple[tuple[str, str, str, str], ...], str]] = {
    "projects": ("project", (
        ("name", "项目名称", "name", "text"), ("district", "区县", "district", "district"),
        ("industry", "产业", "industry", "text"), ("stage", "阶段", "stage", "text"),
        ("investment", "总投资(亿元)", "investment", "n1"),
        ("funds", "到位(亿元)", "funds", "n1"), ("funds_rate", "到位率", "funds_rate", "pct")),
        "investment"),
    "enterprises": ("enterprise", (
        ("name", "企业名称", "name", "text"), ("district", "区县", "district", "district"),
        ("industry", "行业", "industry", "text"), ("output", "产值(亿元)", "output", "n1"),
        ("output_growth", "产值增速", "output_growth", "pct"), ("tax", "税收(亿元)", "tax", "n2"),
        ("power", "用电(万千瓦时)", "power", "n0")), "output"),
    "parks": ("park", (
        ("name", "园区", "name", "text"), ("district", "区县", "district", "district"),
        ("enterprises", "入驻企业", "enterprises", "n0"), ("revenue", "营收(亿元)", "revenue", "n1"),
        ("growth", "增速", "growth", "pct")), "revenue"),
    "milestones": ("milestone", (
        ("name", "节点", "name", "text"), ("date", "时间", "date", "text"),
        ("status", "状态", "status", "text")), "date"),
    "risk_points": ("risk_point", (
        ("name", "风险点", "name", "text"), ("district", "区县", "district", "district"),
        ("category", "类型", "category", "text"), ("level", "等级", "level", "text"),
        ("status", "处置", "status", "text")), "level"),
    "device_faults": ("device_fault", (
        ("name", "设备", "name", "text"), ("district", "区县", "district", "district"),
        ("kind", "类型", "kind", "text"), ("fault", "故障", "fault", "text"),
        ("hours", "时长(小时)", "hours", "n1")), "hours"),
}
TABLE_COLUMNS = tuple(dict.fromkeys(c[0] for s in TABLE_SOURCES.values() for c in s[1]))
#: Words that colour a row: its status first (a settled risk is no alarm), then its level.
ROW_LEVELS = {"已化解": "good", "已完成": "good", "滞后": "bad", "未完成": "bad", "进行中": "warn",
              "一级": "bad", "二级": "warn"}
#: Text columns that sort by rank rather than by character.
RANKS = {"一级": 1, "二级": 2, "三级": 3}


def _row_level(rec: dict) -> str | None:
    for key in ("status", "level"):
        level = ROW_LEVELS.get(str(rec.get(key)))
        if level is not None:
            return level
    return None


def _cell(value: object, fmt: str) -> str:
    if value is None or value == "":
        return "—"
    if fmt == "district":
        return district_name(str(value))
    if fmt == "pct":
        return f"{float(value):.1f}%"
    if fmt.startswith("n"):
        return f"{float(value):,.{int(fmt[1])}f}"
    return str(value)


def table(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> TableVM:
    etype, catalogue, default_sort = TABLE_SOURCES[spec["source"]]
    by_key = {c[0]: c for c in catalogue}
    keys = [k for k in (spec.get("columns") or [c[0] for c in catalogue]) if k in by_key]
    rows = cur.execute(
        "SELECT coalesce(name, entity_id), district, attrs, updated_at FROM entities "
        "WHERE entity_type = ? "
        "AND (updated_at IS NULL OR updated_at <= ?)", [etype, now]).fetchall()
    records = []
    for name, district, attrs, _ in rows:
        rec = json.loads(attrs) if attrs else {}
        rec.update(name=name, district=district)
        records.append(rec)
    sort_key = spec.get("sort_by") or default_sort
    sort_key = by_key[sort_key][2] if sort_key in by_key else default_sort

    def key(rec: dict) -> tuple:
        v = rec.get(sort_key)
        if isinstance(v, str) and v in RANKS:
            return (False, RANKS[v], v)
        if sort_key == "date":  # dates run forward
            return (v is None, 0, str(v))
        return (v is None, -v if isinstance(v, int | float) else 0, str(v))

    records.sort(key=key)
    records = records[: int(spec.get("limit") or 50)]
    as_of = max((r[3] for r in rows if r[3] is not None), default=None)
    return TableVM(
        headers=tuple(by_key[k][1] for k in keys),
        aligns=tuple("left" if by_key[k][3] in ("text", "district") else "right" for k in keys),
        rows=tuple(tuple(_cell(rec.get(by_key[k][2]), by_key[k][3]) for k in keys) for rec in records),
        levels=tuple(_row_level(rec) for rec in records),
        as_of=as_of, source="、".join(sorted({DATA_SOURCES.get(etype, "")} - {""})))


DATA_SOURCES = {"project": "市投资促进局", "enterprise": "市工信局", "park": "市发改委",
                "milestone": "市大数据局", "risk_point": "市委政法委", "device_fault": "物联潍坊平台",
                "hotline_topic": "12345热线", "opinion": "舆情监测平台"}
TICKER_SOURCES = ("hotline_topics", "opinion", "alerts")


def ticker(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> TickerVM:
    source = spec.get("source") or "hotline_topics"
    limit = int(spec.get("limit") or 12)
    if source == "alerts":
        rows = cur.execute(
            "SELECT title, ts FROM alerts WHERE state IN ('open', 'acked') AND ts <= ? "
            "ORDER BY ts DESC LIMIT ?", [now, limit]).fetchall()
        return TickerVM(tuple(f"【告警】{r[0]}" for r in rows), max((r[1] for r in rows), default=None),
                        "告警中心")
    etype = "hotline_topic" if source == "hotline_topics" else "opinion"
    rows = cur.execute(
        "SELECT coalesce(name, entity_id), attrs, updated_at FROM entities "
        "WHERE entity_type = ? AND updated_at <= ?",
        [etype, now]).fetchall()
    items = []
    for name, attrs, _ in rows:
        a = json.loads(attrs) if attrs else {}
        if etype == "hotline_topic":
            trend = "▲" if a.get("change", 0) > 0 else "▼" if a.get("change", 0) < 0 else ""
            items.append((a.get("count", 0), f"【12345】{name} 受理{a.get('count', 0)}件 {trend}".rstrip()))
        else:
            items.append((a.get("heat", 0), f"【{a.get('channel', '舆情')}】{name}"))
    items.sort(key=lambda x: -x[0])
    return TickerVM(tuple(t for _, t in items[:limit]),
                    max((r[2] for r in rows if r[2] is not None), default=None), DATA_SOURCES[etype])
