"""Expiring tokens on the middle-platform gateway (``auth.type = "token"``), against a gateway on
loopback that hands out tokens for an app key and secret and refuses them after a number of
requests or once their lifetime is over, as real API gateways do: the token is renewed before
it expires, a refused request (401) fetches a new token and is sent once more, nothing is lost,
and no token or secret reaches a log line, an error or the feed's health."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from cockpit.data.ingest import FeedRunner, load
from feeds.errors import FetchError
from feeds.http import HttpPolicy
from feeds.rest import RestFeed

APP_KEY, SECRET = "wall-app-7f3a", "s3cr3t-Qx9-appsecret"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
RECORDS = [{"t": (NOW - timedelta(minutes=m)).isoformat(), "e": f"s{m}", "m": "aqi", "v": m}
           for m in range(10)]


class Gateway(ThreadingHTTPServer):
    """``POST /auth/token`` ({"appKey", "appSecret"} -> {"code": 0, "data": {"token",
    "expires_in"}}) and ``GET /api/data`` (page/pageSize) behind ``Authorization: Bearer``.
    A token is refused (401, the gateway's JSON error) after ``uses`` requests or once
    ``lifetime`` seconds of the gateway's clock (``now``, moved by the test) have passed."""

    daemon_threads = True

    def __init__(self, uses: int = 1000, lifetime: float = 3600) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.uses, self.lifetime, self.now = uses, lifetime, 0.0
        self.tokens: dict[str, list[float]] = {}  # token -> [issued at, requests served]
        self.paths: list[str] = []
        self.refused = 0
        self.revoked = False  # refuse every token (a gateway that lost its sessions for good)
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        srv = self.server
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with srv.lock:
            srv.paths.append(self.path)
            if urlsplit(self.path).path != "/auth/token" or body != {"appKey": APP_KEY,
                                                                     "appSecret": SECRET}:
                return self._send(403, {"code": 403, "msg": "invalid appKey or appSecret"})
            token = f"tok-{len(srv.tokens) + 1}-{'x' * 24}"
            srv.tokens[token] = [srv.now, 0]
        self._send(200, {"code": 0, "msg": "success",
                         "data": {"token": token, "expires_in": srv.lifetime}})

    def do_GET(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        q = dict(parse_qsl(url.query))
        auth = self.headers.get("Authorization", "")
        with srv.lock:
            srv.paths.append(self.path)
            held = srv.tokens.get(auth.removeprefix("Bearer "))
            if (srv.revoked or held is None or held[1] >= srv.uses
                    or srv.now - held[0] >= srv.lifetime):
                srv.refused += 1
                return self._send(401, {"code": 401, "msg": "token expired"})
            held[1] += 1
        page, size = int(q["page"]), int(q["pageSize"])
        self._send(200, {"code": 0, "msg": "", "data": {
            "list": RECORDS[(page - 1) * size: page * size], "total": len(RECORDS)}})


@pytest.fixture
def gateway():
    servers: list[Gateway] = []

    def start(**kw) -> Gateway:
        servers.append(Gateway(**kw))
        return servers[-1]

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _feed(url: str, **auth) -> RestFeed:
    options = {"url": f"{url}/api/data", "paging": {"type": "page", "size": 2},
               "mapping": {"ts": "t", "entity_id": "e", "metric": "m", "value": "v"},
               "auth": {"type": "token", "token_url": f"{url}/auth/token",
                        "app_key_env": "GW_KEY", "secret_env": "GW_SECRET", **auth}}
    return RestFeed("数据中台", 60, options, requests.Session(),
                    policy=HttpPolicy(retries=0, deadline=5),
                    env={"GW_KEY": APP_KEY, "GW_SECRET": SECRET})


def _leaks(text: str, gw: Gateway) -> list[str]:
    return [s for s in (SECRET, *gw.tokens) if s in text]


def test_a_token_refused_after_some_requests_is_renewed_and_the_request_sent_again(
        gateway, store, caplog):
    """Tokens good for 2 requests each: a load of 5 pages is refused twice mid-way, fetches a
    new token each time, sends each refused page once more and loads all 10 records, once."""
    gw = gateway(uses=2)
    feed = _feed(gw.url)
    with caplog.at_level(logging.DEBUG):
        FeedRunner(store, [feed], clock=lambda: NOW).backfill_all()
    assert store.reader().execute("SELECT count(*), count(DISTINCT entity_id) FROM observations"
                                  ).fetchone() == (10, 10)
    assert feed.partial is None
    assert len(gw.tokens) == 3 and gw.refused == 2  # pages 3 and 5 were refused, then sent again
    data = [p for p in gw.paths if p.startswith("/api/data")]
    assert [dict(parse_qsl(urlsplit(p).query))["page"] for p in data] == [
        "1", "2", "3", "3", "4", "5", "5"]
    assert [p for p in gw.paths if not p.startswith("/api/data")] == ["/auth/token"] * 3
    health = store.reader().execute("SELECT last_error, partial FROM feed_health").fetchall()
    assert health == [(None, False)]
    assert "HTTP 401" in caplog.text and not _leaks(caplog.text, gw)


def test_a_token_is_renewed_before_it_expires_and_a_second_401_fails_naming_no_token(
        gateway, store, caplog):
    """A token valid 100 s (the gateway's clock) is renewed 50 s in (refresh_before_s = 60, at
    most half the lifetime), so the gateway never has to refuse it; a gateway that refuses the
    new token too fails the load after one new token, the error naming neither."""
    gw = gateway(lifetime=100)
    feed = _feed(gw.url)
    t = [1000.0]
    feed.auth.clock = lambda: t[0]
    with caplog.at_level(logging.DEBUG):
        assert load(feed, store, NOW) == 10
        assert len(gw.tokens) == 1
        t[0] += 55
        gw.now += 55  # still valid for the gateway, but due for renewal here
        assert load(feed, store, NOW) == 0  # nothing new, nothing doubled
        assert len(gw.tokens) == 2 and gw.refused == 0
        t[0] += 30
        gw.now += 30  # the first token has expired by now; the second has not
        load(feed, store, NOW)
        assert len(gw.tokens) == 2 and gw.refused == 0

        gw.revoked = True
        with pytest.raises(FetchError) as err:
            load(feed, store, NOW)
    assert "HTTP 401 from /api/data with a new token" in str(err.value)
    assert len(gw.tokens) == 3 and gw.refused == 2  # refused, a new token, refused: given up
    assert not _leaks(caplog.text + str(err.value), gw)


def test_a_refused_app_secret_fails_the_load_without_showing_it(gateway, store, caplog):
    gw = gateway()
    feed = _feed(gw.url, secret_param="secret")  # the gateway wants appSecret
    with caplog.at_level(logging.DEBUG), pytest.raises(FetchError) as err:
        load(feed, store, NOW)
    assert "HTTP 403" in str(err.value) and "invalid appKey or appSecret" in str(err.value)
    assert not _leaks(caplog.text + str(err.value), gw)
    assert [p for p in gw.paths] == ["/auth/token"]  # the secret in the body, never the URL
