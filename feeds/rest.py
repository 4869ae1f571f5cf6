"""The city data middle-platform (数据中台) REST adapter: one configurable API per feed.

A gateway wraps its answers in an envelope whose names it chooses: ``{"code": 0, "msg": "…",
"data": {"list": […], "total": N}}`` by default, ``{"success": true, "result": {"records": […],
"total": N}}`` (MyBatis-Plus), ``{"status": "200", "data": {"rows": […], "count": N}}`` and so
on; a code other than the configured ``ok`` is an error carrying its message, and a body that is
a bare JSON array is a page of records with no envelope. Paths are dotted with quoted keys
(``value."@iot.count"``) or JSON Pointers (``/value/@iot.count``), :func:`feeds.common.dig`.

Paging is one of ``page`` (page/pageSize, 1-based by default), ``offset`` (offset/limit),
``cursor`` (the next cursor read from the answer, optionally with a has-more flag) or ``none``.
It is **proven complete, not assumed** (:class:`feeds.base.PageTally`): every record is known
by its identity (the mapped entity, metric and time, or ``paging.record_id``), so a page that
repeats records already loaded (a server ignoring the page parameter), a cursor that does not
advance, a page number the server does not echo, or fewer distinct records than the announced
total end the load as partial with the reason (or failed: ``paging.on_incomplete``). Without a
total, pages are read until an empty one.

Incremental: the time of the newest record loaded is the checkpoint, sent back as the
``since_param`` (inclusive; the store drops the overlap) in ``since_format`` (``iso``,
``epoch_s``, ``epoch_ms`` or a strftime pattern such as ``%Y-%m-%d %H:%M:%S``) in the feed's
``time_zone`` (Asia/Shanghai by default, also the zone of zone-less times in records). A page's
checkpoint is saved with it only while records arrive oldest first (everything before it has
then been seen); in any other order the checkpoint moves only when the load is proven complete,
so an incomplete load never moves it past records it missed.

Per series (``series = "entity"`` or a record path): the checkpoint keeps each series' newest
time (``{"v": 2, "series": {…}}``) and the one ``since_param`` a request can carry is the
oldest series' mark minus ``lookback_s`` (series silent beyond ``series_horizon_s`` aside), so a
station that uploads late is read again from its own mark; the store drops what it already
holds. Only right for a gateway whose since filter compares the records' own time. The old
plain checkpoint reads as every series' mark. No Qt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests

from feeds.auth import Auth
from feeds.base import LiveFeed, Page, PageTally
from feeds.common import SITE_TZ, Batch, dig, format_time, parse_number
from feeds.errors import FetchError, Incomplete, Malformed
from feeds.http import HttpClient, HttpPolicy
from feeds.kinds import PAGING_TYPES  # noqa: F401 (declared with the other keys)
from feeds.mapping import RecordMapping

MAX_PAGES = 10_000
log = logging.getLogger(__name__)


def format_since(checkpoint: str, style: str, tz=SITE_TZ) -> str:
    """A checkpoint (ISO text) as the gateway wants its lower bound: :func:`format_time`."""
    return format_time(datetime.fromisoformat(checkpoint), style, tz)


def read_marks(text: str | None) -> tuple[dict[str, datetime], datetime | None]:
    """A checkpoint as (series -> newest time loaded, the feed's one mark): the per-series
    form ``{"v": 2, "series": {…}}`` gives the first, the old plain ISO time the second (read
    as every series' mark until a load has marks of its own); nothing, or an unreadable one,
    gives neither (a full load)."""
    if not text:
        return {}, None
    if not text.lstrip().startswith("{"):
        try:
            return {}, datetime.fromisoformat(text)
        except ValueError:
            log.warning("unreadable REST checkpoint %r: read from the start", text[:40])
            return {}, None
    try:
        body = json.loads(text)
        return {str(k): datetime.fromisoformat(v) for k, v in body["series"].items()}, None
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("unreadable REST checkpoint %r: read from the start", text[:40])
        return {}, None


def write_marks(marks: Mapping[str, datetime]) -> str:
    return json.dumps({"v": 2, "series": {k: v.astimezone(UTC).isoformat()
                                          for k, v in sorted(marks.items())}},
                      ensure_ascii=False, separators=(",", ":"))


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value).strip()


def _truthy(value: Any) -> bool:
    return _text(value).lower() not in ("", "false", "0", "no", "none", "null")


class RestFeed(LiveFeed):
    kind = "rest"

    def __init__(self, name: str, interval_s: float, options: Mapping[str, Any],
                 session: requests.Session, *, policy: HttpPolicy | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.auth = Auth.from_config(options.get("auth"), env)
        super().__init__(name, interval_s, secrets=self.auth.secrets)
        self.url = options["url"]
        self.method = options.get("method", "GET").upper()
        self.params = dict(options.get("params") or {})
        self.headers = dict(options.get("headers") or {})
        env_opts = options.get("envelope") or {}
        self.code_path = env_opts.get("code", "code")  # "": no status code in the envelope
        ok = env_opts.get("ok", 0)
        self.ok_codes = {_text(c).lower() for c in (ok if isinstance(ok, list) else [ok])}
        self.msg_path = env_opts.get("msg", "msg")
        self.list_path = env_opts.get("list", "data.list")
        self.total_path = env_opts.get("total", "data.total")  # "": no total
        paging = options.get("paging") or {}
        self.paging = paging.get("type", "page")
        self.page_param = paging.get("page_param", "page")
        self.size_param = paging.get("size_param", "pageSize")
        self.offset_param = paging.get("offset_param", "offset")
        self.limit_param = paging.get("limit_param", "limit")
        self.cursor_param = paging.get("cursor_param", "cursor")
        self.cursor_path = paging.get("cursor_path", "data.nextCursor")
        self.more_path = paging.get("more_path")  # a has-more flag beside the cursor
        self.page_path = paging.get("page_path")  # the page number the server says it answered
        self.record_id = paging.get("record_id")  # a record's own id, for telling repeats
        self.on_incomplete = paging.get("on_incomplete", "partial")
        self.size = int(paging.get("size", 100))
        self.first_page = int(paging.get("first_page", 1))
        self.since_param = options.get("since_param")
        self.since_format = options.get("since_format", "iso")
        self.tz = ZoneInfo(options.get("time_zone", "Asia/Shanghai"))
        self.series = options.get("series")  # "entity", a path, or None: one mark for the feed
        self.lookback = timedelta(seconds=float(options.get("lookback_s", 0)))
        self.horizon = timedelta(seconds=float(options.get("series_horizon_s", 86400)))
        #: the lower bound the last load sent (since_param), for describe()
        self.last_since: datetime | None = None
        self.mapping = RecordMapping.from_config(options["mapping"])
        self.http = HttpClient(session, name, policy or HttpPolicy(), secrets=self.secrets)
        self._fixed_secrets = self.secrets
        self._tokens: list[str] = []  # the last tokens fetched (redacted everywhere)
        if self.auth.kind == "token":
            self.auth.bind(self._fetch_token, self._new_token, name)
        #: the form of the last answer (an envelope, a bare array) and the pages the load read
        self.last_form: str | None = None
        self.last_pages: int | None = None

    def _describe(self) -> dict[str, Any]:
        """What ``cockpit ingest --once`` prints beside a feed: the answer's form and how the
        paging went (and how it is proven complete)."""
        return {"url": self.url, "auth": self.auth.kind,
                "form": self.last_form or f"{self.method}, {self._envelope_text()}",
                "paging": self._paging_text() + (f"; last load {self.last_pages} page(s)"
                                                 if self.last_pages is not None else ""),
                "checkpoint": self._checkpoint_text()}

    def _checkpoint_text(self) -> str:
        if not self.since_param:
            return "none (full loads)"
        back = f" − {self.lookback.total_seconds():g} s" if self.lookback else ""
        how = (f"per series ({self.series}), {self.since_param} = the oldest series' mark{back}"
               if self.series else f"one for the feed, {self.since_param} = its mark{back}")
        return how + (f"; last sent {self.last_since.astimezone(self.tz).isoformat()}"
                      if self.last_since else "")

    def _envelope_text(self) -> str:
        return (f"envelope {self.code_path or '(no code)'}/{self.list_path or '(body)'}/"
                f"{self.total_path or '(no total)'}")

    def _paging_text(self) -> str:
        if self.paging == "none":
            return "none (one request), checked against the total"
        moves = {"page": f"{self.page_param}/{self.size_param}",
                 "offset": f"{self.offset_param}/{self.limit_param}",
                 "cursor": f"{self.cursor_param} from {self.cursor_path}"}[self.paging]
        return (f"{self.paging} ({moves}, {self.size} per page), complete by distinct records "
                f"against the total, else until an empty page")

    # -- an expiring token (auth type "token") -------------------------------------------------
    def _fetch_token(self, auth: Auth) -> tuple[str, float | None]:
        """``POST token_url`` with the app key and secret (a JSON body, never the URL): the
        token and its lifetime in seconds (None: the answer gives none)."""
        assert auth.token_url is not None
        resp = self.http.get(auth.token_url, method="POST", headers={"Accept": "application/json"},
                             json_body={auth.key_param: auth.app_key or "",
                                        auth.secret_param: auth.secret or ""})
        body = resp.json(self.name)
        token = dig(body, auth.token_path, None)
        if not isinstance(token, str) or not token.strip():
            said = dig(body, self.msg_path, None) if self.msg_path and isinstance(body, dict) else None
            raise FetchError(self.http.redact(
                f"feed {self.name}: the token endpoint answered without a token at "
                f"{auth.token_path}" + (f": {str(said)[:160]}" if said else "")))
        lifetime = None
        raw = dig(body, auth.expires_path, None) if auth.expires_path else None
        if raw is not None:
            lifetime = parse_number(raw, self.name, auth.expires_path or "")
            if lifetime <= 0:
                raise Malformed(self.name, auth.expires_path or "", f"a token lifetime of "
                                f"{lifetime:g} s")
        return token.strip(), lifetime

    def _new_token(self, token: str) -> None:
        """Each token is a secret from the moment it arrives: redacted from every error and
        log line of this feed (the last few are kept, for errors about a request in flight)."""
        self._tokens = [*self._tokens[-2:], token]
        self.secrets = (*self._fixed_secrets, *self._tokens)
        self.http.secrets = self.secrets

    # -- one request ------------------------------------------------------------------------
    def _request(self, params: dict[str, Any]) -> Any:
        """One request (the client retries what may succeed on a retry). With an expiring
        token, a 401 means the token is no good: a new one is fetched and the refused request
        sent once more; a second 401 fails the load."""
        path = urlsplit(self.url).path or "/"
        ok = (200, 401) if self.auth.kind == "token" else (200,)

        def headers() -> dict[str, str]:
            return {**self.headers, "Accept": "application/json",
                    **self.auth.headers(self.method, path, params)}

        for attempt in (0, 1):
            if self.method == "GET":
                resp = self.http.get(self.url, params=params, headers=headers, ok=ok)
            else:
                resp = self.http.get(self.url, method=self.method, json_body=params,
                                     headers=headers, ok=ok)
            if resp.status != 401:
                return resp.json(self.name)
            if attempt:
                raise FetchError(f"feed {self.name}: HTTP 401 from {path} with a new token")
            log.info("feed %s: HTTP 401 from %s: the token was refused, fetching a new one",
                     self.name, path)
            self.auth.refused()
        raise AssertionError("unreachable")

    def _unwrap(self, body: Any) -> tuple[list[Any], int | None]:
        """The records of an answer and the total it announces (None: none announced)."""
        if isinstance(body, list):
            self.last_form = f"{self.method}, a bare JSON array (no envelope, no total)"
            return body, None  # a bare array: a page with no envelope
        self.last_form = f"{self.method}, {self._envelope_text()}"
        if not isinstance(body, dict):
            raise Malformed(self.name, "(body)", f"expected an envelope object or a list of "
                                                 f"records, found {type(body).__name__}")
        if self.code_path:
            code = dig(body, self.code_path, None)
            if code is None:
                raise Malformed(self.name, self.code_path, "missing from the envelope")
            if _text(code).lower() not in self.ok_codes:
                msg = dig(body, self.msg_path, "") if self.msg_path else ""
                raise FetchError(f"feed {self.name}: gateway code {code}: {msg}"[:300])
        total = None
        raw_total = dig(body, self.total_path, None) if self.total_path else None
        if raw_total is not None:
            total = parse_number(raw_total, self.name, self.total_path)
            if total < 0 or total != int(total):
                raise Malformed(self.name, self.total_path, f"expected a count, found {raw_total!r}")
            total = int(total)
        records = dig(body, self.list_path, None)
        if records is None and total == 0:
            records = []  # "list": null beside "total": 0
        if not isinstance(records, list):
            raise Malformed(self.name, self.list_path or "(body)",
                            f"expected a list, found {type(records).__name__}")
        return records, total

    def _identity(self, record: Any, rows: list[dict[str, Any]]) -> Hashable:
        """What makes a record the same record on another page: its configured id, else the
        observations it mapped to, else (rejected) its own text."""
        if self.record_id:
            rid = dig(record, self.record_id, None) if isinstance(record, dict) else None
            if rid is not None:
                return ("id", _text(rid))
        if rows:
            return tuple(sorted((r["entity_id"], r["metric"], r["ts"]) for r in rows))
        return ("raw", json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))

    # -- the pages of a load ----------------------------------------------------------------
    def _page_params(self, n: int, tally: PageTally, cursor: str | None) -> tuple[dict, str, str]:
        """The paging parameters of page ``n``, the page's name and the parameter that moves."""
        if self.paging == "page":
            number = self.first_page + n
            return ({self.page_param: number, self.size_param: self.size},
                    f"第 {n + 1} 页（{self.page_param}={number}）", self.page_param)
        if self.paging == "offset":
            return ({self.offset_param: tally.received, self.limit_param: self.size},
                    f"{self.offset_param}={tally.received} 的一页", self.offset_param)
        if self.paging == "cursor":
            return ({self.size_param: self.size, self.cursor_param: cursor or ""},
                    f"游标 {cursor!r} 的一页" if cursor else "第一页", self.cursor_param)
        return {}, "唯一的一页", ""

    def _echo_mismatch(self, body: Any, n: int) -> str | None:
        """Why the page the server says it answered is not the one asked for, or None."""
        if self.paging != "page" or not self.page_path or not isinstance(body, dict):
            return None
        said = dig(body, self.page_path, None)
        asked = self.first_page + n
        if said is None or _text(said) == str(asked):
            return None
        try:  # 2.0 or " 2 " for page 2
            if parse_number(said, self.name, self.page_path) == asked:
                return None
        except Malformed:
            pass
        return (f"请求第 {asked} 页（{self.page_param}={asked}），服务端答的是第 {said} 页"
                f"（{self.page_path}）：服务端可能忽略了分页参数 {self.page_param}")

    # -- checkpoints --------------------------------------------------------------------------
    def _bound(self, marks: Mapping[str, datetime], floor: datetime | None) -> datetime | None:
        """The one lower bound a load sends (the gateway's since filter takes one value): the
        oldest series' mark (series silent beyond ``series_horizon_s`` aside) minus the
        look-back; the feed's one mark minus the look-back; None: everything."""
        if not marks:
            return None if floor is None else floor - self.lookback
        newest = max(marks.values())
        live = [m for m in marks.values() if m >= newest - self.horizon]
        if len(live) < len(marks):
            log.info("feed %s: %d series silent for over %g s no longer hold the since bound "
                     "back (a late upload of theirs older than that is not asked for)",
                     self.name, len(marks) - len(live), self.horizon.total_seconds())
        return min(live) - self.lookback

    def _series_of(self, record: Any, rows: list[dict[str, Any]]) -> str | None:
        """The series a record belongs to: its mapped entity, or the configured field."""
        if self.series != "entity" and isinstance(record, dict):
            value = dig(record, self.series, None)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
        return rows[0]["entity_id"] if rows else None

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        base = dict(self.params)
        marks, floor = read_marks(since)
        if not self.series and marks:  # per series before: its newest is the feed's mark
            marks, floor = {}, max(marks.values())
        bound = self._bound(marks, floor)
        self.last_since = bound if self.since_param else None
        if bound is not None and self.since_param:
            base[self.since_param] = format_time(bound, self.since_format, self.tz)
        newest = floor if not marks else max(marks.values())
        ordered, last_ts = True, None  # records so far oldest first?
        tally = PageTally(self.name)
        total: int | None = None
        cursor: str | None = None
        for n in range(MAX_PAGES):
            paging, where, param = self._page_params(n, tally, cursor)
            body = self._request({**base, **paging})
            records, page_total = self._unwrap(body)
            total = page_total if page_total is not None else total
            mismatch = self._echo_mismatch(body, n)
            if mismatch:
                tally.stop = mismatch
                break
            batch, keys = Batch(self.name), []
            for record in records:
                before = len(batch.observations)
                ts = self.mapping.apply(record, batch, tz=self.tz, now=now)
                rows = batch.observations[before:]
                keys.append(self._identity(record, rows))
                if ts is not None:
                    ordered = ordered and (last_ts is None or ts >= last_ts)
                    last_ts = ts
                    newest = ts if newest is None or ts > newest else newest
                    key = self._series_of(record, rows) if self.series else None
                    if key is not None and (key not in marks or ts > marks[key]):
                        marks[key] = ts
            tally.page(keys, where, param=param or None)
            if tally.stop:
                break  # nothing on this page is new: the paging stands still
            cursor, end = self._next(body, records, tally, total, cursor)
            complete = end and tally.verdict(total) is None
            mark = None
            if ordered or complete:  # everything before the marks has been seen
                if self.series and marks:
                    mark = write_marks(marks)
                elif not self.series and newest:
                    mark = newest.astimezone(UTC).isoformat()
            yield Page(batch, mark)
            if end or tally.stop:
                break
        else:
            tally.stop = f"读到 {MAX_PAGES} 页仍未结束；已取到 {tally.distinct} 条不同记录"
        self.last_pages = tally.pages
        reason = tally.verdict(total)
        if reason:
            if self.on_incomplete == "fail":
                raise Incomplete(f"feed {self.name}: 加载不完整：{reason}")
            self.incomplete(reason)

    def _next(self, body: Any, records: list[Any], tally: PageTally, total: int | None,
              cursor: str | None) -> tuple[str | None, bool]:
        """The next cursor and whether this page was the last (:attr:`PageTally.stop` is set
        when the paging cannot go on)."""
        if self.paging == "none" or not records:
            return None, True
        if self.paging == "cursor":
            nxt = dig(body, self.cursor_path, None) if isinstance(body, dict) else None
            nxt = None if nxt is None or _text(nxt) == "" else _text(nxt)
            if self.more_path and isinstance(body, dict):
                more = dig(body, self.more_path, None)
                if more is not None and not _truthy(more):
                    return None, True
                if more is not None and nxt is None:
                    tally.stop = (f"{self.more_path} 表示还有数据，却没有下一页游标"
                                  f"（{self.cursor_path}）；已取到 {tally.distinct} 条不同记录")
                    return None, True
            if nxt is None:
                return None, True
            if not tally.cursor(nxt, cursor):
                return None, True
            return nxt, False
        if total is not None:  # distinct, not received: a repeat is not progress
            return None, tally.distinct >= total
        return None, False  # no total: read on until an empty page proves the end
