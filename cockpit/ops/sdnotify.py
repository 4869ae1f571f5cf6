"""systemd's notify protocol, with a plain datagram socket (no libsystemd needed).

A unit with ``Type=notify`` waits for ``READY=1`` before it counts the service as started; with
``WatchdogSec=`` it kills and restarts the service when ``WATCHDOG=1`` stops arriving. systemd
passes the socket in ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace) and
the watchdog period in ``$WATCHDOG_USEC`` (for ``$WATCHDOG_PID``, when set). Outside systemd
every call is a no-op. Pure Python, no Qt.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def _address() -> str | None:
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return None
    if addr.startswith("@"):  # Linux abstract namespace
        return "\0" + addr[1:]
    return addr


def notify(message: str) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``, ``"WATCHDOG=1"``) to systemd; False when not
    under systemd or when the send failed (logged once at debug: never fatal)."""
    addr = _address()
    if addr is None or not hasattr(socket, "AF_UNIX"):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(addr)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError as exc:
        log.debug("sd_notify %r to %s failed: %s", message, addr, exc)
        return False


def watchdog_seconds() -> float | None:
    """The watchdog period systemd expects ``WATCHDOG=1`` within, or None when there is none
    (or it is meant for another process)."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    try:
        value = int(usec) / 1e6
    except ValueError:
        return None
    return value if value > 0 else None
