"""Issue 16's attacks on the control API, against a running wall (a child process, offscreen) on
loopback: one case per finding of the control channel.

1. huge ``Host`` / ``Origin`` headers froze the GUI (a quadratic redaction of a whole header
   logged before any token check) and flooded the audit;
3. connections were not capped, and a slow or idle client kept its connection forever;
4. requests with no token locked the right token out;
5. a 401-digit ``ts`` raised on the server's thread, odd Content-Lengths were taken, client
   disconnects printed tracebacks;
6. ``ack`` audited ids that are no open alert as acknowledged; control characters from a
   client reached the log and ``cockpit control log``'s terminal.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
from support import ROOT
from support.walls import TOKEN, WallProcess, free_port, site_config

from cockpit.control import server as control_server

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    port = free_port()
    config = site_config(folder, port=port)
    proc = WallProcess(config, folder / "wall.duckdb", env={"COCKPIT_STALL_SECONDS": "2"})
    try:
        proc.wait_for(r"control on http://127\.0\.0\.1:\d+", timeout=60)
        proc.port = port
        proc.config = config
        yield proc
    finally:
        proc.stop()
    assert TOKEN not in proc.text, "the token reached the log"
    for word in ("Traceback", "BrokenPipe", "GUI thread stalled"):
        assert word not in proc.text, proc.text[-3000:]


def raw(port: int, data: bytes, *, source: str = "127.0.0.1", timeout: float = 15) -> bytes:
    """Send ``data``, shut the sending side, read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def request(port: int, method: str, path: str, *, headers: dict | None = None, body: bytes = b"",
            token: str | None = TOKEN, source: str = "127.0.0.1") -> tuple[int, dict | bytes]:
    hdrs = {"Host": f"127.0.0.1:{port}", **({"Authorization": f"Bearer {token}"} if token else {}),
            **({"Content-Type": "application/json", "Content-Length": str(len(body))}
               if method == "POST" else {}), "Connection": "close", **(headers or {})}
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    answer = raw(port, head.encode() + b"\r\n" + body, source=source)
    status = int(answer.split(b" ", 2)[1])
    payload = answer.split(b"\r\n\r\n", 1)[1]
    return status, json.loads(payload) if payload.startswith(b"{") else payload


def cmd(**fields) -> bytes:
    return json.dumps({"ts": time.time(), "sender": "attacks", **fields}).encode()


def entries(wall) -> list[dict]:
    return request(wall.port, "GET", "/api/log")[1]["entries"]


# -- 1 ------------------------------------------------------------------------------------------
def test_redaction_is_linear_on_65_kb():
    from feeds.errors import redact

    for text in ("a" * 65_536, "?" * 65_536, "a:" * 32_768, "http://u:p@h/x?a=1&b=2 " * 2_800):
        best = min(_timed(redact, text) for _ in range(3))
        assert best < 0.05, f"{text[:12]!r}…: {best * 1000:.0f} ms"
    assert redact("http://user:pw@host/x?key=1 Bearer abcdefgh") == "http://***@host/x?key=*** Bearer ***"


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


@slow
def test_1_huge_host_and_origin_headers_neither_freeze_the_wall_nor_flood_log_and_audit(wall):
    mark, source = wall.mark(), "127.0.3.1"
    started = time.monotonic()
    for header in ("Host", "Origin"):  # over the header limit: the parser refuses them
        for _ in range(4):
            status, _ = request(wall.port, "GET", "/api/status", headers={header: "a" * 65_000},
                                token=None, source=source)
            assert status in (400, 431)
    for _ in range(30):  # under it: refused by the gate, before the token
        status, answer = request(wall.port, "POST", "/api/switch", body=cmd(layout="safety"),
                                 headers={"Host": "h" * 4_000}, token=None, source=source)
        assert status == 403 and len(answer["error"]) < 300
    assert time.monotonic() - started < 15
    status, body = request(wall.port, "GET", "/api/status")
    assert status == 200 and body["control"]["refused_unauthenticated"] >= 38
    lines = wall.lines[mark:]
    assert all(len(line) < 1_000 for line in lines), max(lines, key=len)[:300]
    noted = [line for line in lines if source in line and "refused" in line]
    assert 0 < len(noted) <= control_server.NOTE_PER_MINUTE
    audited = [e for e in entries(wall) if e["client"] == source]
    assert 0 < len(audited) <= control_server.NOTE_PER_MINUTE
    assert all(len(e["outcome"]) <= 400 and len(e["detail"]) <= 400 for e in audited)
    assert request(wall.port, "POST", "/api/switch", body=cmd(layout="overview"))[0] == 200


