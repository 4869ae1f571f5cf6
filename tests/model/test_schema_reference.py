"""The generated reference and JSON Schemas are current, complete, and match what is validated."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
from support import ROOT

from cockpit.model.registry import PANEL_KINDS
from cockpit.model.schema import reference
from cockpit.model.schema.base import tables
from cockpit.model.schema.layout import PANEL_MODELS, LayoutFile
from cockpit.model.schema.site import Site


def test_generated_docs_and_schemas_are_current():
    run = subprocess.run([sys.executable, "-m", "cockpit.model.schema.reference", "--check"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr + "\nrun: python -m cockpit.model.schema.reference"


def test_the_reference_has_every_key_of_every_section_and_feed_kind():
    text = (ROOT / reference.REFERENCE).read_text(encoding="utf-8")
    for path, model in tables(Site):
        section = text.split(f"## {reference._title(path)}\n", 1)
        assert len(section) == 2, path
        body = section[1].split("\n## ", 1)[0]
        for key in model.model_fields:
            assert f"| `{key}` |" in body, f"{path}.{key}"
    for key in ("page_param", "cursor_path", "first_page", "template", "encoding", "time_format",
                "units", "retry_after_cap"):
        assert f"| `{key}` |" in text, key
    assert "#:schema ./docs/schema/site.schema.json" in text


@pytest.mark.parametrize("which", ["site", "layout"])
def test_cockpit_schema_prints_the_committed_schema(which):
    run = subprocess.run([sys.executable, "-m", "cockpit", "schema", which], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert run.stdout == (ROOT / reference.SCHEMAS[which]).read_text(encoding="utf-8")
    schema = json.loads(run.stdout)
    assert schema["$schema"].endswith("2020-12/schema") and schema["type"] == "object"


def test_the_layout_schema_has_every_kinds_options():
    defs = json.loads((ROOT / reference.SCHEMAS["layout"]).read_text(encoding="utf-8"))["$defs"]
    for name in PANEL_KINDS.names():
        props = defs[PANEL_MODELS[name].__name__]["properties"]
        assert {f.name for f in PANEL_KINDS.get(name).fields} <= set(props), name
        assert props["kind"]["const"] == name


def test_the_bundled_layouts_validate_against_the_layout_models():
    for file in sorted((ROOT / "layouts").glob("*.toml")):
        LayoutFile.model_validate(tomllib.loads(file.read_text(encoding="utf-8")))


def test_the_bundled_layouts_and_examples_validate():
    run = subprocess.run([sys.executable, "-m", "cockpit", "validate", "layouts", "examples"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "file(s) OK" in run.stdout
