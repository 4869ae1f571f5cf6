"""A briefing file (简报, docs/briefing.md), declared: a title and a sequence of steps, each a
layout to show, optionally drilled into a district and replaying a past span, held for some
seconds or until the presenter moves on. Pure: no Qt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from cockpit.model.metrics import CITY_CODE, DISTRICTS
from cockpit.model.schema.base import Strict, field
from cockpit.model.timeline import MAX_SPEED, MIN_SPEED, TimelineError, parse_moment

Moment = str | datetime


class ReplayStep(Strict):
    """A past span replayed while the step shows (回放)."""

    model_config = ConfigDict(**{**Strict.model_config, "populate_by_name": True})

    start: Moment = field(alias="from", example="yesterday 07:30",
                          description="Start of the span: a local time ('2026-12-02 07:30'), "
                                      "or relative to the day the briefing runs ('today 07:30', "
                                      "'yesterday 07:30', '-2d 07:30').")
    end: Moment = field(alias="to", example="yesterday 09:00", description="End of the span, "
                                                                         "written like `from`.")
    speed: Annotated[float, Field(ge=MIN_SPEED, le=MAX_SPEED)] = field(
        10.0, unit="×", example=60, description="Replayed seconds per real second.")

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: Moment) -> Moment:
        try:
            check_moment(value)
        except TimelineError as exc:
            raise ValueError(str(exc)) from None
        return value


class Step(Strict):
    """One step of the briefing."""

    layout: str = field(example="safety", description="The layout shown (its id: the file's "
                                                     "name without .toml).")
    district: str | None = field(None, example="370705", description="Drill every screen into "
                                 "this district (6-digit code); none: the whole city.")
    replay: ReplayStep | None = field(None, description="Replay a past span during the step; "
                                      "none: live data.")
    hold: int | Literal["click"] = field(
        "click", example=30, description="Seconds before the next step starts by itself, or "
                                         "\"click\": wait for PageDown, the clicker or the page.")
    note: str | None = field(None, example="昨日早高峰内涝告警处置", description="What the step is "
                             "about: shown beside the step counter and as the page title in the "
                             "pack.")

    @field_validator("district")
    @classmethod
    def _district(cls, value: str | None) -> str | None:
        if value is not None and value != CITY_CODE and value not in DISTRICTS:
            raise ValueError(f"{value!r} is not a district of Weifang (known: {CITY_CODE} the "
                             f"city, {', '.join(DISTRICTS)})")
        return value

    @field_validator("hold")
    @classmethod
    def _hold(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 3600:
            raise ValueError(f"expected seconds from 1 to 3600 or \"click\", found {value}")
        return value


class Briefing(Strict):
    """A briefing file."""

    version: Literal[1] = field(1, description="The file format's version.")
    title: str = field(example="早间防汛告警简报", min_length=1, max_length=60,
                       description="Shown on the pack's cover and beside the step counter.")
    steps: list[Step] = field(min_length=1, max_length=200, description="The steps, in order.")


#: Words a briefing may use for the day it runs: "yesterday 07:30", "-2d 07:30".
_DAYS = {"today": 0, "yesterday": -1}


def check_moment(value: object) -> None:
    """Raise TimelineError when ``value`` is neither a time nor a day-relative one."""
    resolve_moment(value, datetime(2026, 1, 2, 12, 0).astimezone())


def resolve_moment(value: object, today: datetime) -> datetime:
    """A step's time as an aware UTC datetime; day-relative forms count from ``today``."""
    if isinstance(value, str):
        head, _, rest = value.strip().partition(" ")
        days = _DAYS.get(head)
        if days is None and head.startswith("-") and head.endswith("d") and head[1:-1].isdigit():
            days = -int(head[1:-1])
        if days is not None:
            from datetime import timedelta

            from cockpit.model.timeline import LOCAL

            day = today.astimezone(LOCAL).date() + timedelta(days=days)
            try:
                clock = datetime.strptime(rest.strip(), "%H:%M").time()
            except ValueError:
                raise TimelineError(f"{value!r}: expected a time of day like 07:30 after "
                                    f"{head!r}") from None
            return parse_moment(datetime.combine(day, clock))
    return parse_moment(value)
