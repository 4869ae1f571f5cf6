"""A wall of two PCs (two processes, offscreen) kept in step by a real Mosquitto on loopback,
with a password file and per-wall ACLs: they switch together, a restarted node comes back on
the current layout, and the broker going away and coming back is survived."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from support.waiting import eventually
from support.walls import MQTT_PASSWORD, Broker, WallProcess, api, free_port, node_env, wall_config

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("mosquitto") is None,
                                 reason="mosquitto not installed (bootstrap.sh installs it)")]


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


def start_node(tmp_path, config, node: str, port: int | None = None) -> WallProcess:
    return WallProcess(config, tmp_path / f"{node}.duckdb", node=node, env=node_env(node),
                       control_port=port)


def test_two_nodes_switch_together_and_a_restarted_one_comes_back(tmp_path, broker):
    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
            proc.wait_for("control on", timeout=30)
        marks = {n: p.mark() for n, p in nodes.items()}
        assert api(ports["a"], "POST", "/api/switch", {"layout": "safety"})[0] == 200
        for n, proc in nodes.items():
            proc.wait_for(r"showing safety at", start=marks[n], timeout=10)
        # switching on the other node moves the first
        marks = {n: p.mark() for n, p in nodes.items()}
        assert api(ports["b"], "POST", "/api/switch", {"layout": "environment"})[0] == 200
        nodes["a"].wait_for(r"showing environment at", start=marks["a"], timeout=10)
        # the lead's status lists both nodes with their layout
        def both_on_environment():
            status = api(ports["a"], "GET", "/api/status")[1]
            nodes_seen = status["nodes"]
            on = all(nodes_seen.get(n, {}).get("layout") == "environment" for n in "ab")
            return status if on else None

        status = eventually(both_on_environment, 10, 0.2)
        assert status["broker"] is True
        assert {n: status["nodes"][n]["online"] for n in "ab"} == {"a": True, "b": True}
        # node b restarts while the wall moves on: it comes back on the current layout
        nodes["b"].stop()
        assert api(ports["a"], "POST", "/api/switch", {"layout": "safety"})[0] == 200
        nodes["b"] = start_node(tmp_path, config, "b", ports["b"])
        nodes["b"].wait_for(r"showing safety at", timeout=60)
    finally:
        for proc in nodes.values():
            proc.stop()


def test_the_broker_going_away_is_survived_and_stale_or_malformed_states_are_ignored(tmp_path, broker):
    import paho.mqtt.client as mqtt

    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
        broker.stop()
        for proc in nodes.values():
            proc.wait_for("broker lost", timeout=15)
        # node a keeps working on its own, and says the broker is lost
        assert api(ports["a"], "POST", "/api/switch", {"layout": "safety"})[0] == 200
        status = api(ports["a"], "GET", "/api/status")[1]
        assert status["broker"] is False
        # what a cut-off node cannot know it says it does not know; itself it knows is online
        assert status["nodes"]["a"]["state"] == "online", status["nodes"]
        assert status["nodes"].get("b", {"state": "unknown"})["state"] == "unknown", status["nodes"]
        mark = nodes["b"].mark()
        broker.start()
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=20, start=proc.mark() - 50)
        nodes["b"].wait_for(r"showing safety at", start=mark, timeout=10)  # back in step

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-sender")
        client.username_pw_set("bench", MQTT_PASSWORD)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        try:
            stale = {"layout": "overview", "ts": time.time() - 3600, "sender": "x"}
            for payload in (b"not json", json.dumps({"layout": 3}).encode(), json.dumps(stale).encode()):
                client.publish("cockpit/test/state", payload, qos=1).wait_for_publish(5)
            for proc in nodes.values():
                proc.wait_for("stale wall state ignored", timeout=10)
                assert "malformed wall state ignored" in proc.text
                assert proc.showing() == "safety"
        finally:
            client.disconnect()
            client.loop_stop()
    finally:
        for proc in nodes.values():
            proc.stop()


def test_the_lead_nodes_carousel_moves_the_wall_and_a_switch_elsewhere_pauses_it(tmp_path, broker):
    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    text = config.read_text(encoding="utf-8") + """
