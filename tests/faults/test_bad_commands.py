"""Bad control commands at a running wall (a child process, offscreen) with its control API and
its MQTT link to a real Mosquitto on loopback: malformed JSON, wrong types, unknown commands,
oversize and deeply nested bodies, non-UTF-8, a layout or district that does not exist, a huge
screen index, and garbage on every topic the link subscribes to. Each is answered with a 4xx
naming the field (HTTP, audited) or ignored with a log line (MQTT); the wall keeps running and
showing what it showed, and still obeys the next good command."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest
from support.walls import (
    MQTT_PASSWORD,
    TOKEN,
    Broker,
    WallProcess,
    free_port,
    node_env,
    wall_config,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("mosquitto") is None,
                                 reason="mosquitto not installed (bootstrap.sh installs it)")]


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("badcmd")
    broker = Broker(folder)
    broker.start()
    port = free_port()
    config = wall_config(folder, broker, nodes={"a": [0, 1], "b": [0]}, control_port=port)
    proc = WallProcess(config, folder / "a.duckdb", node="a", env=node_env("a"), control_port=port)
    try:
        proc.wait_for("broker connected", timeout=90)
        proc.wait_for(r"control on http://127\.0\.0\.1:\d+", timeout=30)
        proc.broker = broker
        yield proc
    finally:
        proc.stop()
        broker.stop()
    assert TOKEN not in proc.text, "the token reached the log"
    assert "Traceback" not in proc.text, proc.text[-3000:]


def raw_request(port: int, method: str, path: str, body: bytes = b"", *, length: int | None = None,
                content_type: str = "application/json") -> tuple[int, dict]:
    """One request over a plain socket, so the test controls every byte (and can lie)."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n"
            f"Connection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    payload = data.split(b"\r\n\r\n", 1)[1]
    return status, json.loads(payload) if payload.startswith(b"{") else {"raw": payload}


def cmd(**fields) -> bytes:
    return json.dumps({"ts": time.time(), "sender": "faults", **fields}).encode()


def later(**fields):
    """A command body made when sent (made at collection, its ts would be stale by then)."""
    return lambda: cmd(**fields)


def status(wall) -> dict:
    return raw_request(wall.port, "GET", "/api/status")[1]


BAD_POSTS = [
    # (path, body, expected status, words the error must contain, field)
    ("/api/switch", b"{not json", 400, "body is not valid JSON (Expecting property name", None),
    ("/api/switch", b'{"layout": "safety", "ts": ', 400, "body is not valid JSON", None),
    ("/api/switch", b"[" * 8_000 + b"]" * 8_000, 400, "body is JSON nested too deeply", None),
    ("/api/switch", b'{"layout": "\xff\xfe", "ts": 1, "sender": "x"}', 400,
     "body is not UTF-8 (bad byte at offset 12)", None),
    ("/api/switch", b'["safety"]', 400, "expected a JSON object, found list", None),
    ("/api/switch", later(layout=5), 400, "layout: no layout 5 on this wall (known: overview", "layout"),
    ("/api/switch", later(layout="nosuch"), 400, "no layout 'nosuch' on this wall", "layout"),
    ("/api/switch", later(layout="x" * 5000), 400, "no layout 'xxxxx", "layout"),
    ("/api/switch", json.dumps({"layout": "safety", "ts": "now", "sender": "x"}).encode(), 400,
     "missing or non-numeric ts", "ts"),
    ("/api/switch", b'{"layout": "safety", "ts": NaN, "sender": "x"}', 400,
     "missing or non-numeric ts", "ts"),
    ("/api/switch", later(sender=7, layout="safety"), 400,
     "missing sender", "sender"),
    ("/api/switch", later(layout="safety", extra=1), 400, "unknown field(s) extra", "extra"),
    ("/api/carousel", later(action=["start"]), 400, "carousel action must be start or stop, found ['start']",
     "action"),
    ("/api/drill", later(district="370799"), 400, "district 370799 is not a district of Weifang", "district"),
    ("/api/drill", later(district="370705\n"), 400, "district must be a 6-digit code", "district"),
    ("/api/drill", later(district=370705), 400, "district must be a 6-digit code", "district"),
    ("/api/ack", later(alert_ids="a1"), 400, "alert_ids must be a list", "alert_ids"),
    ("/api/ack", later(alert_ids=["x"] * 101), 400, "alert_ids must be a list of up to 100", "alert_ids"),
    ("/api/reboot", later(), 404, "unknown command 'reboot' (known: switch, carousel, drill, ack, replay, brief)", None),
]


