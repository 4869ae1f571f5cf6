"""Orion (FIWARE NGSI-v2) conformance: entities recorded as Orion stores them, shaped like the
NGSI-v2 specification's and Smart Data Models' examples (tests/fixtures/conformance/orion/),
served by a real HTTP server on loopback that answers ``GET /v2/entities`` as Orion does
(tenants by ``Fiware-Service``/``Fiware-ServicePath``, ``limit``/``offset``, ``options=count``
and ``keyValues``, ``attrs`` with the builtin ``dateModified``, ``q=dateModified>=…``), ingested
end to end by ``cockpit ingest --once`` into a real cache and checked row by row.

Two feeds read the same tenant: one normalized and incremental by ``dateModified``, one
``keyValues`` with full reads. Between the two runs the broker takes a station's update and a
gateway's late upload (an older reading with a new ``dateModified``)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from support import ROOT

from cockpit.data.ingest import load
from cockpit.data.store import Store
from cockpit.model.layout import parse_layout
from cockpit.panels.alerts import alerts as alert_list
from cockpit.panels.map import map_layers
from feeds.http import HttpPolicy
from feeds.ngsi import NgsiFeed

FIXTURE = ROOT / "tests" / "fixtures" / "conformance" / "orion"
BUILTIN = ("dateModified", "dateCreated", "dateExpires")
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
AQ, TF = "urn:ngsi-ld:AirQualityObserved:", "urn:ngsi-ld:TrafficFlowObserved:"
PARK = "urn:ngsi-ld:OffStreetParking:WF-KW-P07"
#: (minutes after T0, entity, metric, value, unit, district, lat, lon), normalized form
FIRST = [
    (10, AQ + "WF-HT-003", "aqi", 45.0, None, "370703", 36.772, 119.211),
    (30, AQ + "WF-KW-001", "aqi", 58.0, None, "370705", 36.707, 119.132),
    (30, AQ + "WF-KW-001", "pm25", 35.0, "μg/m³", "370705", 36.707, 119.132),
    (30, AQ + "WF-WC-002", "aqi", 61.0, None, "370702", 36.71, 119.10),  # "10:30" local
    (30, AQ + "WF-WC-002", "pm25", 38.5, None, "370702", 36.71, 119.10),  # geo:point lat, lon
    (25, TF + "WF-KW-R12", "congestion", 1.62, None, "370705", 36.71, 119.15),  # TimeInstant
    (28, PARK, "parking_occupancy", 70.0, "%", "370705", 36.705, 119.16),  # "120" of 400 free
]
LATER = [
    (35, AQ + "WF-KW-001", "aqi", 60.0, None, "370705", 36.707, 119.132),
    (35, AQ + "WF-KW-001", "pm25", 36.0, "μg/m³", "370705", 36.707, 119.132),
    (25, AQ + "WF-WC-002", "aqi", 59.0, None, "370702", 36.71, 119.10),  # the late upload
    (25, AQ + "WF-WC-002", "pm25", 38.5, None, "370702", 36.71, 119.10),
]


def _kv(rows: list[tuple]) -> list[tuple]:
    """The same rows as keyValues carries them: no metadata, so no unitCode and no attribute
    TimeInstant (the traffic value takes its dateObserved interval's end)."""
    out = []
    for r in rows:
        r = (30,) + r[1:] if r[2] == "congestion" else r
        out.append(r[:4] + ((r[4] if r[2] == "parking_occupancy" else None),) + r[5:])
    return out


class Orion(ThreadingHTTPServer):
    """The recorded broker: ``GET /v2/entities`` as Orion answers it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tenants = json.loads((FIXTURE / "entities.json").read_text("utf-8"))
        self.queries: list[tuple[dict, dict]] = []
        self.ignore_offset = False  # a proxy that drops ``offset``
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def take_updates(self) -> None:
        """Orion's ``POST /v2/op/update`` (append): the attributes replace the old ones."""
        with self.lock:
            for update in json.loads((FIXTURE / "updates.json").read_text("utf-8")):
                for entity in self.tenants["weifang"]:
                    if (entity["id"], entity["type"]) == (update["id"], update["type"]):
                        entity.update(copy.deepcopy(update))


def _render(entity: dict, attrs: list[str] | None, key_values: bool) -> dict:
    """An entity as Orion renders it: builtins only when ``attrs`` names them."""
    def wanted(name: str) -> bool:
        if name in BUILTIN:
            return attrs is not None and name in attrs
        return attrs is None or "*" in attrs or name in attrs

    out = {"id": entity["id"], "type": entity["type"]}
    for name, attr in entity.items():
        if name in ("id", "type", "servicePath") or not wanted(name):
            continue
        if name in BUILTIN:
            attr = {"type": "DateTime", "value": attr, "metadata": {}}
        out[name] = attr["value"] if key_values else attr
    return out


def _matches(entity: dict, q: str | None) -> bool:
    for cond in filter(None, (q or "").split(";")):
        attr, op, value = cond.partition(">=")
        if not op or attr != "dateModified":
            raise AssertionError(f"this recorded broker knows only dateModified>=: {cond}")
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if datetime.fromisoformat(entity["dateModified"].replace("Z", "+00:00")) < when:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: Orion
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        q = dict(parse_qsl(url.query))
        if url.path != "/v2/entities":
            return self._send(404, {"error": "NotFound", "description": "invalid path"})
        tenant = (self.headers.get("Fiware-Service") or "").lower()  # Orion lowercases it
        path = self.headers.get("Fiware-ServicePath") or "/#"
        limit, offset = int(q.get("limit", 20)), int(q.get("offset", 0))
        offset = 0 if srv.ignore_offset else offset
        if not 1 <= limit <= 1000:
            return self._send(400, {"error": "BadRequest",
                                    "description": f"Bad pagination limit: /{limit}/ [max: 1000]"})
        options = set(q.get("options", "").split(","))
        attrs = q["attrs"].split(",") if "attrs" in q else None
        types = set(q["type"].split(",")) if "type" in q else None
        with srv.lock:
            srv.queries.append((q, {"service": tenant, "path": path}))
            found = [e for e in srv.tenants.get(tenant, [])
                     if (types is None or e["type"] in types)
                     and (e["servicePath"] == path or path == "/#"
                          or path.endswith("/#") and e["servicePath"].startswith(path[:-2]))
                     and _matches(e, q.get("q"))]
            page = [_render(e, attrs, "keyValues" in options)
                    for e in found[offset:offset + limit]]
        headers = {"Fiware-Total-Count": str(len(found))} if "count" in options else {}
        self._send(200, page, headers)


PANELS = """version = 1
name = "名称"
[[screens]]
title = "t"
grid = { columns = 2, rows = 1 }
  [[screens.panels]]
  id = "alerts"
  kind = "alerts"
  title = "告警"
  cell = { col = 0, row = 0 }
  [[screens.panels]]
  id = "map"
  kind = "map"
  title = "地图"
  cell = { col = 1, row = 0 }
"""


def _panels_show_names(cache: Path) -> None:
    """Where a name says more than an id, the wall shows the name the broker gave."""
    layout, now = parse_layout(PANELS, "names.toml"), T0 + timedelta(hours=1)
    with Store(cache, read_only=True) as store, store.reading() as cur:
        listed = alert_list(cur, layout.panel("alerts"), now)
        payload = json.loads(map_layers(cur, layout.panel("map"), now).payload)
    # the alert names the station that raised it (its alertSource), not its URN
    assert [r.title for r in listed.rows] == ["PM2.5 浓度超过二级标准（潍坊市奎文区东风街站）"]
    tips = {d["id"]: d["tip"] for d in payload["devices"]}
    assert tips[AQ + "WF-KW-001"] == "潍坊市奎文区东风街站<br>奎文区 · 在线"  # reported at 02:30
    assert tips[AQ + "WF-HT-003"] == "寒亭区政府站<br>寒亭区 · 在线"


@pytest.fixture
def orion():
    server = Orion()
    yield server
    server.shutdown()
    server.server_close()


def _ingest(config: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--once", "--config",
                           str(config), "--cache", str(cache)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))


