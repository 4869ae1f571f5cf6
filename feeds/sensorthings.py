"""OGC SensorThings API 1.1 (e.g. FROST-Server): Datastreams and their Observations.

**Discovery**, every load: ``Datastreams?$expand=Thing($expand=Locations),ObservedProperty,
Sensor`` (one round trip for what each value means and where it is). A server that refuses the
``$expand`` (HTTP 400/501) is asked for the plain list; whatever a Datastream then lacks
(``Thing``, ``ObservedProperty``, the Thing's ``Locations``) is read by navigation
(``Datastreams(id)/Thing`` …) once and kept. Each Thing becomes an entity (its name, district,
position; its Datastreams' and Sensors' names in ``attrs``).

**Observations**, one query per Datastream, in one of the two forms the spec defines:

* ``navigation``: ``Datastreams(id)/Observations`` (ids are integers or quoted strings,
  ``Datastreams('abc')``);
* ``collection``: ``Observations?$filter=Datastream/@iot.id eq id`` (``Datastream/id`` if the
  server refuses ``@iot.id``), with ``$expand=Datastream($select=@iot.id)`` to check that the
  server applied the filter.

``form = "auto"`` tries the navigation form and falls back to the collection when the server
answers 404; the form used is in :meth:`describe`. Each query asks for ``$count=true``,
``$orderby=phenomenonTime asc`` and ``$filter=phenomenonTime ge <mark − lookback_s>`` and
follows ``@iot.nextLink`` (absolute, absolute-path or relative, resolved against the request
per RFC 3986; a link to another origin is not sent our credentials: its query is applied to our
own collection URL).

**Paging is proven complete**: a Datastream's read stops, and the load is partial with the
reason, when a nextLink does not advance (the same URL again), when a page repeats an
``@iot.id`` already received in this read, or when fewer distinct observations arrive than the
last ``@iot.count`` said. A Datastream that cannot be read is named in the reason and the
others are read; three failing in a row end the load (a server gone mid-load would cost each
remaining one its timeouts), and a load that read none fails. Pages are merged up to
:data:`FLUSH_ROWS` rows, so a load is a few cache transactions, not one per Datastream.

**Checkpoint per Datastream**: a JSON object ``{"<datastream id>": "<high-water
phenomenonTime>"}``; an interval ``start/end`` stands for its **end** (the time stored, and the
mark). The mark moves per page while the pages come in ascending order, otherwise only once the
whole read is complete. Each query re-reads ``lookback_s`` before the mark, so a late upload is
loaded; the store drops what it already holds. The old checkpoint, one timestamp for the whole
feed, is read as every Datastream's mark.

``result`` may be a number or a numeric string (both loaded) or another JSON type (rejected
with a reason). The metric and the district are read from the expanded Datastream at
``metric_path`` / ``district_path`` (dotted paths), optionally cut by a pattern and mapped by
``metrics`` / ``districts``. No Qt.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

import requests

from feeds.base import LiveFeed, Page
from feeds.common import Batch, dig, parse_coord, parse_number, parse_time
from feeds.errors import FeedError, Malformed, RetryLater, redact
from feeds.http import HttpClient, HttpPolicy, Response

log = logging.getLogger(__name__)

#: Datastreams failing one after another before a load gives up on the rest (a server gone
#: mid-load would otherwise cost every remaining Datastream its timeouts and retries)
MAX_FAILED_IN_A_ROW = 3
MAX_PAGES = 10_000
FLUSH_ROWS = 5_000  # rows merged into one page (one cache transaction)  # per query: a server paging forever is cut off (and the load is partial)
EXPAND = "Thing($expand=Locations),ObservedProperty,Sensor"
REFUSED = (400, 501)  # how servers say "not this query" ($expand, a $filter path)
FORMS = {"navigation": "Datastreams(id)/Observations", "collection": "Observations?$filter="
         "Datastream/@iot.id eq id"}


@dataclass
class Stream:
    """A Datastream, resolved: what its observations are rows of."""

    id: Any  # as the server sent it (int or str): the URL form depends on it
    key: str  # the id as the checkpoint's key
    name: str
    entity_id: str
    metric: str
    unit: str | None
    district: str | None
    lat: float | None
    lon: float | None


@dataclass
class Read:
    """One Datastream's read in this load: what proves it complete."""

    stream: Stream
    seen: set = field(default_factory=set)  # distinct @iot.ids received
    total: int | None = None  # the last @iot.count
    pages: int = 0
    problem: str | None = None  # why the read is not complete
    newest: datetime | None = None
    previous: datetime | None = None
    ordered: bool = True  # the pages came in ascending phenomenonTime so far


