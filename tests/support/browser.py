"""Headless Chromium (Debian's) with one page, driven over the DevTools protocol: what the
control page's tests tap, drag and read with."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from itertools import count
from pathlib import Path

from support.waiting import eventually

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One Chromium page, spoken to through its DevTools websocket."""

    def __init__(self, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--hide-scrollbars", f"--user-data-dir={profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        eventually(lambda: port_file.exists() and port_file.read_text().strip(), 30, 0.1,
                   message="chromium did not start")
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            page = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=20,
                                              suppress_origin=True)
        self._ids = count(1)
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                assert "error" not in msg, msg
                return msg["result"]
            if "method" in msg:
                self.events.append(msg)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_js(self, expression: str, timeout: float = 20):
        return eventually(lambda: self.js(expression), timeout, 0.1,
                          message=f"never true in the page: {expression}")

    def size(self, width: int, height: int) -> None:
        """The viewport of a tablet of ``width`` x ``height`` CSS pixels, touch enabled."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)

    def centre(self, selector: str) -> tuple[float, float]:
        box = self.js(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                      ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        return box[0], box[1]

    def tap(self, selector: str) -> None:
        """A finger's tap in the middle of the element (touch events, as a tablet sends)."""
        x, y = self.centre(selector)
        self.call("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}])
        self.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])

    def drag(self, points: list[tuple[float, float]]) -> None:
        """A finger pressed at the first point, moved through the rest 50 ms apart, held still
        at the last and lifted there. (Lifted while moving, the browser would start a fling,
        and the next tap, which only stops the fling, would be no click.)"""
        t = time.time()
        (x, y), rest = points[0], points[1:]
        self.call("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}],
                  timestamp=t)
        for x, y in [*rest, rest[-1]]:
            t += 0.05
            self.call("Input.dispatchTouchEvent", type="touchMove",
                      touchPoints=[{"x": x, "y": y}], timestamp=t)
        self.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[], timestamp=t + 0.3)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
