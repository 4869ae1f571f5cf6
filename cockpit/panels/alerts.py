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


def alerts(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> AlertsVM:
    clause, params = _district_clause(spec.get("district") or CITY_CODE)
    severities = list(spec.get("severities") or SEVERITIES)
    categories = list(spec.get("categories") or [])
    filt = (f"state IN ('open', 'acked') AND ts <= ? AND severity IN (SELECT unnest(?::VARCHAR[]))"
            f" AND category IN (SELECT unnest(?::VARCHAR[])){clause}")
    args = [now, severities, categories, *params]
    rows = cur.execute(
        f"""SELECT alert_id, ts, severity, category, title, district, state,
                   (SELECT e.name FROM entities e WHERE e.entity_id = alerts.detail) AS source
            FROM alerts WHERE {filt}
            ORDER BY (severity = 'critical' AND state = 'open') DESC, ts DESC, alert_id
            LIMIT ?""", [*args, int(spec.get("limit") or 30)]).fetchall()
    counts: dict[str, int] = defaultdict(int)
    for sev, n in cur.execute(
            f"SELECT severity, count(*) FROM alerts WHERE {filt} AND state = 'open' GROUP BY 1",
            args).fetchall():
        counts[sev] = n
    # An alert list is fresh while its feeds report in, even when nothing new went wrong.
    feeds = [r[0] for r in cur.execute(
        "SELECT DISTINCT feed FROM alerts WHERE ts > ?", [now - LOOKBACK]).fetchall()]
    as_of = None
    if feeds:
        as_of = cur.execute(
            "SELECT max(last_success) FROM feed_health WHERE feed IN (SELECT unnest(?::VARCHAR[]))",
            [feeds]).fetchone()[0]
    if as_of is None and feeds:  # no health record (a replayed snapshot): newest alert
        as_of = cur.execute("SELECT max(ts) FROM alerts WHERE ts <= ?", [now]).fetchone()[0]
    return AlertsVM(
        rows=tuple(AlertRow(r[0], r[1], r[2], r[3], with_source(r[4], r[7]),
                            district_name(r[5]), r[6]) for r in rows),
        counts=tuple((s, counts.get(s, 0)) for s in SEVERITIES if s in severities),
        as_of=as_of, source="、".join(sorted(feeds)))


def with_source(title: str | None, source: str | None) -> str:
    """An alert's title with the name of the entity that raised it, unless it already says."""
    title = title or ""
    if not source or source in title:
        return title
    return f"{title}（{source}）" if title else source
