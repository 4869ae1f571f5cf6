"""The three freshness states on every panel kind of the registry, each built from a panel of
the bundled layouts and fed by its real query over the demo cache (feed "demo", interval 5 s as
in the demo config), judged with the health the pump reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QColor
from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.theme import theme
from cockpit.panels.freshness import Freshness, for_panel, read_health

#: kinds whose rows carry the feed that wrote them (observations, alerts); the others read
#: statistics by period (indicators) or lists (entities), which name a department, not a feed
FEED_NAMED = {"kpi", "timeseries", "ranking", "alerts", "header", "map"}


def _specs() -> dict[str, object]:
    layouts, errors = load_layouts(ROOT / "layouts")
    assert not errors
    out = {}
    for layout in layouts:
        for spec in layout.panels():
            out.setdefault(spec.kind, spec)
    assert sorted(out) == PANEL_KINDS.names()  # every kind is shown by some bundled layout
    return out


SPECS = _specs()


def _make(qtbot, spec):
    panel = PANEL_KINDS.get(spec.kind).widget_class()(spec)
    qtbot.addWidget(panel)
    panel.resize(700, 420)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _has(image, colour: str) -> bool:
    want = QColor(colour)
    return any(image.pixelColor(x, y) == want
               for y in range(0, image.height(), 2) for x in range(image.width()))


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_kind_shows_fresh_stale_and_failed(qtbot, demo_store, kind):
    spec = SPECS[kind]
    panel = _make(qtbot, spec)
    assert panel.freshness_state == "waiting" and panel.badge == "等待数据…"  # never blank
    health = read_health(demo_store.reader(), {"demo": 5.0})
    vm = PANEL_KINDS.get(kind).query_function()(demo_store.reader(), spec, NOW)
    panel.set_now(NOW)
    panel.set_freshness(for_panel(vm, health))
    panel.set_view_model(vm)
    if kind == "map":
        from widgets.map_view import wait_until_drawn
        assert wait_until_drawn([panel.view], settle_ms=0)
    assert panel.freshness_state == "fresh" and panel.badge is None, panel.badge
    assert ("demo" in panel.freshness.feeds) == (kind in FEED_NAMED)

    # the feed fails: panels of its data keep it, dimmed, and name the feed and its error
    failed = [h if h.feed != "demo" else type(h)(h.feed, NOW + timedelta(seconds=5),
                                                  h.last_success, "FetchError: feed demo: "
                                                  "HTTP 503 from http://x/api", h.interval)
              for h in health]
    panel.set_now(NOW + timedelta(seconds=6))
    panel.set_freshness(Freshness(panel.freshness.feeds, tuple(failed)))
    if kind in FEED_NAMED:
        assert panel.freshness_state == "failed" and panel.stale
        assert panel.badge.startswith("demo 故障：HTTP 503"), panel.badge
        assert panel.vm is vm  # the last good data stays
        if kind != "map":  # the map's page dims itself, its badge is below it
            panel.ensure_cache()
            assert _has(panel.grab().toImage(), theme().colors["failed"])
    else:  # its data names no feed: held to its layout's bound alone
        assert panel.freshness_state == "fresh"

    # much later, with the feed back but the data not renewed: stale for every kind
    panel.set_freshness(for_panel(vm, health))
    panel.set_now(NOW + timedelta(days=41))
    assert panel.freshness_state == "stale" and panel.stale
    assert panel.badge.startswith("数据截至 ") and "（41天前）" in panel.badge, panel.badge
    if kind == "map":
        from support.mapview import evaluate
        assert evaluate(panel.view, "document.body.classList.contains('stale')") is True


def test_a_narrow_failed_badge_gives_up_the_error_before_the_feed_and_the_time(qapp):
    from PySide6.QtGui import QFontMetrics

    from widgets.base import fit_badge, make_font

    fm = QFontMetrics(make_font(18))
    text = '数据中台 故障：HTTP 500 {"error": "simulated internal error"} · 数据截至 23:50'
    assert fit_badge(text, fm, 2000) == text
    middle = fit_badge(text, fm, fm.horizontalAdvance("数据中台 故障：HTTP 500 · 数据截至 23:50"))
    assert middle.startswith("数据中台 故障：HTTP") and middle.endswith("… · 数据截至 23:50")
    narrow = fit_badge(text, fm, fm.horizontalAdvance("数据中台 故障 · 数据截至 23:50") + 2)
    assert narrow == "数据中台 故障 · 数据截至 23:50"
    for width in (60, 150, 300, 500):
        assert fm.horizontalAdvance(fit_badge(text, fm, width)) <= width
