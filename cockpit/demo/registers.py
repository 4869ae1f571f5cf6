"""Seeded demo data of the topical walls: the departments' reported figures (``indicators``) and
their lists (``entities``: key projects, key enterprises, parks, milestones, risk points, device
faults, 12345 topics, public-opinion headlines).

Orders of magnitude are those of Weifang (about 9.4 million people, GDP about 7,600 亿元 a
year). Cumulative figures are year to date: ``2026-11`` (January to November, the current
period), ``2026-10`` (环比) and ``2025-11`` (同比); a few figures have no history on purpose, so
the wall shows "—" for their comparison. Uses its own random stream, so the observations and
alerts of :mod:`cockpit.demo.city` do not change with it. No Qt.
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pyarrow as pa

from cockpit.model.metrics import CITY_CODE, DISTRICTS

CUR, PREV_M, PREV_Y = "2026-11", "2026-10", "2025-11"
CODES = tuple(DISTRICTS)
#: Rough economic weight of each district (county-level GDP shares).
WEIGHT = dict(zip(CODES, (0.06, 0.05, 0.05, 0.09, 0.06, 0.05, 0.11, 0.12, 0.14, 0.07, 0.10, 0.06),
                  strict=True))


class _Rows:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.rows: list[dict[str, object]] = []

    def add(self, code: str, name: str, unit: str, source: str, value: float,
            target: float | None = None, region: str = CITY_CODE, *, history: bool = True,
            growth: float = 0.08, ytd: bool = True, decimals: int = 1) -> None:
        """The current period, and (with ``history``) the month before and a year before."""
        periods = [(CUR, value)]
        if history:
            before = value * (10 / 11 if ytd else 1 / (1 + growth / 12 + self.rng.normal(0, 0.01)))
            periods += [(PREV_M, before), (PREV_Y, value / (1 + growth + self.rng.normal(0, 0.01)))]
        for period, v in periods:
            self.rows.append({"period": period, "code": code, "name": name, "region": region,
                              "value": round(float(v), decimals), "target": target,
                              "unit": unit, "source": source})

    def by_district(self, code: str, name: str, unit: str, source: str, city_value: float,
                    target_share: float | None = None, *, spread: float = 0.15, decimals: int = 1,
                    rate: bool = False, **kw) -> None:
        """District figures: shares of the city total, or (``rate``) rates around the city's."""
        noise = self.rng.normal(1, spread, len(CODES))
        for c, n in zip(CODES, noise, strict=True):
            if rate:
                v = city_value * n
            else:
                v = city_value * WEIGHT[c] * n
            if target_share is None:
                target = None
            elif rate:
                target = target_share
            else:
                target = round(v / (target_share * float(self.rng.normal(1, 0.08))), decimals)
            self.add(code, name, unit, source, v, target, c, decimals=decimals, **kw)


def _economy(r: _Rows) -> None:
    src = "市投资促进局"
    r.add("invest.signed_projects", "签约项目", "个", src, 386, 420, decimals=0)
    r.add("invest.contract_value", "签约合同额", "亿元", src, 2156.3, 2400)
    r.add("invest.funds_in_place", "到位资金", "亿元", src, 1286.4, 1500)
    r.add("invest.started", "开工项目", "个", src, 248, 300, decimals=0)
    r.add("invest.production", "投产项目", "个", src, 131, 160, decimals=0)
    r.add("invest.foreign_funds", "实际使用外资", "亿美元", src, 8.6, 10)
    r.add("talent.introduced", "引进各类人才", "人", "市人社局", 26350, 30000, decimals=0)
    r.add("talent.high_level", "高层次人才", "人", "市人社局", 1124, 1200, decimals=0)
    for code, name, total in (("invest.stage.signed", "已签约", 386), ("invest.stage.started", "已开工", 248),
                              ("invest.stage.production", "已投产", 131)):
        r.by_district(code, name, "个", src, total, decimals=0, history=False)
    r.by_district("invest.funds_by_district", "到位资金", "亿元", src, 1286.4, target_share=0.86)
    r.add("econ.gdp", "地区生产总值", "亿元", "市统计局", 5862.7, growth=0.061)
    r.add("econ.gdp_growth", "GDP增速", "%", "市统计局", 6.1, ytd=False, growth=0.02)
    r.add("econ.fai_growth", "固定资产投资增速", "%", "市统计局", 5.8, ytd=False, growth=-0.1)
    r.by_district("econ.gdp_growth", "GDP增速", "%", "市统计局", 6.1, rate=True, ytd=False,
                  spread=0.12, growth=0.02)
    r.by_district("econ.fai_growth", "固定资产投资增速", "%", "市统计局", 5.8, rate=True,
                  ytd=False, spread=0.35, growth=-0.1)