def _expected(feed: str, rows: list[tuple]) -> list[tuple]:
    return sorted((T0 + timedelta(minutes=m), feed, eid, eid.split(":")[2], metric, value, unit,
                   district, lat, lon) for m, eid, metric, value, unit, district, lat, lon in rows)


def _rows(store: Store, feed: str) -> list[tuple]:
    return store.reader().execute(
        "SELECT ts, feed, entity_id, entity_type, metric, value, unit, district, lat, lon "
        "FROM observations WHERE feed = ? ORDER BY ALL", [feed]).fetchall()


@pytest.mark.slow  # two `cockpit ingest` processes, ~4 s each
def test_orion_tenant_ingested_row_by_row_in_both_forms_with_late_upload(orion, tmp_path):
    config = tmp_path / "site.toml"
    common = f'''kind = "ngsi"
url = "{orion.url}"
interval = "1m"
types = ["AirQualityObserved", "TrafficFlowObserved", "OffStreetParking", "Device", "Alert"]
service = "Weifang"
service_path = "/environment"
limit = 2
'''
    config.write_text(f'''version = 1
[store]
retention_days = 3650
[[feeds]]
name = "物联感知"
{common}modified_since = true
[[feeds]]
name = "物联感知KV"
{common}key_values = true
''', encoding="utf-8")
    cache = tmp_path / "cache.duckdb"
    first = _ingest(config, cache)
    assert first.returncode == 0, first.stdout + first.stderr
    states = {line.split()[0]: line.split()[1] for line in first.stdout.splitlines() if line.strip()}
    assert states == {"物联感知": "ok", "物联感知KV": "ok"}, first.stdout
    with Store(cache, read_only=True) as store:
        assert _rows(store, "物联感知") == _expected("物联感知", FIRST)
        assert _rows(store, "物联感知KV") == _expected("物联感知KV", _kv(FIRST))
        # names and descriptive attributes land in entities; the other tenant never does
        ents = {r[0]: r[1:] for r in store.reader().execute(
            "SELECT entity_id, entity_type, name, status, district, "
            "json_extract_string(attrs, '$.address.addressLocality'), "
            "json_extract_string(attrs, '$.stationCode') FROM entities").fetchall()}
        alerts = store.reader().execute(
            "SELECT alert_id, severity, category, title, district, lat, lon FROM alerts "
            "ORDER BY feed").fetchall()
        marks = json.loads(store.checkpoint("物联感知"))["modified"]
    assert ents == {
        AQ + "WF-HT-003": ("AirQualityObserved", "寒亭区政府站", None, "370703", None, "HT003"),
        AQ + "WF-KW-001": ("AirQualityObserved", "潍坊市奎文区东风街站", None, "370705", "奎文区",
                           "KW001"),
        AQ + "WF-WC-002": ("AirQualityObserved", "潍城区胜利街站", None, "370702", "潍城区", None),
        TF + "WF-KW-R12": ("TrafficFlowObserved", "东风街与北海路路口", None, "370705", None, None),
        PARK: ("OffStreetParking", "万达广场地下停车场", None, "370705", "奎文区", None),
        "urn:ngsi-ld:Device:WF-CAM-0042": ("camera", "北海路高点摄像机", "ok", "370705", None,
                                           None)}
    assert alerts == [("A-20261120-0007", "major", "environment", "PM2.5 浓度超过二级标准",
                       "370705", 36.707, 119.132)]
    assert marks["AirQualityObserved\x1f" + AQ + "WF-KW-001"] == "2026-11-20T02:31:10+00:00"
    # tenants travel as headers; paging by limit/offset read every page (3 stations, limit 2)
    assert {h["service"] for _, h in orion.queries} == {"weifang"}
    assert {h["path"] for _, h in orion.queries} == {"/environment"}
    aq_pages = [q["offset"] for q, _ in orion.queries
                if q["type"] == "AirQualityObserved" and "keyValues" not in q["options"]]
    assert aq_pages == ["0", "2"]

    _panels_show_names(cache)

    orion.take_updates()  # a station's update and a gateway's late upload
    orion.queries.clear()
    second = _ingest(config, cache)
    assert second.returncode == 0, second.stdout + second.stderr
    with Store(cache, read_only=True) as store:
        assert _rows(store, "物联感知") == _expected("物联感知", FIRST + LATER)
        assert _rows(store, "物联感知KV") == _expected("物联感知KV", _kv(FIRST + LATER))
    # the incremental feed asked only for what changed since its marks (minus the look-back)
    asked = [q for q, _ in orion.queries
             if q["type"] == "AirQualityObserved" and "keyValues" not in q["options"]]
    assert asked[0]["q"] == "dateModified>=2026-11-20T02:30:40.000Z"
    assert "dateModified" in asked[0]["attrs"].split(",")


