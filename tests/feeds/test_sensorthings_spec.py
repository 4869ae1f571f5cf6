"""SensorThings 1.1 conformance: the adapter against a FROST-shaped server on loopback.

The server replays the recorded entities and observations of
``tests/fixtures/conformance/frost/`` in FROST-Server's published response shapes
(``@iot.selfLink``, ``…@iot.navigationLink``, ``@iot.count`` before ``value``, absolute
``@iot.nextLink`` with ``$top``/``$skip``, ``{"code", "type": "error", "message"}`` errors,
interval ``phenomenonTime``, ``resultTime``, numbers sent as strings), in three profiles: only
the navigation form (the top-level ``Observations`` answers 404), only the top-level collection
(``Datastreams(id)/Observations`` answers 404, and ``$expand`` is refused), and both. Each is
loaded end to end into a real DuckDB file and checked row by row; then the quirks: repeated
pages, a nextLink that does not advance, a short count, relative and foreign links, late
uploads, the old checkpoint. No Qt."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import requests
from support import FIXTURES, ROOT

from cockpit.data.ingest import load
from cockpit.data.store import Store
from cockpit.model.metrics import DISTRICTS as DISTRICT_NAMES
from feeds.http import HttpPolicy
from feeds.sensorthings import SensorThingsFeed, entity_path

FROST = FIXTURES / "conformance" / "frost"
ENTITIES = json.loads((FROST / "entities.json").read_text(encoding="utf-8"))
OBSERVATIONS = json.loads((FROST / "observations.json").read_text(encoding="utf-8"))
ROOT_PATH = "/FROST-Server/v1.1/"
POLICY = HttpPolicy(connect_timeout=1, read_timeout=2, deadline=3, retries=0)
METRICS = {"PM2.5": "pm25", "NO2": "no2", "water_level": "water_level",
           "flow_count": "flow_count"}
DISTRICTS = {"寿光市": "370783"}
OPTIONS = {"top": 4, "metrics": METRICS, "districts": DISTRICTS}
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
_ENTITY = re.compile(r"^(?P<set>Things|Datastreams)\((?P<id>\d+|'(?:[^']|'')*')\)"
                     r"(?:/(?P<nav>\w+))?$")
_CLAUSE = re.compile(r"^(?:phenomenonTime (?P<op>ge|gt) (?P<time>\S+)|"
                     r"Datastream/(?:@iot\.)?id eq (?P<ds>\d+|'(?:[^']|'')*'))$")


def _start(text: str) -> str:
    return text.split("/", 1)[0]


def _end(text: str) -> str:
    return text.split("/")[-1]


class Frost(ThreadingHTTPServer):
    """FROST-Server's answers, from the recorded entities, in one of the profiles.

    ``navigation``/``collection``: which Observations form it serves (the other is a 404);
    ``expand``: False refuses any ``$expand`` with FROST's 400; ``string_ids``: Datastreams
    are ``'ws-ds-11'`` (FROST's string id mode); ``links``: ``absolute`` (FROST),
    ``path`` (``/FROST-Server/v1.1/…?``, as its documentation shows), ``relative``
    (``Observations?…``), ``foreign`` (absolute to the server's internal name); ``quirk``:
    ``repeat`` ignores ``$skip`` (page 1 again and again), ``stall`` links to the same page,
    ``short`` announces two more than it holds."""

    daemon_threads = True

    def __init__(self, *, navigation: bool = True, collection: bool = True, expand: bool = True,
                 string_ids: bool = False, links: str = "absolute", quirk: str | None = None):
        self.navigation, self.collection, self.expand = navigation, collection, expand
        self.string_ids, self.links, self.quirk = string_ids, links, quirk
        self.observations = copy.deepcopy(OBSERVATIONS)
        self.seen: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive + Nagle + delayed ACK: 40 ms a request

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with server.lock:
                    server.seen.append(self.path)
                status, body = server.answer(self.path)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{ROOT_PATH}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(5)

    # -- ids and shapes ------------------------------------------------------------------
    def ds_id(self, n: int) -> int | str:
        return f"ws-ds-{n}" if self.string_ids else n

    def ds_ref(self, n: int) -> str:
        return f"'ws-ds-{n}'" if self.string_ids else str(n)

    def _ds_number(self, text: str) -> int | None:
        text = unquote(text)
        if self.string_ids:
            found = re.fullmatch(r"'ws-ds-(\d+)'", text)
        else:
            found = re.fullmatch(r"(\d+)", text)
        return int(found[1]) if found else None

    def thing(self, n: int, locations: bool) -> dict:
        t = next(t for t in ENTITIES["Things"] if t["@iot.id"] == n)
        out = {"@iot.selfLink": f"{self.root}Things({n})", "@iot.id": n, "name": t["name"],
               "description": t["description"], "properties": t["properties"],
               "Datastreams@iot.navigationLink": f"{self.root}Things({n})/Datastreams",
               "HistoricalLocations@iot.navigationLink":
                   f"{self.root}Things({n})/HistoricalLocations",
               "Locations@iot.navigationLink": f"{self.root}Things({n})/Locations"}
        if locations:
            out["Locations"] = [self.location(loc) for loc in t["Locations"]]
        return out

    def location(self, loc: dict) -> dict:
        return {"@iot.selfLink": f"{self.root}Locations({loc['@iot.id']})", **loc}

    def datastream(self, ds: dict, expand: str) -> dict:
        ref = f"{self.root}Datastreams({self.ds_ref(ds['@iot.id'])})"
        times = [o["phenomenonTime"] for o in self.observations[str(ds["@iot.id"])]]
        out = {"@iot.selfLink": ref, "@iot.id": self.ds_id(ds["@iot.id"]), "name": ds["name"],
               "description": ds["description"], "observationType": ds["observationType"],
               "unitOfMeasurement": ds["unitOfMeasurement"],
               "phenomenonTime": f"{_start(min(times))}/{_end(max(times))}",
               "resultTime": None}
        for nav in ("Observations", "ObservedProperty", "Sensor", "Thing"):
            out[f"{nav}@iot.navigationLink"] = f"{ref}/{nav}"
        if "ObservedProperty" in expand:
            out["ObservedProperty"] = self.part(ds, "ObservedProperty")
        if "Sensor" in expand:
            out["Sensor"] = self.part(ds, "Sensor")
        if "Thing" in expand:
            out["Thing"] = self.thing(ds["thing"], "Locations" in expand)
        return out

    def part(self, ds: dict, part: str) -> dict:
        if part == "ObservedProperty":
            op = next(o for o in ENTITIES["ObservedProperties"] if o["name"] == ds["op"])
            return {"@iot.selfLink": f"{self.root}ObservedProperties({op['@iot.id']})", **op}
        sensor = next(s for s in ENTITIES["Sensors"] if s["@iot.id"] == ds["sensor"])
        return {"@iot.selfLink": f"{self.root}Sensors({sensor['@iot.id']})", **sensor}

    def observation(self, obs: dict, ds: int | None) -> dict:
        ref = f"{self.root}Observations({obs['@iot.id']})"
        out = {"@iot.selfLink": ref, **obs,
               "Datastream@iot.navigationLink": f"{ref}/Datastream",
               "FeatureOfInterest@iot.navigationLink": f"{ref}/FeatureOfInterest"}
        if ds is not None:
            out["Datastream"] = {"@iot.selfLink": f"{self.root}Datastreams({self.ds_ref(ds)})",
                                 "@iot.id": self.ds_id(ds)}
        return out

    # -- requests --------------------------------------------------------------------------
    def answer(self, raw: str) -> tuple[int, dict]:
        parts = urlsplit(raw)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = unquote(parts.path)
        if not path.startswith(ROOT_PATH):
            return 404, {"code": 404, "type": "error", "message": "Not a valid path."}
        rel = path[len(ROOT_PATH):]
        expand = query.get("$expand", "")
        if expand and not self.expand:
            return 400, {"code": 400, "type": "error",
                         "message": f"Failed to parse query: $expand={expand}"}
        if rel == "Datastreams":
            items = [self.datastream(ds, expand) for ds in ENTITIES["Datastreams"]]
            return 200, self.page(items, query, rel)
        if rel == "Observations":
            if not self.collection:
                return 404, {"code": 404, "type": "error", "message": "Nothing found."}
            return self.observations_page(query, rel, None, "Datastream" in expand)
        found = _ENTITY.match(rel)
        if found is None:
            return 404, {"code": 404, "type": "error", "message": "Not a valid path."}
        nav = found["nav"]
        if found["set"] == "Things":
            t = next((t for t in ENTITIES["Things"] if str(t["@iot.id"]) == found["id"]), None)
            if t is None or nav != "Locations":
                return 404, {"code": 404, "type": "error", "message": "Nothing found."}
            return 200, self.page([self.location(loc) for loc in t["Locations"]], query, rel)
        n = self._ds_number(found["id"])
        ds = next((d for d in ENTITIES["Datastreams"] if d["@iot.id"] == n), None)
        if ds is None:
            return 404, {"code": 404, "type": "error", "message": "Nothing found."}
        if nav == "Thing":
            return 200, self.thing(ds["thing"], "Locations" in expand)
        if nav in ("ObservedProperty", "Sensor"):
            return 200, self.part(ds, nav)
        if nav == "Observations" and self.quirk == f"broken {n}":
            return 500, {"code": 500, "type": "error", "message": "Failed to execute query."}
        if nav == "Observations" and self.navigation:
            return self.observations_page(query, rel, n, False)
        return 404, {"code": 404, "type": "error", "message": "Nothing found."}

    def observations_page(self, query: dict, rel: str, only: int | None,
                          with_ds: bool) -> tuple[int, dict]:
        op = since = None
        for clause in filter(None, query.get("$filter", "").split(" and ")):
            found = _CLAUSE.match(clause.strip())
            if found is None:
                return 400, {"code": 400, "type": "error",
                             "message": f"Failed to parse query: {clause}"}
            if found["ds"]:
                only = self._ds_number(found["ds"])
            else:
                op, since = found["op"], datetime.fromisoformat(found["time"].replace("Z", "+00:00"))
        rows = []
        for key, observations in self.observations.items():
            if only is not None and int(key) != only:
                continue
            for obs in observations:
                # FROST compares an interval by its start
                start = datetime.fromisoformat(_start(obs["phenomenonTime"]).replace("Z", "+00:00"))
                if since is None or (start >= since if op == "ge" else start > since):
                    rows.append((start, obs["@iot.id"], self.observation(
                        obs, int(key) if with_ds else None)))
        rows.sort(key=lambda r: (r[0], r[1]))
        return 200, self.page([r[2] for r in rows], query, rel)

    def page(self, items: list, query: dict, rel: str) -> dict:
        top, skip = int(query.get("$top", 100)), int(query.get("$skip", 0))
        if self.quirk == "repeat":
            skip = 0  # the server ignores $skip
        out: dict = {}
        if query.get("$count") == "true":
            out["@iot.count"] = len(items) + (2 if self.quirk == "short" else 0)
        out["value"] = items[skip:skip + top]
        if skip + top < len(items):
            nxt = dict(query) if self.quirk == "stall" else {  # stall: this very page
                **query, "$top": str(top), "$skip": str(skip + top)}
            text = urlencode(nxt, safe="$()/'@,")
            out["@iot.nextLink"] = {
                "absolute": f"{self.root}{rel}?{text}",
                "path": f"{ROOT_PATH}{rel}?{text}",
                "relative": f"{rel.rsplit('/', 1)[-1]}?{text}",
                "foreign": f"http://frost.internal:8080{ROOT_PATH}{rel}?{text}"}[self.links]
        return out


@pytest.fixture
def frost():
    servers: list[Frost] = []

    def start(**profile) -> Frost:
        servers.append(Frost(**profile))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _feed(server: Frost, **options) -> SensorThingsFeed:
    return SensorThingsFeed("传感器网", 60, {"url": server.root, **OPTIONS, **options},
                            requests.Session(), policy=POLICY)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(_end(text).replace("Z", "+00:00"))


def expected(observations: dict | None = None) -> list[tuple]:
    """The rows the recorded observations should become, worked out from the fixture."""
    rows = []
    for ds in ENTITIES["Datastreams"]:
        thing = next(t for t in ENTITIES["Things"] if t["@iot.id"] == ds["thing"])
        district = thing["properties"]["district"]
        loc = thing["Locations"][0]["location"]
        lon, lat = (loc.get("geometry") or loc)["coordinates"]
        for obs in (observations or OBSERVATIONS)[str(ds["@iot.id"])]:
            rows.append((_ts(obs["phenomenonTime"]), f"thing-{ds['thing']}", METRICS[ds["op"]],
                         float(obs["result"]), ds["unitOfMeasurement"]["symbol"],
                         DISTRICTS.get(district, district), lat, lon))
    return sorted(rows)


def cached(store: Store) -> list[tuple]:
    return [(ts.astimezone(UTC), *rest) for ts, *rest in store.reader().execute(
        "SELECT ts, entity_id, metric, value, unit, district, lat, lon FROM observations "
        "ORDER BY ALL").fetchall()]


def things(store: Store) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in store.reader().execute(
        "SELECT entity_id, name, district, attrs FROM entities ORDER BY entity_id").fetchall()}


# -- the three profiles --------------------------------------------------------------------
def test_navigation_only_server_with_string_ids(frost, store):
    server = frost(collection=False, string_ids=True)
    feed = _feed(server)
    added = load(feed, store, NOW)
    assert feed.partial is None, feed.partial
    assert cached(store) == expected() and added == 31 + 3
    assert feed.describe()["form"].startswith("navigation: Datastreams(id)/Observations")
    assert any("/Datastreams('ws-ds-11')/Observations" in unquote(p) for p in server.seen)
    assert not any(unquote(p).startswith(f"{ROOT_PATH}Observations") for p in server.seen)
    named = things(store)
    assert named["thing-3"][:2] == ("寿光市弥河水文站", "370783")
    assert json.loads(named["thing-1"][2])["datastreams"] == {"pm25": "潍城区 PM2.5",
                                                              "no2": "潍城区 NO2"}
    assert json.loads(named["thing-1"][2])["sensors"]["no2"] == "Thermo 42i"
    marks = json.loads(store.checkpoint("传感器网"))
    assert marks == {"ws-ds-11": "2026-11-20T02:40:00+00:00", "ws-ds-12": "2026-11-20T02:20:00+00:00",
                     "ws-ds-21": "2026-11-20T02:00:00+00:00", "ws-ds-31": "2026-11-20T02:45:00+00:00",
                     "ws-ds-32": "2026-11-20T02:25:00+00:00"}  # an interval's end


def test_collection_only_server_that_refuses_expand(frost, store):
    server = frost(navigation=False, expand=False)  # FROST's 400 for any $expand
    feed = _feed(server)
    load(feed, store, NOW)
    assert feed.partial is None, feed.partial
    assert cached(store) == expected()
    described = feed.describe()
    assert described["form"].startswith("collection: Observations?$filter=")
    assert described["discovery"] == "plain list, missing parts read by navigation"
    assert things(store)["thing-2"][:2] == ("奎文区空气自动监测站", "370705")
    # the refused $expand=Datastream(...) on the collection: filtered by the Datastream alone
    assert any("Datastream/@iot.id eq 11" in unquote(p).replace("+", " ") for p in server.seen)
    server.seen.clear()
    load(feed, store, NOW)  # what was refused is not asked again: the list's 2 pages, 5 queries
    assert len(server.seen) == 2 + 5 and not any("expand" in p for p in server.seen)


def test_server_with_both_forms_reads_the_navigation(frost, store):
    server = frost()
    feed = _feed(server)
    load(feed, store, NOW)
    assert feed.partial is None and cached(store) == expected()
    assert feed.describe()["form"].startswith("navigation")
    assert feed.describe()["discovery"] == ("$expand=Thing($expand=Locations),"
                                            "ObservedProperty,Sensor")
    # with $expand, one request lists every Datastream with its Thing and ObservedProperty
    assert sum("/Datastreams?" in p for p in server.seen) == 2  # 5 Datastreams, $top=4


def test_cockpit_ingest_once_with_a_config_file(frost, tmp_path: Path):
    server = frost()
    cache = tmp_path / "cache.duckdb"
    site = tmp_path / "site.toml"
    site.write_text(f'''version = 1

[wall]
layouts = ["overview"]
cache = "{cache}"

[[feeds]]
name = "传感器网"
kind = "sensorthings"
interval = "1m"
url = "{server.root}"
top = 4
lookback_s = 600
metrics = {json.dumps(METRICS, ensure_ascii=False).replace('":', '" =')}
districts = {{"寿光市" = "370783"}}
''', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", "--config",
                             str(site), "--once"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "传感器网" in result.stdout and "ok" in result.stdout, result.stdout
    with Store(cache, read_only=True) as store:
        rows = cached(store)
    # the CLI's clock is today: every fixture time lies in the past, all are loaded
    assert rows == expected()


def test_metric_and_district_from_other_fields_as_configured(frost, store):
    definitions = {op["definition"]: METRICS[op["name"]] for op in ENTITIES["ObservedProperties"]}
    feed = _feed(frost(), metric_path="ObservedProperty.definition", metrics=definitions,
                 district_path="Thing.name", district_pattern="^(.{3})",
                 districts={"潍城区": "370702", "奎文区": "370705", "寿光市": "370783"})
    load(feed, store, NOW)
    assert feed.partial is None and cached(store) == expected()


def test_a_datastream_without_the_metric_is_refused_with_a_line(frost, store):
    feed = _feed(frost(), metric_path="ObservedProperty.name", metric_pattern="^(PM2.5|NO2)$")
    load(feed, store, NOW)
    assert {r[2] for r in cached(store)} == {"pm25", "no2"}
    assert feed.partial.startswith("2 条记录被拒绝：feed 传感器网: Datastream 31."
                                   "ObservedProperty.name: 'water_level' does not match")


def test_string_ids_are_quoted_as_odata_literals():
    assert entity_path("Datastreams", 7) == "Datastreams(7)"
    assert entity_path("Datastreams", "a'b c") == "Datastreams('a''b%20c')"


# -- paging proven complete ------------------------------------------------------------------
@pytest.mark.parametrize("links", ["path", "relative", "foreign"])
def test_relative_absolute_path_and_foreign_next_links(frost, store, links):
    server = frost(links=links)
    feed = _feed(server)
    load(feed, store, NOW)
    assert feed.partial is None, feed.partial
    assert cached(store) == expected()
    assert all(p.startswith(ROOT_PATH) for p in server.seen)  # the foreign host never asked


def test_a_server_repeating_page_one_makes_the_load_partial(frost, store):
    server = frost(quirk="repeat")
    feed = _feed(server)
    load(feed, store, NOW)
    assert feed.partial is not None
    assert "数据流列表：第 2 页重复了已取到的数据流" in feed.partial
    assert "数据流 11（潍城区 PM2.5）：第 2 页重复了本次已取到的记录" in feed.partial
    # what arrived is kept: the first page of each Datastream found (top 4; the fifth
    # Datastream was on the list's second page)
    assert len(cached(store)) == 4 + 4 + 1 + 4
    marks = json.loads(store.checkpoint("传感器网"))
    assert marks["11"] == "2026-11-20T02:15:00+00:00"  # only as far as what was read


def test_a_next_link_that_does_not_advance_makes_the_load_partial(frost, store):
    server = frost(quirk="stall")
    feed = _feed(server)
    load(feed, store, NOW)
    assert feed.partial is not None
    assert feed.partial.startswith("数据流列表：@iot.nextLink 未前进（http://127.0.0.1:")
    assert "数据流 11（潍城区 PM2.5）：@iot.nextLink 未前进" in feed.partial
    assert len(server.seen) == 1 + 4  # the list, then each Datastream: each page asked once


def test_fewer_observations_than_the_count_make_the_load_partial(frost, store):
    feed = _feed(frost(quirk="short"))
    load(feed, store, NOW)
    assert feed.partial is not None and "只取到 9/11 条" in feed.partial
    assert cached(store) == expected()  # everything there was, but not called complete


def test_one_failing_datastream_does_not_keep_the_others_out(frost, store):
    feed = _feed(frost(quirk="broken 12"))
    load(feed, store, NOW)
    assert feed.partial.startswith("数据流 12（潍城区 NO2）读取失败：feed 传感器网: HTTP 500")
    assert cached(store) == [r for r in expected() if r[2] != "no2"]
    assert "12" not in json.loads(store.checkpoint("传感器网"))  # read again next time


# -- incremental, per Datastream --------------------------------------------------------------
def test_late_upload_is_loaded_on_the_next_run_without_duplicates(frost, store):
    server = frost()
    feed = _feed(server, lookback_s=900)
    load(feed, store, NOW)
    before = cached(store)
    # Datastream 21's gateway uploads its buffered values late: older than the newest of the
    # other Datastreams, and 10 minutes before its own newest; Datastream 11 gets a new value
    server.observations["21"].append({"@iot.id": 5001, "phenomenonTime": "2026-11-20T01:50:00Z",
                                      "resultTime": "2026-11-20T02:50:00Z", "result": "33.5"})
    server.observations["11"].append({"@iot.id": 5002, "phenomenonTime": "2026-11-20T02:45:00Z",
                                      "resultTime": "2026-11-20T02:45:00Z", "result": 40})
    server.seen.clear()
    assert load(feed, store, NOW) == 2 + 3  # the two new rows (and the 3 Things, refreshed)
    assert feed.partial is None, feed.partial
    assert cached(store) == expected(server.observations)
    assert len(cached(store)) == len(before) + 2
    # each Datastream from its own mark, minus the look-back
    asked = [unquote(p).replace("+", " ") for p in server.seen if "/Observations" in p]
    assert any("Datastreams(11)/Observations" in p and "ge 2026-11-20T02:25:00" in p
               for p in asked)
    assert any("Datastreams(21)/Observations" in p and "ge 2026-11-20T01:45:00" in p
               for p in asked)
    assert load(feed, store, NOW) == 3  # a third run: nothing new but the Things' upsert
    assert len(cached(store)) == len(before) + 2


def test_the_old_single_timestamp_checkpoint_is_read(frost, store):
    server = frost()
    store.set_checkpoint("传感器网", "2026-11-20T02:30:00+00:00", NOW)
    feed = _feed(server, lookback_s=0)
    load(feed, store, NOW)
    assert feed.partial is None
    assert cached(store) == [r for r in expected() if r[0] >= datetime(2026, 11, 20, 2, 30,
                                                                       tzinfo=UTC)]
    marks = json.loads(store.checkpoint("传感器网"))
    assert marks["11"] == "2026-11-20T02:40:00+00:00"


def test_numeric_strings_and_intervals_become_numbers_at_the_interval_end(frost, store):
    load(_feed(frost()), store, NOW)
    level = store.reader().execute(
        "SELECT value FROM observations WHERE metric = 'water_level' ORDER BY ts").fetchall()
    assert [v for (v,) in level][:3] == [3.25, 3.26, 3.27]  # sent as "3.25", "3.26", …
    first = store.reader().execute(
        "SELECT min(ts), min(value) FROM observations WHERE metric = 'flow_count'").fetchone()
    assert first == (datetime(2026, 11, 20, 2, 0, tzinfo=UTC), 120.0)  # "01:55/02:00" -> 02:00


# -- the simulator serves both forms --------------------------------------------------------
def test_the_simulator_serves_the_navigation_and_the_collection_alike(sim, tmp_path, clock,
                                                                      monkeypatch):
    from cockpit.demo import simulator

    # a request per Datastream (168): without TCP_NODELAY each waits 40 ms for a delayed ACK
    monkeypatch.setattr(simulator.Handler, "disable_nagle_algorithm", True, raising=False)
    rows = {}
    for form in ("navigation", "collection"):
        with Store(tmp_path / f"{form}.duckdb") as st:
            feed = SensorThingsFeed("传感器网", 5, {"url": sim.url + "/v1.1", "top": 300,
                                                "form": form}, requests.Session(), policy=POLICY)
            assert load(feed, st, clock.now()) == 6 * 12 * 14 + 12  # and the 12 Things
            assert feed.partial is None, feed.partial
            rows[form] = cached(st)
            code = sim.sim.world.codes[4]
            assert things(st)["thing-5"][:2] == (DISTRICT_NAMES[code], code)
    assert rows["navigation"] == rows["collection"]
    assert any("/v1.1/Datastreams(101)/Observations" in p for p in sim.sim.log)
    assert any(p.startswith("/v1.1/Observations") and "Datastream" in unquote(p)
               for p in sim.sim.log)
