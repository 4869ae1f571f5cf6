"""The control page and API: aiohttp on an asyncio loop of its own, in one thread (never the GUI's).

| request | does |
| --- | --- |
| ``GET /`` | the tablet console (static files, no secret in them: it asks for the token and keeps it in the tab) |
| ``GET /api/alerts`` | open and acknowledged alerts, or (``?from=&to=``) every alert of a span |
| ``GET /api/districts`` | the map's districts as SVG outlines, names and codes |
| ``GET /api/status`` | layouts, current layout, carousel, takeover, nodes, feed health, memory |
| ``GET /api/log`` | the latest audited control actions |
| ``GET /api/thumbs/ID.png`` | a layout's thumbnail (rendered by ``cockpit screenshot``) |
| ``GET /api/screens/N.png`` | what physical screen N (from 1) shows right now |
| ``GET /api/nodes/NODE/screens/N.png`` | the same for any node of a multi-PC wall (asked over MQTT) |
| ``POST /api/switch`` ``/api/carousel`` ``/api/drill`` ``/api/ack`` | the commands |

Every ``/api`` request needs ``Authorization: Bearer TOKEN``; POSTs need a JSON body
(``Content-Type: application/json``) with ``ts`` and ``sender``. Every POST is audited (token
name, action, detail, client address, outcome), refused ones too; the token is never logged.

Why a loop of its own (docs/control.md, "The server"): parsing, refusals, slow and idle
clients all cost the control thread, never the GUI thread; the backend's calls (which may wait
on the GUI thread through the bridge, on the cache, or on another node over MQTT) run on a
small fixed pool of worker threads. Connections are capped in all and per client, requests'
lines and headers are bounded by aiohttp's parser, and a connection that has not completed a
request within ``KEEPALIVE_S`` (or a body within ``BODY_S``) is closed. Refusals before a
token is checked are counted, and logged and audited at most ``NOTE_PER_MINUTE`` times a minute
per client (``NOTE_TOTAL_PER_MINUTE`` in all), each cut to a few hundred characters; a token
holder's refused commands at most ``HOLDER_NOTES_PER_MINUTE`` a minute per token. What is over
is counted and said with the next line let through.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from cockpit.control.commands import (
    ACTIONS,
    Command,
    CommandError,
    LeadUnavailable,
    escape_controls,
    parse_command,
)
from cockpit.control.errors import ControlError  # noqa: F401 (raised here; the CLI catches it)
from cockpit.control.page import CSP, asset
from cockpit.control.readings import QueryError, alert_query, district_outlines
from cockpit.control.security import Gate
from cockpit.model.config_control import ControlSettings

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024
MAX_LINE = 4096  # the request line, bytes (longer: 400 from the parser)
MAX_FIELD = 4096  # one header, bytes
MAX_HEADERS = 32
KEEPALIVE_S = 15.0  # a connection must complete a request this long after opening or the last one
BODY_S = 10.0  # a body must arrive in full within this
MAX_CONNECTIONS = 64  # open at once, from everyone
MAX_PER_CLIENT = 16  # open at once, from one address (a browser opens 6)
WORKERS = 4  # threads for the backend's calls (the GUI thread, the cache, other nodes)
NOTE_PER_MINUTE = 10  # refusals before authentication logged and audited, per client
NOTE_TOTAL_PER_MINUTE = 60  # the same, from everyone
HOLDER_NOTES_PER_MINUTE = 60  # refused commands of one token holder logged and audited a minute
HOLDER_NOTES_TOTAL_PER_MINUTE = 240  # the same, of every token holder
SHORT = 200  # characters of a refused value kept in a log line, an answer or the audit
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # API answers are JSON and PNG: nothing in them may run or load anything (the console's
    # own files get page.CSP)
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Server": "cockpit-control",
}
_DIGITS = re.compile(r"[0-9]{1,18}")


class Backend(Protocol):
    def layout_ids(self) -> list[str]: ...
    def execute(self, command: Command, token_name: str) -> dict: ...
    def status(self) -> dict: ...
    def screen_png(self, index: int) -> bytes | None: ...
    def node_screen_png(self, node: str, index: int) -> bytes | None: ...
    def thumbnail(self, layout_id: str) -> bytes | None: ...
    def audit(self, *, token_name: str | None, action: str, detail: str, client: str,
              outcome: str) -> None: ...
    def audit_log(self, limit: int) -> list[dict]: ...
    def alerts(self, start: datetime | None, end: datetime | None, limit: int) -> dict: ...


def quoted(value: str | None, limit: int = 100) -> str:
    """A header's value in a message: its repr, of its first ``limit`` characters only."""
    if value is None:
        return "None"
    return repr(value[:limit]) + (f"… ({len(value):,} characters)" if len(value) > limit else "")


