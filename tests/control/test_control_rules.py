"""The pure rules of remote control: the config sections, the gate, the commands."""

from __future__ import annotations

import pytest
from support import ROOT

from cockpit.control.commands import CommandError, parse_command
from cockpit.control.security import Gate
from cockpit.model.config import ConfigError, load_config

TOKENS = {"tablet": "a" * 20, "cli": "b" * 20}


def write(tmp_path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(f'version = 1\n[wall]\nlayouts_dir = "{ROOT / "layouts"}"\n' + text,
                    encoding="utf-8")
    return path


def test_control_sections_load(tmp_path, monkeypatch):
    # a multi-PC wall's file: its secrets come from the environment
    monkeypatch.setenv("TABLET_TOKEN", "0123456789abcdef")
    config = load_config(write(tmp_path, """nodes = { left = [0], right = [1] }
[control]
bind = "192.168.10.5"
tokens_env = { tablet = "TABLET_TOKEN" }
[carousel]
autostart = true
playlist = [{ layout = "overview", dwell = 60 }, { layout = "safety", dwell = 30 }]
[takeover]
min_severity = "major"
categories = { fire = "safety" }
[mqtt]
username = "left"
password_env = "MQTT_PASSWORD"
"""))
    assert config.control.tokens == {"tablet": "0123456789abcdef"}
    assert config.control.bind == "192.168.10.5" and config.control.port == 8765
    assert config.control.audit_days == 90  # the default
    assert [s.layout for s in config.carousel.playlist] == ["overview", "safety"]
    assert config.carousel.autostart and config.takeover.min_severity == "major"
    assert config.nodes == {"left": (0,), "right": (1,)}
    assert "0123456789abcdef" not in repr(config)


def test_every_problem_in_the_control_sections_is_named(tmp_path):
    path = write(tmp_path, """nodes = { a = [0], b = "x" }
[control]
bind = "0.0.0.0"
port = 99999
tokens = { tablet = "short" }
audit_days = 0
[carousel]
playlist = [{ layout = "overview", dwell = 5 }, { layout = "nosuch", dwell = -1 }]
[takeover]
min_severity = "huge"
categories = { fire = "nosuch" }
[mqtt]
wall = "a/b"
""")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for where in ("control.bind", "control.port", "control.tokens.tablet", "control.audit_days",
                  "carousel.playlist[1].layout",
                  "takeover.min_severity", "takeover.categories.fire", "wall.nodes.b", "mqtt.wall"):
        assert f"{path}: {where}:" in text, where


def test_nodes_need_a_broker(tmp_path):
    with pytest.raises(ConfigError, match="mqtt: a wall of several nodes"):
        load_config(write(tmp_path, "nodes = { a = [0] }\n"))


# -- the gate -------------------------------------------------------------------------------
def test_gate_names_the_token_and_refuses_others():
    gate = Gate(TOKENS, "127.0.0.1", 8765)
    assert gate.authenticate("Bearer " + "a" * 20) == "tablet"
    assert gate.authenticate("Bearer " + "b" * 20) == "cli"
    for bad in (None, "", "a" * 20, "Basic " + "a" * 20, "Bearer " + "a" * 19, "Bearer "):
        assert gate.authenticate(bad) is None


def test_gate_hosts_and_origins():
    gate = Gate(TOKENS, "127.0.0.1", 8765)
    assert all(gate.host_ok(h) for h in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765"))
    assert not any(gate.host_ok(h) for h in (None, "127.0.0.1", "evil.example:8765",
                                             "127.0.0.1:8766"))
    assert gate.origin_ok(None) and gate.origin_ok("http://localhost:8765")
    assert not any(gate.origin_ok(o) for o in ("null", "http://localhost:8000", "https://127.0.0.1:8765"))
    lan = Gate(TOKENS, "192.168.10.5", 80)
    assert lan.host_ok("192.168.10.5:80") and not lan.host_ok("localhost:80")


def test_gate_rate_limits_failures_per_address_for_a_minute():
    now = [0.0]
    gate = Gate(TOKENS, "127.0.0.1", 1, failures_per_minute=3, clock=lambda: now[0])
    for _ in range(3):
        assert not gate.blocked("10.0.0.9")
        gate.failed("10.0.0.9")
    assert gate.blocked("10.0.0.9") and not gate.blocked("10.0.0.8")
    now[0] = 61
    assert not gate.blocked("10.0.0.9")


# -- commands -------------------------------------------------------------------------------
def parse(kind, /, **body):
    return parse_command(kind, body, now=1000.0, max_age=30, layouts=["overview", "safety"])


def test_commands_parse():
    assert parse("switch", layout="safety", ts=990, sender="t").layout == "safety"
    assert parse("carousel", action="stop", ts=1000, sender="t").carousel == "stop"
    assert parse("drill", district="370705", ts=1000, sender="t").district == "370705"
    assert parse("ack", ts=1000, sender="t").alert_ids == ()


@pytest.mark.parametrize(("action", "body", "why"), [
    ("switch", {"layout": "nosuch", "ts": 1000, "sender": "t"}, "no layout"),
    ("switch", {"layout": "safety", "ts": 900, "sender": "t"}, "stale"),
    ("switch", {"layout": "safety", "ts": 1100, "sender": "t"}, "stale"),
    ("switch", {"layout": "safety", "sender": "t"}, "ts"),
    ("switch", {"layout": "safety", "ts": 1000}, "sender"),
    ("switch", {"layout": "safety", "ts": 1000, "sender": "t", "x": 1}, "unknown field"),
    ("carousel", {"action": "spin", "ts": 1000, "sender": "t"}, "start or stop"),
    ("drill", {"district": "370705; DROP", "ts": 1000, "sender": "t"}, "6-digit"),
    ("ack", {"alert_ids": "a1", "ts": 1000, "sender": "t"}, "alert_ids"),
    ("reboot", {"ts": 1000, "sender": "t"}, "unknown action"),
])
def test_malformed_or_stale_commands_are_refused_saying_why(action, body, why):
    with pytest.raises(CommandError, match=why):
        parse_command(action, body, now=1000.0, max_age=30, layouts=["overview", "safety"])