def _pilot(r: _Rows) -> None:
    src = "市大数据局"
    r.add("pilot.weight_total", "任务完成权重", "%", src, 76.4, 80, ytd=False, growth=0.25)
    for code, name, value, weight in (("youzheng", "优政", 23.6, 30), ("huimin", "惠民", 22.1, 30),
                                      ("xingye", "兴业", 14.3, 20), ("qiangji", "强基", 16.4, 20)):
        r.add(f"pilot.area.{code}", name, "分", src, value, weight, ytd=False, growth=0.2)
    r.add("pilot.tasks_done", "已完成任务", "项", src, 187, 246, decimals=0, ytd=False, growth=0.3)
    r.add("pilot.communities_met", "达标智慧社区", "个", src, 132, 160, decimals=0, ytd=False,
          growth=0.4)
    r.by_district("pilot.community_rate", "社区达标率", "%", src, 82.5, 80, rate=True,
                  spread=0.09, ytd=False, history=False)


def _traffic_urban(r: _Rows) -> None:
    src = "市公安局交警支队"
    r.add("traffic.bus_ridership", "公交日均客运量", "万人次", "市交通运输局", 42.6, ytd=False,
          growth=0.03)
    r.add("traffic.parking_spaces", "智慧停车泊位", "个", "市城市管理局", 68500, 80000, decimals=0,
          ytd=False, growth=0.22)
    r.add("traffic.signal_online", "信号机在线率", "%", src, 97.8, 98, ytd=False, growth=0.01)
    r.add("traffic.green_wave", "绿波协调路段", "条", src, 46, 50, decimals=0, history=False)
    r.by_district("traffic.violations", "交通违法", "起", src, 96000, decimals=0, ytd=False,
                  growth=-0.06)
    r.by_district("traffic.accidents", "交通事故", "起", src, 2140, decimals=0, ytd=False,
                  growth=-0.09)
    src = "市城市管理局"
    for code, name, n in (("zhandao", "占道经营", 4820), ("duifang", "乱堆乱放", 3960),
                          ("tingche", "违章停车", 3510), ("daolu", "道路破损", 1980),
                          ("laji", "垃圾暴露", 2730), ("weijian", "违法建设", 640),
                          ("guanggao", "广告牌匾", 1260), ("jinggai", "井盖缺失", 880),
                          ("lvhua", "园林绿化", 1430)):
        r.add(f"urban.case.{code}", name, "件", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(-0.05, 0.1)))
    r.add("urban.close_rate", "案件结案率", "%", src, 96.2, 95, ytd=False, growth=0.01)
    r.add("urban.ontime_rate", "按期结案率", "%", src, 93.5, 95, ytd=False, growth=0.02)


IOT_TYPES = (("camera", "视频监控", 60200), ("env", "环境监测", 1920), ("water", "积水监测", 860),
             ("manhole", "智慧井盖", 13100), ("smoke", "智能烟感", 89200), ("meter", "智能水表", 221000),
             ("lamp", "路灯控制", 48000), ("parking", "停车地磁", 32500))


def _iot_gov(r: _Rows) -> None:
    src = "物联潍坊平台"
    online_total = installed_total = 0.0
    for code, name, installed in IOT_TYPES:
        online = round(installed * float(np.clip(r.rng.normal(0.965, 0.015), 0.9, 0.995)))
        online_total += online
        installed_total += installed
        r.add(f"iot.type.{code}", name, "台", src, online, installed, decimals=0, history=False)
        r.add(f"iot.faults.{code}", name, "起", src, max(3, installed * r.rng.uniform(0.002, 0.01)),
              decimals=0, ytd=False, growth=float(r.rng.normal(0, 0.15)))
    r.add("iot.online_rate", "设备在线率", "%", src, online_total / installed_total * 100, 98,
          ytd=False, growth=0.005, decimals=2)
    r.add("iot.devices", "接入感知设备", "台", src, installed_total, decimals=0, ytd=False, growth=0.35)
    src = "市行政审批服务局"
    r.add("gov.once_rate", "一次办好率", "%", src, 98.6, 98, ytd=False, growth=0.01)
    r.add("gov.zero_run_rate", "零跑腿率", "%", src, 86.2, 90, ytd=False, growth=0.09)
    r.add("gov.online_rate", "全程网办率", "%", src, 91.4, 92, ytd=False, growth=0.05)
    r.add("gov.elicence_issued", "电子证照签发", "张", src, 12_860_000, decimals=0, ytd=False,
          growth=0.31)
    r.add("gov.elicence_used", "电子证照调用", "次", src, 3_415_000, decimals=0, growth=0.46)
    r.add("gov.wst_users", "潍事通注册用户", "人", "潍事通", 6_452_000, 7_000_000, decimals=0,
          ytd=False, growth=0.18)
    r.add("gov.items_online", "网上可办事项", "项", src, 3126, history=False, decimals=0)
    r.by_district("gov.once_rate", "一次办好率", "%", src, 98.6, 98, rate=True, spread=0.01,
                  ytd=False, growth=0.01)
    r.by_district("gov.zero_run_rate", "零跑腿率", "%", src, 86.2, 90, rate=True, spread=0.05,
                  ytd=False, growth=0.09)


