"""The colour of a change (issue 17): decided per figure, one convention per screen, so a screen
never shows a red ▲ for good news beside a green ▲ for good news."""

from __future__ import annotations

import pytest
from support import ROOT

from cockpit.model.layout import load_layouts, parse_layout
from cockpit.model.metrics import METRICS
from cockpit.model.numbers import GOOD_BAD, RED_UP, change_role, screen_convention


@pytest.mark.parametrize(("delta", "good", "economic", "convention", "role"), [
    (+5, "up", False, None, "good"),       # a service figure: good news is green
    (-5, "up", False, None, "bad"),
    (+5, "down", False, None, "bad"),      # congestion rising is bad news
    (+5, "neutral", False, None, "neutral"),  # 12345 calls: neither
    (+5, "up", True, None, "up"),          # an economic figure alone: red up
    (-5, "up", True, None, "down"),
    (+5, "up", True, GOOD_BAD, "good"),    # ... beside judged figures: good news, green
    (-5, "up", True, GOOD_BAD, "bad"),
    (+5, "up", True, RED_UP, "up"),
    (0, "up", True, RED_UP, "neutral"),
    (None, "up", False, GOOD_BAD, "neutral"),
])
def test_change_role(delta, good, economic, convention, role):
    assert change_role(delta, good=good, economic=economic, convention=convention) == role


def test_the_western_convention_turns_direction_colours_round():
    assert change_role(5, good="up", economic=True, convention=RED_UP, up_is_red=False) == "down"


def _kpi(metric: str, col: int) -> str:
    return f"""  [[screens.panels]]
  id = "p{col}"
  kind = "kpi"
  title = "{metric}"
  cell = {{ col = {col}, row = 0 }}
  metric = "{metric}"
"""


def _screen(*metrics: str, extra: str = ""):
    text = 'version = 1\nname = "t"\n[[screens]]\ntitle = "一"\ngrid = { columns = 4, rows = 1 }\n'
    text += "".join(_kpi(m, i) for i, m in enumerate(metrics)) + extra
    return parse_layout(text, "t.toml").screens[0].panels


GAUGE = """  [[screens.panels]]
  id = "g"
  kind = "gauge"
  title = "达标率"
  cell = { col = 3, row = 0 }
  indicator = "x"
  compare = "yoy"
"""


def test_a_screen_of_economic_figures_only_keeps_red_up():
    economic = [m.code for m in METRICS.values() if m.economic][:2]
    assert screen_convention(_screen(*economic, "hotline_opened")) == RED_UP


def test_a_judged_figure_makes_the_whole_screen_good_bad():
    assert screen_convention(_screen("wst_users", "online_service_rate")) == GOOD_BAD
    assert screen_convention(_screen("wst_users", extra=GAUGE)) == GOOD_BAD


def test_no_bundled_screen_shows_good_news_in_both_colours():
    """Every bundled screen, every figure rising where that is good news: one colour."""
    layouts, errors = load_layouts(ROOT / "layouts")
    assert not errors
    for layout in layouts:
        for screen in layout.screens:
            convention = screen_convention(screen.panels)
            colours = set()
            for spec in screen.panels:
                m = METRICS.get(spec.get("metric")) if spec.kind == "kpi" else None
                if m is not None and m.good in ("up", "down"):
                    delta = +1 if m.good == "up" else -1
                    colours.add(change_role(delta, good=m.good, economic=m.economic,
                                            convention=convention))
                elif spec.kind != "kpi" and (spec.get("compare") or "none") != "none":
                    colours.add("good")  # the gauge and the ring judge by higher_is_better
            assert len(colours) <= 1, f"{layout.id} screen {screen.index + 1}: {colours}"
