"""The tablet console: static files shipped in the package (``cockpit/control/console/``).

``index.html``, ``console.css`` and ``console.js`` hold no secret: the page asks for the token
once, keeps it in the tab's sessionStorage (never a cookie, never the URL) and sends it only in
``Authorization: Bearer``. They are served with a Content-Security-Policy that allows our own
script and style files only (no inline script or style, no other origin, pictures from blobs),
so feed text that slipped past the page's own escaping still could not run. Read with
:mod:`importlib.resources`, so an installed wheel finds them wherever it lives. Pure: no Qt.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: The URL paths of the console and the file each is.
FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/console.css": ("console.css", "text/css; charset=utf-8"),
    "/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/icon.svg": ("icon.svg", "image/svg+xml"),
}
#: The console's policy: our files only; the API is same-origin; screens come as blobs.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@cache
def asset(path: str) -> tuple[bytes, str] | None:
    """The bytes and content type of the console file at URL ``path``, or None."""
    entry = FILES.get(path)
    if entry is None:
        return None
    name, ctype = entry
    return (resources.files("cockpit.control") / "console" / name).read_bytes(), ctype
