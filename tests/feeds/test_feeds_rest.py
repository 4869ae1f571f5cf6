"""The middle-platform REST adapter against the simulator and scripted servers on loopback:
each paging style, incremental loads, the signature the server verifies, the envelope's error
code, partial loads, rejected records and a restart mid-ingest (no Qt)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from support.feedkit import count, reply

from cockpit.data.ingest import FeedRunner, load
from cockpit.data.store import Store
from cockpit.demo.simulator import Faults
from feeds.common import PathError, dig, format_time, parse_time_as
from feeds.errors import FetchError, Incomplete, Malformed, RetryLater
from feeds.http import HttpPolicy
from feeds.rest import RestFeed

POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=3, retries=1, backoff=0.01)
MAPPING = {"ts": "monitorTime", "entity_id": "areaCode", "district": "areaCode",
           "metric": "indexCode", "value": "indexValue", "unit": "unit",
           "fixed": {"entity_type": "district"}}
ALL = 6 * 12 * 14  # 30 minutes of history: 6 steps, 12 districts, 14 metrics


def _feed(url: str, paging: dict | None = None, **options) -> RestFeed:
    opts = {"url": url, "since_param": "startTime", "mapping": MAPPING,
            "paging": paging or {"type": "page", "size": 200}, **options}
    return RestFeed("数据中台", 5, opts, requests.Session(), policy=POLICY,
                    env=options.pop("env", None))


@pytest.mark.parametrize("paging", [{"type": "page", "size": 200}, {"type": "offset", "size": 150},
                                    {"type": "cursor", "size": 250}])
def test_each_paging_style_loads_every_record_once(sim, store, clock, paging):
    feed = _feed(sim.url + "/api/v1/indicators", paging)
    assert load(feed, store, clock.now()) == ALL
    assert count(store) == ALL and feed.partial is None
    assert store.reader().execute(
        "SELECT count(DISTINCT district), count(DISTINCT metric), count(DISTINCT ts) "
        "FROM observations").fetchone() == (12, 14, 6)
    # numbers came as strings, times as local time without a zone
    ts, value = store.reader().execute(
        "SELECT max(ts), arg_max(value, ts) FROM observations WHERE metric = 'aqi' "
        "AND district = '370705'").fetchone()
    assert ts.timestamp() == sim.sim.world.latest("370705", "aqi").ts.timestamp()
    assert value == sim.sim.world.latest("370705", "aqi").value


def test_incremental_load_fetches_only_what_is_new(sim, store, clock):
    feed = _feed(sim.url + "/api/v1/indicators")
    load(feed, store, clock.now())
    checkpoint = store.checkpoint("数据中台")
    sim.sim.log.clear()
    clock.advance()  # the city moves on five minutes
    assert load(feed, store, clock.now()) == 12 * 14
    assert count(store) == ALL + 12 * 14
    assert store.checkpoint("数据中台") > checkpoint
    assert all("startTime=" in p for p in sim.sim.log)
    assert len(sim.sim.log) == 2  # two steps (the checkpoint's own and the new) fit one page
    assert load(feed, store, clock.now()) == 0  # nothing new: nothing added


def test_signature_auth_against_a_server_that_verifies_it(sim, store, clock):
    sim.sim.signature = ("cockpit-wall", "s3cr3t-key")
    env = {"WF_SECRET": "s3cr3t-key"}
    good = _feed(sim.url + "/api/v1/indicators",
                 auth={"type": "signature", "app_key": "cockpit-wall", "secret_env": "WF_SECRET"},
                 env=env)
    assert load(good, store, clock.now()) == ALL
    bad = _feed(sim.url + "/api/v1/indicators",
                auth={"type": "signature", "app_key": "cockpit-wall", "secret": "wrong-key"})
    with pytest.raises(FetchError) as err:
        load(bad, store, clock.now())
    assert "签名校验失败" in str(err.value) and "wrong-key" not in str(err.value)
    assert "wrong-key" not in str(bad.describe()) and "s3cr3t" not in str(good.describe())


def test_bearer_token_travels_in_a_header(sim, store, clock):
    sim.sim.bearer = "tok-123456"
    feed = _feed(sim.url + "/api/v1/indicators", auth={"type": "bearer", "token": "tok-123456"})
    assert load(feed, store, clock.now()) == ALL
    assert not any("tok-123456" in p for p in sim.sim.log)


def test_nonzero_envelope_code_is_an_error_with_its_message(scripted, store, clock):
    server = scripted(lambda h, n: reply(h, 200, {"code": 500101, "msg": "接口已停用",
                                                  "data": None}))
    with pytest.raises(FetchError, match="500101: 接口已停用"):
        load(_feed(server.url + "/api"), store, clock.now())


def test_short_load_is_flagged_partial_in_feed_health(scripted, store, clock):
    stamp = clock.now().strftime("%Y-%m-%d %H:%M:%S")
    rec = {"monitorTime": stamp, "areaCode": "370702", "indexCode": "aqi", "indexValue": "80"}
    pages = [[rec], []]  # the server announces 5 but runs dry after one

    def handler(h, n):
        reply(h, 200, {"code": 0, "msg": "ok", "data": {"list": pages[min(n, 1)], "total": 5}})

    server = scripted(handler)
    feed = _feed(server.url + "/api", {"type": "page", "size": 1})
    runner = FeedRunner(store, [feed], clock=clock.now)
    runner.backfill_all()
    assert store.reader().execute(
        "SELECT partial, last_error, last_success IS NOT NULL FROM feed_health").fetchone() == (
        True, "只取到 1/5 条（服务端声明的总数）", True)


def test_bad_records_are_rejected_with_reasons_and_the_rest_load(scripted, store, clock):
    ok = {"monitorTime": clock.now().isoformat(), "areaCode": "370702", "indexCode": "aqi",
          "indexValue": " 85 "}
    records = [ok, {**ok, "indexCode": "pm25", "indexValue": "N/A"},
               {**ok, "indexCode": "pm25", "monitorTime": "27/11/2026 08:00"},
               {**ok, "indexCode": "pm25", "indexValue": True},
               {**ok, "indexCode": "pm25", "monitorTime": "1970-01-01T00:00:00Z"},
               {k: v for k, v in ok.items() if k != "areaCode"}, "not a record"]
    server = scripted(lambda h, n: reply(h, 200, {"code": 0, "data": {"list": records,
                                                                      "total": 7}}))
    feed = _feed(server.url + "/api")
    assert load(feed, store, clock.now()) == 1
    reasons = " | ".join(feed.rejected)
    for part in ("indexValue: expected a number, found 'N/A'", "not an ISO 8601 time",
                 "found a boolean", "before 2000", "areaCode: missing", "(record)"):
        assert part in reasons or part in feed.partial, part
    assert "6 条记录被拒绝" in feed.partial


def test_garbage_page_keeps_the_cached_rows(sim, store, clock):
    feed = _feed(sim.url + "/api/v1/indicators")
    load(feed, store, clock.now())
    sim.sim.set_faults(Faults(garbage=1.0))
    runner = FeedRunner(store, [feed], clock=clock.now)
    runner.backfill_all()
    error = store.reader().execute("SELECT last_error FROM feed_health").fetchone()[0]
    assert "数据中台" in error and "not JSON" in error
    assert count(store) == ALL


def test_restart_mid_ingest_loses_and_duplicates_nothing(sim, tmp_path, clock):
    path = tmp_path / "restart.duckdb"
    sim.sim.set_faults(Faults(drop=1.0, after=3))  # pages 1-3 arrive, then the line drops
    with Store(path) as first:
        feed = _feed(sim.url + "/api/v1/indicators", {"type": "page", "size": 100})
        with pytest.raises(FetchError):
            load(feed, first, clock.now())
        assert count(first) == 300 and first.checkpoint("数据中台") is not None
    sim.sim.set_faults(Faults())
    with Store(path) as again:  # a new process: new feed, cache reopened
        feed = _feed(sim.url + "/api/v1/indicators", {"type": "page", "size": 100})
        load(feed, again, clock.now())
        assert count(again) == ALL
        assert again.reader().execute(
            "SELECT count(*) FROM (SELECT DISTINCT ts, feed, entity_id, metric "
            "FROM observations)").fetchone()[0] == ALL


@pytest.mark.parametrize(("fault", "error", "text"), [
    ("slow", FetchError, "deadline"),
    ("error", FetchError, "HTTP 500"),
    ("garbage", Malformed, "not JSON"),
    ("drop", FetchError, "数据中台"),
    ("retry_after", RetryLater, "Retry-After 2"),
])
def test_each_simulator_fault_fails_the_load_clearly(sim, store, clock, fault, error, text):
    sim.sim.set_faults(Faults(**{fault: 1.0}, trickle_s=0.1))
    feed = _feed(sim.url + "/api/v1/indicators")
    feed.http.policy = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=0.6, retries=1,
                                  backoff=0.01, retry_after_inline=0)  # straight to the runner
    with pytest.raises(error, match=text):
        load(feed, store, clock.now())
    assert count(store) == 0 and store.checkpoint("数据中台") is None


# -- paths, time formats ---------------------------------------------------------------------
def test_paths_quote_keys_with_dots_or_are_json_pointers():
    body = {"@iot.count": 3, "data": {"a.b": [{"x/y": 1, "m~n": 2}]}}
    assert dig(body, '"@iot.count"') == 3 == dig(body, "/@iot.count")
    assert dig(body, 'data."a.b".0."x/y"') == 1 == dig(body, "/data/a.b/0/x~1y")
    assert dig(body, "/data/a.b/0/m~0n") == 2 and dig(body, "") is body
    assert dig(body, "@iot.count", None) is None  # unquoted: "@iot" then "count"
    for bad, why in [('a."b', "unclosed quote"), ('a."b"c', "expected '.'"), ("/a~2", "~")]:
        with pytest.raises(PathError, match=why):
            dig(body, bad)


def test_time_formats_read_and_write_in_the_feed_zone():
    utc = ZoneInfo("UTC")
    when = datetime(2026, 11, 28, 0, 5, 9, 999_000, tzinfo=UTC)
    assert format_time(when, "%Y-%m-%d %H:%M:%S") == "2026-11-28 08:05:09"  # Asia/Shanghai
    assert format_time(when, "%Y-%m-%d %H:%M:%S", utc) == "2026-11-28 00:05:09"
    assert format_time(when, "epoch_ms") == "1795824309999"
    assert format_time(when, "epoch_s") == "1795824309"  # cut down: the bound stays inclusive
    assert format_time(when, "iso") == "2026-11-28T08:05:09.999000+08:00"
    for fmt, value in [("%Y-%m-%d %H:%M:%S", "2026-11-28 08:05:09"),
                       ("%Y%m%d%H%M%S", 20261128080509), ("epoch_s", "1795824309"),
                       ("epoch_ms", 1795824309000), ("iso", "2026-11-28T08:05:09+08:00")]:
        assert parse_time_as(value, fmt, "f", "t", now=when) == when.replace(microsecond=0), fmt
    with pytest.raises(Malformed, match="not a time in the format '%Y-%m-%d %H:%M:%S'"):
        parse_time_as("2026/11/28 08:05", "%Y-%m-%d %H:%M:%S", "f", "t")
    with pytest.raises(Malformed, match="expected epoch seconds"):
        parse_time_as("soon", "epoch_s", "f", "t")


# -- completeness, proven ----------------------------------------------------------------------
def _rec(i: int, minute: int = 0) -> dict:
    return {"monitorTime": f"2026-11-20 08:{minute:02d}:00", "areaCode": "370702",
            "indexCode": f"m{i}", "indexValue": str(i)}


def _ignoring(records: list[dict], total: int | None = None, **extra):
    """A gateway that ignores the page parameter: the same page whatever is asked."""
    data = {"list": records, **({"total": total} if total is not None else {}), **extra}
    return lambda h, n: reply(h, 200, {"code": 0, "data": data})


@pytest.mark.parametrize(("order", "checkpoint"), [
    ("oldest first", "2026-11-20T00:02:00+00:00"), ("newest first", None)])
def test_a_repeated_page_stops_the_load_and_moves_the_checkpoint_only_if_safe(
        scripted, store, clock, order, checkpoint):
    """Oldest first, everything before the newest record loaded has been seen: the next load
    may start there. Newest first, the missed records are older: the checkpoint stays put."""
    records = [_rec(i, i) for i in range(3)]
    server = scripted(_ignoring(records if order == "oldest first" else records[::-1], 10))
    feed = _feed(server.url + "/api", {"type": "page", "size": 3})
    assert load(feed, store, clock.now()) == 3 and len(server.seen) == 2
    assert "第 2 页（page=2）的 3 条记录在本次加载中都已取到过" in feed.partial
    assert "服务端可能忽略了分页参数 page" in feed.partial
    assert store.checkpoint("数据中台") == checkpoint


def test_without_a_total_a_repeat_is_not_taken_for_the_end(scripted, store, clock):
    server = scripted(_ignoring([_rec(i) for i in range(2)]))  # short page, then the same again
    feed = _feed(server.url + "/api", {"type": "page", "size": 5}, envelope={"total": ""})
    load(feed, store, clock.now())
    assert len(server.seen) == 2 and "都已取到过" in feed.partial


def test_on_incomplete_fail_fails_the_load_and_keeps_the_rows(scripted, store, clock):
    server = scripted(_ignoring([_rec(i) for i in range(3)], 9))
    feed = _feed(server.url + "/api", {"type": "page", "size": 3, "on_incomplete": "fail"})
    with pytest.raises(Incomplete, match="加载不完整.*都已取到过"):
        load(feed, store, clock.now())
    assert count(store) == 3


def test_a_page_number_the_server_does_not_echo_is_incomplete(scripted, store, clock):
    server = scripted(_ignoring([_rec(i) for i in range(3)], 9, pageNum=1))
    feed = _feed(server.url + "/api", {"type": "page", "size": 3, "page_param": "pageNum",
                                       "page_path": "data.pageNum"})
    load(feed, store, clock.now())
    assert feed.partial.startswith("请求第 2 页（pageNum=2），服务端答的是第 1 页（data.pageNum）")


def test_has_more_without_a_cursor_is_incomplete(scripted, store, clock):
    server = scripted(_ignoring([_rec(1)], None, hasMore=True, nextCursor=None))
    feed = _feed(server.url + "/api", {"type": "cursor", "more_path": "data.hasMore"},
                 envelope={"total": ""})
    assert load(feed, store, clock.now()) == 1
    assert "data.hasMore 表示还有数据，却没有下一页游标" in feed.partial


def test_record_id_tells_records_apart_that_map_alike(scripted, store, clock):
    """Two records of one station, metric and minute (a correction) are two records of the
    total; by their mapped key they would look like one missing."""
    twins = [{**_rec(1), "id": "a"}, {**_rec(1), "id": "b", "indexValue": "2"}]
    server = scripted(_ignoring(twins, 2))
    plain = _feed(server.url + "/api", {"type": "none"})
    load(plain, store, clock.now())
    assert plain.partial == "只取到 1/2 条不同记录（服务端声明的总数；另有 1 条重复）"
    by_id = _feed(server.url + "/api", {"type": "none", "record_id": "id"})
    load(by_id, store, clock.now())
    assert by_id.partial is None


def test_envelopes_of_other_shapes(scripted, store, clock):
    answers = [{"success": True, "result": {"records": [_rec(1)], "total": "1"}},
               {"success": "true", "result": {"records": None, "total": 0}},
               [_rec(2), _rec(3)], []]
    server = scripted(lambda h, n: reply(h, 200, answers[n]))
    ipage = {"code": "success", "ok": True, "list": "result.records", "total": "result.total"}
    assert load(_feed(server.url + "/api", envelope=ipage), store, clock.now()) == 1
    assert load(_feed(server.url + "/api", envelope=ipage), store, clock.now()) == 0
    bare = _feed(server.url + "/api", {"type": "page", "size": 2})
    assert load(bare, store, clock.now()) == 2 and bare.partial is None
    assert bare.describe()["form"] == "GET, a bare JSON array (no envelope, no total)"
    assert len(server.seen) == 4  # the bare array's end proven by an empty page


def test_time_zone_and_since_format_of_the_gateway(scripted, store, clock):
    server = scripted(lambda h, n: reply(h, 200, {"code": 0, "data": {"list": [_rec(1, 30)],
                                                                      "total": 1}}))
    feed = _feed(server.url + "/api", since_format="%Y-%m-%d %H:%M:%S", time_zone="UTC")
    load(feed, store, clock.now())
    load(feed, store, clock.now())
    assert store.checkpoint("数据中台") == "2026-11-20T08:30:00+00:00"  # zone-less: UTC here
    assert "startTime=2026-11-20+08%3A30%3A00" in server.seen[1][0]
