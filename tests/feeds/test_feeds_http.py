"""The shared HTTP layer against real servers on loopback: deadline, retries, Retry-After,
size cap, dropped connections, garbage, and redaction of what reaches logs (no Qt)."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from support import FIXTURES
from support.feedkit import reply
from support.waiting import eventually

from cockpit.data.ingest import FeedRunner
from feeds.errors import FetchError, Malformed, RetryLater, TooLarge, redact
from feeds.http import MAX_BYTES_CAP, HttpClient, HttpPolicy, parse_retry_after

FAST = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=1.0, retries=2, backoff=0.01,
                  backoff_max=0.05)


def _client(**kw) -> HttpClient:
    return HttpClient(requests.Session(), "测试源", kw.pop("policy", FAST), **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redact_a_real_connection_error_text():
    url = f"http://admin:hunter22@127.0.0.1:{_free_port()}/api/v1/x?token=SEKRET123&page=2"
    with pytest.raises(requests.ConnectionError) as err:
        requests.get(url, timeout=1)
    raw = str(err.value)
    assert "SEKRET123" in raw  # what requests puts in its message: the whole query
    clean = redact(raw, secrets=("hunter22",))
    assert "SEKRET123" not in clean and "hunter22" not in clean
    assert "token=***" in clean and "page=***" in clean and "/api/v1/x" in clean
    assert redact("Authorization: Bearer abc.def.ghi") == "Authorization: Bearer ***"
    assert redact("http://u:p@host/a") == "http://***@host/a"


def test_urllib3_debug_log_lines_are_redacted(scripted, caplog):
    server = scripted(lambda h, n: reply(h, 200, {}))
    with caplog.at_level("DEBUG", logger="urllib3"):
        _client().get(server.url + "/api", params={"since": "2026-11-28T10:00", "sig": "ZZZ999"})
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/api?since=***&sig=***" in line for line in lines), lines
    assert not any("ZZZ999" in line for line in lines)


def test_connection_refused_is_a_redacted_fetch_error():
    client = _client(secrets=("SEKRET123",))
    with pytest.raises(FetchError) as err:
        client.get(f"http://127.0.0.1:{_free_port()}/x", params={"token": "SEKRET123"})
    assert "SEKRET123" not in str(err.value) and "after 3 attempts" in str(err.value)


def test_slow_trickle_is_cut_at_the_deadline(scripted):
    def trickle(h, n):
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        for _ in range(100):  # one byte every 0.2 s: each read is well within read_timeout
            if h.server.halted.wait(0.2):
                return
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return

    server = scripted(trickle)
    client = _client(policy=HttpPolicy(read_timeout=2, deadline=0.8, retries=0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline"):
        client.get(server.url + "/slow")
    assert time.monotonic() - started < 2.0


def test_500_is_retried_with_backoff_then_succeeds(scripted):
    server = scripted(lambda h, n: reply(h, 500 if n < 2 else 200, {"ok": n}))
    sleeps: list[float] = []
    client = _client(sleep=sleeps.append)
    resp = client.get(server.url + "/flaky")
    assert resp.json("测试源") == {"ok": 2} and len(server.seen) == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.01 and 0 <= sleeps[1] <= 0.02  # jittered


def test_500_forever_fails_after_the_retries(scripted):
    server = scripted(lambda h, n: reply(h, 500, {"error": "boom"}))
    with pytest.raises(FetchError, match="HTTP 500"):
        _client(sleep=lambda s: None).get(server.url + "/down")
    assert len(server.seen) == 3


def test_retry_after_is_raised_capped_not_slept(scripted):
    server = scripted(lambda h, n: reply(h, 429, {}, {"Retry-After": "7200"}))
    sleeps: list[float] = []
    with pytest.raises(RetryLater) as err:
        _client(sleep=sleeps.append).get(server.url + "/busy")
    assert err.value.delay_s == FAST.retry_after_cap and sleeps == [] and len(server.seen) == 1
    when = (datetime.now(UTC) + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 85 <= parse_retry_after(when) <= 90


def test_runner_reschedules_a_feed_by_retry_after(scripted, store):
    server = scripted(lambda h, n: reply(h, 503, {}, {"Retry-After": "30"}))

    class Busy:
        name, interval_s = "忙碌源", 0.05

        def describe(self):
            return {}

        def backfill(self, store, now):
            _client().get(server.url + "/busy")

        tick = backfill

    runner = FeedRunner(store, [Busy()])
    runner.start()
    eventually(lambda: runner.delays, message="the busy answer is heard")
    time.sleep(0.4)  # the test: a runner without back-off would ask again every 50 ms meanwhile
    runner.stop()
    assert len(server.seen) == 1  # 30 s ahead, not every 50 ms
    assert runner.delays == {"忙碌源": 30.0}
    error = store.reader().execute("SELECT last_error FROM feed_health").fetchone()[0]
    assert "Retry-After 30" in error


def test_dropped_connection_is_a_fetch_error(scripted):
    def drop(h, n):
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)

    server = scripted(drop)
    with pytest.raises(FetchError):
        _client(sleep=lambda s: None).get(server.url + "/drop")
    assert len(server.seen) == 3  # retried like any connection error


def test_garbage_body_is_rejected_naming_the_feed(scripted):
    server = scripted(lambda h, n: reply(h, 200, b"<html>\x00\xff oops"))
    with pytest.raises(Malformed) as err:
        _client().get(server.url + "/garbage").json("测试源")
    assert "测试源" in str(err.value) and "not JSON" in str(err.value)


def test_slow_headers_are_cut_at_the_deadline_too(scripted):
    def slow_headers(h, n):
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(50):  # a header line, one byte every 0.2 s
            if h.server.halted.wait(0.2):
                return
            try:
                h.wfile.write(b"X")
                h.wfile.flush()
            except OSError:
                return

    server = scripted(slow_headers)
    client = _client(policy=HttpPolicy(read_timeout=2, deadline=0.8, retries=0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline"):
        client.get(server.url + "/slow-headers")
    assert time.monotonic() - started < 2.0


def test_tls_verification_stays_on_even_if_the_session_turns_it_off(scripted):
    import ssl

    tls = FIXTURES / "tls"
    server = scripted(lambda h, n: reply(h, 200, {"ok": True}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "selfsigned.pem", tls / "selfsigned.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    session = requests.Session()
    session.verify = False  # someone's "quick fix" must not reach the feeds
    client = HttpClient(session, "测试源", HttpPolicy(retries=0))
    url = f"https://127.0.0.1:{server.server_address[1]}/secure"
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        client.get(url)


def test_an_announced_over_cap_body_is_refused_unread_and_not_asked_again(scripted):
    server = scripted(lambda h, n: reply(h, 200, b"[" + b"1," * 5000 + b"1]"))
    with pytest.raises(TooLarge, match="announces 10003 bytes, over the cap of 1000"):
        _client(policy=HttpPolicy(max_bytes=1000, retries=2)).get(server.url + "/big")
    assert len(server.seen) == 1  # deterministic: a retry would fetch the same bytes again


def test_a_streamed_body_stops_at_the_cap_not_at_its_end(scripted):
    """No Content-Length: only reading shows the size. 64 MiB offered, 1 MiB allowed: the
    client reads a little past the cap, closes, and never asks again."""
    sent = []

    def endless(h, n):
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        chunk, total = b" " * 65536, 0
        try:
            for _ in range(1024):
                h.wfile.write(chunk)
                total += len(chunk)
        except OSError:
            pass
        sent.append(total)

    server = scripted(endless)
    with pytest.raises(TooLarge, match="over the cap of 1048576 bytes"):
        _client(policy=HttpPolicy(max_bytes=2**20, retries=2)).get(server.url + "/endless")
    eventually(lambda: sent, message="the server's writes ended")
    assert len(server.seen) == 1 and sent[0] < 16 * 2**20  # of 64 MiB


def test_max_bytes_above_the_cap_is_refused_naming_it():
    with pytest.raises(ValueError, match="256 MiB"):
        HttpPolicy(max_bytes=2_000_000_000)
    assert HttpPolicy(max_bytes=MAX_BYTES_CAP).max_bytes == 256 * 2**20


@pytest.mark.parametrize(("status", "asked"), [(400, 1), (401, 1), (403, 1), (404, 1), (410, 1),
                                               (408, 3), (429, 3), (502, 3), (503, 3)])
def test_only_statuses_that_may_change_are_asked_again(scripted, status, asked):
    server = scripted(lambda h, n: reply(h, status, {"msg": "no"}))
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        _client(sleep=lambda s: None).get(server.url + "/x")
    assert len(server.seen) == asked


def test_a_short_retry_after_is_waited_out_and_asked_again(scripted):
    when = (datetime.now(UTC) + timedelta(seconds=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    answers = [(503, {"Retry-After": "2"}), (429, {"Retry-After": when})]
    server = scripted(lambda h, n: reply(h, answers[n][0], {}, answers[n][1]) if n < 2
                      else reply(h, 200, {"ok": n}))
    sleeps: list[float] = []
    resp = _client(sleep=sleeps.append).get(server.url + "/busy")
    assert resp.json("测试源") == {"ok": 2} and len(server.seen) == 3
    assert sleeps[0] == 2.0 and 1.0 <= sleeps[1] <= 3.0  # seconds, then an HTTP date


def test_a_retry_after_on_the_last_attempt_goes_to_the_runner(scripted):
    server = scripted(lambda h, n: reply(h, 503, {}, {"Retry-After": "1"}))
    with pytest.raises(RetryLater) as err:
        _client(sleep=lambda s: None).get(server.url + "/busy")
    assert len(server.seen) == 3 and err.value.delay_s == 1.0
