"""The control API's gate: token, Host, Origin and per-address rate limits. Pure: no Qt.

The threat measured in the issue is a web page in a browser on the same PC posting to the
wall (a ``no-cors`` ``text/plain`` POST reaches a loopback endpoint). So: the token only in an
``Authorization: Bearer`` header (a page cannot add one cross-origin without a preflight we
never grant), JSON bodies only, a foreign ``Origin`` refused, ``Host`` checked against the
bound address (DNS rebinding), no state change on GET. Wrong tokens from one address are
counted; past the limit that address is refused for a minute.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections import deque
from collections.abc import Callable

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_names(bind: str, port: int) -> frozenset[str]:
    """The ``Host`` header values a request to this server may carry."""
    names = {bind}
    try:
        if ipaddress.ip_address(bind).is_loopback:
            names.update(LOOPBACK_NAMES)
    except ValueError:
        pass
    return frozenset(f"{n}:{port}" for n in names)


class Gate:
    def __init__(self, tokens: dict[str, str], bind: str, port: int, *,
                 failures_per_minute: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self._tokens = [(name, secret.encode()) for name, secret in tokens.items()]
        self.hosts = host_names(bind, port)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)
        self.failures_per_minute = failures_per_minute
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.lower() in self.hosts

    def origin_ok(self, origin: str | None) -> bool:
        """No Origin (a script, the CLI) or our own; "null" and any other site are foreign."""
        return origin is None or origin.lower() in self.origins

    def authenticate(self, authorization: str | None) -> str | None:
        """The token's name, or None. Compared in constant time against every token."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        given = authorization[len("Bearer "):].strip().encode()
        found = None
        for name, secret in self._tokens:
            if hmac.compare_digest(given, secret):
                found = name
        return found

    def blocked(self, client: str) -> bool:
        window = self._window(client)
        return len(window) >= self.failures_per_minute

    def failed(self, client: str) -> None:
        self._window(client).append(self.clock())

    def _window(self, client: str) -> deque[float]:
        window = self._failures.setdefault(client, deque())
        cutoff = self.clock() - 60
        while window and window[0] < cutoff:
            window.popleft()
        if not window and len(self._failures) > 1000:  # forget quiet addresses
            self._failures.pop(client, None)
            window = self._failures.setdefault(client, deque())
        return window
