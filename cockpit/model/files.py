"""Reading the cockpit's own files (layouts, site configs): bounded, UTF-8, TOML with positions.

Every problem is raised through the caller's ``error(message)``, so a layout and a config name
their file alike. Pure: no Qt.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The largest layout or site-config file read (the bundled layouts are under 4 KB): a bigger
#: one is a mistake, refused before it is read.
MAX_FILE_BYTES = 1024 * 1024


def read_text_checked(path: Path, error: Callable[[str], Exception]) -> str:
    """A layout or config file's text; ``error(message)`` (raised) says why it cannot be had:
    not a file, too large (checked before reading), unreadable, not UTF-8 (with the offset)."""
    try:
        if path.is_dir():
            raise error("expected a file, found a folder")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise error(f"{size:,} bytes, larger than a layout or config file may be "
                        f"({MAX_FILE_BYTES:,}); refused without reading it")
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start}, "
                    f"line {line})") from None


def parse_toml_checked(text: str, error: Callable[[str], Exception]) -> dict[str, Any]:
    """TOML ``text`` parsed; ``error(message)`` (raised) for bad TOML, with its position, and
    for nesting too deep for the parser (which would otherwise crash with RecursionError)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if message.endswith("(at end of document)"):  # where, for a file cut short mid-write
            lines = text.count("\n") + 1
            message = (message.removesuffix("(at end of document)")
                       + f"(at the end of the file, line {lines}: is the file cut short?)")
        raise error(f"not valid TOML: {message}") from None
    except RecursionError:
        raise error("not valid TOML: arrays or tables nested too deeply") from None
