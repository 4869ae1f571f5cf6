"""Only the newest critical and major alerts pulse on the map (issue 18): a wall whose alerts
stay open gathers hundreds of markers, and a pulse on each cost the renderer and the wall's
compositor CPU that grew with them. A real QWebEngineView, offscreen."""

from __future__ import annotations

import json

import pytest
from support.mapview import evaluate

pytestmark = pytest.mark.slow

SEVERITIES = ("critical", "major", "minor", "info")


def alert(i: int, severity: str) -> dict:
    return {"id": f"a{i}", "severity": severity, "lat": 36.2 + i * 0.01, "lon": 119.0,
            "color": "#ef4444", "tip": f"告警 {i}"}


def pulsing_in_page(view) -> list[str]:
    """The ids whose marker carries the pulse class, as the page's DOM has them."""
    ids = json.loads(evaluate(view, "JSON.stringify(cockpit.pulsing())"))
    shown = evaluate(view, "document.querySelectorAll('.alert-icon.pulse').length")
    assert shown == len(ids)
    return sorted(ids)


@pytest.fixture(scope="module")
def view(qapp):
    from widgets.map_view import MapView, wait_until_drawn

    v = MapView()
    v.resize(900, 700)
    v.show()
    assert wait_until_drawn([v], settle_ms=50)
    yield v
    v.close()
    v.deleteLater()


def test_only_the_newest_twelve_critical_or_major_alerts_pulse(view):
    rows = [alert(i, SEVERITIES[i % 4]) for i in range(200)]  # newest first, as the query gives
    view.push(json.dumps({"alerts": rows}))
    assert evaluate(view, "cockpit.counts().alerts") == 200
    newest = [r["id"] for r in rows if r["severity"] in ("critical", "major")][:12]
    assert pulsing_in_page(view) == sorted(newest)

    # the newest critical one is downgraded: it stops, the next major or critical starts
    rows[0] = {**rows[0], "severity": "minor"}
    view.push(json.dumps({"alerts": rows}))
    newest = [r["id"] for r in rows if r["severity"] in ("critical", "major")][:12]
    assert "a0" not in newest and pulsing_in_page(view) == sorted(newest)

    # the older ones go (cleared): the few left all pulse
    view.push(json.dumps({"alerts": rows[:6]}))
    assert pulsing_in_page(view) == ["a1", "a4", "a5"]
    view.push(json.dumps({"alerts": []}))
    assert pulsing_in_page(view) == []