@pytest.mark.parametrize(("path", "body", "code", "words", "field"), BAD_POSTS,
                         ids=[f"{i}-{p[0].rsplit('/', 1)[1]}" for i, p in enumerate(BAD_POSTS)])
def test_a_bad_command_is_answered_4xx_naming_what_is_wrong(wall, path, body, code, words, field):
    before = status(wall)["layout"]
    got, answer = raw_request(wall.port, "POST", path, body() if callable(body) else body)
    assert got == code, answer
    assert words in answer["error"]
    assert answer.get("field") == field
    assert len(answer["error"]) < 400  # a long value is cut, not echoed whole
    assert status(wall)["layout"] == before
    assert wall.proc.poll() is None


def test_an_oversize_body_is_refused_unread_and_a_short_one_too(wall):
    got, answer = raw_request(wall.port, "POST", "/api/switch", b"{", length=50_000_000)
    assert got == 413 and answer["error"] == ("body of 50,000,000 bytes is larger than a command "
                                              "may be (16,384)")
    # a body shorter than its Content-Length: the connection ends, the server answers at once
    got, answer = raw_request(wall.port, "POST", "/api/switch", cmd(layout="safety")[:20], length=200)
    assert got == 400 and "not valid JSON" in answer["error"]
    got, answer = raw_request(wall.port, "POST", "/api/switch", b"", length=0)
    assert got == 400 and "missing body" in answer["error"]


@pytest.mark.parametrize("path", ["/api/screens/99.png", "/api/screens/99999999999999999999.png",
                                  "/api/nodes/a/screens/4096.png"])
def test_a_huge_screen_index_is_a_404_naming_the_screen(wall, path):
    got, answer = raw_request(wall.port, "GET", path)
    number = path.rsplit("/", 1)[1].removesuffix(".png")
    assert got == 404 and f"no screen {number}" in answer["error"] and answer["field"] == "screen"
    assert raw_request(wall.port, "GET", "/api/screens/1.png")[0] == 200  # screen 1 is there
    got, answer = raw_request(wall.port, "GET", "/api/screens/0.png")  # people count from 1
    assert got == 404 and "numbered from 1" in answer["error"]


def test_refused_commands_are_in_the_audit_log(wall):
    raw_request(wall.port, "POST", "/api/drill", cmd(district="370799"))
    raw_request(wall.port, "POST", "/api/reboot", cmd())
    entries = raw_request(wall.port, "GET", "/api/log")[1]["entries"]
    outcomes = [(e["action"], e["detail"], e["outcome"]) for e in entries]
    assert any(a == "drill" and o.startswith("refused: ignored: district 370799 is not a district")
               for a, _, o in outcomes), outcomes[:5]
    assert any(a == "unknown" and d == "reboot" and o.startswith("refused: unknown command")
               for a, d, o in outcomes), outcomes[:5]
    assert any(a == "switch" and o.startswith("refused: ignored: body is JSON nested too deeply")
               for a, _, o in outcomes)


# -- MQTT -------------------------------------------------------------------------------------
GARBAGE = [b"", b"\xff\xfe\x00garbage", b"not json", b"[" * 100_000 + b"]" * 100_000, b"null",
           b"[]", b"42", b'"a string"', b"{}", b'{"ts": NaN, "sender": "x"}',
           b'{"id": 5, "ts": 1e999, "sender": ["x"], "screen": true}', b"x" * 200_000]
TOPICS = ["state", "nodes/zz", "takeover", "ack", "carousel", "shots/ask/a", "shots/reply/a",
          "command", "command/reply/a"]


@pytest.fixture
def client(wall):
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="faults-sender")
    c.username_pw_set("bench", MQTT_PASSWORD)
    c.connect("127.0.0.1", wall.broker.port)
    c.loop_start()
    yield c
    c.disconnect()
    c.loop_stop()


def publish(client, topic: str, payload: bytes, *, retain: bool = False) -> None:
    client.publish(f"cockpit/test/{topic}", payload, qos=1, retain=retain).wait_for_publish(5)


