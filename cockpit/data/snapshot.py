"""Snapshot files of the cache: a folder of Parquet files, one per table plus ``meta``.

A snapshot is what a presenter carries to a briefing with no network. Reading one checks it
first (its schema version, the files, their columns and types, that every file reads in full
and that there are observations) and refuses it with a message naming the file and the
problem, so a damaged snapshot never reaches the cache half-loaded.

Exports are deterministic: each table is written ordered by its timestamp and key, so the
same cache contents give byte-identical files (the committed demo snapshot relies on it).
File paths go into SQL as prepared parameters, except for ``COPY ... TO``, which takes only a
literal (see :func:`cockpit.data.store.sql_literal`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from cockpit.data.atomic import current_umask
from cockpit.data.store import SCHEMA_VERSION, TABLES, Store, column_types, sql_literal
from cockpit.model.files import read_bytes_bounded

#: Tables a snapshot carries (feed_health and checkpoints are the recording PC's own state).
SNAPSHOT_TABLES = ("observations", "entities", "alerts", "indicators")
#: The schema version an export writes: the last one that changed a table snapshots carry
#: (v3 changed only feed_health), so today's snapshots stay byte-identical to v2's and older
#: cockpits keep reading them.
SNAPSHOT_VERSION = 2
#: Timestamp columns moved by a time shift; the first one also selects an export window.
TIME_COLUMNS = {
    "observations": ("ts",),
    "entities": ("updated_at",),
    "alerts": ("ts", "ack_at", "cleared_at"),
    "indicators": (),
}
#: Row order of each exported file: its timestamp, then its key, so exports are repeatable.
EXPORT_ORDER = {
    "observations": ("ts", "entity_id", "metric", "feed"),
    "entities": ("updated_at", "entity_id"),
    "alerts": ("ts", "alert_id"),
    "indicators": ("period", "code", "region"),
}
#: What identifies an observation (the table has no primary key): an import adds a row only
#: if the cache holds none with the same values of these.
OBSERVATION_KEY = ("ts", "feed", "entity_id", "metric")

#: The largest file a snapshot may hold, checked before anything is read: a month of a large
#: city's observations is about 100 MB of Parquet (the bundled two days: 240 KB), so a bigger
#: file is damage or a mistake, and reading it would stall the import for minutes.
MAX_FILE_BYTES = 1 << 30
#: The largest schema.sql / load.sql (ours are under 1 KB).
MAX_SCRIPT_BYTES = 64 * 1024
#: How deeply an entity's ``attrs`` JSON may nest (the cache's are flat records); deeper
#: values would crash Python's JSON parser when a panel reads them.
MAX_JSON_DEPTH = 64
#: The longest ``attrs`` value, in characters.
MAX_ATTRS_CHARS = 64 * 1024
#: How meta names the content digest (see :func:`_digest_sql`): any other value is not checked.
DIGEST_KIND = "md5-rows-v1"
_CREATE_TABLE = re.compile(r"CREATE TABLE \w+ ?\(")
_LOAD_LINE = re.compile(r"COPY (\w+) FROM '([^'/\\]+)' \(FORMAT 'parquet'\);")

_NUMBER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"}


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    schema_version: int
    rows: dict[str, int]
    first_ts: datetime | None
    last_ts: datetime | None
    feeds: tuple[str, ...]
    metrics: tuple[str, ...]
    #: Whether each table's content digest was checked (False: an older snapshot without one)
    verified: bool = False


def _parquet(path: Path, table: str) -> Path:
    return path / f"{table}.parquet"


def literal(path: Path | str) -> str:
    """``path`` for DuckDB's ``read_parquet``, which takes ``*``, ``?`` and ``[`` as a glob: a
    snapshot in a folder named ``演示?1`` would also read the files of ``演示A1`` beside it.
    Each such character is written as a one-character class (``[?]``), which matches itself."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def _digest_sql(table: str) -> str:
    """SQL for one table's content digest: the sum (as a decimal, order-independent) of the low
    64 bits of the MD5 of each row's text (each value as text, in the table's column order;
    timestamps as epoch microseconds, numbers as DOUBLE, NULL marked apart from any text).

    Why this one: a snapshot travels between PCs and cockpit versions, so its digest must mean
    the same to any DuckDB (``hash()`` is DuckDB's internal hash, free to change between
    releases; MD5 and these text forms are not). Order-independent, because the rows' order
    carries no meaning (an import is set-based) and DuckDB need not read a file in the order
    it was written. Any changed value, row added, lost or duplicated changes the sum; only a
    reordering of whole rows does not. It costs about 1-2 µs a row (the bundled demo's 97,000
    rows: about 0.1 s; see docs/cache.md for the figures), paid by export, info and import.
    """
    types = column_types()[table]
    parts = []
    for col in TABLES[table]:
        kind = types[col][0]
        if kind.startswith("TIMESTAMP"):
            text = f"epoch_us({col})::VARCHAR"
        elif kind in ("DOUBLE", "BIGINT"):
            text = f"{col}::DOUBLE::VARCHAR"
        else:
            text = f"{col}::VARCHAR"
        parts.append(f"CASE WHEN {col} IS NULL THEN 'N' ELSE 'V' || {text} END")
    return f"coalesce(sum(md5_number_lower(concat_ws(chr(31), {', '.join(parts)}))), 0)::VARCHAR"


