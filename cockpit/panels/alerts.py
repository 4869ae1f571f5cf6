"""The alert list's query: open and acknowledged alerts, critical ones first, with counts by
severity. An alert whose ``detail`` is the id of a named entity (NGSI's ``alertSource``) shows
that name after its title, so the list says which station raised it rather than its URN.
(cursor, PanelSpec, now) -> view-model, on worker threads; no Qt."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import duckdb

from cockpit.model.metrics import CITY_CODE, SEVERITIES, district_name
from cockpit.panels.observations import LOOKBACK, _district_clause
from cockpit.panels.viewmodels import AlertRow, AlertsVM

#: The alerts as they stood at a moment (three parameters: the moment, thrice): raised by then,
#: and open, acknowledged or cleared as they were then — what a replay (回放) shows; at the
#: live moment it is the table as it is. A state set without its time counts from the start.
ALERTS_AT = """(SELECT * REPLACE (
    CASE WHEN cleared_at <= ? OR (state = 'cleared' AND cleared_at IS NULL) THEN 'cleared'
         WHEN ack_at <= ? OR (state = 'acked' AND ack_at IS NULL) THEN 'acked'
         ELSE 'open' END AS state)
  FROM alerts WHERE ts <= ?) AS alerts"""
#: :data:`ALERTS_AT` without the alerts cleared by then (three parameters: the moment, thrice),
#: for the lists of open and acknowledged alerts: the cleared ones — nearly all of a month's
#: alerts — are left out by the scan itself instead of after each row's state is worked out.
ALERTS_OPEN_AT = """(SELECT * REPLACE (
    CASE WHEN ack_at <= ? OR (state = 'acked' AND ack_at IS NULL) THEN 'acked'
         ELSE 'open' END AS state)
  FROM alerts WHERE ts <= ? AND (cleared_at IS NULL OR cleared_at > ?)
                AND (cleared_at IS NOT NULL OR state IS DISTINCT FROM 'cleared')) AS alerts"""


def alerts(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> AlertsVM:
    clause, params = _district_clause(spec.get("district") or CITY_CODE)
    severities = list(spec.get("severities") or SEVERITIES)
    categories = list(spec.get("categories") or [])
    # the alerts holding the wall in a takeover are listed whatever the panel's filters: the
    # takeover layout always shows what holds it (the pump passes them as ``held``)
    held = [str(a) for a in spec.get("held") or ()]
    filt = (f"state IN ('open', 'acked') AND ((severity IN (SELECT unnest(?::VARCHAR[]))"
            f" AND category IN (SELECT unnest(?::VARCHAR[])){clause})"
            f" OR alert_id IN (SELECT unnest(?::VARCHAR[])))")
    args = [now, now, now, severities, categories, *params, held]
    # the rows shown and the open ones counted by severity, from one pass over the alerts:
    # two statements cost ~12.5 ms at 163,794 alerts, this one ~8.7 ms
    listed = cur.execute(
        f"""WITH shown AS MATERIALIZED (
              SELECT alert_id, ts, severity, category, title, district, state, detail
              FROM {ALERTS_OPEN_AT} WHERE {filt}),
            ranked AS (
              SELECT *, row_number() OVER (
                  ORDER BY alert_id IN (SELECT unnest(?::VARCHAR[])) DESC,
                           (severity = 'critical' AND state = 'open') DESC, ts DESC, alert_id) AS k
              FROM shown)
            SELECT 0 AS part, k, alert_id, ts, severity, category, title, district, state,
                   (SELECT e.name FROM entities e WHERE e.entity_id = ranked.detail) AS source,
                   NULL::BIGINT AS n
            FROM ranked WHERE k <= ?
            UNION ALL
            SELECT 1, NULL, NULL, NULL, severity, NULL, NULL, NULL, NULL, NULL, count(*)
            FROM shown WHERE state = 'open' GROUP BY severity
            ORDER BY part, k""", [*args, held, int(spec.get("limit") or 30)]).fetchall()
    rows = [r[2:10] for r in listed if r[0] == 0]
    counts: dict[str, int] = defaultdict(int)
    for r in listed:
        if r[0] == 1:
            counts[r[4]] = r[10]
    # An alert list is fresh while its feeds report in, even when nothing new went wrong.
    feeds = [r[0] for r in cur.execute(
        "SELECT DISTINCT feed FROM alerts WHERE ts > ? AND ts <= ? AND feed IS NOT NULL",
        [now - LOOKBACK, now]).fetchall()]
    as_of = None
    if feeds:
        as_of = cur.execute(
            "SELECT max(last_success) FROM feed_health WHERE feed IN (SELECT unnest(?::VARCHAR[]))",
            [feeds]).fetchone()[0]
    if as_of is None and feeds:  # no health record (a replayed snapshot): newest alert
        as_of = cur.execute("SELECT max(ts) FROM alerts WHERE ts <= ?", [now]).fetchone()[0]
    if as_of is not None and as_of > now:  # a replay: fresh as of the replayed moment at most
        as_of = now
    return AlertsVM(
        rows=tuple(AlertRow(r[0], r[1], r[2], r[3], with_source(r[4], r[7]),
                            district_name(r[5]), r[6]) for r in rows),
        counts=tuple((s, counts.get(s, 0)) for s in SEVERITIES if s in severities or s in counts),
        as_of=as_of, source="、".join(sorted(feeds)))


def with_source(title: str | None, source: str | None) -> str:
    """An alert's title with the name of the entity that raised it, unless it already says."""
    title = title or ""
    if not source or source in title:
        return title
    return f"{title}（{source}）" if title else source
