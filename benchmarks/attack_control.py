"""Issue 16's attack list against a running wall's control API, on loopback only.

Starts ``cockpit run`` (offscreen, the demo snapshot as its feed, the control API on a free
loopback port) through ``benchmarks/_attack_wall.py``, which makes the GUI thread's heartbeat a
50 ms one and prints its lateness each second. Then, bounded in count and time
(``--max-seconds``, 120 by default), from other loopback addresses than the probe's:

* huge headers: ``Host`` and ``Origin`` of 65 KB, and 4 KB ones that reach the gate;
* requests with no token (what an ``<img src>`` sends), then the right token from there;
* connections: ~980 idle ones from one client, 8 clients × 40, slow clients sending a byte
  every few seconds (headers and a body);
* bad numbers: a 401-digit and a 5,000-digit ``ts``, Content-Lengths ``1_0`` ``+60`` ``-1``;
* clients that vanish (RST) mid-request and before reading a screenshot;
* forgery by a token holder: ``ack`` of ids that are no open alert, a ``sender`` carrying a
  newline and a terminal escape sequence.

Meanwhile a probe asks ``GET /api/status`` with the right token from 127.0.0.1 every 0.5 s.
Reported: requests (and connections) tried, the GUI heartbeat's worst lateness during the
attack (and in each phase, and in the quiet seconds before it: the wall's own work) and the
watchdog's stall lines, whether every probe with the right token succeeded,
and the probe's slowest answer. Nothing is asserted (the tests in
tests/faults/test_control_attacks.py do).

Run: ``python -m benchmarks.attack_control [--max-seconds 120]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

from benchmarks._env import ROOT, offscreen_env, scratch_dir

TOKEN = "attack-token-0123456789abcdef"
LATE = re.compile(r"attack-heartbeat max_late_ms=(\d+)")


class Wall:
    def __init__(self, folder, port: int) -> None:
        config = folder / "site.toml"
        config.write_text(f"""version = 1
