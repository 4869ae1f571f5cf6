"""The city data middle-platform (数据中台) REST adapter: one configurable API per feed.

The gateway wraps every answer in an envelope, ``{"code": 0, "msg": "…", "data": {"list":
[…], "total": N}}``; a non-zero code is an error carrying its message. Paging is one of
``page`` (page/pageSize, 1-based by default), ``offset`` (offset/limit), ``cursor`` (the next
cursor read from the answer) or ``none``. Records map to observations by dotted paths
(:mod:`feeds.mapping`). Incremental: the time of the newest record loaded is the checkpoint,
sent back as the ``since_param`` (inclusive; the store drops the overlap). No Qt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from feeds.auth import Auth
from feeds.base import LiveFeed, Page
from feeds.common import SITE_TZ, Batch, dig, parse_number
from feeds.errors import FetchError, Malformed
from feeds.http import HttpClient, HttpPolicy
from feeds.kinds import PAGING_TYPES  # noqa: F401 (declared with the other keys)
from feeds.mapping import RecordMapping

MAX_PAGES = 10_000


def format_since(checkpoint: str, style: str) -> str:
    when = datetime.fromisoformat(checkpoint)
    if style == "epoch_ms":
        return str(int(when.timestamp() * 1000))
    return when.astimezone(SITE_TZ).isoformat()  # the gateway's local time, offset included


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
        self.code_path = env_opts.get("code", "code")
        self.ok_code = env_opts.get("ok", 0)
        self.msg_path = env_opts.get("msg", "msg")
        self.list_path = env_opts.get("list", "data.list")
        self.total_path = env_opts.get("total", "data.total")
        paging = options.get("paging") or {}
        self.paging = paging.get("type", "page")
        self.page_param = paging.get("page_param", "page")
        self.size_param = paging.get("size_param", "pageSize")
        self.offset_param = paging.get("offset_param", "offset")
        self.limit_param = paging.get("limit_param", "limit")
        self.cursor_param = paging.get("cursor_param", "cursor")
        self.cursor_path = paging.get("cursor_path", "data.nextCursor")
        self.size = int(paging.get("size", 100))
        self.first_page = int(paging.get("first_page", 1))
        self.since_param = options.get("since_param")
        self.since_format = options.get("since_format", "iso")
        self.mapping = RecordMapping.from_config(options["mapping"])
        self.http = HttpClient(session, name, policy or HttpPolicy(), secrets=self.secrets)

    def _describe(self) -> dict[str, Any]:
        return {"url": self.url, "paging": self.paging, "auth": self.auth.kind}

    def _request(self, params: dict[str, Any]) -> Any:
        path = urlsplit(self.url).path or "/"

        def headers() -> dict[str, str]:
            return {**self.headers, "Accept": "application/json",
                    **self.auth.headers(self.method, path, params)}

        if self.method == "GET":
            resp = self.http.get(self.url, params=params, headers=headers)
        else:
            resp = self.http.get(self.url, method=self.method, json_body=params, headers=headers)
        body = resp.json(self.name)
        if not isinstance(body, dict):
            raise Malformed(self.name, "(body)", f"expected an envelope object, found "
                                                 f"{type(body).__name__}")
        code = dig(body, self.code_path, None)
        if code is None:
            raise Malformed(self.name, self.code_path, "missing from the envelope")
        if str(code) != str(self.ok_code):
            msg = dig(body, self.msg_path, "")
            raise FetchError(f"feed {self.name}: gateway code {code}: {msg}"[:300])
        return body

    def pages(self, since: str | None, now: datetime) -> Iterator[Page]:
        base = dict(self.params)
        if since and self.since_param:
            base[self.since_param] = format_since(since, self.since_format)
        newest = datetime.fromisoformat(since) if since else None
        got, total, cursor = 0, None, None
        for n in range(MAX_PAGES):
            params = dict(base)
            if self.paging == "page":
                params.update({self.page_param: self.first_page + n, self.size_param: self.size})
            elif self.paging == "offset":
                params.update({self.offset_param: got, self.limit_param: self.size})
            elif self.paging == "cursor":
                params[self.size_param] = self.size
                params[self.cursor_param] = cursor or ""  # empty: from the start
            body = self._request(params)
            records = dig(body, self.list_path, None)
            if not isinstance(records, list):
                raise Malformed(self.name, self.list_path, f"expected a list, found "
                                                           f"{type(records).__name__}")
            raw_total = dig(body, self.total_path, None)
            if raw_total is not None:
                total = int(parse_number(raw_total, self.name, self.total_path))
                if total < 0:
                    raise Malformed(self.name, self.total_path, f"negative total {total}")
            batch = Batch(self.name)
            for record in records:
                ts = self.mapping.apply(record, batch, now=now)
                if ts is not None and (newest is None or ts > newest):
                    newest = ts
            got += len(records)
            yield Page(batch, newest.astimezone(UTC).isoformat() if newest else None)
            if self.paging == "none" or not records:
                break
            if self.paging == "cursor":
                cursor = dig(body, self.cursor_path, None)
                if not cursor:
                    break
            elif (total is not None and got >= total) or (total is None and len(records) < self.size):
                break
        self.short_of(got, total)
