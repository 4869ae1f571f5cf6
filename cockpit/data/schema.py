"""The cache's schema: its tables, their columns and the migrations from each version to the next.

A cache records its version in ``meta``; :func:`migrate` brings an older one up, one version per
transaction, and refuses a newer one or a file that is not a cockpit cache. docs/architecture.md
describes the tables. No Qt.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import duckdb

log = logging.getLogger("cockpit.data.store")


class SchemaError(RuntimeError):
    """The file's schema cannot be used (the store words it as a StoreError)."""


SCHEMA_VERSION = 5
#: Column order of each table (docs/architecture.md lists them).
TABLES: dict[str, tuple[str, ...]] = {
    "observations": ("ts", "feed", "entity_id", "entity_type", "metric", "value", "unit",
                     "district", "lat", "lon"),
    "entities": ("entity_id", "entity_type", "name", "district", "lat", "lon", "status", "attrs",
                 "updated_at"),
    "alerts": ("alert_id", "ts", "feed", "severity", "category", "title", "detail", "district",
               "lat", "lon", "state", "ack_by", "ack_at", "cleared_at"),
    "indicators": ("period", "code", "name", "region", "value", "target", "unit", "source"),
    "feed_health": ("feed", "last_attempt", "last_success", "last_error", "rows", "latency_ms",
                    "partial"),
}
#: The observations' rollups (v5): per metric, district and bucket, the count and sum of the
#: values and the newest row's time, value and feed; ``obs_rollup_state.until`` says up to
#: where they hold every observation (cockpit/data/rollup.py keeps them, docs/architecture.md).
ROLLUPS: dict[str, int] = {"obs_10m": 10, "obs_1h": 60}  # table -> bucket minutes
ROLLUP_COLUMNS = ("metric", "district", "bucket", "n", "total", "last_ts", "last_value",
                  "last_value_ts", "last_feed")
#: What identifies an observation (the table has no primary key): a write adds a row only if
#: the cache holds none with the same values of these, so re-ingesting a page adds nothing.
OBSERVATION_KEY = ("ts", "feed", "entity_id", "metric")

_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE observations (
    ts TIMESTAMPTZ NOT NULL, feed VARCHAR NOT NULL, entity_id VARCHAR NOT NULL,
    entity_type VARCHAR, metric VARCHAR NOT NULL, value DOUBLE, unit VARCHAR,
    district VARCHAR, lat DOUBLE, lon DOUBLE);
CREATE TABLE entities (
    entity_id VARCHAR PRIMARY KEY, entity_type VARCHAR, name VARCHAR, district VARCHAR,
    lat DOUBLE, lon DOUBLE, status VARCHAR, attrs JSON, updated_at TIMESTAMPTZ);
CREATE TABLE alerts (
    alert_id VARCHAR PRIMARY KEY, ts TIMESTAMPTZ NOT NULL, feed VARCHAR, severity VARCHAR,
    category VARCHAR, title VARCHAR, detail VARCHAR, district VARCHAR, lat DOUBLE, lon DOUBLE,
    state VARCHAR, ack_by VARCHAR, ack_at TIMESTAMPTZ, cleared_at TIMESTAMPTZ);
CREATE TABLE indicators (
    period VARCHAR, code VARCHAR, name VARCHAR, region VARCHAR, value DOUBLE, target DOUBLE,
    unit VARCHAR, source VARCHAR, PRIMARY KEY (period, code, region));
CREATE TABLE feed_health (
    feed VARCHAR PRIMARY KEY, last_attempt TIMESTAMPTZ, last_success TIMESTAMPTZ,
    last_error VARCHAR, rows BIGINT, latency_ms DOUBLE);
"""

# v2: adapters persist how far they got (incremental fetch), and the wall's hot query
# (one metric over a time window) gets an index.
_V2 = """
CREATE TABLE feed_checkpoints (feed VARCHAR PRIMARY KEY, checkpoint VARCHAR,
                               updated_at TIMESTAMPTZ);
CREATE INDEX observations_metric_ts ON observations (metric, ts);
"""

# v3: a load that ended short of the total the source announced is flagged as partial.
_V3 = """
ALTER TABLE feed_health ADD COLUMN partial BOOLEAN DEFAULT false;
"""

# v4: the audit of control actions (who by token name, what, when, from where, outcome).
_V4 = """
CREATE TABLE control_audit (ts TIMESTAMPTZ NOT NULL, token_name VARCHAR, action VARCHAR NOT NULL,
                            detail VARCHAR, client VARCHAR, outcome VARCHAR NOT NULL);
