"""Assembling the wall: the Qt application, the store, the feeds, the windows and the pump."""

from __future__ import annotations

import atexit
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from cockpit.data.ingest import FeedRunner

# opening the cache and building the feeds are Qt-free (cockpit ingest runs them without Qt)
from cockpit.data.opening import CacheLocked, already_running, make_feeds, open_store  # noqa: F401
from cockpit.data.store import Store
from cockpit.data.wallstate import load_layout, save_layout
from cockpit.model import incidents
from cockpit.model.config import SiteConfig
from cockpit.model.layout import Layout, LayoutError, load_layouts
from cockpit.model.theme import theme
from cockpit.ops import sdnotify
from cockpit.shell.timers import install_daily_restart

if TYPE_CHECKING:
    from cockpit.data.mirror import CacheMirror

log = logging.getLogger(__name__)

#: On the wall (header and status strip) while it runs with --read-only.
READ_ONLY_NOTICE = "只读模式：显示缓存中已有的数据，不接收、不写入新数据"
#: a read-only wall beside the wall that writes the cache (cockpit/data/mirror.py)
MIRROR_NOTICE = "只读模式：缓存由另一面墙（PID {pid}）写入，本墙显示其副本，每分钟更新"


#: glibc's mallopt parameters (malloc.h) and the values the wall sets (:func:`tune_heap`).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 128 << 10  # glibc's own starting value, kept
TRIM_THRESHOLD = 1 << 20


def tune_heap() -> bool:
    """Have the allocators give freed big blocks back to the system (True if glibc's are set).

    glibc serves a block of 128 KiB or more with a mapping of its own, returned when freed —
    until the first such block is freed: then it raises that threshold to the block's size (up
    to 32 MiB) and serves the next ones from its heap, which it keeps. A wall frees big blocks
    all day (panels' pictures, layouts cooling, query results), so its heap held ~20 MiB it no
    longer used (the soak: wall 484 → 464 MiB). Fixing the threshold at 128 KiB keeps those
    blocks in mappings of their own; the heap's free top is given back past 1 MiB.

    pyarrow's own pool (mimalloc) kept the pages of the feeds' batches (~13 MiB in the soak);
    Arrow allocates from this heap instead, unless ARROW_DEFAULT_MEMORY_POOL says otherwise."""
    import ctypes

    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"  # read at pyarrow's first batch
        if "pyarrow" in sys.modules:  # loaded already: its pool may be in use, set it directly
            import pyarrow as pa

            pa.set_memory_pool(pa.system_memory_pool())
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        tune_heap()  # before Qt's first allocations
        from widgets.map_view import prepare

        prepare()  # QtWebEngine's scheme, flags and sandbox: only before the QApplication
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("weifang-cockpit")
        app.setApplicationDisplayName("潍坊城市大脑")
    route_qt_messages()
    font = QFont()
    font.setFamilies(list(theme().families))
    app.setFont(font)
    if not has_cjk_font():
        log.warning("no CJK font installed: Chinese will show as boxes. Run the README's set-up "
                    "command (it installs fonts-noto-cjk) or install a Chinese font.")
    return app


