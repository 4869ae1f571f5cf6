"""QtWebEngine side of the map: the ``cockpit://`` scheme, the network boundary, the bridge.

* :func:`prepare` must run before the QApplication exists: it registers the scheme, sets the
  Chromium flags that work offscreen, and turns the sandbox off only when running as root
  (Chromium refuses to start sandboxed as root), saying so in the log.
* :class:`MapSchemeHandler` serves the page and every asset; nothing comes from the network.
  With a site tile server (``[map] tile_url``) it also serves ``cockpit://tiles/z/x/y``:
  from the disk cache, or fetched by :class:`TileService` on a worker thread and cached.
* :class:`OfflineInterceptor` on the profile blocks every request except the scheme: the page
  never talks to the tile host itself (the fetch is ours, in Python), so nothing else is let by.
* :class:`MapView` shows the page and queues JavaScript until the page says it is ready
  (through a QWebChannel); updates are pushed, never a reload.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections import deque
from pathlib import Path

import shiboken6
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QFile,
    QIODevice,
    QObject,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from shiboken6 import isValid

from cockpit.model import incidents
from maps.page import PAGE_URL, STATIC_FILES, is_built, page_html, prebuild
from maps.tiles import (
    TILE_PAGE_URL,
    TileCache,
    TileFetchError,
    TileSettings,
    fetch_tile,
    image_type,
    redact,
    tile_address,
)

log = logging.getLogger(__name__)
RENDERER_INCIDENT = "map.renderer"
_recovering: weakref.WeakSet = weakref.WeakSet()  # map views reloading after a renderer death

SCHEME = b"cockpit"
STATIC_DIR = STATIC_FILES  # the page's own JS and CSS (maps/static)
#: No GPU offscreen; quiet logs; V8's gc() exposed so the page can collect after updates
#: (a page updated for hours otherwise lets garbage pile up: see benchmarks/map.py).
CHROMIUM_FLAGS = "--disable-gpu --disable-gpu-compositing --log-level=3 --js-flags=--expose-gc"
MIME = {".js": b"text/javascript", ".css": b"text/css", ".png": b"image/png",
        ".html": b"text/html", ".svg": b"image/svg+xml", ".json": b"application/json"}

_prepared = False


def prepare() -> None:
    """Everything QtWebEngine needs before the QApplication is created (idempotent)."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if QCoreApplication.instance() is not None:
        log.warning("widgets.map_view.prepare() after the QApplication: the cockpit:// scheme may not work")
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme | QWebEngineUrlScheme.Flag.LocalScheme
                    | QWebEngineUrlScheme.Flag.LocalAccessAllowed
                    | QWebEngineUrlScheme.Flag.CorsEnabled)
    QWebEngineUrlScheme.registerScheme(scheme)
    atexit.register(shutdown)
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    missing = [f for f in CHROMIUM_FLAGS.split() if f not in flags]
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([flags, *missing]).strip()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        log.warning("running as root: QtWebEngine's sandbox is disabled. Run the wall as an "
                    "unprivileged kiosk user (see docs/map.md) to keep it.")
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)


def _static_file(path: str) -> tuple[bytes, bytes] | None:
    """(mime, bytes) for ``/static/...``; None if there is no such file."""
    rel = path.removeprefix("/static/")
    if rel == "qwebchannel.js":
        f = QFile(":/qtwebchannel/qwebchannel.js")
        if not f.open(QIODevice.OpenModeFlag.ReadOnly):
            return None
        return MIME[".js"], bytes(f.readAll().data())
    if rel.startswith("leaflet/"):
        import xstatic.pkg.leaflet as leaflet  # noqa: PLC0415

        base = Path(leaflet.BASE_DIR)
        rel = rel.removeprefix("leaflet/")
    else:
        base = STATIC_DIR
    target = (base / rel).resolve()
    if base.resolve() not in target.parents or not target.is_file():
        return None
    return MIME.get(target.suffix, b"application/octet-stream"), target.read_bytes()