def test_a_broker_that_ignores_offset_gives_a_partial_load_not_a_silent_one(orion, store):
    orion.ignore_offset = True
    feed = NgsiFeed("物联感知", 60, {"url": orion.url, "types": ["AirQualityObserved"],
                                   "service": "weifang", "limit": 2}, requests.Session(),
                    policy=HttpPolicy(retries=0))
    load(feed, store, T0 + timedelta(hours=1))
    assert len(orion.queries) == 2  # the second page repeated the first: stopped there
    assert feed.partial == "AirQualityObserved 第 2 页只重复已读实体，停止翻页"
    assert store.reader().execute("SELECT count(DISTINCT entity_id) FROM observations"
                                  ).fetchone()[0] == 2


def _alert(n: int, severity: str = "high") -> dict:
    """An Alert as Orion stores it (Smart Data Models' Alert), issued n minutes after T0."""
    when = (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    return {"id": f"urn:ngsi-ld:Alert:WF-{n:04d}", "type": "Alert", "servicePath": "/",
            "dateModified": when,
            "category": {"type": "Text", "value": "environment", "metadata": {}},
            "severity": {"type": "Text", "value": severity, "metadata": {}},
            "description": {"type": "Text", "value": f"告警 {n}", "metadata": {}},
            "dateIssued": {"type": "DateTime", "value": when, "metadata": {}}}


def _states(store: Store) -> dict[tuple[str, str], str]:
    return {(feed, aid): state for feed, aid, state in store.reader().execute(
        "SELECT feed, alert_id, state FROM alerts").fetchall()}


def test_an_alert_the_broker_drops_is_cleared_after_a_complete_load_only(orion, store, caplog):
    """Orion keeps an Alert while it holds; the source deleting it is how it ends. After a
    complete load, this feed's open and acknowledged alerts the broker no longer lists are
    cleared (and the log says which); another feed's alerts are not touched; a partial load
    (here a broker ignoring ``offset``) clears nothing, since a missing alert may only be
    unread. Alerts are listed in full even when the feed reads incrementally."""
    orion.tenants["t19"] = [_alert(1), _alert(2), _alert(3)]
    feed = NgsiFeed("告警源", 60, {"url": orion.url, "types": ["Alert"], "service": "t19",
                                 "modified_since": True, "limit": 100}, requests.Session(),
                    policy=HttpPolicy(retries=0))
    now = T0 + timedelta(hours=1)
    load(feed, store, now)
    assert _states(store) == {("告警源", f"WF-{n:04d}"): "open" for n in (1, 2, 3)}
    assert store.acknowledge_alerts(["WF-0002"], "值班员", now) == 1
    other = NgsiFeed("别的源", 60, {"url": orion.url, "types": ["Alert"], "service": "t19"},
                     requests.Session(), policy=HttpPolicy(retries=0))
    orion.tenants["t19"] = [_alert(9)]
    load(other, store, now)  # another feed's alert, which 告警源 never lists

    orion.tenants["t19"] = [_alert(1), _alert(2)]  # the broker dropped WF-0003
    with caplog.at_level("INFO", logger="cockpit.data.store"):
        load(feed, store, now + timedelta(minutes=1))
    assert feed.partial is None
    assert _states(store) == {("告警源", "WF-0001"): "open", ("告警源", "WF-0002"): "acked",
                              ("告警源", "WF-0003"): "cleared", ("别的源", "WF-0009"): "open"}
    assert "feed 告警源: cleared 1 alert(s) its source no longer lists: WF-0003" in caplog.text
    alert_queries = [q for q, _ in orion.queries if q.get("type") == "Alert"]
    assert all("q" not in q for q in alert_queries)  # never filtered by dateModified

    orion.tenants["t19"] = [_alert(1), _alert(4)]  # WF-0002 dropped, but the load is cut short
    orion.ignore_offset = True
    feed.limit = 1
    load(feed, store, now + timedelta(minutes=2))
    assert feed.partial and "只重复已读实体" in feed.partial
    assert _states(store)[("告警源", "WF-0002")] == "acked"  # not cleared on a partial load
