"""The Qt side of the wall: windows, pump, control wiring (see docs/architecture.md).

Importing it makes PySide6 look at later imports without keeping their sources: PySide6 checks
every module imported after it for the text "PySide6" (shibokensupport's ``feature_imported``,
PYSIDE-2029) with ``inspect.getsource``, which reads the whole file into :mod:`linecache` and
keeps every line there for the life of the process — ~200,000 lines (~23 MiB of strings that
stay in Python's arenas) and ~75 ms of the start for the wall's ~440 modules. The same question
is answered from the file's bytes (:func:`_uses_pyside_from_file`); anything else is asked of
PySide6's own check.
"""

from __future__ import annotations

from types import ModuleType


def _uses_pyside_from_file(original):
    def uses_pyside(module: ModuleType) -> bool:
        file = getattr(module, "__file__", None)
        if not (isinstance(file, str) and file.endswith(".py")):
            return original(module)  # a built-in or compiled module, a package without source
        try:
            with open(file, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    uses_pyside.reads_file = True
    return uses_pyside


def _check_imports_lightly() -> None:
    import shiboken6  # noqa: F401 (loads shibokensupport, whose check is replaced)

    try:
        from shibokensupport import feature
    except ImportError:  # a PySide6 without the feature module: nothing to replace
        return
    original = getattr(feature, "_mod_uses_pyside", None)
    if callable(original) and not getattr(original, "reads_file", False):
        feature._mod_uses_pyside = _uses_pyside_from_file(original)


_check_imports_lightly()