def _opinion_data(r: _Rows) -> None:
    src = "12345热线"
    r.add("opinion.hotline_volume", "12345受理量", "件", src, 116_480, decimals=0, ytd=False,
          growth=0.07)
    r.add("opinion.response_rate", "按时响应率", "%", src, 99.6, 99, ytd=False, growth=0.003)
    r.add("opinion.resolve_rate", "问题解决率", "%", src, 91.2, 90, ytd=False, growth=0.02)
    r.add("opinion.satisfaction", "群众满意率", "%", src, 95.3, 95, ytd=False, growth=0.01)
    for code, name, n in (("heating", "供暖保障", 18640), ("property", "物业管理", 14210),
                          ("municipal", "市政设施", 11830), ("traffic", "交通出行", 9460),
                          ("labour", "劳动社保", 8720), ("noise", "噪声扰民", 6390),
                          ("education", "教育", 5980), ("housing", "房屋安全", 4410)):
        r.add(f"opinion.topic.{code}", name, "件", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.05, 0.2)))
    src = "市大数据局"
    r.add("data.departments_connected", "接入部门", "个", src, 58, 60, decimals=0, ytd=False,
          growth=0.1)
    r.add("data.datasets_opened", "开放数据集", "个", src, 3264, 3500, decimals=0, ytd=False,
          growth=0.28)
    r.add("data.apis_opened", "开放接口", "个", src, 1182, 1300, decimals=0, ytd=False, growth=0.3)
    r.add("data.api_calls", "接口调用", "次", src, 86_420_000, 100_000_000, decimals=0, growth=0.52)
    r.add("data.records_shared", "共享交换数据", "条", src, 2_384_000_000, decimals=0, growth=0.4)
    r.add("cloud.usage_rate", "政务云资源使用率", "%", src, 72.8, 75, ytd=False, growth=0.08)
    for i, (dept, score, vcpu, bill) in enumerate((
            ("市公安局", 96.5, 4200, 386), ("市人社局", 94.1, 1280, 112), ("市卫健委", 92.8, 1650, 145),
            ("市市场监管局", 95.2, 980, 88), ("市自然资源局", 89.6, 1460, 131), ("市住建局", 90.4, 760, 69),
            ("市民政局", 93.7, 540, 47), ("市教育局", 88.9, 1120, 98), ("市交通运输局", 91.5, 890, 80),
            ("市医保局", 94.8, 1030, 92)), start=1):
        r.add(f"data.quality.d{i:02d}", dept, "分", src, score + r.rng.normal(0, 0.4), 95,
              ytd=False, growth=0.02)
        r.add(f"cloud.vcpu.d{i:02d}", dept, "核", src, vcpu, decimals=0, ytd=False, growth=0.2)
        r.add(f"cloud.bill.d{i:02d}", dept, "万元", src, bill, growth=0.15)


def indicators(seed: int) -> pa.Table:
    rng = np.random.default_rng([seed, 5])
    r = _Rows(rng)
    for part in (_economy, _pilot, _traffic_urban, _iot_gov, _opinion_data):
        part(r)
    schema = pa.schema([("period", pa.string()), ("code", pa.string()), ("name", pa.string()),
                        ("region", pa.string()), ("value", pa.float64()), ("target", pa.float64()),
                        ("unit", pa.string()), ("source", pa.string())])
    return pa.Table.from_pylist(r.rows, schema=schema)


