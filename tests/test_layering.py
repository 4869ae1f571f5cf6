"""The data core imports without Qt (STYLE.md point 1): feeds, the store, the layout model and
loader, the registry, queries and the CLI's entry module."""

import subprocess
import sys

from conftest import ROOT

CORE = ["cockpit.model.metrics", "cockpit.model.registry", "cockpit.model.layout", "cockpit.data.store", "cockpit.data.snapshot",
        "cockpit.panels.observations", "cockpit.panels.viewmodels", "cockpit.model.numbers", "cockpit.model.theme", "cockpit.model.config",
        "cockpit.data.ingest", "cockpit.model.wallplan", "cockpit.demo.city", "cockpit.cli", "cockpit.data.replay",
        "cockpit.model.numbers", "cockpit.panels.indicators", "cockpit.panels.viewmodels",
        "cockpit.demo.registers", "cockpit.data.indicators_csv",
        "cockpit.control.carousel", "cockpit.model.config_control", "cockpit.control.commands",
        "cockpit.control.security", "cockpit.control.health", "cockpit.control.client",
        "cockpit.control.page",
        "cockpit.panels.feed_health", "cockpit.demo.world", "cockpit.demo.simulator", "cockpit.demo.apis.mqttpub",
        "feeds.http", "feeds.errors", "feeds.common", "feeds.auth", "feeds.mapping", "feeds.base",
        "feeds.rest", "feeds.ngsi", "feeds.sensorthings", "feeds.thingsboard", "feeds.mqtt",
        "feeds.factory", "maps.coords", "maps.escape", "maps.page", "maps.layers"]


def test_core_imports_without_qt():
    code = (f"import sys; [__import__(m) for m in {CORE!r}]; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"Qt imported by the core: {result.stdout}{result.stderr}"
