"""The audit of control actions: who (by token name), what, when, from where, with what outcome.

Kept in the cache's ``control_audit`` table (schema v4) through the store's single writer;
listed by ``cockpit control log`` and pruned with the cache's retention. No Qt.
"""

from __future__ import annotations

import logging
from datetime import datetime

from cockpit.control.commands import escape_controls

log = logging.getLogger(__name__)
MAX_TEXT = 400  # characters of a detail or an outcome kept


def record(store, *, at: datetime, token_name: str | None, action: str, detail: str,
           client: str, outcome: str) -> None:
    """Audit one control action (a read-only wall writes nothing, so it audits nothing)."""
    if store.read_only:
        log.info("read-only wall: control action %s (%s) not audited", action, outcome)
        return
    # a detail may carry what a client or a feed sent: no control character reaches the log,
    # and no entry is longer than a few hundred characters
    detail, outcome = (escape_controls(text[:MAX_TEXT]) for text in (detail, outcome))
    store.write(lambda con: con.execute(
        "INSERT INTO control_audit VALUES (?, ?, ?, ?, ?, ?)",
        [at, token_name, action, detail, client, outcome]))


def prune(store, before: datetime) -> int:
    """Drop the audited control actions older than ``before``; how many went."""
    if store.read_only:
        return 0

    def delete(con) -> int:
        n = con.execute("SELECT count(*) FROM control_audit WHERE ts < ?", [before]).fetchone()[0]
        if n:
            con.execute("DELETE FROM control_audit WHERE ts < ?", [before])
        return n

    return store.write(delete)


def recent(store, limit: int = 100) -> list[dict]:
    """The latest control actions, newest first (reader cursor of the calling thread)."""
    rows = store.reader().execute(
        "SELECT ts, token_name, action, detail, client, outcome FROM control_audit "
        "ORDER BY ts DESC LIMIT ?", [limit]).fetchall()
    return [{"ts": r[0].isoformat(), "token_name": r[1], "action": r[2], "detail": r[3],
             "client": r[4], "outcome": r[5]} for r in rows]


def open_alert_ids(cur, alert_ids: list[str]) -> set[str]:
    """Which of ``alert_ids`` are open alerts (what an acknowledgement may name)."""
    if not alert_ids:
        return set()
    rows = cur.execute("SELECT alert_id FROM alerts WHERE alert_id IN (SELECT unnest(?::VARCHAR[])) "
                       "AND state = 'open'", [list(alert_ids)]).fetchall()
    return {r[0] for r in rows}
