"""Credentials for the HTTP adapters, always sent as headers, never in URLs or logs.

* ``bearer``: ``Authorization: Bearer <token>``;
* ``basic``: HTTP basic auth;
* ``signature``: the API-gateway style — app key, timestamp, nonce and an HMAC-SHA256 signature
  in headers. Each gateway names its headers and builds its string to sign its own way, so both
  are configurable; the template sees ``app_key``, ``timestamp``, ``nonce``, ``method``,
  ``path`` and ``query`` (the query sorted by name, URL-encoded, ``a=1&b=2``).

A secret comes from the config (``token``) or from an environment variable it names
(``token_env``); :func:`resolve` returns it. No Qt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

DEFAULT_TEMPLATE = "{method}\n{path}\n{query}\n{app_key}\n{timestamp}\n{nonce}"
AUTH_TYPES = ("none", "bearer", "basic", "signature")
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
                   encoding=raw.get("encoding", "hex"))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.password, self.secret) if s)

    def headers(self, method: str, path: str, params: Mapping[str, Any] | None) -> dict[str, str]:
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.token}"}
        if self.kind == "basic":
            pair = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self.kind == "signature":
            ts, nonce = str(int(self.clock() * 1000)), self.nonce()
            signature = sign(self.template, self.secret or "", app_key=self.app_key or "",
                             timestamp=ts, nonce=nonce, method=method, path=path,
                             query=sorted_query(params), encoding=self.encoding)
            n = self.headers_names
            return {n["app_key"]: self.app_key or "", n["timestamp"]: ts, n["nonce"]: nonce,
                    n["signature"]: signature}
        return {}
