"""The control page in headless Chromium (Debian's), driven over the DevTools protocol: a
leader's tablet switches the wall; a page of another origin cannot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from itertools import count

import pytest
from support import ROOT
from support.waiting import eventually
from support.walls import TOKEN, WallProcess, free_port, site_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (bootstrap.sh installs it)")]


class Browser:
    """Headless Chromium with one page, spoken to through its DevTools websocket."""

    def __init__(self, profile) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "about:blank"],
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

    def call(self, method: str, **params) -> dict:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                assert "error" not in msg, msg
                return msg["result"]

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_js(self, expression: str, timeout: float = 20):
        return eventually(lambda: self.js(expression), timeout, 0.1,
                          message=f"never true in the page: {expression}")

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def wall(tmp_path):
    port = free_port()
    proc = WallProcess(site_config(tmp_path, port=port), tmp_path / "wall.duckdb")
    proc.wait_for("control on", timeout=60)
    proc.port = port
    yield proc
    proc.stop()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


def test_the_page_switches_the_wall(wall, browser):
    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"http://127.0.0.1:{wall.port}/")
    browser.wait_js("document.readyState === 'complete' && !!document.getElementById('token')")
    browser.js(f"document.getElementById('token').value = {json.dumps(TOKEN)}; "
               "document.getElementById('save').click(); true")
    layouts = len(list((ROOT / "layouts").glob("*.toml")))  # every bundled layout has a button
    browser.wait_js(f"document.querySelectorAll('#layouts button').length === {layouts}")
    assert browser.js("document.cookie") == ""  # the token is never a cookie
    mark = wall.mark()
    browser.js("document.querySelector('#layouts button[data-layout=safety]').click(); true")
    # thumbnails of every layout render meanwhile: on a loaded 2-core machine that took > 30 s
    wall.wait_for(r"showing safety at", start=mark, timeout=75)
    browser.wait_js("document.getElementById('msg').textContent.includes('已切换')")
    browser.wait_js("document.querySelector('#layouts button[data-layout=safety]').className === 'current'")
    # health: this PC's layout, uptime, memory and feeds; a picture of each screen now
    browser.wait_js("document.getElementById('status').textContent.includes('数据源 demo')")
    assert "布局 safety" in browser.js("document.getElementById('status').textContent")
    browser.js("document.getElementById('shots').click(); true")
    browser.wait_js("document.querySelectorAll('#screens img').length === 3")
    # the thumbnails come from the screenshot machinery, fetched with the token
    browser.wait_js("[...document.querySelectorAll('#layouts img')].every(i => i.src.startsWith('blob:'))",
                    timeout=60)


def test_a_page_of_another_origin_cannot_switch_the_wall(wall, browser, tmp_path):
    """The issue's measured attack: a no-cors text/plain POST from another local page."""
    other = free_port()
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "index.html").write_text("<html><body>hi</body></html>")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(other), "--bind", "127.0.0.1"],
                              cwd=tmp_path / "evil", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        browser.call("Page.enable")
        eventually(lambda: urllib.request.urlopen(f"http://127.0.0.1:{other}/", timeout=1).close()
                   or True, 10, 0.1, ignoring=(OSError,), message="the other origin's server")
        browser.call("Page.navigate", url=f"http://127.0.0.1:{other}/")
        browser.wait_js(f"document.readyState === 'complete' && location.port === '{other}'")
        body = json.dumps({"layout": "safety", "ts": time.time(), "sender": "evil"})
        browser.js(f"fetch('http://127.0.0.1:{wall.port}/api/switch', {{method: 'POST', mode: 'no-cors', "
                   f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(body)}}})"
                   ".then(() => true, () => true)")
        wall.wait_for(r"refused POST /api/switch .*foreign origin", timeout=10)
        assert wall.showing() is None  # never switched
    finally:
        server.terminate()
        server.wait(timeout=10)
