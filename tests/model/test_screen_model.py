"""The wall's view state without Qt: what each screen is drilled into, what each panel queries,
and who is told (cockpit/model/screen.py)."""

from __future__ import annotations

from cockpit.model.layout import parse_layout
from cockpit.model.screen import FocusChanged, ScreenModel, follows_focus

LAYOUT = """version = 1
name = "下钻"
[[screens]]
title = "一"
grid = { columns = 3, rows = 1 }
  [[screens.panels]]
  id = "city_map"
  kind = "map"
  title = "地图"
  cell = { col = 0, row = 0 }
  [[screens.panels]]
  id = "aqi"
  kind = "kpi"
  title = "空气质量指数"
  cell = { col = 1, row = 0 }
  metric = "aqi"
  [[screens.panels]]
  id = "kuiwen"
  kind = "kpi"
  title = "奎文区空气质量"
  cell = { col = 2, row = 0 }
  metric = "aqi"
  district = "370705"
[[screens]]
title = "二"
grid = { columns = 1, rows = 1 }
  [[screens.panels]]
  id = "pm25"
  kind = "kpi"
  title = "PM2.5"
  cell = { col = 0, row = 0 }
  metric = "pm25"
"""


def model_and_events():
    layout = parse_layout(LAYOUT, "drill.toml")
    model = ScreenModel([layout])
    events: list[FocusChanged] = []
    model.subscribe(events.append)
    return layout, model, events


def specs_by_id(model):
    return {s.id: s for s in model.query_specs("drill")}


def test_a_screen_drilled_in_narrows_only_the_panels_that_follow():
    layout, model, events = model_and_events()
    assert model.focus("drill") is None and specs_by_id(model)["aqi"] == layout.panel("aqi")
    assert model.drill("drill", "370703", screen=0)
    assert events == [FocusChanged("drill", 0, "370703")]
    specs = specs_by_id(model)
    assert specs["aqi"]["district"] == "370703"
    assert specs["kuiwen"]["district"] == "370705"  # set to one district: it keeps it
    assert specs["city_map"] == layout.panel("city_map")  # the map highlights, it is not narrowed
    assert specs["pm25"] == layout.panel("pm25")  # another screen of the layout
    assert model.panel_focus(layout.panel("aqi")) == "370703"
    assert model.panel_focus(layout.panel("kuiwen")) is None
    assert not follows_focus(layout.panel("city_map")) and follows_focus(layout.panel("aqi"))
    assert layout.panel("aqi")["district"] == "370700"  # the layout itself is never changed


def test_the_whole_layout_drills_and_the_city_code_returns_and_no_change_is_silent():
    _, model, events = model_and_events()
    assert model.drill("drill", "370705")
    assert [(e.screen, e.district) for e in events] == [(0, "370705"), (1, "370705")]
    assert not model.drill("drill", "370705")  # nothing changed: nobody is told
    assert len(events) == 2
    assert model.drill("drill", "370700", screen=1)  # the city code: the whole city
    assert events[-1] == FocusChanged("drill", 1, None)
    assert model.focus("drill", 0) == "370705" and model.focus("drill", 1) is None
    model.drill("drill", None)
    assert model.focus("drill", 0) is None and specs_by_id(model)["aqi"]["district"] == "370700"


def test_a_new_version_of_a_layout_starts_on_the_whole_city():
    layout, model, events = model_and_events()
    model.drill("drill", "370705")
    model.set_layout(layout)
    assert model.focus("drill", 0) is None and model.focus("drill", 1) is None
    assert len(events) == 2  # the rebuilt screens start there themselves: no event


def test_unsubscribed_observers_hear_nothing_and_a_failing_one_stops_no_other():
    _, model, events = model_and_events()

    def broken(event):
        raise RuntimeError("observer bug")

    model.subscribe(broken)
    later: list[FocusChanged] = []
    unsubscribe = model.subscribe(later.append)
    model.drill("drill", "370705", screen=0)
    assert len(events) == 1 and len(later) == 1
    unsubscribe()
    model.drill("drill", None, screen=0)
    assert len(events) == 2 and len(later) == 1
