"""Reading the cockpit's own files (layouts, site configs): bounded, UTF-8, TOML with positions.

Every problem is raised through the caller's ``error(message)``, so a layout and a config name
their file alike. Pure: no Qt.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The largest layout or site-config file read (the bundled layouts are under 4 KB): a bigger
#: one is a mistake, refused before it is read.
MAX_FILE_BYTES = 1024 * 1024


def _kind(mode: int) -> str:
    return ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "not a regular file")


def read_bytes_bounded(path: Path, limit: int, error: Callable[[str], Exception]) -> bytes:
    """``path``'s bytes, at most ``limit`` of them, read only from a regular file.

    Opened without blocking (``O_NONBLOCK``: a FIFO with no writer would otherwise hang the
    caller for ever) and checked on the open descriptor (``fstat``, so no race with a file
    swapped in between): a FIFO, socket, device (``/dev/zero``, also through a symlink) or
    folder is refused by what it is, unread. Then at most ``limit + 1`` bytes are read, so a
    file that grows after the check is refused too instead of filling memory. ``error(message)``
    (raised) says why; ``OSError`` becomes "cannot read: …".
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver
            try:
                kind = _kind(os.stat(path).st_mode)  # only to name it
            except OSError:
                kind = "a special file"
            raise error(f"expected a regular file, found {kind}; refused unread") from None
        if exc.errno == errno.EISDIR:
            raise error("expected a file, found a folder") from None
        raise error(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error("expected a file, found a folder")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"expected a regular file, found {_kind(st.st_mode)}; refused unread")
        if st.st_size > limit:
            raise error(f"{st.st_size:,} bytes, larger than it may be ({limit:,}); "
                        f"refused without reading it")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"more than {limit:,} bytes (it grew while read); refused")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text_checked(path: Path, error: Callable[[str], Exception]) -> str:
    """A layout or config file's text; ``error(message)`` (raised) says why it cannot be had:
    not a regular file (a folder, FIFO, socket or device: refused without blocking), too large
    (checked before reading, and at most the limit + 1 bytes are read), unreadable, not UTF-8
    (with the offset)."""
    data = read_bytes_bounded(
        path, MAX_FILE_BYTES,
        lambda m: error(m.replace("than it may be", "than a layout or config file may be")))
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
