"""ThingsBoard conformance: recorded responses shaped like ThingsBoard's REST API
(tests/fixtures/conformance/thingsboard/), served by a real HTTP server on loopback that answers
as ThingsBoard does, ingested end to end by ``cockpit ingest --once`` into a real cache, checked
row by row. Covers a token that expires early, numeric strings, ``limit`` paging, a gateway's
late upload and an out-of-order point; a second run adds the late rows and nothing twice."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from support import ROOT

from cockpit.data.ingest import load
from cockpit.data.store import Store
from cockpit.demo.apis.thingsboard import device_id
from feeds.http import HttpPolicy
from feeds.thingsboard import ThingsBoardFeed

FIXTURE = ROOT / "tests" / "fixtures" / "conformance" / "thingsboard"
USER, PASSWORD = "tenant@thingsboard.org", "tb-conformance-secret"
A = "784f394c-42b6-435a-983c-b7beff2784f9"
B = "a3a7a6a0-0b5f-11ef-9c2e-3f1a2b4c5d6e"
C = "c0ffee00-1234-4cde-8f00-aabbccddeeff"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
#: (device, key) -> [(minutes after T0, value)], as the recorded strings mean them
FIRST = {
    (A, "aqi"): [(20, 52), (25, 53.5), (30, 55), (35, 56.5), (40, 58)],
    (A, "pm25"): [(20, 31), (25, 32.25), (30, 33), (35, 33.75), (40, 35)],
    (B, "aqi"): [(10, 62), (15, 63), (20, 64), (25, 65), (30, 66), (35, 67), (40, 68)],
    (B, "pm25"): [(30, 40), (40, 10)],  # "1e1"
    (C, "aqi"): [(0, 70), (5, 71), (10, 72), (15, 73), (20, 74), (25, 75)],
}
LATE = {(C, "aqi"): [(22.5, 74.5), (30, 76), (35, 77), (40, 78)]}
WHERE = {A: ("370705", 36.707, 119.132), B: ("370702", 36.71, 119.10),
         C: ("370703", 36.772, 119.211)}


def make_jwt(subject: str, exp: float) -> str:
    """A token shaped like ThingsBoard's: HS512 header, sub/scopes/iss/exp claims."""
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return ".".join((b64({"alg": "HS512"}), b64({"sub": subject, "scopes": ["TENANT_ADMIN"],
                                                  "iss": "thingsboard.io", "exp": int(exp)}),
                     secrets.token_urlsafe(32)))