def _key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def literal(ident: Any) -> str:
    """An id as an OData literal: ``5``, or ``'a''b'`` (a string, its quotes doubled)."""
    if isinstance(ident, int) and not isinstance(ident, bool):
        return str(ident)
    return "'" + str(ident).replace("'", "''") + "'"


def entity_path(collection: str, ident: Any) -> str:
    """``Datastreams(5)`` or ``Datastreams('a''b')``, URL-quoted."""
    return f"{collection}({quote(literal(ident), safe=chr(39))})"


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SensorThingsFeed(LiveFeed):
    kind = "sensorthings"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any],
                 session: requests.Session, *, policy: HttpPolicy | None = None) -> None:
        super().__init__(name, interval_s)
        self.url = options["url"].rstrip("/") + "/"
        self.top = int(options.get("top", 200))
        self.form_wanted: str = options.get("form", "auto")
        self.lookback = timedelta(seconds=float(options.get("lookback_s", 300)))
        history = options.get("history_s")
        self.history = None if history is None else timedelta(seconds=float(history))
        self.metric_path: str = options.get("metric_path", "ObservedProperty.name")
        self.district_path: str = options.get("district_path", "Thing.properties.district")
        self.metric_pattern = _pattern(options.get("metric_pattern"))
        self.district_pattern = _pattern(options.get("district_pattern"))
        self.metrics: Mapping[str, str] = options.get("metrics") or {}
        self.districts: Mapping[str, str] = options.get("districts") or {}
        self.http = HttpClient(session, name, policy or HttpPolicy())
        #: the form the Observations are read in, once a server answered ("auto": not yet)
        self.form: str | None = None if self.form_wanted == "auto" else self.form_wanted
        self.collection_variant: tuple[str, bool] = ("Datastream/@iot.id", True)
        self.expand: str | None = None  # how discovery went: "$expand" or "navigation"
        self.streams: dict[str, Stream] = {}
        self._parts: dict[tuple[str, str], Any] = {}  # (datastream key, part) -> object read
        self._locations: dict[str, list] = {}  # thing key -> its Locations
        self._problems: list[str] = []
        self._stalled: str | None = None
        self._expand_refused = False  # asked once per run of the feed

    def _describe(self) -> dict[str, Any]:
        form = self.form or "auto (not yet probed)"
        return {"url": self.url,
                "form": f"{form}: {FORMS[form]}" if form in FORMS else form,
                "paging": "@iot.nextLink, checked against @iot.count and repeated @iot.id",
                "discovery": self.expand or "not yet run",
                "checkpoint": f"per Datastream: newest phenomenonTime (interval: its end), "
                              f"re-reading {self.lookback.total_seconds():g} s",
                "datastreams": len(self.streams)}

    # -- HTTP -----------------------------------------------------------------------------
    def _get(self, url: str, params: Mapping[str, Any] | None,
             ok: tuple[int, ...] = ()) -> tuple[Response, Any]:
        resp = self.http.get(url, params=params, headers={"Accept": "application/json"},
                             ok=(200, *ok))
        return resp, (resp.json(self.name) if resp.status == 200 else None)

    def _pages(self, url: str, params: Mapping[str, Any] | None, what: str,
               ok: tuple[int, ...] = ()) -> Iterator[tuple[int, list, int | None]]:
        """Each page of a collection: (status, value, @iot.count), following nextLinks. A
        first answer with a status in ``ok`` (other than 200) is yielded once, empty. Sets
        :attr:`_stalled` when the paging had to be stopped."""
        self._stalled = None
        own = url
        current = full_url(url, params)
        visited = {_norm(current)}
        for n in range(MAX_PAGES):
            resp, body = self._get(current, None, ok if n == 0 else ())
            if resp.status != 200:
                yield resp.status, [], None
                return
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise Malformed(self.name, what, "expected an object with a value list")
            count = body.get("@iot.count")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                      or count < 0):
                raise Malformed(self.name, f"{what} @iot.count", f"not a count: {count!r}")
            yield 200, body["value"], count
            link = body.get("@iot.nextLink")
            if link is None:
                return
            if not isinstance(link, str) or not link.strip():
                raise Malformed(self.name, f"{what} @iot.nextLink", f"not a link: {link!r}")
            current = self._follow(current, link, own)
            if _norm(current) in visited:
                self._stalled = f"@iot.nextLink 未前进（{redact(link)[:80]}），已停止翻页"
                return
            visited.add(_norm(current))
        self._stalled = f"超过 {MAX_PAGES} 页仍有 @iot.nextLink，已停止翻页"

    def _follow(self, current: str, link: str, own: str) -> str:
        """Where a nextLink leads: resolved against the request (RFC 3986). A link to another
        origin is not sent our credentials: its query is applied to our own collection URL
        (a server behind a proxy often names its internal address)."""
        target = urljoin(current, link.strip())
        theirs, ours = urlsplit(target), urlsplit(own)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            return own + ("?" + theirs.query if theirs.query else "")
        return target

    # -- discovery ------------------------------------------------------------------------
    def _discover(self, now: datetime) -> Batch:
        """The Datastreams, resolved; a batch with a Thing entity each."""
        batch = Batch(self.name)
        base = urljoin(self.url, "Datastreams")
        raw: list[Any] = []
        ids: set[str] = set()
        total = None
        expanded = False
        problem = None
        tries = [{"$expand": EXPAND, "$top": self.top, "$count": "true"},
                 {"$top": self.top, "$count": "true"}]
        for params in tries[self._expand_refused:]:
            pages = 0
            for status, values, count in self._pages(base, params, "Datastreams", REFUSED):
                expanded = status == 200 and "$expand" in params
                pages += 1
                fresh = [d for d in values if not isinstance(d, Mapping)
                         or _key(d.get("@iot.id")) not in ids]
                ids |= {_key(d.get("@iot.id")) for d in values if isinstance(d, Mapping)}
                raw += fresh
                total = count if count is not None else total
                if len(fresh) < len(values):
                    problem = f"第 {pages} 页重复了已取到的数据流，已停止翻页"
                    break
            else:
                problem = self._stalled
            if status == 200:
                break
            self._expand_refused = True  # the plain list, and navigation for the rest
        if problem is None and total is not None and len(ids) < total:
            problem = f"只取到 {len(ids)}/{total} 个（服务端声明的总数）"
        if problem is not None:
            self._problems.append(f"数据流列表：{problem}")
        navigated = False
        streams: dict[str, Stream] = {}
        things: dict[str, dict[str, Any]] = {}
        for ds in raw:
            if not isinstance(ds, Mapping) or not isinstance(ds.get("@iot.id"), int | str) \
                    or isinstance(ds.get("@iot.id"), bool):
                batch.rejected.append(f"feed {self.name}: Datastreams: a datastream without "
                                      f"@iot.id: {str(ds)[:80]}")
                continue
            key = _key(ds["@iot.id"])
            if key in streams:
                continue
            try:
                navigated |= self._complete(ds, key)
                stream, thing = self._stream(ds, key)
            except RetryLater:
                raise
            except FeedError as exc:  # this Datastream is left out, said so; the others load
                batch.rejected.append(f"{exc} (Datastream {key} left out)")
                continue
            clash = next((s for s in streams.values() if s.entity_id == stream.entity_id
                          and s.metric == stream.metric), None)
            if clash is not None:
                batch.rejected.append(
                    f"feed {self.name}: Datastream {key}: gives metric {stream.metric} of "
                    f"{stream.entity_id} as Datastream {clash.key} does; skipped (map one of "
                    f"them to another metric)")
                continue
            streams[key] = stream
            entry = things.setdefault(stream.entity_id, {"thing": thing, "stream": stream,
                                                         "datastreams": {}, "sensors": {}})
            entry["datastreams"][stream.metric] = stream.name
            sensor = ds.get("Sensor")
            if isinstance(sensor, Mapping) and sensor.get("name") is not None:
                entry["sensors"][stream.metric] = str(sensor["name"])
        self.expand = ("$expand=" + EXPAND if expanded else "plain list") + (
            ", missing parts read by navigation" if navigated else "")
        self.streams = streams
        for entity_id, entry in things.items():
            thing, stream = entry["thing"], entry["stream"]
            attrs = {"datastreams": entry["datastreams"], "sensors": entry["sensors"]}
            if thing.get("description"):
                attrs["description"] = thing["description"]
            name = thing.get("name")
            batch.entity(entity_id, "thing", name=None if name is None else str(name),
                         district=stream.district, lat=stream.lat, lon=stream.lon,
                         attrs=attrs, updated_at=now)
        return batch

    def _complete(self, ds: dict[str, Any], key: str) -> bool:
        """Read by navigation what the Datastream lacks (kept: asked once). True if it did."""
        did = False
        for part in ("Thing", "ObservedProperty"):
            if not isinstance(ds.get(part), Mapping):
                if (key, part) not in self._parts:
                    path = entity_path("Datastreams", ds["@iot.id"]) + "/" + part
                    _, body = self._get(urljoin(self.url, path), None)
                    if not isinstance(body, Mapping):
                        raise Malformed(self.name, path, "expected an object")
                    self._parts[(key, part)] = body
                    did = True
                ds[part] = self._parts[(key, part)]
        thing = ds["Thing"]
        if "Locations" not in thing and isinstance(thing.get("@iot.id"), int | str):
            tkey = _key(thing["@iot.id"])
            if tkey not in self._locations:
                path = entity_path("Things", thing["@iot.id"]) + "/Locations"
                locs: list = []
                for _, values, _count in self._pages(urljoin(self.url, path), None, path):
                    locs += values
                self._locations[tkey] = locs
                did = True
            ds["Thing"] = {**thing, "Locations": self._locations[tkey]}
        return did

    def _stream(self, ds: Mapping[str, Any], key: str) -> tuple[Stream, Mapping[str, Any]]:
        where = f"Datastream {key}"
        thing = ds.get("Thing")
        if not isinstance(thing, Mapping) or not isinstance(thing.get("@iot.id"), int | str):
            raise Malformed(self.name, f"{where}.Thing", "no Thing with an @iot.id")
        metric = self._text(ds, self.metric_path, self.metric_pattern, where)
        if metric is None:
            raise Malformed(self.name, f"{where}.{self.metric_path}", "no metric there")
        metric = self.metrics.get(metric, metric)
        district = self._text(ds, self.district_path, self.district_pattern, where)
        if district is not None:
            district = self.districts.get(district, district)
        lat = lon = None
        for loc in thing.get("Locations") or []:
            geo = loc.get("location") if isinstance(loc, Mapping) else None
            if isinstance(geo, Mapping) and geo.get("type") == "Feature":
                geo = geo.get("geometry")
            if isinstance(geo, Mapping) and geo.get("type") == "Point" \
                    and isinstance(geo.get("coordinates"), list) and len(geo["coordinates"]) >= 2:
                lon = parse_coord(geo["coordinates"][0], self.name, f"{where}.Thing.Locations",
                                  -180, 180)
                lat = parse_coord(geo["coordinates"][1], self.name, f"{where}.Thing.Locations",
                                  -90, 90)
                break
        uom = ds.get("unitOfMeasurement")
        unit = (uom.get("symbol") or None) if isinstance(uom, Mapping) else None
        name = ds.get("name")
        return Stream(ds["@iot.id"], key, key if name is None else str(name),
                      f"thing-{thing['@iot.id']}", metric, None if unit is None else str(unit),
                      district, lat, lon), thing

    def _text(self, ds: Mapping[str, Any], path: str, pattern: re.Pattern | None,
              where: str) -> str | None:
        value = dig(ds, path, None)
        if value is None or isinstance(value, dict | list):
            return None
        text = str(value)
        if pattern is not None:
            found = pattern.search(text)
            if found is None:
                raise Malformed(self.name, f"{where}.{path}",
                                f"{text[:60]!r} does not match {pattern.pattern!r}")
            text = found.group(1) if pattern.groups else found.group(0)
        return text

    # -- observations ---------------------------------------------------------------------
    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        self._problems = []
        marks = self._marks(since)
        buffer = Page(self._discover(now))
        streams = list(self.streams.values())
        failed: list[FeedError] = []
        read = 0
        for n, stream in enumerate(streams):
            try:
                for page in self._read(stream, marks, now):
                    # Pages are merged up to FLUSH_ROWS: one cache transaction per Datastream
                    # costs more than its rows. A page's checkpoint covers its rows and all
                    # before it, so the merged page carries the last one.
                    buffer.batch.extend(page.batch)
                    buffer.checkpoint = page.checkpoint or buffer.checkpoint
                    if len(buffer.batch.observations) >= FLUSH_ROWS:
                        yield buffer
                        buffer = Page(Batch(self.name))
                read += 1
                failed = []
            except RetryLater:
                raise  # the server asked us to stay away: the runner reschedules
            except FeedError as exc:  # this Datastream; the others are still read
                failed.append(exc)
                self._problems.append(f"数据流 {stream.key}（{stream.name}）读取失败：{exc}")
                if len(failed) >= MAX_FAILED_IN_A_ROW:
                    if not read:
                        raise
                    self._problems.insert(0, f"连续 {len(failed)} 个数据流读取失败，其后 "
                                             f"{len(streams) - n - 1} 个本次未读")
                    break
        if len(buffer.batch) or buffer.batch.rejected or buffer.checkpoint:
            yield buffer
        if streams and not read and failed:
            raise failed[-1]  # not one Datastream could be read: the feed is failing
        if self._problems:
            more = f"（另有 {len(self._problems) - 3} 项）" if len(self._problems) > 3 else ""
            self.partial = "；".join(self._problems[:3]) + more
            log.warning("feed %s: load incomplete: %s", self.name,
                        redact("; ".join(self._problems)))

    def _marks(self, since: str | None) -> dict[str, str]:
        """The checkpoint as Datastream key -> mark (aware ISO times). The old checkpoint, one
        timestamp, becomes ``"*"``: every Datastream's mark until it has its own."""
        if not since:
            return {}
        try:
            stored = json.loads(since)
        except ValueError:
            stored = None
        if not isinstance(stored, dict):
            stored = {"*": since}
        marks = {}
        for key, value in stored.items():
            try:
                when = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                log.warning("feed %s: checkpoint of Datastream %s is not a time (%r): read "
                            "as a first load", self.name, key, str(value)[:60])
                continue
            marks[key] = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(
                UTC).isoformat()
        return marks

    def _since(self, stream: Stream, marks: dict[str, str], now: datetime) -> datetime | None:
        mark = marks.get(stream.key) or marks.get("*")
        if mark is not None:
            return datetime.fromisoformat(mark) - self.lookback
        return None if self.history is None else now - self.history

    def _read(self, stream: Stream, marks: dict[str, str], now: datetime) -> Iterator[Page]:
        """One Datastream's Observations since its mark, in the first form the server serves."""
        read = Read(stream)
        since = self._since(stream, marks, now)
        params: dict[str, Any] = {"$orderby": "phenomenonTime asc", "$top": self.top,
                                  "$count": "true"}
        clauses = [] if since is None else [f"phenomenonTime ge {stamp(since)}"]
        for form, variant, url, query in self._queries(stream, params, clauses):
            served = yield from self._read_form(read, marks, form, url, query, now)
            if served:
                if self.form is None:
                    self.form = form
                if variant is not None:
                    self.collection_variant = variant
                break
        else:
            self._problems.append(f"数据流 {stream.key}（{stream.name}）：服务端不提供其观测"
                                  f"（试过 {' 与 '.join(self._tried(stream))}）")
            return
        got = len(read.seen)
        if read.problem is None and read.total is not None and got < read.total:
            read.problem = f"只取到 {got}/{read.total} 条（服务端声明的总数）"
        if read.problem is not None:
            self._problems.append(f"数据流 {stream.key}（{stream.name}）：{read.problem}")
        elif not read.ordered and read.newest is not None:  # complete: now the mark may move
            yield Page(Batch(self.name), self._advance(marks, stream, read.newest))

    def _tried(self, stream: Stream) -> list[str]:
        forms = [self.form] if self.form else ["navigation", "collection"]
        return [entity_path("Datastreams", stream.id) + "/Observations" if f == "navigation"
                else "Observations?$filter=Datastream/@iot.id eq …" for f in forms]

    def _read_form(self, read: Read, marks: dict[str, str], form: str, url: str,
                   query: dict[str, Any], now: datetime) -> Iterator[Page]:
        """The pages of one query; returns False if the server does not serve it."""
        stream = read.stream
        for status, values, count in self._pages(url, query, f"Datastream {stream.key} "
                                                 f"Observations", (404, *REFUSED)):
            if status != 200:
                return False
            read.pages += 1
            read.total = count if count is not None else read.total
            batch = Batch(self.name)
            repeated = None
            for obs in values:
                oid = obs.get("@iot.id") if isinstance(obs, Mapping) else None
                ident = _key(oid) if oid is not None else json.dumps(obs, sort_keys=True,
                                                                     default=str)
                if ident in read.seen:
                    repeated = repeated or ident
                    continue
                read.seen.add(ident)
                ts = self._observation(obs, stream, form, batch, now)
                if ts is None:
                    continue
                if read.previous is not None and ts < read.previous:
                    read.ordered = False
                read.previous = ts
                if read.newest is None or ts > read.newest:
                    read.newest = ts
            if repeated is not None:
                read.problem = (f"第 {read.pages} 页重复了本次已取到的记录"
                                f"（@iot.id {repeated[:40]}），已停止翻页")
            checkpoint = None
            if read.ordered and read.problem is None and read.newest is not None:
                checkpoint = self._advance(marks, stream, read.newest)
            yield Page(batch, checkpoint)
            if read.problem is not None:
                return True
        read.problem = self._stalled
        return True

    def _advance(self, marks: dict[str, str], stream: Stream, newest: datetime) -> str:
        """The checkpoint with ``stream``'s mark moved up to ``newest`` (never down)."""
        old = marks.get(stream.key) or marks.get("*")
        if old is None or datetime.fromisoformat(old) < newest:
            marks[stream.key] = newest.astimezone(UTC).isoformat()
        return json.dumps(marks, sort_keys=True, ensure_ascii=False)

    def _queries(self, stream: Stream, params: dict[str, Any],
                 clauses: list[str]
                 ) -> Iterator[tuple[str, tuple[str, bool] | None, str, dict[str, Any]]]:
        """(form, collection variant, URL, query) for a Datastream's Observations, in the
        order to try them: the form already found, or navigation then the collection."""
        forms = [self.form] if self.form else ["navigation", "collection"]
        for form in forms:
            if form == "navigation":
                query = dict(params)
                if clauses:
                    query["$filter"] = " and ".join(clauses)
                yield form, None, urljoin(self.url, entity_path("Datastreams", stream.id)
                                          + "/Observations"), query
                continue
            for path, expand in self._variants():
                query = {**params, "$filter": " and ".join([f"{path} eq {literal(stream.id)}",
                                                            *clauses])}
                if expand:
                    query["$expand"] = "Datastream($select=@iot.id)"
                yield form, (path, expand), urljoin(self.url, "Observations"), query

    def _variants(self) -> list[tuple[str, bool]]:
        """The collection's filter on the Datastream, with or without ``$expand`` (to check
        the filter was applied), the one that worked first."""
        every = [(p, e) for e in (True, False) for p in ("Datastream/@iot.id", "Datastream/id")]
        return list(dict.fromkeys([self.collection_variant, *every]))

    def _observation(self, obs: Any, stream: Stream, form: str, batch: Batch,
                     now: datetime) -> datetime | None:
        try:
            if not isinstance(obs, Mapping):
                raise Malformed(self.name, f"Datastream {stream.key} Observations",
                                "expected an object")
            oid = obs.get("@iot.id")
            where = f"Datastream {stream.key} Observation {oid}"
            ds = obs.get("Datastream")
            if form == "collection" and isinstance(ds, Mapping) and "@iot.id" in ds \
                    and _key(ds["@iot.id"]) != stream.key:
                raise Malformed(self.name, f"{where}.Datastream",
                                f"belongs to Datastream {ds['@iot.id']!r}: the server ignored "
                                f"the $filter on the Datastream")
            ts = parse_time(obs.get("phenomenonTime"), self.name, f"{where}.phenomenonTime",
                            now=now)
            result = obs.get("result")
            if not isinstance(result, int | float | str) or isinstance(result, bool):
                raise Malformed(self.name, f"{where}.result",
                                f"not a number: {type(result).__name__} {str(result)[:40]}")
            value = parse_number(result, self.name, f"{where}.result")
        except Malformed as exc:
            batch.rejected.append(str(exc))
            return None
        batch.observe(ts, stream.entity_id, stream.metric, value, entity_type="thing",
                      unit=stream.unit, district=stream.district, lat=stream.lat, lon=stream.lon)
        return ts


def _pattern(text: str | None) -> re.Pattern | None:
    return None if not text else re.compile(text)


def _norm(url: str) -> tuple:
    """A URL as a comparable value: encoding and parameter order do not matter."""
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, unquote(parts.path),
            tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))))


def full_url(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL requests would send (``params`` encoded), so pages can be told apart."""
    return requests.Request("GET", url, params=params).prepare().url or url
