"""``[[feeds]]``: every feed kind's keys, declared once (the adapters in ``feeds/`` read them).

Each kind is a model with ``kind`` as its tag; the nested tables of the REST kind (``auth``,
``paging``, ``envelope``, ``mapping``, ``timeouts``) are models of their own, so a typo such as
``page_parm`` is an error where it stands. The defaults here are the adapters' defaults
(:mod:`feeds.rest`, :mod:`feeds.auth`, :mod:`feeds.http`, :mod:`feeds.mapping`). Loading this
module imports no adapter, HTTP or MQTT client, nor pyarrow. Pure: no Qt.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator, model_validator

from cockpit.model.schema.base import Strict, fail, field
from cockpit.model.schema.values import COMMON, parse_interval  # noqa: F401 (re-exported)
from feeds.syntax import PathError, split_path, time_format_problem

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Scalar = str | int | float | bool
#: What the signature template may use (feeds.auth.sign fills them).
TEMPLATE_FIELDS = ("app_key", "timestamp", "nonce", "method", "path", "query")
DEFAULT_TEMPLATE = "{method}\n{path}\n{query}\n{app_key}\n{timestamp}\n{nonce}"


def _url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, found {url!r}")
    if "@" in parts.netloc or parts.query:
        raise ValueError("no credentials or query in the URL (they end up in logs); use auth, "
                         "params or headers")
    return url


#: The largest timeouts.max_bytes (feeds.http.MAX_BYTES_CAP): 256 MiB. A page is held in memory
#: and parsed into Python objects several times its size, on the PC that runs the wall.
MAX_BYTES_CAP = 256 * 1024 * 1024
#: How paths are written (shown in the reference beside each path key).
PATHS = ("Dotted (data.list; digits index lists), a key with dots quoted (value.\"@iot.count\"), "
         "or a JSON Pointer (/value/@iot.count).")


Codes = list[int | str | bool]  # (a field below is named ``list``)


def _path(value: str | None) -> str | None:
    """A path the adapters can follow (feeds.syntax.split_path), or the reason it is not."""
    if value is not None:
        try:
            split_path(value)
        except PathError as exc:
            raise ValueError(str(exc)) from None
    return value


def _secret_pair(model: Strict, keys: tuple[str, ...], why: str) -> list[tuple[str, str]]:
    return [(key, f"{why} needs {key} or {key}_env (the name of an environment variable)")
            for key in keys
            if getattr(model, key) is None and getattr(model, f"{key}_env") is None]


# -- nested tables ----------------------------------------------------------------------------
class Timeouts(Strict):
    """``timeouts``: how long an HTTP feed waits and how often it retries (feeds.http)."""

    connect: float = field(3.0, ge=0, unit="s", example=3,
                           description="Seconds to open the connection.")
    read: float = field(10.0, ge=0, unit="s", example=10,
                        description="Seconds to wait for each read from the server.")
    deadline: float = field(30.0, ge=0, unit="s", example=30,
                            description="Seconds for the whole request, body included.")
    max_bytes: int = field(20 * 1024 * 1024, ge=0, unit="bytes", example=20971520,
                           description="Largest answer accepted, at most 268435456 (256 MiB); "
                                       "the body is streamed and abandoned at the cap, and not "
                                       "asked for again.")
    retries: int = field(2, ge=0, example=2, description="Attempts after the first one.")
    backoff: float = field(0.5, ge=0, unit="s", example=0.5,
                           description="First wait between attempts; doubles each retry "
                                       "(full jitter).")
    retry_after_cap: float = field(300.0, ge=0, unit="s", example=300,
                                   description="Longest wait a server's Retry-After (429/503) "
                                               "may ask for. One of up to 5 s is waited out and "
                                               "the request retried; a longer one reschedules "
                                               "the feed.")

    @field_validator("max_bytes")
    @classmethod
    def _cap(cls, value: int) -> int:
        if value > MAX_BYTES_CAP:
            raise ValueError(f"at most {MAX_BYTES_CAP} (256 MiB), found {value}: a page is held "
                             "in memory and parsed whole; ask for smaller pages (paging.size)")
        return value


class AuthHeaders(Strict):
    """``auth.headers``: the header names a signature gateway expects."""

    app_key: str = field("X-Ca-Key", example="X-Ca-Key", description="Header carrying the app key.")
    timestamp: str = field("X-Ca-Timestamp", example="X-Ca-Timestamp",
                           description="Header carrying the time in epoch milliseconds.")
    nonce: str = field("X-Ca-Nonce", example="X-Ca-Nonce",
                       description="Header carrying a one-time random value.")
    signature: str = field("X-Ca-Signature", example="X-Ca-Signature",
                           description="Header carrying the HMAC-SHA256 signature.")


class Auth(Strict):
    """``auth``: credentials, always sent as headers (feeds.auth); secrets best by ``*_env``."""

    type: Literal["none", "bearer", "basic", "signature", "token"] = field(
        "none", example="signature",
        description="none; bearer (Authorization: Bearer token); basic (HTTP basic); signature "
                    "(app key, timestamp, nonce and an HMAC-SHA256 signature in headers); "
                    "token (an expiring token from token_url for the app key and secret, "
                    "renewed before it expires and when a request is refused with 401).")
    token: str | None = field(None, example="…", description="bearer: the token (secret).")
    token_env: str | None = field(None, example="WF_GATEWAY_TOKEN",
                                  description="bearer: environment variable holding the token.")
    username: str | None = field(None, example="cockpit", description="basic: the user name.")
    username_env: str | None = field(None, example="WF_GATEWAY_USER",
                                     description="basic: environment variable holding it.")
    password: str | None = field(None, example="…", description="basic: the password (secret).")
    password_env: str | None = field(None, example="WF_GATEWAY_PASSWORD",
                                     description="basic: environment variable holding it.")
    app_key: str | None = field(None, example="cockpit-wall",
                                description="signature, token: the application key.")
    app_key_env: str | None = field(None, example="WF_GATEWAY_APP_KEY",
                                    description="signature, token: environment variable "
                                                "holding it.")
    secret: str | None = field(None, example="…",
                               description="signature: the signing secret; token: the app "
                                           "secret (secret).")
    secret_env: str | None = field(None, example="WF_GATEWAY_SECRET",
                                   description="signature, token: environment variable holding "
                                               "it.")
    token_url: str | None = field(None, example="https://gateway.example/auth/token",
                                  description="token: the token endpoint, asked with POST and a "
                                              "JSON body {key_param: app_key, secret_param: "
                                              "secret}.")
    key_param: NonEmpty = field("appKey", example="appId",
                                description="token: the body field of the app key.")
    secret_param: NonEmpty = field("appSecret", example="appSecret",
                                   description="token: the body field of the app secret.")
    token_path: str = field("data.token", example="access_token",
                            description="token: path of the token in the answer. " + PATHS)
    expires_path: str | None = field("data.expires_in", example="expires_in",
                                     description="token: path of the token's lifetime in "
                                                 "seconds; absent in the answer: renewed only "
                                                 "when refused (401). " + PATHS)
    token_header: NonEmpty = field("Authorization", example="X-Access-Token",
                                   description="token: the header the token is sent in.")
    token_prefix: str = field("Bearer ", example="",
                              description="token: written before the token in that header.")
    refresh_before_s: float = field(60, ge=0, unit="s", example=120,
                                    description="token: renew this long before the token "
                                                "expires (at most half its lifetime before).")
    headers: AuthHeaders = field(default_factory=AuthHeaders, example={"app_key": "appKey"},
                                 description="signature: the gateway's header names.")
    template: str = field(DEFAULT_TEMPLATE, example="{app_key}{timestamp}{nonce}",
                          description="signature: the string to sign; may use {app_key} "
                                      "{timestamp} {nonce} {method} {path} {query} (the query "
                                      "sorted by name, URL-encoded).")
    encoding: Literal["hex", "base64"] = field("hex", example="base64",
                                               description="signature: how the digest is written.")

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(**dict.fromkeys(TEMPLATE_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"not a usable template ({exc!r}); it may use "
                             + " ".join("{" + f + "}" for f in TEMPLATE_FIELDS)) from None
        return value

    _token_paths = field_validator("token_path", "expires_path")(
        classmethod(lambda cls, v: _path(v)))

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)

    @model_validator(mode="after")
    def _needs(self) -> Auth:
        need = {"bearer": ("token",), "basic": ("username", "password"),
                "signature": ("app_key", "secret"), "token": ("app_key", "secret")
                }.get(self.type, ())
        problems = _secret_pair(self, need, f"{self.type} auth")
        if self.type == "token" and self.token_url is None:
            problems.append(("token_url", "token auth needs token_url (the token endpoint)"))
        fail(*problems)
        return self


class Paging(Strict):
    """``paging``: how a REST feed walks the pages of an answer, and proves it read them all
    (feeds.rest): records are told apart by identity, so a repeated page, a cursor that stands
    still or fewer distinct records than the total end the load as incomplete."""

    type: Literal["page", "offset", "cursor", "none"] = field(
        "page", example="page",
        description="page (page number and size), offset (offset and limit), cursor (the next "
                    "cursor read from each answer) or none (one request).")
    size: int = field(100, ge=1, le=10_000, unit="records", example=500,
                      description="Records asked for per page.")
    page_param: str = field("page", example="pageNum",
                            description="page: the query parameter of the page number.")
    size_param: str = field("pageSize", example="pageSize",
                            description="page and cursor: the parameter of the page size.")
    first_page: int = field(1, ge=0, example=0, description="page: the first page's number.")
    page_path: str | None = field(None, example="result.current",
                                  description="page: path of the page number the server says it "
                                              "answered; another number than the one asked for "
                                              "ends the load as incomplete. " + PATHS)
    offset_param: str = field("offset", example="start",
                              description="offset: the parameter of the offset.")
    limit_param: str = field("limit", example="rows",
                             description="offset: the parameter of the page size.")
    cursor_param: str = field("cursor", example="nextToken",
                              description="cursor: the parameter the cursor is sent back in.")
    cursor_path: str = field("data.nextCursor", example="data.nextCursor",
                             description="cursor: path of the next cursor in the answer. " + PATHS)
    more_path: str | None = field(None, example="data.hasMore",
                                  description="cursor: path of a has-more flag; false ends the "
                                              "load, true without a next cursor makes it "
                                              "incomplete. None: no cursor is the end.")
    record_id: str | None = field(None, example="id",
                                  description="Path of a record's own id, to tell a repeated "
                                              "record from a new one; default: the mapped "
                                              "entity, metric and time.")
    on_incomplete: Literal["partial", "fail"] = field(
        "partial", example="fail",
        description="A load proven incomplete (a page repeated, the cursor did not advance, "
                    "fewer distinct records than the total): partial keeps its rows and flags "
                    "the feed 部分 with the reason; fail records it as a failure.")

    _paths = field_validator("page_path", "cursor_path", "more_path", "record_id")(
        classmethod(lambda cls, v: _path(v)))


class Envelope(Strict):
    """``envelope``: where the gateway's answer keeps its status and records (feeds.rest). A
    body that is a bare JSON array is a page of records, with no envelope. Paths are dotted
    (data.list; digits index lists), with a key that holds dots quoted (value."@iot.count"), or
    JSON Pointers (/value/@iot.count)."""

    code: str = field("code", example="success",
                      description="Path of the status code; \"\": the answer has none.")
    ok: int | str | bool | Codes = field(
        0, example=200, description="The status code of success, or a list of them (compared as "
                                    "text: 200 matches \"200\", true matches true).")
    msg: str = field("msg", example="message", description="Path of the error message.")
    list: str = field("data.list", example="result.records",
                      description="Path of the list of records (\"\": the body itself).")
    total: str = field("data.total", example="data.count",
                       description="Path of the total number of records, to prove a load "
                                   "complete; \"\": the answer has none (pages are then read "
                                   "until an empty one).")

    _paths = field_validator("code", "msg", "list", "total")(classmethod(lambda cls, v: _path(v)))


#: A path into a record: dotted (``a.b.0``), a template of several (``"{district}-{id}"``), or a
#: list of candidate paths, the first present one used.
PathSpec = str | list[NonEmpty]
#: mapping.time_format's named formats (feeds.mapping); anything with ``%`` is a strftime pattern
MAPPING_TIME_FORMATS = ("iso", "epoch_s", "epoch_ms", "epoch", "auto", "received")
_PATH_KEYS = ("ts", "entity_id", "entity_type", "district", "lat", "lon", "metric", "value",
              "unit")


def _template_problem(path: str) -> str | None:
    """Why a path with braces is not a usable template (feeds.mapping reads them), or None."""
    if "{" not in path and "}" not in path:
        return None
    parts = re.findall(r"\{([^{}]*)\}", path)
    rest = re.sub(r"\{[^{}]*\}", "", path)
    if not parts or "{" in rest or "}" in rest:
        return f"unbalanced braces in template {path!r}"
    if any(not p.strip() for p in parts):
        return f"empty {{}} in template {path!r}"
    return None


class Mapping(Strict):
    """``mapping``: a record to observations by dotted paths (feeds.mapping).

    Wide records (one field per metric) give ``metrics``; long records (one record per value)
    give ``metric`` and ``value``. Any path may be a template of several fields and topic
    levels (``"{district}-{stationCode}"``, ``"{topic[2]}"``) or a list of candidate paths
    (the first present one is used)."""

    ts: PathSpec | None = field(None, example="monitorTime",
                                description="Path of the record's time (required unless in "
                                            "fixed or time_format is received).")
    entity_id: PathSpec | None = field(None, example="{areaCode}-{stationCode}",
                                       description="Path or template of the station or area id "
                                                   "(required unless in fixed).")
    entity_type: PathSpec | None = field(None, example="deviceType",
                                         description="Path of the entity's type.")
    district: PathSpec | None = field(None, example="areaCode",
                                      description="Path of the district.")
    lat: PathSpec | None = field(None, example="location.lat", unit="degrees",
                                 description="Path of the latitude.")
    lon: PathSpec | None = field(None, example="location.lon", unit="degrees",
                                 description="Path of the longitude.")
    metric: PathSpec | None = field(None, example="indexCode",
                                    description="Long records: path of the metric code.")
    value: PathSpec | None = field(None, example=["indexValue", "value"],
                                   description="Long records: path of the value.")
    unit: PathSpec | None = field(None, example="unit",
                                  description="Long records: path of the unit.")
    metrics: dict[str, PathSpec] = field(default_factory=dict,
                                         example={"aqi": "aqi", "pm25": "pm2_5"},
                                         description="Wide records: metric code = path of its "
                                                     "value.")
    units: dict[str, str] = field(default_factory=dict, example={"pm25": "μg/m³"},
                                  description="metric code = unit, where the record has none.")
    fixed: dict[str, Scalar] = field(default_factory=dict, example={"entity_type": "district"},
                                     description="Constants the records lack: key = value "
                                                 "(ts, entity_id, entity_type, district, …).")
    time_format: str = field(
        "iso", example="epoch",
        description="iso (local time without a zone is Asia/Shanghai); epoch_s or epoch_ms (a "
                    "number or numeric string); epoch (either: 1e11 and up is milliseconds); "
                    "auto (numbers as epoch, text as iso); received (no time in the record: "
                    "when it arrived); or a strftime pattern such as \"%Y-%m-%d %H:%M:%S\".")

    @field_validator("time_format")
    @classmethod
    def _time_format(cls, value: str) -> str:
        problem = None if value in MAPPING_TIME_FORMATS else time_format_problem(value)
        if problem:
            raise ValueError(problem.replace("expected iso, epoch_s, epoch_ms or", "expected "
                                             + ", ".join(MAPPING_TIME_FORMATS) + " or"))
        return value

    @model_validator(mode="after")
    def _shape(self) -> Mapping:
        out = [(key, "missing: the dotted path of the record's field")
               for key in ("ts", "entity_id") if getattr(self, key) is None
               and key not in self.fixed and not (key == "ts" and self.time_format == "received")]
        if bool(self.metrics) == bool(self.metric or self.value):
            out.append(("metrics", "give either metrics (wide records) or metric and value "
                                   "(long records)"))
        if (self.metric is None) != (self.value is None):
            out.append(("value" if self.value is None else "metric",
                        "metric and value go together"))
        paths = [(k, getattr(self, k)) for k in _PATH_KEYS] + [
            (f"metrics.{m}", p) for m, p in self.metrics.items()]
        for key, spec in paths:
            for path in [spec] if isinstance(spec, str) else spec or []:
                problem = _template_problem(path)
                parts = re.findall(r"\{([^{}]*)\}", path) if "{" in path else [path]
                for part in [] if problem else parts:
                    try:
                        split_path(re.sub(r"\[(\d+)\]", r".\1", part.strip()))
                    except PathError as exc:
                        problem = str(exc)
                if problem:
                    out.append((key, problem))
        fail(*out)
        return self


# -- the kinds --------------------------------------------------------------------------------
class FeedBase(Strict):
    """The keys every feed has."""

    name: NonEmpty = field(description="The feed's name (unique; shown on the wall's status).",
                           example="数据中台")
    interval: float | str = field(5, unit="s", example="30s",
                                  description="Time between loads: seconds, or a duration such "
                                              "as \"30s\", \"5m\", \"1h\".")

    unknown_what: ClassVar[str] = ""  # "unknown key for a rest feed"

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: float | str) -> float | str:
        if parse_interval(value) is None:
            raise ValueError(f"expected a positive number of seconds or a duration like '30s', "
                             f"'5m', found {value!r}")
        return value


class HttpFeed(FeedBase):
    url: str = field(description="The API's base URL, http(s), without credentials or query.",
                     example="https://gateway.weifang.gov.cn/api/v1/indicators")
    timeouts: Timeouts = field(default_factory=Timeouts, example={"connect": 3, "retries": 2},
                               description="Waits and retries of each request.")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _url(value)


class SnapshotFeed(FeedBase):
    """A snapshot folder replayed on the wall's clock (the demo)."""

    unknown_what: ClassVar[str] = " for a snapshot feed"
    kind: Literal["snapshot"] = field(description="The feed kind.", example="snapshot")
    path: str = field(description="The snapshot folder, relative to the config file.",
                      example="../assets/demo/snapshot")
    align: Literal["time_of_day", "now"] = field(
        "time_of_day", example="time_of_day",
        description="Where the recording is placed on the clock: time_of_day keeps each "
                    "sample's local time of day (by whole days; whole weeks keep weekdays), so "
                    "rush hours and the midnight reset of counters fall when they should; now "
                    "puts the recording's last moment at the wall's start.")