# -- lists ------------------------------------------------------------------------------------
PROJECTS = (("潍柴新能源动力产业园", "370705", "高端装备"), ("歌尔虚拟现实产业园二期", "370705", "电子信息"),
            ("寿光蔬菜种业创新中心", "370783", "现代农业"), ("诸城汽车零部件产业园", "370782", "汽车制造"),
            ("青州花卉电商物流园", "370781", "现代物流"), ("高密纺织服装智能工厂", "370785", "纺织服装"),
            ("昌邑石化新材料一体化项目", "370786", "化工新材料"), ("安丘食品加工产业园", "370784", "食品加工"),
            ("临朐铝型材精深加工项目", "370724", "新材料"), ("昌乐宝石文化产业园", "370725", "文旅"),
            ("坊子航空航天装备基地", "370704", "高端装备"), ("寒亭滨海氢能装备项目", "370703", "新能源"),
            ("潍城数字文创港", "370702", "数字经济"), ("潍坊算力中心二期", "370705", "数字经济"),
            ("盛瑞传动8AT扩能项目", "370704", "汽车制造"), ("豪迈精密模具产业园", "370785", "高端装备"),
            ("新和成营养品产业园", "370786", "生物医药"), ("晨鸣高档特种纸项目", "370783", "造纸"),
            ("福田超级卡车工厂", "370782", "汽车制造"), ("青州智能农机产业园", "370781", "农机装备"),
            ("寿光海洋化工循环经济项目", "370783", "化工新材料"), ("潍坊港散货码头扩建", "370703", "港口物流"),
            ("安丘农谷冷链物流中心", "370784", "现代物流"), ("临朐沂山康养文旅项目", "370724", "文旅"),
            ("昌乐光伏新材料项目", "370725", "新能源"), ("高密智能家居产业园", "370785", "家居制造"),
            ("奎文总部经济区", "370705", "现代服务"), ("坊子生物医药创新港", "370704", "生物医药"))
STAGES = ("已签约", "已开工", "已投产")
ENTERPRISES = (("潍柴动力股份有限公司", "370705", "内燃机", 1580.0), ("歌尔股份有限公司", "370705", "电子信息", 820.0),
               ("山东晨鸣纸业集团", "370783", "造纸", 296.0), ("北汽福田诸城汽车厂", "370782", "汽车制造", 268.0),
               ("山东海化集团", "370786", "化工", 182.0), ("豪迈科技股份有限公司", "370785", "模具装备", 86.0),
               ("浙江新和成潍坊公司", "370786", "生物医药", 74.0), ("盛瑞传动股份有限公司", "370704", "汽车零部件", 52.0),
               ("孚日集团股份有限公司", "370785", "纺织", 58.0), ("鲁丽集团有限公司", "370783", "钢铁家居", 312.0),
               ("得利斯集团有限公司", "370782", "食品", 64.0), ("浩信机械有限公司", "370782", "汽车零部件", 41.0),
               ("雷沃重工股份有限公司", "370704", "农机装备", 126.0), ("亚星化学股份有限公司", "370703", "化工", 18.0),
               ("天瑞重工有限公司", "370704", "高端装备", 22.0), ("英轩重工有限公司", "370781", "工程机械", 96.0),
               ("共达电声股份有限公司", "370703", "电子信息", 14.0), ("华以农业科技有限公司", "370783", "现代农业", 9.6),
               ("山东临朐华建铝业集团", "370724", "铝型材", 168.0), ("昌乐恒昌焦化有限公司", "370725", "化工", 54.0))
PARKS = (("潍坊高新区数字经济产业园", "370705", 312, 486.0), ("潍坊软件园", "370705", 268, 138.0),
         ("潍城数字文创港", "370702", 146, 42.0), ("坊子5G产业园", "370704", 88, 36.0),
         ("青州数字经济产业园", "370781", 97, 51.0), ("寿光数字农业产业园", "370783", 124, 73.0),
         ("诸城智能制造产业园", "370782", 76, 64.0), ("高密数字经济产业园", "370785", 69, 28.0))
MILESTONES = (("实施方案印发", "2025-03", "已完成"), ("建设任务清单发布", "2025-05", "已完成"),
              ("城市大脑一期上线", "2025-10", "已完成"), ("中期评估自查", "2026-06", "已完成"),
              ("省级中期检查", "2026-09", "已完成"), ("智慧社区达标验收", "2026-12", "进行中"),
              ("四星级试点终验申报", "2027-03", "未开始"), ("省级终期验收", "2027-06", "未开始"))
RISKS = (("在建工地深基坑", "施工安全"), ("老旧小区燃气管网", "燃气安全"), ("劳资纠纷集中点", "劳资纠纷"),
         ("商业综合体人员密集", "公共安全"), ("危化品储存企业", "危化品"), ("河道汛期隐患段", "防汛"),
         ("信访重点群体", "信访稳定"), ("校园周边交通", "交通安全"), ("农贸市场消防通道", "消防安全"),
         ("自建房安全隐患", "房屋安全"), ("网约车聚集区", "交通秩序"), ("物业纠纷小区", "物业纠纷"))