class TileService(QObject):
    """``cockpit://tiles/z/x/y``: the disk cache first; otherwise the tile is fetched on one of
    a few worker threads and the job answered later, on the GUI thread, through a queued
    signal (with the tile, with a copy cached meanwhile, or with a failure). After a failed
    fetch the host is left alone for ``RETRY_S`` seconds: an offline wall serves its cache
    without waiting on timeouts."""

    WORKERS = 4
    RETRY_S = 15.0
    fetched = Signal(object, object)  # (z, x, y), bytes or None: from a worker thread

    def __init__(self, settings: TileSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.cache = TileCache(settings.folder, int(settings.max_mb * 1024 * 1024))
        self.fetch = fetch_tile  # tests may swap it
        self._pending: dict[tuple[int, int, int], list[QWebEngineUrlRequestJob]] = {}
        self._queue: queue.Queue = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._down_until = 0.0
        self.fetches = 0  # attempts, for tests and the log
        self.fetched.connect(self._on_fetched, Qt.ConnectionType.QueuedConnection)

    def start(self, job: QWebEngineUrlRequestJob) -> None:
        address = tile_address(job.requestUrl().path())
        if address is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        data = self.cache.get(*address)
        if data is not None and image_type(data):
            MapSchemeHandler._reply(job, (image_type(data), data))
            return
        if time.monotonic() < self._down_until:
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        waiting = self._pending.setdefault(address, [])
        waiting.append(job)
        if len(waiting) == 1:
            self._queue.put(address)
            if len(self._workers) < self.WORKERS and self._queue.qsize() > 0:
                t = threading.Thread(target=self._work, name="map-tile-fetch", daemon=True)
                self._workers.append(t)
                t.start()

    def _work(self) -> None:
        while True:
            address = self._queue.get()
            url = self.settings.tile_url(*address)
            data = None
            self.fetches += 1
            try:
                data = self.fetch(url)
                self.cache.put(*address, data)
            except TileFetchError as exc:
                log.warning("map tile not fetched: %s", exc)
            except OSError as exc:  # the cache folder: the tile is still shown
                log.warning("map tile not cached in %s: %s", self.cache.folder, exc)
            except Exception:  # a worker never dies: the next tile may work
                log.exception("map tile %s failed", redact(url))
            self.fetched.emit(address, data)

    def _on_fetched(self, address: tuple[int, int, int], data: bytes | None) -> None:
        if data is None:
            self._down_until = time.monotonic() + self.RETRY_S
            data = self.cache.get(*address)  # another view may have cached it meanwhile
        for job in self._pending.pop(address, []):
            if not isValid(job):  # the page went away meanwhile
                continue
            if data is not None and image_type(data):
                MapSchemeHandler._reply(job, (image_type(data), data))
            else:
                job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``cockpit://map/page/map.html``, ``cockpit://map/static/...`` and, with a site
    tile server, ``cockpit://tiles/z/x/y`` (through :class:`TileService`).

    The page is built by folium on a background thread the first time it is asked for; the
    request is answered when it is ready, so the GUI thread never waits for folium."""

    page_built = Signal()  # emitted from the build thread, delivered on the GUI thread

    def __init__(self, tiles: TileSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tiles = TileService(tiles, self) if tiles else None
        self.tile_url = TILE_PAGE_URL if tiles else None  # what the page asks for
        self._waiting: list[QWebEngineUrlRequestJob] = []
        self.page_built.connect(self._on_page_built, Qt.ConnectionType.QueuedConnection)
        self.extra_pages: dict[str, bytes] = {}  # name -> HTML (benchmarks: a regenerated page)

    def set_page(self, name: str, html: str) -> str:
        """Serve ``html`` at ``cockpit://map/page/<name>.html``; returns that URL."""
        self.extra_pages[name] = html.encode("utf-8")
        return f"cockpit://map/page/{name}.html"

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        url = job.requestUrl()
        path = url.path()
        if url.host() == "tiles" and self.tiles is not None:
            self.tiles.start(job)
            return
        if url.host() != "map":
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        if path == "/page/map.html":
            if not is_built(self.tile_url):
                self._waiting.append(job)
                if len(self._waiting) == 1:
                    prebuild(self.tile_url, self.page_built.emit)
                return
            found: tuple[bytes, bytes] | None = (MIME[".html"] + b";charset=utf-8",
                                                 page_html(tile_url=self.tile_url).encode("utf-8"))
        elif path.startswith("/page/") and path[6:-5] in self.extra_pages:
            found = (MIME[".html"] + b";charset=utf-8", self.extra_pages[path[6:-5]])
        elif path.startswith("/static/"):
            found = _static_file(path)
        else:
            found = None
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        self._reply(job, found)

    def _on_page_built(self) -> None:
        waiting, self._waiting = self._waiting, []
        for job in waiting:
            if isValid(job):  # the view may have gone meanwhile
                self.requestStarted(job)

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, found: tuple[bytes, bytes]) -> None:
        buf = QBuffer(job)
        buf.setData(QByteArray(found[1]))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(found[0], buf)


