"""``cockpit simulate``: the city's sources served for real over HTTP on loopback.

* middle-platform (数据中台): ``GET /api/v1/indicators`` — long records in the gateway
  envelope, page/pageSize, offset/limit or cursor paging, ``startTime`` (local time);
  optional bearer or app-key + HMAC-SHA256 signature check;
* FIWARE NGSI-v2: ``GET /v2/entities`` (type, attrs, q, limit, offset, options=count|keyValues,
  Fiware-Total-Count) with AirQualityObserved, TrafficFlowObserved, OffStreetParking, Alert
  and Device entities;
* OGC SensorThings: ``/v1.1/Things``, ``/v1.1/Datastreams``, ``/v1.1/Observations`` with
  $top/$skip/$count/$filter=phenomenonTime gt|ge/$orderby/$expand and relative
  ``@iot.nextLink``;
* ThingsBoard: login, tenant devices, timeseries and attributes;
* MQTT (``--mqtt HOST:PORT``): every district's current values every ``mqtt_every`` seconds
  on ``weifang/<district>/<metric>``.

Faults (``--faults slow=0.2,error=0.1,garbage=0.1,drop=0.1,retry_after=0.1``) make a share of
API requests trickle their body, answer 500, answer garbage, drop the connection or answer
503 with Retry-After. No Qt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cockpit.demo.apis import ngsi, sensorthings, thingsboard
from cockpit.demo.world import World
from feeds.auth import DEFAULT_TEMPLATE, sign, sorted_query

log = logging.getLogger(__name__)
FAULT_NAMES = ("slow", "error", "garbage", "drop", "retry_after")
LOG_MAX = 10_000


@dataclass
class Faults:
    slow: float = 0.0
    error: float = 0.0
    garbage: float = 0.0
    drop: float = 0.0
    retry_after: float = 0.0
    after: int = 0  # the first N API requests are served cleanly
    trickle_s: float = 0.5  # a slow response sends one byte this often
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``slow=0.2,error=0.1,...`` (probabilities 0..1), also ``after=N``, ``seed=N``."""
        out = cls()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            if name not in (*FAULT_NAMES, "after", "seed", "trickle_s"):
                raise ValueError(f"unknown fault {name!r} (known: {', '.join(FAULT_NAMES)}, "
                                 f"after, seed, trickle_s)")
            try:
                number = float(value) if value else 1.0
            except ValueError:
                raise ValueError(f"fault {name}: expected a number, found {value!r}") from None
            if name in FAULT_NAMES and not 0 <= number <= 1:
                raise ValueError(f"fault {name}: probability {number} outside 0..1")
            setattr(out, name, int(number) if name in ("after", "seed") else number)
        return out


@dataclass
class Simulator:
    world: World
    faults: Faults = field(default_factory=Faults)
    bearer: str | None = None  # middle-platform: require this bearer token
    signature: tuple[str, str] | None = None  # middle-platform: (app key, secret) to verify
    template: str = DEFAULT_TEMPLATE
    tb_user: tuple[str, str] = ("tenant@weifang.gov.cn", "tenant")
    fiware_service: str | None = None
    requests: int = 0
    #: the paths served last (tests look at them); bounded, as `cockpit simulate` runs for weeks
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_MAX))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.faults.seed)
        self.tb_tokens: set[str] = set()

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults, self.requests = faults, 0
            self.rng = random.Random(faults.seed)

    def pick_fault(self) -> str | None:
        with self._lock:
            self.requests += 1
            if self.requests <= self.faults.after:
                return None
            for name in FAULT_NAMES:
                p = getattr(self.faults, name)
                if p and self.rng.random() < p:
                    return name
        return None


class Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    # keep-alive answers go out at once: with Nagle's algorithm every small reply waited ~40 ms
    # for the client's delayed ACK (a SensorThings load of 169 requests took 7.6 s, not 0.6 s)
    disable_nagle_algorithm = True

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet; the tests read sim.log
        log.debug("simulate: " + fmt, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        sim.log.append(self.path)
        if url.path == "/health":
            return self.send_json(200, {"status": "ok"})
        fault = sim.pick_fault()
        if fault == "drop":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        if fault == "error":
            return self.send_json(500, {"error": "simulated internal error"})
        if fault == "retry_after":
            return self.send_json(503, {"error": "busy"}, {"Retry-After": "2"})
        if fault == "garbage":
            return self.send_raw(200, b"<html>\x00\xff garbage \x01 not json", "text/html")
        try:
            status, payload, headers = self.route(method, url.path, query, body)
        except KeyError as exc:
            status, payload, headers = 400, {"error": "BadRequest", "description": str(exc)}, {}
        data = json.dumps(payload, ensure_ascii=False).encode()
        if fault == "slow":
            return self.send_raw(status, data, "application/json", headers,
                                 trickle=sim.faults.trickle_s)
        self.send_raw(status, data, "application/json", headers)

    def route(self, method: str, path: str, query: dict[str, str],
              body: bytes) -> tuple[int, Any, dict[str, str]]:
        sim = self.server.sim
        if path == "/api/v1/indicators":
            return middle_platform(sim, method, path, query, self.headers)
        if path.startswith("/v2/"):
            return ngsi.handle(sim, path, query, self.headers)
        if path.startswith("/v1.1/"):
            return sensorthings.handle(sim, path, query)
        if path.startswith("/api/"):
            return thingsboard.handle(sim, method, path, query, body, self.headers)
        return 404, {"error": "NotFound", "description": path}, {}

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(payload, ensure_ascii=False).encode(),
                      "application/json", headers)

    def send_raw(self, status: int, data: bytes, ctype: str,
                 headers: dict[str, str] | None = None, trickle: float = 0.0) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            if not trickle:
                self.wfile.write(data)
                return
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                if self.server.halted.wait(trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def middle_platform(sim: Simulator, method: str, path: str, query: dict[str, str],
                    headers: Any) -> tuple[int, Any, dict[str, str]]:
    def refuse(msg: str) -> tuple[int, Any, dict[str, str]]:
        return 401, {"code": 401, "msg": msg, "data": None}, {}

    if sim.bearer and headers.get("Authorization") != f"Bearer {sim.bearer}":
        return refuse("令牌无效")
    if sim.signature:
        key, secret = sim.signature
        ts, nonce = headers.get("X-Ca-Timestamp", ""), headers.get("X-Ca-Nonce", "")
        if headers.get("X-Ca-Key") != key or not ts.isdigit():
            return refuse("应用标识无效")
        if abs(time.time() * 1000 - int(ts)) > 300_000:
            return refuse("时间戳过期")
        expected = sign(sim.template, secret, app_key=key, timestamp=ts, nonce=nonce,
                        method=method, path=path, query=sorted_query(query))
        if not hmac.compare_digest(expected, headers.get("X-Ca-Signature", "")):
            return refuse("签名校验失败")
    from datetime import datetime

    from cockpit.demo.city import LOCAL_TZ
    since = None
    if query.get("startTime"):
        since = datetime.fromisoformat(query["startTime"])
        if since.tzinfo is None:
            since = since.replace(tzinfo=LOCAL_TZ)
    metrics = query["indexCodes"].split(",") if query.get("indexCodes") else None
    readings = sim.world.readings(since, metrics=metrics)
    records = [{"areaCode": r.district, "indexCode": r.metric,
                "indexValue": f"{r.value:g}",  # the gateway sends numbers as strings
                "unit": r.unit or None,
                "monitorTime": r.ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")}
               for r in readings]
    total = len(records)
    if "cursor" in query or "cursorMode" in query:
        start = int(query.get("cursor") or 0)
        size = int(query.get("pageSize", 100))
        chunk = records[start:start + size]
        nxt = str(start + size) if start + size < total else None
        return 200, {"code": 0, "msg": "成功", "data": {"list": chunk, "nextCursor": nxt}}, {}
    if "offset" in query:
        start, size = int(query["offset"]), int(query.get("limit", 100))
    else:
        size = int(query.get("pageSize", 100))
        start = (int(query.get("page", 1)) - 1) * size
    chunk = records[start:start + size]
    digest = hashlib.sha1(json.dumps(chunk).encode()).hexdigest()[:8]
    return 200, {"code": 0, "msg": "成功", "data": {"list": chunk, "total": total,
                                                   "digest": digest}}, {}


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sim: Simulator, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.sim = sim
        self.halted = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> SimServer:
        self.thread = threading.Thread(target=self.serve_forever, name="simulator",
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.halted.set()
        self.shutdown()
        self.server_close()
        if self.thread:
            self.thread.join(5)
