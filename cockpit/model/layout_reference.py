"""The layout format's reference tables, generated from the panel registry: each kind's fields,
the metric codes and the district codes, as Markdown for ``docs/layout-format.md``.

``python -m cockpit.model.layout_reference --doc`` prints them; with paths it checks layout files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cockpit.model.layout import validate_paths
from cockpit.model.layout_check import _expected, _num
from cockpit.model.metrics import CITY_CODE, DISTRICTS, METRICS
from cockpit.model.registry import PANEL_KINDS, Field


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _doc_type(f: Field) -> str:
    if f.type is list:
        if f.check == "metrics":
            return "list of metric codes"
        return "list of strings" if f.choices and all(isinstance(c, str) for c in f.choices) else "list"
    if f.type in (bool, dict):
        return {bool: "boolean", dict: "table"}[f.type]
    text = _expected(f.type).split(" ", 1)[1]
    return {"metric": "string (metric code)", "district": "string (district code)"}.get(f.check, text)


def _doc_allowed(f: Field) -> str:
    parts = []
    if f.choices:
        parts.append(", ".join(f"`{c}`" for c in f.choices))
    if f.check in ("metric", "metrics"):
        parts.append("see [Metrics](#metrics)")
    if f.check == "district":
        parts.append(f"`{CITY_CODE}` or see [Districts](#districts)")
    if f.min is not None or f.max is not None:
        low = _num(f.min) if f.min is not None else ""
        high = _num(f.max) if f.max is not None else ""
        parts.append(f"{low}–{high}")
    return "; ".join(parts)


def kinds_markdown() -> str:
    """The panel kinds' field tables, the metric codes and the district codes, as Markdown."""
    out = []
    for name in PANEL_KINDS.names():
        kind = PANEL_KINDS.get(name)
        out += [f"### `{name}`", "", kind.doc, "",
                "| key | type | required | default | allowed | meaning |",
                "| --- | --- | --- | --- | --- | --- |"]
        for f in kind.fields:
            default = "—" if f.required else ("none" if f.default is None else f"`{_toml(f.default)}`")
            out.append(f"| `{f.name}` | {_doc_type(f)} | {'yes' if f.required else 'no'} | "
                       f"{default} | {_doc_allowed(f)} | {f.doc} |")
        out.append("")
    out += ["### Metrics", "", "| code | name | unit | city figure |", "| --- | --- | --- | --- |"]
    agg = {"avg": "average of districts", "sum": "sum of districts"}
    for m in METRICS.values():
        out.append(f"| `{m.code}` | {m.name} | {m.unit or '—'} | {agg.get(m.city_agg, m.city_agg)} |")
    out += ["", "### Districts", "", "| code | name |", "| --- | --- |",
            f"| `{CITY_CODE}` | 全市 (the whole city) |"]
    out += [f"| `{code}` | {name} |" for code, name in DISTRICTS.items()]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cockpit.model.layout_reference",
                                     description="Check layout files, or print the format tables.")
    parser.add_argument("--doc", action="store_true", help="print the panel kinds' fields as Markdown")
    parser.add_argument("paths", nargs="*", type=Path, help="layout files or folders to check")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.doc:
        sys.stdout.write(kinds_markdown())
        return 0
    if not args.paths:
        parser.error("give --doc or at least one path")
    problems = validate_paths(args.paths)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
