"""``cockpit import-indicators FILE.csv``: the user-maintained indicator list into ``indicators``.

The file is checked whole first; every bad row is reported (its line number in the file and
why), and a file with any bad row loads nothing, so the wall never shows half of a list. A good
file is upserted: a row replaces the one with the same (period, code, region). The format is
described in docs/indicators-csv.md. No Qt.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pydantic import ValidationError

from cockpit.data.store import Store
from cockpit.model.files import read_bytes_bounded
from cockpit.model.schema.indicators import IndicatorRow, row_problems

REQUIRED = ("period", "code", "name", "value")
OPTIONAL = ("region", "target", "unit", "source")
COLUMNS = REQUIRED + OPTIONAL
#: The largest indicator file read: a list a person keeps (the example is under 2 KB; 50,000
#: rows of a city's yearbook are about 5 MB), so a bigger one is a mistake.
MAX_CSV_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    file: str
    line: int  # line in the file (the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class IndicatorFileError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def read_indicators(path: str | Path) -> pa.Table:
    """Parse and check ``path``; raises IndicatorFileError listing every bad row."""
    path = Path(path)
    name = str(path)
    def refused(message: str) -> IndicatorFileError:
        return IndicatorFileError([RowError(name, 0, message)])

    # a regular file only (a FIFO or device is refused unread, without blocking), bounded
    data = read_bytes_bounded(path, MAX_CSV_BYTES, refused)
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        raise IndicatorFileError([RowError(name, 0, "not UTF-8 text; save it as \"CSV UTF-8\"")]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise IndicatorFileError([RowError(name, 1, "; ".join(parts) + f" (columns: {', '.join(COLUMNS)})")])
    errors: list[RowError] = []
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines are allowed
        if len(cells) != len(header):
            errors.append(RowError(name, line, f"expected {len(header)} fields, found {len(cells)}"))
            continue
        rec = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        try:
            row = IndicatorRow.model_validate(rec)
        except ValidationError as exc:
            errors.append(RowError(name, line, "; ".join(row_problems(exc))))
            continue
        key = (row.period, row.code, row.region)
        if key in seen:
            errors.append(RowError(name, line, f"same period, code and region as line "
                                               f"{seen[key]}"))
            continue
        seen[key] = line
        rows.append(row.model_dump())
    if errors:
        raise IndicatorFileError(errors)
    if not rows:
        raise IndicatorFileError([RowError(name, 1, "no indicator rows")])
    schema = pa.schema([("period", pa.string()), ("code", pa.string()), ("name", pa.string()),
                        ("region", pa.string()), ("value", pa.float64()), ("target", pa.float64()),
                        ("unit", pa.string()), ("source", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def import_indicators(store: Store, path: str | Path) -> int:
    """Check ``path`` whole, then upsert its rows in one transaction; returns the row count."""
    return store.upsert("indicators", read_indicators(path))
