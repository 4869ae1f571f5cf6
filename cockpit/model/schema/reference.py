"""The generated reference: ``docs/config-reference.md`` and the JSON Schemas in ``docs/schema/``.

Never written by hand: ``python -m cockpit.model.schema.reference`` rewrites them from the models
(:mod:`cockpit.model.schema.site`, :mod:`cockpit.model.schema.layout`); ``--check`` exits 1 when
one is out of date (the tests run it). ``cockpit schema site|layout`` prints a schema. No Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from cockpit.model.schema.base import tables

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path("docs/config-reference.md")
SCHEMAS = {"site": Path("docs/schema/site.schema.json"),
           "layout": Path("docs/schema/layout.schema.json"),
           "briefing": Path("docs/schema/briefing.schema.json")}


def schema(which: str) -> dict[str, Any]:
    """The JSON Schema of a site config (``site``) or a layout file (``layout``)."""
    if which == "site":
        from cockpit.model.schema.site import Site as model
        title = "Weifang cockpit site config"
    elif which == "layout":
        from cockpit.model.schema.layout import LayoutFile as model
        title = "Weifang cockpit layout file"
    elif which == "briefing":
        from cockpit.model.schema.briefing import Briefing as model
        title = "Weifang cockpit briefing file"
    else:
        raise ValueError(f"no schema {which!r} (known: site, layout, briefing)")
    out = model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://weifang-cockpit.invalid/schema/{which}.schema.json",
            **out, "title": title}


def schema_text(which: str) -> str:
    return json.dumps(schema(which), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# -- the Markdown reference -------------------------------------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, BaseModel):
        return _toml(value.model_dump(exclude_defaults=True)) if value.model_dump(
            exclude_defaults=True) else "(the table's defaults)"
    return str(value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else \
        json.dumps(key, ensure_ascii=False)


def _type(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _type(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        parts = [_type(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{_toml(a)}`" for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type(typing.get_args(tp)[0])}"
    if origin is dict:
        return f"table of {_type(typing.get_args(tp)[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "table"
    from datetime import datetime

    return {str: "string", int: "integer", float: "number", bool: "true/false",
            datetime: "TOML date-time"}.get(tp, str(tp))


def _range(info: Any) -> str:
    out = []
    for meta in info.metadata:
        for key, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"),
                          ("min_length", "length ≥")):
            value = getattr(meta, key, None)
            if value is not None:
                out.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    return f" ({', '.join(out)})" if out else ""


def _default(info: Any) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        value = info.default_factory()
        return "(see the table)" if isinstance(value, BaseModel) else f"`{_toml(value)}`"
    if info.default is None or info.default is PydanticUndefined:
        return "—"
    return f"`{_toml(info.default)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _title(path: str) -> str:
    if not path:
        return "Top level"
    head, _, rest = path.partition("[kind=")
    if rest:
        kind, _, sub = rest.partition("]")
        return f"`[[{head}]]` kind = \"{kind}\"" + (f": `{sub.lstrip('.')}`" if sub else "")
    if path.endswith("[]"):
        return f"`{path[:-2]}` items"
    return f"`[{path}]`"


def rows(model: type[BaseModel]) -> list[tuple[str, str, str, str, str, str]]:
    """(key, type, default, unit, example, description) for each key of ``model``."""
    out = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        example = f"`{_toml(info.examples[0])}`" if info.examples else ""
        out.append((f"`{name}`", _type(info.annotation) + _range(info), _default(info),
                    str(extra.get("unit", "")), example, info.description or ""))
    return out


def config_reference() -> str:
    from cockpit.model.schema.site import Site

    lines = [
        "# Site config reference",
        "",
        "<!-- Generated from cockpit/model/schema/ by `python -m cockpit.model.schema.reference`;",
        "     do not edit by hand (a test fails when this file is out of date). -->",
        "",
        "Every key of every section and feed kind of the site config (TOML): its type, default,",
        "unit and an example. Unknown keys are errors at any depth (`cockpit validate` names the",
        "key path and suggests the known key it resembles). Secrets (`token`, `password`,",
        "`secret`, `app_key`) are best given as `…_env = \"VARIABLE\"`, read from the environment.",
        "",
        "## In the editor",
        "",
        "The JSON Schemas [`docs/schema/site.schema.json`](schema/site.schema.json) and",
        "[`docs/schema/layout.schema.json`](schema/layout.schema.json) give completion, hover",
        "docs and red squiggles while writing a config or a layout. With",
        "[taplo](https://taplo.tamasfe.dev/) or VS Code's *Even Better TOML*, put a schema",
        "directive on the file's first line (the path is relative to the TOML file):",
        "",
        "```toml",
        "#:schema ./docs/schema/site.schema.json",
        "version = 1",
        "```",
        "",
        "or map file patterns to the schemas once in `.taplo.toml`. `cockpit schema site` and",
        "`cockpit schema layout` print the same schemas.",
        "",
    ]
    also: dict[type[BaseModel], list[str]] = {}
    for path, model in tables(Site, also=also):
        doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
        if model in also:
            doc += " The same table in: " + "; ".join(_title(p) for p in also[model]) + "."
        lines += [f"## {_title(path)}", "", _cell(doc.replace("``", "`")), "",
                  "| key | type | default | unit | example | description |",
                  "|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows(model)]
        lines.append("")
    lines += _briefing_reference()
    return "\n".join(lines)


def _briefing_reference() -> list[str]:
    """The briefing file's keys (docs/briefing.md tells how briefings run)."""
    from cockpit.model.schema.briefing import Briefing

    lines = ["# Briefing file reference", "",
             "A briefing file (`cockpit brief check|run|pack FILE`, [briefing.md](briefing.md)); "
             "its JSON Schema is [`docs/schema/briefing.schema.json`](schema/briefing.schema.json).",
             ""]
    for path, model in tables(Briefing):
        title = "The file" if not path else f"`{path.replace('[]', '')}` ({'each item' if path.endswith('[]') else 'a table'})"
        doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
        lines += [f"## {title}", "", _cell(doc), "",
                  "| key | type | default | unit | example | description |",
                  "|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(c) for c in row).replace("`start`", "`from`")
                  .replace("`end`", "`to`") + " |" for row in rows(model)]
        lines.append("")
    return lines


def generated() -> dict[Path, str]:
    return {REFERENCE: config_reference(),
            **{path: schema_text(which) for which, path in SCHEMAS.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cockpit.model.schema.reference",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: here)")
    args = parser.parse_args(argv)
    stale = []
    for rel, text in generated().items():
        path = args.root / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(str(rel))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run python -m cockpit.model.schema.reference): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    for rel in stale:
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
