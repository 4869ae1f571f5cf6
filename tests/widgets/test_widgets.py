"""Each panel kind renders real demo data: what it shows is checked against the cache, read
independently here, the way an operator would check a figure on the wall."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from PySide6.QtGui import QColor, QImage
from support import DEMO_SNAPSHOT, NOW, ROOT
from support.panels import latest_by_district, make, panel_spec

from cockpit.model.layout import load_layout
from cockpit.model.metrics import DISTRICT_SHORT
from cockpit.model.numbers import format_age, format_value
from cockpit.model.theme import theme
from cockpit.panels.alerts import alerts
from cockpit.panels.observations import kpi, ranking, timeseries


def has_color(image: QImage, color: str, tolerance: int = 12) -> bool:
    want = QColor(color)
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if abs(c.red() - want.red()) <= tolerance and abs(c.green() - want.green()) <= tolerance \
                    and abs(c.blue() - want.blue()) <= tolerance:
                return True
    return False


def test_kpi_shows_the_city_total_with_magnitude_and_delta(qtbot, demo_store):
    spec = panel_spec("overview", "hotline_today")  # 12345 cases accepted today, summed
    panel = make(qtbot, spec)
    panel.set_now(NOW)
    panel.set_view_model(kpi(demo_store.reader(), spec, NOW))
    total = sum(latest_by_district(demo_store, "hotline_opened", NOW).values())
    yesterday = sum(latest_by_district(demo_store, "hotline_opened", NOW - timedelta(days=1)).values())
    shown = panel.shown()
    assert shown["value"] == format_value(total, 0)[0]
    assert shown["unit"] == "件"
    arrow = "▲" if total > yesterday else "▼"
    assert shown["delta"].startswith("较昨日同时 " + arrow)
    assert shown["spark_points"] > 10
    assert panel.badge is None  # fresh data: no badge


def test_kpi_uses_chinese_magnitudes(qtbot, demo_store):
    spec = panel_spec("overview", "wst_users")  # about 6.4 million users -> 6xx.xx万人
    panel = make(qtbot, spec)
    panel.set_view_model(kpi(demo_store.reader(), spec, NOW))
    total = sum(latest_by_district(demo_store, "wst_users", NOW).values())
    shown = panel.shown()
    assert shown["unit"] == "万人"
    assert shown["value"] == f"{total / 1e4:.2f}"


def test_kpi_whose_data_is_too_old_says_so(qtbot, demo_store):
    spec = panel_spec("overview", "aqi")
    panel = make(qtbot, spec)
    vm = kpi(demo_store.reader(), spec, NOW)
    panel.set_now(NOW)
    panel.set_view_model(vm)
    assert not panel.stale
    fresh = panel.grab().toImage()
    assert not has_color(fresh, theme().colors["stale"])
    age = timedelta(seconds=spec.stale_after) + timedelta(minutes=7)
    panel.set_now(vm.as_of + age)
    assert panel.stale
    assert panel.badge.startswith("数据截至 ")
    assert f"（{format_age(age.total_seconds())}）" in panel.badge and "demo" in panel.badge
    assert has_color(panel.grab().toImage(), theme().colors["stale"])
    assert panel.shown()["value"] is not None  # the last value stays on screen, dimmed


def test_panel_without_data_says_why_instead_of_blank(qtbot, tmp_path):
    from cockpit.data.store import Store

    spec = panel_spec("overview", "aqi")
    panel = make(qtbot, spec)
    assert panel.badge == "等待数据…"
    with Store(tmp_path / "empty.duckdb") as empty:
        panel.set_view_model(kpi(empty.reader(), spec, NOW))
    assert panel.badge.startswith("暂无数据")


def test_ranking_draws_districts_in_order(qtbot, demo_store):
    spec = panel_spec("overview", "congestion_rank")
    panel = make(qtbot, spec, size=(470, 620))
    panel.set_view_model(ranking(demo_store.reader(), spec, NOW))
    bars = panel.shown()
    latest = latest_by_district(demo_store, "congestion", NOW)
    expected = sorted(latest.items(), key=lambda kv: (-kv[1], kv[0]))
    assert len(bars) == spec["top"]  # tall enough for every bar asked for
    assert [b[0] for b in bars] == [DISTRICT_SHORT[d] for d, _ in expected[: spec["top"]]]
    assert [b[1] for b in bars] == [format_value(v, 2)[0] for _, v in expected[: spec["top"]]]
    assert bars[0][2] == pytest.approx(1.0)
    assert all(a[2] >= b[2] for a, b in zip(bars, bars[1:], strict=False))
    small = make(qtbot, spec, size=(470, 160))
    small.set_view_model(ranking(demo_store.reader(), spec, NOW))
    assert 2 <= len(small.shown()) < spec["top"]  # fewer rows, never overlapping ones


def test_timeseries_draws_each_metric(qtbot, demo_store):
    spec = panel_spec("overview", "air_trend")
    panel = make(qtbot, spec, size=(940, 300))
    panel.set_view_model(timeseries(demo_store.reader(), spec, NOW))
    lines = panel.shown()
    assert len(lines) == 2
    hours, bucket = spec["hours"], spec["bucket_minutes"]
    for line in lines:
        assert hours * 60 / bucket - 2 <= line["points"] <= hours * 60 / bucket + 1
    assert lines[0]["label"].startswith("空气质量指数")
    assert lines[1]["label"].startswith("PM2.5")


@pytest.fixture
def fresh_demo_store(tmp_path):
    from cockpit.data.replay import SnapshotReplay
    from cockpit.data.store import Store

    store = Store(tmp_path / "demo.duckdb")
    SnapshotReplay(DEMO_SNAPSHOT).backfill(store, NOW)
    yield store
    store.close()


def test_alerts_newest_first_and_critical_flashes_until_acknowledged(qtbot, fresh_demo_store):
    store = fresh_demo_store
    spec = panel_spec("safety", next(p.id for p in load_layout(ROOT / "layouts" / "safety.toml").panels()
                                     if p.kind == "alerts"))
    panel = make(qtbot, spec, size=(940, 900))
    store.reader().execute(
        "UPDATE alerts SET state = 'open', ack_by = NULL, ack_at = NULL "
        "WHERE alert_id = (SELECT alert_id FROM alerts WHERE severity = 'critical' ORDER BY ts DESC LIMIT 1)")
    panel.set_view_model(alerts(store.reader(), spec, NOW))
    rows = panel.shown()
    assert rows, "the demo has open alerts"
    assert rows[0]["severity"] == "critical" and rows[0]["state"] == "open"
    ts = dict(store.reader().execute("SELECT alert_id, ts FROM alerts").fetchall())
    urgent = [r for r in rows if r["severity"] == "critical" and r["state"] == "open"]
    assert rows[: len(urgent)] == urgent  # unacknowledged critical alerts lead ...
    for group in (urgent, rows[len(urgent):]):  # ... and each part is newest first
        times = [ts[r["alert_id"]] for r in group]
        assert times == sorted(times, reverse=True)
    assert panel.flashing
    critical = [r["alert_id"] for r in rows if r["severity"] == "critical" and r["state"] == "open"]
    assert store.acknowledge_alerts(critical, "值班员", NOW) == len(critical)
    panel.set_view_model(alerts(store.reader(), spec, NOW))
    assert not panel.flashing
    assert all(r["state"] != "open" or r["severity"] != "critical" for r in panel.shown())


def test_alerts_pulse_only_while_on_show(qtbot, fresh_demo_store):
    store = fresh_demo_store
    spec = next(p for p in load_layout(ROOT / "layouts" / "safety.toml").panels() if p.kind == "alerts")
    store.reader().execute("UPDATE alerts SET state = 'open' WHERE severity = 'critical'")
    panel = make(qtbot, spec, size=(940, 900))
    panel.set_view_model(alerts(store.reader(), spec, NOW))
    assert panel.needs_attention and panel.flashing
    panel.hide()  # its layout switched away
    assert panel.needs_attention and not panel.flashing
    panel.show()
    assert panel.flashing


@pytest.mark.parametrize("width", [1920, 1280, 960, 640])
def test_the_header_never_overlaps_its_title_city_and_clock(qtbot, width):
    """A two-screen layout tiled onto one laptop screen gives each header 960 px: the title
    used to run over the city and the clock. The sides shorten first, then the title."""
    from PySide6.QtGui import QFontMetrics

    from widgets.title_bar import CITY, HeaderBar

    bar = HeaderBar("城市运行总览", "运行态势")
    qtbot.addWidget(bar)
    bar.set_now(NOW)
    parts = {role: (box, text, font) for role, box, text, font, _ in bar.arrange(width, 76)}
    inked = {}
    for role, (box, text, font) in parts.items():
        used = QFontMetrics(font).horizontalAdvance(text)
        assert used <= box.width() + 1, (role, text, used, box.width())
        assert 0 <= box.left() and box.right() <= width
        inked[role] = (box.center().x() - used / 2 if role == "title" else box.left(),
                       box.center().x() + used / 2 if role == "title" else box.right())
    spans = sorted(inked.values())
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), (width, inked)
    assert parts["clock"][1].endswith(bar.clock_text()[-8:])  # the time is always there
    if width >= 1280:
        assert parts["city"][1] == CITY and parts["clock"][1] == bar.clock_text()
    if width >= 960:
        assert parts["title"][1] == "城市运行总览 · 运行态势"  # whole, not cut