def _digests(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, str]:
    return {table: con.execute(f"SELECT {_digest_sql(table)} FROM read_parquet(?)",
                               [literal(_parquet(folder, table))]).fetchone()[0]
            for table in SNAPSHOT_TABLES}


def write_meta(con: duckdb.DuckDBPyConnection, folder: Path, digests: dict[str, str]) -> None:
    """``meta.parquet``: the schema version, the digest kind and each table's digest (rows
    ``digest:<table>``). Older cockpits read only ``schema_version`` and ignore the rest."""
    rows = [("schema_version", str(SNAPSHOT_VERSION)), ("digest", DIGEST_KIND),
            *((f"digest:{t}", digests[t]) for t in SNAPSHOT_TABLES)]
    values = ", ".join(f"({sql_literal(k)}, {sql_literal(v)})" for k, v in rows)
    con.execute(f"COPY (SELECT * FROM (VALUES {values}) AS m(key, value)) "
                f"TO {sql_literal(_parquet(folder, 'meta'))} (FORMAT parquet)")


# -- export ---------------------------------------------------------------------------------
def export_snapshot(store: Store, out: str | Path, *, since: datetime | None = None,
                    until: datetime | None = None,
                    progress: Callable[[float, int], None] | None = None) -> Path:
    """Write the cache (or its ``[since, until]`` window) as a snapshot folder.

    The window applies to each table's first time column (observations.ts, entities.updated_at,
    alerts.ts; indicators are always written whole). A window without observations is refused:
    such a snapshot could not be read back.

    ``progress(fraction, total_rows)`` is called as the export advances (0..1, by rows; within
    a table from DuckDB's own query progress, polled from a helper thread).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SnapshotError(f"{out}: exists and is not an empty folder")
    con = store.reader()
    selects: dict[str, tuple[str, list[object]]] = {}
    for table in SNAPSHOT_TABLES:
        where = []
        params: list[object] = []
        ts_col = TIME_COLUMNS[table][0] if TIME_COLUMNS[table] else None
        if ts_col and since is not None:
            where.append(f"{ts_col} >= ?")
            params.append(since)
        if ts_col and until is not None:
            where.append(f"{ts_col} <= ?")
            params.append(until)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        selects[table] = (f"SELECT {', '.join(TABLES[table])} FROM {table}{clause}", params)
    query, params = selects["observations"]
    if not con.execute(f"SELECT count(*) FROM ({query})", params).fetchone()[0]:
        window = "".join([f" from {since}" if since is not None else "",
                          f" until {until}" if until is not None else ""])
        raise SnapshotError(f"{store.path}: no observations{window}; nothing to export")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=out.parent))
    tmp.chmod(0o777 & ~current_umask())  # a folder as mkdir makes it, not mkdtemp's private 0700
    try:
        sizes = {t: con.execute(f"SELECT count(*) FROM ({q})", p).fetchall()[0][0]
                 for t, (q, p) in selects.items()} if progress else {}
        total = max(1, sum(sizes.values()))
        done = 0
        for table, (query, params) in selects.items():
            order = ", ".join(EXPORT_ORDER[table])
            copy = (f"COPY ({query} ORDER BY {order}) TO "
                    f"{sql_literal(_parquet(tmp, table))} (FORMAT parquet)")
            if progress is None:
                con.execute(copy, params)
                continue
            _with_progress(con, copy, params,
                           lambda f, d=done, n=sizes[table]: progress((d + f * n) / total, total))
            done += sizes[table]
            progress(done / total, total)
        # digests of the files as written, read back as any reader will read them
        write_meta(con, tmp, _digests(con, tmp))
        _write_import_scripts(con, tmp)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _with_progress(con: duckdb.DuckDBPyConnection, sql: str, params: list[object],
                   report: Callable[[float], None]) -> None:
    """Run ``sql``, reporting DuckDB's progress of it (0..1) every 0.2 s from a helper thread."""
    finished = threading.Event()

    def poll() -> None:
        while not finished.wait(0.2):
            pct = con.query_progress()
            if pct >= 0:
                report(min(pct, 100.0) / 100)

    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    watcher = threading.Thread(target=poll, name="export-progress", daemon=True)
    watcher.start()
    try:
        con.execute(sql, params)
    finally:
        finished.set()
        watcher.join()


