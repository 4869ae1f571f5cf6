"""The replay timeline: the moment it shows, its commands and their refusals, and the record
the nodes of a wall share (cockpit.model.timeline; pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.model.timeline import Timeline, TimelineError, banner, parse_moment

REAL = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()
FROM, TO = "2026-12-02 07:30", "2026-12-02 09:00"  # local (UTC+8): 23:30 and 01:00 UTC


def test_zone_less_times_are_the_citys_local_time():
    assert parse_moment("2026-12-02 07:30") == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert parse_moment("2026-12-02T07:30:00+00:00") == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    with pytest.raises(TimelineError, match="not a time"):
        parse_moment("yesterday")


def test_a_replay_advances_at_its_speed_pauses_seeks_steps_and_ends():
    t = Timeline()
    assert t.live and t.moment(REAL) is None
    t.replay(FROM, TO, 10, REAL)
    start = parse_moment(FROM)
    assert t.moment(REAL) == start
    assert t.moment(REAL + 6) == start + timedelta(seconds=60)  # 10x: a minute in 6 s
    t.pause(REAL + 6)
    assert t.moment(REAL + 100) == start + timedelta(seconds=60)  # paused: still
    t.resume(REAL + 100)
    assert t.moment(REAL + 101) == start + timedelta(seconds=70)
    t.seek("2026-12-02 08:00", REAL + 101)
    assert t.moment(REAL + 101) == parse_moment("2026-12-02 08:00")
    t.step(-120, REAL + 101)
    assert t.paused and t.moment(REAL + 500) == parse_moment("2026-12-02 07:58")
    t.resume(REAL + 500)
    t.set_speed(3600, REAL + 500)
    assert not t.finished(REAL + 501) and t.finished(REAL + 502)  # 62 min past 07:58 > 09:00
    assert t.moment(REAL + 9999) == parse_moment(TO)  # never past the end
    t.go_live()
    assert t.live and t.describe(REAL) == {"state": "live"}


@pytest.mark.parametrize("args, message", [
    ((TO, FROM, 10), "must be after"),
    ((FROM, TO, 0.5), "speed must be"),
    ((FROM, TO, 7200), "speed must be"),
    ((FROM, TO, True), "speed must be"),
    (("2026-10-01 00:00", TO, 10), "at most 31 days"),
    ((FROM, "2026-12-05 00:00", 10), "in the future"),
    (("07:30", TO, 10), "not a time"),
])
def test_a_replay_that_cannot_be_is_refused_with_the_reason(args, message):
    t = Timeline()
    with pytest.raises(TimelineError, match=message):
        t.replay(*args, REAL)
    assert t.live  # nothing changed


def test_commands_other_than_start_need_a_replay_and_seek_stays_in_the_span():
    t = Timeline()
    for command in (lambda: t.pause(REAL), lambda: t.seek(FROM, REAL), lambda: t.step(60, REAL)):
        with pytest.raises(TimelineError, match="start a replay first"):
            command()
    t.replay(FROM, TO, 10, REAL)
    with pytest.raises(TimelineError, match="outside the replay"):
        t.seek("2026-12-02 10:00", REAL)


def test_another_node_shows_the_same_moment_from_the_shared_record():
    here, there = Timeline(), Timeline()
    here.replay(FROM, TO, 60, REAL)
    here.pause(REAL + 10)
    there.adopt(here.record())
    assert there.moment(REAL + 50) == here.moment(REAL + 50)
    here.resume(REAL + 50)
    there.adopt(here.record())
    assert there.moment(REAL + 70) == here.moment(REAL + 70)
    there.adopt({"live": True})
    assert there.live
    for bad in ({"live": False}, {**here.record(), "speed": 1e9}, {**here.record(), "anchor": "x"},
                [1, 2], {**here.record(), "start": TO, "end": FROM}):
        with pytest.raises(TimelineError):
            Timeline().adopt(bad)


def test_the_banner_names_the_replay_and_its_moment():
    text = banner(parse_moment("2026-12-02 08:05"), 10, False)
    assert text.startswith("回放 2026-12-02 08:05:00") and "10×" in text and "Esc" in text
    assert "已暂停" in banner(parse_moment("2026-12-02 08:05"), 10, True)
