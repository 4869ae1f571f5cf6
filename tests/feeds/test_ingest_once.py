"""``cockpit ingest --once`` as an operator runs it against real HTTP servers on loopback: the
feeds load at the same time under one deadline, and each line says what that run added, what
the cache holds, the state and how the feed read its source; a second run that adds nothing
says so."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import ROOT
from support.feedkit import reply

from feeds.common import SITE_TZ


def ingest(config: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--once", "--config",
                           str(config), "--cache", str(cache), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def feed(name: str, url: str) -> str:
    return f'''[[feeds]]
name = "{name}"
kind = "rest"
url = "{url}/api"
paging = {{ type = "none" }}
timeouts = {{ read = 30, deadline = 60, retries = 0 }}
mapping = {{ ts = "t", entity_id = "e", metric = "m", value = "v" }}
'''


def lines(result: subprocess.CompletedProcess) -> dict[str, str]:
    return {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}


@pytest.mark.slow  # two runs of the command, one waiting out its deadline: about 6 s
def test_feeds_load_in_parallel_under_one_deadline_and_say_what_each_added(scripted, tmp_path):
    stamp = (datetime.now(SITE_TZ) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    both = threading.Barrier(2)  # each source answers only once the other was asked too

    def records(n: int, bad: int = 0) -> list[dict]:
        good = [{"t": stamp, "e": f"s{i}", "m": "aqi", "v": 40 + i} for i in range(n)]
        return good + [{"t": stamp, "e": "x", "m": "aqi", "v": "n/a"}] * bad

    def together(body: list[dict]):
        def script(h, n):
            try:
                both.wait(10)
            except threading.BrokenBarrierError:
                reply(h, 500, {"code": 1, "msg": "the other source was not asked meanwhile"})
                return
            reply(h, 200, {"code": 0, "msg": "", "data": {"list": body, "total": len(body)}})
        return script

    first = scripted(together(records(3)))
    second = scripted(together(records(2, bad=1)))
    stuck = scripted(lambda h, n: h.server.halted.wait(30))
    config = tmp_path / "site.toml"
    config.write_text("version = 1\n" + feed("数据中台", first.url) + feed("物联感知", second.url)
                      + feed("慢接口", stuck.url), encoding="utf-8")
    cache = tmp_path / "cache.duckdb"

    result = ingest(config, cache, "--deadline", "3")
    out = lines(result)
    assert result.returncode == 1, result.stdout + result.stderr  # one feed failed
    assert set(out) == {"数据中台", "物联感知", "慢接口"}, result.stdout
    assert " ok " in out["数据中台"] and "+3 added, 3 in cache" in out["数据中台"]
    assert "[rest; " in out["数据中台"] and "paging: none" in out["数据中台"], out["数据中台"]
    assert " partial " in out["物联感知"] and "+2 added, 2 in cache" in out["物联感知"]
    assert "v: expected a number, found 'n/a'" in out["物联感知"]
    assert " failed " in out["慢接口"] and "still loading at the 3 s deadline" in out["慢接口"]
    assert "+0 added, 0 in cache" in out["慢接口"]

    config.write_text("version = 1\n" + feed("数据中台", first.url) + feed("物联感知", second.url),
                      encoding="utf-8")
    again = ingest(config, cache)
    out = lines(again)
    assert again.returncode == 2, again.stdout + again.stderr  # none failed, one partial
    assert " ok " in out["数据中台"] and "+0 added, 3 in cache" in out["数据中台"]
    assert "+0 added, 2 in cache" in out["物联感知"]


def test_cockpit_ingest_loads_no_qt(scripted, tmp_path):
    """``cockpit ingest`` runs where no display and no Qt are wanted (a headless server): its
    help and a whole --once run import no PySide6 (the cache is opened by cockpit.data, not by
    the wall's shell)."""
    stamp = (datetime.now(SITE_TZ) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    source = scripted(lambda h, n: reply(h, 200, {"code": 0, "msg": "", "data": {
        "list": [{"t": stamp, "e": "s1", "m": "aqi", "v": 41}], "total": 1}}))
    config = tmp_path / "site.toml"
    config.write_text("version = 1\n" + feed("数据中台", source.url), encoding="utf-8")
    code = ("import sys\nfrom cockpit.cli import main\n"
            "try:\n    main(['ingest', '--help'])\nexcept SystemExit:\n    pass\n"
            "helped = sorted(m for m in sys.modules if m.startswith('PySide6'))\n"
            f"rc = main(['ingest', '--once', '--config', {str(config)!r}, "
            f"'--cache', {str(tmp_path / 'cache.duckdb')!r}])\n"
            "print('RESULT', rc, helped, sorted(m for m in sys.modules if m.startswith('PySide6')))")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert result == ["RESULT 0 [] []"], done.stdout + done.stderr
    assert "+1 added, 1 in cache" in done.stdout, done.stdout
    assert "checkpoint: none (full loads)" in done.stdout, done.stdout  # no since_param