[wall]
layouts_dir = "{(ROOT / 'layouts').as_posix()}"
[[feeds]]
name = "demo"
kind = "snapshot"
path = "{(ROOT / 'assets' / 'demo' / 'snapshot').as_posix()}"
[control]
port = {port}
tokens = {{ tablet = "{TOKEN}" }}
""", encoding="utf-8")
        env = {**os.environ, **offscreen_env(2), "COCKPIT_STALL_SECONDS": "0.5"}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "_attack_wall.py"), "run", "--config",
             str(config), "--cache", str(folder / "wall.duckdb")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.late: list[tuple[float, int]] = []  # (when, worst lateness in that second, ms)
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if m := LATE.search(line):
                self.late.append((time.monotonic(), int(m.group(1))))
            elif "control on http://" in line:
                self.ready.set()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Attack:
    def __init__(self, port: int, deadline: float) -> None:
        self.port, self.deadline = port, deadline
        self.tried = 0  # requests and connections opened
        self.lock = threading.Lock()

    def left(self) -> bool:
        return time.monotonic() < self.deadline

    def count(self, n: int = 1) -> None:
        with self.lock:
            self.tried += n

    def connect(self, source: str, timeout: float = 5) -> socket.socket | None:
        self.count()
        try:
            return socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                            source_address=(source, 0))
        except OSError:
            return None

    def send(self, data: bytes, source: str) -> bytes:
        s = self.connect(source, timeout=15)
        if s is None:
            return b""
        with s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                out = b""
                while chunk := s.recv(65536):
                    out += chunk
                return out
            except OSError:
                return b""

    def request(self, method: str, path: str, *, source: str, headers: dict | None = None,
                body: bytes = b"", token: str | None = TOKEN) -> bytes:
        hdrs = {"Host": f"127.0.0.1:{self.port}",
                **({"Authorization": f"Bearer {token}"} if token else {}),
                **({"Content-Type": "application/json", "Content-Length": str(len(body))}
                   if method == "POST" else {}), "Connection": "close", **(headers or {})}
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        return self.send(head.encode() + b"\r\n" + body, source)

    # -- the attacks ----------------------------------------------------------------------
    def huge_headers(self) -> None:
        for header in ("Host", "Origin"):
            for _ in range(4):
                self.request("GET", "/api/status", source="127.0.10.1", token=None,
                             headers={header: "a" * 65_000})
        for _ in range(50):
            if not self.left():
                return
            self.request("POST", "/api/switch", source="127.0.10.2", token=None,
                         headers={"Host": "h" * 4_000}, body=_cmd(layout="safety"))

    def no_token(self) -> bool:
        for _ in range(20):
            self.request("GET", "/api/status", source="127.0.11.1", token=None)
        return self.request("GET", "/api/status", source="127.0.11.1").startswith(b"HTTP/1.1 200")

    def idle_connections(self) -> None:
        held = []
        for _ in range(980):
            if not self.left():
                break
            if (s := self.connect("127.0.12.1", timeout=2)) is not None:
                held.append(s)
        for i in range(8):
            for _ in range(40):
                if (s := self.connect(f"127.0.12.{10 + i}", timeout=2)) is not None:
                    held.append(s)
        time.sleep(3)
        for s in held:
            s.close()

    def slow_clients(self, seconds: float = 20) -> None:
        heads = [b"GET /api/status HTTP/1.1\r\n",
                 (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: "
                  f"Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 900"
                  f"\r\n\r\n{{").encode()]
        conns = [(s, i) for i in range(20) if (s := self.connect(f"127.0.13.{i + 1}")) is not None]
        end = min(self.deadline, time.monotonic() + seconds)
        for s, i in conns:
            try:
                s.sendall(heads[i % 2])
            except OSError:
                pass
        while time.monotonic() < end:
            time.sleep(2)
            for s, _ in conns:
                try:
                    s.sendall(b"X" if _ % 2 == 0 else b" ")
                    self.count()
                except OSError:
                    pass
        for s, _ in conns:
            s.close()

    def bad_numbers(self) -> None:
        for digits in (401, 5000):
            body = b'{"layout": "safety", "sender": "attack", "ts": ' + b"9" * digits + b"}"
            self.request("POST", "/api/switch", source="127.0.0.1", body=body)
        for length in ("1_0", "+60", "-1", "1e3"):
            head = (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: "
                    f"Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: "
                    f"{length}\r\nConnection: close\r\n\r\n").encode()
            self.send(head + _cmd(layout="safety"), "127.0.0.1")

    def vanishing_clients(self) -> None:
        get = (f"GET /api/screens/0.png HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
               f"Authorization: Bearer {TOKEN}\r\n\r\n").encode()
        post = (f"POST /api/switch HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: "
                f"Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{").encode()
        for i in range(100):
            if not self.left():
                return
            if (s := self.connect("127.0.14.1")) is None:
                continue
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                s.sendall(get if i % 2 else post)
            except OSError:
                pass
            time.sleep(0.01)
            s.close()

    def forgery(self) -> None:
        self.request("POST", "/api/ack", source="127.0.0.1",
                     body=_cmd(alert_ids=["no-such-alert", "x\x1b]0;pwned\x07"]))
        body = json.dumps({"ts": time.time(), "sender": "t\n2026-01-01 admin switch ok\x1b]0;x\x07",
                           "layout": "overview"}).encode()
        self.request("POST", "/api/switch", source="127.0.0.1", body=body)


def _cmd(**fields) -> bytes:
    return json.dumps({"ts": time.time(), "sender": "attack", **fields}).encode()


class Probe(threading.Thread):
    """The right token from 127.0.0.1, every half second."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.ok = self.failed = 0
        self.slowest = 0.0
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        import http.client

        while not self.done.wait(0.5):
            started = time.monotonic()
            try:
                con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                con.request("GET", "/api/status", headers={"Authorization": f"Bearer {TOKEN}"})
                resp = con.getresponse()
                resp.read()
                con.close()
                good = resp.status == 200
                why = f"HTTP {resp.status}"
            except OSError as exc:
                good, why = False, str(exc)
            self.slowest = max(self.slowest, time.monotonic() - started)
            if good:
                self.ok += 1
            else:
                self.failed += 1
                self.failures.append(why)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.attack_control",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="stop the attack after this long, whatever is left (default 120)")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    folder = scratch_dir("attack-control-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wall = Wall(folder, port)
    try:
        if not wall.ready.wait(90):
            print("the wall did not start:\n" + "\n".join(wall.lines[-30:]), file=sys.stderr)
            return 1
        time.sleep(3)  # the first data painted
        quiet_from = time.monotonic()
        time.sleep(10)  # the wall's own heartbeat lateness, unattacked
        quiet = [ms for when, ms in wall.late if when > quiet_from]
        mark, started = len(wall.lines), time.monotonic()
        attack = Attack(port, started + args.max_seconds)
        probe = Probe(port)
        probe.start()
        phases: list[tuple[str, float, str]] = []
        for name, fn in [("huge headers", attack.huge_headers), ("no token", attack.no_token),
                         ("idle connections", attack.idle_connections),
                         ("slow clients", attack.slow_clients), ("bad numbers", attack.bad_numbers),
                         ("vanishing clients", attack.vanishing_clients),
                         ("forgery", attack.forgery)]:
            if not attack.left():
                phases.append((name, 0.0, 0.0, "skipped: out of time"))
                continue
            t = time.monotonic()
            result = fn()
            phases.append((name, t, time.monotonic(),
                           "" if result is None else f"right token after: {'ok' if result else 'REFUSED'}"))
        time.sleep(1.5)
        probe.done.set()
        probe.join()
        ended = time.monotonic()
        late = [ms for when, ms in wall.late if started <= when <= ended + 1]
        lines = wall.lines[mark:]
        stalls = [line for line in lines if "GUI thread stalled" in line]
        tracebacks = sum("Traceback" in line for line in lines)
        print(f"attack on the control API of a running wall (127.0.0.1:{port}), "
              f"{ended - started:.1f} s")
        time.sleep(1.2)  # the last second's heartbeat line
        for name, t0, t1, note in phases:
            worst = max((ms for when, ms in wall.late if t0 < when <= t1 + 1), default=0)
            print(f"  {name:<18} {t1 - t0:6.1f} s  heartbeat worst {worst:4d} ms  {note}")
        print(f"requests and connections tried   {attack.tried:,}")
        print(f"GUI heartbeat (50 ms) lateness   worst {max(late, default=0)} ms, "
              f"median of per-second worst {sorted(late)[len(late) // 2] if late else 0} ms "
              f"({len(late)} s sampled)")
        print(f"  unattacked, the 10 s before     worst {max(quiet, default=0)} ms, median "
              f"{sorted(quiet)[len(quiet) // 2] if quiet else 0} ms")
        print(f"watchdog stalls (> 0.5 s)        {len(stalls)}")
        print(f"right token throughout           {probe.ok} ok, {probe.failed} failed"
              + (f" ({', '.join(sorted(set(probe.failures)))})" if probe.failed else "")
              + f"; slowest answer {probe.slowest * 1000:.0f} ms")
        print(f"tracebacks in the wall's log     {tracebacks}")
        print(f"log lines during the attack      {len(lines)}, longest {max(map(len, lines), default=0)} characters")
        return 0 if probe.failed == 0 and not stalls else 1
    finally:
        wall.stop()


if __name__ == "__main__":
    sys.exit(main())
