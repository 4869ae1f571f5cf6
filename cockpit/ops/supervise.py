"""``cockpit run --supervise`` / ``cockpit demo --supervise``: a parent process that keeps the
wall running.

The supervisor starts the wall as a child (the same command without ``--supervise``) and
watches two things: the child's exit, and a heartbeat file whose modification time the child's
watchdog thread bumps while the GUI thread is beating (cockpit/ops/watchdog.py). It restarts the
child when

* it crashes: a non-zero exit code, a signal, ``kill -9``;
* it hangs: the heartbeat file has not moved for ``hang_after`` seconds (the hung child is
  killed first), or no heartbeat came within ``start_grace`` seconds of a start;
* it asks for it: exit code 75, the daily restart (cockpit/ops/restart.py), restarted at once.

An exit code 0 (Ctrl+Q, SIGTERM to the child alone) ends the supervisor too. Crash loops back
off: from the third child in a row that dies within ``stable_after`` seconds of its start, the
next start waits 1, 2, 4 … up to 60 s (logged); a child that ran longer resets the back-off.
SIGTERM or SIGINT to the supervisor stops the child cleanly (SIGTERM, then a kill after
``stop_timeout``) and exits. The wall resumes on the layout it
showed by itself (cockpit/data/wallstate.py). Pure Python, no Qt.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cockpit.ops.restart import RESTART_EXIT_CODE
from cockpit.ops.watchdog import HEARTBEAT_ENV

log = logging.getLogger("cockpit.ops.supervise")

MAX_BACKOFF_S = 60.0


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    def __init__(self, child_args: list[str], *, hang_after: float = 5.0,
                 start_grace: float = 90.0, stable_after: float = 60.0,
                 stop_timeout: float = 15.0, poll: float = 0.25) -> None:
        self.command = [sys.executable, "-m", "cockpit.cli", *child_args]
        self.hang_after = hang_after
        self.start_grace = start_grace
        self.stable_after = stable_after
        self.stop_timeout = stop_timeout
        self.poll = poll
        self._stop = threading.Event()
        self.starts = 0
        self.quick_crashes = 0  # crashes in a row within stable_after of their start
        self.proc: subprocess.Popen | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="cockpit-supervise-"))
        self.heartbeat = self._dir / "heartbeat"

    # -- control ---------------------------------------------------------------------------
    def request_stop(self, *_args) -> None:
        self._stop.set()

    def install_signals(self) -> None:
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.request_stop)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> int:
        log.info("supervising: %s (hang after %.0f s without a heartbeat)",
                 " ".join(self.command[3:]), self.hang_after)
        try:
            delay = 0.0
            while not self._stop.is_set():
                if delay and self._stop.wait(delay):
                    break
                code, lived = self._run_child()
                if self._stop.is_set():
                    break
                if code == 0:
                    log.info("the wall exited normally; supervisor done")
                    return 0
                if code == RESTART_EXIT_CODE:
                    log.info("the wall asked to be restarted (daily restart); restarting now")
                    self.quick_crashes, delay = 0, 0.0
                    continue
                if lived >= self.stable_after:
                    self.quick_crashes = 0
                self.quick_crashes += 1
                delay = self.backoff()
                if delay:
                    log.error("crash loop: %d crashes in a row, each within %.0f s of its start; "
                              "next start in %.0f s", self.quick_crashes, self.stable_after, delay)
                else:
                    log.info("restarting the wall now")
            return 0
        finally:
            self._stop_child()
            for p in self._dir.iterdir():
                p.unlink(missing_ok=True)
            self._dir.rmdir()

    def backoff(self) -> float:
        """Seconds before the next start: none after the first two quick crashes in a row,
        then 1, 2, 4 … 60."""
        if self.quick_crashes <= 2:
            return 0.0
        return min(MAX_BACKOFF_S, 2.0 ** (self.quick_crashes - 3))

    def _run_child(self) -> tuple[int, float]:
        """Start the wall and watch it; (exit code, seconds it lived)."""
        self.heartbeat.unlink(missing_ok=True)
        self._beat_mtime: int | None = None
        self._beat_seen = 0.0
        started = time.monotonic()
        self.starts += 1
        env = {**os.environ, HEARTBEAT_ENV: str(self.heartbeat)}
        self.proc = subprocess.Popen(self.command, env=env, preexec_fn=_die_with_parent
                                     if sys.platform.startswith("linux") else None)
        log.info("started the wall (pid %d, start %d)", self.proc.pid, self.starts)
        while True:
            try:
                code = self.proc.wait(timeout=self.poll)
            except subprocess.TimeoutExpired:
                pass
            else:
                lived = time.monotonic() - started
                level = logging.INFO if code in (0, RESTART_EXIT_CODE) else logging.ERROR
                log.log(level, "the wall (pid %d) ended after %.1f s: %s", self.proc.pid, lived,
                        describe_exit(code))
                return code, lived
            if self._stop.is_set():
                return self._stop_child(), time.monotonic() - started
            if reason := self._hung(started):
                log.error("the wall (pid %d) is hung: %s; killing it", self.proc.pid, reason)
                self.proc.kill()
                self.proc.wait()
                return -9, time.monotonic() - started

    def _hung(self, started: float) -> str | None:
        """Why the child counts as hung, or None. The heartbeat file's mtime is only compared
        with itself: it counts as moved when it changes, timed on the monotonic clock, so a
        wall-clock step (NTP) never looks like a hang."""
        now = time.monotonic()
        try:
            mtime = self.heartbeat.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime is not None and mtime != self._beat_mtime:
            self._beat_mtime, self._beat_seen = mtime, now
        if self._beat_mtime is None:
            if now - started > self.start_grace:
                return f"no heartbeat within {self.start_grace:.0f} s of its start"
            return None
        if now - self._beat_seen > self.hang_after:
            return f"no heartbeat for {now - self._beat_seen:.1f} s"
        return None

    def _stop_child(self) -> int:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc is not None else 0
        log.info("stopping the wall (pid %d)", proc.pid)
        proc.terminate()
        try:
            code = proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.error("the wall (pid %d) did not stop within %.0f s; killing it", proc.pid,
                      self.stop_timeout)
            proc.kill()
            code = proc.wait()
        log.info("the wall (pid %d) stopped: %s", proc.pid, describe_exit(code))
        return code


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the supervisor dies, even by kill -9,
    so a restarted supervisor never finds an orphaned wall holding the cache."""
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def child_args(argv: list[str]) -> list[str]:
    """The supervised command: the same arguments without the supervisor's own options."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--supervise":
            continue
        if arg == "--hang-after":
            skip = True
            continue
        if arg.startswith("--hang-after="):
            continue
        out.append(arg)
    return out


def supervise(argv: list[str], *, hang_after: float) -> int:
    sup = Supervisor(child_args(argv), hang_after=hang_after)
    sup.install_signals()
    return sup.run()
