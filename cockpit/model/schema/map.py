"""``[map]``: a site's own tile layer under the districts, declared. Pure: no Qt.

The runtime object is :class:`cockpit.model.config_map.TileSettings` (its repr hides the URL's
key); the URL template's check is :func:`cockpit.model.config_map.template_problem`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from cockpit.model.config_map import template_problem
from cockpit.model.schema.base import Strict, fail, field


class Map(Strict):
    """``[map]``: the city's own tile server (optional; without it the districts alone)."""

    tile_url: str | None = field(None, example="https://tiles.example.gov.cn/{z}/{x}/{y}.png",
                                 description="Tile URL template: {z} {x} {y}, optional {s} "
                                             "(a, b, c); an API key may sit in the query "
                                             "string (never logged).")
    tile_crs: Literal["gcj02", "wgs84"] = field(
        "gcj02", example="wgs84",
        description="What the tile server draws in (the map itself is GCJ-02).")
    tile_cache: str | None = field(None, example="/var/cache/cockpit/tiles",
                                   description="Tile cache folder, relative to the config file "
                                               "(default: a tiles folder in the user cache).",
                                   min_length=1)
    tile_cache_max_mb: float = field(500, gt=0, unit="MB", example=500,
                                     description="Least recently used tiles are pruned beyond "
                                                 "this.")

    @field_validator("tile_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        problem = template_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _needs_url(self) -> Map:
        if self.tile_url is None:
            fail(*[(key, "needs map.tile_url (without it there is no tile layer)")
                   for key in ("tile_crs", "tile_cache", "tile_cache_max_mb")
                   if key in self.model_fields_set])
        return self
