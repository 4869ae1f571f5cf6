"""The warm-layout policy (issue 18): with ``warm_neighbours`` the wall keeps the pictures of
the layout on show, its neighbours and what it is told comes next; the others drop theirs,
still take their data, and are drawn when a switch brings them near or on show."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.shell.wall import warm_indices


def test_warm_indices_are_the_one_on_show_its_neighbours_and_what_comes_next():
    assert warm_indices(0, 18, None) == set(range(18))  # the default: every layout
    assert warm_indices(0, 18, 1) == {17, 0, 1}  # PageUp from the first goes to the last
    assert warm_indices(5, 18, 2) == {3, 4, 5, 6, 7}
    assert warm_indices(5, 18, 1, also=(11, 40)) == {4, 5, 6, 11}  # out of range: ignored
    assert warm_indices(0, 2, 3) == {0, 1}
    assert warm_indices(0, 1, 1) == {0}


@pytest.fixture
def wall(qtbot, demo_store):
    from cockpit.shell.pump import run_layout_queries
    from cockpit.shell.wall import WallShell
    from widgets.base import RenderQueue

    layouts, errors = load_layouts(ROOT / "layouts")
    assert not errors and len(layouts) >= 6
    wall = WallShell(layouts, [s.geometry() for s in QApplication.screens()], warm_neighbours=1)
    wall.show()
    for slot in wall.slots:
        vms = run_layout_queries(demo_store, [p.spec for p in slot.panels()], NOW)
        for panel in slot.panels():
            panel.set_now(NOW)
            panel.set_view_model(vms.get(panel.spec.id))
    qtbot.waitUntil(lambda: all(drawn(wall.slots[i]) for i in wall.warm()), timeout=20000)
    qtbot.waitUntil(lambda: RenderQueue.instance().pending() == 0, timeout=20000)
    yield wall
    wall.close()


def drawn(slot) -> bool:
    return all(p._cache is not None and not p._dirty for p in slot.panels())


def test_only_the_warm_layouts_keep_pictures_and_a_step_draws_the_next_ahead(qtbot, wall):
    n = len(wall.slots)
    assert wall.warm() == {n - 1, 0, 1}
    for i, slot in enumerate(wall.slots):
        assert drawn(slot) == (i in wall.warm()), slot.layout.id
        assert all(p.vm is not None for p in slot.panels() if p.spec.kind != "map")
    wall.step(+1)  # PageDown: layout 1 was drawn already; layout 2 is drawn ahead now
    assert wall.warm() == {0, 1, 2}
    assert all(p.cold for p in wall.slots[n - 1].panels())
    qtbot.waitUntil(lambda: drawn(wall.slots[2]), timeout=20000)  # drawn ahead, after the switch
    assert not drawn(wall.slots[n - 1])


def test_a_jump_to_a_cold_layout_draws_it_on_show_and_keep_warm_is_honoured(qtbot, wall):
    target = 6
    assert not drawn(wall.slots[target])
    wall.switch_to(target)  # a number key beyond the neighbours: drawn when painted
    for window in wall.windows:
        window.repaint()
    assert drawn(wall.slots[target])  # at once, by its first paint
    wall.keep_warm = (wall.slots[12].layout.id,)  # the carousel's next stop
    wall.apply_warmth()
    qtbot.waitUntil(lambda: drawn(wall.slots[12]), timeout=20000)
    assert wall.warm() == {5, 6, 7, 12}


def test_a_running_carousel_keeps_its_next_stop_drawn(qtbot, wall):
    from cockpit.control.carousel import Carousel, Stop
    from cockpit.shell.control.driver import CarouselDriver

    ids = [slot.layout.id for slot in wall.slots]
    clock = [0.0]
    playlist = [Stop(ids[0], 30.0), Stop(ids[9], 30.0), Stop(ids[4], 30.0)]
    driver = CarouselDriver(wall, Carousel(playlist), clock=lambda: clock[0], poll_ms=10_000)
    try:
        assert not drawn(wall.slots[9])  # far from the one on show: no pictures kept
        driver.start()
        assert wall.keep_warm == (ids[9],)
        qtbot.waitUntil(lambda: drawn(wall.slots[9]), timeout=20000)  # drawn before its turn
        clock[0] = 31.0
        driver.poll()  # the carousel moves on: layout 9 on show, layout 4 comes next
        assert wall.current == 9 and wall.keep_warm == (ids[4],)
        qtbot.waitUntil(lambda: drawn(wall.slots[4]), timeout=20000)
        assert all(p.cold for p in wall.slots[0].panels()) == (0 not in wall.warm())
        driver.stop()
        assert wall.keep_warm == ()
    finally:
        driver.shutdown()


def test_the_site_config_sets_how_many_layouts_stay_drawn(tmp_path):
    from cockpit.model.config import load_config

    for text, warm in (("", 1), ("warm = 3", 3), ('warm = "all"', None)):
        path = tmp_path / "site.toml"
        path.write_text(f"version = 1\n[wall]\n{text}\n", encoding="utf-8")
        assert load_config(path).warm == warm
