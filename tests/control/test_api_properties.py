"""Property-based tests of the control API's header and body handling (issue 16).

A real ``ControlServer`` on loopback, in this process, in front of a small fake backend: the
thing under test is the HTTP handling, not the wall. Requests are written raw on a socket (so
any header value can be sent) and half-closed once sent; for any Host, Origin, Authorization,
Content-Type and Content-Length and any body, the answer comes within seconds, its status is one
the API means to give (never a 500), a JSON answer other than 200 carries an ``error``, and no
command runs without the right token.
"""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cockpit.control.commands import Command
from cockpit.control.server import ControlServer
from cockpit.model.config_control import ControlSettings

TOKEN = "prop-token-0123456789abcdef"
ALLOWED = {200, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429}
ANSWER_WITHIN = 5.0


class FakeBackend:
    """The Protocol of ``cockpit.control.server.Backend``, remembering the commands run."""

    def __init__(self) -> None:
        self.executed: list[tuple[Command, str]] = []
        self.audited: list[dict] = []

    def layout_ids(self) -> list[str]:
        return ["overview", "safety"]

    def execute(self, command: Command, token_name: str) -> dict:
        self.executed.append((command, token_name))
        return {"layout": command.layout} if command.action == "switch" else {}

    def status(self) -> dict:
        return {"layout": "overview", "layouts": self.layout_ids()}

    def screen_png(self, index: int) -> bytes | None:
        return b"\x89PNG\r\n\x1a\n" if index == 0 else None

    def node_screen_png(self, node: str, index: int) -> bytes | None:
        return None

    def thumbnail(self, layout_id: str) -> bytes | None:
        return None

    def audit(self, *, token_name, action, detail, client, outcome) -> None:
        self.audited.append({"token_name": token_name, "action": action, "outcome": outcome})

    def audit_log(self, limit: int) -> list[dict]:
        return self.audited[-limit:]


@pytest.fixture(scope="module")
def server():
    backend = FakeBackend()
    # no lock-out: wrong tokens are the point here, and a 429 would hide what comes after it
    srv = ControlServer(ControlSettings(bind="127.0.0.1", port=0, tokens={"tablet": TOKEN},
                                        failures_per_minute=10**9), backend)
    srv.start()
    yield srv
    srv.stop()


