"""``cockpit run --supervise``: real walls in child processes, really killed, stopped and
restarted; the layout they showed comes back. Times are printed (the report quotes them)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
from support.supervised import Supervised
from support.waiting import eventually
from support.walls import TOKEN, free_port, site_config

from cockpit.ops.restart import RESTART_EXIT_CODE


def switch(port: int, layout: str) -> None:
    from cockpit.control.client import ControlClient, ControlClientError

    client = ControlClient(f"http://127.0.0.1:{port}", TOKEN)
    # the wall's control server may still be starting: refused until it listens
    eventually(lambda: client.post("switch", layout=layout) or True, 30, 0.3,
               ignoring=(ControlClientError,), message=f"switching to {layout}")


def remembered(state, cache, monkeypatch) -> str | None:
    from cockpit.data.wallstate import load_layout

    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return load_layout(cache)


@pytest.mark.slow
def test_a_killed_wall_is_back_on_its_layout_within_10_s(tmp_path, monkeypatch):
    port = free_port()
    cache = tmp_path / "wall.duckdb"
    config = site_config(tmp_path, port=port)
    wall = Supervised(["run", "--config", str(config), "--cache", str(cache), "--supervise"],
                      tmp_path / "state")
    try:
        first = wall.child_pid()
        wall.wait_for(r"first frame painted \(layout overview\)")
        switch(port, "safety")
        wall.wait_for("showing safety")
        eventually(lambda: remembered(tmp_path / "state", cache, monkeypatch) == "safety", 10,
                   0.1, message="the switch was not remembered")
        mark = wall.mark()
        killed = time.monotonic()
        os.kill(first, signal.SIGKILL)
        second = wall.child_pid(start=mark)
        started, _ = wall.wait_for(r"started the wall", start=mark)
        shown, _ = wall.wait_for(r"first frame painted \(layout safety\)", start=mark)
        print(f"\nkill -9: new wall started after {started - killed:.2f} s, "
              f"showing safety after {shown - killed:.2f} s")
        assert second != first
        assert shown - killed < 10
        wall.wait_for(r"ended after .* killed by SIGKILL")
        wall.wait_for(r"wall up", start=mark)
    finally:
        code = wall.stop()
    assert code == 0  # SIGTERM to the supervisor: the wall stopped cleanly, then it
    assert f"pid {second}) stopped: exit code 0" in wall.text()


@pytest.mark.slow
def test_a_hung_wall_is_killed_and_restarted_within_10_s(tmp_path):
    wall = Supervised(["demo", "--cache", str(tmp_path / "demo.duckdb"), "--supervise"],
                      tmp_path / "state")
    try:
        first = wall.child_pid()
        wall.wait_for(r"wall up")
        # heartbeats flowing for a while (the supervisor's heartbeat file is in its own temporary
        # folder, out of the test's sight: a pause, not a condition)
        time.sleep(1.5)
        mark = wall.mark()
        hung = time.monotonic()
        os.kill(first, signal.SIGSTOP)  # alive, but answers nothing: a hang
        noticed, m = wall.wait_for(r"\(pid (\d+)\) is hung: no heartbeat", start=mark, timeout=20)
        assert int(m[1]) == first
        second = wall.child_pid(start=mark)
        started, _ = wall.wait_for(r"started the wall", start=mark)
        shown, _ = wall.wait_for(r"first frame painted", start=mark)
        print(f"\nSIGSTOP: killed after {noticed - hung:.2f} s, new wall started after "
              f"{started - hung:.2f} s, first frame after {shown - hung:.2f} s")
        assert second != first and started - hung < 10
    finally:
        assert wall.stop() == 0
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # the hung one is gone, not left stopped


@pytest.mark.slow
def test_the_daily_restart_comes_back_on_the_same_layout(tmp_path):
    port = free_port()
    at = (datetime.now() + timedelta(seconds=14)).strftime("%H:%M:%S")
    config = site_config(tmp_path, port=port)
    config.write_text(config.read_text().replace("[wall]\n", f'[wall]\ndaily_restart = "{at}"\n'))
    wall = Supervised(["run", "--config", str(config), "--cache", str(tmp_path / "wall.duckdb"),
                       "--supervise"], tmp_path / "state")
    try:
        first = wall.child_pid()
        wall.wait_for(r"first frame painted \(layout overview\)")
        switch(port, "environment")
        wall.wait_for("showing environment")
        mark = wall.mark()
        wall.wait_for(rf"daily restart: {at} reached, exiting with code {RESTART_EXIT_CODE}",
                      start=mark, timeout=30)
        wall.wait_for(r"asked to be restarted", start=mark)
        second = wall.child_pid(start=mark)
        wall.wait_for(r"first frame painted \(layout environment\)", start=mark)
        assert second != first
        assert "crash loop" not in wall.text()
    finally:
        assert wall.stop() == 0


def test_a_crash_loop_backs_off_and_is_logged(caplog):
    from cockpit.ops.supervise import Supervisor

    sup = Supervisor([], stable_after=60)
    sup.command = [sys.executable, "-c", "import sys; sys.exit(3)"]  # a wall that cannot start
    caplog.set_level(logging.INFO, logger="cockpit.ops.supervise")
    runner = threading.Thread(target=sup.run)
    runner.start()
    try:
        eventually(lambda: "next start in 2 s" in caplog.text, 30, message="the back-off grows")
    finally:
        sup.request_stop()
        runner.join(timeout=15)
    assert not runner.is_alive()
    assert caplog.text.count("ended after") >= 4 and "exit code 3" in caplog.text
    assert "crash loop: 3 crashes in a row" in caplog.text and "next start in 1 s" in caplog.text
    assert sup.starts == 4  # two at once, then one second's wait, then two: stopped in between


def test_backoff_grows_to_a_minute():
    from cockpit.ops.supervise import Supervisor

    sup = Supervisor([])
    waits = []
    for n in range(1, 12):
        sup.quick_crashes = n
        waits.append(sup.backoff())
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    sup._dir.rmdir()


def test_the_child_gets_the_command_without_the_supervisors_options():
    from cockpit.ops.supervise import child_args

    assert child_args(["-v", "run", "--config", "a.toml", "--supervise", "--hang-after", "9",
                       "--windowed"]) == ["-v", "run", "--config", "a.toml", "--windowed"]
    assert child_args(["demo", "--hang-after=3", "--supervise"]) == ["demo"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_supervisor_takes_its_wall_along(tmp_path):
    wall = Supervised(["demo", "--cache", str(tmp_path / "demo.duckdb"), "--supervise"],
                      tmp_path / "state")
    child = wall.child_pid()
    wall.wait_for(r"wall up")
    wall.proc.kill()  # the supervisor dies without a word
    wall.proc.wait()
    def gone() -> bool:
        # An orphan is re-parented to PID 1 (or a subreaper); where that init does not reap, the
        # exited wall stays a zombie and ``kill(pid, 0)`` still succeeds. A zombie runs nothing
        # and holds no file, so it counts as gone: read its state rather than probing it.
        try:
            with open(f"/proc/{child}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        return state in ("Z", "X")

    # the orphan is told to stop, and does (no wall left holding the cache). Alone it is gone in
    # ~1 s; the bound is generous because its clean close (feeds, checkpoint, content digest) ran
    # past 20 s once on a CI box loaded by the rest of the suite.
    eventually(gone, 60, 0.2, message="the wall outlived its supervisor")
    wall._reader.join(timeout=5)
    assert "wall up" in wall.text()


def test_a_clock_step_is_not_a_hang_but_a_still_heartbeat_is(tmp_path):
    from cockpit.ops.supervise import Supervisor

    sup = Supervisor([], hang_after=0.3, start_grace=0.5)
    try:
        sup._beat_mtime, sup._beat_seen = None, 0.0
        started = time.monotonic()
        assert sup._hung(started) is None  # no heartbeat yet, within the start grace
        sup.heartbeat.touch()
        os.utime(sup.heartbeat, (time.time() - 3600, time.time() - 3600))  # clock stepped an hour
        assert sup._hung(started) is None  # a beat is a change of the mtime, whatever its value
        time.sleep(0.4)  # the test: the heartbeat stays still past hang_after (0.3 s)
        assert "no heartbeat for" in sup._hung(started)  # it has not moved since
        sup.heartbeat.touch()
        assert sup._hung(started) is None
        sup.heartbeat.unlink()
        sup._beat_mtime = None
        time.sleep(0.3)  # the test: past start_grace (0.5 s since started) without a beat
        assert "no heartbeat within" in sup._hung(started)  # never beat since its start
    finally:
        sup.heartbeat.unlink(missing_ok=True)
        sup._dir.rmdir()
