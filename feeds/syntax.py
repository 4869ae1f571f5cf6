"""The syntax of what a feed's config writes as text: paths into a JSON document and time
formats. Standard library only, so the config's validation (:mod:`cockpit.model.schema.feeds`)
checks them with the very rules the adapters read them by, without loading an adapter.
:mod:`feeds.common` reads documents and times with them. No Qt.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

#: The named time formats; anything else containing ``%`` is a strftime pattern.
TIME_FORMATS = ("iso", "epoch_s", "epoch_ms")


class PathError(ValueError):
    """A path that cannot be read (an unclosed quote, a JSON Pointer's bad escape)."""


@lru_cache(maxsize=1024)
def split_path(path: str) -> tuple[str, ...]:
    """The keys of a path, in either of two spellings:

    * dotted, ``data.list`` or ``items.0.value`` (digits index lists), where a key that itself
      contains a dot is quoted: ``value."@iot.count"``, ``"a.b".c`` (``\\"`` and ``\\\\`` inside
      quotes stand for ``"`` and ``\\``);
    * a JSON Pointer (RFC 6901) when it starts with ``/``: ``/value/@iot.count``, ``/a~1b``
      (``~1`` is ``/``, ``~0`` is ``~``).

    ``""`` is the whole document (no keys)."""
    if path == "":
        return ()
    if path.startswith("/"):
        keys = []
        for raw in path[1:].split("/"):
            if re.search(r"~(?![01])", raw):
                raise PathError(f"bad JSON Pointer {path!r}: '~' must be followed by 0 or 1")
            keys.append(raw.replace("~1", "/").replace("~0", "~"))
        return tuple(keys)
    keys, i, n = [], 0, len(path)
    while True:
        if i < n and path[i] == '"':
            key, i = _quoted(path, i)
            if i < n and path[i] != ".":
                raise PathError(f"bad path {path!r}: expected '.' after the quoted key {key!r}")
        else:
            end = path.find(".", i)
            end = n if end < 0 else end
            key = path[i:end]
            if '"' in key:
                raise PathError(f"bad path {path!r}: a quote may only open a key ({key!r})")
            i = end
        keys.append(key)
        if i >= n:
            return tuple(keys)
        i += 1  # past the dot


def _quoted(path: str, i: int) -> tuple[str, int]:
    out, i = [], i + 1
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path):
            out.append(path[i + 1])
            i += 2
        elif c == '"':
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise PathError(f"bad path {path!r}: unclosed quote")


def time_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot be a time format, or None. A Java pattern gets its strftime twin."""
    if fmt in TIME_FORMATS:
        return None
    if "%" not in fmt:
        hint = java_to_strftime(fmt)
        return (f"expected iso, epoch_s, epoch_ms or a strftime pattern, found {fmt!r}"
                + (f" (a Java pattern? in strftime it is {hint!r})" if hint != fmt else ""))
    sample = datetime(2026, 11, 28, 8, 5, 9, 123000, tzinfo=UTC)
    try:
        text = sample.strftime(fmt)
        datetime.strptime(text, fmt)
    except ValueError as exc:
        return f"not a usable strftime pattern {fmt!r} ({exc})"
    return None


_JAVA = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"),
         ("ss", "%S"), ("SSS", "%f"), ("XXX", "%z"), ("Z", "%z"))


def java_to_strftime(pattern: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` -> ``%Y-%m-%d %H:%M:%S`` (for hints; not used to read times)."""
    for java, c in _JAVA:
        pattern = pattern.replace(java, c)
    return pattern
