"""PySide6 checks every module imported after it for the text "PySide6" (PYSIDE-2029) with
``inspect.getsource``, which would keep every line of every module in :mod:`linecache` for the
life of the process (~200,000 lines in a wall). ``cockpit.shell`` has the check read the file
instead (cockpit/shell/__init__.py)."""

from __future__ import annotations

import linecache

import cockpit.shell  # noqa: F401 (what the wall imports before its other modules)


def _import_new_module(tmp_path, monkeypatch, name: str, text: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(text * 2000, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    exec(f"import {name}", {})  # an import statement, as the wall's modules are loaded
    return str(path)


def test_an_import_keeps_no_lines_and_pyside6_still_tells_its_users_apart(tmp_path, monkeypatch):
    from shibokensupport import feature

    uses = _import_new_module(tmp_path, monkeypatch, "wf_probe_uses",
                              "# from PySide6 import QtCore\nVALUE = 1\n")
    plain = _import_new_module(tmp_path, monkeypatch, "wf_probe_plain", "VALUE = 1\n")
    # PySide6 still asks about each new module (if it stops, this fails and the file can go) …
    assert feature.pyside_feature_dict["wf_probe_uses"] == 0  # uses PySide6: features apply
    assert feature.pyside_feature_dict["wf_probe_plain"] == -1  # ignored by PySide6
    # … and the answer did not leave the modules' lines in memory
    assert uses not in linecache.cache and plain not in linecache.cache


def test_pyside6s_own_check_is_asked_where_there_is_no_source_file():
    import math

    from shibokensupport import feature

    assert feature._mod_uses_pyside(math) is False  # a built-in module: PySide6's own answer
    import PySide6.QtCore as qtcore

    assert feature._mod_uses_pyside(qtcore) is False  # a compiled module, no .py source
