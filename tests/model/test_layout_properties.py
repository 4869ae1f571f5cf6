"""Property-based tests of the layout loader (issue 16): ``parse_layout`` on any text and on
random mutations of the bundled layouts either gives a ``Layout`` or raises ``LayoutError``
whose problems each name the file and a key path; never another exception.

The mutations are made on the parsed layout (a key renamed, a value replaced, a key dropped)
and written back with the small TOML writer below (inline tables and arrays only, which is
all TOML needs to say any dict of str, int, float, bool, list and dict).
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from datetime import date, datetime, time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import ROOT

from cockpit.model.layout import Layout, LayoutError, parse_layout

SOURCE = "mutant.toml"
BUNDLED = {p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
           for p in sorted((ROOT / "layouts").glob("*.toml"))}
BUNDLED = {k: v for k, v in BUNDLED.items() if "wall" not in v and "feeds" not in v}
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but for DEL (TOML wants it escaped; JSON leaves it)
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def dump_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(dump_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {dump_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def dump(doc: dict) -> str:
    return "".join(f"{_key(k)} = {dump_value(v)}\n" for k, v in doc.items())


def check(text: str) -> None:
    """The property: a Layout, or a LayoutError whose every problem names file and key path."""
    try:
        layout = parse_layout(text, SOURCE, trust=False)
    except LayoutError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == SOURCE, problem
            assert isinstance(problem.path, str) and problem.path, problem
            assert isinstance(problem.message, str) and problem.message, problem
    else:
        assert isinstance(layout, Layout)


# -- mutations ------------------------------------------------------------------------------
def _slots(node, path=()) -> list[tuple]:
    """Every (path to a container, key or index in it) of a parsed document."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, child in items:
        out.append((path, key))
        out.extend(_slots(child, (*path, key)))
    return out


_scalars = st.one_of(st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
                     st.floats(), st.text(max_size=20),
                     st.sampled_from([0, -1, 10**18, 1e308, "", "kpi", "map", "90m", "0m",
                                      "-5m", "10x", "370705", "aqi"]))
_values = st.recursive(_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=10)


@st.composite
def mutants(draw) -> str:
    layout_id = draw(st.sampled_from(sorted(BUNDLED)))
    doc = copy.deepcopy(BUNDLED[layout_id])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = _slots(doc)
        if not slots:
            break
        path, key = draw(st.sampled_from(slots))
        container = doc
        for step in path:
            container = container[step]
        how = draw(st.sampled_from(["replace", "rename", "drop"]))
        if how == "replace":
            container[key] = draw(_values)
        elif how == "drop":
            del container[key]
        elif isinstance(container, dict):  # rename
            new = draw(st.one_of(st.text(max_size=10), st.sampled_from(
                ["id", "kind", "cell", "col", "row", "colspan", "rowspan", "title", "metric",
                 "grid", "columns", "rows", "panels", "screens", "version", "name", "order",
                 "stale_after"])))
            container[new] = container.pop(key)
        else:  # an element of a list: doubled
            container.insert(key, copy.deepcopy(container[key]))
    return dump(doc)


@pytest.mark.parametrize("layout_id", sorted(BUNDLED))
def test_the_writer_round_trips_every_bundled_layout(layout_id):
    text = dump(BUNDLED[layout_id])
    assert tomllib.loads(text) == BUNDLED[layout_id]
    assert isinstance(parse_layout(text, f"{layout_id}.toml", trust=False), Layout)


@settings(max_examples=150, deadline=None)
@given(text=mutants())
@example(text=dump({**BUNDLED["overview"], "screens": [{**BUNDLED["overview"]["screens"][0],
    "panels": [{**BUNDLED["overview"]["screens"][0]["panels"][0],
                "cell": {"col": 0, "row": 0, "colspan": 10**18, "rowspan": 10**18}}]}]}))
def test_a_mutated_bundled_layout_is_a_layout_or_a_layout_error(text):
    check(text)


_lines = st.sampled_from([
    "version = 1\n", "version = 2\n", "version = 99999999999999999999\n", 'name = "x"\n',
    "order = 1\n", "order = -9223372036854775808\n", "[[screens]]\n", 'title = "t"\n',
    "grid = { columns = 4, rows = 3 }\n", "grid = { columns = 0, rows = 1e9 }\n",
    "[[screens.panels]]\n", 'id = "a"\n', 'id = "a"\n', 'kind = "kpi"\n', 'kind = "map"\n',
    "cell = { col = 0, row = 0 }\n", "cell = { col = -1, row = 99, colspan = 0 }\n",
    'stale_after = "10m"\n', 'stale_after = "nan"\n', 'metric = "aqi"\n', "[screens]\n",
    "[screens.panels]\n", "screens = []\n", "panels = 3\n", "x = inf\n", "x = nan\n",
    "x = 1979-05-27T07:32:00Z\n", "x = [[[[[[[[[[1]]]]]]]]]]\n", "[a.b.c]\n", "= \n", "\n",
])
_toml_ish = st.one_of(st.lists(_lines, max_size=30).map("".join),
                      st.lists(st.one_of(_lines, st.text(max_size=12)), max_size=20).map("".join),
                      st.text(max_size=200))


@settings(max_examples=300, deadline=None)
@given(text=_toml_ish)
@example(text="x = " + "[" * 5000 + "]" * 5000)
@example(text="x = " + "{ a = " * 3000 + "1" + " }" * 3000)
@example(text="\ufeffversion = 1")
def test_any_text_is_a_layout_or_a_layout_error(text):
    check(text)
