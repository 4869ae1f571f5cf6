"""The control page and API: stdlib HTTP on its own threads, never the GUI thread's.

| request | does |
| --- | --- |
| ``GET /`` | the control page (no secret in it: it asks for the token and keeps it in the tab) |
| ``GET /api/status`` | layouts, current layout, carousel, takeover, nodes, feed health, memory |
| ``GET /api/log`` | the latest audited control actions |
| ``GET /api/thumbs/ID.png`` | a layout's thumbnail (rendered by ``cockpit screenshot``) |
| ``GET /api/screens/N.png`` | what physical screen N shows right now |
| ``GET /api/nodes/NODE/screens/N.png`` | the same for any node of a multi-PC wall (asked over MQTT) |
| ``POST /api/switch`` ``/api/carousel`` ``/api/drill`` ``/api/ack`` | the commands |

Every ``/api`` request needs ``Authorization: Bearer TOKEN``; POSTs need a JSON body
(``Content-Type: application/json``) with ``ts`` and ``sender``. Every POST is audited (token
name, action, detail, client address, outcome), refused ones too; the token is never logged.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from cockpit.control.commands import (
    ACTIONS,
    Command,
    CommandError,
    LeadUnavailable,
    parse_command,
)
from cockpit.control.page import PAGE
from cockpit.control.security import Gate
from cockpit.model.config_control import ControlSettings

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024


class ControlError(RuntimeError):
    """The control page cannot be served (its port is taken): the wall does not start."""


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


class ControlServer:
    def __init__(self, settings: ControlSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend
        self.gate = Gate(settings.tokens, settings.bind, settings.port,
                         failures_per_minute=settings.failures_per_minute)
        self._gate_lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_ref": self})
        try:
            self.httpd = ThreadingHTTPServer((settings.bind, settings.port), handler)
        except OSError as exc:  # in use (another wall?) or not this PC's address
            raise ControlError(f"control page: cannot listen on {settings.bind}:{settings.port} "
                               f"({exc.strerror or exc}); is another wall running, or set "
                               f"[control] port / --control-port") from None
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        if settings.port == 0:  # tests: an ephemeral port, checked like a configured one
            self.gate = Gate(settings.tokens, settings.bind, self.port,
                             failures_per_minute=settings.failures_per_minute)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="control-http",
                                        kwargs={"poll_interval": 0.2})

    @property
    def url(self) -> str:
        return f"http://{self.settings.bind}:{self.port}"

    def start(self) -> None:
        self._thread.start()
        log.info("control page on %s (tokens: %s)", self.url, ", ".join(sorted(self.settings.tokens)))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server_ref: ControlServer
    server_version = "cockpit-control"
    timeout = 10

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, fmt: str, *args) -> None:  # the path only: never a query, a header
        log.debug("%s %s %s", self.client_address[0], self.command, self.path.split("?")[0])

    def _send(self, code: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' blob:; style-src 'unsafe-inline'; "
                         "script-src 'unsafe-inline'; frame-ancestors 'none'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, obj: object) -> None:
        self._send(code, json.dumps(obj, ensure_ascii=False).encode())

    @property
    def _client(self) -> str:
        return self.client_address[0]

    def _refuse(self, code: int, why: str, *, action: str | None = None,
                token_name: str | None = None, field: str | None = None,
                detail: str = "") -> None:
        log.warning("control: refused %s %s from %s: %s", self.command,
                    self.path.split("?")[0][:200], self._client, why)
        if action is not None:
            self._audit(token_name, action, detail, f"refused: {why}")
        self._json(code, {"error": why, **({"field": field} if field else {})})

    def _audit(self, token_name: str | None, action: str, detail: str, outcome: str) -> None:
        try:
            self.server_ref.backend.audit(token_name=token_name, action=action, detail=detail,
                                          client=self._client, outcome=outcome)
        except Exception:
            log.exception("control: audit failed")

    def _admit(self, action: str | None) -> str | None:
        """Rate limit, Host, Origin and token; the token's name, or None (already answered)."""
        srv = self.server_ref
        with srv._gate_lock:
            if srv.gate.blocked(self._client):
                self._refuse(429, "too many failed attempts; wait a minute")
                return None
        if not srv.gate.host_ok(self.headers.get("Host")):
            self._refuse(403, f"host {self.headers.get('Host')!r} not allowed", action=action)
            return None
        if not srv.gate.origin_ok(self.headers.get("Origin")):
            self._refuse(403, f"foreign origin {self.headers.get('Origin')!r}", action=action)
            return None
        name = srv.gate.authenticate(self.headers.get("Authorization"))
        if name is None:
            with srv._gate_lock:
                srv.gate.failed(self._client)
            why = "wrong token" if self.headers.get("Authorization") else "missing token"
            self._refuse(401, why, action=action)
            return None
        return name

    # -- GET --------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path == "/":
            if not self.server_ref.gate.host_ok(self.headers.get("Host")):
                self._refuse(403, f"host {self.headers.get('Host')!r} not allowed")
                return
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            return
        if not path.startswith("/api/"):
            self._json(404, {"error": "not found"})
            return
        if self._admit(None) is None:
            return
        backend = self.server_ref.backend
        if path == "/api/status":
            self._json(200, backend.status())
        elif path == "/api/log":
            self._json(200, {"entries": backend.audit_log(200)})
        elif m := re.fullmatch(r"/api/screens/(\d{1,20})\.png", path):
            index = int(m.group(1))
            png = backend.screen_png(index) if index < 100 else None
            self._send(200, png, "image/png") if png else self._json(
                404, {"error": f"no screen {index} on this node", "field": "screen"})
        elif m := re.fullmatch(r"/api/nodes/([A-Za-z0-9_-]{1,64})/screens/(\d{1,20})\.png", path):
            index = int(m.group(2))
            try:
                png = backend.node_screen_png(m.group(1), index) if index < 100 else None
            except TimeoutError as exc:
                self._json(504, {"error": str(exc)})
                return
            self._send(200, png, "image/png") if png else self._json(
                404, {"error": f"no screen {index} on node {m.group(1)}", "field": "screen"})
        elif m := re.fullmatch(r"/api/thumbs/([A-Za-z0-9_-]{1,64})\.png", path):
            png = backend.thumbnail(m.group(1)) if m.group(1) in backend.layout_ids() else None
            self._send(200, png, "image/png") if png else self._json(404, {"error": "no thumbnail"})
        else:
            self._json(404, {"error": "not found"})

    do_HEAD = do_GET  # noqa: N815

    # -- POST -------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        m = re.fullmatch(r"/api/([A-Za-z0-9_-]{1,32})", path)
        if not m:
            self._json(404, {"error": "not found"})
            return
        action = m.group(1)
        if action not in ACTIONS:  # a command this wall does not have: refused and audited
            name = self._admit(None)
            if name is not None:
                self._refuse(404, f"unknown command {action!r} (known: {', '.join(ACTIONS)})",
                             action="unknown", token_name=name, detail=action)
            return
        name = self._admit(action)
        if name is None:
            return
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._refuse(415, "JSON bodies only (Content-Type: application/json)",
                         action=action, token_name=name)
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length > MAX_BODY:  # refused unread
            self.close_connection = True
            self._refuse(413, f"body of {length:,} bytes is larger than a command may be "
                              f"({MAX_BODY:,})", action=action, token_name=name)
            return
        if length <= 0:
            self._refuse(400, "missing body (a JSON object with ts and sender)", action=action,
                         token_name=name)
            return
        backend = self.server_ref.backend
        try:
            raw = self.rfile.read(length)
        except OSError as exc:  # the client stopped sending (a body shorter than it said)
            self.close_connection = True
            self._refuse(400, f"body not received in full ({exc})", action=action, token_name=name)
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            self._refuse(400, f"ignored: body is not UTF-8 (bad byte at offset {exc.start})",
                         action=action, token_name=name)
            return
        except RecursionError:
            self._refuse(400, "ignored: body is JSON nested too deeply", action=action,
                         token_name=name)
            return
        except ValueError as exc:  # JSONDecodeError
            self._refuse(400, f"ignored: body is not valid JSON ({exc})", action=action,
                         token_name=name)
            return
        try:
            command = parse_command(action, body, now=time.time(),
                                    max_age=self.server_ref.settings.max_age,
                                    layouts=backend.layout_ids())
        except CommandError as exc:
            self._refuse(400, f"ignored: {exc}", action=action, token_name=name, field=exc.field)
            return
        try:
            result = backend.execute(command, name)
        except LeadUnavailable as exc:
            self._refuse(503, str(exc), action=action, token_name=name)
            return
        except CommandError as exc:
            self._refuse(409, str(exc), action=action, token_name=name)
            return
        except TimeoutError:
            self._refuse(503, "the wall did not answer in time", action=action, token_name=name)
            return
        detail = command.describe()
        if action == "ack":  # what was acknowledged, not just what was asked
            detail = ",".join(result.get("acknowledged", ())) or "(nothing open)"
        if result.get("forwarded_to"):  # the lead audits it too, in its own cache
            detail += f" (forwarded to the lead {result['forwarded_to']})"
        self._audit(name, action, detail, "ok")
        log.info("control: %s %s by %s (%s) from %s", action, detail, name, command.sender,
                 self._client)
        self._json(200, {"ok": True, "at": datetime.now(UTC).isoformat(), **result})