def test_garbage_on_every_topic_is_ignored_and_the_link_still_obeys(wall, client):
    showing = status(wall)["layout"]
    mark = wall.mark()
    for topic in TOPICS:
        for payload in GARBAGE:
            publish(client, topic, payload)
    # odd but well-formed: an alert to take the wall with, lacking its title; a node status
    # that is a list; a carousel record whose running is a string
    publish(client, "takeover", json.dumps({"alert": {"alert_id": "x"}, "ts": time.time(),
                                            "sender": "zz"}).encode())
    publish(client, "nodes/zz", b'[["online", true]]')
    publish(client, "carousel", json.dumps({"running": "yes", "ts": time.time()}).encode())
    # states that would outrank every later switch: from the far future, or NaN
    publish(client, "state", json.dumps({"layout": "economy", "ts": 1e308, "sender": "zz"}).encode())
    publish(client, "state", b'{"layout": "economy", "ts": NaN, "sender": "zz"}')
    wall.wait_for("stale wall state ignored: economy from zz", start=mark, timeout=15)
    text = "\n".join(wall.lines[mark:])
    for needle in ("malformed wall state ignored", "malformed node status on cockpit/test/nodes/zz",
                   "malformed message on cockpit/test/takeover ignored (alert.title",
                   "malformed message on cockpit/test/ack ignored",
                   "malformed carousel record ignored",
                   "malformed message on cockpit/test/shots/ask/a ignored",
                   "malformed message on cockpit/test/command ignored",
                   "JSON nested too deeply", "oversized message on cockpit/test/state ignored"):
        assert needle in text, needle
    assert "showing economy" not in text
    assert status(wall)["layout"] == showing and wall.proc.poll() is None
    assert "Traceback" not in text
    # the link is alive and obeys the next good state
    mark = wall.mark()
    publish(client, "state", json.dumps({"layout": "safety", "ts": time.time(),
                                         "sender": "zz"}).encode())
    wall.wait_for("showing safety at", start=mark, timeout=15)
    assert status(wall)["layout"] == "safety"


def test_a_screenshot_request_for_a_huge_screen_is_answered_with_an_error(wall, client):
    replies: list[dict] = []
    got = threading.Event()

    def on_message(c, userdata, msg):
        replies.append(json.loads(msg.payload))
        got.set()

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.subscribe("cockpit/test/shots/reply/faults", qos=1)
    assert subscribed.wait(10)
    mark = wall.mark()
    publish(client, "shots/ask/a", json.dumps({"id": "big", "screen": 10**9, "ts": time.time(),
                                               "sender": "faults"}).encode())
    wall.wait_for("malformed message on cockpit/test/shots/ask/a ignored", start=mark, timeout=10)
    publish(client, "shots/ask/a", json.dumps({"id": "far", "screen": 99, "ts": time.time(),
                                               "sender": "faults"}).encode())
    assert got.wait(15)
    assert replies == [{"id": "far", "node": "a", "screen": 99, "error": "node a has no screen 99"}]


def test_a_node_joining_under_a_poisoned_retained_state_ignores_it_and_keeps_following(
        wall, client, tmp_path):
    """A retained state is applied whatever its age (a node restarting comes back on it), so
    one from the far future would win over every later switch: the node would never follow
    the wall again. It is ignored, with a log line."""
    publish(client, "state", json.dumps({"layout": "economy", "ts": 1e308, "sender": "zz"}).encode(),
            retain=True)
    config = next(wall.broker.folder.glob("wall.toml"))
    b = WallProcess(config, tmp_path / "b.duckdb", node="b", env=node_env("b"),
                    control_port=free_port())
    try:
        b.wait_for("broker connected", timeout=90)
        b.wait_for("wall state from the future ignored: economy from zz", timeout=15)
        mark = b.mark()
        publish(client, "state", json.dumps({"layout": "environment", "ts": time.time(),
                                             "sender": "zz"}).encode())
        b.wait_for("showing environment at", start=mark, timeout=15)
        assert "showing economy" not in b.text
    finally:
        publish(client, "state", b"", retain=True)  # clears the retained message
        b.stop()


def test_a_control_port_already_taken_stops_the_wall_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from support import ROOT
    from support.walls import site_config

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = site_config(tmp_path, port=port)
        done = subprocess.run([sys.executable, "-m", "cockpit.cli", "run", "--config", str(config),
                               "--cache", str(tmp_path / "w.duckdb"), "--exit-after", "20"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (f"cockpit run: control page: cannot listen on 127.0.0.1:{port} (Address already in "
            f"use); is another wall running") in done.stderr
