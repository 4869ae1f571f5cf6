"""Feed kinds: the keys a ``[[feeds]]`` table of the site config may have, and their check.

Each kind declares its keys; :func:`check` returns (key path, problem) pairs for the config's
validation (every problem at once). Declarations only: no HTTP client, no MQTT client, no Qt;
:mod:`cockpit.data.sources` builds the adapters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from feeds.auth import AUTH_TYPES
from feeds.mapping import MAPPING_KEYS, RecordMapping

Problems = list[tuple[str, str]]
COMMON = ("name", "kind", "interval")
TIMEOUT_KEYS = ("connect", "read", "deadline", "max_bytes", "retries", "backoff",
                "retry_after_cap")
KEYS: dict[str, tuple[str, ...]] = {
    "snapshot": ("path",),
    "rest": ("url", "method", "params", "headers", "auth", "envelope", "paging", "since_param",
             "since_format", "mapping", "timeouts"),
    "ngsi": ("url", "types", "attrs", "q", "key_values", "service", "service_path", "limit",
             "metrics", "district_attr", "timeouts"),
    "sensorthings": ("url", "top", "metrics", "timeouts"),
    "thingsboard": ("url", "username", "username_env", "password", "password_env", "keys",
                    "limit", "lookback_s", "timeouts"),
    "mqtt": ("host", "port", "topics", "qos", "mapping", "username", "username_env", "password",
             "password_env", "reconnect_max"),
}
REQUIRED = {"snapshot": ("path",), "rest": ("url", "mapping"), "ngsi": ("url",),
            "sensorthings": ("url",), "thingsboard": ("url", "keys"), "mqtt": ("topics", "mapping")}
FEED_KINDS = tuple(KEYS)
PAGING_TYPES = ("page", "offset", "cursor", "none")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)$")


def parse_interval(value: Any) -> float | None:
    """Seconds from a positive number or a duration such as ``"30s"``, ``"5m"``, ``"1h"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if isinstance(value, str) and (m := _DURATION.match(value.strip())):
        seconds = float(m[1]) * {"s": 1, "m": 60, "h": 3600}[m[2]]
        return seconds if seconds > 0 else None
    return None


def _table(raw: Mapping[str, Any], key: str, out: Problems) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        out.append((key, "expected a table"))
        return {}
    return value


def _check_url(raw: Mapping[str, Any], out: Problems) -> None:
    url = raw.get("url")
    if not isinstance(url, str):
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        out.append(("url", f"expected an http(s) URL, found {url!r}"))
    elif "@" in parts.netloc or parts.query:
        out.append(("url", "no credentials or query in the URL (they end up in logs); use "
                           "auth, params or headers"))


def _check_auth(raw: Mapping[str, Any], out: Problems) -> None:
    auth = _table(raw, "auth", out)
    if not auth:
        return
    kind = auth.get("type", "none")
    if kind not in AUTH_TYPES:
        out.append(("auth.type", f"unknown auth type {kind!r} (known: {', '.join(AUTH_TYPES)})"))
        return
    need = {"bearer": ("token",), "basic": ("username", "password"),
            "signature": ("app_key", "secret")}.get(kind, ())
    for key in need:
        if not isinstance(auth.get(key), str) and not isinstance(auth.get(f"{key}_env"), str):
            out.append((f"auth.{key}", f"{kind} auth needs {key} or {key}_env (the name of "
                                       f"an environment variable)"))
    if "template" in auth:
        try:
            auth["template"].format(app_key="", timestamp="", nonce="", method="", path="",
                                    query="")
        except (AttributeError, KeyError, IndexError, ValueError) as exc:
            out.append(("auth.template", f"not a usable template ({exc!r}); it may use "
                                         f"{{app_key}} {{timestamp}} {{nonce}} {{method}} "
                                         f"{{path}} {{query}}"))
    if auth.get("encoding", "hex") not in ("hex", "base64"):
        out.append(("auth.encoding", "expected 'hex' or 'base64'"))


def _check_mapping(raw: Mapping[str, Any], out: Problems) -> None:
    mapping = _table(raw, "mapping", out)
    if not mapping:
        return
    for key in mapping:
        if key not in MAPPING_KEYS:
            out.append((f"mapping.{key}", f"unknown key (expected {', '.join(MAPPING_KEYS)})"))
    for key in ("ts", "entity_id"):
        if not isinstance(mapping.get(key), str) and key not in (mapping.get("fixed") or {}):
            out.append((f"mapping.{key}", "missing: the dotted path of the record's field"))
    try:
        problems = RecordMapping.from_config({"ts": "", "entity_id": "", **mapping}).problems()
    except TypeError as exc:
        problems = [("(table)", str(exc))]
    out += [(f"mapping.{k}", p) for k, p in problems]


def check(kind: str, raw: Mapping[str, Any]) -> Problems:
    """Problems of one feed table (key paths relative to it); kind known."""
    out: Problems = []
    for key in raw:
        if key not in (*COMMON, *KEYS[kind]):
            out.append((key, f"unknown key for a {kind} feed (expected "
                             f"{', '.join((*COMMON, *KEYS[kind]))})"))
    for key in REQUIRED[kind]:
        if key not in raw:
            out.append((key, f"missing (a {kind} feed needs {', '.join(REQUIRED[kind])})"))
    if "interval" in raw and parse_interval(raw["interval"]) is None:
        out.append(("interval", f"expected a positive number of seconds or a duration like "
                                f"'30s', '5m', found {raw['interval']!r}"))
    _check_url(raw, out)
    if kind == "rest":
        _check_auth(raw, out)
        _check_mapping(raw, out)
        paging = _table(raw, "paging", out)
        if paging.get("type", "page") not in PAGING_TYPES:
            out.append(("paging.type", f"unknown paging {paging.get('type')!r} "
                                       f"(known: {', '.join(PAGING_TYPES)})"))
        size = paging.get("size", 100)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 10_000:
            out.append(("paging.size", f"expected a page size 1..10000, found {size!r}"))
        if raw.get("since_format", "iso") not in ("iso", "epoch_ms"):
            out.append(("since_format", "expected 'iso' or 'epoch_ms'"))
    if kind == "mqtt":
        _check_mapping(raw, out)
        if raw.get("qos", 0) not in (0, 1):
            out.append(("qos", f"expected 0 or 1, found {raw.get('qos')!r}"))
    for key in ("types", "attrs", "keys", "topics"):
        if key in raw and not (isinstance(raw[key], list) and raw[key]
                               and all(isinstance(x, str) and x for x in raw[key])):
            out.append((key, "expected a non-empty list of strings"))
    if kind == "ngsi" and "limit" in raw and not (isinstance(raw["limit"], int)
                                                 and 1 <= raw["limit"] <= 1000):
        out.append(("limit", "expected 1..1000 (Orion's page limit)"))
    timeouts = _table(raw, "timeouts", out)
    for key, value in timeouts.items():
        if key not in TIMEOUT_KEYS:
            out.append((f"timeouts.{key}", f"unknown key (expected {', '.join(TIMEOUT_KEYS)})"))
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            out.append((f"timeouts.{key}", f"expected a number >= 0, found {value!r}"))
    return out
