"""The control page's error the command line reports, apart from the server so that catching
it costs nothing: the server imports aiohttp (~0.2 s), which a wall needs only after its first
frame."""

from __future__ import annotations


class ControlError(RuntimeError):
    """The control page cannot be served (its port is taken): the wall does not start."""
