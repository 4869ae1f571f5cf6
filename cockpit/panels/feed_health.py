"""The ``feeds`` panel's query: each feed's state from ``feed_health``. Runs off the GUI
thread on its own cursor; no Qt.

A feed is *failing* when its last attempt did not succeed (or it never succeeded), *partial*
when its last load succeeded but ended short of the total its source announced (or rejected
records), else *ok*. Errors were redacted when the runner recorded them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cockpit.panels.viewmodels import FeedRow, FeedsVM

STATE_ORDER = {"failing": 0, "partial": 1, "ok": 2}


def feeds(cur: duckdb.DuckDBPyConnection, spec, now: datetime) -> FeedsVM:
    wanted = list(spec.get("feeds") or [])
    clause = " WHERE feed IN (SELECT unnest(?::VARCHAR[]))" if wanted else ""
    rows = cur.execute(
        f"""SELECT feed, last_attempt, last_success, last_error, rows, coalesce(partial, false)
            FROM feed_health{clause}""", [wanted] if wanted else []).fetchall()
    out = []
    for feed, attempt, success, error, n, partial in rows:
        failing = success is None or (attempt is not None and success < attempt)
        state = "failing" if failing else "partial" if partial else "ok"
        out.append(FeedRow(feed, state, success, attempt, error, int(n or 0)))
    out.sort(key=lambda r: (STATE_ORDER[r.state], r.feed))
    limit = int(spec.get("limit") or 12)
    as_of = max((r.last_attempt for r in out if r.last_attempt), default=None)
    return FeedsVM(rows=tuple(out[:limit]), as_of=as_of, source="采集服务")


def read_feeds(path: Path) -> list[dict]:
    """Each feed's state from ``feed_health``, reading the cache read-only (only after the
    child-process check found it sound, so a bad file cannot take the doctor down)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = feeds(con.cursor(), {"limit": 1000}, datetime.now(UTC)).rows
    finally:
        con.close()
    return [{"feed": f.feed, "state": f.state, "rows": f.rows, "error": f.error,
             "last_success": f.last_success.isoformat() if f.last_success else None}
            for f in rows]
