"""The middle-platform REST adapter against the simulator and scripted servers on loopback:
each paging style, incremental loads, the signature the server verifies, the envelope's error
code, partial loads, rejected records and a restart mid-ingest (no Qt)."""

from __future__ import annotations

import pytest
import requests
from support.feedkit import count, reply

from cockpit.data.ingest import FeedRunner, load
from cockpit.data.store import Store
from cockpit.demo.simulator import Faults
from feeds.errors import FetchError, Malformed, RetryLater
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
                                  backoff=0.01)
    with pytest.raises(error, match=text):
        load(feed, store, clock.now())
    assert count(store) == 0 and store.checkpoint("数据中台") is None
