"""Bundled layouts read without the models (cockpit.model.layout_trust): the same layouts as the
full check gives, never for text the check has not passed, and the digest list kept current."""

from __future__ import annotations

import subprocess
import sys

from cockpit.model import layout_trust, resources
from cockpit.model.layout import LayoutError, load_layouts, parse_layout
from cockpit.model.layout_check import PLAIN_DEFAULTS
from cockpit.model.schema import layout as models


def _bundled() -> list:
    return sorted(resources.layouts_dir().glob("*.toml"))


def test_digest_list_is_current():
    assert layout_trust.main(["--check"]) == 0, (
        "run: python -m cockpit.model.layout_trust --write")


def test_every_bundled_layout_is_trusted_and_reads_the_same():
    for path in _bundled():
        text = path.read_text(encoding="utf-8-sig")
        assert layout_trust.trusted(text), path.name
        assert parse_layout(text, path) == parse_layout(text, path, trust=False), path.name


def test_trusted_panels_match_field_by_field():
    for path in _bundled():
        text = path.read_text(encoding="utf-8-sig")
        fast, full = parse_layout(text, path), parse_layout(text, path, trust=False)
        for a, b in zip(fast.screens, full.screens, strict=True):
            assert (a.title, a.columns, a.rows) == (b.title, b.columns, b.rows)
            for p, q in zip(a.panels, b.panels, strict=True):
                assert p == q and p.params == q.params and p.stale_explicit == q.stale_explicit


def test_plain_defaults_are_the_models_defaults():
    for name, defaults in PLAIN_DEFAULTS.items():
        model = getattr(models, name)
        assert {k: model.model_fields[k].default for k in defaults} == defaults, name


def test_changed_text_is_checked_in_full():
    path = _bundled()[0]
    text = path.read_text(encoding="utf-8-sig")
    broken = text.replace("kind = ", "kind = \"nosuchkind\"\nx_kind = ", 1)
    assert not layout_trust.trusted(broken)
    try:
        parse_layout(broken, path)
    except LayoutError as exc:
        assert "nosuchkind" in str(exc)
    else:
        raise AssertionError("a changed bundled layout was not checked")


def test_the_wall_start_path_imports_no_pydantic():
    code = ("import sys; from cockpit.model.layout import load_layouts; "
            "from cockpit.model import resources; import cockpit.model.config, cockpit.ops.restart; "
            "good, bad = load_layouts(resources.layouts_dir()); assert good and not bad; "
            "print(sorted(m for m in sys.modules if m.startswith('pydantic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_load_layouts_gives_the_full_checks_result():
    good, bad = load_layouts(resources.layouts_dir())
    full = [parse_layout(p.read_text(encoding="utf-8-sig"), p, trust=False) for p in _bundled()]
    assert not bad
    assert sorted(good, key=lambda x: x.id) == sorted(full, key=lambda x: x.id)
