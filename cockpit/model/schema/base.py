"""The shared ground of the declared schemas: a strict base model and errors in the cockpit's form.

Every file the cockpit reads is declared as pydantic models (v2): typed fields with a default, a
unit, a description and an example each; ``extra="forbid"`` makes an unknown key an error at any
depth. :func:`problems` turns a :class:`pydantic.ValidationError` into the cockpit's
``(key path, message)`` pairs — ``feeds[0].paging.page_parm``, what was found, what was expected,
"did you mean `page_param`?" when a known key is close. Semantic checks that span fields report
through :func:`fail`, one or several problems at paths relative to the model. Pure: no Qt.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

#: Keys whose values are never echoed in a message (they are secrets or lead to them).
SECRET_KEYS = frozenset({"token", "tokens", "password", "secret", "app_key"})
_SEMANTIC = "cockpit_semantic"
_SEP = "\x1f"


class Strict(BaseModel):
    """A table of a cockpit file: strict types (TOML is typed), unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=False)


def field(default: Any = ..., *, description: str, unit: str | None = None,
          example: Any = None, **kwargs: Any) -> Any:
    """A declared field: its default, description, unit (shown in the reference) and example."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    if unit:
        extra["unit"] = unit
    examples = [example] if example is not None else None
    return Field(default, description=description, examples=examples,
                 json_schema_extra=extra or None, **kwargs)


def fail(*found: tuple[str, str]) -> None:
    """Raise the semantic problems ``(relative key path, message)`` from a model validator."""
    if found:
        raise PydanticCustomError(_SEMANTIC, "{text}",
                                  {"text": _SEP.join(f"{p}\t{m}" for p, m in found)})


def path_text(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else str(part)
    return out


def _unwrap(tp: Any) -> list[Any]:
    """The candidate types inside an annotation (Optional, unions, Annotated)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in _unwrap(a)]
    return [tp]


def _step(tp: Any, part: Any) -> tuple[Any, Any]:
    """The type reached from ``tp`` by one loc part, and the FieldInfo if it named a field."""
    for cand in _unwrap(tp):
        origin = typing.get_origin(cand)
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            if isinstance(part, str) and part in cand.model_fields:
                info = cand.model_fields[part]
                return info.annotation, info
        elif origin in (list, tuple) and isinstance(part, int):
            return typing.get_args(cand)[0], None
        elif origin is dict and isinstance(part, str):
            return typing.get_args(cand)[1], None
        elif origin is typing.Literal:
            continue
    for cand in _unwrap(tp):  # a discriminated union: the tag names the member
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            tag = cand.model_fields.get("kind")
            if tag is not None and typing.get_args(tag.annotation) == (part,):
                return cand, "tag"
    return None, None


def _models(tp: Any) -> list[type[BaseModel]]:
    return [c for c in _unwrap(tp) if isinstance(c, type) and issubclass(c, BaseModel)]


def _range(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in getattr(info, "metadata", ()) or ():
        for key in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(meta, key, None)
            if value is not None:
                out[key] = value
    return out


_EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "bool_type": "true or false", "list_type": "a list",
    "tuple_type": "a list", "dict_type": "a table", "model_type": "a table",
    "model_attributes_type": "a table", "dataclass_type": "a table",
}


def _kind_word(info: Any, tp: Any) -> str:
    ann = [a for a in _unwrap(tp) if a is not type(None)]
    return "an integer" if ann and all(a is int for a in ann) else "a number"


def _bounds(info: Any, tp: Any) -> str:
    r = _range(info)
    word = _kind_word(info, tp)
    low = r.get("ge", r.get("gt"))
    high = r.get("le", r.get("lt"))
    unit = ((getattr(info, "json_schema_extra", None) or {}) if info else {}).get("unit")
    unit = f" ({unit})" if unit else ""
    if low is not None and high is not None:
        return f"{word} from {low:g} to {high:g}{unit}"
    if low is not None:
        return f"{word} {'>=' if 'ge' in r else '>'} {low:g}{unit}"
    if high is not None:
        return f"{word} {'<=' if 'le' in r else '<'} {high:g}{unit}"
    return word