class OfflineInterceptor(QWebEngineUrlRequestInterceptor):
    """The page's network boundary: only ``cockpit:`` (tiles come through it too)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked: deque[str] = deque(maxlen=200)

    def allows(self, url: QUrl) -> bool:
        return url.scheme() in (SCHEME.decode(), "data", "blob")

    def interceptRequest(self, info) -> None:  # noqa: N802 (Qt override)
        url = info.requestUrl()
        if not self.allows(url):
            info.block(True)
            self.blocked.append(url.toString())
            log.debug("map page request blocked: %s", redact(url.toString()))


_profiles: dict[TileSettings | None, QWebEngineProfile] = {}
_views: weakref.WeakSet = weakref.WeakSet()
_site_tiles: TileSettings | None = None
_SITE = object()


def configure_tiles(tiles: TileSettings | None) -> None:
    """The site's tile server (``[map]`` of the site config) for every map view made after."""
    global _site_tiles
    _site_tiles = tiles
    if tiles is not None:
        log.info("map tiles from %s, cached in %s (up to %g MB)", redact(tiles.url),
                 tiles.folder, tiles.max_mb)
        if tiles.crs == "wgs84":
            log.warning("map.tile_crs is wgs84: the districts and devices are drawn in GCJ-02, "
                        "so the tiles will sit a few hundred metres off them (see docs/map.md)")


def shutdown() -> None:
    """Delete every map view (and so its page) before the profile: a profile that goes first
    leaves pages behind and crashes the process on exit. Registered with atexit by prepare()."""
    for view in list(_views):
        if isValid(view):
            shiboken6.delete(view)
    for profile in _profiles.values():
        if isValid(profile):
            shiboken6.delete(profile)
    _profiles.clear()


def map_profile(tiles: TileSettings | None | object = _SITE) -> QWebEngineProfile:
    """The off-the-record profile map views share (scheme handler, interceptor): one per tile
    setting, by default the site's (:func:`configure_tiles`)."""
    if tiles is _SITE:
        tiles = _site_tiles
    profile = _profiles.get(tiles)
    if profile is None:
        profile = QWebEngineProfile()
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        handler = MapSchemeHandler(tiles, profile)
        profile.installUrlSchemeHandler(SCHEME, handler)
        interceptor = OfflineInterceptor(profile)
        profile.setUrlRequestInterceptor(interceptor)
        profile.interceptor = interceptor  # keep the Python wrapper alive
        profile.handler = handler
        _profiles[tiles] = profile
    return profile


class MapBridge(QObject):
    """The object the page sees as ``bridge`` through the web channel. Layer payloads travel
    as a JSON string on ``payload_pushed`` (parsed by the page, never compiled as script);
    the page reports each one applied through ``applied``."""

    ready = Signal()
    district_clicked_in_page = Signal(str)
    payload_pushed = Signal(str)
    payload_applied = Signal(int)

    @Slot()
    def page_ready(self) -> None:
        self.ready.emit()

    @Slot(str)
    def district_clicked(self, code: str) -> None:
        self.district_clicked_in_page.emit(str(code)[:6])

    @Slot(int)
    def applied(self, count: int) -> None:
        self.payload_applied.emit(int(count))


class MapPage(QWebEnginePage):
    """The map's page: what its scripts report as errors goes to the wall's log (not to the
    process's stderr, which nobody reads on a wall PC), at most :data:`ERRORS_LOGGED` times per
    page, and is counted (tests and the doctor read :attr:`errors`)."""

    ERRORS_LOGGED = 20

    def __init__(self, profile: QWebEngineProfile, parent=None) -> None:
        super().__init__(profile, parent)
        self.errors: list[str] = []  # the first ERRORS_LOGGED error messages, as the page said them

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802 (Qt override)
        if level != QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            return
        if len(self.errors) < self.ERRORS_LOGGED:
            self.errors.append(message)
            log.warning("map page script error: %s (%s:%d)%s", message[:300],
                        source.rsplit("/", 1)[-1][:80], line,
                        "; further errors of this page are not logged"
                        if len(self.errors) == self.ERRORS_LOGGED else "")