class RestFeed(HttpFeed):
    """The city data middle-platform (数据中台) REST API, one configurable API per feed."""

    unknown_what: ClassVar[str] = " for a rest feed"
    kind: Literal["rest"] = field(description="The feed kind.", example="rest")
    method: Literal["GET", "POST", "get", "post"] = field(
        "GET", example="POST", description="GET (parameters in the query) or POST (as JSON).")
    params: dict[str, Scalar] = field(default_factory=dict, example={"indexCodes": "aqi,pm25"},
                                      description="Parameters sent with every request.")
    headers: dict[str, str] = field(default_factory=dict, example={"X-Tenant": "weifang"},
                                    description="Headers sent with every request.")
    auth: Auth = field(default_factory=Auth, example={"type": "signature",
                                                      "app_key": "cockpit-wall",
                                                      "secret_env": "WF_GATEWAY_SECRET"},
                       description="Credentials.")
    envelope: Envelope = field(default_factory=Envelope, example={"ok": 200},
                               description="Where the answer keeps status and records.")
    paging: Paging = field(default_factory=Paging, example={"type": "page", "size": 500},
                           description="How the pages are walked.")
    since_param: str | None = field(None, example="startTime",
                                    description="Parameter sent with the newest time loaded "
                                                "(incremental loads); none: full loads.")
    since_format: str = field(
        "iso", example="%Y-%m-%d %H:%M:%S",
        description="How since_param's time is written: iso (with the zone's offset), epoch_s, "
                    "epoch_ms, or a strftime pattern in time_zone (%Y-%m-%d %H:%M:%S for the "
                    "gateways' yyyy-MM-dd HH:mm:ss); precision the pattern lacks is cut off, so "
                    "the bound stays inclusive.")
    time_zone: str = field("Asia/Shanghai", example="Asia/Shanghai",
                           description="The gateway's time zone (IANA name): of since_param when "
                                       "written as local time, and of record times without one.")
    series: str | None = field(
        None, example="entity",
        description="Checkpoint per series: entity (the mapped entity_id) or a path to a record "
                    "field (e.g. deviceId); each series keeps the newest time loaded and "
                    "since_param is sent as the oldest of them minus lookback_s, so a station "
                    "that uploads late is read again from its own mark. Only for a gateway "
                    "whose since_param filters on the records' own time (inclusive). None: one "
                    "checkpoint for the feed. " + PATHS)
    lookback_s: float = field(0, ge=0, unit="s", example=300,
                              description="Re-read this long before the checkpoint (each "
                                          "series' with series), for values that arrive out "
                                          "of order; the cache keeps each once.")
    series_horizon_s: float = field(86400, ge=0, unit="s", example=86400,
                                    description="series: a series whose newest time is this far "
                                                "behind the newest of all (a station long "
                                                "silent) no longer holds since_param back; the "
                                                "log names how many.")
    mapping: Mapping = field(description="Records to observations.",
                             example={"ts": "monitorTime", "entity_id": "areaCode",
                                      "metric": "indexCode", "value": "indexValue"})


    @field_validator("series")
    @classmethod
    def _series(cls, value: str | None) -> str | None:
        return value if value == "entity" else _path(value)

    @field_validator("since_format")
    @classmethod
    def _since_format(cls, value: str) -> str:
        problem = time_format_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "Asia/Shanghai or UTC)") from None
        return value


