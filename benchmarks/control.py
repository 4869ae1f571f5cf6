"""A switch across a multi-PC wall: from the command to the last node having switched.

Goal: every node of the wall shows the new layout ≤ 200 ms after the command (p95).

A real Mosquitto on a free loopback port (password file and per-wall ACL, as docs/control.md sets it
up) and N nodes — ``cockpit run --config FILE --node X`` processes, offscreen, two 1920x1080
screens each, the demo snapshot as their feed — on this one machine. The lead node serves the
control API; each switch is a ``POST /api/switch`` to it, taking the time just before sending.
Every node writes ``cockpit: showing ID at T`` (wall-clock seconds) the moment its shell has
switched (its windows paint in the next frame); the figure is the latest T of all nodes minus
the command's time. Switches alternate between two layouts, 50 per wall size (15 with
``--quick``), 2 and 4 nodes.

Run: ``python -m benchmarks.control [--quick]``.
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

from benchmarks._env import ROOT, offscreen_env, scratch_dir
from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.control"
GOAL_MS = 200.0
TOKEN = "bench-token-0123456789abcdef"
PASSWORD = "bench-mqtt-password"
SHOWING = re.compile(r"cockpit: showing (\S+) at ([0-9.]+)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Node:
    def __init__(self, config, folder, name: str, control_port: int) -> None:
        env = {**os.environ, **offscreen_env(2), "COCKPIT_MQTT_USERNAME": name,
               "COCKPIT_MQTT_PASSWORD": PASSWORD, "COCKPIT_BENCH_TOKEN": TOKEN}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cockpit.cli", "run", "--config", str(config), "--node", name,
             "--cache", str(folder / f"{name}.duckdb"), "--control-port", str(control_port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.shown: list[tuple[str, float]] = []
        self.ready = threading.Event()
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            if "broker connected" in line:
                self.ready.set()
            if m := SHOWING.search(line):
                with self._cond:
                    self.shown.append((m.group(1), float(m.group(2))))
                    self._cond.notify_all()

    def wait_showing(self, layout: str, since: int, timeout: float = 10) -> float:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for lid, t in self.shown[since:]:
                    if lid == layout:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"node never showed {layout}")
                self._cond.wait(left)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _broker(folder):
    port = _free_port()
    names = ["n0", "n1", "n2", "n3"]
    passwd = folder / "passwd"
    passwd.write_text("")
    for name in names:
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), name, PASSWORD], check=True)
    (folder / "acl").write_text("".join(f"user {n}\ntopic readwrite cockpit/bench/#\n\n" for n in names))
    conf = folder / "mosquitto.conf"
    conf.write_text(f"user {getpass.getuser()}\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
                    f"password_file {passwd}\nacl_file {folder / 'acl'}\npersistence false\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return proc, port


def _post_switch(port: int, layout: str) -> None:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"layout": layout, "ts": time.time(), "sender": "benchmark"})
    con.request("POST", "/api/switch", body=body, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    resp = con.getresponse()
    resp.read()
    con.close()
    if resp.status != 200:
        raise RuntimeError(f"switch refused: {resp.status}")


def measure(n_nodes: int, switches: int) -> tuple[list[float], list[float]]:
    """(command -> last node, command -> lead node) in ms, for ``switches`` switches."""
    folder = scratch_dir(f"control-{n_nodes}-")
    broker, mqtt_port = _broker(folder)
    names = [f"n{i}" for i in range(n_nodes)]
    node_lines = "".join(f"{n} = [{i % 2}]\n" for i, n in enumerate(names))
    config = folder / "wall.toml"
    config.write_text(f"""version = 1
[wall]
layouts_dir = "{ROOT / 'layouts'}"
[wall.nodes]
{node_lines}
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{ROOT / 'assets' / 'demo' / 'snapshot'}"
[control]
port = 1
tokens_env = {{ bench = "COCKPIT_BENCH_TOKEN" }}
[mqtt]
port = {mqtt_port}
wall = "bench"
password_env = "COCKPIT_MQTT_PASSWORD"
""", encoding="utf-8")
    ports = [_free_port() for _ in names]
    nodes = [_Node(config, folder, n, p) for n, p in zip(names, ports, strict=True)]
    last, lead = [], []
    try:
        for node in nodes:
            if not node.ready.wait(90):
                raise RuntimeError("a node never joined the broker")
        time.sleep(1.0)  # let the first data settle
        targets = ["safety", "environment"]
        for k in range(switches + 2):  # two warm-up switches, not counted
            target = targets[k % 2]
            marks = [len(node.shown) for node in nodes]
            started = time.time()
            _post_switch(ports[0], target)
            times = [node.wait_showing(target, m) for node, m in zip(nodes, marks, strict=True)]
            if k >= 2:
                last.append((max(times) - started) * 1000)
                lead.append((times[0] - started) * 1000)
            time.sleep(0.1)
    finally:
        for node in nodes:
            node.stop()
        broker.terminate()
        broker.wait(timeout=10)
    return last, lead


def run(quick: bool = False) -> Figure:
    switches = 15 if quick else 50
    last2, lead2 = measure(2, switches)
    last4, lead4 = measure(4, switches)
    return Figure(
        name="control",
        title="switch command (POST /api/switch) to the last node switched, over Mosquitto",
        goal=GOAL_MS, goal_stat="p95", unit="ms",
        ours=Row("4 nodes: command -> last node", summarize(last4), "ms"),
        alternative=Row("2 nodes: command -> last node", summarize(last2), "ms"),
        side=[Row("4 nodes: command -> lead node (no broker hop)", summarize(lead4), "ms"),
              Row("2 nodes: command -> lead node (no broker hop)", summarize(lead2), "ms")],
        notes=[f"{switches} switches per wall size after 2 warm-up ones; every node is a "
               "`cockpit run --node` process on this machine with 2 offscreen 1920x1080 screens",
               "a node counts as switched when its shell has switched (its paint follows in "
               "the next frame; see the switch benchmark for that part)"],
        ratio_of="ours")


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
