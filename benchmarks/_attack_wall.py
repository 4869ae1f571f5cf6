"""``cockpit ARGS`` with a 50 ms GUI heartbeat whose lateness is printed each second (for
benchmarks/attack_control.py): ``attack-heartbeat max_late_ms=N`` on stderr, N the worst
lateness of a beat in the last second (how long the GUI thread was held beyond 50 ms)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.ops import watchdog  # noqa: E402
from cockpit.shell import timers  # noqa: E402

BEAT_MS = 50
timers.BEAT_MS = BEAT_MS
_late = {"last": None, "max": 0.0}
_beat = watchdog.StallWatchdog.beat


def beat(self) -> None:
    now = time.monotonic()
    if _late["last"] is not None:
        _late["max"] = max(_late["max"], (now - _late["last"]) * 1000 - BEAT_MS)
    _late["last"] = now
    _beat(self)


def report() -> None:
    while True:
        time.sleep(1)
        worst, _late["max"] = _late["max"], 0.0
        print(f"attack-heartbeat max_late_ms={max(0, round(worst))}", file=sys.stderr, flush=True)


watchdog.StallWatchdog.beat = beat
threading.Thread(target=report, daemon=True, name="attack-heartbeat").start()

if __name__ == "__main__":
    from cockpit.cli import main

    sys.exit(main(sys.argv[1:]))
