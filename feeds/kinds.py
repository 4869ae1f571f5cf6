"""Feed kinds: the names the adapters answer to. No HTTP client, no MQTT client, no Qt.

Each kind's keys — ``[[feeds]]`` tables with their nested ``auth``, ``paging``, ``envelope``,
``mapping`` and ``timeouts`` — are declared once, as pydantic models in
:mod:`cockpit.model.schema.feeds` (the config's validation and docs/config-reference.md);
:mod:`cockpit.data.sources` builds the adapters from the validated tables.
"""

from __future__ import annotations

FEED_KINDS = ("snapshot", "rest", "ngsi", "sensorthings", "thingsboard", "mqtt")
PAGING_TYPES = ("page", "offset", "cursor", "none")
