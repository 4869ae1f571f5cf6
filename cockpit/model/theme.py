"""The theme: colours, fonts and sizes from ``assets/theme.toml``. Pure data, no Qt."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cockpit.model import resources
from cockpit.model.files import read_text_checked

THEME_FILE = resources.theme_file()


@dataclass(frozen=True)
class Theme:
    colors: dict[str, str]
    families: tuple[str, ...]
    number_families: tuple[str, ...]
    sizes: dict[str, int]
    up_is_red: bool

    def color(self, name: str) -> str:
        return self.colors[name]

    def delta_color(self, delta: float, *, good: str, economic: bool) -> str:
        """Colour of a change: economic figures follow the red-up convention; others are
        coloured by whether the change is good, or neutral where it is neither."""
        if delta == 0:
            return self.colors["neutral"]
        rising = delta > 0
        if economic:
            red, green = self.colors["up"], self.colors["down"]
            return (red if rising else green) if self.up_is_red else (green if rising else red)
        if good == "neutral":
            return self.colors["neutral"]
        is_good = rising == (good == "up")
        return self.colors["good" if is_good else "bad"]

    def scaled(self, name: str, scale: float) -> int:
        """A size for a cell ``scale`` times the reference cell, never below its floor."""
        size = round(self.sizes[name] * scale)
        floor = self.sizes.get(f"{name}_min", 0)
        return max(size, floor)


def load_theme(path: Path = THEME_FILE) -> Theme:
    # bounded, and from a regular file only (a FIFO or /dev/zero is refused without blocking)
    text = read_text_checked(path, lambda m: ValueError(f"{path}: {m}"))
    data = tomllib.loads(text)
    return Theme(
        colors=dict(data["colors"]),
        families=tuple(data["fonts"]["families"]),
        number_families=tuple(data["fonts"]["numbers"]),
        sizes={k: int(v) for k, v in data["sizes"].items()},
        up_is_red=bool(data.get("convention", {}).get("up_is_red", True)),
    )


@cache
def theme() -> Theme:
    return load_theme()