def _write_import_scripts(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """schema.sql and load.sql as DuckDB's EXPORT DATABASE writes them (with paths relative
    to the folder), so ``IMPORT DATABASE 'folder'`` in any DuckDB opens a snapshot as it is."""
    tables = (*SNAPSHOT_TABLES, "meta")
    ddl = dict(con.execute(
        "SELECT table_name, sql FROM duckdb_tables() WHERE schema_name = 'main' "
        "AND table_name IN (SELECT unnest(?::VARCHAR[]))", [list(tables)]).fetchall())
    (folder / "schema.sql").write_text("".join(f"{ddl[t].rstrip(';')};\n" for t in tables),
                                       encoding="utf-8")
    (folder / "load.sql").write_text(
        "".join(f"COPY {t} FROM '{t}.parquet' (FORMAT 'parquet');\n" for t in tables),
        encoding="utf-8")


# -- checks ---------------------------------------------------------------------------------
def _compatible(found: str, expected: str) -> bool:
    if expected in ("DOUBLE", "BIGINT"):
        return found in _NUMBER_TYPES or found.startswith("DECIMAL")
    if expected == "JSON":
        return found in ("JSON", "VARCHAR")
    return found == expected


def _inside(path: Path, file: Path) -> None:
    """Refuse ``file`` if it (a symlink, say) leads out of the snapshot folder ``path``."""
    target = file.resolve()
    if not target.is_relative_to(path.resolve()):
        raise SnapshotError(f"{file}: leads out of the snapshot folder (to {target}); "
                            f"a snapshot's files must be inside it")


def _check_size(file: Path, limit: int = MAX_FILE_BYTES) -> None:
    size = file.stat().st_size
    if size > limit:
        raise SnapshotError(f"{file}: {size:,} bytes, larger than a snapshot file may be "
                            f"({limit:,}); refused without reading it")


def _check_scripts(path: Path) -> None:
    """schema.sql and load.sql (for plain DuckDB's IMPORT DATABASE; the cockpit itself does
    not run them) must be what an export writes: table definitions, and loads of the folder's
    own files. Anything else (a path out of the folder, other statements) is refused, so a
    damaged or doctored snapshot cannot make support staff's DuckDB read or write elsewhere."""
    for name in ("schema.sql", "load.sql"):
        file = path / name
        if not file.exists() and not file.is_symlink():
            continue  # optional: only plain DuckDB needs them
        _inside(path, file)
        # a regular file only (no FIFO, device or socket: refused unread, without blocking),
        # at most MAX_SCRIPT_BYTES of it read
        data = read_bytes_bounded(file, MAX_SCRIPT_BYTES, lambda m, f=file: SnapshotError(f"{f}: {m}"))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SnapshotError(f"{file}: not UTF-8 text (bad byte at offset {exc.start})") from None
        if name == "schema.sql":
            _check_schema_sql(file, text)
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            m = _LOAD_LINE.fullmatch(line.strip())
            if not (m and m.group(2) == f"{m.group(1)}.parquet"
                    and m.group(1) in (*SNAPSHOT_TABLES, "meta")):
                raise SnapshotError(
                    f"{file}: line {number}: expected COPY <table> FROM '<table>.parquet' "
                    f"(FORMAT 'parquet'); naming a file of the snapshot folder, found "
                    f"{line.strip()[:120]!r}")


def _check_schema_sql(file: Path, text: str) -> None:
    """Only plain table definitions: ``CREATE TABLE name(columns);``, with no string (a
    ``CREATE TABLE … AS SELECT … FROM read_csv('/etc/passwd')`` would read a file)."""
    statements = text.split(";")
    if statements[-1].strip():
        raise SnapshotError(f"{file}: statement {len(statements)}: does not end with ';'")
    for number, statement in enumerate(statements[:-1], 1):
        body = " ".join(statement.split())
        if not (_CREATE_TABLE.match(body) and not re.search(r"['$]|\bAS\b", body, re.IGNORECASE)):
            raise SnapshotError(f"{file}: statement {number}: expected a plain CREATE TABLE "
                                f"name(columns) statement, found {body[:120]!r}")


def _json_depth(text: str) -> int:
    """How deeply JSON ``text`` nests (brackets outside strings), without recursion."""
    depth = deepest = 0
    for m in re.finditer(r'"(?:\\.|[^"\\])*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _check_attrs(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    """Entities' JSON ``attrs``: not too long, not nested deeper than :data:`MAX_JSON_DEPTH`."""
    row = con.execute("SELECT entity_id, length(attrs) FROM read_parquet(?) "
                      "ORDER BY length(attrs) DESC NULLS LAST LIMIT 1", [literal(file)]).fetchone()
    if row is not None and (row[1] or 0) > MAX_ATTRS_CHARS:
        raise SnapshotError(f"{file}: attrs of entity {row[0]!r} is {row[1]:,} characters long "
                            f"(at most {MAX_ATTRS_CHARS:,})")
    # only values with many brackets can nest deeply; scan those
    rows = con.execute(
        "SELECT entity_id, attrs::VARCHAR FROM read_parquet(?) WHERE length(attrs) - "
        "length(regexp_replace(attrs::VARCHAR, '[\\[{]', '', 'g')) > ?",
        [literal(file), MAX_JSON_DEPTH]).fetchall()
    for entity_id, attrs in rows:
        depth = _json_depth(attrs)
        if depth > MAX_JSON_DEPTH:
            raise SnapshotError(f"{file}: attrs of entity {entity_id!r} nests {depth:,} levels "
                                f"deep (at most {MAX_JSON_DEPTH})")


def _recorded_digests(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str] | None:
    """The per-table digests meta records, or None for an older snapshot without them (or of a
    digest kind this cockpit does not know): such a snapshot still loads, unverified."""
    meta = literal(_parquet(path, "meta"))
    rows = dict(con.execute("SELECT key, value FROM read_parquet(?) WHERE key = 'digest' "
                            "OR key LIKE 'digest:%'", [meta]).fetchall())
    if rows.get("digest") != DIGEST_KIND:
        return None
    return {t: rows.get(f"digest:{t}") for t in SNAPSHOT_TABLES}


def _check_meta(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    meta = _parquet(path, "meta")
    if not meta.is_file():
        raise SnapshotError(f"{meta}: missing (is {path} a snapshot folder?)")
    _inside(path, meta)
    _check_size(meta)
    try:
        row = con.execute("SELECT value FROM read_parquet(?) WHERE key = 'schema_version'",
                          [literal(meta)]).fetchone()
    except duckdb.Error as exc:
        raise SnapshotError(f"{meta}: unreadable, damaged or not Parquet "
                            f"({_first_line(exc)})") from None
    if row is None:
        raise SnapshotError(f"{meta}: no schema_version")
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        raise SnapshotError(f"{meta}: schema_version {row[0]!r} is not a number") from None
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{meta}: snapshot schema version {version} is newer than this cockpit's "
            f"({SCHEMA_VERSION}); upgrade the cockpit to read it")
    if version < 1:
        raise SnapshotError(f"{meta}: schema version {version} is not a valid version")
    return version


def _check_table(con: duckdb.DuckDBPyConnection, path: Path, table: str,
                 digest: str | None = None, mismatched: list[SnapshotError] | None = None) -> int:
    """Check one table's file (exists, columns, types, reads in full, required values, finite
    numbers), and its content digest when meta records one: a mismatch is added to
    ``mismatched`` (raised by the caller last, after the problems that say more)."""
    mismatched = [] if mismatched is None else mismatched
    file = _parquet(path, table)
    if not file.is_file():
        if file.exists() or file.is_symlink():
            raise SnapshotError(f"{file}: expected a Parquet file, found "
                                f"{'a folder' if file.is_dir() else 'a broken link or a special file'}")
        raise SnapshotError(f"{file}: missing")
    _inside(path, file)
    _check_size(file)
    try:
        desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [literal(file)]).fetchall()
    except duckdb.Error as exc:
        raise SnapshotError(f"{file}: unreadable, damaged or not Parquet "
                            f"({_first_line(exc)})") from None
    have = {d[0]: d[1] for d in desc}
    expected = column_types()[table]
    missing = [c for c in TABLES[table] if c not in have]
    if missing:
        raise SnapshotError(f"{file}: missing column(s) {', '.join(missing)}")
    wrong = [f"{c} is {have[c]}, expected {expected[c][0]}" for c in TABLES[table]
             if not _compatible(have[c], expected[c][0])]
    if wrong:
        raise SnapshotError(f"{file}: wrong column type(s): {'; '.join(wrong)}")
    # Read every value (hashing all columns), so damage inside the file shows here rather than
    # half-way through an import; and count the rows lacking a value the cache requires.
    required = [c for c in TABLES[table] if not expected[c][1]]
    numeric = [c for c in TABLES[table] if expected[c][0] == "DOUBLE"]
    parts = ["count(*)", *(f"count(*) FILTER (WHERE {c} IS NULL)" for c in required),
             *(f"count(*) FILTER (WHERE NOT isfinite({c}::DOUBLE))" for c in numeric),
             _digest_sql(table) if digest is not None else f"sum(hash({', '.join(TABLES[table])}))"]
    try:
        row = con.execute(f"SELECT {', '.join(parts)} FROM read_parquet(?)",
                          [literal(file)]).fetchone()
    except duckdb.Error as exc:
        raise SnapshotError(f"{file}: damaged, cannot be read in full "
                            f"({_first_line(exc)})") from None
    counts = row[1:-1]
    nulls = [f"{n} row(s) without {c}" for c, n in zip(required, counts[:len(required)], strict=True) if n]
    if nulls:
        raise SnapshotError(f"{file}: {', '.join(nulls)} (required)")
    # NaN and ±infinity: live feeds refuse them, and a panel or the map cannot show them
    odd = [f"column {c}: {n:,} value(s) not a finite number (NaN or ±infinity)"
           for c, n in zip(numeric, counts[len(required):], strict=True) if n]
    if odd:
        raise SnapshotError(f"{file}: {'; '.join(odd)}; refused")
    if table == "entities":
        _check_attrs(con, file)
    if digest is not None and row[-1] != digest:
        mismatched.append(SnapshotError(
            f"{file}: content digest {row[-1]} differs from the {digest} meta records for "
            f"table {table}: the file was changed or damaged after export"))
    return int(row[0])


def snapshot_info(path: str | Path) -> SnapshotInfo:
    """Check a snapshot folder and describe it; raises SnapshotError naming what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise SnapshotError(f"{path}: not a snapshot folder")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        version = _check_meta(con, path)
        _check_scripts(path)
        digests = _recorded_digests(con, path)  # None: an older snapshot, not verified
        mismatched: list[SnapshotError] = []
        rows = {table: _check_table(con, path, table, digests.get(table) if digests else None,
                                    mismatched)
                for table in SNAPSHOT_TABLES}
        if digests is not None and any(d is None for d in digests.values()):
            missing = [t for t, d in digests.items() if d is None]
            raise SnapshotError(f"{_parquet(path, 'meta')}: no digest for table(s) "
                                f"{', '.join(missing)}")
        obs = literal(_parquet(path, "observations"))
        if rows["observations"] == 0:
            raise SnapshotError(f"{obs}: holds no observations; there is nothing to show")
        if mismatched:
            raise mismatched[0]
        first, last, feeds, metrics = con.execute(
            "SELECT min(ts), max(ts), list(DISTINCT feed ORDER BY feed), "
            "list(DISTINCT metric ORDER BY metric) FROM read_parquet(?)", [obs]).fetchone()
        return SnapshotInfo(path, version, rows, first, last, tuple(feeds), tuple(metrics),
                            verified=digests is not None)
    finally:
        con.close()


# -- import ---------------------------------------------------------------------------------
#: With an ``until``: what each time column becomes (after the shift), by table. Observations
#: and alerts later than ``until`` are left out; an alert acknowledged or cleared later is
#: still open at ``until`` (its state follows); an entity is not updated after it.
_UNTIL = {
    "entities": {"updated_at": "least(updated_at, ?::TIMESTAMPTZ)"},
    "alerts": {
        "state": "CASE WHEN cleared_at <= ?::TIMESTAMPTZ THEN 'cleared' "
                 "WHEN ack_at <= ?::TIMESTAMPTZ THEN 'acked' ELSE 'open' END",
        "ack_by": "CASE WHEN ack_at <= ?::TIMESTAMPTZ THEN ack_by END",
        "ack_at": "CASE WHEN ack_at <= ?::TIMESTAMPTZ THEN ack_at END",
        "cleared_at": "CASE WHEN cleared_at <= ?::TIMESTAMPTZ THEN cleared_at END",
    },
}


def _until_select(table: str, inner: str, until: datetime
                  ) -> tuple[str, list[object], list[object]]:
    """``SELECT ... FROM (inner)`` cut at ``until`` (see :data:`_UNTIL`), and its parameters
    before and after the inner query's."""
    cols, params, after = [], [], []
    for c in TABLES[table]:
        expr = _UNTIL.get(table, {}).get(c)
        if expr is None:
            cols.append(c)
        else:
            cols.append(f"{expr} AS {c}")
            params += [until] * expr.count("?")
    where = ""
    if table in ("observations", "alerts"):
        where = " WHERE ts <= ?::TIMESTAMPTZ"
        after.append(until)
    return f"SELECT {', '.join(cols)} FROM ({inner}){where}", params, after


def import_snapshot(store: Store, path: str | Path, *, shift: timedelta = timedelta(0),
                    info: SnapshotInfo | None = None, until: datetime | None = None,
                    tables: tuple[str, ...] = SNAPSHOT_TABLES) -> dict[str, int]:
    """Load a checked snapshot into the cache, moving every timestamp by ``shift``.

    One transaction: a snapshot that fails half-way leaves the cache as it was. Importing is
    idempotent. Entities, alerts and indicators are upserted by their keys; observations (no
    key in the cache) are inserted only where the cache has no row with the same
    :data:`OBSERVATION_KEY` yet — one anti-join against the cache's rows of the snapshot's
    feeds within its (shifted) time range, so the check costs about as much as the import.
    Returns the rows written per table: new observations, upserted rows of the others.
    ``info``, from :func:`snapshot_info` of the same folder just before, saves checking twice.
    ``until`` (a moment after the shift) leaves out what the recording has later: the replay
    aligned to the time of day places the recording's end up to a day after now (see
    :mod:`cockpit.data.replay`). ``tables`` limits the import to some of the tables.
    """
    if info is None or info.path != Path(path):
        info = snapshot_info(path)
    micros = shift // timedelta(microseconds=1)
    first = info.first_ts + shift
    last = info.last_ts + shift if until is None else min(info.last_ts + shift, until)

    def load(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        counts = {}
        for table in tables:
            file = _parquet(info.path, table)
            names = ", ".join(TABLES[table])
            shifted = [f"{c} + to_microseconds(?::BIGINT) AS {c}" if c in TIME_COLUMNS[table]
                       else c for c in TABLES[table]]
            params: list[object] = [micros] * len(TIME_COLUMNS[table]) + [literal(file)]
            select = f"SELECT {', '.join(shifted)} FROM read_parquet(?)"
            if until is not None:
                select, before, after = _until_select(table, select, until)
                params = before + params + after
            if table == "observations":
                sql = (f"INSERT INTO observations ({names}) SELECT {names} FROM ({select}) s "
                       f"ANTI JOIN (SELECT {', '.join(OBSERVATION_KEY)} FROM observations "
                       f"WHERE ts BETWEEN ? AND ? AND feed IN (SELECT unnest(?::VARCHAR[]))) o "
                       f"USING ({', '.join(OBSERVATION_KEY)})")
                params += [first, last, list(info.feeds)]
            else:
                sql = f"INSERT OR REPLACE INTO {table} ({names}) {select}"
            try:
                counts[table] = con.execute(sql, params).fetchone()[0]
            except duckdb.Error as exc:
                raise SnapshotError(f"{file}: could not be loaded, nothing was imported "
                                    f"({_first_line(exc)})") from None
        return counts

    return store.write(load)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
