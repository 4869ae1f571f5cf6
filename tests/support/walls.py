"""Running walls for the control tests: ``cockpit run`` in child processes, offscreen, with
their stderr read line by line (``cockpit: showing ID at T`` marks each switch)."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from support import ROOT
from support.waiting import eventually

TOKEN = "tablet-secret-0123456789abcdef"
#: where a multi-node wall's nodes read the tablet token from (the shared file has no secret)
TOKEN_ENV = "COCKPIT_TEST_TABLET_TOKEN"
DEMO = ROOT / "assets" / "demo" / "snapshot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(folder: Path, *, port: int | None = None, extra: str = "", name: str = "site",
                layouts: list[str] | None = None, interval: float | None = None,
                token_env: str | None = None) -> Path:
    """A site config replaying the demo snapshot; ``layouts`` limits the wall to those (a
    faster start), ``interval`` is the feed's."""
    text = f"""version = 1
[wall]
layouts_dir = "{ROOT.as_posix()}/layouts"
""" + (f"layouts = {json.dumps(layouts)}\n" if layouts else "") + f"""[[feeds]]
name = "demo"
kind = "snapshot"
path = "{DEMO.as_posix()}"
""" + (f"interval = {interval}\n" if interval is not None else "")
    if port is not None:
        text += f"""[control]
port = {port}
""" + (f'tokens_env = {{ tablet = "{token_env}" }}\n' if token_env
       else f'tokens = {{ tablet = "{TOKEN}" }}\n')
    path = folder / f"{name}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


class WallProcess:
    def __init__(self, config: Path, cache: Path, *, node: str | None = None,
                 env: dict | None = None, control_port: int | None = None) -> None:
        args = [sys.executable, "-m", "cockpit.cli", "run", "--config", str(config),
                "--cache", str(cache)] + (["--node", node] if node else [])
        if control_port is not None:
            args += ["--control-port", str(control_port)]
        self.port = control_port
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30, start: int = 0) -> re.Match:
        """The first line from ``start`` on matching ``pattern``; fails after ``timeout``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if m := rx.search(line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"no line matching {pattern!r}; stderr:\n" +
                                         "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.5))

    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def showing(self) -> str | None:
        with self._cond:
            found = [m.group(1) for line in self.lines if (m := re.search(r"showing (\S+) at", line))]
        return found[-1] if found else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)

    @property
    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


MQTT_PASSWORD = "node-password-42"


class Broker:
    """A real Mosquitto on a free loopback port, with a password file and per-wall ACLs."""

    def __init__(self, folder: Path, users: tuple[str, ...] = ("a", "b", "c", "d", "bench")) -> None:
        self.folder = folder
        self.port = free_port()
        passwd = folder / "passwd"
        passwd.write_text("")
        for user in users:
            subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, MQTT_PASSWORD], check=True,
                           capture_output=True)
        acl = folder / "acl"
        acl.write_text("".join(f"user {u}\ntopic readwrite cockpit/test/#\n\n" for u in users))
        self.conf = folder / "mosquitto.conf"
        # run as whoever runs the tests (as root, mosquitto would switch to its own user,
        # who cannot read the test's folder)
        self.conf.write_text(f"user {getpass.getuser()}\n"
                             f"listener {self.port} 127.0.0.1\nallow_anonymous false\n"
                             f"password_file {passwd}\nacl_file {acl}\npersistence false\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        eventually(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                   or True, 10, ignoring=(OSError,), message="mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def wall_config(folder: Path, broker: Broker, *, nodes: dict[str, list[int]],
                control_port: int | None = None) -> Path:
    node_lines = "".join(f"{n} = {screens}\n" for n, screens in nodes.items())
    extra = f"""
[wall.nodes]
{node_lines}
[mqtt]
port = {broker.port}
wall = "test"
password_env = "COCKPIT_MQTT_PASSWORD"
"""
    # [wall.nodes] must follow [wall]'s keys: put it right after the [wall] table
    # a file shared by every node: its secrets come from each PC's environment (node_env)
    path = site_config(folder, port=control_port, name="wall", token_env=TOKEN_ENV)
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("[[feeds]]")
    nodes_block, _, mqtt_block = extra.partition("[mqtt]")
    path.write_text(head + nodes_block.strip() + "\n\n[[feeds]]" + rest + "[mqtt]" + mqtt_block,
                    encoding="utf-8")
    return path


def node_env(node: str) -> dict:
    """Each node logs in as itself (username = node name), password from the environment."""
    return {"COCKPIT_MQTT_PASSWORD": MQTT_PASSWORD, "COCKPIT_MQTT_USERNAME": node,
            TOKEN_ENV: TOKEN}


def api(port: int, method: str, path: str, body: dict | None = None, token: str = TOKEN):
    """One authorised API call; (status, parsed JSON)."""
    import http.client
    import json

    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps({"ts": time.time(), "sender": "test", **body}).encode()
    con.request(method, path, body=data, headers=headers)
    resp = con.getresponse()
    payload = resp.read()
    con.close()
    return resp.status, json.loads(payload)
