"""The control API of a running wall (a child process), as a tablet, a script and an attacker
see it: plain HTTP requests from the test, and the ``cockpit control`` command line."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time

import pytest
from support import ROOT
from support.walls import TOKEN, WallProcess, free_port, site_config

from cockpit.control import audit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("control")
    port = free_port()
    config = site_config(folder, port=port, extra="""
[carousel]
playlist = [{ layout = "environment", dwell = 0.6 }, { layout = "safety", dwell = 0.6 }]
idle_resume = 1.5
""")
    (folder / "tmp").mkdir()
    proc = WallProcess(config, folder / "wall.duckdb", env={"TMPDIR": str(folder / "tmp")})
    proc.wait_for(r"control on http://127\.0\.0\.1:\d+", timeout=60)
    proc.port = port
    proc.tmp = folder / "tmp"
    proc.config = config
    yield proc
    proc.stop()
    assert TOKEN not in proc.text, "the token reached the log"


_REFUSED_FROM = iter(range(1, 250))


def request(wall, method: str, path: str, body: object = None, *, token: str | None = TOKEN,
            headers: dict | None = None, source: str | None = None):
    if source is None:  # requests meant to fail come from their own address, so the rate
        # limit (tested on its own below) does not block the rest
        source = "127.0.0.1" if token == TOKEN else f"127.0.1.{next(_REFUSED_FROM)}"
    con = http.client.HTTPConnection("127.0.0.1", wall.port, timeout=10, source_address=(source, 0))
    hdrs = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    con.request(method, path, body=data, headers=hdrs)
    resp = con.getresponse()
    payload = resp.read()
    con.close()
    try:
        return resp.status, json.loads(payload)
    except ValueError:
        return resp.status, payload


def cmd(**fields):
    return {"ts": time.time(), "sender": "test", **fields}


def current(wall) -> str:
    return request(wall, "GET", "/api/status")[1]["layout"]


def test_a_wall_asked_for_no_thumbnail_keeps_no_folder_for_them(wall):
    """The thumbnails' folder is made on the first one asked for: a wall killed (a crash, the
    supervisor's kill) cannot remove it, and an unattended wall is restarted for weeks."""
    request(wall, "GET", "/api/status")
    assert not list(wall.tmp.glob("cockpit-thumbs-*"))


def test_the_page_is_served_without_any_secret(wall):
    status, page = request(wall, "GET", "/", token=None)
    assert status == 200 and "大屏控制" in page.decode() and TOKEN not in page.decode()


def test_switch_with_the_token_moves_the_wall(wall):
    mark = wall.mark()
    status, body = request(wall, "POST", "/api/switch", cmd(layout="safety"))
    assert status == 200 and body["layout"] == "safety"
    wall.wait_for(r"showing safety at", start=mark)
    assert current(wall) == "safety"
    status, _ = request(wall, "POST", "/api/switch", cmd(layout="overview"))
    assert status == 200 and current(wall) == "overview"


@pytest.mark.parametrize(("token", "code"), [(None, 401), ("wrong-token-000000000000", 401)])
def test_missing_or_wrong_token_is_refused(wall, token, code):
    assert request(wall, "POST", "/api/switch", cmd(layout="safety"), token=token)[0] == code
    assert request(wall, "GET", "/api/status", token=token)[0] == code
    assert current(wall) == "overview"


def test_the_token_is_not_taken_from_the_url_or_a_cookie(wall):
    assert request(wall, "GET", f"/api/status?token={TOKEN}", token=None)[0] == 401
    assert request(wall, "GET", "/api/status", token=None,
                   headers={"Cookie": f"token={TOKEN}"})[0] == 401


def test_a_no_cors_text_plain_post_changes_nothing(wall):
    """What a web page on the same PC can send without a preflight."""
    body = json.dumps(cmd(layout="safety")).encode()
    for headers in ({"Content-Type": "text/plain", "Origin": "http://localhost:8000"},
                    {"Content-Type": "text/plain"}):
        status, _ = request(wall, "POST", "/api/switch", body, token=None, headers=headers)
        assert status in (401, 403)
    # even with the token, only JSON bodies are taken
    assert request(wall, "POST", "/api/switch", body, headers={"Content-Type": "text/plain"})[0] == 415
    assert current(wall) == "overview"


def test_a_foreign_origin_is_refused_even_with_the_token(wall):
    for origin in ("http://evil.example", "http://localhost:8000", "null"):
        status, body = request(wall, "POST", "/api/switch", cmd(layout="safety"),
                               headers={"Origin": origin})
        assert status == 403 and "origin" in body["error"]
    own = f"http://127.0.0.1:{wall.port}"
    assert request(wall, "POST", "/api/switch", cmd(layout="environment"),
                   headers={"Origin": own})[0] == 200
    request(wall, "POST", "/api/switch", cmd(layout="overview"))


