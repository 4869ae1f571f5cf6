"""Chinese middle-platform gateways as they answer in the field, end to end.

Recorded answers of six gateway styles (tests/fixtures/conformance/gateway/*: PageHelper's
pageNum/pageSize, MyBatis-Plus's IPage, rows/count with offset/limit, a cursor with hasMore and
no total, keys containing dots, a bare JSON array) are served by real HTTP servers on loopback,
and loaded by ``cockpit ingest --once --config FILE`` as a user runs it, into a real DuckDB file
checked row by row against each style's expected.csv; a second load must add nothing and send
each gateway its lower bound in the gateway's own time format. Then the ways a gateway cuts a load short
without saying so (a page parameter it ignores, fewer distinct records than its total, a cursor
that stands still) must end partial with the reason, and the HTTP layer must not ask again
what cannot change (an over-cap body, a 404, a body that is not JSON) but must ask again after
a 503's Retry-After. Two ``cockpit ingest`` processes in all, for speed."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
from support import FIXTURES, ROOT
from support.feedkit import reply

from cockpit.data import sources
from cockpit.data.ingest import load
from cockpit.data.store import Store
from cockpit.model.config import load_config

GATEWAY = FIXTURES / "conformance" / "gateway"
STYLES = sorted(p.name for p in GATEWAY.iterdir() if (p / "routes.json").is_file())
TIMEOUTS = 'timeouts = { connect = 2, read = 5, deadline = 10, retries = 2, backoff = 0.05 }'


def _args(h) -> dict[str, str]:
    """The request's parameters: the query, and a POST's JSON body (values as text)."""
    url = urlsplit(h.path)
    args = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    if h.command == "POST":
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))) or b"{}")
        args.update({k: str(v) for k, v in body.items()})
    return args


def _recorded(style: str):
    """A script answering as the recorded gateway does: the route whose parameters match."""
    folder = GATEWAY / style
    spec = json.loads((folder / "routes.json").read_text(encoding="utf-8"))

    def script(h, n):
        args = _args(h)
        h.server.args.append(args)
        if urlsplit(h.path).path != spec["path"]:
            reply(h, 404, {"error": "no such API"})
            return
        name = next((r["body"] for r in spec["routes"]
                     if all(args.get(k) == v for k, v in r["match"].items())), spec["otherwise"])
        reply(h, 200, (folder / name).read_bytes())

    return script, spec["path"]


def _serve(scripted, script):
    server = scripted(script)
    server.args = []
    return server


def _config(tmp_path: Path, feeds: list[tuple[str, str, str]]) -> Path:
    """A site config of REST feeds: (name, url, the rest of its table)."""
    parts = ["version = 1", "[store]", "retention_days = 3650"]
    for name, url, body in feeds:
        parts += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', 'interval = "1m"', body]
    path = tmp_path / "site.toml"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _ingest(config: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--once", "--config",
                           str(config), "--cache", str(cache)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def _rows(cache: Path, feed: str) -> list[tuple]:
    with duckdb.connect(str(cache), read_only=True) as con:
        return con.execute(
            "SELECT entity_id, metric, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), "
            "value, coalesce(unit, ''), district FROM observations WHERE feed = ? "
            "ORDER BY entity_id, metric, ts", [feed]).fetchall()


def _health(cache: Path) -> dict[str, tuple]:
    with duckdb.connect(str(cache), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT feed, coalesce(last_success = last_attempt, false), partial, last_error "
            "FROM feed_health"
        ).fetchall()}


def _expected(style: str) -> list[tuple]:
    with (GATEWAY / style / "expected.csv").open(encoding="utf-8") as f:
        return [(r["entity_id"], r["metric"], r["ts"], float(r["value"]), r["unit"],
                 r["district"]) for r in csv.DictReader(f)]


def test_every_gateway_style_loads_row_by_row_then_asks_from_its_checkpoint(scripted, tmp_path):
    servers, feeds = {}, []
    for style in STYLES:
        script, path = _recorded(style)
        servers[style] = _serve(scripted, script)
        feeds.append((f"gw-{style}", servers[style].url + path,
                      TIMEOUTS + "\n" + (GATEWAY / style / "feed.toml").read_text("utf-8")))
    config, cache = _config(tmp_path, feeds), tmp_path / "cache.duckdb"
    first = _ingest(config, cache)
    assert first.returncode == 0, first.stdout + first.stderr
    health = _health(cache)
    for style in STYLES:
        assert _rows(cache, f"gw-{style}") == _expected(style), style
        assert health[f"gw-{style}"] == (True, False, None), style  # ok, complete
    # the paging each style needed, no more: a request per page (+1 empty page proving the
    # end where the gateway gives no total)
    requests = {style: len(s.args) for style, s in servers.items()}
    assert requests == {"bare_array": 3, "cursor_has_more": 3, "dotted_keys": 2,
                        "mybatis_plus": 2, "pagehelper": 3, "rows_count_offset": 3}
    assert servers["cursor_has_more"].args[0]["cursor"] == ""  # the first page asks from the start

    for s in servers.values():
        s.args.clear()
    # the next load, in this process (a second `cockpit ingest` would only cost start-up time):
    # the same feeds, built from the same config, from the checkpoints the first run left
    with Store(cache) as store:
        for spec in load_config(config).feeds:
            assert load(sources.build(spec), store, datetime.now(UTC)) == 0, spec.name
    for style in STYLES:  # nothing added twice
        assert _rows(cache, f"gw-{style}") == _expected(style), style
    # the lower bound went back in each gateway's own format: the newest record's time
    since = {style: s.args[0] for style, s in servers.items()}
    assert since["pagehelper"]["startTime"] == "2026-11-20 08:10:00"  # local, %Y-%m-%d %H:%M:%S
    assert since["mybatis_plus"]["beginTime"] == "1795135800000"  # 08:50 +08:00 in epoch ms
    assert since["rows_count_offset"]["since"] == "1795136400"  # 09:00 +08:00 in epoch s
    assert since["cursor_has_more"]["from"] == "2026-11-20T09:30:00+08:00"
    assert since["dotted_keys"]["$since"] == "2026-11-20T10:00:00+08:00"
    assert since["bare_array"]["since"] == "2026-11-20T08:40:00+08:00"


def _records(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"r{i}", "areaCode": "370702", "indexCode": f"m{i:03d}", "indexValue": str(i),
             "monitorTime": "2026-11-20 08:00:00"} for i in range(start, start + n)]


LONG = """kind = "rest"
  [feeds.mapping]
  ts = "monitorTime"
  entity_id = "areaCode"
  metric = "indexCode"
  value = "indexValue"
