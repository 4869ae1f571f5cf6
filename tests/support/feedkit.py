"""What the feed tests build on: a clock the test moves, the simulated city shared by the
session, small HTTP servers a test scripts for one edge case, and counting rows. The fixtures
made of these (``clock``, ``sim``, ``store``, ``scripted``) are in tests/conftest.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cockpit.data.store import Store
from cockpit.demo.world import STEP_S, World


class Clock:
    """Real time, shifted back to the last step boundary, moved on by the test."""

    def __init__(self) -> None:
        now = time.time()
        self.t = now - (now % STEP_S) + 1

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float = STEP_S) -> None:
        self.t += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


_WORLD: World | None = None


def shared_world(clock: Clock, history_s: float) -> World:
    global _WORLD
    if _WORLD is None:  # building the demo series takes ~0.4 s: once per session
        _WORLD = World()
    _WORLD.clock, _WORLD.history_s = clock, history_s
    return _WORLD


def count(store: Store, table: str = "observations", where: str = "") -> int:
    return store.reader().execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]


Script = Callable[[BaseHTTPRequestHandler, int], None]


class ScriptedServer(ThreadingHTTPServer):
    """Answers request n (0-based) with ``script(handler, n)``."""

    daemon_threads = True

    def __init__(self, script: Script) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server: ScriptedServer = self.server  # type: ignore[assignment]
                with server.lock:
                    n = len(server.seen)
                    server.seen.append((self.path, dict(self.headers)))
                script(self, n)

            do_POST = do_GET

        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.halted = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.halted.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes | object,
          headers: dict[str, str] | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(data)
