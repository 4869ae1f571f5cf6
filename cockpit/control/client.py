"""``cockpit control …``: the running wall's API from a script. Pure: no Qt.

The URL comes from ``--url``, ``COCKPIT_CONTROL_URL`` or the site config's [control] address;
the token from ``COCKPIT_CONTROL_TOKEN`` or the site config (never from the command line,
where every user of the PC could read it in the process list).
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from cockpit.control.commands import escape_controls


class ControlClientError(RuntimeError):
    pass


class ControlClient:
    def __init__(self, url: str, token: str, *, sender: str | None = None, timeout: float = 10) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.sender = sender or f"cli@{socket.gethostname()}"
        self.timeout = timeout

    @classmethod
    def from_options(cls, url: str | None, config: Path | None) -> ControlClient:
        token = os.environ.get("COCKPIT_CONTROL_TOKEN")
        url = url or os.environ.get("COCKPIT_CONTROL_URL")
        if config is not None:
            from cockpit.model.config import load_config

            site = load_config(config)
            if site.control is not None:
                url = url or f"http://{site.control.bind}:{site.control.port}"
                token = token or next(iter(site.control.tokens.values()), None)
        if not url:
            raise ControlClientError("no wall to talk to: give --url, COCKPIT_CONTROL_URL or "
                                     "--config with a [control] section")
        if not token:
            raise ControlClientError("no token: set COCKPIT_CONTROL_TOKEN or give --config with "
                                     "[control.tokens]")
        return cls(url, token)

    def _request(self, path: str, body: dict | None = None) -> tuple[str, bytes]:
        headers = {"Authorization": f"Bearer {self._token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps({"ts": time.time(), "sender": self.sender, **body}).encode()
        req = urllib.request.Request(self.url + path, data=data, headers=headers,
                                     method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as exc:
            try:
                why = json.loads(exc.read()).get("error", exc.reason)
            except ValueError:
                why = exc.reason
            raise ControlClientError(f"{self.url}{path}: {exc.code} {why}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise ControlClientError(f"{self.url}: cannot reach the wall ({exc})") from None

    def get(self, path: str) -> dict:
        return json.loads(self._request(path)[1])

    def post(self, endpoint: str, **body) -> dict:
        return json.loads(self._request(f"/api/{endpoint}", body)[1])

    def png(self, path: str) -> bytes:
        return self._request(path)[1]


def format_replay(r: dict) -> str:
    """One line for a replay's state: live, or the moment shown within the span."""
    if r.get("state") == "live":
        return "live"
    return (f"replay {r['state']} at {r['moment']} ({r['speed']:g}x) "
            f"in {r['from']} – {r['to']}, {r['progress'] * 100:.0f}%")


def format_status(s: dict) -> str:
    lines = [f"layout      {s['layout']}" + (f"  (node {s['node']})" if s.get("node") else ""),
             f"carousel    {s['carousel']['state']}"
             + (f"  (led by node {s['carousel']['lead']})" if s["carousel"].get("lead") else ""),
             f"takeover    {s['takeover']['title'] if s.get('takeover') else '-'}",
             f"timeline    {format_replay(s.get('replay') or {'state': 'live'})}",
             f"uptime      {s['uptime_s']} s",
             f"memory      {s['memory_mb']} MB",
             f"screens     {s['screens']} (GET /api/screens/N.png, or --screens DIR)"]
    if "broker" in s:
        lines.append(f"broker      {'connected' if s['broker'] else 'LOST (reconnecting)'}")
    for f in s.get("feeds", []):
        age = f"{f['age_s']} s ago" if f["age_s"] is not None else "never"
        err = f"  error: {f['last_error']}" if f["last_error"] else ""
        lines.append(f"feed        {f['feed']}: last success {age}{err}")
    for name, n in sorted(s.get("nodes", {}).items()):
        state = {"online": "online", "offline": "OFFLINE", "unknown": "UNKNOWN (not heard "
                 "lately)"}.get(n.get("state"), "online" if n.get("online") else "OFFLINE")
        feeds = n.get("feeds") or []
        stale = [f["feed"] for f in feeds if f.get("last_error") or f.get("age_s") is None]
        lines.append(f"node        {name}: {state}{' (lead)' if n.get('lead') else ''}, "
                     f"layout {n.get('layout')}, uptime {n.get('uptime_s')} s, "
                     f"memory {n.get('memory_mb')} MB, {n.get('screens', '?')} screen(s), "
                     f"feeds {len(feeds) - len(stale)}/{len(feeds)} ok"
                     + (f" (failing: {', '.join(stale)})" if stale else ""))
    return "\n".join(lines)


def format_log(entries: list[dict]) -> str:
    """One line per entry, every field's control characters escaped (an entry may carry what a
    client sent: an escape sequence would retitle the terminal, a newline forge a line)."""
    def field(e: dict, key: str) -> str:
        return escape_controls(str(e.get(key) or ""))

    return "\n".join(f"{field(e, 'ts')}  {field(e, 'token_name') or '-':<10} {field(e, 'action'):<9} "
                     f"{field(e, 'detail'):<12} {field(e, 'client'):<15} {field(e, 'outcome')}"
                     for e in entries)