def test_a_foreign_host_is_refused_dns_rebinding(wall):
    status, body = request(wall, "POST", "/api/switch", cmd(layout="safety"),
                           headers={"Host": f"attacker.example:{wall.port}"})
    assert status == 403 and "host" in body["error"]
    assert request(wall, "GET", "/", token=None, headers={"Host": "attacker.example"})[0] == 403
    assert current(wall) == "overview"


def test_get_changes_nothing_and_unknown_layouts_stale_or_malformed_commands_are_ignored(wall):
    assert request(wall, "GET", "/api/switch?layout=safety")[0] == 404
    assert request(wall, "POST", "/api/switch", cmd(layout="nosuch"))[0] == 400
    stale = {"layout": "safety", "ts": time.time() - 3600, "sender": "test"}
    status, body = request(wall, "POST", "/api/switch", stale)
    assert status == 400 and "stale" in body["error"]
    assert request(wall, "POST", "/api/switch", {"layout": "safety"})[0] == 400  # no ts, sender
    assert request(wall, "POST", "/api/switch", b"{not json")[0] == 400
    assert request(wall, "POST", "/api/drill", cmd(district="110101"))[0] == 400
    assert current(wall) == "overview"
    assert "ignored: stale command" in wall.text


def test_drill_and_ack_are_taken(wall):
    assert request(wall, "POST", "/api/drill", cmd(district="370705"))[1]["district"] == "370705"
    assert request(wall, "POST", "/api/ack", cmd())[0] == 200


def test_a_screenshot_of_each_screen_now(wall):
    status, png = request(wall, "GET", "/api/screens/1.png")  # screens count from 1
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert request(wall, "GET", "/api/screens/1.png", token=None)[0] == 401
    assert request(wall, "GET", "/api/screens/9.png")[0] == 404


def test_the_carousel_advances_and_pauses_on_a_manual_switch(wall):
    mark = wall.mark()
    assert request(wall, "POST", "/api/carousel", cmd(action="start"))[1]["carousel"] == "running"
    wall.wait_for(r"showing environment at", start=mark, timeout=10)
    wall.wait_for(r"showing safety at", start=mark, timeout=10)  # advanced after its dwell
    request(wall, "POST", "/api/switch", cmd(layout="overview"))
    assert request(wall, "GET", "/api/status")[1]["carousel"]["state"] == "paused"
    mark = wall.mark()
    wall.wait_for(r"showing (environment|safety) at", start=mark, timeout=10)  # resumed
    assert request(wall, "POST", "/api/carousel", cmd(action="stop"))[1]["carousel"] == "stopped"
    request(wall, "POST", "/api/switch", cmd(layout="overview"))


def cockpit(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cockpit.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60, env={**os.environ, **(env or {})})


