"""The control page in headless Chromium (Debian's), driven over the DevTools protocol: the
console is static files under a strict policy, shows every screen of the wall, and a page of
another origin cannot switch the wall."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from support.browser import CHROMIUM, Browser
from support.waiting import eventually
from support.walls import TOKEN, WallProcess, free_port, site_config

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (bootstrap.sh installs it)")]


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    """One wall for the module: no test here switches it (the last one checks it never did)."""
    tmp_path = tmp_path_factory.mktemp("wall")
    port = free_port()
    proc = WallProcess(site_config(tmp_path, port=port, layouts=["overview", "safety"]),
                       tmp_path / "wall.duckdb")
    proc.wait_for("control on", timeout=60)
    proc.port = port
    yield proc
    proc.stop()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


def test_the_console_is_static_files_under_a_strict_policy(wall):
    base = f"http://127.0.0.1:{wall.port}"
    for path, ctype in (("/", "text/html"), ("/console.js", "text/javascript"),
                        ("/console.css", "text/css"), ("/icon.svg", "image/svg+xml")):
        with urllib.request.urlopen(base + path, timeout=10) as resp:  # no token: no secret in them
            csp = resp.headers["Content-Security-Policy"]
            assert resp.headers["Content-Type"].startswith(ctype), path
            body = resp.read().decode()
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "http://" not in body.replace("http://www.w3.org/", ""), path  # nothing from elsewhere
    html = urllib.request.urlopen(base + "/", timeout=10).read().decode()
    assert "<script>" not in html and "<style" not in html and " style=" not in html  # no inline code
    rebound = urllib.request.Request(base + "/console.js", headers={"Host": f"evil.example:{wall.port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:  # DNS rebinding: the Host check holds
        urllib.request.urlopen(rebound, timeout=10)
    assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as refused:  # the data needs the token
        urllib.request.urlopen(base + "/api/districts", timeout=10)
    # an API answer (here a refusal) runs and loads nothing, inline or not
    assert refused.value.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert refused.value.code == 401


def test_the_console_mirrors_every_screen_of_the_wall(wall, browser):
    browser.call("Page.enable")
    browser.size(2048, 1536)
    browser.call("Page.navigate", url=f"http://127.0.0.1:{wall.port}/")
    browser.wait_js("document.readyState === 'complete' && !!document.getElementById('token')")
    browser.js(f"document.getElementById('token').value = {json.dumps(TOKEN)}; "
               "document.getElementById('save').click(); true")
    assert browser.js("document.cookie") == ""  # the token is never a cookie
    assert browser.js("sessionStorage.getItem('cockpit-token')") == TOKEN  # the tab keeps it
    browser.wait_js("document.querySelectorAll('#layouts .card').length === 2")
    # the layout on the wall shows what its screen 1 shows now (the others their rendering)
    browser.wait_js("(i => i && i.src.startsWith('blob:') && i.naturalWidth > 0)"
                    "(document.querySelector('.card.current img'))", timeout=30)
    browser.tap(".rail-btn[data-view=screens]")
    # the offscreen wall has three screens: a picture of each, fetched with the token
    browser.wait_js("document.querySelectorAll('#nodes .shot img').length === 3")
    browser.wait_js("[...document.querySelectorAll('#nodes .shot img')].every(i => "
                    "i.src.startsWith('blob:') && i.naturalWidth > 0)", timeout=30)
    assert browser.js("document.querySelector('#nodes .node h3').textContent").startswith("本机")
    # on a wall of several PCs (the status as a node of one reports it): one group per node,
    # the other nodes' screens asked of them, nodes offline or of unknown state said so
    status = {"node": "a", "lead": False, "screens": 1, "nodes": {
        "a": {"state": "online", "screens": 1}, "b": {"state": "online", "lead": True, "screens": 2},
        "c": {"state": "unknown", "screens": 1}, "__proto__": {"state": "offline", "screens": 1}}}
    nodes = browser.js(f"""(() => {{ buildNodes(JSON.parse({json.dumps(json.dumps(status))}));
      return [[...document.querySelectorAll('#nodes .node h3')].map(h => h.textContent),
              [...shots.values()].map(s => s.path)]; }})()""")
    assert nodes[0] == ["节点 a在线", "节点 b（主控）在线", "节点 c状态未知", "节点 __proto__离线"]
    assert nodes[1] == ["/api/screens/1.png", "/api/nodes/b/screens/1.png", "/api/nodes/b/screens/2.png"]
    # a large tablet keeps the alert list beside the view
    assert browser.js("!!document.getElementById('view-alerts').offsetParent")


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