[carousel]
autostart = true
idle_resume = 30
playlist = [{ layout = "environment", dwell = 1 }, { layout = "safety", dwell = 1 }]
"""
    config.write_text(text, encoding="utf-8")
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
        mark = nodes["b"].mark()
        nodes["b"].wait_for(r"showing environment at", start=mark, timeout=15)
        nodes["b"].wait_for(r"showing safety at", start=mark, timeout=15)  # the lead moved it
        # b follows, yet says what the wall's carousel does: the lead's, not "none"
        carousel_b = api(ports["b"], "GET", "/api/status")[1]["carousel"]
        assert carousel_b["state"] == "running" and carousel_b["lead"] == "a", carousel_b
        mark = nodes["a"].mark()
        assert api(ports["b"], "POST", "/api/switch", {"layout": "overview"})[0] == 200
        nodes["a"].wait_for(r"showing overview at", start=mark, timeout=10)
        status = api(ports["a"], "GET", "/api/status")[1]
        assert status["carousel"]["state"] == "paused" and status["layout"] == "overview"
    finally:
        for proc in nodes.values():
            proc.stop()


def test_a_takeover_shows_on_every_node_and_is_acknowledged_from_any(tmp_path, broker):
    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    config.write_text(config.read_text(encoding="utf-8") + """