"""


def _page_ignored(h, n):
    """A gateway that ignores pageNum (it reads ``page``): page 1, every time, of 108."""
    h.server.args.append(_args(h))
    reply(h, 200, {"code": 0, "msg": "success", "data": {"list": _records(20), "total": 108}})


def _shifting(h, n):
    """Pages that overlap (rows inserted meanwhile) and run dry before the announced total."""
    args = _args(h)
    h.server.args.append(args)
    page = int(args["pageNum"])
    rows = {1: _records(10), 2: _records(10, 5), 3: _records(3, 15)}.get(page, [])
    reply(h, 200, {"code": 0, "msg": "success", "data": {"list": rows, "total": 25}})


def _stuck_cursor(h, n):
    args = _args(h)
    h.server.args.append(args)
    rows = _records(5, 0 if not args.get("cursor") else 5 * len(h.server.args))
    reply(h, 200, {"code": 0, "data": {"list": rows, "nextCursor": "c-1"}})


def _huge(h, n):
    """50 MiB without a Content-Length: only reading it shows how big it is."""
    h.server.args.append(_args(h))
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Connection", "close")
    h.end_headers()
    h.close_connection = True
    chunk = b"[" + b"1," * 32767 + b"1]"
    h.server.sent = 0
    try:
        for _ in range(800):
            h.wfile.write(chunk)
            h.server.sent += len(chunk)
    except OSError:
        pass


def _missing(h, n):
    h.server.args.append(_args(h))
    reply(h, 404, {"code": 404, "msg": "接口不存在"})


def _garbage(h, n):
    h.server.args.append(_args(h))
    reply(h, 200, b"<html><body>502 Bad Gateway</body></html>")


def _busy_then_ok(h, n):
    h.server.args.append(_args(h))
    h.server.at.append(time.monotonic())
    if n == 0:
        reply(h, 503, {"code": 503, "msg": "限流"}, {"Retry-After": "1"})
    else:
        reply(h, 200, {"code": 0, "data": {"list": _records(4), "total": 4}})


def test_a_gateway_cutting_a_load_short_or_failing_is_never_ok(scripted, tmp_path):
    servers = {name: _serve(scripted, script) for name, script in [
        ("ignored", _page_ignored), ("shifting", _shifting), ("stuck", _stuck_cursor),
        ("huge", _huge), ("missing", _missing), ("garbage", _garbage), ("busy", _busy_then_ok)]}
    servers["busy"].at = []
    page = 'paging = { type = "page", page_param = "pageNum", size_param = "pageSize", size = 20 }'
    feeds = [
        ("ignored", servers["ignored"].url + "/api", f"{TIMEOUTS}\n{page}\n{LONG}"),
        ("shifting", servers["shifting"].url + "/api",
         f"{TIMEOUTS}\n{page.replace('20', '10')}\n{LONG}"),
        ("stuck", servers["stuck"].url + "/api",
         f'{TIMEOUTS}\nenvelope = {{ total = "" }}\npaging = {{ type = "cursor", size = 5 }}\n{LONG}'),
        ("huge", servers["huge"].url + "/api",
         TIMEOUTS.replace("}", ", max_bytes = 1048576 }") + "\n" + LONG),
        ("missing", servers["missing"].url + "/api", f"{TIMEOUTS}\n{LONG}"),
        ("garbage", servers["garbage"].url + "/api", f"{TIMEOUTS}\n{LONG}"),
        ("busy", servers["busy"].url + "/api", f"{TIMEOUTS}\n{LONG}"),
    ]
    cache = tmp_path / "cache.duckdb"
    result = _ingest(_config(tmp_path, feeds), cache)
    assert result.returncode != 0, result.stdout  # feeds failed: the exit status says so
    health = _health(cache)
    out = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}

    # a server ignoring the page parameter: 20 of 108 cached, and it says so, naming the repeat
    ok, partial, reason = health["ignored"]
    assert partial is True and "都已取到过" in reason and "pageNum" in reason
    assert "已取到 20 条不同记录（服务端声明共 108 条）" in reason
    assert len(_rows(cache, "ignored")) == 20 and len(servers["ignored"].args) == 2
    assert "partial" in out["ignored"] and " ok " not in out["ignored"]
    # overlapping pages that run dry: 18 distinct of 25, with the repeats counted
    assert health["shifting"][1] is True
    assert "只取到 18/25 条不同记录" in health["shifting"][2] and "5 条重复" in health["shifting"][2]
    assert len(_rows(cache, "shifting")) == 18
    # a cursor that does not advance: two pages, then stop, partial
    assert health["stuck"][1] is True and "没有前进" in health["stuck"][2]
    assert len(servers["stuck"].args) == 2 and len(_rows(cache, "stuck")) == 10

    # over the cap: asked once, abandoned at the cap, not downloaded whole
    assert health["huge"][0] is False and "over the cap of 1048576" in health["huge"][2]
    assert len(servers["huge"].args) == 1
    assert servers["huge"].sent < 20 * 2**20  # of 50 MiB: the cap plus what socket buffers hold
    # a 404 and a body that is not JSON are asked for once
    assert health["missing"][0] is False and "HTTP 404" in health["missing"][2]
    assert len(servers["missing"].args) == 1
    assert health["garbage"][0] is False and "not JSON" in health["garbage"][2]
    assert len(servers["garbage"].args) == 1
    # a 503 with Retry-After: 1 is waited out, asked again, and loads
    assert health["busy"] == (True, False, None) and len(_rows(cache, "busy")) == 4
    first, second = servers["busy"].at
    assert second - first >= 0.9
