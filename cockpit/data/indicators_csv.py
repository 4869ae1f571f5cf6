"""``cockpit import-indicators FILE.csv``: the user-maintained indicator list into ``indicators``.

The file is checked whole first; every bad row is reported (its line number in the file and
why), and a file with any bad row loads nothing, so the wall never shows half of a list. A good
file is upserted: a row replaces the one with the same (period, code, region). The format is
described in docs/indicators-csv.md. No Qt.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from cockpit.data.store import Store
from cockpit.model.metrics import CITY_CODE, DISTRICTS

REQUIRED = ("period", "code", "name", "value")
OPTIONAL = ("region", "target", "unit", "source")
COLUMNS = REQUIRED + OPTIONAL
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_CODE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


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


def _period_ok(text: str) -> bool:
    m = _PERIOD.fullmatch(text)
    if not m:
        return False
    y, mo, d = (int(x) if x else None for x in m.groups())
    try:
        date(y, mo or 1, d or 1)
    except ValueError:
        return False
    return True


def _number(text: str) -> float | None:
    """A finite number (thousands separators allowed), or None when it is not one."""
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_indicators(path: str | Path) -> pa.Table:
    """Parse and check ``path``; raises IndicatorFileError listing every bad row."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except OSError as exc:
        raise IndicatorFileError([RowError(name, 0, f"cannot read the file ({exc.strerror})")]) from None
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
        problems = []
        if not _period_ok(rec["period"]):
            problems.append(f"period {rec['period']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if not _CODE.fullmatch(rec["code"]):
            problems.append(f"code {rec['code']!r} must be lower-case letters, digits, _ and dots")
        if not rec["name"]:
            problems.append("name is empty")
        region = rec.get("region") or CITY_CODE
        if region != CITY_CODE and region not in DISTRICTS:
            problems.append(f"region {region!r} is not 370700 or a district code of Weifang")
        value = _number(rec["value"])
        if value is None:
            problems.append(f"value {rec['value']!r} is not a number")
        target = None
        if rec.get("target"):
            target = _number(rec["target"])
            if target is None:
                problems.append(f"target {rec['target']!r} is not a number")
        key = (rec["period"], rec["code"], region)
        if not problems and key in seen:
            problems.append(f"same period, code and region as line {seen[key]}")
        if problems:
            errors.append(RowError(name, line, "; ".join(problems)))
            continue
        seen[key] = line
        rows.append({"period": rec["period"], "code": rec["code"], "name": rec["name"],
                     "region": region, "value": value, "target": target,
                     "unit": rec.get("unit") or "", "source": rec.get("source") or ""})
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