# -- 3 ------------------------------------------------------------------------------------------
def _idle(source: str, port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    return s


def _closed_soon(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@slow
def test_3_connections_are_capped_per_client_and_in_all(wall):
    per, total = control_server.MAX_PER_CLIENT, control_server.MAX_CONNECTIONS
    held = [_idle("127.0.4.1", wall.port) for _ in range(per)]
    try:
        time.sleep(0.3)
        extra = _idle("127.0.4.1", wall.port)
        assert _closed_soon(extra, 3), "a client's connection over its cap was kept"
        extra.close()
        assert request(wall.port, "GET", "/api/status", source="127.0.4.2")[0] == 200
        for i in range(total // per - 1):
            held += [_idle(f"127.0.4.{10 + i}", wall.port) for _ in range(per)]
        time.sleep(0.3)
        # at the cap in all, a new client still gets in: an idle connection of the address
        # holding the most makes room (a few addresses cannot keep the tablet out)
        extra = _idle("127.0.4.3", wall.port)
        assert not _closed_soon(extra, 1), "a new client was kept out at the cap in all"
        held.append(extra)
        assert sum(_closed_soon(s, 0.01) for s in held) == 1
        assert request(wall.port, "GET", "/api/status", source="127.0.4.4")[0] == 200
    finally:
        for s in held:
            s.close()
    time.sleep(0.5)
    assert request(wall.port, "GET", "/api/status")[0] == 200  # free again


@slow
def test_3_idle_and_slow_clients_are_timed_out(wall):
    limit = control_server.KEEPALIVE_S
    results: dict[str, float | None] = {}

    def trickle(name: str, first: bytes, drip: bytes) -> None:
        s = socket.create_connection(("127.0.0.1", wall.port), timeout=limit + 15,
                                     source_address=(f"127.0.5.{len(results) + 1}", 0))
        started = time.monotonic()
        results[name] = None
        try:
            s.sendall(first)
            while time.monotonic() - started < limit + 12:
                s.settimeout(2)
                try:
                    if s.recv(65536) == b"":
                        break
                except TimeoutError:
                    s.sendall(drip)  # one byte every two seconds
            else:
                return
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        results[name] = time.monotonic() - started

    body_head = (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{wall.port}\r\nAuthorization: "
                 f"Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{").encode()
    runs = [("idle", b"", b""), ("headers", b"GET /api/status HTTP/1.1\r\n", b"X"),
            ("body", body_head, b" ")]
    threads = [threading.Thread(target=trickle, args=run) for run in runs]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert results["idle"] is not None and results["idle"] < limit + 3, results
    assert results["headers"] is not None and results["headers"] < limit + 3, results
    assert results["body"] is not None and results["body"] < control_server.BODY_S + 3, results


# -- 4 ------------------------------------------------------------------------------------------
@slow
def test_4_requests_without_a_token_do_not_lock_the_right_token_out(wall):
    source = "127.0.6.1"
    for _ in range(10):  # what an <img src> on any page sends
        assert request(wall.port, "GET", "/api/status", token=None, source=source)[0] == 401
    assert request(wall.port, "GET", "/api/status", source=source)[0] == 200
    for _ in range(5):  # a presented wrong token still counts
        assert request(wall.port, "GET", "/api/status", token="w" * 24, source=source)[0] == 401
    assert request(wall.port, "GET", "/api/status", source=source)[0] == 429


# -- 5 ------------------------------------------------------------------------------------------
@slow
def test_5_a_401_digit_ts_is_a_400_saying_why_and_audited(wall):
    body = b'{"layout": "safety", "sender": "attacks", "ts": ' + b"9" * 401 + b"}"
    status, answer = request(wall.port, "POST", "/api/switch", body=body)
    assert status == 400 and answer["field"] == "ts" and "ts out of range" in answer["error"]
    assert any(e["outcome"].startswith("refused: ignored: ts out of range") for e in entries(wall))
    status, answer = request(wall.port, "POST", "/api/switch",
                             body=b'{"layout": "safety", "sender": "a", "ts": ' + b"9" * 5000 + b"}")
    assert status == 400 and "not valid JSON" in answer["error"]


@slow
@pytest.mark.parametrize("length", ["1_0", "+60", "-1", "1e3", "0x10", "6 0"])
def test_5_content_length_must_be_plain_digits(wall, length):
    head = (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{wall.port}\r\nAuthorization: Bearer "
            f"{TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
            f"Connection: close\r\n\r\n").encode()
    answer = raw(wall.port, head + cmd(layout="safety"))
    assert answer.startswith(b"HTTP/1.") and int(answer.split(b" ", 2)[1]) == 400, answer[:200]


@slow
def test_5_clients_that_vanish_print_no_traceback(wall):
    mark = wall.mark()
    get = (f"GET /api/screens/1.png HTTP/1.1\r\nHost: 127.0.0.1:{wall.port}\r\n"
           f"Authorization: Bearer {TOKEN}\r\n\r\n").encode()
    post = (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{wall.port}\r\nAuthorization: Bearer "
            f"{TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{").encode()
    for data in [get] * 20 + [post] * 20:
        s = socket.create_connection(("127.0.0.1", wall.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
        s.sendall(data)
        time.sleep(0.01)
        s.close()
    time.sleep(1.5)
    assert request(wall.port, "GET", "/api/status")[0] == 200
    text = "\n".join(wall.lines[mark:])
    assert "Traceback" not in text and "BrokenPipe" not in text and "Error handling" not in text


# -- 6 ------------------------------------------------------------------------------------------
@slow
def test_6_ack_refuses_ids_that_are_not_open_alerts_and_audits_the_refusal(wall):
    status, answer = request(wall.port, "POST", "/api/ack",
                             body=cmd(alert_ids=["no-such-alert", "x\x1b]0;pwned\x07"]))
    assert status == 409 and answer["field"] == "alert_ids" and "no open alert" in answer["error"]
    entry = next(e for e in entries(wall) if e["action"] == "ack")
    assert entry["outcome"].startswith("refused: no open alert 'no-such-alert'")
    assert "\x1b" not in entry["outcome"] and "\x1b" not in entry["detail"]
    assert not any(e["action"] == "ack" and e["outcome"] == "ok" and "no-such-alert" in e["detail"]
                   for e in entries(wall))


@slow
def test_6_control_characters_are_escaped_in_the_log_and_the_command_line(wall):
    mark = wall.mark()
    forged = "t\n2026-01-01 00:00:00 INFO admin switch ok\x1b]0;pwned\x07"
    body = json.dumps({"ts": time.time(), "sender": forged, "layout": "safety"}).encode()
    assert request(wall.port, "POST", "/api/switch", body=body)[0] == 200
    wall.wait_for(r"control: switch safety by tablet", start=mark)
    request(wall.port, "POST", "/api/switch", body=cmd(layout="overview"))
    lines = wall.lines[mark:]
    assert not any(line.startswith("2026-01-01") or "\x1b" in line for line in lines)
    assert any("\\n2026-01-01" in line and "\\x1b]0;pwned\\x07" in line for line in lines)
    done = subprocess.run([sys.executable, "-m", "cockpit.cli", "control", "--url",
                           f"http://127.0.0.1:{wall.port}", "log"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COCKPIT_CONTROL_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert not any(line.startswith("2026-01-01") for line in done.stdout.splitlines())


# -- the pure parts ------------------------------------------------------------------------------
def test_a_huge_integer_ts_is_refused_before_any_arithmetic():
    from cockpit.control.commands import CommandError, parse_command

    for ts in (10**400, -(10**400), 10**11):
        with pytest.raises(CommandError, match="ts out of range") as err:
            parse_command("switch", {"ts": ts, "sender": "s", "layout": "a"}, now=time.time(),
                         max_age=30, layouts=["a"])
        assert err.value.field == "ts"


def test_control_characters_are_written_out():
    from cockpit.control.client import format_log
    from cockpit.control.commands import escape_controls, parse_command

    assert escape_controls("a\nb\x1b]0;t\x07\u202ec\x85") == "a\\nb\\x1b]0;t\\x07\\u202ec\\x85"
    command = parse_command("switch", {"ts": time.time(), "sender": "x\ny", "layout": "a"},
                            now=time.time(), max_age=30, layouts=["a"])
    assert command.sender == "x\\ny"
    line = format_log([{"ts": "t", "token_name": "n\x1b", "action": "ack", "detail": "d\nforged",
                        "client": "c", "outcome": "refused: \x9b"}])
    assert "\n" not in line and "\x1b" not in line and "\x9b" not in line
