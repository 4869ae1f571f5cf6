"""Running walls for the control tests: ``cockpit run`` in child processes, offscreen, with
their stderr read line by line (``cockpit: showing ID at T`` marks each switch)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT

TOKEN = "tablet-secret-0123456789abcdef"
DEMO = ROOT / "assets" / "demo" / "snapshot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(folder: Path, *, port: int | None = None, extra: str = "", name: str = "site") -> Path:
    text = f"""version = 1
[wall]
layouts_dir = "{ROOT / 'layouts'}"
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{DEMO}"
"""
    if port is not None:
        text += f"""[control]
port = {port}
tokens = {{ tablet = "{TOKEN}" }}
"""
    path = folder / f"{name}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


class WallProcess:
    def __init__(self, config: Path, cache: Path, *, node: str | None = None,
                 env: dict | None = None) -> None:
        args = [sys.executable, "-m", "cockpit.cli", "run", "--config", str(config),
                "--cache", str(cache)] + (["--node", node] if node else [])
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30, start: int = 0) -> re.Match:
        """The first line from ``start`` on matching ``pattern``; fails after ``timeout``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if m := rx.search(line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"no line matching {pattern!r}; stderr:\n" +
                                         "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.5))

    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def showing(self) -> str | None:
        with self._cond:
            found = [m.group(1) for line in self.lines if (m := re.search(r"showing (\S+) at", line))]
        return found[-1] if found else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)

    @property
    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)