class NgsiFeed(HttpFeed):
    """A FIWARE Orion context broker (NGSI v2)."""

    unknown_what: ClassVar[str] = " for a ngsi feed"
    kind: Literal["ngsi"] = field(description="The feed kind.", example="ngsi")
    types: list[NonEmpty] = field(["AirQualityObserved"], min_length=1,
                                  example=["AirQualityObserved", "TrafficFlowObserved"],
                                  description="Entity types to read.")
    attrs: list[NonEmpty] = field(default_factory=list, example=["pm25", "dateObserved"],
                                  description="Attributes to ask for (default: all).")
    q: str | None = field(None, example="pm25>0", description="An NGSI simple query filter.")
    key_values: bool = field(False, example=True, description="Ask for keyValues answers.")
    service: str | None = field(None, example="weifang", description="Fiware-Service header.")
    service_path: str | None = field(None, example="/city",
                                     description="Fiware-ServicePath header.")
    limit: int = field(100, ge=1, le=1000, unit="entities", example=100,
                       description="Page size (Orion's limit).")
    metrics: dict[str, str] = field(default_factory=dict, example={"no2": "no2"},
                                    description="Attribute = metric code, over the built-in ones.")
    district_attr: str = field("areaServed", example="areaServed",
                               description="Attribute holding the district.")
    modified_since: bool = field(False, example=True,
                                 description="Orion only: read just the entities modified since "
                                             "the last load (builtin dateModified, kept per "
                                             "entity); other brokers: leave off (full reads).")
    lookback_s: float = field(60, ge=0, unit="s", example=60,
                              description="With modified_since: how far behind the newest "
                                          "dateModified each load starts asking.")