def test_the_command_line_drives_the_wall(wall, tmp_path):
    env = {"COCKPIT_CONTROL_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{wall.port}"
    r = cockpit("control", "--url", url, "switch", "environment", env=env)
    assert r.returncode == 0 and r.stdout.strip() == "environment", r.stderr
    r = cockpit("control", "--config", str(wall.config), "status", "--screens", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "layout      environment" in r.stdout and "feed        demo" in r.stdout
    assert (tmp_path / "screen-1.png").read_bytes()[:4] == b"\x89PNG"
    r = cockpit("control", "--url", url, "drill", "370705", env=env)
    assert r.returncode == 0 and "370705" in r.stdout
    r = cockpit("control", "--url", url, "switch", "nosuch", env=env)
    assert r.returncode == 1 and "no layout 'nosuch'" in r.stderr
    r = cockpit("control", "--url", url, "status", env={"COCKPIT_CONTROL_TOKEN": "x" * 20})
    assert r.returncode == 1 and "401" in r.stderr
    r = cockpit("control", "--url", url, "log", env=env)
    assert r.returncode == 0
    assert "tablet" in r.stdout and "switch" in r.stdout and "refused: wrong token" in r.stdout
    assert TOKEN not in r.stdout
    request(wall, "POST", "/api/switch", cmd(layout="overview"))


def test_wrong_tokens_are_rate_limited_per_address(wall):
    """From another loopback address, so the other tests' address is not blocked."""
    for _ in range(5):
        assert request(wall, "GET", "/api/status", token="bad" * 8, source="127.0.0.2")[0] == 401
    assert request(wall, "GET", "/api/status", source="127.0.0.2")[0] == 429
    assert request(wall, "GET", "/api/status")[0] == 200  # another address is not affected


# -- the audit of the keys, of forwarded commands, and its pruning (in this process) ---------
@pytest.fixture
def key_wall(qtbot, tmp_path):
    """A wall of one PC in this process, with its control API and its audit in a cache."""
    from PySide6.QtWidgets import QApplication

    from cockpit.data.store import Store
    from cockpit.model.config import load_config
    from cockpit.model.layout import load_layouts
    from cockpit.shell.control.wiring import Control
    from cockpit.shell.wall import WallShell

    port = free_port()
    config = load_config(site_config(tmp_path, port=port, extra="""
[carousel]
playlist = [{ layout = "environment", dwell = 60 }]
"""))
    layouts, _ = load_layouts(ROOT / "layouts")
    shell = WallShell(layouts, [s.geometry() for s in QApplication.screens()], windowed=True)
    store = Store(tmp_path / "wall.duckdb")
    control = Control(config, shell, store, None)
    control.start()
    yield shell, store, port
    control.stop()
    shell.close()
    store.close()


def test_a_key_switch_and_acknowledgement_show_up_in_the_control_log(qtbot, key_wall):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    shell, store, port = key_wall
    shell.windows[0].key_pressed.emit(
        QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_3, Qt.KeyboardModifier.NoModifier))
    shell.switch_to(shell.layout_index("overview"))  # not a key (the carousel, another node)
    qtbot.waitUntil(lambda: any(e["action"] == "switch" for e in audit.recent(store)), timeout=5000)
    r = cockpit("control", "--url", f"http://127.0.0.1:{port}", "log",
                env={"COCKPIT_CONTROL_TOKEN": TOKEN})
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, r.stdout  # the switch that did not come from a key is not audited
    entry = audit.recent(store)[0]
    assert (entry["token_name"], entry["action"], entry["client"], entry["outcome"]) == (
        "keyboard", "switch", "node:wall", "ok")
    assert entry["detail"] == shell.slots[2].layout.id and "keyboard" in lines[0]


def test_the_audit_keeps_the_last_days_pruned_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    import threading
    from datetime import UTC, datetime, timedelta

    from cockpit.data.store import Store
    from cockpit.shell.control.wiring import Control

    now = datetime.now(UTC)
    with Store(tmp_path / "audit.duckdb") as store:
        for days in (400, 91, 89, 0):
            audit.record(store, at=now - timedelta(days=days), token_name="tablet",
                         action="switch", detail=f"{days}d", client="127.0.0.1", outcome="ok")
        assert audit.prune(store, now - timedelta(days=365)) == 1
        threads = []
        prune = audit.prune

        def spy(on, before):
            threads.append(threading.current_thread().name)
            return prune(on, before)

        monkeypatch.setattr(audit, "prune", spy)
        control = Control.__new__(Control)  # only the audit's parts
        control.store, control.audit_days = store, 90
        from concurrent.futures import ThreadPoolExecutor

        control._audit_pool = ThreadPoolExecutor(1, thread_name_prefix="control-audit")
        control.prune_audit()
        control._audit_pool.shutdown(wait=True)
        assert threads and threads[0].startswith("control-audit")
        assert [e["detail"] for e in audit.recent(store)] == ["0d", "89d"]


def test_a_carousel_command_with_no_lead_is_answered_503_saying_why():
    from types import SimpleNamespace

    from cockpit.control.commands import Command, LeadUnavailable
    from cockpit.shell.control.bridge import WallBridge

    asked = []
    link = SimpleNamespace(lead=False, connected=True, lead_node=lambda: None,
                           request_command=lambda body: asked.append(body))
    bridge = SimpleNamespace(link=link, carousel=object())
    bridge._forward = lambda c, t: WallBridge._forward(bridge, c, t)
    command = Command("carousel", time.time(), "test", carousel="start")
    with pytest.raises(LeadUnavailable, match="主控节点.*no node leads the wall"):
        WallBridge.execute(bridge, command, "tablet")
    assert asked == []

    def silent(body):
        raise TimeoutError("the lead did not answer within 4 s")

    link.lead_node, link.request_command = (lambda: "a"), silent
    with pytest.raises(LeadUnavailable, match="did not answer"):
        WallBridge.execute(bridge, command, "tablet")
    link.request_command = lambda body: {"node": "a", "result": {"carousel": "running"},
                                         "asked": body}
    assert WallBridge.execute(bridge, command, "tablet") == {"carousel": "running",
                                                             "forwarded_to": "a"}
