"""Which physical screen shows which screens of a layout. Pure: no Qt.

A layout may have more screens than the PC has: its screens are then tiled onto the physical
screens there are. A site config may pin the assignment (layout screen i -> physical screen
``mapping[i]``); screens it does not name fall back to the default.
"""

from __future__ import annotations

import math


def assign(layout_screens: int, physical: int, mapping: list[int] | None = None) -> list[list[int]]:
    """For each physical screen, the layout screens it shows (in order; empty = standby)."""
    if physical < 1:
        raise ValueError("no physical screen to show the wall on")
    out: list[list[int]] = [[] for _ in range(physical)]
    for i in range(layout_screens):
        if mapping is not None and i < len(mapping) and 0 <= mapping[i] < physical:
            target = mapping[i]
        elif layout_screens <= physical:
            target = i
        else:
            target = i * physical // layout_screens
        out[target].append(i)
    return out


def tile_grid(count: int) -> tuple[int, int]:
    """(columns, rows) for tiling ``count`` layout screens onto one physical screen."""
    if count <= 1:
        return 1, 1
    cols = math.ceil(math.sqrt(count))
    return cols, math.ceil(count / cols)
