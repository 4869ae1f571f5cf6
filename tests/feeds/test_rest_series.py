"""Checkpoints per series on the middle-platform gateway (``series``, ``lookback_s``), against a
gateway on loopback whose since filter works as a real one does: on the records' own time,
inclusive, oldest first, paged with a total. One station's gateway uploads its buffered half
hour late, after the others have moved on: a feed with one checkpoint never asks for it again,
a feed with a checkpoint per station does, and nothing is cached twice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import requests
from support.feedkit import reply

from cockpit.data.ingest import load
from cockpit.data.store import Store
from feeds.common import SITE_TZ
from feeds.http import HttpPolicy
from feeds.rest import RestFeed

T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Weifang
FMT = "%Y-%m-%d %H:%M:%S"


class Uploads:
    """What the gateway holds: (time, station, value), served through its since filter."""

    def __init__(self) -> None:
        self.records: list[tuple[datetime, str, float]] = []
        self.since: list[str | None] = []  # the startTime of each load's first request
        self.lock = threading.Lock()

    def add(self, station: str, start: datetime, end: datetime) -> None:
        with self.lock:
            t = start
            while t <= end:
                self.records.append((t, station, round(t.minute + 0.5, 1)))
                t += timedelta(minutes=5)

    def script(self, handler, n: int) -> None:
        q = dict(parse_qsl(urlsplit(handler.path).query))
        page, size = int(q["pageNum"]), int(q["pageSize"])
        since = q.get("startTime")
        if page == 1:
            self.since.append(since)
        bound = datetime.strptime(since, FMT).replace(tzinfo=SITE_TZ) if since else None
        with self.lock:
            rows = sorted(r for r in self.records if bound is None or r[0] >= bound)
        body = [{"monitorTime": t.astimezone(SITE_TZ).strftime(FMT), "stationCode": s,
                 "indexCode": "aqi", "indexValue": str(v)}
                for t, s, v in rows[(page - 1) * size: page * size]]
        reply(handler, 200, {"code": 0, "msg": "success",
                             "data": {"list": body, "total": len(rows)}})


def _feed(url: str, name: str, **options) -> RestFeed:
    return RestFeed(name, 60, {
        "url": f"{url}/api/v1/indicators", "since_param": "startTime", "since_format": FMT,
        "paging": {"type": "page", "page_param": "pageNum", "size_param": "pageSize",
                   "size": 4},
        "mapping": {"ts": "monitorTime", "time_format": FMT, "entity_id": "stationCode",
                    "metric": "indexCode", "value": "indexValue"}, **options},
        requests.Session(), policy=HttpPolicy(retries=0))


def _cached(store: Store, feed: str) -> list[tuple[datetime, str]]:
    return [(t.astimezone(UTC), e) for t, e in store.reader().execute(
        "SELECT ts, entity_id FROM observations WHERE feed = ? ORDER BY ts, entity_id",
        [feed]).fetchall()]


def test_a_late_upload_of_one_station_is_loaded_once_with_a_checkpoint_per_series(
        scripted, store):
    gw = Uploads()
    server = scripted(gw.script)
    per_series = _feed(server.url, "按站点", series="entity", lookback_s=300)
    one_mark = _feed(server.url, "整体")
    # 10:00: S1 and S2 are current; S3's gateway has uploaded up to 09:30 only
    gw.add("S1", T - timedelta(hours=1), T)
    gw.add("S2", T - timedelta(hours=1), T)
    gw.add("S3", T - timedelta(hours=1), T - timedelta(minutes=30))
    now = T + timedelta(minutes=1)
    assert load(per_series, store, now) == 13 + 13 + 7
    assert load(one_mark, store, now) == 33
    marks = json.loads(store.checkpoint("按站点"))
    assert marks == {"v": 2, "series": {"S1": T.isoformat(), "S2": T.isoformat(),
                                        "S3": (T - timedelta(minutes=30)).isoformat()}}

    # 10:10: S1 and S2 report 10:05 and 10:10; S3's buffer (09:35 ... 10:10) arrives late
    gw.add("S1", T + timedelta(minutes=5), T + timedelta(minutes=10))
    gw.add("S2", T + timedelta(minutes=5), T + timedelta(minutes=10))
    gw.add("S3", T - timedelta(minutes=25), T + timedelta(minutes=10))
    now = T + timedelta(minutes=11)
    gw.since.clear()
    added = load(per_series, store, now)
    plain = load(one_mark, store, now)

    # one value per request: the oldest series' mark (S3, 09:30) minus the look-back (5 min)
    assert gw.since == ["2026-11-28 09:25:00", "2026-11-28 10:00:00"]
    assert added == 2 + 2 + 8  # every new value, S3's late ones included, none twice
    uploaded = sorted((t, s) for t, s, _ in gw.records)
    assert _cached(store, "按站点") == uploaded
    # one mark for the feed asked from 10:00: S3's 09:35 ... 09:55 are never asked for
    assert plain == 2 + 2 + 3
    missed = sorted(set(uploaded) - set(_cached(store, "整体")))
    assert missed == [(T - timedelta(minutes=m), "S3") for m in (25, 20, 15, 10, 5)]
    assert json.loads(store.checkpoint("按站点"))["series"]["S3"] == (
        T + timedelta(minutes=10)).isoformat()
    assert "per series (entity), startTime = the oldest series' mark − 300 s" in (
        per_series.describe()["checkpoint"])


def test_the_old_checkpoint_still_reads_and_a_long_silent_station_stops_holding_back(
        scripted, store):
    """A checkpoint written before (one time for the feed) is every series' mark for the next
    load; a station silent for longer than series_horizon_s no longer drags the bound back."""
    gw = Uploads()
    server = scripted(gw.script)
    gw.add("S1", T - timedelta(minutes=20), T)
    gw.add("S9", T - timedelta(days=3), T - timedelta(days=3))  # one value, three days ago
    store.set_checkpoint("按站点", (T - timedelta(minutes=10)).isoformat(), T)
    feed = _feed(server.url, "按站点", series="entity", lookback_s=60, series_horizon_s=86400)
    assert load(feed, store, T) == 3  # 09:50 ... 10:00 (from 09:49 inclusive)
    assert gw.since == ["2026-11-28 09:49:00"]
    assert json.loads(store.checkpoint("按站点")) == {"v": 2, "series": {"S1": T.isoformat()}}

    # S9 seen once (a full load of a new feed), then silent: not the bound for S1's reads
    store.set_checkpoint("按站点", json.dumps({"v": 2, "series": {
        "S1": T.isoformat(), "S9": (T - timedelta(days=3)).isoformat()}}), T)
    gw.add("S1", T + timedelta(minutes=5), T + timedelta(minutes=5))
    assert load(feed, store, T + timedelta(minutes=6)) == 1
    assert gw.since[-1] == "2026-11-28 09:59:00"  # S1's mark minus the look-back
