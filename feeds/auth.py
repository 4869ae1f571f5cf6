"""Credentials for the HTTP adapters, always sent as headers, never in URLs or logs.

* ``bearer``: ``Authorization: Bearer <token>``;
* ``basic``: HTTP basic auth;
* ``signature``: the API-gateway style — app key, timestamp, nonce and an HMAC-SHA256 signature
  in headers. Each gateway names its headers and builds its string to sign its own way, so both
  are configurable; the template sees ``app_key``, ``timestamp``, ``nonce``, ``method``,
  ``path`` and ``query`` (the query sorted by name, URL-encoded, ``a=1&b=2``);
* ``token``: an expiring token from the gateway's token endpoint — ``POST token_url`` with the
  app key and secret in a JSON body (``{"appKey": …, "appSecret": …}``; the names are
  configurable) gives the token (``token_path``) and its lifetime in seconds
  (``expires_path``, ``expires_in``). It is sent as ``Authorization: Bearer <token>`` (header
  and prefix configurable), fetched again ``refresh_before_s`` before it expires (at most half
  its lifetime before), and at once when a request is answered 401: the adapter then asks for
  a new token and sends the refused request once more (:meth:`Auth.refused`). The token is
  registered as a secret the moment it arrives, so no log line or error shows it.

A secret comes from the config (``token``) or from an environment variable it names
(``token_env``); :func:`resolve` returns it. No Qt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

DEFAULT_TEMPLATE = "{method}\n{path}\n{query}\n{app_key}\n{timestamp}\n{nonce}"
AUTH_TYPES = ("none", "bearer", "basic", "signature", "token")
log = logging.getLogger(__name__)
#: (token, lifetime in seconds or None) from a token endpoint; the adapter makes the request
TokenFetch = Callable[["Auth"], tuple[str, float | None]]
SECRET_KEYS = ("token", "password", "secret", "app_key")


class MissingSecret(ValueError):
    pass


def resolve(raw: Mapping[str, Any], key: str, env: Mapping[str, str] | None = None) -> str | None:
    """``raw[key]``, or the environment variable named by ``raw[key + '_env']``."""
    env = os.environ if env is None else env
    if isinstance(raw.get(key), str):
        return raw[key]
    name = raw.get(f"{key}_env")
    if isinstance(name, str):
        value = env.get(name)
        if not value:
            raise MissingSecret(f"environment variable {name} (for {key}) is not set")
        return value
    return None


def sorted_query(params: Mapping[str, Any] | None) -> str:
    return urlencode(sorted((str(k), str(v)) for k, v in (params or {}).items()))


def sign(template: str, secret: str, *, app_key: str, timestamp: str, nonce: str, method: str,
         path: str, query: str, encoding: str = "hex") -> str:
    text = template.format(app_key=app_key, timestamp=timestamp, nonce=nonce,
                           method=method.upper(), path=path, query=query)
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode() if encoding == "base64" else digest.hexdigest()


@dataclass
class Auth:
    kind: str = "none"
    token: str | None = None
    username: str | None = None
    password: str | None = None
    app_key: str | None = None
    secret: str | None = None
    headers_names: Mapping[str, str] = field(default_factory=lambda: {
        "app_key": "X-Ca-Key", "timestamp": "X-Ca-Timestamp", "nonce": "X-Ca-Nonce",
        "signature": "X-Ca-Signature"})
    template: str = DEFAULT_TEMPLATE
    encoding: str = "hex"
    clock: Callable[[], float] = time.time
    nonce: Callable[[], str] = lambda: uuid.uuid4().hex
    # token: where and how to ask for one, and how to send it
    token_url: str | None = None
    key_param: str = "appKey"
    secret_param: str = "appSecret"
    token_path: str = "data.token"
    expires_path: str | None = "data.expires_in"
    token_header: str = "Authorization"
    token_prefix: str = "Bearer "
    refresh_before_s: float = 60.0
    #: the adapter's request to the token endpoint (:meth:`bind`)
    fetch: TokenFetch | None = None
    #: called with each new token, to redact it everywhere (:meth:`bind`)
    on_token: Callable[[str], None] | None = None
    feed: str = ""  # the feed it serves, for the log
    _token: str | None = field(default=None, repr=False)
    _renew_at: float | None = field(default=None, repr=False)  # None: no known expiry

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None,
                    env: Mapping[str, str] | None = None) -> Auth:
        raw = raw or {}
        kind = raw.get("type", "none")
        names = {"app_key": "X-Ca-Key", "timestamp": "X-Ca-Timestamp", "nonce": "X-Ca-Nonce",
                 "signature": "X-Ca-Signature", **(raw.get("headers") or {})}
        return cls(kind=kind, token=resolve(raw, "token", env),
                   username=resolve(raw, "username", env), password=resolve(raw, "password", env),
                   app_key=resolve(raw, "app_key", env), secret=resolve(raw, "secret", env),
                   headers_names=names, template=raw.get("template", DEFAULT_TEMPLATE),
                   encoding=raw.get("encoding", "hex"), token_url=raw.get("token_url"),
                   **{k: raw[k] for k in ("key_param", "secret_param", "token_path",
                                          "expires_path", "token_header", "token_prefix",
                                          "refresh_before_s") if k in raw})

    # -- expiring tokens ------------------------------------------------------------------
    def bind(self, fetch: TokenFetch, on_token: Callable[[str], None], feed: str = "") -> None:
        """The adapter's way to ask the token endpoint, and to learn each new token (so it is
        redacted from everything it logs); ``feed`` names it in the log."""
        self.fetch, self.on_token, self.feed = fetch, on_token, feed

    def current_token(self) -> str:
        """The token to send: the one held, unless none is held or it is due for renewal."""
        if self._token is None or (self._renew_at is not None and self.clock() >= self._renew_at):
            self._renew("expires" if self._token else "first")
        assert self._token is not None
        return self._token

    def refused(self) -> None:
        """A request was answered 401: the token is no good (expired early, revoked, a restart
        of the gateway); the next request fetches a new one."""
        self._token, self._renew_at = None, None

    def _renew(self, why: str) -> None:
        if self.fetch is None:
            raise RuntimeError("token auth is not bound to an adapter")
        token, lifetime = self.fetch(self)
        if self.on_token is not None:
            self.on_token(token)
        self._token = token
        if lifetime is None:
            self._renew_at = None  # no expiry told: renewed when refused (401)
        else:
            margin = min(self.refresh_before_s, lifetime / 2)
            self._renew_at = self.clock() + lifetime - margin
        log.info("feed %s: new token (%s), %s", self.feed or "?", "first" if why == "first" else
                 "the last one was about to expire", "no expiry given" if lifetime is None
                 else f"valid {lifetime:g} s, renewed after {lifetime - margin:g} s")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.password, self.secret) if s)

    def headers(self, method: str, path: str, params: Mapping[str, Any] | None) -> dict[str, str]:
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.token}"}
        if self.kind == "basic":
            pair = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self.kind == "token":
            return {self.token_header: f"{self.token_prefix}{self.current_token()}"}
        if self.kind == "signature":
            ts, nonce = str(int(self.clock() * 1000)), self.nonce()
            signature = sign(self.template, self.secret or "", app_key=self.app_key or "",
                             timestamp=ts, nonce=nonce, method=method, path=path,
                             query=sorted_query(params), encoding=self.encoding)
            n = self.headers_names
            return {n["app_key"]: self.app_key or "", n["timestamp"]: ts, n["nonce"]: nonce,
                    n["signature"]: signature}
        return {}