class ThingsBoard(ThreadingHTTPServer):
    """The recorded tenant, answering as ThingsBoard's controllers do."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.devices = json.loads((FIXTURE / "devices.json").read_text("utf-8"))
        self.attributes = json.loads((FIXTURE / "attributes.json").read_text("utf-8"))
        recorded = json.loads((FIXTURE / "timeseries.json").read_text("utf-8"))
        self.series, self.late = recorded["uploaded"], recorded["uploaded_late"]
        self.tokens: dict[str, int] = {}  # token -> requests left (first login: 3)
        self.refresh: set[str] = set()
        self.calls: list[str] = []
        self.ignore_page = False  # a proxy that drops ``page`` but keeps hasNext
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def upload_late(self) -> None:
        with self.lock:
            for dev, keys in self.late.items():
                for key, points in keys.items():
                    self.series.setdefault(dev, {}).setdefault(key, []).extend(points)

    def pair(self, uses: int) -> dict[str, str]:
        exp = datetime.now(UTC).timestamp() + 9000
        token, refresh = make_jwt(USER, exp), make_jwt(USER, exp + 86400)
        self.tokens[token] = uses
        self.refresh.add(refresh)
        return {"token": token, "refreshToken": refresh}


class _Handler(BaseHTTPRequestHandler):
    server: ThingsBoard
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: int) -> None:
        self._send(status, {"status": status, "message": message, "errorCode": code,
                            "timestamp": 1795141200000})

    def do_POST(self) -> None:
        srv = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = urlsplit(self.path).path
        with srv.lock:
            srv.calls.append(path)
            if path == "/api/auth/login":
                if (body.get("username"), body.get("password")) != (USER, PASSWORD):
                    return self._error(401, "Invalid username or password", 10)
                return self._send(200, srv.pair(3))
            if path == "/api/auth/token" and body.get("refreshToken") in srv.refresh:
                return self._send(200, srv.pair(1000))
        self._error(401, "Invalid refresh token", 10)

    def do_GET(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        q = dict(parse_qsl(url.query))
        token = self.headers.get("X-Authorization", "").removeprefix("Bearer ")
        with srv.lock:
            srv.calls.append(url.path)
            if srv.tokens.get(token, 0) <= 0:
                return self._error(401, "Token has expired", 11)
            srv.tokens[token] -= 1
            if url.path == "/api/tenant/devices":
                size, page = int(q["pageSize"]), int(q["page"])
                data = srv.devices["data"]
                if srv.ignore_page:
                    return self._send(200, {"data": data[:2], "totalPages": 2,
                                            "totalElements": len(data), "hasNext": True})
                return self._send(200, {"data": data[page * size:(page + 1) * size],
                                        "totalPages": -(-len(data) // size),
                                        "totalElements": len(data),
                                        "hasNext": (page + 1) * size < len(data)})
            parts = url.path.split("/")  # /api/plugins/telemetry/DEVICE/{id}/values/{what}
            dev = parts[5]
            if parts[7] == "attributes":
                return self._send(200, srv.attributes[dev])
            start, end, limit = int(q["startTs"]), int(q["endTs"]), int(q.get("limit", 100))
            out = {}
            for key in q["keys"].split(","):
                points = sorted((p for p in srv.series.get(dev, {}).get(key, [])
                                 if start <= p["ts"] <= end), key=lambda p: p["ts"],
                                reverse=q.get("orderBy", "DESC") == "DESC")[:limit]
                if points:
                    out[key] = points
            return self._send(200, out)


@pytest.fixture
def tb():
    server = ThingsBoard()
    yield server
    server.shutdown()
    server.server_close()


def _ingest(config: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--once", "--config",
                           str(config), "--cache", str(cache)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TB_PASSWORD": PASSWORD})


def _expected(*tables: dict) -> list[tuple]:
    rows = []
    for table in tables:
        for (dev, key), points in table.items():
            district, lat, lon = WHERE[dev]
            rows += [(T0 + timedelta(minutes=m), "设备平台", dev, "tb_device", key, float(v),
                      district, lat, lon) for m, v in points]
    return sorted(rows)


def _rows(cache: Path) -> list[tuple]:
    with Store(cache, read_only=True) as store:
        return store.reader().execute(
            "SELECT ts, feed, entity_id, entity_type, metric, value, district, lat, lon "
            "FROM observations ORDER BY ALL").fetchall()


@pytest.mark.slow  # two `cockpit ingest` processes, ~4 s each
def test_thingsboard_tenant_ingested_row_by_row_with_late_upload(tb, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(f'''version = 1
[store]
retention_days = 3650
[[feeds]]
name = "设备平台"
kind = "thingsboard"
url = "{tb.url}"
interval = "1m"
username = "{USER}"
password_env = "TB_PASSWORD"
keys = ["aqi", "pm25"]
limit = 3
lookback_s = 900
backfill_s = 315360000
''', encoding="utf-8")
    cache = tmp_path / "cache.duckdb"
    first = _ingest(config, cache)
    assert first.returncode == 0, first.stdout + first.stderr
    states = {line.split()[0]: line.split()[1] for line in first.stdout.splitlines() if line.strip()}
    assert states == {"设备平台": "ok"}, first.stdout
    assert PASSWORD not in first.stdout + first.stderr
    assert _rows(cache) == _expected(FIRST)
    # the first token was refused early (errorCode 11): renewed with the refresh token once
    assert tb.calls.count("/api/auth/login") == 1 and tb.calls.count("/api/auth/token") == 1
    # a key that filled limit=3 was read on: B's aqi took three requests, none cut
    with Store(cache, read_only=True) as store:
        ents = store.reader().execute(
            "SELECT entity_id, name, status, district, lat, lon, json_extract_string(attrs, "
            "'$.tb_name') FROM entities ORDER BY entity_id").fetchall()
        mark = json.loads(store.checkpoint("设备平台"))
        health = store.reader().execute(
            "SELECT partial, last_error FROM feed_health").fetchone()
    assert ents == [
        (A, "奎文区东风街监测站", "online", "370705", 36.707, 119.132, "A4B72CCDFF33"),
        (B, "潍城区胜利街监测站", "offline", "370702", 36.71, 119.10, "B8C9D0E1F203"),
        (C, "GW01-HT-07", "online", "370703", 36.772, 119.211, "GW01-HT-07")]
    assert health == (False, None)
    # checkpoints per device and key: the gateway's child stands where its data ends
    assert mark["series"][C] == {"aqi": int((T0 + timedelta(minutes=25)).timestamp() * 1000)}
    assert mark["series"][A]["pm25"] == int((T0 + timedelta(minutes=40)).timestamp() * 1000)

    tb.upload_late()  # the gateway forwards its buffer, one point out of order
    second = _ingest(config, cache)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _rows(cache) == _expected(FIRST, LATE)  # the late rows, and nothing twice


def test_simulator_plays_a_late_gateway_and_renews_a_token_before_it_expires(sim, store,
                                                                             clock):
    """`cockpit simulate` can hold a station's points back as a late gateway does; the feed
    loads them once they arrive, and renews its token from its exp claim, not only on 401."""
    feed = ThingsBoardFeed("设备平台", 5, {"url": sim.url, "username": "tenant@weifang.gov.cn",
                                       "password": "tenant", "keys": ["aqi"]},
                           requests.Session(), policy=HttpPolicy(retries=0))
    late = device_id("370705")
    sim.sim.tb_late_s = {"370705": 600}  # 奎文区's gateway forwards its points 10 min late
    load(feed, store, clock.now())
    per_device = dict(store.reader().execute(
        "SELECT entity_id, count(*) FROM observations GROUP BY 1").fetchall())
    assert per_device.pop(late) == 4 and set(per_device.values()) == {6}  # 30 min of history
    sim.sim.tb_late_s = {}  # the buffer arrives
    clock.advance()
    ahead = iter([time.time() + 9000])  # the next request finds the token past its exp claim
    feed.clock = lambda: next(ahead, time.time())
    load(feed, store, clock.now())
    per_device = dict(store.reader().execute(
        "SELECT entity_id, count(DISTINCT ts) FROM observations GROUP BY 1").fetchall())
    assert set(per_device.values()) == {7} and len(per_device) == 12
    assert store.reader().execute("SELECT count(*) FROM observations").fetchone()[0] == 12 * 7
    assert sum(p.startswith("/api/auth/token") for p in sim.sim.log) == 1


def test_the_old_single_checkpoint_is_read_as_every_series_mark(tb, store):
    """A cache written before checkpoints per device and key holds one ISO time for the feed:
    every device's keys are read from it minus the look-back, and the new form replaces it."""
    store.set_checkpoint("设备平台", (T0 + timedelta(minutes=25)).isoformat(), T0)
    feed = ThingsBoardFeed("设备平台", 60, {"url": tb.url, "username": USER, "password": PASSWORD,
                                        "keys": ["aqi", "pm25"], "limit": 3, "lookback_s": 900},
                           requests.Session(), policy=HttpPolicy(retries=0))
    load(feed, store, T0 + timedelta(hours=1))
    since = T0 + timedelta(minutes=10)  # 02:25 minus 15 minutes
    assert [r for r in _rows_of(store) if r[0] >= since] == [
        r for r in _expected(FIRST) if r[0] >= since]
    assert not [r for r in _rows_of(store) if r[0] < since]
    assert set(json.loads(store.checkpoint("设备平台"))["series"]) == {A, B, C}


def _rows_of(store: Store) -> list[tuple]:
    return store.reader().execute(
        "SELECT ts, feed, entity_id, entity_type, metric, value, district, lat, lon "
        "FROM observations ORDER BY ALL").fetchall()


def test_a_device_listing_that_repeats_itself_is_partial_not_endless(tb, store):
    tb.ignore_page = True
    feed = ThingsBoardFeed("设备平台", 60, {"url": tb.url, "username": USER, "password": PASSWORD,
                                        "keys": ["aqi"], "backfill_s": 315360000},
                           requests.Session(), policy=HttpPolicy(retries=0))
    load(feed, store, T0 + timedelta(hours=1))
    assert tb.calls.count("/api/tenant/devices") == 2
    assert feed.partial == "设备列表第 2 页与前页重复，停止翻页"
    assert store.reader().execute("SELECT count(DISTINCT entity_id) FROM observations"
                                  ).fetchone()[0] == 2  # what was listed is still loaded