[takeover]
min_severity = "critical"
default_layout = "safety"
poll = 0.5
""", encoding="utf-8")
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
        alert_id = nodes["a"].wait_for(r"alarm takeover: critical .* \((\S+)\)", timeout=30).group(1)
        nodes["b"].wait_for(r"showing safety at", timeout=10)

        def b_status():
            return api(ports["b"], "GET", "/api/status")[1]

        eventually(lambda: (b_status().get("takeover") or {}).get("alert_id") == alert_id, 10, 0.1,
                   message="node b never heard of the takeover")
        assert "请确认" in b_status()["banner"]  # the banner is on b's screens too
        held = b_status()["takeover"]["held"]  # every critical alert open holds the wall
        assert held[0] == alert_id
        code, body = api(ports["b"], "POST", "/api/ack", {})  # all the banner announces
        assert code == 200 and body["acknowledged"] == held
        nodes["a"].wait_for(f"alarm takeover ends: {alert_id}", timeout=10)
        eventually(lambda: b_status().get("takeover") is None, 10, 0.1,
                   message="node b still shows the acknowledged alerts")
    finally:
        for proc in nodes.values():
            proc.stop()


def _png(port: int, path: str) -> tuple[int, bytes]:
    import http.client

    from support.walls import TOKEN

    con = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    con.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    resp = con.getresponse()
    body = resp.read()
    con.close()
    return resp.status, body


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_a_screenshot_of_node_bs_screen_through_node_as_api_and_cli(tmp_path, broker):
    import os
    import subprocess
    import sys

    from support import ROOT
    from support.walls import TOKEN

    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
            proc.wait_for("control on", timeout=30)
        eventually(lambda: api(ports["a"], "GET", "/api/status")[1]["nodes"].get("b", {})
                   .get("screens"), 15, 0.2, message="node a never heard node b's health")
        b_nodes = api(ports["a"], "GET", "/api/status")[1]["nodes"]["b"]
        assert b_nodes["online"] and isinstance(b_nodes["feeds"], list | None)
        assert b_nodes["state"] == "online"
        code, own = _png(ports["b"], "/api/screens/1.png")  # what b says of itself (from 1)
        assert code == 200
        assert _png(ports["b"], "/api/screens/0.png")[0] == 404  # people count from 1
        code, via_a = _png(ports["a"], "/api/nodes/b/screens/1.png")  # asked over MQTT
        assert code == 200 and _png_size(via_a) == _png_size(own)
        beyond = b_nodes["screens"] + 1  # the first number past b's screens
        assert _png(ports["a"], f"/api/nodes/b/screens/{beyond}.png")[0] == 404
        assert _png(ports["a"], "/api/nodes/nobody/screens/1.png")[0] == 404
        assert _png(ports["a"], "/api/nodes/a/screens/1.png")[0] == 200  # itself, directly
        out = tmp_path / "shots"
        r = subprocess.run([sys.executable, "-m", "cockpit.cli", "control", "--url",
                            f"http://127.0.0.1:{ports['a']}", "status", "--screens", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "COCKPIT_CONTROL_TOKEN": TOKEN})
        assert r.returncode == 0, r.stderr
        assert _png_size((out / "b-screen-1.png").read_bytes()) == _png_size(own)
        assert (out / "screen-1.png").exists()
        assert "node        b: online" in r.stdout
    finally:
        for proc in nodes.values():
            proc.stop()


def test_the_lead_fails_over_to_the_next_node_and_takes_the_lead_back(tmp_path, broker):
    ports = {"a": free_port(), "b": free_port()}
    playlist = ["environment", "safety", "traffic"]
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    config.write_text(config.read_text(encoding="utf-8") + f"""
[carousel]
autostart = true
idle_resume = 60
playlist = [{", ".join(f'{{ layout = "{x}", dwell = 2 }}' for x in playlist)}]
""", encoding="utf-8")
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        nodes["a"].wait_for("node a leads", timeout=60)
        start = nodes["b"].mark()
        nodes["b"].wait_for(r"showing (environment|safety|traffic) at", timeout=30)
        assert "node b leads" not in nodes["b"].text
        nodes["a"].proc.kill()  # no goodbye: the broker's last will says a is gone
        nodes["a"].stop()
        nodes["b"].wait_for("node b leads", timeout=15)
        mark = nodes["b"].mark()
        nodes["b"].wait_for(r"showing \S+ at", start=mark, timeout=2 + 4)  # it keeps moving
        nodes["b"].wait_for(r"showing \S+ at", start=nodes["b"].mark(), timeout=2 + 4)
        assert api(ports["b"], "GET", "/api/status")[1]["carousel"]["state"] == "running"
        # a comes back: it takes the lead back, b hands it over, and only one leads
        mark = nodes["b"].mark()
        nodes["a"] = start_node(tmp_path, config, "a", ports["a"])
        nodes["a"].wait_for("node a leads", timeout=60)
        nodes["b"].wait_for("node b follows", start=mark, timeout=10)
        nodes["b"].wait_for(r"showing \S+ at", start=nodes["b"].mark(), timeout=2 + 4)
        def leads():
            seen = api(ports["b"], "GET", "/api/status")[1]["nodes"]
            return {n: seen.get(n, {}).get("lead") for n in "ab"}

        eventually(lambda: leads() == {"a": True, "b": False}, 10, 0.2,
                   message="a leads again and b follows")
        assert api(ports["a"], "GET", "/api/status")[1]["lead"] is True
        assert api(ports["b"], "GET", "/api/status")[1]["lead"] is False
        # no restart of the playlist, no jump: b showed the stops in order all along
        shown = [m.group(1) for line in nodes["b"].lines[start:]
                 if (m := re.search(r"showing (\S+) at", line))]
        for before, after in zip(shown, shown[1:], strict=False):
            assert playlist.index(after) == (playlist.index(before) + 1) % len(playlist), shown
    finally:
        for proc in nodes.values():
            proc.stop()


def test_a_carousel_command_to_a_node_that_does_not_lead_is_forwarded_to_the_lead(tmp_path, broker):
    import os
    import subprocess
    import sys

    from support import ROOT
    from support.walls import TOKEN

    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    config.write_text(config.read_text(encoding="utf-8") + """
