"""One escaping helper for feed text shown on the map.

Feed text (device names, alert titles, attributes) reaches the page as HTML (tooltips, popups,
legends) and, through folium, inside JavaScript template literals. :func:`safe_text` makes a
string inert in both at once: the HTML specials become entities, and so do the characters that
end or interpolate a template literal (backtick, ``$``, backslash), so that ``</script>``,
``<img onerror=…>``, `` ` ``, ``${…}`` and ``\\`` all show verbatim and run nothing. The page
inserts the result as HTML, where the entities turn back into the original characters.
"""

from __future__ import annotations

_TABLE = str.maketrans({
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "`": "&#96;",
    "$": "&#36;",
    "\\": "&#92;",
    "\u2028": "&#8232;",  # line separators end a JS string literal in old engines
    "\u2029": "&#8233;",
    "\x00": "\ufffd",
})


def safe_text(value: object) -> str:
    """``value`` as text safe in HTML and in a JavaScript template literal (see module doc)."""
    if value is None:
        return ""
    return str(value).translate(_TABLE)
