"""The layering of docs/architecture.md, enforced: import-linter's contracts in pyproject.toml.

The first test is the check CI relies on; the second proves the check bites, by planting the
violations a newcomer would make in a copy of the code and watching the contracts break.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache"]
PACKAGES = ("cockpit", "widgets", "maps", "feeds")


def _lint(where: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(LINT, cwd=where, env=env, capture_output=True, text=True, timeout=120)


def test_every_contract_is_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout


def test_a_widget_reaching_into_the_store_or_feeds_and_qt_in_the_model_break_the_contracts(tmp_path):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kpi = tmp_path / "widgets" / "kpi.py"
    kpi.write_text(kpi.read_text(encoding="utf-8")
                   + "\nfrom cockpit.data.store import Store  # noqa\nfrom feeds.rest import *  # noqa\n",
                   encoding="utf-8")
    metrics = tmp_path / "cockpit" / "model" / "metrics.py"
    metrics.write_text(metrics.read_text(encoding="utf-8") + "\nimport PySide6  # noqa\n",
                       encoding="utf-8")

    result = _lint(tmp_path)

    assert result.returncode == 1
    out = result.stdout
    assert "widgets is not allowed to import cockpit.data" in out
    assert "widgets is not allowed to import feeds" in out
    assert "cockpit.model is not allowed to import PySide6" in out
    assert "widgets.kpi -> cockpit.data.store" in out  # the line that does it is named
