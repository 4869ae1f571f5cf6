"""QtWebEngine side of the map: the ``cockpit://`` scheme, the network boundary, the bridge.

* :func:`prepare` must run before the QApplication exists: it registers the scheme, sets the
  Chromium flags that work offscreen, and turns the sandbox off only when running as root
  (Chromium refuses to start sandboxed as root), saying so in the log.
* :class:`MapSchemeHandler` serves the page and every asset; nothing comes from the network.
* :class:`OfflineInterceptor` on the profile blocks every request except the scheme and the
  configured tile host.
* :class:`MapView` shows the page and queues JavaScript until the page says it is ready
  (through a QWebChannel); updates are pushed, never a reload.
"""

from __future__ import annotations

import atexit
import logging
import os
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

from maps.page import PAGE_URL, is_built, page_html, prebuild

log = logging.getLogger(__name__)

SCHEME = b"cockpit"
STATIC_DIR = Path(__file__).resolve().parent / "static"
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
        log.warning("maps.web.prepare() after the QApplication: the cockpit:// scheme may not work")
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
                    "unprivileged kiosk user (see the README) to keep it.")
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


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``cockpit://map/page/map.html`` and ``cockpit://map/static/...``.

    The page is built by folium on a background thread the first time it is asked for; the
    request is answered when it is ready, so the GUI thread never waits for folium."""

    page_built = Signal()  # emitted from the build thread, delivered on the GUI thread

    def __init__(self, tile_url: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tile_url = tile_url
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
    """The page's network boundary: only ``cockpit:`` (and the tile host, if one is set)."""

    def __init__(self, tile_host: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tile_host = tile_host
        self.blocked: deque[str] = deque(maxlen=200)

    def allows(self, url: QUrl) -> bool:
        scheme = url.scheme()
        if scheme in (SCHEME.decode(), "data", "blob"):
            return True
        return bool(self.tile_host) and scheme in ("http", "https") and url.host() == self.tile_host

    def interceptRequest(self, info) -> None:  # noqa: N802 (Qt override)
        url = info.requestUrl()
        if not self.allows(url):
            info.block(True)
            self.blocked.append(url.toString())
            log.debug("map page request blocked: %s", url.toString())


_profile: QWebEngineProfile | None = None
_views: weakref.WeakSet = weakref.WeakSet()


def shutdown() -> None:
    """Delete every map view (and so its page) before the profile: a profile that goes first
    leaves pages behind and crashes the process on exit. Registered with atexit by prepare()."""
    global _profile
    for view in list(_views):
        if isValid(view):
            shiboken6.delete(view)
    if _profile is not None and isValid(_profile):
        shiboken6.delete(_profile)
    _profile = None


def map_profile(tile_url: str | None = None) -> QWebEngineProfile:
    """The one off-the-record profile every map view shares (scheme handler, interceptor)."""
    global _profile
    if _profile is None:
        _profile = QWebEngineProfile()
        _profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        handler = MapSchemeHandler(tile_url, _profile)
        _profile.installUrlSchemeHandler(SCHEME, handler)
        host = QUrl(tile_url.replace("{", "").replace("}", "")).host() if tile_url else None
        interceptor = OfflineInterceptor(host, _profile)
        _profile.setUrlRequestInterceptor(interceptor)
        _profile.interceptor = interceptor  # keep the Python wrapper alive
        _profile.handler = handler
    return _profile


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


class MapView(QWebEngineView):
    """The map page in a view. Data goes in with :meth:`push`; scripts with :meth:`run`, which
    waits until the page is ready and has applied everything pushed before it."""

    page_ready = Signal()
    district_clicked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        _views.add(self)
        self.setPage(QWebEnginePage(map_profile(), self))
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
