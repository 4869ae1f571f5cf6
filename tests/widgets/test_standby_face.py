"""The standby face (a screen the layout on show does not use) shows the header's time: its big
figures are put together from pictures kept between paints (Qt fills glyphs that big as paths,
~4 ms a paint), and what is drawn follows the clock — never a second behind it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from support import NOW


def _lightness(widget) -> np.ndarray:
    """The widget as drawn, every other pixel, as lightness 0–255."""
    image = widget.grab().toImage()
    argb = np.array([[image.pixel(x, y) for x in range(0, image.width(), 2)]
                     for y in range(0, image.height(), 2)], dtype=np.int64)
    return ((argb >> 16) & 255) * 0.3 + ((argb >> 8) & 255) * 0.59 + (argb & 255) * 0.11


def _changed(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels that differ as a figure and the background do (anti-aliasing differs by ≤ 12)."""
    return int((np.abs(a - b) > 60).sum())


def test_the_waiting_screens_time_follows_the_clock(qtbot):
    from widgets.title_bar import HeaderBar, StandbyFace

    header = HeaderBar("城市运行总览")
    face = StandbyFace(header, "本屏待用 · 城市运行总览共 1 屏")
    qtbot.addWidget(header)
    qtbot.addWidget(face)
    face.resize(960, 540)
    header.set_now(NOW)
    first = _lightness(face)
    assert first.max() - first.min() > 150  # figures drawn, not a blank background
    assert _changed(_lightness(face), first) == 0  # the same second: the same picture

    header.set_now(NOW + timedelta(seconds=1))
    assert _changed(_lightness(face), first) > 200  # the last figure moved on with the clock
    header.set_now(NOW)
    assert _changed(_lightness(face), first) == 0

    small_box = face.arrange(face.width(), face.height())[0][0]
    face.resize(1920, 1080)  # a bigger screen: the figures drawn again, at its size
    big = _lightness(face)
    box = face.arrange(face.width(), face.height())[0][0]
    assert box.height() > small_box.height()
    # the figures drawn again for the bigger box: across its middle
    middle = big[int(box.center().y()) // 2 - 10:int(box.center().y()) // 2 + 10]
    assert middle.max() - middle.min() > 150