def _found(loc: tuple, value: Any) -> str:
    if any(isinstance(p, str) and p in SECRET_KEYS for p in loc):
        return "(not shown: a secret)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def problems(exc: ValidationError, root: type[BaseModel],
             words: dict[tuple[str, ...], str] | None = None) -> list[tuple[str, str]]:
    """``exc``'s errors as ``(key path, message)`` pairs; ``root`` is the validated model.

    ``words`` names what a choice is, by the last loc parts (``("paging", "type"): "paging"``
    makes "unknown paging 'pages' (known: …)")."""
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
        ctx = err.get("ctx") or {}
        # Walk the models along loc: the field reached, and the loc without union tags.
        tp: Any = root
        parent: Any = root
        info = None
        shown: list[Any] = []
        for part in loc:
            parent = tp
            tp, info = _step(tp, part)
            if info == "tag":
                info = None
                continue  # a union member's tag is not a key of the file
            shown.append(part)
            if tp is None:
                break
        where = path_text(shown)
        if kind == _SEMANTIC:
            for item in ctx["text"].split(_SEP):
                sub, message = item.split("\t", 1)
                out.append((path_text([*shown, sub]) if sub else where, message))
            continue
        if kind == "union_tag_invalid":
            out.append((path_text([*shown, ctx.get("discriminator", "kind").strip("'")]),
                        f"unknown feed kind {ctx.get('tag')!r} (known: "
                        f"{ctx.get('expected_tags', '').replace(chr(39), '')})"))
            continue
        if kind == "union_tag_not_found":
            out.append((path_text([*shown, "kind"]), "missing: the feed's kind"))
            continue
        if kind == "extra_forbidden":
            known = [k for m in _models(parent) for k in m.model_fields]
            what = getattr(_models(parent)[0], "unknown_what", "") if _models(parent) else ""
            key = str(loc[-1])
            out.append((where, f"unknown key{what} (expected {', '.join(known)})"
                               f"{suggest(key, known)}"))
            continue
        if kind == "missing":
            models = _models(parent)
            need = [k for k, i in models[0].model_fields.items() if i.is_required()] if models \
                else []
            what = getattr(models[0], "unknown_what", "").removeprefix(" for ") if models else ""
            if what and need:
                out.append((where, f"missing ({what} needs {', '.join(need)})"))
            else:
                doc = getattr(info, "description", None) if info != "tag" else None
                out.append((where, f"missing: {doc[0].lower()}{doc[1:]}" if doc else "missing"))
            continue
        if kind in ("value_error", "assertion_error"):
            out.append((where, str(ctx.get("error", err["msg"]))))
            continue
        if kind == "literal_error":
            name = (words or {}).get(tuple(str(p) for p in shown[-2:]))
            options = ctx.get("expected", "").replace(" or ", ", ").replace("'", "")
            if name:
                out.append((where, f"unknown {name} {value!r} (known: {options})"))
            else:
                out.append((where, f"expected {ctx.get('expected')}, found {_found(loc, value)}"))
            continue
        if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            out.append((where, f"expected {_bounds(info, tp)}, found {_found(loc, value)}"))
            continue
        if kind == "string_too_short":
            n = ctx.get("min_length", 1)
            want = "a non-empty string" if n == 1 else f"a string of at least {n} characters"
            got = (f"{len(value)} character(s)" if isinstance(value, str) else _found(loc, value))
            out.append((where, f"expected {want}, found {got}"))
            continue
        if kind == "too_short":
            n = ctx.get("min_length", 1)
            want = ("a non-empty " + ("table" if isinstance(value, dict) else "list")
                    if n == 1 else f"at least {n} items")
            out.append((where, f"expected {want}, found {_found(loc, value)}"))
            continue
        expected = _EXPECTED.get(kind)
        if kind in ("int_type", "float_type") and info is not None:
            expected = _bounds(info, tp)
        if expected is None:
            out.append((where, err["msg"]))
        else:
            out.append((where, f"expected {expected}, found {_found(loc, value)}"))
    return out


def _nested(tp: Any) -> list[tuple[str, type[BaseModel]]]:
    """The models inside an annotation, each with the suffix its key path takes (``[]``)."""
    out = []
    for cand in _unwrap(tp):
        origin = typing.get_origin(cand)
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            out.append(("", cand))
        elif origin in (list, tuple):
            out += [("[]" + s, m) for s, m in _nested(typing.get_args(cand)[0])]
        elif origin is dict:
            out += [(".*" + s, m) for s, m in _nested(typing.get_args(cand)[1])]
    return out


def tables(root: type[BaseModel], prefix: str = "",
           also: dict[type[BaseModel], list[str]] | None = None) -> list[tuple[str, type[BaseModel]]]:
    """Every table (model) reachable from ``root`` with the key path it first appears at, in
    declaration order; a union member's path names its tag: ``feeds[kind=rest].auth``. ``also``,
    when given, receives the other paths each table appears at."""
    seen: set[type[BaseModel]] = set()
    out: list[tuple[str, type[BaseModel]]] = []

    def visit(path: str, model: type[BaseModel]) -> None:
        if model in seen:
            if also is not None:
                also.setdefault(model, []).append(path)
            return
        seen.add(model)
        out.append((path, model))
        for name, info in model.model_fields.items():
            for suffix, sub in _nested(info.annotation):
                tag = sub.model_fields.get("kind")
                mark = ""
                if tag is not None and typing.get_origin(tag.annotation) is typing.Literal:
                    mark = f"[kind={typing.get_args(tag.annotation)[0]}]"
                key = f"{path}.{name}" if path else name
                visit(key + (suffix.replace("[]", "") if mark else suffix) + mark, sub)

    visit(prefix, root)
    return out


def keys_used(data: Any, model: type[BaseModel]) -> set[tuple[type[BaseModel], str]]:
    """``(model, key)`` for every key ``data`` sets, walking the nested tables by the schema."""
    out: set[tuple[type[BaseModel], str]] = set()

    def walk(value: Any, tp: Any) -> None:
        models = _models(tp)
        if isinstance(value, dict) and models:
            pick = models[0]
            if len(models) > 1 and "kind" in value:  # a tagged union: the member of that kind
                pick = next((m for m in models if "kind" in m.model_fields and typing.get_args(
                    m.model_fields["kind"].annotation) == (value["kind"],)), models[0])
            for key, sub in value.items():
                if key in pick.model_fields:
                    out.add((pick, key))
                    walk(sub, pick.model_fields[key].annotation)
            return
        for cand in _unwrap(tp):
            origin = typing.get_origin(cand)
            if isinstance(value, list) and origin in (list, tuple):
                for item in value:
                    walk(item, typing.get_args(cand)[0])
            elif isinstance(value, dict) and origin is dict:
                for item in value.values():
                    walk(item, typing.get_args(cand)[1])

    walk(data, model)
    return out