class SensorThingsFeed(HttpFeed):
    """An OGC SensorThings API 1.1 (FROST-Server and others): each Datastream's Observations."""

    unknown_what: ClassVar[str] = " for a sensorthings feed"
    kind: Literal["sensorthings"] = field(description="The feed kind.", example="sensorthings")
    top: int = field(200, ge=1, unit="records", example=500, description="Page size ($top).")
    form: Literal["auto", "navigation", "collection"] = field(
        "auto", example="navigation",
        description="Where Observations are read: navigation (Datastreams(id)/Observations), "
                    "collection (Observations?$filter=Datastream/@iot.id eq id), or auto "
                    "(navigation; the collection if the server answers 404).")
    lookback_s: float = field(300, ge=0, unit="s", example=900,
                              description="How far before each Datastream's newest "
                                          "phenomenonTime a load re-reads, so late uploads "
                                          "load (nothing is cached twice).")
    history_s: float | None = field(None, ge=0, unit="s", example=86400,
                                    description="How far back a Datastream's first load reads; "
                                                "none: all the server holds.")
    metric_path: NonEmpty = field("ObservedProperty.name", example="ObservedProperty.definition",
                                  description="Dotted path, in the Datastream with its Thing, "
                                              "ObservedProperty and Sensor, to the metric's "
                                              "text (e.g. name for the Datastream's name).")
    metric_pattern: str | None = field(None, example=":(\\w+)$",
                                       description="Regular expression cutting the metric out "
                                                   "of that text (its first group).")
    metrics: dict[str, str] = field(default_factory=dict, example={"PM2.5": "pm25"},
                                    description="That text = metric code (others are used as "
                                                "they are).")
    district_path: NonEmpty = field("Thing.properties.district", example="Thing.name",
                                    description="Dotted path, in the Datastream with its Thing, "
                                                "to the district.")
    district_pattern: str | None = field(None, example="^(\\d{6})",
                                         description="Regular expression cutting the district "
                                                     "out of that text (its first group).")
    districts: dict[str, str] = field(default_factory=dict, example={"奎文区": "370705"},
                                      description="That text = district code (others are used "
                                                  "as they are).")

    @field_validator("metric_pattern", "district_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
            if compiled.groups > 1:
                raise ValueError(f"expected at most one group, found {compiled.groups}")
        return value


class ThingsBoardFeed(HttpFeed):
    """A ThingsBoard tenant's device telemetry."""

    unknown_what: ClassVar[str] = " for a thingsboard feed"
    kind: Literal["thingsboard"] = field(description="The feed kind.", example="thingsboard")
    username: str | None = field(None, example="tenant@weifang.gov.cn",
                                 description="The login user.")
    username_env: str | None = field(None, example="WF_TB_USER",
                                     description="Environment variable holding the user.")
    password: str | None = field(None, example="…", description="The password (secret).")
    password_env: str | None = field(None, example="WF_TB_PASSWORD",
                                     description="Environment variable holding the password.")
    keys: list[NonEmpty] = field(min_length=1, example=["parking_occupancy", "congestion"],
                                 description="Telemetry keys to read (metric codes).")
    limit: int = field(1000, ge=1, unit="values", example=1000,
                       description="Values per key and request; a key that fills it is read "
                                   "on from its last timestamp.")
    max_pages: int = field(100, ge=1, unit="requests", example=100,
                           description="Requests per key and load at most; a key with more "
                                       "makes the load partial.")
    lookback_s: float = field(900, ge=0, unit="s", example=900,
                              description="Late data: each device's key is read from its own "
                                          "newest timestamp minus this (gateways upload late).")
    backfill_s: float | None = field(None, ge=0, unit="s", example=7200,
                                     description="How far back a device's key without a "
                                                 "checkpoint is read (default 7200).")


class MqttFeed(FeedBase):
    """Values pushed to an MQTT broker."""

    unknown_what: ClassVar[str] = " for a mqtt feed"
    kind: Literal["mqtt"] = field(description="The feed kind.", example="mqtt")
    host: str = field("127.0.0.1", example="10.0.0.5", description="The broker's host.")
    port: int = field(1883, ge=1, le=65535, example=1883, description="The broker's port.")
    topics: list[NonEmpty] = field(min_length=1, example=["weifang/+/aqi"],
                                   description="Topics to subscribe to (wildcards allowed).")
    qos: Literal[0, 1] = field(0, example=1,
                               description="MQTT quality of service. 1: a persistent session, "
                                           "each message acknowledged only once it is in the "
                                           "cache (none is lost at a stop or crash).")
    mapping: Mapping | None = field(
        None, description="Messages to observations (topic.N, or {topic[N]} in a template, is "
                          "the topic's Nth level; a JSON array payload is a list of records). "
                          "Required unless mappings is given.",
        example={"ts": "ts", "entity_id": "topic.1", "metric": "topic.2", "value": "value"})
    mappings: list[Mapping] = field(
        default_factory=list,
        description="Instead of mapping: several, for payloads of different shapes under one "
                    "topic filter, tried in order per record (the first that fits is used).",
        example=[{"ts": "t", "time_format": "epoch", "entity_id": "{topic[1]}-{station}",
                  "metrics": {"pm25": "pm25"}},
                 {"ts": "data.time", "entity_id": "{topic[1]}-{data.dev}",
                  "metric": "data.kind", "value": "data.value"}])
    protocol: Literal["3.1.1", "5"] = field(
        "5", example="3.1.1",
        description="MQTT version. 5 lets up to 65,535 unacknowledged messages wait (Receive "
                    "Maximum) and sets the session's expiry; 3.1.1 for a broker that speaks "
                    "nothing newer (its in-flight window, 20 in Mosquitto, and queue limit "
                    "then bound a burst).")
    client_id: str | None = field(None, example="cockpit-wall-1",
                                  description="The client id (default cockpit-<name>); with "
                                              "qos 1 it names the broker's session: keep it "
                                              "stable and unique per feed and PC.")
    session_expiry: int = field(604800, ge=0, unit="s", example=86400,
                                description="MQTT 5 with qos 1: how long the broker keeps the "
                                            "session and its messages while we are away.")
    username: str | None = field(None, example="wall", description="The broker user.")
    username_env: str | None = field(None, example="WF_MQTT_USER",
                                     description="Environment variable holding the user.")
    password: str | None = field(None, example="…", description="The password (secret).")
    password_env: str | None = field(None, example="WF_MQTT_PASSWORD",
                                     description="Environment variable holding the password.")
    reconnect_max: int = field(60, ge=1, unit="s", example=60,
                               description="Longest wait between reconnection attempts.")

    @model_validator(mode="after")
    def _one_mapping(self) -> MqttFeed:
        if (self.mapping is None) == (not self.mappings):
            fail(("mapping", "give mapping (one table) or mappings (a list of tables tried "
                             "in order), one of the two"))
        return self


FEED_MODELS: dict[str, type[FeedBase]] = {
    "snapshot": SnapshotFeed, "rest": RestFeed, "ngsi": NgsiFeed,
    "sensorthings": SensorThingsFeed, "thingsboard": ThingsBoardFeed, "mqtt": MqttFeed}
FEED_KINDS = tuple(FEED_MODELS)
Feed = Annotated[SnapshotFeed | RestFeed | NgsiFeed | SensorThingsFeed | ThingsBoardFeed | MqttFeed,
                 Field(discriminator="kind")]
#: "unknown paging 'pages'" rather than "expected one of": what each choice is called.
WORDS = {("paging", "type"): "paging", ("auth", "type"): "auth type"}