[carousel]
idle_resume = 30
playlist = [{ layout = "environment", dwell = 1 }, { layout = "safety", dwell = 1 }]
""", encoding="utf-8")
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        nodes["a"].wait_for("node a leads", timeout=60)
        nodes["b"].wait_for("control on", timeout=30)
        eventually(lambda: api(ports["b"], "GET", "/api/status")[1]["nodes"].get("a", {})
                   .get("lead"), 15, 0.2, message="node b never heard that a leads")
        marks = {n: p.mark() for n, p in nodes.items()}
        r = subprocess.run([sys.executable, "-m", "cockpit.cli", "control", "--url",
                            f"http://127.0.0.1:{ports['b']}", "carousel", "start"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "COCKPIT_CONTROL_TOKEN": TOKEN})
        assert r.returncode == 0 and r.stdout.strip() == "running", (r.stdout, r.stderr)
        for n, proc in nodes.items():  # the lead's carousel moves both nodes
            proc.wait_for(r"showing environment at", start=marks[n], timeout=10)
            proc.wait_for(r"showing safety at", start=marks[n], timeout=10)
        assert api(ports["a"], "GET", "/api/status")[1]["carousel"]["state"] == "running"
        lead_log = api(ports["a"], "GET", "/api/log")[1]["entries"]
        assert [(e["token_name"], e["action"], e["detail"], e["client"], e["outcome"])
                for e in lead_log if e["action"] == "carousel"] == [
            ("tablet", "carousel", "start", "node:b", "ok")]
        asker_log = api(ports["b"], "GET", "/api/log")[1]["entries"]
        assert [e["detail"] for e in asker_log if e["action"] == "carousel"] == [
            "start (forwarded to the lead a)"]
        # the carousel's switches are nobody's keys: neither node audits them as a switch
        assert not [e for e in lead_log + asker_log if e["action"] == "switch"]
        code, body = api(ports["b"], "POST", "/api/carousel", {"action": "stop"})
        assert code == 200 and body["carousel"] == "stopped" and body["forwarded_to"] == "a"
    finally:
        for proc in nodes.values():
            proc.stop()


def test_a_replay_started_on_one_node_is_shown_by_every_node_and_ends_on_all(tmp_path, broker):
    from datetime import UTC, datetime, timedelta

    from cockpit.model.timeline import local_text

    ports = {"a": free_port(), "b": free_port()}
    config = wall_config(tmp_path, broker, nodes={"a": [0], "b": [1]}, control_port=ports["a"])
    nodes = {n: start_node(tmp_path, config, n, ports[n]) for n in ("a", "b")}
    try:
        for proc in nodes.values():
            proc.wait_for("broker connected", timeout=60)
            proc.wait_for("control on", timeout=30)
        now = datetime.now(UTC)
        start, end = now - timedelta(hours=3), now - timedelta(hours=2)
        code, body = api(ports["a"], "POST", "/api/replay", {
            "op": "start", "from": local_text(start), "to": local_text(end), "speed": 1})
        assert code == 200 and body["replay"]["state"] == "playing"
        code, _ = api(ports["a"], "POST", "/api/replay", {"op": "pause"})
        assert code == 200

        def b_replay():
            return api(ports["b"], "GET", "/api/status")[1]["replay"]

        # b follows the retained record: the same span, paused at the same moment as a
        a_replay = api(ports["a"], "GET", "/api/status")[1]["replay"]
        eventually(lambda: b_replay().get("state") == "paused", 10, 0.2,
                   message="node b never followed the replay")
        assert b_replay()["moment"] == a_replay["moment"] and b_replay()["from"] == local_text(start)
        code, _ = api(ports["b"], "POST", "/api/replay", {"op": "live"})  # ended on the other node
        assert code == 200
        eventually(lambda: api(ports["a"], "GET", "/api/status")[1]["replay"] == {"state": "live"},
                   10, 0.2, message="node a is still replaying")
    finally:
        for proc in nodes.values():
            proc.stop()