def short(value: object, limit: int = SHORT) -> str:
    """A value from a client, fit for a log line or an answer: cut first (so nothing after it
    works on more than ``limit`` characters), then its control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    text = escape_controls(text[:limit])
    return f"{text}… ({len(value) if isinstance(value, str) else 'long'} characters)" if cut else text


class Throttle:
    """At most ``per_client`` events a minute from one client and ``total`` from all; what
    is over is counted (``suppressed``) and said with the next event let through."""

    def __init__(self, per_client: int, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client, self.total, self.clock = per_client, total, clock
        self._seen: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self.suppressed = 0  # since the last event let through

    def allow(self, client: str) -> bool:
        now = self.clock()
        for window in (self._all, self._seen.get(client)):
            while window and window[0] < now - 60:
                window.popleft()
        if len(self._seen) > 1000:  # forget quiet addresses
            self._seen = {c: w for c, w in self._seen.items() if w}
        mine = self._seen.setdefault(client, deque())
        if len(mine) >= self.per_client or len(self._all) >= self.total:
            self.suppressed += 1
            return False
        mine.append(now)
        self._all.append(now)
        return True


class _Connections:
    """The open connections, in all and per client. At the cap in all, a new client's
    connection takes the place of an idle one (no request under way: waiting for one, or for
    the rest of its headers) of the client holding the most, so that clients of a few
    addresses cannot keep the right token out by holding idle connections."""

    def __init__(self) -> None:
        self.open: dict[str, set] = {}
        self.total = 0
        self.refused = 0  # connections closed at once for being over a cap
        self.evicted = 0  # idle ones closed to make room

    def admit(self, client: str, conn) -> bool:
        mine = self.open.get(client, ())
        if len(mine) >= MAX_PER_CLIENT or (self.total >= MAX_CONNECTIONS and not self._evict(client)):
            self.refused += 1
            return False
        self.open.setdefault(client, set()).add(conn)
        self.total += 1
        return True

    def _evict(self, client: str) -> bool:
        most = max(self.open, key=lambda c: len(self.open[c]))
        if len(self.open[most]) <= len(self.open.get(client, ())) + 1:
            return False  # the new client holds about as many: no one to take them from
        idle = next((c for c in self.open[most] if c.idle()), None)
        if idle is None:
            return False
        self.release(most, idle)
        idle.drop()
        self.evicted += 1
        return True

    def release(self, client: str, conn) -> None:
        mine = self.open.get(client)
        if mine is None or conn not in mine:
            return
        mine.discard(conn)
        self.total -= 1
        if not mine:
            del self.open[client]


class _Connection(RequestHandler):
    """aiohttp's connection, capped and able to answer a client that half-closes.

    HTTP/1.1 lets a client shut its sending side once its request is out (``nc``, scripts, the
    fault tests do); aiohttp closes the whole connection at that EOF, before answering. Here an
    EOF ends the body being read (a body shorter than its Content-Length is then refused as
    what arrived) and the connection closes once the requests already received are answered.
    """

    owner: ControlServer

    def connection_made(self, transport) -> None:
        peer = transport.get_extra_info("peername")
        self._client = peer[0] if peer else "?"
        self._counted = self.owner.connections.admit(self._client, self)
        if not self._counted:
            self.owner.refuse_connection(self._client)
            self._manager = None  # aiohttp's connection_lost then does nothing
            transport.abort()
            return
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if getattr(self, "_counted", False):
            self._counted = False
            self.owner.connections.release(self._client, self)
        super().connection_lost(exc)

    def idle(self) -> bool:
        """Waiting for a request (or the rest of its headers), none under way."""
        return self._waiter is not None and not self._messages and self._current_request is None

    def drop(self) -> None:
        self._counted = False
        if self.transport is not None:
            self.transport.abort()

    def log_exception(self, *args, **kw) -> None:
        """aiohttp's report of a request it could not parse (a header too long, a bad
        Content-Length) or of a client gone: counted, throttled, one short line, no traceback."""
        exc = kw.get("exc_info")
        if isinstance(exc, ConnectionError) or exc is None:
            log.debug("control: connection from %s ended early", getattr(self, "_client", "?"))
            return
        if isinstance(exc, HttpProcessingError):
            self.owner.refuse_bad_request(getattr(self, "_client", "?"), exc)
            return
        log.error("control: %s", short(str(exc)), exc_info=exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # the bodies still arriving, so that an EOF can end them (aiohttp keeps no list)
        self._bodies = [p for p in getattr(self, "_bodies", ())
                        if not p.is_eof()] + [p for _, p in self._messages
                                              if hasattr(p, "feed_eof") and not p.is_eof()]

    def eof_received(self) -> bool:
        for payload in getattr(self, "_bodies", ()):  # a short body ends as what arrived
            if not payload.is_eof():
                payload.feed_eof()
        self._bodies = []
        busy = bool(self._messages) or self._current_request is not None or (
            self._waiter is None and self._request_count > 0)  # one popped, its task not begun
        if busy:
            self.close()  # once the requests received are answered
        return busy  # True: the sending side stays open for the answers


class ControlServer:
    def __init__(self, settings: ControlSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend
        self.connections = _Connections()
        self.refused_unauthenticated = 0  # refusals before a token was checked, or failed
        self._notes = Throttle(NOTE_PER_MINUTE, NOTE_TOTAL_PER_MINUTE)
        # a token holder's refused commands (a stuck script, a leaked token tried in a loop):
        # logged and audited up to these, by token, and the rest counted and said with the next
        self._holder_notes = Throttle(HOLDER_NOTES_PER_MINUTE, HOLDER_NOTES_TOTAL_PER_MINUTE)
        self._gate_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in settings.bind else socket.AF_INET
        try:
            self._sock = socket.create_server((settings.bind, settings.port), family=family,
                                              backlog=128)
        except OSError as exc:  # in use (another wall?) or not this PC's address
            raise ControlError(f"control page: cannot listen on {settings.bind}:{settings.port} "
                               f"({os.strerror(exc.errno) if exc.errno else exc}); is another wall running, or set "
                               f"[control] port / --control-port") from None
        self._sock.setblocking(False)
        self.port = self._sock.getsockname()[1]
        # tests: an ephemeral port (0), checked like a configured one
        self.gate = Gate(settings.tokens, settings.bind, self.port,
                         failures_per_minute=settings.failures_per_minute)
        self._loop = asyncio.new_event_loop()
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="control-work")
        self._thread = threading.Thread(target=self._run, name="control-http", daemon=True)
        self._started = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self._web: web.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.bind}:{self.port}"

    # -- the loop's thread ------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)
        log.info("control page on %s (tokens: %s)", self.url, ", ".join(sorted(self.settings.tokens)))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._close())
        self._loop.close()

    async def _listen(self) -> None:
        self._web = web.Server(self._handle, loop=self._loop)
        conn = type("Connection", (_Connection,), {"owner": self})
        kwargs = dict(loop=self._loop, keepalive_timeout=KEEPALIVE_S, access_log=None,
                      max_line_size=MAX_LINE, max_field_size=MAX_FIELD, max_headers=MAX_HEADERS,
                      lingering_time=1.0, logger=log)
        self._server = await self._loop.create_server(lambda: conn(self._web, **kwargs),
                                                      sock=self._sock)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._web is not None:
            await self._web.shutdown(2.0)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        else:
            self._sock.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _call(self, fn, *args, transport=None):
        """A backend call, on a worker thread: the loop (and so every other client) goes on.
        With the request's ``transport``, skipped if the client has gone meanwhile (a flood
        of screenshot requests whose clients vanish costs the GUI thread nothing)."""
        def call():
            if transport is not None and transport.is_closing():
                raise ConnectionResetError("the client went away before its turn")
            return fn(*args)

        return await self._loop.run_in_executor(self._pool, call)

    # -- counting and noting refusals -------------------------------------------------------
    def refuse_connection(self, client: str) -> None:
        if self._notes.allow(client):
            log.warning("control: connection from %s refused: %d open (at most %d, %d per "
                        "client)%s", client, self.connections.total, MAX_CONNECTIONS,
                        MAX_PER_CLIENT, self._suppressed())
        self.refused_unauthenticated += 1

    def refuse_bad_request(self, client: str, exc: HttpProcessingError) -> None:
        """A request the parser refused (answered 400 by aiohttp): counted, noted short."""
        self.refused_unauthenticated += 1
        if self._notes.allow(client):
            what = (exc.message or type(exc).__name__).strip().splitlines()[0]
            log.warning("control: refused a malformed request from %s: %s%s", client,
                        short(what), self._suppressed())

    def _suppressed(self, throttle: Throttle | None = None) -> str:
        throttle = throttle or self._notes
        n, throttle.suppressed = throttle.suppressed, 0
        return f" ({n} more refusal(s) not logged)" if n else ""

    # -- one request ------------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            return await _Request(self, request).answer()
        except ConnectionError:  # the client went away: nothing to answer, nothing to print
            raise
        except Exception:
            log.exception("control: %s %s failed", request.method, short(request.raw_path, 100))
            return _json(500, {"error": "internal error (logged on the wall)"}, request)


def _json(code: int, obj: object, request: web.BaseRequest) -> web.Response:
    return _send(code, json.dumps(obj, ensure_ascii=False).encode(), request,
                 "application/json; charset=utf-8")


def _send(code: int, body: bytes, request: web.BaseRequest, ctype: str) -> web.Response:
    resp = web.Response(status=code, body=body, headers={**HEADERS, "Content-Type": ctype})
    return resp


class _Request:
    """One request's answer (the old handler's methods, as coroutines on the server's loop)."""

    def __init__(self, server: ControlServer, request: web.BaseRequest) -> None:
        self.srv = server
        self.request = request
        self.path = request.raw_path.split("?")[0]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.client = peer[0] if peer else "?"

    def json(self, code: int, obj: object) -> web.Response:
        return _json(code, obj, self.request)

    def send(self, code: int, body: bytes, ctype: str) -> web.Response:
        return _send(code, body, self.request, ctype)

    async def refuse(self, code: int, why: str, *, action: str | None = None,
                     token_name: str | None = None, field: str | None = None,
                     detail: str = "") -> web.Response:
        """Answer a refusal, log it and (with an action) audit it. Before a token was
        accepted, the log line and the audit entry are throttled per client."""
        if token_name is None:
            self.srv.refused_unauthenticated += 1
            throttle = self.srv._notes
            noted = throttle.allow(self.client)
        else:
            throttle = self.srv._holder_notes
            noted = throttle.allow(token_name)
        if noted:
            more = self.srv._suppressed(throttle)
            log.warning("control: refused %s %s from %s: %s%s", self.request.method,
                        short(self.path), self.client, why, more)
            if action is not None:
                await self.audit(token_name, action, detail, f"refused: {why}{more}")
        return self.json(code, {"error": why, **({"field": field} if field else {})})

    async def audit(self, token_name: str | None, action: str, detail: str, outcome: str) -> None:
        try:
            await self.srv._call(lambda: self.srv.backend.audit(
                token_name=token_name, action=action, detail=short(detail, 300),
                client=self.client, outcome=short(outcome, 300)))
        except Exception as exc:
            log.error("control: audit failed: %s", short(str(exc)))

    async def admit(self, action: str | None) -> str | web.Response:
        """Rate limit, Host, Origin and token: the token's name, or the refusal to answer."""
        srv, headers = self.srv, self.request.headers
        with srv._gate_lock:
            blocked = srv.gate.blocked(self.client)
        if blocked:
            return await self.refuse(429, "too many failed attempts; wait a minute")
        host = headers.get("Host")
        if not srv.gate.host_ok(host):
            return await self.refuse(403, f"host {quoted(host)} not allowed", action=action)
        origin = headers.get("Origin")
        if not srv.gate.origin_ok(origin):
            return await self.refuse(403, f"foreign origin {quoted(origin)}", action=action)
        presented = headers.get("Authorization")
        name = srv.gate.authenticate(presented)
        if name is None:
            if presented:  # only a presented wrong token is a failed login (no header: an
                with srv._gate_lock:  # <img src> on any page must not lock the tablet out)
                    srv.gate.failed(self.client)
            return await self.refuse(401, "wrong token" if presented else "missing token",
                                     action=action)
        return name

    async def answer(self) -> web.StreamResponse:
        method = self.request.method
        if method in ("GET", "HEAD"):
            return await self.get()
        if method == "POST":
            return await self.post()
        return await self.refuse(501, f"unsupported method {short(method, 20)}")

    # -- GET --------------------------------------------------------------------------------
    async def get(self) -> web.StreamResponse:
        path = self.path
        if (static := asset(path)) is not None:  # the console's files (no secret in them)
            host = self.request.headers.get("Host")
            if not self.srv.gate.host_ok(host):
                return await self.refuse(403, f"host {quoted(host)} not allowed")
            resp = self.send(200, static[0], static[1])
            resp.headers["Content-Security-Policy"] = CSP
            return resp
        if not path.startswith("/api/"):
            return self.json(404, {"error": "not found"})
        name = await self.admit(None)
        if not isinstance(name, str):
            return name
        backend = self.srv.backend

        async def call(fn, *args):
            return await self.srv._call(fn, *args, transport=self.request.transport)
        if path == "/api/status":
            status = await call(backend.status)
            status["control"] = {"connections": self.srv.connections.total,
                                 "refused_unauthenticated": self.srv.refused_unauthenticated}
            return self.json(200, status)
        if path == "/api/alerts":
            try:
                span = alert_query(self.request.query)
            except QueryError as exc:
                return self.json(400, {"error": str(exc), "field": exc.field})
            return self.json(200, await call(backend.alerts, span["start"], span["end"],
                                             span["limit"]))
        if path == "/api/districts":
            return self.json(200, await call(district_outlines))  # (built once, off the loop)
        if path == "/api/log":
            return self.json(200, {"entries": await call(backend.audit_log, 200)})
        # Screens are numbered for people, from 1, as on the wall and in the files that
        # `cockpit control status --screens` saves; the backends count from 0.
        if m := re.fullmatch(r"/api/screens/(\d{1,20})\.png", path):
            number = int(m.group(1))
            png = await call(backend.screen_png, number - 1) if 1 <= number <= 100 else None
            return self.send(200, png, "image/png") if png else self.json(
                404, {"error": f"no screen {number} on this node (screens are numbered from 1)",
                      "field": "screen"})
        if m := re.fullmatch(r"/api/nodes/([A-Za-z0-9_-]{1,64})/screens/(\d{1,20})\.png", path):
            number = int(m.group(2))
            try:
                png = (await call(backend.node_screen_png, m.group(1), number - 1)
                       if 1 <= number <= 100 else None)
            except TimeoutError as exc:
                return self.json(504, {"error": str(exc)})
            return self.send(200, png, "image/png") if png else self.json(
                404, {"error": f"no screen {number} on node {m.group(1)} (screens are numbered "
                      "from 1)", "field": "screen"})
        if m := re.fullmatch(r"/api/thumbs/([A-Za-z0-9_-]{1,64})\.png", path):
            png = (await call(backend.thumbnail, m.group(1))
                   if m.group(1) in backend.layout_ids() else None)
            return self.send(200, png, "image/png") if png else self.json(
                404, {"error": "no thumbnail"})
        return self.json(404, {"error": "not found"})

    # -- POST -------------------------------------------------------------------------------
    async def post(self) -> web.StreamResponse:
        m = re.fullmatch(r"/api/([A-Za-z0-9_-]{1,32})", self.path)
        if not m:
            return self.json(404, {"error": "not found"})
        action = m.group(1)
        if action not in ACTIONS:  # a command this wall does not have: refused and audited
            name = await self.admit(None)
            if not isinstance(name, str):
                return name
            return await self.refuse(404, f"unknown command {action!r} (known: "
                                          f"{', '.join(ACTIONS)})",
                                     action="unknown", token_name=name, detail=action)
        name = await self.admit(action)
        if not isinstance(name, str):
            return name
        request = self.request
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return await self.refuse(415, "JSON bodies only (Content-Type: application/json)",
                                     action=action, token_name=name)
        declared = request.headers.get("Content-Length")
        if declared is not None and not _DIGITS.fullmatch(declared):  # the parser refuses
            return await self.refuse(400, "Content-Length must be plain digits",  # most first
                                     action=action, token_name=name)
        length = int(declared) if declared is not None else None
        if length is not None and length > MAX_BODY:  # refused unread
            resp = await self.refuse(413, f"body of {length:,} bytes is larger than a command "
                                          f"may be ({MAX_BODY:,})", action=action, token_name=name)
            resp.force_close()
            return resp
        if length == 0 or (length is None and not request.body_exists):
            return await self.refuse(400, "missing body (a JSON object with ts and sender)",
                                     action=action, token_name=name)
        try:
            async with asyncio.timeout(BODY_S):
                raw = b""  # at most one byte more than a command may be (a chunked body)
                while len(raw) <= MAX_BODY and (
                        chunk := await request.content.read(MAX_BODY + 1 - len(raw))):
                    raw += chunk
        except TimeoutError:
            resp = await self.refuse(408, f"body not received within {BODY_S:g} s",
                                     action=action, token_name=name)
            resp.force_close()
            return resp
        if len(raw) > MAX_BODY:
            resp = await self.refuse(413, f"body is larger than a command may be ({MAX_BODY:,})",
                                     action=action, token_name=name)
            resp.force_close()
            return resp
        return await self.command(action, name, raw)

    async def command(self, action: str, name: str, raw: bytes) -> web.StreamResponse:
        try:
            body = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return await self.refuse(400, f"ignored: body is not UTF-8 (bad byte at offset "
                                          f"{exc.start})", action=action, token_name=name)
        except RecursionError:
            return await self.refuse(400, "ignored: body is JSON nested too deeply",
                                     action=action, token_name=name)
        except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
            return await self.refuse(400, f"ignored: body is not valid JSON ({short(str(exc))})",
                                     action=action, token_name=name)
        backend = self.srv.backend
        try:
            command = parse_command(action, body, now=time.time(),
                                    max_age=self.srv.settings.max_age,
                                    layouts=backend.layout_ids())
        except CommandError as exc:
            return await self.refuse(400, f"ignored: {exc}", action=action, token_name=name,
                                     field=exc.field)
        try:
            result = await self.srv._call(backend.execute, command, name)  # even if the
            # client has gone: it asked
        except LeadUnavailable as exc:
            return await self.refuse(503, str(exc), action=action, token_name=name)
        except CommandError as exc:
            return await self.refuse(409, str(exc), action=action, token_name=name,
                                     field=exc.field, detail=command.describe())
        except TimeoutError:
            return await self.refuse(503, "the wall did not answer in time", action=action,
                                     token_name=name)
        detail = command.describe()
        if action == "ack":  # what was acknowledged, not just what was asked
            detail = ",".join(result.get("acknowledged", ())) or "(nothing open)"
        if result.get("forwarded_to"):  # the lead audits it too, in its own cache
            detail += f" (forwarded to the lead {result['forwarded_to']})"
        await self.audit(name, action, detail, "ok")
        log.info("control: %s %s by %s (%s) from %s", action, short(detail), name,
                 command.sender, self.client)
        return self.json(200, {"ok": True, "at": datetime.now(UTC).isoformat(), **result})
