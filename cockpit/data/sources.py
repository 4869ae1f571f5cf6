"""Building the feed adapters of a site config: the HTTP policy of each, the adapter of each kind.

The kinds' keys are declared and checked in :mod:`cockpit.model.schema.feeds` (the config's validation); this
builds what they describe. The snapshot replay lives in the data layer
(:mod:`cockpit.data.replay`), the protocol adapters in ``feeds/``. No Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # requests and feeds.http load with the first HTTP feed (the demo has none:
    import requests  # ~0.08 s of its start)

    from feeds.http import HttpPolicy


def policy(options: Mapping[str, Any]) -> HttpPolicy:
    from feeds.http import HttpPolicy

    t = options.get("timeouts") or {}
    base = HttpPolicy()
    return HttpPolicy(connect_timeout=t.get("connect", base.connect_timeout),
                      read_timeout=t.get("read", base.read_timeout),
                      deadline=t.get("deadline", base.deadline),
                      max_bytes=int(t.get("max_bytes", base.max_bytes)),
                      retries=int(t.get("retries", base.retries)),
                      backoff=t.get("backoff", base.backoff),
                      retry_after_cap=t.get("retry_after_cap", base.retry_after_cap))


def build(spec, session_factory: Callable[[], requests.Session] | None = None):
    """The adapter for a :class:`cockpit.model.config.FeedSpec` (HTTP kinds get a session of
    ``session_factory``, ``requests.Session`` if not given)."""
    o = spec.options
    if spec.kind == "snapshot":
        from cockpit.data.replay import SnapshotReplay
        return SnapshotReplay(spec.path, name=spec.name, interval_s=spec.interval,
                              align=o.get("align", "time_of_day"))
    if spec.kind == "mqtt":
        from feeds.mqtt import MqttFeed
        return MqttFeed(spec.name, spec.interval, o)
    if spec.kind == "rest":
        from feeds.rest import RestFeed as cls
    elif spec.kind == "ngsi":
        from feeds.ngsi import NgsiFeed as cls
    elif spec.kind == "sensorthings":
        from feeds.sensorthings import SensorThingsFeed as cls
    elif spec.kind == "thingsboard":
        from feeds.thingsboard import ThingsBoardFeed as cls
    else:
        raise ValueError(f"unknown feed kind {spec.kind!r}")
    if session_factory is None:
        import requests

        session_factory = requests.Session
    return cls(spec.name, spec.interval, o, session_factory(), policy=policy(o))
