"""Waiting on a condition instead of sleeping and hoping: ``eventually(lambda: rows() >= 5)``.

In a Qt test prefer ``qtbot.waitUntil`` (it keeps the event loop running); a test that must
spin Qt without qtbot passes its own ``sleep``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, *,
               message: str = "", ignoring: tuple[type[BaseException], ...] = (),
               sleep: Callable[[float], object] = time.sleep) -> T:
    """Call ``condition`` every ``interval`` seconds until it returns something truthy, and
    return that; after ``timeout`` seconds raise AssertionError saying what was awaited and
    what it last returned. Exceptions of the types in ``ignoring`` count as "not yet" (a
    server still starting); any other exception fails at once."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = condition()
        except ignoring as exc:
            last = exc
        else:
            if last:
                return last  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            what = message or getattr(condition, "__qualname__", repr(condition))
            raise AssertionError(f"not true within {timeout:g} s: {what} (last: {last!r})")
        sleep(interval)
