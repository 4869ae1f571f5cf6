"""The daily restart's schedule (an injected clock) and its config key's validation."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from cockpit.model.config import ConfigError, load_config
from cockpit.ops.restart import DailyRestart, next_restart, parse_time


def test_the_restart_comes_at_the_time_today_or_else_tomorrow():
    at = time(4, 30)
    assert next_restart(datetime(2026, 11, 28, 3, 0), at) == datetime(2026, 11, 28, 4, 30)
    assert next_restart(datetime(2026, 11, 28, 4, 30), at) == datetime(2026, 11, 29, 4, 30)
    assert next_restart(datetime(2026, 11, 28, 23, 59), at) == datetime(2026, 11, 29, 4, 30)
    assert next_restart(datetime(2026, 12, 31, 5, 0), at) == datetime(2027, 1, 1, 4, 30)


def test_a_wall_started_just_after_the_time_runs_a_whole_day():
    now = [datetime(2026, 11, 28, 4, 30, 5)]  # just restarted by the 04:30 restart itself
    schedule = DailyRestart(time(4, 30), clock=lambda: now[0])
    assert not schedule.due()  # no second restart the same morning
    now[0] = datetime(2026, 11, 29, 4, 29, 59)
    assert not schedule.due()
    now[0] = datetime(2026, 11, 29, 4, 30)
    assert schedule.due()


def test_a_wall_that_slept_past_the_time_restarts_as_soon_as_it_looks():
    now = [datetime(2026, 11, 28, 12, 0)]
    schedule = DailyRestart(time(4, 30), clock=lambda: now[0])
    now[0] = datetime(2026, 11, 29, 9, 0)  # the PC was suspended over the restart time
    assert schedule.due()


@pytest.mark.parametrize("text,expected", [("04:30", time(4, 30)), ("23:59:30", time(23, 59, 30)),
                                           ("4:30", None), ("24:00", None), ("04:60", None),
                                           ("0430", None), ("", None), (430, None)])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_config_reads_the_daily_restart(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[wall]\ndaily_restart = "04:30"\n', encoding="utf-8")
    assert load_config(path).daily_restart == time(4, 30)
    path.write_text("[wall]\nlayouts = [\"overview\"]\n", encoding="utf-8")
    assert load_config(path).daily_restart is None


def test_a_bad_daily_restart_names_file_key_and_value(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[wall]\ndaily_restart = "4.30am"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert str(path) in text and "wall.daily_restart" in text and "'4.30am'" in text
    assert "HH:MM" in text
