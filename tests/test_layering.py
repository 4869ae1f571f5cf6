"""The data core imports without Qt (STYLE.md point 1): feeds, the store, the layout model and
loader, the registry, queries and the CLI's entry module."""

import subprocess
import sys

from conftest import ROOT

CORE = ["cockpit.metrics", "cockpit.registry", "cockpit.layout", "cockpit.store", "cockpit.snapshot",
        "cockpit.queries", "cockpit.viewmodels", "cockpit.numbers", "cockpit.theme", "cockpit.config",
        "cockpit.ingest", "cockpit.wallplan", "cockpit.demo_gen", "cockpit.cli", "feeds.replay",
        "cockpit.numopts", "cockpit.queries_topical", "cockpit.viewmodels_topical",
        "cockpit.demo_topical", "cockpit.indicators_csv",
        "cockpit.control.carousel", "cockpit.control.settings", "cockpit.control.commands",
        "cockpit.control.security", "cockpit.control.health", "cockpit.control.client",
        "cockpit.control.page",
        "cockpit.feedstatus", "cockpit.simworld", "cockpit.simulator", "cockpit.simapis.mqttpub",
        "feeds.http", "feeds.errors", "feeds.common", "feeds.auth", "feeds.mapping", "feeds.base",
        "feeds.rest", "feeds.ngsi", "feeds.sensorthings", "feeds.thingsboard", "feeds.mqtt",
        "feeds.factory", "maps.coords", "maps.escape", "maps.page", "maps.layers"]


def test_core_imports_without_qt():
    code = (f"import sys; [__import__(m) for m in {CORE!r}]; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"Qt imported by the core: {result.stdout}{result.stderr}"