def route_qt_messages() -> None:
    """Qt's own messages (a failed GL context, a font it could not load, a widget warning) go
    to the log — and so to the rotating file support reads — not to stderr alone. Chromium's
    renderer processes write to stderr themselves; those cannot be caught here."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qt_log = logging.getLogger("qt")

    def handler(mode, context, message: str) -> None:
        qt_log.log(levels.get(mode, logging.WARNING), "%s", message)

    global _qt_handler
    if _qt_handler is None:
        # Qt still speaks while the interpreter shuts down (the web engine's teardown); a
        # Python handler called then crashes the process with SIGSEGV (seen in CI: a wall
        # stopped by SIGTERM exited "killed by SIGSEGV"), so it is removed before that.
        atexit.register(qInstallMessageHandler, None)
    _qt_handler = handler  # kept alive: Qt holds only a pointer to it
    qInstallMessageHandler(handler)


_qt_handler = None


def has_cjk_font() -> bool:
    """Whether any installed family can draw Chinese (what a wall needs above all)."""
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def pick_layouts(config: SiteConfig) -> tuple[list[Layout], list[LayoutError]]:
    layouts, errors = load_layouts(config.layouts_dir)
    if config.layouts:
        by_id = {layout.id: layout for layout in layouts}
        layouts = [by_id[name] for name in config.layouts if name in by_id]
    return layouts, errors


def open_shown_store(path: Path, *, fresh: bool = False,
                     read_only: bool = False) -> tuple[Store, CacheMirror | None]:
    """The wall's store. A read-only wall on a cache another wall is writing shows a copy of
    it, renewed each minute (:mod:`cockpit.data.mirror`: DuckDB lets no other process open it)."""
    try:
        return open_store(path, fresh=fresh, read_only=read_only), None
    except CacheLocked as exc:
        if not read_only:
            raise
        from cockpit.data.mirror import CacheMirror

        mirror = CacheMirror(path, holder_pid=exc.pid)
        store = mirror.open()
        log.info("read-only wall: %s is written by another cockpit (PID %s); showing a copy "
                 "of it, renewed every %.0f s", path, exc.pid or "?", mirror.every)
        return store, mirror


def run_wall(config: SiteConfig, *, cache: Path, windowed: bool, fresh_cache: bool,
             argv: list[str] | None = None, exit_after: float | None = None,
             node: str | None = None, control_port: int | None = None,
             read_only: bool = False, check: Callable[[], object] | None = None) -> int:
    """Run the wall until it quits. ``check`` (the demo's snapshot check, already running on a
    thread) is awaited before the cache is opened, and both before any window shows: what it
    raises stops the start with nothing written or shown."""
    from cockpit.shell.control.wiring import Control, node_share
    from cockpit.shell.pump import DataPump
    from cockpit.shell.wall import WallShell

    app = make_app(argv)
    from widgets.map_view import configure_tiles

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
    def open_cache() -> tuple[Store, CacheMirror | None]:
        if check is not None:
            check()
        return open_shown_store(cache, fresh=fresh_cache and not read_only,
                                read_only=read_only)

    # the cache is checked (in a child process) and opened on a thread while the windows are
    # built: DuckDB and the wait on the child leave the GIL to the widgets
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-open") as pool:
        opening = pool.submit(open_cache)
        shell = WallShell(layouts, [s.geometry() for s in app.screens()],
                          mapping=list(config.screen_map) if config.screen_map else None,
                          windowed=windowed, defer=True, warm_neighbours=config.warm)
        store, mirror = opening.result()
    resume_layout(shell, cache)
    pump = DataPump(store, shell, feeds={f.name: f.interval for f in config.feeds})
    from cockpit.shell.screens import ScreenFollower

    # screens powered off and on, cables re-seated: the windows follow, no restart
    ScreenFollower(shell, app.screens()).connect(app)
    shell.screens_changed.connect(lambda: pump.refresh(shell.current))
    control = Control(config, shell, store, pump, node=node, control_port=control_port)
    # read-only: no feeds at all (they would only fail to write)
    runner = FeedRunner(store, [] if read_only else make_feeds(config),
                        on_batch=pump.data_arrived.emit)
    from cockpit.data.retention import DEFAULT_RETENTION_DAYS, RetentionPruner

    pruner = None if read_only else RetentionPruner(
        store, config.retention_days or DEFAULT_RETENTION_DAYS)
    shell.quit_requested.connect(app.quit)
    if not read_only:  # the layout to resume on is the writing wall's to remember
        shell.layout_changed.connect(
            lambda layout_id: pump.submit(save_layout, cache, layout_id))
    shell.reload_requested.connect(lambda: reload_layouts(shell, pump, config))
    if read_only:
        pump.standing_notice = (READ_ONLY_NOTICE if mirror is None else
                                MIRROR_NOTICE.format(pid=mirror.holder_pid or "?"))
        incidents.report("store.read_only", pump.standing_notice, level="info")
        log.info("read-only wall: cache %s is shown as it is, no feeds run, nothing written", cache)
    notices = [pump.standing_notice] if read_only else []
    if errors:
        from cockpit.shell.pump import reload_notice

        notices.append(reload_notice(errors))  # names the files, as a reload does
    if notices:
        for slot in shell.slots:
            for header in slot.headers():
                header.set_notice("；".join(notices))
    shell.show()
    QApplication.processEvents()
    print(f"cockpit: first frame painted (layout {shell.current_layout.id})", file=sys.stderr,
          flush=True)
    announce_first_data(pump, shell)
    shell.build_remaining()  # the other layouts, warm before anyone can ask for them
    pump.start()
    runner.start()
    if pruner is not None:
        pruner.start()
    if mirror is not None:
        mirror.start()
    control.start()
    control.autostart_carousel(config)
    quit_on_sigterm(app)
    watchdog = install_watchdog(app)  # after the start-up's long builds, before the loop
    sdnotify.notify("READY=1")
    if config.daily_restart is not None:
        if not (os.environ.get("COCKPIT_HEARTBEAT_FILE") or os.environ.get("NOTIFY_SOCKET")):
            log.warning("wall.daily_restart is set but nothing will start this wall again (run it "
                        "with --supervise or under systemd): it exits at %s and stays down",
                        config.daily_restart.isoformat())
        install_daily_restart(app, config.daily_restart)
    if exit_after is not None:  # smoke tests and the start-up benchmark
        QTimer.singleShot(int(exit_after * 1000), app.quit)
    log.info("wall up: %d layout(s) on %d screen(s), cache %s", len(layouts), len(shell.windows), cache)
    try:
        return app.exec()
    finally:
        sdnotify.notify("STOPPING=1")
        watchdog.stop()
        control.stop()
        if pruner is not None:
            pruner.stop()
        if mirror is not None:
            mirror.stop()
        runner.stop()
        pump.stop()
        shell.close()
        store.close()
        if mirror is not None:
            mirror.remove()


def resume_layout(shell, cache: Path) -> None:
    """Start on the layout the wall showed before its restart (cockpit/data/wallstate.py)."""
    layout_id = load_layout(cache)
    if layout_id is None:
        return
    try:
        index = shell.layout_index(layout_id)
    except KeyError:
        log.info("layout %s shown before the restart is no longer offered; starting on %s",
                 layout_id, shell.current_layout.id)
        return
    if shell.switch_to(index):
        log.info("resuming on layout %s, shown before the restart", layout_id)


def install_watchdog(app):
    from cockpit.shell.timers import install_watchdog as install

    return install(app)


def quit_on_sigterm(app) -> None:
    """SIGTERM (a service manager, a test) and SIGINT (Ctrl+C) quit cleanly: the feeds are
    drained (an MQTT feed's queue written, then acknowledged), the broker hears us leave, the
    cache is closed. A short timer lets Python see the signal while Qt's loop runs."""
    import signal

    if hasattr(signal, "SIGTERM"):
        def on_term(*_):
            _exit_if_close_hangs(STOP_DEADLINE_S)
            app.quit()

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        timer = QTimer(app)
        timer.setInterval(250)
        timer.timeout.connect(lambda: None)
        timer.start()


#: How long a clean close after SIGTERM may take before the process leaves without it. A stop
#: that never finishes is worse than an unclean one: the cache is crash-safe (DuckDB's WAL) and
#: its content digest is cleared while a writer has it open, so the next start checks it fully.
STOP_DEADLINE_S = 30.0


def _exit_if_close_hangs(seconds: float) -> None:
    """Arm (once) a daemon timer that ends the process if the clean close outlasts ``seconds``."""
    import threading

    if getattr(_exit_if_close_hangs, "armed", False):
        return
    _exit_if_close_hangs.armed = True  # type: ignore[attr-defined]

    def give_up() -> None:
        log.error("the clean close took over %.0f s after SIGTERM; leaving without it", seconds)
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
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
