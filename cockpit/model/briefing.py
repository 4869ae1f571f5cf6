"""Reading a briefing file (简报): the declared model (:mod:`cockpit.model.schema.briefing`)
plus the checks that need the wall around it (the layouts it names exist), and the steps
resolved to what the wall does (times made absolute for the day the briefing runs).

Errors keep the cockpit's form: file, key path, what was found, what was expected; every
problem of the file at once. Pure: no Qt, no DuckDB.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cockpit.model.files import parse_toml_checked, read_text_checked
from cockpit.model.layout_spec import Problem
from cockpit.model.metrics import CITY_CODE, district_name
from cockpit.model.timeline import TimelineError, local_text

WHOLE_FILE = "(file)"


class BriefingError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class BriefStep:
    """One step as the wall runs it: absolute times, the district None for the whole city."""

    index: int  # from 0
    layout: str
    district: str | None
    replay: tuple[datetime, datetime, float] | None  # start, end (UTC), speed
    hold: float | None  # seconds; None: until the presenter moves on
    note: str | None

    def label(self, layout_names: dict[str, str] | None = None) -> str:
        """What the step shows, in the wall's words: layout, district, replayed span."""
        name = (layout_names or {}).get(self.layout, self.layout)
        parts = [name, district_name(self.district)]
        if self.replay is not None:
            parts.append(f"回放 {local_text(self.replay[0])[5:16]}–{local_text(self.replay[1])[11:16]}")
        return " · ".join(parts)

    def to_json(self) -> dict:
        return {"index": self.index, "layout": self.layout, "district": self.district,
                "replay": None if self.replay is None else {
                    "from": local_text(self.replay[0]), "to": local_text(self.replay[1]),
                    "speed": self.replay[2]},
                "hold": self.hold, "note": self.note}


@dataclass(frozen=True)
class Brief:
    title: str
    steps: tuple[BriefStep, ...]
    source: str

    def to_json(self) -> dict:
        return {"title": self.title, "source": self.source,
                "steps": [s.to_json() for s in self.steps]}


def parse_briefing(data: dict, file: str, layouts: Collection[str] | None = None,
                   today: datetime | None = None) -> Brief:
    """A briefing from parsed TOML; ``layouts`` the ids the wall has (None: not checked)."""
    from pydantic import ValidationError

    from cockpit.model.schema import base as schema_base
    from cockpit.model.schema.briefing import Briefing, resolve_moment

    problems: list[Problem] = []
    try:
        model = Briefing.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(file, where.replace(".start", ".from").replace(".end", ".to"), message)
                    for where, message in schema_base.problems(exc, Briefing)]
        raise BriefingError(problems + _unknown_layouts(data, file, layouts)) from None
    today = today or datetime.now(UTC)
    problems += _unknown_layouts(data, file, layouts)
    steps = []
    for i, step in enumerate(model.steps):
        replay = None
        if step.replay is not None:
            start = resolve_moment(step.replay.start, today)
            end = resolve_moment(step.replay.end, today)
            if not end > start:
                problems.append(Problem(file, f"steps[{i}].replay.to", f"{local_text(end)} is "
                                        f"not after from ({local_text(start)})"))
            elif end > today:
                problems.append(Problem(file, f"steps[{i}].replay.to", f"{local_text(end)} is "
                                        f"in the future: a replay shows the past"))
            replay = (start, end, step.replay.speed)
        district = None if step.district in (None, CITY_CODE) else step.district
        hold = None if step.hold == "click" else float(step.hold)
        steps.append(BriefStep(i, step.layout, district, replay, hold, step.note))
    if problems:
        raise BriefingError(problems)
    return Brief(model.title, tuple(steps), file)


def _unknown_layouts(data: dict, file: str, layouts: Collection[str] | None) -> list[Problem]:
    """The steps naming a layout the wall does not have (checked even when other keys fail)."""
    steps = data.get("steps") if isinstance(data, dict) else None
    if layouts is None or not isinstance(steps, list):
        return []
    return [Problem(file, f"steps[{i}].layout", f"no layout {step['layout']!r} on this wall "
                                                f"(known: {', '.join(sorted(layouts))})")
            for i, step in enumerate(steps) if isinstance(step, dict)
            and isinstance(step.get("layout"), str) and step["layout"] not in layouts]


def load_briefing(path: str | Path, layouts: Collection[str] | None = None,
                  today: datetime | None = None) -> Brief:
    path = Path(path)

    def refuse(message: str) -> BriefingError:
        return BriefingError([Problem(str(path), WHOLE_FILE, message)])

    data = parse_toml_checked(read_text_checked(path, refuse), refuse)
    try:
        return parse_briefing(data, str(path), layouts, today)
    except TimelineError as exc:  # resolved times the schema already checked; belt and braces
        raise refuse(str(exc)) from None