TOPICS = ("供暖温度不达标", "小区物业收费争议", "道路井盖破损", "公交线路调整建议", "农民工工资拖欠",
          "夜间施工噪声扰民", "学校周边交通拥堵", "老旧小区加装电梯", "燃气费用异常", "停车位不足")
OPINIONS = (("我市新增一批智慧停车泊位，市民停车更便捷", "新闻客户端"),
            ("潍事通上线不动产登记一网通办，群众点赞", "微信公众号"),
            ("网友反映部分小区供暖温度偏低，热力公司已上门排查", "微博"),
            ("风筝会期间交通保障方案发布，多条线路临时调整", "新闻客户端"),
            ("12345热线“接诉即办”满意率持续提升", "政务网站"),
            ("有网友反映学校周边早高峰拥堵，交警增派警力疏导", "短视频平台"),
            ("我市数字经济核心产业增加值同比增长两位数", "新闻客户端"),
            ("老旧小区改造惠及居民超三万户", "微信公众号"))


def entities(seed: int, updated_at: datetime) -> pa.Table:
    rng = np.random.default_rng([seed, 6])
    rows: list[dict[str, object]] = []

    def add(etype: str, i: int, name: str, district: str | None, attrs: dict, status: str = "") -> None:
        rows.append({"entity_id": f"{etype}-{i:03d}", "entity_type": etype, "name": name,
                     "district": district, "status": status or None,
                     "attrs": json.dumps(attrs, ensure_ascii=False, sort_keys=True)})

    for i, (name, d, industry) in enumerate(PROJECTS, 1):
        invest = round(float(rng.lognormal(3.4, 0.7)), 1)
        stage = STAGES[int(rng.choice(3, p=[0.35, 0.4, 0.25]))]
        rate = float(np.clip(rng.normal({"已签约": 22, "已开工": 58, "已投产": 92}[stage], 10), 3, 100))
        add("project", i, name, d, {"industry": industry, "stage": stage, "investment": invest,
                                   "funds": round(invest * rate / 100, 1), "funds_rate": round(rate, 1)})
    for i, (name, d, industry, output) in enumerate(ENTERPRISES, 1):
        add("enterprise", i, name, d, {
            "industry": industry, "output": round(output * rng.normal(1, 0.03), 1),
            "output_growth": round(float(rng.normal(6, 5)), 1),
            "tax": round(output * rng.uniform(0.03, 0.07), 2),
            "power": round(output * rng.uniform(35, 90))})
    for i, (name, d, n, revenue) in enumerate(PARKS, 1):
        add("park", i, name, d, {"enterprises": n, "revenue": revenue,
                                 "growth": round(float(rng.normal(14, 5)), 1)})
    for i, (name, when, status) in enumerate(MILESTONES, 1):
        add("milestone", i, name, None, {"date": when, "status": status}, status)
    for i, (name, cat) in enumerate(RISKS, 1):
        d = CODES[int(rng.integers(len(CODES)))]
        level = ("一级", "二级", "三级")[int(rng.choice(3, p=[0.2, 0.4, 0.4]))]
        status = ("处置中", "已化解", "监测中")[int(rng.integers(3))]
        add("risk_point", i, f"{DISTRICTS[d]}{name}", d, {"category": cat, "level": level,
                                                         "status": status}, status)
    for i in range(1, 19):
        code, kind, _ = IOT_TYPES[int(rng.integers(len(IOT_TYPES)))]
        d = CODES[int(rng.integers(len(CODES)))]
        fault = ("离线", "电量低", "通信中断", "数据异常")[int(rng.integers(4))]
        add("device_fault", i, f"{DISTRICTS[d]}{kind}{int(rng.integers(1, 999)):03d}", d,
            {"kind": kind, "fault": fault, "hours": round(float(rng.exponential(9)), 1)}, fault)
    for i, topic in enumerate(TOPICS, 1):
        add("hotline_topic", i, topic, None, {"count": int(rng.integers(60, 420)),
                                               "change": int(rng.integers(-40, 60))})
    for i, (text, channel) in enumerate(OPINIONS, 1):
        add("opinion", i, text, None, {"channel": channel, "heat": int(rng.integers(1000, 90000))})
    table = pa.Table.from_pylist(rows)
    return table.append_column("updated_at", pa.array([updated_at] * table.num_rows,
                                                      pa.timestamp("us", tz="UTC")))