class MapView(QWebEngineView):
    """The map page in a view. Data goes in with :meth:`push`; scripts with :meth:`run`, which
    waits until the page is ready and has applied everything pushed before it."""

    page_ready = Signal()
    district_clicked = Signal(str)
    renderer_recovered = Signal()  # the page is back after its renderer process died

    def __init__(self, parent=None, *, tiles: TileSettings | None | object = _SITE) -> None:
        super().__init__(parent)
        _views.add(self)
        self.setPage(MapPage(map_profile(tiles), self))
        self.page().renderProcessTerminated.connect(self._on_page_render_process_terminated)
        self.renderer_deaths = 0
        self._last_payload: str | None = None  # what to put back into a reloaded page
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self)
        self.channel.registerObject("bridge", self.bridge)
        self.page().setWebChannel(self.channel)
        self.bridge.ready.connect(self._on_bridge_ready)
        self.bridge.district_clicked_in_page.connect(self.district_clicked)
        self.bridge.payload_applied.connect(self._on_bridge_payload_applied)
        self.ready = False
        self.pushed = 0  # payloads sent to the page
        self.applied = 0  # payloads the page says it applied
        self._queue: list[tuple[str, object]] = []
        self._payload: str | None = None  # the latest push before the page was ready
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.load(QUrl(PAGE_URL))

    def run(self, script: str, callback=None) -> None:
        """Run ``script`` in the page once it is ready and has applied every earlier push."""
        self._queue.append((script, callback))
        self._flush()

    def push(self, payload_json: str) -> None:
        """Send a layer payload (JSON built off the GUI thread) to the page; before the page
        is ready only the latest one is kept."""
        self._last_payload = payload_json
        if self.ready:
            self.pushed += 1
            self.bridge.payload_pushed.emit(payload_json)
        else:
            self._payload = payload_json

    def _flush(self) -> None:
        if not self.ready or self.applied < self.pushed:
            return
        queue, self._queue = self._queue, []
        for script, callback in queue:
            if callback is None:
                self.page().runJavaScript(script, 0)
            else:
                self.page().runJavaScript(script, 0, callback)

    def _on_bridge_payload_applied(self, count: int) -> None:
        self.applied = count
        self._flush()

    def _on_bridge_ready(self) -> None:
        self.ready = True
        if self._payload is not None:
            payload, self._payload = self._payload, None
            self.push(payload)
        self._flush()
        self.page_ready.emit()
        if self in _recovering:
            _recovering.discard(self)
            log.warning("map page reloaded after its renderer process ended; data put back")
            if not _recovering:
                incidents.clear(RENDERER_INCIDENT)
            self.renderer_recovered.emit()

    # -- the renderer process dying (OOM killer, a Chromium crash, kill -9) -----------------
    def _on_page_render_process_terminated(self, status, exit_code: int) -> None:
        """Reload the page and put the last data back in; say so in the log and on the wall."""
        if QCoreApplication.closingDown():
            return
        self.renderer_deaths += 1
        log.error("map renderer process ended (%s, exit code %d); reloading the map page",
                  getattr(status, "name", status), exit_code)
        _recovering.add(self)
        incidents.report(RENDERER_INCIDENT, level="warning")  # worded by cockpit/shell/wording.py
        self.ready = False
        self.pushed = self.applied = 0
        self._payload = self._last_payload
        # a short pause so a renderer that dies at once again does not spin the GUI thread
        delay_ms = 500 if self.renderer_deaths < 5 else 5000
        QTimer.singleShot(delay_ms, self, lambda: self.load(QUrl(PAGE_URL)))


def wait_until_drawn(views: list[MapView], timeout_s: float = 20.0, settle_ms: int = 300) -> bool:
    """Block (in a local event loop) until every view's page is ready, has run everything
    pushed to it, and has had ``settle_ms`` to paint. For screenshots and tests, never the wall.
    Returns False on timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    pending = set(range(len(views)))
    timed_out = []

    def answered(i: int) -> None:
        pending.discard(i)
        if not pending:
            QTimer.singleShot(settle_ms, loop.quit)

    def on_timeout() -> None:
        timed_out.append(True)
        loop.quit()

    for i, view in enumerate(views):
        # run() queues until ready; the callback comes after every earlier push was applied
        view.run("document.readyState", lambda _r, i=i: answered(i))
    if not views:
        return True
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(on_timeout)
    timer.start(int(timeout_s * 1000))
    loop.exec()
    timer.stop()
    return not timed_out
