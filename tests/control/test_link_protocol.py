"""The wall link's protocol without Qt and without a broker (cockpit/control/link.py): what it
accepts, what it ignores, what it tells its callbacks and what it publishes. The link between
real nodes over Mosquitto is tested in tests/control/test_multinode.py."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace

import pytest

from cockpit.control.link import MAX_SHOT_BYTES, LinkProtocol
from cockpit.model.config_control import MqttSettings

P = "cockpit/weifang"


@pytest.fixture
def link():
    proto = LinkProtocol(MqttSettings(), "a", max_age=30.0)
    heard: list[tuple[str, object]] = []
    for name in ("remote_layout", "connection", "takeover", "ack", "shot_asked", "command_asked",
                 "replay"):
        setattr(proto, f"on_{name}", lambda value, name=name: heard.append((name, value)))
    sent: list[tuple[str, dict, bool]] = []
    proto.client = SimpleNamespace(  # what would go to the broker
        publish=lambda topic, payload, qos=0, retain=False: sent.append(
            (topic, json.loads(payload), retain)))
    proto.heard, proto.sent = heard, sent
    return proto


def arrive(link, topic, body, *, retain=False):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    link._on_client_message(None, None, SimpleNamespace(topic=f"{P}/{topic}", payload=payload,
                                                        retain=retain))


def test_a_newer_wall_state_is_followed_and_older_or_odd_ones_are_not(link, caplog):
    now = time.time()
    arrive(link, "state", {"layout": "economy", "ts": now, "sender": "b"})
    arrive(link, "state", {"layout": "traffic", "ts": now - 1, "sender": "c"})  # older
    arrive(link, "state", {"layout": "traffic", "ts": now - 300, "sender": "c"})  # stale
    arrive(link, "state", {"layout": "traffic", "ts": now + 3600, "sender": "c"}, retain=True)
    arrive(link, "state", {"layout": 7, "ts": now + 1, "sender": "c"})
    arrive(link, "state", b"[[[[" * 5000)
    assert link.heard == [("remote_layout", "economy")]
    assert link.last_state() == ("economy", now)
    assert "stale wall state ignored" in caplog.text and "from the future" in caplog.text
    assert "malformed wall state ignored" in caplog.text


def test_a_switch_here_is_published_newer_than_anything_seen(link):
    arrive(link, "state", {"layout": "economy", "ts": time.time() + 20, "sender": "b"})
    link.publish_switch("traffic")
    topic, body, retain = link.sent[-1]
    assert topic == f"{P}/state" and retain and body["layout"] == "traffic"
    assert body["sender"] == "a" and body["ts"] > time.time() + 19


def test_takeovers_and_acks_from_others_reach_the_callbacks(link):
    alert = {"alert_id": "A1", "title": "火情", "severity": "critical"}
    arrive(link, "takeover", {"alert": alert, "ts": time.time(), "sender": "b"}, retain=True)
    arrive(link, "takeover", {"alert": {**alert, "severity": "loud"}, "ts": time.time(),
                              "sender": "b"})
    arrive(link, "ack", {"alert_ids": ["A1"], "ts": time.time(), "sender": "b"})
    arrive(link, "ack", {"alert_ids": ["A2"], "ts": time.time(), "sender": "a"})  # our own
    assert link.heard == [("takeover", alert), ("ack", ["A1"])]
    assert link.takeover_alert == alert


def test_the_node_table_names_the_lead_and_the_dead(link):
    arrive(link, "nodes/b", {"node": "b", "online": True, "lead": True})
    arrive(link, "nodes/c", {"node": "c", "online": False})
    arrive(link, "nodes/d", b"not json")
    assert set(link.nodes()) == {"a", "b", "c"} and link.lead_node() == "b"  # a: itself
    assert link.known_dead("c") and not link.known_dead("b")
    link.lead = True
    assert link.lead_node() == "a"


def test_node_states_say_online_offline_or_unknown_never_a_stale_guess(link, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    link.set_connected(True)
    arrive(link, "nodes/a", {"node": "a", "online": False})  # our own last will, retained
    arrive(link, "nodes/b", {"node": "b", "online": True}, retain=True)  # old news on joining
    arrive(link, "nodes/c", {"node": "c", "online": False})
    states = {n: r["state"] for n, r in link.nodes().items()}
    assert states == {"a": "online", "b": "online", "c": "offline"}  # b: within the grace
    clock[0] += 3 * link.heartbeat_s + 1  # b's retained record was never followed by a heartbeat
    arrive(link, "nodes/d", {"node": "d", "online": True})  # d beats live
    states = {n: r["state"] for n, r in link.nodes().items()}
    assert states == {"a": "online", "b": "unknown", "c": "offline", "d": "online"}
    link.set_connected(False)  # cut off: nothing heard can be trusted, but we know ourselves
    states = {n: r["state"] for n, r in link.nodes().items()}
    assert states == {"a": "online", "b": "unknown", "c": "unknown", "d": "unknown"}
    assert link.nodes()["a"]["online"] is True


def test_a_screenshot_request_is_answered_with_the_png_or_why_not(link):
    arrive(link, "shots/ask/a", {"id": "r1", "screen": 1, "ts": time.time(), "sender": "b"})
    arrive(link, "shots/ask/a", {"id": "r2", "screen": True, "ts": time.time(), "sender": "b"})
    assert link.heard == [("shot_asked", {"id": "r1", "screen": 1, "sender": "b"})]
    ask = link.heard[0][1]
    link.answer_shot(ask, png=b"\x89PNG")
    link.answer_shot(ask, png=b"x" * (MAX_SHOT_BYTES + 1))
    (t1, ok, _), (t2, refused, _) = link.sent
    assert t1 == t2 == f"{P}/shots/reply/b"
    assert base64.b64decode(ok["png"]) == b"\x89PNG" and ok["node"] == "a"
    assert "exceeds" in refused["error"] and "png" not in refused


def test_a_request_waits_for_its_reply_and_times_out_without_one(link):
    with pytest.raises(TimeoutError, match="not connected"):
        link.request_command({"action": "carousel", "carousel": "start"})
    link.set_connected(True)

    def publish(topic, payload, qos=0, retain=False):  # the lead answers at once
        body = json.loads(payload)
        arrive(link, "command/reply/a", {"id": body["id"], "node": "b", "result": {"ok": 1}})

    link.client = SimpleNamespace(publish=publish)
    assert link.request_command({"action": "carousel", "carousel": "start"}) == {
        "node": "b", "result": {"ok": 1}}
    link.client = SimpleNamespace(publish=lambda *a, **k: None)
    with pytest.raises(TimeoutError, match="did not answer"):
        link.request_command({"action": "carousel", "carousel": "stop"}, timeout=0.05)


def test_only_the_lead_takes_forwarded_commands(link):
    body = {"id": "r1", "action": "carousel", "carousel": "start", "token_name": "tablet",
            "ts": time.time(), "sender": "b"}
    arrive(link, "command", body)
    assert link.heard == []  # not the lead
    link.lead = True
    arrive(link, "command", body)
    arrive(link, "command", {**body, "carousel": "reboot"})
    assert link.heard == [("command_asked", {"id": "r1", "sender": "b", "token_name": "tablet",
                                             "carousel": "start"})]


def test_health_is_published_only_while_connected(link):
    link.publish_health("overview", 3)
    assert link.sent == []
    assert link.set_connected(True) and not link.set_connected(True)
    link.publish_health("overview", 3)
    topic, status, retain = link.sent[-1]
    assert topic == f"{P}/nodes/a" and retain
    assert (status["online"], status["layout"], status["screens"], status["lead"]) == (
        True, "overview", 3, False)



def test_a_replay_started_on_another_node_is_followed_and_ours_or_older_ones_are_not(link, caplog):
    from cockpit.model.timeline import Timeline

    t = Timeline()
    t.replay("2026-12-02 07:30", "2026-12-02 09:00", 10, time.time())
    now = time.time()
    arrive(link, "replay", {**t.record(), "ts": now, "sender": "b"}, retain=True)
    arrive(link, "replay", {"live": True, "ts": now - 5, "sender": "c"})  # older: ignored
    arrive(link, "replay", {"live": True, "ts": now + 1, "sender": "a"})  # our own
    arrive(link, "replay", b"{")
    assert link.heard == [("replay", t.record())]
    assert "malformed replay record ignored" in caplog.text
    link.publish_replay({"live": True})
    topic, body, retain = link.sent[-1]
    assert topic == f"{P}/replay" and retain and body["live"] and body["ts"] > now
