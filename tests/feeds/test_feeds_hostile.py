"""Hostile payloads against every HTTP adapter: whatever a source sends, a load either
succeeds or fails with a feed error naming the feed, and the cached rows stay (no Qt)."""

from __future__ import annotations

import pytest
import requests
from support.feedkit import count, reply

from cockpit.data.ingest import load
from feeds.errors import FeedError
from feeds.http import HttpPolicy
from feeds.ngsi import NgsiFeed
from feeds.rest import RestFeed
from feeds.sensorthings import SensorThingsFeed

POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=2, retries=0)
BODIES = [b"", b"null", b"[]", b"{}", b"42", b'"text"', b"[1, 2, 3]", b'{"value": 5}',
          b'{"code": 0, "data": {"list": {"a": 1}, "total": "many"}}',
          b'{"code": 0, "data": {"list": [null, 1, [], {"monitorTime": {"x": 1}}], "total": -1}}',
          b'[{"id": 5}, {"id": "x", "type": "AirQualityObserved", "location": {"value": 7}}]',
          b'[{"id": "x", "type": "Alert", "severity": {"value": []}, "dateIssued": "2026"}]',
          b'[{"id": "x", "type": "Device", "name": {"value": {"zh": 1}}, '
          b'"dateLastValueReported": {"value": "2026-11-28T10:00:00Z"}, "deviceState": 3}]',
          b'{"value": [{"@iot.id": 1, "Thing": 5}], "@iot.nextLink": 7}',
          b'{"value": [], "@iot.count": "7"}', b"\xff\xfe\x00garbage", b'{"code": "0"}' * 3]


def _feeds(url: str):
    mapping = {"ts": "monitorTime", "entity_id": "areaCode", "metric": "indexCode",
               "value": "indexValue"}
    s = requests.Session()
    return [RestFeed("网关", 5, {"url": url, "mapping": mapping}, s, policy=POLICY),
            NgsiFeed("编排", 5, {"url": url, "types": ["AirQualityObserved", "Alert", "Device"]},
                     s, policy=POLICY),
            SensorThingsFeed("传感", 5, {"url": url}, s, policy=POLICY)]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_any_body_is_loaded_or_refused_with_the_feed_named(scripted, store, clock, body):
    server = scripted(lambda h, n: reply(h, 200, body))
    for feed in _feeds(server.url):
        before = count(store) + count(store, "entities") + count(store, "alerts")
        try:
            load(feed, store, clock.now())
        except FeedError as exc:
            assert feed.name in str(exc)
            assert count(store) + count(store, "entities") + count(store, "alerts") == before