def exchange(port: int, head: bytes, body: bytes) -> tuple[int, dict, bytes]:
    """Send one raw request, half-close, read the first answer (within ANSWER_WITHIN)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as s:
        s.sendall(head + body)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed already
        resp = http.client.HTTPResponse(s)
        resp.begin()
        payload = resp.read()
    assert time.monotonic() - started < ANSWER_WITHIN
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload


def build(method: str, path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def check_answer(status: int, headers: dict, payload: bytes) -> None:
    assert status in ALLOWED, (status, payload[:300])
    if headers.get("content-type", "").startswith("application/json"):
        answer = json.loads(payload)
        if status != 200:
            assert isinstance(answer, dict) and isinstance(answer.get("error"), str), answer


# -- strategies -----------------------------------------------------------------------------
# one header line's value: anything but the line ends (which would make it another header)
_value = st.text(st.characters(blacklist_characters="\r\n", codec="utf-8"), max_size=80)


def _hosts(port: int):
    return st.one_of(st.sampled_from([f"127.0.0.1:{port}", f"localhost:{port}",
                                      f"LOCALHOST:{port}", "127.0.0.1", "evil.example:80", ""]),
                     _value)


_origins = st.one_of(st.none(), st.just("null"), st.just("http://evil.example"), _value)
_auth = st.one_of(st.none(), st.just(f"Bearer {TOKEN}"), st.just(f"Bearer  {TOKEN} "),
                  st.just(f"bearer {TOKEN}"), st.just(f"Bearer {TOKEN}x"),
                  st.just(f"Basic {TOKEN}"), st.just("Bearer "), _value)
_ctype = st.one_of(st.none(), st.just("application/json"),
                   st.just("Application/JSON; charset=utf-8"), st.just("text/plain"), _value)
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                       st.sampled_from([10**30, -10**30, 2**63, float("inf"), time.time()]))
_json = st.recursive(_json_leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)),
    max_leaves=12)


def _command_like(draw_ts):
    return st.fixed_dictionaries(
        {"ts": draw_ts, "sender": st.one_of(st.just("prop"), _value)},
        optional={"layout": st.one_of(st.just("safety"), _json),
                  "action": st.one_of(st.sampled_from(["start", "stop"]), _json),
                  "district": st.one_of(st.just("370705"), _json),
                  "alert_ids": st.one_of(st.just([]), _json), "extra": _json})


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()


_bodies = st.one_of(
    _command_like(st.builds(time.time)).map(_json_bytes),
    st.binary(max_size=200),
    _json.map(_json_bytes),
    _command_like(st.one_of(st.just(0), st.floats(), st.integers(),
                            st.builds(time.time))).map(_json_bytes),
    st.integers(min_value=4000, max_value=6000).map(lambda n: b'{"ts": 1' + b"0" * n + b"}"),
    st.integers(min_value=1, max_value=8000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=8000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.just(b"x" * 20_000),
)


PARTS = ("host", "origin", "authorization", "content-type", "content-length", "body", "path")
_RIGHT_FIELD = {"switch": {"layout": "safety"}, "carousel": {"action": "start"},
                "drill": {"district": "370705"}, "ack": {"alert_ids": []}}


@st.composite
def posts(draw, port: int):
    """A POST right in all but a few of its parts (none, sometimes), each wrong part drawn
    from anything: so that requests get past each check often enough to try the later ones."""
    wrong = draw(st.sets(st.sampled_from(PARTS), max_size=3))

    def part(name, right, fuzz):
        return draw(fuzz) if name in wrong else right

    action = part("path", "switch", st.sampled_from(["switch", "carousel", "drill", "ack"]))
    path = part("path", f"/api/{action}", st.one_of(
        st.sampled_from(["/api/switch", "/api/carousel", "/api/drill", "/api/ack", "/api/reboot",
                         "/api/status", "/nowhere", "/api/"])))
    headers = [("Host", part("host", f"127.0.0.1:{port}", _hosts(port)))]
    for name, right, fuzz in (("Origin", None, _origins),
                              ("Authorization", f"Bearer {TOKEN}", _auth),
                              ("Content-Type", "application/json", _ctype)):
        if (value := part(name.lower(), right, fuzz)) is not None:
            headers.append((name, value))
    body = part("body", None, _bodies)
    if body is None:
        body = json.dumps({"ts": time.time(), "sender": "prop",
                           **_RIGHT_FIELD[action]}).encode()
    length = part("content-length", str(len(body)), st.one_of(
        st.none(), st.integers(min_value=0, max_value=400).map(str),
        st.sampled_from(["-1", "+5", " 5", "1e3", "0x10", "99999999999999999999", "16385",
                         "5, 5", ""]), _value))
    if length is not None:
        headers.append(("Content-Length", length))
    return path, headers, body


def _right_token(headers: list[tuple[str, str]]) -> bool:
    values = [v for k, v in headers if k == "Authorization"]
    return bool(values) and values[0].startswith("Bearer ") and \
        values[0][len("Bearer "):].strip() == TOKEN


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(data=st.data())
def test_any_post_is_answered_with_a_meant_status_and_runs_only_with_the_token(server, data):
    path, headers, body = data.draw(posts(server.port))
    before = len(server.backend.executed)
    status, answer_headers, payload = exchange(server.port, build("POST", path, headers), body)
    check_answer(status, answer_headers, payload)
    if len(server.backend.executed) > before:
        assert _right_token(headers), headers
        assert status == 200


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), path=st.sampled_from(["/", "/api/status", "/api/log", "/api/screens/1.png",
                                             "/api/screens/99999999999999999999.png",
                                             "/api/nodes/n1/screens/1.png",
                                             "/api/thumbs/overview.png", "/api/switch",
                                             "/nowhere", "/api/status?x=1"]))
def test_any_get_is_answered_with_a_meant_status(server, data, path):
    headers = [("Host", data.draw(_hosts(server.port)))]
    for name, strategy in (("Origin", _origins), ("Authorization", _auth)):
        if (value := data.draw(strategy)) is not None:
            headers.append((name, value))
    status, answer_headers, payload = exchange(server.port, build("GET", path, headers), b"")
    check_answer(status, answer_headers, payload)
    if status == 200 and path.startswith("/api/"):
        assert _right_token(headers)


@settings(max_examples=30, deadline=None)
@given(layout=st.sampled_from(["overview", "safety"]), sender=st.text(min_size=1, max_size=64))
@example(layout="safety", sender="\x00\x1b[31m")
def test_a_well_formed_command_with_the_token_runs_once(server, layout, sender):
    body = json.dumps({"ts": time.time(), "sender": sender, "layout": layout}).encode()
    headers = [("Host", f"127.0.0.1:{server.port}"), ("Authorization", f"Bearer {TOKEN}"),
               ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    before = len(server.backend.executed)
    status, answer_headers, payload = exchange(server.port, build("POST", "/api/switch", headers),
                                               body)
    assert status == 200, payload
    assert json.loads(payload)["ok"] is True
    assert len(server.backend.executed) == before + 1
    assert server.backend.executed[-1][0].layout == layout


def test_a_token_holders_refused_commands_are_audited_sixty_a_minute_and_the_rest_counted(server):
    """A stuck script with a good token sending bad commands in a loop: at most
    HOLDER_NOTES_PER_MINUTE of them a minute reach the audit and the log; the rest are counted
    and said with the next one let through — the audit cannot be flooded, and nothing goes
    without a trace."""
    from cockpit.control.server import HOLDER_NOTES_PER_MINUTE

    server._holder_notes._seen.clear()  # this module's other tests sent refusals of their own
    server._holder_notes._all.clear()
    backend = server.backend
    before = len(backend.audited)
    body = b'{"layout": "nowhere"}'
    head = build("POST", "/api/switch", [("Host", f"127.0.0.1:{server.port}"),
                                         ("Authorization", f"Bearer {TOKEN}"),
                                         ("Content-Type", "application/json"),
                                         ("Content-Length", str(len(body)))])
    for _ in range(HOLDER_NOTES_PER_MINUTE + 25):
        status, _, _ = exchange(server.port, head, body)
        assert status == 400  # every one is still answered, naming what is wrong
    refused = [a for a in backend.audited[before:] if a["outcome"].startswith("refused")]
    assert len(refused) == HOLDER_NOTES_PER_MINUTE
    assert server._holder_notes.suppressed == 25  # counted, to be said with the next noted
