"""A source answering with JSON nested 100,000 levels deep (a real HTTP server on loopback):
each HTTP adapter refuses the load with a feed error naming the feed and the reason, instead
of a RecursionError, and the cache keeps its rows."""

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

POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=5, retries=0)


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_deeply_nested_json_is_a_feed_error_naming_the_feed(scripted, store, clock, body):
    server = scripted(lambda h, n: reply(h, 200, body))
    mapping = {"ts": "monitorTime", "entity_id": "areaCode", "metric": "indexCode",
               "value": "indexValue"}
    s = requests.Session()
    feeds = [RestFeed("网关", 5, {"url": server.url, "mapping": mapping}, s, policy=POLICY),
             NgsiFeed("编排", 5, {"url": server.url, "types": ["AirQualityObserved"]}, s,
                      policy=POLICY),
             SensorThingsFeed("传感", 5, {"url": server.url}, s, policy=POLICY)]
    before = count(store)
    for feed in feeds:
        with pytest.raises(FeedError) as err:
            load(feed, store, clock.now())
        assert feed.name in str(err.value) and "JSON nested too deeply" in str(err.value)
        assert count(store) == before
