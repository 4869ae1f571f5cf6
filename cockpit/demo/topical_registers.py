"""Seeded demo figures the departments report for the topical walls of issue 17 (``indicators``):
智慧社区, 智慧消防, 智慧健康, 智慧教育, 智慧社保 and 文旅消费, with their targets.

Same periods and conventions as :mod:`cockpit.demo.registers` (``2026-11`` current, ``2026-10``
环比, ``2025-11`` 同比; counts of the month or year to date as each says), from its own random
stream (``[seed, 10]``) so the figures there stay what they were. Orders of magnitude are those
of Weifang (about 9.4 million people). Lower-is-better figures (times, hazards open, loads)
carry their targets as limits; the layouts say so with ``higher_is_better = false``. No Qt.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cockpit.demo.registers import CODES, _Rows
from cockpit.model.metrics import CITY_CODE

#: The city's main hospitals (bed occupancy by hospital; five fit a panel's rows).
HOSPITALS = (("潍坊市人民医院", 93.6), ("潍坊医学院附属医院", 95.2), ("潍坊市中医院", 88.4),
             ("潍坊市第二人民医院", 84.7), ("潍坊市妇幼保健院", 79.3))
#: Scenic spots: (name, the most visitors at once this month, what the spot holds at once).
SCENIC = (("青州古城", 17_600, 20_000), ("云门山景区", 9_800, 12_000), ("沂山风景区", 7_100, 15_000),
          ("十笏园文化街区", 5_400, 6_000), ("杨家埠民俗艺术大观园", 6_200, 10_000))



def _community(r: _Rows) -> None:
    src = "市民政局"
    r.add("community.met", "达标智慧社区", "个", src, 132, 160, decimals=0, ytd=False, growth=0.4)
    r.add("community.standard_rate", "社区达标率", "%", src, 82.5, 80, ytd=False, growth=0.12)
    r.by_district("community.standard_rate", "社区达标率", "%", src, 82.5, 80, rate=True,
                  spread=0.08, ytd=False, growth=0.12)
    # the trend to the target: communities meeting the standard at the end of each month
    for month, n in ((6, 81), (7, 92), (8, 103), (9, 114), (10, 124), (11, 132)):
        r.add(f"community.trend.m{month:02d}", f"{month}月", "个", src, n, 160, decimals=0,
              history=False)
    # services booked or handled online through 潍事通 in the communities this month
    for code, name, n in (("1elderly", "养老服务", 48_600), ("2property", "物业服务", 36_200),
                          ("3utilities", "水电气暖", 61_300), ("4convenience", "便民服务", 52_800),
                          ("5health", "社区医疗", 21_400)):
        r.add(f"community.service.{code}", name, "件", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.15, 0.08)))
    # the standard's criteria, scored out of 100: the city and every district
    for code, name, score in (("1security", "智慧安防", 88), ("2property", "智慧物业", 82),
                              ("3elderly", "智慧养老", 76), ("4services", "便民服务", 85),
                              ("5parking", "智慧停车", 72), ("6governance", "社区治理", 84)):
        r.add(f"community.criteria.{code}", name, "分", src, score, 100, ytd=False, growth=0.06)
        for c in CODES:
            v = float(np.clip(score * r.rng.normal(1, 0.07), 50, 99))
            r.add(f"community.criteria.{code}", name, "分", src, v, 100, c, ytd=False,
                  growth=0.06)
    r.add("community.access_gates", "智能门禁", "套", "市住建局", 18_640, 21_000, decimals=0,
          ytd=False, growth=0.3)
    r.add("community.parking_spaces", "社区智慧车位", "个", "市住建局", 96_300, 110_000, decimals=0,
          ytd=False, growth=0.25)



def _fire(r: _Rows) -> None:
    src = "市消防救援支队"
    for code, name, n in (("1received", "接警", 1086), ("2dispatched", "出警", 1079),
                          ("3arrived", "到场", 1071), ("4handled", "处置完毕", 1058),
                          ("5closed", "办结归档", 1032)):
        r.add(f"fire.flow.{code}", name, "起", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(-0.04, 0.03)))
    for code, name, n in (("1critical", "紧急", 38), ("2major", "重要", 164), ("3minor", "一般", 512),
                          ("4info", "提示", 372)):
        r.add(f"fire.severity.{code}", name, "起", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(-0.05, 0.05)))
    r.add("fire.dispatch_sec", "接警至出动", "秒", src, 52, 60, decimals=0, ytd=False, growth=-0.06)
    r.add("fire.arrival_min", "平均到场时间", "分钟", src, 9.4, 12, ytd=False, growth=-0.05)
    r.add("fire.hazard_close_rate", "隐患整改率", "%", src, 93.6, 95, ytd=False, growth=0.02)
    r.add("fire.hydrant_rate", "消火栓完好率", "%", src, 97.2, 98, ytd=False, growth=0.01)
    r.add("fire.key_units", "消防重点单位", "家", src, 1268, history=False, decimals=0)
    r.by_district("fire.hazard.found", "发现隐患", "处", src, 3860, decimals=0, ytd=False,
                  growth=-0.08)
    for c in CODES:  # closed: most of those found, the same month
        found = next(row["value"] for row in reversed(r.rows)
                     if row["code"] == "fire.hazard.found" and row["region"] == c
                     and row["period"] == "2026-11")
        r.add("fire.hazard.closed", "整改销号", "处", src,
              found * float(np.clip(r.rng.normal(0.93, 0.03), 0.8, 1.0)), region=c, decimals=0,
              ytd=False, growth=-0.05)


def _health(r: _Rows) -> None:
    src = "市卫生健康委"
    for i, (name, rate) in enumerate(HOSPITALS, 1):
        r.add(f"health.beds.h{i:02d}", name, "%", src, rate + r.rng.normal(0, 0.4), 100,
              ytd=False, growth=0.02)
    r.add("health.appointment_rate", "预约诊疗率", "%", src, 68.4, 70, ytd=False, growth=0.08)
    r.add("health.online_consult_rate", "互联网诊疗占比", "%", src, 12.6, 15, ytd=False,
          growth=0.2)
    r.add("health.outpatients", "门急诊人次", "万人次", src, 2_236.8, decimals=1, growth=0.05)
    r.add("health.vaccination_rate", "疫苗全程接种率", "%", src, 93.6, 90, ytd=False, growth=0.01)
    r.by_district("health.fever_clinics", "发热门诊", "个", src, 96, decimals=0, ytd=False,
                  history=False, spread=0.25)
    r.by_district("health.sampling_points", "便民采样点", "个", src, 420, decimals=0, ytd=False,
                  history=False, spread=0.25)
    for code, name, n in (("1guide", "导诊", 96), ("2disinfect", "消毒", 74),
                          ("3outdoor", "室外消毒", 18), ("4companion", "陪护", 40),
                          ("5delivery", "物流配送", 52)):
        r.add(f"health.robots.{code}", name, "台", src, n, decimals=0, ytd=False, growth=0.3)


def _education(r: _Rows) -> None:
    src = "市教育局"
    r.by_district("edu.schools", "学校", "所", src, 1_638, decimals=0, ytd=False, history=False,
                  spread=0.12)
    r.by_district("edu.students", "在校学生", "万人", src, 145.6, decimals=1, ytd=False,
                  history=False, spread=0.12)
    r.by_district("edu.smart_classroom_rate", "智慧教室覆盖率", "%", src, 78.5, 85, rate=True,
                  spread=0.09, ytd=False, growth=0.15)
    r.add("edu.smart_classroom_rate", "智慧教室覆盖率", "%", src, 78.5, 85, ytd=False, growth=0.15)
    r.add("edu.platform_active_rate", "平台活跃率", "%", src, 74.2, 80, ytd=False, growth=0.1)
    r.add("edu.smart_classrooms", "智慧教室", "间", src, 21_460, 24_000, decimals=0, ytd=False,
          growth=0.18)
    for code, name, n in (("1lessons", "在线课堂", 486.2), ("2homework", "作业辅导", 612.5),
                          ("3parents", "家校沟通", 338.7), ("4research", "教研活动", 92.4),
                          ("5resources", "资源下载", 254.1)):
        r.add(f"edu.platform.{code}", name, "万人次", src, n, ytd=False,
              growth=float(r.rng.normal(0.2, 0.08)))
    for code, name, score in (("1teaching", "教学质量", 88), ("2smart", "智慧校园", 82),
                              ("3safety", "安全管理", 91), ("4health", "体育健康", 79),
                              ("5homeschool", "家校共育", 84), ("6teachers", "教师发展", 80)):
        r.add(f"edu.score.{code}", name, "分", src, score, 100, ytd=False, growth=0.04)
        for c in CODES:
            v = float(np.clip(score * r.rng.normal(1, 0.06), 55, 99))
            r.add(f"edu.score.{code}", name, "分", src, v, 100, c, ytd=False, growth=0.04)


def _social(r: _Rows) -> None:
    src = "市人力资源社会保障局"
    for code, name, n in (("1pension_staff", "职工养老", 218.6), ("2pension_resident", "城乡居民养老", 352.4),
                          ("3med_staff", "职工医保", 196.3), ("4med_resident", "居民医保", 628.5),
                          ("5unemployment", "失业保险", 142.8), ("6injury", "工伤保险", 158.2)):
        r.add(f"social.insured.{code}", name, "万人", src, n, ytd=False,
              growth=float(r.rng.normal(0.02, 0.01)))
    r.add("social.pension_ontime", "养老金按时足额发放率", "%", src, 100.0, 100, ytd=False,
          growth=0.0)
    r.add("social.online_rate", "社保业务网办率", "%", src, 93.8, 95, ytd=False, growth=0.06)
    for code, name, n in (("1local", "本地就医结算", 2_846_000), ("2in_province", "省内异地结算", 186_400),
                          ("3cross_province", "跨省直接结算", 64_800)):
        r.add(f"social.medins.{code}", name, "笔", "市医疗保障局", n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.12, 0.05)))
    r.add("social.cross_region_rate", "异地就医直接结算率", "%", "市医疗保障局", 92.4, 90,
          ytd=False, growth=0.05)
    for code, name, n in (("1registered", "求职登记", 48_600), ("2guided", "职业指导", 39_200),
                          ("3matched", "岗位推荐", 31_800), ("4trained", "技能培训", 21_400),
                          ("5employed", "实现就业", 17_900)):
        r.add(f"social.employ.{code}", name, "人", src, n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.06, 0.04)))
    for code, name, n, target in (("new_jobs", "城镇新增就业", 86_400, 90_000),
                                  ("reemployed", "失业人员再就业", 21_300, 24_000),
                                  ("hardship", "就业困难人员就业", 6_120, 6_500),
                                  ("graduates", "高校毕业生就业", 31_900, 34_000),
                                  ("training", "职业技能培训", 118_600, 120_000)):
        r.add(f"social.jobs.{code}", name, "人", src, n, target, decimals=0)
    for code, name, n in (("1query", "社保查询", 1_286_000), ("2certify", "养老待遇认证", 412_600),
                          ("3transfer", "医保关系转移", 58_300), ("4benefit", "失业金申领", 21_700),
                          ("5register", "就业登记", 96_400)):
        r.add(f"social.wst.{code}", name, "件", "潍事通", n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.25, 0.1)))


def _tourism(r: _Rows) -> None:
    src = "市文化和旅游局"
    r.add("tour.visitors", "接待游客", "亿人次", src, 0.8453, 0.9, growth=0.11, decimals=4)
    r.add("tour.revenue", "旅游总收入", "亿元", src, 1_086.4, 1_150, growth=0.12)
    for i, (name, peak, capacity) in enumerate(SCENIC, 1):
        r.add(f"tour.spot.s{i:02d}", name, "人", src, peak * r.rng.normal(1, 0.02), capacity,
              decimals=0, ytd=False, growth=0.1)
    for code, name, n in (("1city", "市内", 3_126.4), ("2province", "省内其他市", 3_318.9),
                          ("3other", "省外", 1_894.2), ("4abroad", "境外", 113.1)):
        r.add(f"tour.source.{code}", name, "万人次", src, n, growth=float(r.rng.normal(0.1, 0.05)))
    for code, name, n in (("1eat", "吃", 186_400), ("2stay", "住", 64_200), ("3travel", "行", 92_800),
                          ("4tour", "游", 118_500), ("5fun", "娱", 47_300), ("6shop", "购", 76_900)):
        r.add(f"tour.wst.{code}", name, "单", "潍事通", n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.3, 0.1)))
    for code, name, n in (("1viewed", "浏览", 2_864_000), ("2ordered", "下单", 712_400),
                          ("3paid", "支付", 586_100), ("4used", "核销", 548_700),
                          ("5rated", "评价", 203_500)):
        r.add(f"tour.booking.{code}", name, "人次", "潍事通", n, decimals=0, ytd=False,
              growth=float(r.rng.normal(0.3, 0.1)))


def indicators(seed: int) -> pa.Table:
    rng = np.random.default_rng([seed, 10])
    r = _Rows(rng)
    for part in (_community, _fire, _health, _education, _social, _tourism):
        part(r)
    assert all(row["region"] == CITY_CODE or row["region"] in CODES for row in r.rows)
    schema = pa.schema([("period", pa.string()), ("code", pa.string()), ("name", pa.string()),
                        ("region", pa.string()), ("value", pa.float64()), ("target", pa.float64()),
                        ("unit", pa.string()), ("source", pa.string())])
    return pa.Table.from_pylist(r.rows, schema=schema)
