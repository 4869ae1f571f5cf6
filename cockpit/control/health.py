"""Health figures of this process and its feeds. Pure: no Qt."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def rss_mb() -> float | None:
    """Resident memory of this process from /proc (None where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def feed_health(cur, now: datetime) -> list[dict]:
    """One row per feed: last attempt and success, their age, the last error."""
    rows = cur.execute("SELECT feed, last_attempt, last_success, last_error, rows, latency_ms "
                       "FROM feed_health ORDER BY feed").fetchall()
    out = []
    for feed, attempt, success, error, n, latency in rows:
        out.append({"feed": feed,
                    "last_attempt": attempt.isoformat() if attempt else None,
                    "last_success": success.isoformat() if success else None,
                    "age_s": round((now - success).total_seconds()) if success else None,
                    "last_error": error, "rows": n, "latency_ms": latency})
    return out
