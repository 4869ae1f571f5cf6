"""A supervised wall (``cockpit run --supervise``) in a child process, its merged output
(the supervisor's log and the walls' stderr) read line by line with the time each arrived."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from support import ROOT


class Supervised:
    def __init__(self, args: list[str], state: Path, env: dict | None = None) -> None:
        self.state = state
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        env = {**os.environ, "XDG_STATE_HOME": str(state), "COCKPIT_LOG_DIR": str(state / "log"),
               **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT,
                                     stderr=subprocess.STDOUT, stdout=subprocess.PIPE, text=True,
                                     env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60, start: int = 0) -> tuple[float, re.Match]:
        """(arrival time, match) of the first line from index ``start`` matching ``pattern``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for at, line in self.lines[start:]:
                    if m := rx.search(line):
                        return at, m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = "\n".join(line for _, line in self.lines[-40:])
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def child_pid(self, start: int = 0) -> int:
        return int(self.wait_for(r"started the wall \(pid (\d+)", start=start)[1][1])

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to the supervisor, as systemd or a shell would send."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self._reader.join(timeout=5)
        return code

    def text(self) -> str:
        with self._cond:
            return "\n".join(line for _, line in self.lines)