"""

# v5 (issue 18): the panels read rollups of the observations kept at ingest, 10-minute and
# hourly buckets per metric and district, instead of scanning days of rows; the raw rows are
# read only after ``obs_rollup_state.until`` and at a window's ragged edges. The (metric, ts)
# index goes: no query needs it now (a time range is found by DuckDB's zone maps, the rows
# being appended in about time order), and keeping it cost a quarter of every insert and its
# memory grows with the cache. An existing cache's rollups are built here, up to the last full
# hour of its newest observation.
_ROLLUP_TABLE = """
CREATE TABLE {name} (
    metric VARCHAR NOT NULL, district VARCHAR, bucket TIMESTAMPTZ NOT NULL, n BIGINT NOT NULL,
    total DOUBLE, last_ts TIMESTAMPTZ NOT NULL, last_value DOUBLE, last_value_ts TIMESTAMPTZ,
    last_feed VARCHAR);
"""
ROLL_10M = """
INSERT INTO obs_10m SELECT metric, district, time_bucket(INTERVAL 10 MINUTE, ts) AS bucket,
       count(value), sum(value), max(ts), arg_max(value, ts),
       max(ts) FILTER (WHERE value IS NOT NULL), arg_max(feed, ts)
FROM observations WHERE ts >= {lo} AND ts < {hi} GROUP BY ALL;
"""
ROLL_1H = """
INSERT INTO obs_1h SELECT metric, district, time_bucket(INTERVAL 1 HOUR, bucket) AS hour,
       sum(n), sum(total), max(last_ts), arg_max(last_value, last_value_ts), max(last_value_ts),
       arg_max(last_feed, last_ts)
FROM obs_10m WHERE bucket >= {lo} AND bucket < {hi} GROUP BY ALL;
"""
_V5 = ("DROP INDEX IF EXISTS observations_metric_ts;"
       + _ROLLUP_TABLE.format(name="obs_10m") + _ROLLUP_TABLE.format(name="obs_1h") + """
CREATE TABLE obs_rollup_state (until TIMESTAMPTZ);
INSERT INTO obs_rollup_state
    SELECT time_bucket(INTERVAL 1 HOUR, max(ts)) FROM observations;
""" + ROLL_10M.format(lo="'-infinity'::TIMESTAMPTZ", hi="(SELECT until FROM obs_rollup_state)")
       + ROLL_1H.format(lo="'-infinity'::TIMESTAMPTZ", hi="(SELECT until FROM obs_rollup_state)"))

#: version reached -> DDL that reaches it from the version before.
MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5}


@functools.cache
def column_types() -> dict[str, dict[str, tuple[str, bool]]]:
    """table -> column -> (DuckDB type, nullable), as the migrations create them."""
    con = duckdb.connect(":memory:")
    try:
        for version in range(1, SCHEMA_VERSION + 1):
            if version in MIGRATIONS:
                con.execute(MIGRATIONS[version])
        out: dict[str, dict[str, tuple[str, bool]]] = {}
        for table, column, dtype, nullable in con.execute(
                "SELECT table_name, column_name, data_type, is_nullable = 'YES' "
                "FROM information_schema.columns ORDER BY table_name, ordinal_position"
        ).fetchall():
            out.setdefault(table, {})[column] = (dtype, nullable)
        return out
    finally:
        con.close()


def version_of(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The schema version recorded in the cache (0: a new, empty file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not has_meta:
        return 0
    # fetchall, not fetchone: a result left unfinished on the writer connection makes the
    # next register() (every append/upsert) fail on a cache that needed no migration
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    if not rows:
        return 0
    row = rows[0]
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise SchemaError(f"{path}: schema version {row[0]!r} is not a number") from None


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bring the cache up to :data:`SCHEMA_VERSION`, one version per transaction (the store
    holds its write lock around this)."""
    current = version_of(con, path)
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"{path} has schema version {current}, newer than this cockpit "
            f"({SCHEMA_VERSION}); upgrade the cockpit or use another cache file")
    if current == 0:
        others = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        if others:
            raise SchemaError(
                f"{path} is not a cockpit cache (no schema version, but tables "
                f"{', '.join(others[:5])}); refusing to write into it")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        if version not in MIGRATIONS:
            continue
        con.execute("BEGIN")
        try:
            con.execute(MIGRATIONS[version])
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("cache %s migrated to schema version %d", path, version)
    return SCHEMA_VERSION
