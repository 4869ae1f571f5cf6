"""Assembling the wall: the Qt application, the store, the feeds, the windows and the pump."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import duckdb
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from cockpit.config import SiteConfig
from cockpit.ingest import FeedRunner
from cockpit.layout import Layout, LayoutError, load_layouts
from cockpit.store import Store, StoreError
from cockpit.theme import theme

log = logging.getLogger(__name__)

def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        from maps.web import prepare

        prepare()  # QtWebEngine's scheme, flags and sandbox: only before the QApplication
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("weifang-cockpit")
        app.setApplicationDisplayName("潍坊城市大脑")
    font = QFont()
    font.setFamilies(list(theme().families))
    app.setFont(font)
    if not has_cjk_font():
        log.warning("no CJK font installed: Chinese will show as boxes. Run the README's set-up "
                    "command (it installs fonts-noto-cjk) or install a Chinese font.")
    return app


def has_cjk_font() -> bool:
    """Whether any installed family can draw Chinese (what a wall needs above all)."""
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def pick_layouts(config: SiteConfig) -> tuple[list[Layout], list[LayoutError]]:
    layouts, errors = load_layouts(config.layouts_dir)
    if config.layouts:
        by_id = {layout.id: layout for layout in layouts}
        layouts = [by_id[name] for name in config.layouts if name in by_id]
    return layouts, errors


def open_store(path: Path, *, fresh: bool = False) -> Store:
    """Open the cache; ``fresh`` starts it empty (the demo replays its snapshot every start).
    A cache held by another wall is reported as such rather than as DuckDB's lock error."""
    if fresh and path.exists():
        try:
            duckdb.connect(str(path), read_only=True).close()
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():  # another wall holds it: never delete under it
                raise StoreError(f"{path} is in use by another cockpit (already running?): "
                                 f"{str(exc).splitlines()[0]}") from None
            # anything else: a damaged old demo cache, about to be replaced anyway
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    return Store(path)


def make_feeds(config: SiteConfig) -> list:
    from feeds import factory

    return [factory.build(spec) for spec in config.feeds]


def run_wall(config: SiteConfig, *, cache: Path, windowed: bool, fresh_cache: bool,
             argv: list[str] | None = None, exit_after: float | None = None,
             node: str | None = None, control_port: int | None = None) -> int:
    from cockpit.control.wiring import Control, node_share
    from cockpit.pump import DataPump
    from cockpit.wall import WallShell

    app = make_app(argv)
    from maps.web import configure_tiles

    configure_tiles(config.tiles)  # before any map view exists
    layouts, errors = pick_layouts(config)
    for err in errors:
        log.error("layout file skipped:\n%s", err)
    if not layouts:
        log.error("no layout to show in %s", config.layouts_dir)
        return 1
    if node is not None:
        if not config.nodes or node not in config.nodes:
            log.error("node %r is not declared in [wall.nodes] of %s (declared: %s)", node,
                      config.source, ", ".join(config.nodes or {}) or "none")
            return 1
        layouts = node_share(layouts, config.nodes[node])
    store = open_store(cache, fresh=fresh_cache)
    shell = WallShell(layouts, [s.geometry() for s in app.screens()],
                      mapping=list(config.screen_map) if config.screen_map else None,
                      windowed=windowed, defer=True)
    pump = DataPump(store, shell)
    control = Control(config, shell, store, pump, node=node, control_port=control_port)
    runner = FeedRunner(store, make_feeds(config), on_batch=pump.data_arrived.emit)
    shell.quit_requested.connect(app.quit)
    shell.reload_requested.connect(lambda: reload_layouts(shell, pump, config))
    if errors:
        from cockpit.pump import reload_notice

        for slot in shell.slots:
            for header in slot.headers():
                header.set_notice(reload_notice(errors))  # names the files, as a reload does
    shell.show()
    QApplication.processEvents()
    print("cockpit: first frame painted", file=sys.stderr, flush=True)
    announce_first_data(pump, shell)
    shell.build_remaining()  # the other layouts, warm before anyone can ask for them
    pump.start()
    runner.start()
    control.start()
    control.autostart_carousel(config)
    quit_on_sigterm(app)
    if exit_after is not None:  # smoke tests and the start-up benchmark
        QTimer.singleShot(int(exit_after * 1000), app.quit)
    log.info("wall up: %d layout(s) on %d screen(s), cache %s", len(layouts), len(shell.windows), cache)
    try:
        return app.exec()
    finally:
        control.stop()
        runner.stop()
        pump.stop()
        shell.close()
        store.close()


def quit_on_sigterm(app) -> None:
    """SIGTERM (a service manager, a test) quits cleanly: the broker hears us leave, the cache
    is closed. A short timer lets Python see the signal while Qt's loop runs."""
    import signal

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: app.quit())
        timer = QTimer(app)
        timer.setInterval(250)
        timer.timeout.connect(lambda: None)
        timer.start()


def announce_first_data(pump, shell) -> None:
    """Say on stderr when the visible layout first shows real data (the cold-start figure)."""
    def on_refreshed(index: int) -> None:
        if index == shell.current and any(p.vm is not None and getattr(p.vm, "as_of", None)
                                          for p in shell.visible_panels()):
            pump.refreshed.disconnect(on_refreshed)
            QApplication.processEvents()
            print("cockpit: first data painted", file=sys.stderr, flush=True)

    pump.refreshed.connect(on_refreshed)


def reload_layouts(shell, pump, config: SiteConfig) -> None:
    """Re-read the layout files off the GUI thread; swap in the good ones, keep the rest.

    A bad file never takes down the layout that is showing: its old version stays."""
    def done(future) -> None:
        layouts, errors = future.result()
        pump.layouts_loaded.emit(layouts, errors)

    pump.submit(pick_layouts, config).add_done_callback(done)


def ensure_offscreen() -> None:
    """Headless commands (screenshot) render without a display."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
